"""The member portal's invoice pages: draft (with its lines), edit, the invoice itself, submit, the PDF.

Thin: every lookup goes through invoicing.selectors or projects.selectors (cooperative first, then the
person), so another cooperative's or another member's invoice answers 404; every write is one service call.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from invoicing import selectors, services, vat
from invoicing.documents import (
    einvoice_file_name,
    invoice_ebinterface_xml,
    invoice_pdf_bytes,
    invoice_xrechnung_xml,
)
from invoicing.dunning.letters import DUNNING_LETTER, dunning_letter_file_name
from invoicing.forms import (
    EXEMPT,
    REVERSE_CHARGE,
    UNIT_CHOICES,
    BaseLineFormSet,
    InvoiceForm,
    initial_lines,
    line_formset,
    rate_key,
    vat_choices,
)
from invoicing.lib.rf import rf_format
from invoicing.models import DunningNotice, Invoice
from invoicing.serializers import invoice_pdf_file_name
from projects.forms import add_service_errors
from projects.models import Project
from projects.selectors import is_staff, project_get
from projects.vat import client_vat_situation
from smartprod.core import capabilities
from smartprod.core.documents import document_bytes
from smartprod.core.errors import ApplicationError, status_in_sentence
from smartprod.core.validators import ISO_DATE
from smartprod.tenancy.context import require_membership
from smartprod.tenancy.models import Cooperative, Membership

NEW_INVOICE_ROWS = 3


def _invoice(cooperative: Cooperative, membership: Membership, invoice_id: int) -> Invoice:
    try:
        return selectors.invoice_detail(cooperative=cooperative, membership=membership, invoice_id=invoice_id)
    except Invoice.DoesNotExist as exc:
        raise Http404 from exc


def _abilities(invoice: Invoice, membership: Membership) -> dict[str, bool]:
    """Which buttons to show. Presentation only: the services decide again, and have the last word."""
    is_owner = invoice.project.owner_id == membership.pk
    is_author = is_owner or invoice.created_by_id == membership.user_id
    is_invoice = invoice.kind == Invoice.Kind.INVOICE
    return {
        "edit": is_invoice and invoice.is_editable and (is_owner or is_staff(membership)),
        "submit": is_invoice and invoice.status == Invoice.Status.DRAFT and is_author,
        "pdf": bool(invoice.pdf and invoice.pdf_sha256),
        "backend": is_staff(membership),
        "einvoice": invoice.number is not None and invoice.einvoice_format != Invoice.EInvoiceFormat.FACTURX,
        "note_upload": invoice.number is not None
        and invoice.einvoice_format == Invoice.EInvoiceFormat.EBINTERFACE
        and capabilities.can_handle_money(membership),
    }


def _default_vat(cooperative: Cooperative, project: Project, rates: list[tuple[Any, str]]) -> str:
    if project.vat_treatment == Project.VatTreatment.EXEMPT:
        return EXEMPT
    # A business abroad: the service is normally taxed where the client is (§ 3a Abs. 6 UStG).
    abroad = vat.default_vat_key(
        client_vat_situation(home_country=cooperative.country, client=project.client)
    )
    if abroad:
        return abroad
    if project.vat_treatment == Project.VatTreatment.REVERSE_CHARGE:
        return REVERSE_CHARGE
    if not rates:
        return EXEMPT
    if project.vat_treatment == Project.VatTreatment.REDUCED and len(rates) > 1:
        return rate_key(rates[-1][0])
    return rate_key(rates[0][0])  # the highest rate valid: the standard rate


def _form_page(
    request: HttpRequest,
    cooperative: Cooperative,
    membership: Membership,
    project: Project,
    invoice: Invoice | None,
) -> HttpResponse:
    """Create (invoice is None) or edit: the invoice's dates and references with its lines, saved together."""
    today = timezone.localdate()
    rates = selectors.vat_rates_between(
        country=cooperative.country,
        start=min(project.service_period_start, today),
        end=max(project.service_period_end, today),
    )
    form_kwargs = {"vat": vat_choices(rates), "default_vat": _default_vat(cooperative, project, rates)}
    data = request.POST if request.method == "POST" else None
    if invoice is None:
        initial: dict[str, Any] = {}
        formset_class = line_formset(extra=NEW_INVOICE_ROWS)
        lines_initial: list[dict[str, Any]] = []
    else:
        initial = InvoiceForm.initial_for(invoice)
        formset_class = line_formset(extra=1)
        lines_initial = initial_lines(invoice)
    form = InvoiceForm(
        data, initial=initial, exemption_notes=selectors.exemption_notes_active(cooperative=cooperative)
    )
    formset: BaseLineFormSet = formset_class(
        data, prefix="lines", initial=lines_initial, form_kwargs=form_kwargs
    )
    if data is not None and form.is_valid() and formset.is_valid():
        try:
            if invoice is None:
                invoice = services.invoice_create_draft(
                    cooperative=cooperative,
                    actor=membership,
                    project=project,
                    lines=formset.lines(),
                    **form.service_fields(),
                )
                messages.success(request, _("Invoice draft saved. Check it, then submit it for issuing."))
            else:
                invoice = services.invoice_update_draft(
                    cooperative=cooperative,
                    actor=membership,
                    invoice=invoice,
                    lines=formset.lines(),
                    **form.service_fields(),
                )
                messages.success(request, _("Invoice draft saved."))
            for warning in selectors.invoice_vat_warnings(invoice=invoice):
                messages.warning(request, warning)
        except Project.DoesNotExist as exc:
            raise Http404 from exc
        except ApplicationError as exc:
            # Above the form: the service's message names the line it refuses ("Line 2: …").
            add_service_errors(form, exc)
        else:
            return redirect("invoice_detail", invoice_id=invoice.pk)
    return render(
        request,
        "invoicing/invoice_form.html",
        {
            "form": form,
            "formset": formset,
            "project": project,
            "invoice": invoice,
            "currency": cooperative.currency,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def invoice_create(request: HttpRequest, project_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    try:
        project = project_get(cooperative=cooperative, membership=membership, project_id=project_id)
    except Project.DoesNotExist as exc:
        raise Http404 from exc
    if not selectors.may_draft_invoices(membership=membership, project=project):
        if project.status != Project.Status.APPROVED:
            messages.error(
                request,
                _("Only approved projects can be invoiced; this one is %(status)s.")
                % {"status": status_in_sentence(project.get_status_display())},
            )
        else:
            messages.error(request, _("Only the project's owner drafts its invoices."))
        return redirect("project_detail", project_id=project.pk)
    return _form_page(request, cooperative, membership, project, None)


@login_required
@require_http_methods(["GET", "POST"])
def invoice_update(request: HttpRequest, invoice_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    invoice = _invoice(cooperative, membership, invoice_id)
    if not _abilities(invoice, membership)["edit"]:
        if invoice.is_editable:
            raise Http404  # a collaborator sees the invoice but has no edit page
        messages.error(request, _("An issued invoice cannot be changed; corrections are credit notes."))
        return redirect("invoice_detail", invoice_id=invoice.pk)
    return _form_page(request, cooperative, membership, invoice.project, invoice)


@login_required
@require_http_methods(["GET"])
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    invoice = _invoice(cooperative, membership, invoice_id)
    lines = list(invoice.lines.all())
    units = dict(UNIT_CHOICES)
    return render(
        request,
        "invoicing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": [(line, units.get(line.unit, line.unit)) for line in lines],
            "rf_reference": rf_format(invoice.rf_reference) if invoice.rf_reference else "",
            "vat_groups": [
                {"category": c, "rate": r, "basis": b, "vat": v}
                for c, r, b, v in services.vat_breakdown(lines)
            ],
            "vat_warnings": selectors.invoice_vat_warnings(invoice=invoice) if invoice.is_editable else [],
            "payments": list(invoice.payments.all()),
            "credit_notes": list(invoice.credit_notes.all()),
            "notices": list(invoice.dunning_notices.all()),
            "can": _abilities(invoice, membership),
            "overdue": bool(
                invoice.due_date
                and invoice.due_date < timezone.localdate()
                and invoice.status in (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)
            ),
            "currency": invoice.currency,
        },
    )


@login_required
@require_POST
def invoice_submit(request: HttpRequest, invoice_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    invoice = _invoice(cooperative, membership, invoice_id)
    try:
        services.invoice_submit(cooperative=cooperative, actor=membership, invoice=invoice)
    except Project.DoesNotExist as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invoice submitted. An advisor checks and issues it."))
    return redirect("invoice_detail", invoice_id=invoice.pk)


@login_required
@require_http_methods(["GET"])
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponseBase:
    cooperative, membership = require_membership(request)
    try:
        invoice = selectors.invoice_get(cooperative=cooperative, membership=membership, invoice_id=invoice_id)
        content = invoice_pdf_bytes(cooperative=cooperative, invoice=invoice)
    except (Invoice.DoesNotExist, FileNotFoundError) as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.info(request, exc.message)
        return redirect("invoice_detail", invoice_id=invoice_id)
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=invoice_pdf_file_name(invoice),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET"])
def invoice_einvoice(request: HttpRequest, invoice_id: int) -> HttpResponseBase:
    """The public body's structured e-invoice (ebInterface or XRechnung) of an issued invoice."""
    cooperative, membership = require_membership(request)
    try:
        invoice = selectors.invoice_get(cooperative=cooperative, membership=membership, invoice_id=invoice_id)
        if invoice.einvoice_format == Invoice.EInvoiceFormat.EBINTERFACE:
            content = invoice_ebinterface_xml(cooperative=cooperative, invoice=invoice)
        else:
            content = invoice_xrechnung_xml(cooperative=cooperative, invoice=invoice)
    except Invoice.DoesNotExist as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("invoice_detail", invoice_id=invoice_id)
    response = HttpResponse(content, content_type="application/xml; charset=utf-8")
    filename = einvoice_file_name(invoice, invoice.einvoice_format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _iso_date(raw: str) -> date:
    if not ISO_DATE.fullmatch(raw):
        raise ApplicationError(_("Enter the date as YYYY-MM-DD, e.g. 2026-11-01."))
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ApplicationError(_("Enter the date as YYYY-MM-DD, e.g. 2026-11-01.")) from exc


@login_required
@require_POST
def invoice_portal_upload(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Finance notes the day it uploaded the ebInterface XML to e-rechnung.gv.at."""
    cooperative, membership = require_membership(request)
    invoice = _invoice(cooperative, membership, invoice_id)
    raw = request.POST.get("uploaded_on", "").strip()
    try:
        uploaded_on = _iso_date(raw) if raw else None
        services.invoice_note_portal_upload(
            cooperative=cooperative, actor=membership, invoice=invoice, uploaded_on=uploaded_on
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Upload date noted.") if uploaded_on else _("Upload date cleared."))
    return redirect("invoice_detail", invoice_id=invoice.pk)


@login_required
@require_http_methods(["GET"])
def dunning_letter_pdf(request: HttpRequest, notice_id: int) -> HttpResponseBase:
    """A dunning letter as sent, for whoever may see its invoice (the documents area links here)."""
    cooperative, membership = require_membership(request)
    try:
        notice = selectors.dunning_notice_get(
            cooperative=cooperative, membership=membership, notice_id=notice_id
        )
        content = document_bytes(DUNNING_LETTER, notice)
    except (DunningNotice.DoesNotExist, FileNotFoundError) as exc:
        raise Http404 from exc
    if content is None:  # not sent yet: there is no letter
        raise Http404
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=dunning_letter_file_name(notice),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
