"""Issuing an invoice: a gapless number, the ledger posting, then the PDF after commit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import public_sector, vat
from invoicing.lib.rf import rf_reference_for_invoice
from invoicing.models import (
    Invoice,
    InvoiceLine,
)
from invoicing.notifications import notify_invoice_owner
from invoicing.services._common import (
    _check_document_builds,
    _check_same,
    _client_snapshot,
    _invoice_postings,
    _locked_with_project,
    invoicing_settings,
)
from invoicing.tasks import render_invoice_document_task
from projects.ledger import journal_post as _journal_post
from projects.models import Project
from smartprod.core import capabilities
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed, status_in_sentence
from smartprod.core.money import percent_of
from smartprod.core.numbering import number_next
from smartprod.tenancy.models import Cooperative, Membership

LARGE_INVOICE = Decimal("10000.00")


@transaction.atomic(durable=True)
def invoice_issue(
    *, cooperative: Cooperative, actor: Membership, invoice: Invoice, on: date | None = None
) -> Invoice:
    """Issue: the next gapless number, the due date, the ledger posting and the audit row, in one transaction.

    Preconditions: the project is approved; a submitted invoice is issued by an advisor/finance person who
    is not its author (four eyes) — or, when the cooperative allows it, a draft by the project's owner.
    Afterwards the invoice is immutable; the PDF is rendered and mailed by a worker after commit.
    """
    _check_same(cooperative, actor)
    project, invoice = _locked_with_project(cooperative, invoice)
    if invoice.kind != Invoice.Kind.INVOICE:
        raise ApplicationError(_("Credit notes are issued from their invoice."))
    if invoice.status not in (Invoice.Status.DRAFT, Invoice.Status.SUBMITTED):
        raise ApplicationError(
            _("This invoice is already issued (%(number)s).") % {"number": invoice.number}, conflict=True
        )
    if project.status != Project.Status.APPROVED:
        raise ApplicationError(
            _("Only invoices of approved projects can be issued; the project is %(status)s.")
            % {"status": status_in_sentence(project.get_status_display())},
            conflict=True,
        )
    series = invoicing_settings(cooperative=cooperative)
    owner_self_issue = series.members_may_issue and project.owner_id == actor.pk
    if not owner_self_issue:
        if not capabilities.can_issue_invoice(actor):
            raise NotAllowed(_("An advisor or a finance person issues invoices."))
        if invoice.created_by_id == actor.user_id or project.owner_id == actor.pk:
            raise ApplicationError(_("Four eyes: someone other than the invoice's author issues it."))
        if invoice.status != Invoice.Status.SUBMITTED:
            raise ApplicationError(_("The member submits the draft first."), conflict=True)
    lines = list(InvoiceLine.objects.for_cooperative(cooperative).filter(invoice=invoice))
    if not lines or invoice.gross_total <= 0:
        raise ApplicationError(_("An invoice of nothing cannot be issued."))
    # Again at issue: the client (country, kind, UID) may have changed since the draft was saved.
    vat.check_vat_treatment(
        cooperative=cooperative, invoice=invoice, lines=lines, exemption_note=invoice.exemption_note
    )
    client = invoice.client
    if client.kind == client.Kind.BUSINESS and invoice.gross_total > LARGE_INVOICE and not client.vat_id:
        # § 11 Abs. 1 Z 2 UStG: above € 10,000 gross the recipient's VAT id must be on the invoice.
        raise ApplicationError(
            _("Invoices above 10,000.00 to a business need the client's VAT id; add it to the client first."),
            details={"client": [_("VAT id missing.")]},
            conflict=True,
        )
    # Public bodies take a structured e-invoice only: refuse before a number is spent.
    public_sector.check_public_sector(cooperative=cooperative, invoice=invoice)
    today = on or timezone.localdate()
    number = number_next(cooperative=cooperative, series=Invoice.Kind.INVOICE, year=today.year)
    invoice.project = project
    invoice.number = series.invoice_number_format.format(year=today.year, number=number)
    invoice.issue_date = today
    invoice.due_date = today + timedelta(days=cooperative.payment_terms_days)
    invoice.rf_reference = rf_reference_for_invoice(cooperative.pk, invoice.number)
    invoice.contribution_rate = cooperative.contribution_rate
    invoice.contribution = percent_of(invoice.net_total, cooperative.contribution_rate)
    _client_snapshot(invoice)
    public_sector.snapshot_einvoice_data(invoice)
    invoice.legal_note = vat.legal_note(cooperative=cooperative, invoice=invoice, lines=lines)
    invoice.status = Invoice.Status.ISSUED
    invoice.issued_by, invoice.issued_at = actor.user, timezone.now()
    entry, _created = _journal_post(
        cooperative=cooperative,
        idempotency_key=f"invoice:{invoice.pk}:issued",
        date=today,
        description=f"Invoice {invoice.number} to {invoice.client_name}",
        postings=_invoice_postings(cooperative, invoice, sign=1),
        source=invoice,
        actor=actor.user,
    )
    invoice.journal_entry = entry
    invoice.save()
    _check_document_builds(invoice)
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="invoice.issued",
        obj=invoice,
        data={"number": invoice.number, "gross": str(invoice.gross_total)},
    )
    notify_invoice_owner(cooperative=cooperative, invoice=invoice, kind="invoice.issued", event_id=invoice.pk)
    render_invoice_document_task.delay_on_commit(cooperative_id=cooperative.pk, invoice_id=invoice.pk)
    return invoice
