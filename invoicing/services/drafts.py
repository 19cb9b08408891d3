"""Drafting an invoice: create, edit its lines, submit it for issue (four eyes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import vat
from invoicing.models import (
    Invoice,
    InvoiceLine,
)
from invoicing.services._common import (
    LineInput,
    _apply_totals,
    _build_lines,
    _check_same,
    _exemption_note,
    _locked,
)
from projects.models import Project
from smartprod.core import capabilities
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed, status_in_sentence
from smartprod.tenancy.models import Cooperative, Membership


def _check_dates(service_date: date | None, start: date | None, end: date | None) -> None:
    if service_date is None and (start is None or end is None):
        raise ApplicationError(
            _("Give the date of service or the service period."),
            details={"service_date": [_("Required (or a period).")]},
        )
    if start and end and end < start:
        raise ApplicationError(
            _("The service period ends before it starts."),
            details={"service_period_end": [_("Before the start.")]},
        )


def _may_draft(cooperative: Cooperative, actor: Membership, project: Project) -> None:
    from projects.selectors import project_list_visible

    if not project_list_visible(cooperative=cooperative, membership=actor).filter(pk=project.pk).exists():
        raise Project.DoesNotExist()
    if project.owner_id != actor.pk and not capabilities.can_issue_invoice(actor):
        raise NotAllowed(_("Only the project's owner or staff draft its invoices."))


@transaction.atomic
def invoice_create_draft(
    *,
    cooperative: Cooperative,
    actor: Membership,
    project: Project,
    lines: Sequence[LineInput],
    service_date: date | None = None,
    service_period_start: date | None = None,
    service_period_end: date | None = None,
    order_reference: str = "",
    note: str = "",
    exemption_note_id: int | None = None,
) -> Invoice:
    """A member drafts an invoice for an approved project of theirs (nothing is posted yet).

    The VAT treatment must fit the client (see invoicing.vat); exempt lines name one of the cooperative's
    exemption notes (`exemption_note_id`)."""
    _check_same(cooperative, actor, project)
    _may_draft(cooperative, actor, project)
    if project.status != Project.Status.APPROVED:
        raise ApplicationError(
            _("Only approved projects can be invoiced; this one is %(status)s.")
            % {"status": status_in_sentence(project.get_status_display())},
            details={"project": [_("Not approved.")]},
            conflict=True,
        )
    _check_dates(service_date, service_period_start, service_period_end)
    client = project.client
    invoice = Invoice(
        cooperative=cooperative,
        project=project,
        client=client,
        currency=cooperative.currency,
        service_date=service_date,
        service_period_start=service_period_start,
        service_period_end=service_period_end,
        created_by=actor.user,
        order_reference=order_reference or client.order_reference,
        buyer_reference=client.buyer_reference,
        note=note,
        exemption_note=_exemption_note(cooperative, exemption_note_id),
    )
    built = _build_lines(cooperative, invoice, lines)
    vat.check_vat_treatment(
        cooperative=cooperative, invoice=invoice, lines=built, exemption_note=invoice.exemption_note
    )
    _apply_totals(invoice, built)
    invoice.save()
    for line in built:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(built)
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="invoice.drafted",
        obj=invoice,
        data={"gross": str(invoice.gross_total)},
    )
    return invoice


@transaction.atomic
def invoice_update_draft(
    *,
    cooperative: Cooperative,
    actor: Membership,
    invoice: Invoice,
    lines: Sequence[LineInput] | None = None,
    **fields: Any,
) -> Invoice:
    """Edit a draft (or a submitted one, which goes back to draft): lines replaced as a whole."""
    _check_same(cooperative, actor)
    invoice = _locked(cooperative, invoice)
    if invoice.kind != Invoice.Kind.INVOICE or not invoice.is_editable:
        raise ApplicationError(_("An issued invoice cannot be changed; issue a credit note."), conflict=True)
    _may_draft(cooperative, actor, invoice.project)
    for key in ("service_date", "service_period_start", "service_period_end", "order_reference", "note"):
        if key in fields:
            setattr(invoice, key, fields.pop(key))
    if "exemption_note_id" in fields:
        invoice.exemption_note = _exemption_note(cooperative, fields.pop("exemption_note_id"))
    if fields:
        raise ApplicationError(
            _("%(fields)s cannot be changed here.") % {"fields": ", ".join(sorted(fields))}
        )
    _check_dates(invoice.service_date, invoice.service_period_start, invoice.service_period_end)
    if lines is not None:
        built = _build_lines(cooperative, invoice, lines)
        InvoiceLine.objects.for_cooperative(cooperative).filter(invoice=invoice).delete()
        InvoiceLine.objects.bulk_create(built)
    else:
        built = list(InvoiceLine.objects.for_cooperative(cooperative).filter(invoice=invoice))
        built = _build_lines(
            cooperative,
            invoice,
            [LineInput(ln.description, ln.quantity, ln.unit_price, _vat_key(ln), ln.unit) for ln in built],
        )
    vat.check_vat_treatment(
        cooperative=cooperative, invoice=invoice, lines=built, exemption_note=invoice.exemption_note
    )
    _apply_totals(invoice, built)
    invoice.status = Invoice.Status.DRAFT
    invoice.save()
    audit_log(cooperative=cooperative, actor=actor.user, event="invoice.updated", obj=invoice)
    return invoice


def _vat_key(line: InvoiceLine) -> str:
    if line.vat_category == InvoiceLine.VatCategory.REVERSE_CHARGE:
        return "reverse_charge"
    if line.vat_category == InvoiceLine.VatCategory.EXEMPT:
        return "exempt"
    if line.vat_category == InvoiceLine.VatCategory.NOT_TAXABLE:
        return "not_taxable"
    return str(line.vat_rate)


@transaction.atomic
def invoice_submit(*, cooperative: Cooperative, actor: Membership, invoice: Invoice) -> Invoice:
    """The author hands the draft to an advisor or finance person for issuing (four eyes)."""
    _check_same(cooperative, actor)
    invoice = _locked(cooperative, invoice)
    _may_draft(cooperative, actor, invoice.project)
    if invoice.status != Invoice.Status.DRAFT:
        raise ApplicationError(
            _("Only drafts can be submitted; this invoice is %(status)s.")
            % {"status": status_in_sentence(invoice.get_status_display())},
            conflict=True,
        )
    invoice.status = Invoice.Status.SUBMITTED
    invoice.submitted_at = timezone.now()
    invoice.save(update_fields=["status", "submitted_at"])
    audit_log(cooperative=cooperative, actor=actor.user, event="invoice.submitted", obj=invoice)
    return invoice
