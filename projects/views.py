"""The member portal's pages for clients, projects, documents and expenses.

Thin: every lookup goes through projects.selectors (cooperative first, then the person), so another
cooperative's or another member's object answers 404; every write is one call of projects.services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from members.selectors import membership_list
from projects import selectors, services
from projects.budget import project_budget
from projects.charts import balance_chart
from projects.forms import (
    ClientForm,
    CollaboratorFormSet,
    DocumentForm,
    ExpenseForm,
    ProjectForm,
    add_service_errors,
    people_choices,
)
from projects.models import Client, Document, Project
from projects.panels import project_panels
from smartprod.core import capabilities
from smartprod.core.errors import ApplicationError, status_in_sentence
from smartprod.core.pagination import MAX_OFFSET
from smartprod.tenancy.context import require_membership
from smartprod.tenancy.models import Cooperative, Membership

Status = Project.Status

CLIENTS_PAGE = 50  # clients per page of /clients/ (?page=), by name


def _project(cooperative: Cooperative, membership: Membership, project_id: int) -> Project:
    """The project with its history, documents, collaborators and expenses, or 404."""
    try:
        return selectors.project_detail(cooperative=cooperative, membership=membership, project_id=project_id)
    except Project.DoesNotExist as exc:
        raise Http404 from exc


def _abilities(project: Project, membership: Membership) -> dict[str, bool]:
    """Which buttons to show. Presentation only: the services decide again, and have the last word."""
    is_owner = project.owner_id == membership.pk
    is_collaborator = any(c.membership_id == membership.pk for c in project.collaborations.all())
    is_reviewer = capabilities.can_review_project(membership) and not is_owner
    person = {"owner": is_owner, "reviewer": is_reviewer, "owner_or_reviewer": is_owner or is_reviewer}

    def may(action: str) -> bool:
        sources, _target, who, _needs_comment = services.TRANSITIONS[action]
        return project.status in sources and person[who]

    has_contract = any(d.kind == Document.Kind.CONTRACT for d in project.documents.all())
    return {
        "owner": is_owner,
        "edit": is_owner and project.is_editable,
        "submit": may("submit") and has_contract,
        "submit_needs_contract": may("submit") and not has_contract,
        "close": may("close"),
        "upload": (is_owner or is_collaborator or selectors.is_staff(membership))
        and project.status not in (Status.REJECTED, Status.CLOSED),
        "claim": (is_owner or is_collaborator) and project.status == Status.APPROVED,
    }


def _people(cooperative: Cooperative, owner_id: int) -> tuple[list[tuple[int, str]], dict[int, Membership]]:
    active = list(membership_list(cooperative=cooperative, status=Membership.Status.ACTIVE))
    return people_choices(active, exclude=owner_id), {m.pk: m for m in active}


# --- clients --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def client_list(request: HttpRequest) -> HttpResponse:
    cooperative, membership = require_membership(request)
    clients = selectors.client_list(cooperative=cooperative, membership=membership)
    page = Paginator(clients, CLIENTS_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/client_list.html",
        {"clients": page.object_list, "page": page, "page_param": "page", "page_anchor": ""},
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    cooperative, membership = require_membership(request)
    then_project = request.GET.get("then") == "project"
    form = ClientForm(request.POST or None, initial={"country": cooperative.country})
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(cooperative=cooperative, actor=membership, **form.cleaned_data)
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Client %(name)s saved.") % {"name": client.name})
            if then_project:
                return redirect(f"{reverse('project_create')}?client={client.pk}")
            return redirect("client_list")
    return render(
        request, "projects/client_form.html", {"form": form, "client": None, "then_project": then_project}
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_update(request: HttpRequest, client_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    try:
        client = selectors.client_get(cooperative=cooperative, client_id=client_id, membership=membership)
    except Client.DoesNotExist as exc:
        raise Http404 from exc
    form = ClientForm(request.POST or None, initial=ClientForm.initial_for(client))
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_update(
                cooperative=cooperative, actor=membership, client=client, **form.cleaned_data
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Client %(name)s saved.") % {"name": client.name})
            return redirect("client_list")
    return render(request, "projects/client_form.html", {"form": form, "client": client})


# --- projects -------------------------------------------------------------------------------------------


def _project_form_page(
    request: HttpRequest,
    cooperative: Cooperative,
    membership: Membership,
    project: Project | None,
) -> HttpResponse:
    """Create (project is None) or edit: the terms form and the collaborators formset, saved together."""
    clients = selectors.client_list(cooperative=cooperative, membership=membership)
    people, by_pk = _people(cooperative, owner_id=project.owner_id if project else membership.pk)
    data = request.POST if request.method == "POST" else None
    if project is None:
        client_id = request.GET.get("client", "")
        initial: dict[str, Any] = {"client": int(client_id)} if client_id.isdigit() else {}
        collaborators_initial: list[dict[str, Any]] = []
    else:
        initial = ProjectForm.initial_for(project)
        collaborators_initial = [
            {"membership": c.membership_id, "employment": c.employment} for c in project.collaborations.all()
        ]
    form = ProjectForm(data, clients=clients, initial=initial)
    formset = CollaboratorFormSet(
        data, prefix="collab", initial=collaborators_initial, form_kwargs={"people": people}
    )
    collaborator_errors: list[str] = []
    if data is not None and form.is_valid() and formset.is_valid():
        collaborators = formset.collaborators(by_pk)
        try:
            if project is None:
                project = services.project_create(
                    cooperative=cooperative,
                    actor=membership,
                    collaborators=collaborators,
                    **form.cleaned_data,
                )
                messages.success(request, _("Project created. Add the contract, then submit it for review."))
            else:
                project = services.project_update(
                    cooperative=cooperative,
                    actor=membership,
                    project=project,
                    collaborators=collaborators,
                    **form.cleaned_data,
                )
                messages.success(request, _("Project saved."))
        except ApplicationError as exc:
            unplaced = add_service_errors(form, exc)
            collaborator_errors = unplaced.pop("collaborators", [])
        else:
            return redirect("project_detail", project_id=project.pk)
    return render(
        request,
        "projects/project_form.html",
        {
            "form": form,
            "formset": formset,
            "collaborator_errors": collaborator_errors,
            "project": project,
            "has_clients": clients.exists(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    cooperative, membership = require_membership(request)
    return _project_form_page(request, cooperative, membership, None)


@login_required
@require_http_methods(["GET", "POST"])
def project_update(request: HttpRequest, project_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    project = _project(cooperative, membership, project_id)
    if project.owner_id != membership.pk:
        raise Http404  # only the owner has an edit page
    if not project.is_editable:
        messages.error(
            request,
            _("A %(status)s project cannot be edited; its terms change only through a new review.")
            % {"status": status_in_sentence(project.get_status_display())},
        )
        return redirect("project_detail", project_id=project.pk)
    return _project_form_page(request, cooperative, membership, project)


@login_required
@require_http_methods(["GET"])
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    project = _project(cooperative, membership, project_id)
    # The newest page of budget lines; "older bookings" links to ?lines=<offset> (a bad value: the newest).
    raw = request.GET.get("lines", "")
    offset = int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= MAX_OFFSET else 0
    budget = project_budget(cooperative=cooperative, project=project, offset=offset, with_events=True)
    chart = balance_chart(
        [(line.date, line.balance) for line in budget.lines],
        until=timezone.localdate() if project.status != Status.CLOSED else None,
    )
    history = list(project.history.all())
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "history": history,
            "last_change": history[-1] if history else None,
            "budget": budget,
            "chart": chart,
            "can": _abilities(project, membership),
            "currency": cooperative.currency,
            "panels": project_panels(request, project),  # invoices, payouts: added by the apps above
        },
    )


@login_required
@require_POST
def project_submit(request: HttpRequest, project_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    project = _project(cooperative, membership, project_id)
    try:
        services.project_submit(cooperative=cooperative, actor=membership, project=project)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Project submitted for review."))
    return redirect("project_detail", project_id=project.pk)


@login_required
@require_POST
def project_close(request: HttpRequest, project_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    project = _project(cooperative, membership, project_id)
    try:
        services.project_close(
            cooperative=cooperative,
            actor=membership,
            project=project,
            comment=request.POST.get("comment", "")[:2000],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Project closed."))
    return redirect("project_detail", project_id=project.pk)


# --- documents and expenses -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def document_upload(request: HttpRequest, project_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    project = _project(cooperative, membership, project_id)
    if not _abilities(project, membership)["upload"]:
        messages.error(
            request,
            _("A %(status)s project takes no more documents.")
            % {"status": status_in_sentence(project.get_status_display())},
        )
        return redirect("project_detail", project_id=project.pk)
    has_contract = any(d.kind == Document.Kind.CONTRACT for d in project.documents.all())
    form = DocumentForm(
        request.POST or None,
        request.FILES or None,
        initial={"kind": Document.Kind.OTHER if has_contract else Document.Kind.CONTRACT},
    )
    if request.method == "POST" and form.is_valid():
        try:
            document = services.document_upload(
                cooperative=cooperative,
                actor=membership,
                project=project,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except Project.DoesNotExist as exc:
            raise Http404 from exc
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Document %(name)s uploaded.") % {"name": document.original_name})
            return redirect(reverse("project_detail", args=[project.pk]) + "#documents")
    return render(request, "projects/document_form.html", {"form": form, "project": project})


@login_required
@require_http_methods(["GET", "POST"])
def expense_submit(request: HttpRequest, project_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    project = _project(cooperative, membership, project_id)
    if not _abilities(project, membership)["claim"]:
        messages.error(
            request, _("Expenses are claimed on approved projects, by their owner and collaborators.")
        )
        return redirect("project_detail", project_id=project.pk)
    form = ExpenseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.expense_submit(
                cooperative=cooperative,
                actor=membership,
                project=project,
                amount=form.cleaned_data["amount"],
                vat_amount=form.cleaned_data["vat_amount"],
                date=form.cleaned_data["date"],
                description=form.cleaned_data["description"],
                receipt_upload=form.cleaned_data["receipt"],
            )
        except Project.DoesNotExist as exc:
            raise Http404 from exc
        except ApplicationError as exc:
            add_service_errors(form, exc, rename={"file": "receipt"})
        else:
            messages.success(request, _("Expense submitted. An advisor will check it."))
            return redirect(reverse("project_detail", args=[project.pk]) + "#expenses")
    budget = project_budget(cooperative=cooperative, project=project)
    return render(
        request,
        "projects/expense_form.html",
        {"form": form, "project": project, "budget": budget, "currency": cooperative.currency},
    )


@login_required
@require_http_methods(["GET"])
def document_download(request: HttpRequest, document_id: int) -> FileResponse:
    cooperative, membership = require_membership(request)
    try:
        document = selectors.document_get(
            cooperative=cooperative, membership=membership, document_id=document_id
        )
        handle = document.file.open("rb")
    except (Document.DoesNotExist, FileNotFoundError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=services.served_name(document.original_name, document.content_type),
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
