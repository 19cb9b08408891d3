"""Project pages for employments and salaries: staff create an employment; the employee requests a month's
salary (an amount or as much as the budget allows), with a preview of net and total employer cost.

Thin: lookups go through the selectors (cooperative first, then the person) so another cooperative's or
another member's project or employment answers 404; every write is one service call.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from payroll.forms import EmploymentForm, SalaryForm
from payroll.models import Employment, FederalState
from payroll.selectors.employments import employment_list_visible, parse_month, salary_options, salary_preview
from payroll.services import employments, salaries
from projects.forms import add_service_errors
from projects.models import Collaboration, Project
from projects.selectors import is_staff, project_get
from smartprod.core.errors import ApplicationError
from smartprod.tenancy.context import require_membership
from smartprod.tenancy.models import Cooperative, Membership


def _project(cooperative: Cooperative, membership: Membership, project_id: int) -> Project:
    try:
        return project_get(cooperative=cooperative, membership=membership, project_id=project_id)
    except Project.DoesNotExist as exc:
        raise Http404 from exc


def _name(person: Membership) -> str:
    return person.user.get_full_name() or person.user.email


def participants(cooperative: Cooperative, project: Project) -> list[tuple[int, str]]:
    """Who may be employed on the project: its owner and collaborators."""
    people = [project.owner]
    people.extend(
        c.membership
        for c in Collaboration.objects.for_cooperative(cooperative)
        .filter(project=project)
        .select_related("membership__user")
    )
    return [(p.pk, _name(p)) for p in people]


def employment_form(cooperative: Cooperative, project: Project, data: Any = None) -> EmploymentForm:
    return EmploymentForm(
        data,
        payees=participants(cooperative, project),
        states=list(FederalState.choices),
        initial={"municipality": "Wien", "weekly_hours": Decimal("20.0")},
    )


def own_employments(cooperative: Cooperative, membership: Membership, project: Project) -> list[Employment]:
    """The employments on this project the person may request salaries for: their own; staff: all."""
    rows = employment_list_visible(cooperative=cooperative, membership=membership).filter(project=project)
    if not is_staff(membership):
        rows = rows.filter(payee=membership)
    return list(rows.order_by("start", "id"))


def default_month(employment: Employment) -> date:
    """The current month while the employment runs, else its first month."""
    this_month = timezone.localdate().replace(day=1)
    if employment.start.replace(day=1) <= this_month <= employment.end:
        return this_month
    return employment.start.replace(day=1)


def salary_form(
    employments_: list[Employment], data: Any = None, *, employment: Employment | None = None
) -> SalaryForm:
    chosen = employment or (employments_[0] if employments_ else None)
    return SalaryForm(
        data,
        employments=[
            (e.pk, f"{e.occupation} · {e.start:%d.%m.%Y}–{e.end:%d.%m.%Y} · {_name(e.payee)}")
            for e in employments_
        ],
        initial={
            "employment": chosen.pk if chosen else None,
            "month": f"{default_month(chosen):%Y-%m}" if chosen else "",
            "use_max": True,
            "token": uuid.uuid4().hex,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def employment_create(request: HttpRequest, project_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    project = _project(cooperative, membership, project_id)
    if not is_staff(membership):
        raise Http404
    form = employment_form(cooperative, project, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payee = Membership.objects.for_cooperative(cooperative).get(pk=data["payee"])
            employments.employment_create(
                cooperative=cooperative,
                actor=membership,
                project=project,
                payee=payee,
                start=data["start"],
                end=data["end"],
                weekly_hours=data["weekly_hours"],
                occupation=data["occupation"],
                municipality=data["municipality"],
                federal_state=data["federal_state"] or None,
                salary_group=data["salary_group"],
                has_other_employments=data["has_other_employments"],
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Employment created: the person is employed on this project."))
            return redirect(reverse("project_detail", args=[project.pk]) + "#employments")
    return render(request, "payroll/employments/employment_form.html", {"project": project, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def salary_request(request: HttpRequest, project_id: int) -> HttpResponse:
    """GET: the form (for ?employment=); POST with "preview": the figures without saving; POST: request."""
    cooperative, membership = require_membership(request)
    project = _project(cooperative, membership, project_id)
    employments_ = own_employments(cooperative, membership, project)
    if not employments_:
        raise Http404
    by_id = {e.pk: e for e in employments_}
    preview = None
    if request.method == "POST":
        form = salary_form(employments_, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            employment = by_id[data["employment"]]
            try:
                month = parse_month(data["month"])
                if "preview" in request.POST:
                    gross = data["gross"]
                    if data["use_max"]:
                        options = salary_options(cooperative=cooperative, employment=employment, month=month)
                        gross = options.max_gross
                    if gross is not None:
                        preview = salary_preview(
                            cooperative=cooperative, employment=employment, month=month, gross=gross
                        )
                    else:
                        form.add_error(
                            None, _("The available budget does not cover a salary for this month.")
                        )
                else:
                    salaries.salary_request(
                        cooperative=cooperative,
                        actor=membership,
                        employment=employment,
                        month=month,
                        gross=salaries.MAX if data["use_max"] else data["gross"],
                        idempotent=form.idempotent(project.pk),
                    )
                    messages.success(request, _("Salary approved: it is paid with the month's payroll."))
                    return redirect(reverse("project_detail", args=[project.pk]) + "#employments")
            except ApplicationError as exc:
                add_service_errors(form, exc)
    else:
        raw = request.GET.get("employment", "")
        chosen = by_id.get(int(raw)) if raw.isdigit() else None
        form = salary_form(employments_, employment=chosen)
    return render(
        request,
        "payroll/employments/salary_form.html",
        {"project": project, "form": form, "preview": preview, "currency": cooperative.currency},
    )
