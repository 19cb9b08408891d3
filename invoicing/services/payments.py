"""Client payments: booked by hand or from the bank, dunning charges first (§ 1416 ABGB); returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.models import (
    BankEntry,
    DunningNotice,
    Invoice,
    Payment,
)
from invoicing.notifications import notify_invoice_owner
from invoicing.services._common import (
    OPEN_STATUSES,
    _check_same,
    _decimal,
    _locked,
    _refresh_status,
)
from projects.ledger import Posting, account_get, journal_reverse
from projects.ledger import journal_post as _journal_post
from projects.models import Account, JournalLine
from smartprod.core import capabilities
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed, status_in_sentence
from smartprod.core.idempotency import IdempotentRequest, idempotency_claim, idempotency_complete
from smartprod.core.money import ZERO, quantize_money
from smartprod.tenancy.models import Cooperative, Membership


@dataclass(frozen=True)
class DunningCharges:
    """Dunning costs (fees, the § 458 UGB flat fee) and default interest a letter claimed and not yet paid."""

    costs: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.costs + self.interest


def dunning_charges_open(*, invoice: Invoice) -> DunningCharges:
    """What the client still owes beyond the invoice: the charges of the latest letter, less paid ones.

    The latest letter that went out (e-mailed, or rendered for posting) states everything claimed so far;
    payments that were returned by the bank paid nothing.
    """
    notice = (
        DunningNotice.objects.for_cooperative(invoice.cooperative_id)
        .filter(invoice=invoice)
        .filter(Q(sent_at__isnull=False) | ~Q(pdf=""))
        .order_by("-level")
        .first()
    )
    if notice is None:
        return DunningCharges(ZERO, ZERO)
    paid = (
        Payment.objects.for_cooperative(invoice.cooperative_id)
        .filter(invoice=invoice, returned_on__isnull=True)
        .aggregate(fees=Sum("fees_paid"), interest=Sum("interest_paid"))
    )
    return DunningCharges(
        costs=max(notice.fee + notice.flat_fee - (paid["fees"] or ZERO), ZERO),
        interest=max(notice.interest - (paid["interest"] or ZERO), ZERO),
    )


def _allocate(amount: Decimal, charges: DunningCharges) -> tuple[Decimal, Decimal, Decimal]:
    """(costs, interest, principal) parts of a payment in the statutory order of § 1416 ABGB.

    § 1416 ABGB: where the debtor's dedication is doubtful or the creditor objects to it, a payment goes
    "zuerst [auf] die Zinsen, dann [auf] das Kapital" (OGH 8 Ob 34/19m, 3 Ob 113/13h: the statutory order
    applies unless the parties agreed otherwise or the creditor accepted the debtor's dedication). A
    transfer quoting the invoice number or RF reference names the claim, not one of its items, so the
    statutory order applies. § 1416 names only interest and capital; the dunning costs (reminder fees, the
    € 40 flat fee of § 458 UGB) are accessory claims too and are taken before the interest — our choice,
    the order § 367 (1) BGB states expressly ("Kosten, Zinsen, Hauptleistung"). Partial payments fill the
    items in this order, one after the other.
    """
    costs = min(amount, charges.costs)
    interest = min(amount - costs, charges.interest)
    return costs, interest, amount - costs - interest


@transaction.atomic
def payment_record(
    *,
    cooperative: Cooperative,
    actor: Membership | None,
    invoice: Invoice,
    amount: Decimal | str,
    date: date,
    allow_overpayment: bool = False,
    bank_entry: Any = None,
    idempotency_key: str | None = None,
    idempotent: IdempotentRequest | None = None,
) -> Payment:
    """Book a client payment. More than what is owed only when confirmed (the client's credit) or when the
    bank says the money arrived.

    When dunning letters claimed costs or default interest, the payment pays those first (§ 1416 ABGB,
    see `_allocate`): bank → dunning income for that part, bank → receivable for the rest, in one
    journal entry under one idempotency key (the bank entry's reference, or the invoice's next payment),
    so booking the same event again books nothing.

    `idempotent` carries a client's key (API header, page form token): the same key and request again
    returns the payment booked the first time — also when both arrive at once —, the same key with another
    request raises IdempotencyConflict. `idempotency_key` overrides the ledger key of the posting.
    """
    _check_same(cooperative, invoice)
    if actor is not None:
        _check_same(cooperative, actor)
        if not capabilities.can_handle_money(actor):
            raise NotAllowed(_("Only finance staff record payments."))
    claim = None
    if idempotent is not None:
        # Before the invoice lock and any check of the invoice's state: a replay of a payment that has
        # settled the invoice meanwhile answers with that payment, not with "more than open".
        claim = idempotency_claim(
            cooperative=cooperative,
            operation="invoicing.payment_record",
            idempotent=IdempotentRequest(idempotent.key, {**idempotent.request, "invoice": invoice.pk}),
        )
        if claim.result_id:
            return Payment.objects.for_cooperative(cooperative).get(pk=int(claim.result_id))
    amount = quantize_money(_decimal(amount, "amount", _("amount")))
    if amount <= 0:
        raise ApplicationError(_("A payment must be positive."), details={"amount": [_("Must be above 0.")]})
    invoice = _locked(cooperative, invoice)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status not in (*OPEN_STATUSES, Invoice.Status.PAID):
        raise ApplicationError(
            _("Payments are recorded against issued invoices; this one is %(status)s.")
            % {"status": status_in_sentence(invoice.get_status_display())},
            conflict=True,
        )
    if date < (invoice.issue_date or date) - timedelta(days=366) or date > timezone.localdate() + timedelta(
        days=1
    ):
        raise ApplicationError(
            _("The payment date %(date)s is not plausible.") % {"date": date.isoformat()},
            details={"date": [_("Check the date.")]},
        )
    sequence = Payment.objects.for_cooperative(cooperative).filter(invoice=invoice).count() + 1
    key = idempotency_key or (
        f"payment:bank:{bank_entry.entry_reference}"
        if bank_entry is not None
        else f"payment:invoice:{invoice.pk}:{sequence}"
    )
    earlier = (
        Payment.objects.for_cooperative(cooperative).filter(journal_entry__idempotency_key=key[:120]).first()
    )
    if earlier is not None:
        return earlier
    charges = dunning_charges_open(invoice=invoice)
    owed = invoice.open_amount + charges.total
    if amount > owed and not allow_overpayment and bank_entry is None:
        raise ApplicationError(
            _(
                "The payment (%(amount)s) is more than the open amount (%(open)s). "
                "Confirm it as an overpayment to "
                "book the difference as the client's credit."
            )
            % {"amount": amount, "open": owed},
            details={"amount": [_("More than open.")]},
            conflict=True,
        )
    costs, interest, principal = _allocate(amount, charges)
    postings = [
        Posting(
            account_get(cooperative=cooperative, type=Account.Type.BANK),
            debit=amount,
            project=invoice.project,
            description=f"Payment {invoice.number}",
            event=JournalLine.Event.PAYMENT,
            reference=invoice.number or "",
        ),
        Posting(
            account_get(cooperative=cooperative, type=Account.Type.RECEIVABLE, client=invoice.client),
            credit=principal,
            project=invoice.project,
            description=f"Payment {invoice.number}",
            event=JournalLine.Event.PAYMENT,
            reference=invoice.number or "",
        ),
    ]
    if costs + interest:  # the dunning-income account is looked up only when a letter's charges are paid
        postings.append(
            Posting(
                account_get(cooperative=cooperative, type=Account.Type.DUNNING_INCOME),
                credit=costs + interest,
                project=invoice.project,
                description=f"Dunning costs and interest {invoice.number}",
                event=JournalLine.Event.PAYMENT,
                reference=invoice.number or "",
            )
        )
    entry, created = _journal_post(
        cooperative=cooperative,
        idempotency_key=key[:120],
        date=date,
        description=f"Payment for {invoice.number}",
        postings=[p for p in postings if p.debit or p.credit],
        source=invoice,
        actor=actor.user if actor else None,
    )
    if not created:
        existing = Payment.objects.for_cooperative(cooperative).filter(journal_entry=entry).first()
        if existing is not None:
            return existing
    payment = Payment.objects.create(
        cooperative=cooperative,
        invoice=invoice,
        amount=amount,
        fees_paid=costs,
        interest_paid=interest,
        date=date,
        source=Payment.Source.BANK if bank_entry is not None else Payment.Source.MANUAL,
        bank_entry=bank_entry,
        recorded_by=actor.user if actor else None,
        journal_entry=entry,
    )
    if claim is not None:
        idempotency_complete(record=claim, result=payment)
    invoice.paid_total += principal
    _refresh_status(invoice)
    invoice.save(update_fields=["paid_total", "status"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user if actor else None,
        event="payment.recorded",
        obj=invoice,
        data={
            "amount": str(amount),
            "date": date.isoformat(),
            "payment": payment.pk,
            "dunning_costs": str(costs),
            "interest": str(interest),
        },
    )
    if principal > 0 and invoice.status in (Invoice.Status.PAID, Invoice.Status.PARTIALLY_PAID):
        notify_invoice_owner(
            cooperative=cooperative,
            invoice=invoice,
            kind="invoice.paid" if invoice.status == Invoice.Status.PAID else "invoice.partially_paid",
            event_id=payment.pk,
            payment=amount,
        )
    return payment


@transaction.atomic
def payment_return(
    *, cooperative: Cooperative, actor: Membership | None, payment: Payment, bank_entry: BankEntry, on: date
) -> Payment:
    """The bank took a payment back (a returned or reversed credit): reverse it and reopen the invoice.

    The payment's journal entry is reversed by a new, mirrored entry (posted entries are never edited):
    bank credited, receivable and dunning income debited. The invoice's paid total drops by what the payment
    paid on it, its status follows (issued or partially paid again), so dunning resumes at its level. A
    payment is returned once: a second return (or the same file again) changes nothing.
    Lock order: invoice, then payment.
    """
    _check_same(cooperative, payment, bank_entry)
    if actor is not None:
        _check_same(cooperative, actor)
        if not capabilities.can_handle_money(actor):
            raise NotAllowed(_("Only finance staff book returned payments."))
    invoice = _locked(cooperative, payment.invoice)
    payment = Payment.objects.for_cooperative(cooperative).select_for_update().get(pk=payment.pk)
    if payment.returned_on is not None:
        if payment.returned_by_id == bank_entry.pk:
            return payment
        raise ApplicationError(_("This payment was returned before."), conflict=True)
    if invoice.status in (Invoice.Status.WRITTEN_OFF, Invoice.Status.CANCELLED):
        raise ApplicationError(
            _("The invoice is %(status)s; a person books this return.")
            % {"status": status_in_sentence(invoice.get_status_display())},
            conflict=True,
        )
    reversal = journal_reverse(
        cooperative=cooperative,
        entry=payment.journal_entry,
        date=on,
        reason=f"returned by the bank: {bank_entry.return_reason or 'reversal'} {bank_entry.entry_reference}",
        actor=actor.user if actor else None,
    )
    payment.returned_by = bank_entry
    payment.returned_on = on
    payment.return_journal_entry = reversal
    payment.save(update_fields=["returned_by", "returned_on", "return_journal_entry"])
    invoice.paid_total -= payment.principal
    _refresh_status(invoice)
    invoice.save(update_fields=["paid_total", "status"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user if actor else None,
        event="payment.returned",
        obj=invoice,
        data={
            "payment": payment.pk,
            "amount": str(payment.amount),
            "bank_entry": bank_entry.entry_reference,
            "reason": bank_entry.return_reason,
            "status": invoice.status,
        },
    )
    return payment
