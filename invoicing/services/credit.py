"""Credit notes (Storno): full or partial, with their own numbers, posting the invoice's reverse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.models import (
    Invoice,
    InvoiceLine,
)
from invoicing.services._common import (
    LineInput,
    _apply_totals,
    _build_lines,
    _check_document_builds,
    _check_same,
    _client_snapshot,
    _invoice_postings,
    _locked_with_project,
    _refresh_status,
    invoicing_settings,
)
from invoicing.tasks import render_invoice_document_task
from projects.ledger import account_balance, account_get
from projects.ledger import journal_post as _journal_post
from projects.models import Account, Project
from smartprod.core import capabilities
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.core.idempotency import IdempotentRequest, idempotency_claim, idempotency_complete
from smartprod.core.money import ZERO, percent_of, quantize_money
from smartprod.core.numbering import number_next
from smartprod.tenancy.models import Cooperative, Membership


def _check_budget_covers(cooperative: Cooperative, project: Project, reduction: Decimal) -> None:
    """Refuse a budget reduction the budget no longer holds (approved expenses, fees, salaries spent it).

    Called under the project lock, which every other budget-reducing write takes too: checked and posted
    as one step, so a credit note and an expense approval racing cannot together overdraw the budget.
    """
    budget = account_get(cooperative=cooperative, type=Account.Type.PROJECT_BUDGET, project=project)
    balance = ZERO - account_balance(cooperative=cooperative, account=budget)  # credit-normal: C − D
    if reduction > balance:
        raise ApplicationError(
            _(
                "The credit note would take %(amount)s from the project's budget, which holds only "
                "%(balance)s: the rest is already approved for payout."
            )
            % {"amount": quantize_money(reduction), "balance": balance},
            conflict=True,
        )


@transaction.atomic
def credit_note_issue(
    *,
    cooperative: Cooperative,
    actor: Membership,
    invoice: Invoice,
    reason: str,
    lines: Sequence[LineInput] | None = None,
    on: date | None = None,
    idempotent: IdempotentRequest | None = None,
) -> Invoice:
    """A credit note (Storno), full (lines=None) or partial, with its own number; posts the reverse.

    The credit notes of an invoice never add up to more than its gross total. `idempotent` carries a
    client's key: the same key and request again answer the credit note made the first time (a retried
    request makes one credit note); the same key with another request raises IdempotencyConflict. The
    EN 16931 XML is built and validated before commit: a note that could not render takes no number.
    """
    _check_same(cooperative, actor)
    if not capabilities.can_issue_invoice(actor):
        raise NotAllowed(_("An advisor or a finance person issues credit notes."))
    claim = None
    if idempotent is not None:
        # Before the lock and the checks: a replay after the invoice is fully credited answers the note.
        claim = idempotency_claim(
            cooperative=cooperative,
            operation="invoicing.credit_note_issue",
            idempotent=IdempotentRequest(idempotent.key, {**idempotent.request, "invoice": invoice.pk}),
        )
        if claim.result_id:
            return Invoice.objects.for_cooperative(cooperative).get(pk=int(claim.result_id))
    if not reason.strip():
        raise ApplicationError(_("Say why the invoice is credited."), details={"reason": [_("Required.")]})
    # The project first: a credit note lowers the budget that expense and payout checks rely on.
    project, original = _locked_with_project(cooperative, invoice)
    if original.kind != Invoice.Kind.INVOICE or original.status in (
        Invoice.Status.DRAFT,
        Invoice.Status.SUBMITTED,
        Invoice.Status.CANCELLED,
    ):
        raise ApplicationError(_("Only issued invoices can be credited."), conflict=True)
    if original.status == Invoice.Status.WRITTEN_OFF:
        raise ApplicationError(_("A written-off invoice cannot be credited."), conflict=True)
    note = Invoice(
        cooperative=cooperative,
        kind=Invoice.Kind.CREDIT_NOTE,
        project=original.project,
        client=original.client,
        original=original,
        currency=original.currency,
        service_date=original.service_date,
        service_period_start=original.service_period_start,
        service_period_end=original.service_period_end,
        order_reference=original.order_reference,
        buyer_reference=original.buyer_reference,
        # A correction reaches the client the way its invoice did, with the same references.
        supplier_number=original.supplier_number,
        einvoice_format=original.einvoice_format,
        note=reason.strip(),
        created_by=actor.user,
        exemption_note=original.exemption_note,
    )
    originals = list(InvoiceLine.objects.for_cooperative(cooperative).filter(invoice=original))
    if lines is None and original.credited_total:
        built = _remainder_lines(cooperative, original, originals)
    elif lines is None:
        built = [
            InvoiceLine(
                cooperative=cooperative,
                position=ln.position,
                description=ln.description,
                quantity=ln.quantity,
                unit=ln.unit,
                unit_price=ln.unit_price,
                vat_category=ln.vat_category,
                vat_rate=ln.vat_rate,
                net_amount=ln.net_amount,
                vat_amount=ln.vat_amount,
            )
            for ln in originals
        ]
    else:
        built = _build_lines(cooperative, note, lines)
        allowed = {(ln.vat_category, ln.vat_rate) for ln in originals}
        if any((ln.vat_category, ln.vat_rate) not in allowed for ln in built):
            raise ApplicationError(
                _("A credit note uses the VAT rates of its invoice."),
                details={"vat_rate": [_("Not a rate of the original invoice.")]},
            )
    _apply_totals(note, built)
    remaining = original.gross_total - original.credited_total
    if note.gross_total <= 0:
        raise ApplicationError(_("Nothing is left to credit on this invoice."), conflict=True)
    if note.gross_total > remaining:
        raise ApplicationError(
            _("The credit note (%(amount)s) is more than what is left to credit (%(left)s).")
            % {"amount": note.gross_total, "left": remaining},
            conflict=True,
        )
    today = on or timezone.localdate()
    series = invoicing_settings(cooperative=cooperative)
    note.number = series.credit_note_number_format.format(
        year=today.year,
        number=number_next(cooperative=cooperative, series=Invoice.Kind.CREDIT_NOTE, year=today.year),
    )
    note.issue_date = today
    note.contribution_rate = original.contribution_rate
    # The credit note that credits what is left takes what is left of the contribution: three thirds of
    # 0.23 are 0.08 + 0.08 + 0.07, not 3 × 0.08 (which would leave −0.01 contribution, +0.01 budget).
    contribution_left = original.contribution - (
        Invoice.objects.for_cooperative(cooperative)
        .filter(original=original, kind=Invoice.Kind.CREDIT_NOTE)
        .aggregate(total=Sum("contribution"))["total"]
        or ZERO
    )
    note.contribution = (
        contribution_left
        if note.gross_total == remaining
        else min(percent_of(note.net_total, original.contribution_rate or ZERO), contribution_left)
    )
    _check_budget_covers(cooperative, project, note.net_total - note.contribution)
    _client_snapshot(note)
    note.legal_note = original.legal_note
    note.issued_by, note.issued_at = actor.user, timezone.now()
    note.status = Invoice.Status.SUBMITTED  # lines go in first; the database freezes them at issue
    note.save()
    for position, line in enumerate(built, start=1):
        line.invoice, line.position = note, position
    InvoiceLine.objects.bulk_create(built)
    note.status = Invoice.Status.ISSUED
    note.save(update_fields=["status"])
    entry, _created = _journal_post(
        cooperative=cooperative,
        idempotency_key=f"credit_note:{note.pk}:issued",
        date=today,
        description=f"Credit note {note.number} for {original.number}",
        postings=_invoice_postings(cooperative, note, sign=-1),
        source=note,
        actor=actor.user,
    )
    note.journal_entry = entry
    note.save(update_fields=["journal_entry"])
    _check_document_builds(note)
    if claim is not None:
        idempotency_complete(record=claim, result=note)
    original.credited_total += note.gross_total
    _refresh_status(original)
    original.save(update_fields=["credited_total", "status"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="credit_note.issued",
        obj=note,
        data={"original": original.number, "gross": str(note.gross_total), "reason": reason},
    )
    render_invoice_document_task.delay_on_commit(cooperative_id=cooperative.pk, invoice_id=note.pk)
    return note


def _remainder_lines(
    cooperative: Cooperative, original: Invoice, originals: Sequence[InvoiceLine]
) -> list[InvoiceLine]:
    """What earlier partial credit notes left of an invoice: one line per VAT rate, net and VAT as left."""
    left: dict[tuple[str, Decimal], list[Decimal]] = {}
    for line in originals:
        amounts = left.setdefault((line.vat_category, line.vat_rate), [ZERO, ZERO])
        amounts[0] += line.net_amount
        amounts[1] += line.vat_amount
    credited = (
        InvoiceLine.objects.for_cooperative(cooperative)
        .filter(invoice__original=original, invoice__kind=Invoice.Kind.CREDIT_NOTE)
        .values("vat_category", "vat_rate")
        .annotate(net=Sum("net_amount"), vat=Sum("vat_amount"))
        .order_by()
    )
    for row in credited:
        amounts = left.setdefault((row["vat_category"], row["vat_rate"]), [ZERO, ZERO])
        amounts[0] -= row["net"]
        amounts[1] -= row["vat"]
    description = _("Remaining amount of invoice %(number)s") % {"number": original.number}
    return [
        InvoiceLine(
            cooperative=cooperative,
            description=description,
            quantity=Decimal("1.000"),
            unit="LS",
            unit_price=max(net, ZERO),
            vat_category=category,
            vat_rate=rate,
            net_amount=max(net, ZERO),
            vat_amount=max(vat, ZERO),
        )
        for (category, rate), (net, vat) in sorted(left.items(), key=lambda g: (g[0][0], -g[0][1]))
        if net > 0 or vat > 0
    ]
