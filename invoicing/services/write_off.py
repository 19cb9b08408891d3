"""Default (Ausfallshaftung): the open amount of an invoice goes to the guarantee fund."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.models import (
    Invoice,
    WriteOff,
)
from invoicing.notifications import notify_invoice_owner
from invoicing.services._common import (
    OPEN_STATUSES,
    _check_same,
    _locked,
    _refresh_status,
)
from projects.ledger import Posting, account_get
from projects.ledger import journal_post as _journal_post
from projects.models import Account, JournalLine
from smartprod.core import capabilities
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.core.money import ZERO, quantize_money
from smartprod.tenancy.models import Cooperative, Membership


@transaction.atomic
def invoice_write_off(
    *, cooperative: Cooperative, actor: Membership, invoice: Invoice, reason: str, on: date | None = None
) -> WriteOff:
    """Default (Ausfallshaftung): the open amount leaves receivables into the guarantee fund, its VAT part
    corrected; the project budget keeps the income — the cooperative's guarantee to its member."""
    _check_same(cooperative, actor)
    if not capabilities.can_handle_money(actor):
        raise NotAllowed(_("Only finance staff write off invoices."))
    if not reason.strip():
        raise ApplicationError(_("Say why the invoice is written off."), details={"reason": [_("Required.")]})
    invoice = _locked(cooperative, invoice)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status not in OPEN_STATUSES:
        raise ApplicationError(_("Only open issued invoices can be written off."), conflict=True)
    gross = invoice.open_amount
    if gross <= 0:
        raise ApplicationError(_("Nothing is open on this invoice."), conflict=True)
    vat_part = (
        quantize_money(gross * invoice.vat_total / invoice.gross_total) if invoice.gross_total else ZERO
    )
    net_part = gross - vat_part
    today = on or timezone.localdate()
    postings = [
        Posting(
            account_get(cooperative=cooperative, type=Account.Type.GUARANTEE_FUND),
            debit=net_part,
            project=invoice.project,
            description=f"Default {invoice.number}",
            event=JournalLine.Event.WRITE_OFF,
            reference=invoice.number or "",
        ),
        Posting(
            account_get(cooperative=cooperative, type=Account.Type.RECEIVABLE, client=invoice.client),
            credit=gross,
            project=invoice.project,
            description=f"Default {invoice.number}",
            event=JournalLine.Event.WRITE_OFF,
            reference=invoice.number or "",
        ),
    ]
    if vat_part:
        postings.append(
            Posting(
                account_get(cooperative=cooperative, type=Account.Type.VAT_PAYABLE),
                debit=vat_part,
                project=invoice.project,
                description=f"VAT correction {invoice.number}",
                event=JournalLine.Event.VAT_CORRECTION,
                reference=invoice.number or "",
            )
        )
    entry, _created = _journal_post(
        cooperative=cooperative,
        idempotency_key=f"invoice:{invoice.pk}:written_off",
        date=today,
        description=f"Write-off {invoice.number}: {reason}"[:300],
        postings=[p for p in postings if p.debit or p.credit],
        source=invoice,
        actor=actor.user,
    )
    write_off = WriteOff.objects.create(
        cooperative=cooperative,
        invoice=invoice,
        gross_amount=gross,
        net_amount=net_part,
        vat_amount=vat_part,
        reason=reason.strip(),
        date=today,
        actor=actor.user,
        journal_entry=entry,
    )
    invoice.written_off_total = gross
    _refresh_status(invoice)
    invoice.save(update_fields=["written_off_total", "status"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="invoice.written_off",
        obj=invoice,
        data={"gross": str(gross), "net": str(net_part), "vat": str(vat_part), "reason": reason},
    )
    notify_invoice_owner(
        cooperative=cooperative,
        invoice=invoice,
        kind="invoice.written_off",
        event_id=write_off.pk,
        amount=gross,
    )
    return write_off
