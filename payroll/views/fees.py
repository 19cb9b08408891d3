"""The member portal's payout pages: request a fee (prefilled with the most the budget allows), a fee note
with its PDF and the payee's objection.

Thin: lookups go through payroll.selectors / projects.selectors (cooperative first, then the person), so
another cooperative's or another member's fee note answers 404; every write is one service call.
"""

from __future__ import annotations

import io
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from payroll.documents import fee_note_pdf_bytes
from payroll.forms import FeeNoteForm
from payroll.models import FeeNote, PayoutItem
from payroll.selectors.fees import fee_note_get, pay_options
from payroll.services import fees
from payroll.vat_rates import COUNTRY_VAT
from projects.forms import add_service_errors
from projects.models import Collaboration, Project
from projects.selectors import is_staff, project_get
from smartprod.core.errors import ApplicationError
from smartprod.tenancy.context import require_membership
from smartprod.tenancy.models import Cooperative, Membership


def _payees(cooperative: Cooperative, membership: Membership, project: Project) -> list[tuple[int, str]]:
    """Whom this person may request a fee for: themselves; the owner and staff: everyone self-employed."""
    people: list[Membership] = []
    if project.owner_id == membership.pk or is_staff(membership):
        people.append(project.owner)
        collaborations = (
            Collaboration.objects.for_cooperative(cooperative)
            .filter(project=project, employment=Collaboration.Employment.SELF_EMPLOYED)
            .select_related("membership__user")
        )
        people.extend(c.membership for c in collaborations)
    if membership not in people:
        people.insert(0, membership)
    return [(p.pk, p.user.get_full_name() or p.user.email) for p in people]


@login_required
@require_http_methods(["GET", "POST"])
def fee_note_create(request: HttpRequest, project_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    try:
        project = project_get(cooperative=cooperative, membership=membership, project_id=project_id)
    except Project.DoesNotExist as exc:
        raise Http404 from exc
    payees = _payees(cooperative, membership, project)
    facts = COUNTRY_VAT.get(cooperative.country)
    rates = list(facts.rates) if facts else []
    options = pay_options(cooperative=cooperative, project=project, payee=membership)
    if request.method == "POST":
        form = FeeNoteForm(request.POST, payees=payees, rates=rates)
        if form.is_valid():
            idempotent = form.idempotent(project.pk)
            data = dict(form.cleaned_data)
            data.pop("token", None)
            payee = Membership.objects.for_cooperative(cooperative).get(pk=data.pop("payee"))
            try:
                note = fees.fee_note_request(
                    cooperative=cooperative,
                    actor=membership,
                    project=project,
                    payee=payee,
                    idempotent=idempotent,
                    **data,
                )
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Payout requested. An advisor checks and approves it."))
                return redirect("fee_note_detail", fee_note_id=note.pk)
    else:
        form = FeeNoteForm(
            initial={
                "payee": membership.pk,
                "service_period_start": project.service_period_start,
                "service_period_end": project.service_period_end,
                "net_amount": options.max_fee_net,
                "vat_rate": options.vat_rate or None,
                "token": uuid.uuid4().hex,
            },
            payees=payees,
            rates=rates,
        )
    return render(
        request,
        "payroll/fees/fee_note_form.html",
        {"project": project, "form": form, "options": options, "currency": cooperative.currency},
    )


def _fee_note(cooperative: Cooperative, membership: Membership, fee_note_id: int) -> FeeNote:
    try:
        return fee_note_get(cooperative=cooperative, membership=membership, fee_note_id=fee_note_id)
    except FeeNote.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_http_methods(["GET"])
def fee_note_detail(request: HttpRequest, fee_note_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    note = _fee_note(cooperative, membership, fee_note_id)
    item = PayoutItem.objects.for_cooperative(cooperative).filter(fee_note=note).first()
    return render(
        request,
        "payroll/fees/fee_note_detail.html",
        {
            "note": note,
            "item": item,
            "may_object": note.payee_id == membership.pk
            and note.status == FeeNote.Status.APPROVED
            and item is not None
            and item.status == PayoutItem.Status.APPROVED,
            "backend": is_staff(membership),
        },
    )


@login_required
@require_POST
def fee_note_object(request: HttpRequest, fee_note_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    note = _fee_note(cooperative, membership, fee_note_id)
    try:
        fees.fee_note_object(
            cooperative=cooperative,
            actor=membership,
            fee_note=note,
            reason=request.POST.get("reason", "")[:300],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Your objection is recorded: the fee note is reversed, its payout cancelled.")
        )
    return redirect("fee_note_detail", fee_note_id=note.pk)


@login_required
@require_http_methods(["GET"])
def fee_note_pdf(request: HttpRequest, fee_note_id: int) -> HttpResponseBase:
    cooperative, membership = require_membership(request)
    note = _fee_note(cooperative, membership, fee_note_id)
    try:
        content = fee_note_pdf_bytes(cooperative=cooperative, fee_note=note)
    except FileNotFoundError as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.info(request, exc.message)
        return redirect("fee_note_detail", fee_note_id=note.pk)
    response = FileResponse(
        io.BytesIO(content), as_attachment=True, filename=f"{note.number}.pdf", content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
