"""Invoices: drafts, four-eyes issue with gapless numbers, credit notes, payments, write-offs.

Money moves only through `projects.ledger.journal_post`, each event under its own idempotency key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import vat
from invoicing.lib.rf import rf_reference_for_invoice
from invoicing.models import (
    BankEntry,
    DunningNotice,
    ExemptionNote,
    Invoice,
    InvoiceLine,
    InvoicingSettings,
    Payment,
    VatRate,
    WriteOff,
)
from projects.ledger import Posting, account_balance, account_get, journal_reverse
from projects.ledger import journal_post as _journal_post
from projects.models import Account, JournalLine, Project
from smartprod.core import capabilities, locks
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed, status_in_sentence
from smartprod.core.idempotency import IdempotentRequest, idempotency_claim, idempotency_complete
from smartprod.core.money import ZERO, percent_of, quantize_money
from smartprod.core.numbering import number_next
from smartprod.tenancy.models import Cooperative, Membership

OPEN_STATUSES = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)
LARGE_INVOICE = Decimal("10000.00")
UNITS = {"C62": "Stk.", "HUR": "Std.", "DAY": "Tag(e)", "LS": "pauschal", "MON": "Monat(e)", "KMT": "km"}


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal | str
    unit_price: Decimal | str
    # A rate such as "20" or "13", or "standard" / "reduced" / "reduced_2" / "reverse_charge" / "exempt" /
    # "not_taxable" (a business client outside the EU: EN 16931 category O).
    vat_rate: str
    unit: str = "C62"


def invoicing_settings(*, cooperative: Cooperative) -> InvoicingSettings:
    found = InvoicingSettings.objects.for_cooperative(cooperative).first()
    if found is not None:
        return found
    InvoicingSettings.objects.bulk_create([InvoicingSettings(cooperative=cooperative)], ignore_conflicts=True)
    return InvoicingSettings.objects.for_cooperative(cooperative).get()


def _check_same(cooperative: Cooperative, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.cooperative_id != cooperative.pk:
            raise type(obj).DoesNotExist()


def _decimal(value: Decimal | str, field: str, what: str) -> Decimal:
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationError(
            _("%(value)s is not a valid %(what)s.") % {"value": value, "what": what},
            details={field: [_("Not a number.")]},
        ) from exc
    if not result.is_finite():
        raise ApplicationError(
            _("%(value)s is not a valid %(what)s.") % {"value": value, "what": what},
            details={field: [_("Not a number.")]},
        )
    return result


def vat_rates_on(*, country: str, on: date) -> dict[str, Decimal]:
    """The VAT rates (code → percent) valid in a country on a day."""
    rows = VatRate.objects.filter(country=country, valid_from__lte=on).exclude(valid_until__lt=on)
    return {row.code: row.rate for row in rows.order_by("code", "-valid_from")}


def resolve_vat(
    *, country: str, on: date, value: str, rates: dict[str, Decimal] | None = None
) -> tuple[str, Decimal]:
    """(EN 16931 category, rate) for what a person typed: a rate valid on `on`, a code, or a treatment.

    `rates`: the rates valid on `on`, when the caller already has them (one query per invoice, not per line).
    """
    key = str(value).strip().lower().replace("%", "").replace(",", ".")
    if key in ("reverse_charge", "ae"):
        return InvoiceLine.VatCategory.REVERSE_CHARGE, ZERO
    if key in ("exempt", "e"):
        return InvoiceLine.VatCategory.EXEMPT, ZERO
    if key in ("not_taxable", "o"):
        return InvoiceLine.VatCategory.NOT_TAXABLE, ZERO
    if rates is None:
        rates = vat_rates_on(country=country, on=on)
    if key in rates:
        return InvoiceLine.VatCategory.STANDARD, rates[key]
    try:
        number = Decimal(key)
    except InvalidOperation:
        number = None
    if number is not None and number.is_finite():
        for rate in rates.values():
            if rate == number:
                return InvoiceLine.VatCategory.STANDARD, rate
    valid = ", ".join(f"{r.normalize():f} %" for r in sorted(set(rates.values())))
    raise ApplicationError(
        _(
            "Unknown VAT rate %(value)s for a service on %(date)s; valid in %(country)s: %(valid)s, "
            "or reverse charge / exempt / not taxable."
        )
        % {"value": value, "date": on.isoformat(), "country": country, "valid": valid},
        details={"vat_rate": [_("Unknown VAT rate.")]},
    )


def _build_lines(cooperative: Cooperative, invoice: Invoice, lines: Sequence[LineInput]) -> list[InvoiceLine]:
    if not lines:
        raise ApplicationError(
            _("An invoice needs at least one line."), details={"lines": [_("Add a line.")]}
        )
    on = invoice.service_date or invoice.service_period_end or timezone.localdate()
    rates = vat_rates_on(country=cooperative.country, on=on)  # once per invoice, not once per line
    built: list[InvoiceLine] = []
    for position, line in enumerate(lines, start=1):
        quantity = _decimal(line.quantity, "quantity", _("quantity"))
        price = _decimal(line.unit_price, "unit_price", _("unit price"))
        if quantity <= 0:
            raise ApplicationError(
                _("Line %(n)s: the quantity must be positive.") % {"n": position},
                details={"quantity": [_("Must be above 0.")]},
            )
        if price < 0:
            raise ApplicationError(
                _("Line %(n)s: the unit price cannot be negative; use a credit note.") % {"n": position},
                details={"unit_price": [_("Must be 0 or more.")]},
            )
        if quantity != quantity.quantize(Decimal("0.001")):
            raise ApplicationError(
                _("Line %(n)s: at most three decimals in the quantity.") % {"n": position},
                details={"quantity": [_("Too many decimals.")]},
            )
        if not line.description.strip():
            raise ApplicationError(
                _("Line %(n)s: describe what was delivered.") % {"n": position},
                details={"description": [_("Required.")]},
            )
        category, rate = resolve_vat(country=cooperative.country, on=on, value=line.vat_rate, rates=rates)
        net = quantize_money(quantity * quantize_money(price))
        built.append(
            InvoiceLine(
                cooperative=cooperative,
                invoice=invoice,
                position=position,
                description=line.description.strip(),
                quantity=quantity,
                unit=(line.unit or "C62").upper()[:3],
                unit_price=quantize_money(price),
                vat_category=category,
                vat_rate=rate,
                net_amount=net,
                vat_amount=percent_of(net, rate),
            )
        )
    return built


def _exemption_note(cooperative: Cooperative, note_id: int | None) -> ExemptionNote | None:
    if note_id is None:
        return None
    found = ExemptionNote.objects.for_cooperative(cooperative).filter(pk=note_id, active=True).first()
    if found is None:
        raise ApplicationError(
            _("Unknown VAT exemption; choose one of the cooperative's exemptions."),
            details={"exemption_note": [_("Unknown exemption.")]},
        )
    return found


def _apply_totals(invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    """Totals are sums of the per-line rounded amounts (each line rounded once)."""
    invoice.net_total = sum((line.net_amount for line in lines), ZERO)
    invoice.vat_total = sum((line.vat_amount for line in lines), ZERO)
    invoice.gross_total = invoice.net_total + invoice.vat_total


def vat_breakdown(lines: Sequence[InvoiceLine]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """[(category, rate, net basis, VAT)] grouped per rate, as the invoice prints and the XML declares."""
    groups: dict[tuple[str, Decimal], list[Decimal]] = {}
    for line in lines:
        basis_vat = groups.setdefault((line.vat_category, line.vat_rate), [ZERO, ZERO])
        basis_vat[0] += line.net_amount
        basis_vat[1] += line.vat_amount
    return [
        (cat, rate, basis, vat)
        for (cat, rate), (basis, vat) in sorted(groups.items(), key=lambda g: -g[0][1])
    ]


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


def _locked(cooperative: Cooperative, invoice: Invoice) -> Invoice:
    _check_same(cooperative, invoice)
    return locks.lock_invoice(Invoice, cooperative, invoice.pk)


def _locked_with_project(cooperative: Cooperative, invoice: Invoice) -> tuple[Project, Invoice]:
    """The invoice's project and then the invoice (the lock order): for writes that move its budget."""
    _check_same(cooperative, invoice)
    return locks.lock_project_and_child(
        locks.INVOICE, Project, Invoice, cooperative, project_id=invoice.project_id, child_id=invoice.pk
    )


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


def _client_snapshot(invoice: Invoice) -> None:
    client = invoice.client
    invoice.client_name = client.name
    invoice.client_address = "\n".join(client.address_lines)
    invoice.client_vat_id = client.vat_id
    invoice.client_email = client.email
    invoice.client_is_business = client.kind == client.Kind.BUSINESS


def _invoice_postings(cooperative: Cooperative, invoice: Invoice, *, sign: int) -> list[Posting]:
    """The postings of an invoice (sign=1) or of a credit note reversing them in proportion (sign=-1)."""
    project = invoice.project
    budget = account_get(cooperative=cooperative, type=Account.Type.PROJECT_BUDGET, project=project)
    receivable = account_get(cooperative=cooperative, type=Account.Type.RECEIVABLE, client=invoice.client)
    vat = account_get(cooperative=cooperative, type=Account.Type.VAT_PAYABLE)
    contribution_income = account_get(cooperative=cooperative, type=Account.Type.CONTRIBUTION_INCOME)
    label = f"{'Invoice' if invoice.kind == Invoice.Kind.INVOICE else 'Credit note'} {invoice.number}"
    event = (
        JournalLine.Event.INVOICE if invoice.kind == Invoice.Kind.INVOICE else JournalLine.Event.CREDIT_NOTE
    )

    def line(account: Account, amount: Decimal, debit_when_invoice: bool, **extra: Any) -> Posting:
        """An invoice's debit is its credit note's credit."""
        debit = debit_when_invoice if sign > 0 else not debit_when_invoice
        return Posting(
            account,
            debit=amount if debit else ZERO,
            credit=ZERO if debit else amount,
            event=event,
            reference=invoice.number or "",
            **extra,
        )

    income_kind = JournalLine.Kind.INCOME if sign > 0 else JournalLine.Kind.CORRECTION
    postings = [
        line(receivable, invoice.gross_total, True, project=project, description=label),
        line(budget, invoice.net_total, False, kind=income_kind, description=label),
        line(vat, invoice.vat_total, False, project=project, description=label),
        line(
            budget,
            invoice.contribution,
            True,
            kind=JournalLine.Kind.CONTRIBUTION,
            description=f"{label}: contribution",
        ),
        line(
            contribution_income,
            invoice.contribution,
            False,
            project=project,
            description=f"{label}: contribution",
        ),
    ]
    return [p for p in postings if (p.debit or p.credit)]


@transaction.atomic(durable=True)
def invoice_issue(
    *, cooperative: Cooperative, actor: Membership, invoice: Invoice, on: date | None = None
) -> Invoice:
    """Issue: the next gapless number, the due date, the ledger posting and the audit row, in one transaction.

    Preconditions: the project is approved; a submitted invoice is issued by an advisor/finance person who
    is not its author (four eyes) — or, when the cooperative allows it, a draft by the project's owner.
    Afterwards the invoice is immutable; the PDF is rendered and mailed by a worker after commit.
    """
    from invoicing.tasks import render_invoice_document_task

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
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="invoice.issued",
        obj=invoice,
        data={"number": invoice.number, "gross": str(invoice.gross_total)},
    )
    render_invoice_document_task.delay_on_commit(cooperative_id=cooperative.pk, invoice_id=invoice.pk)
    return invoice


def _refresh_status(invoice: Invoice) -> None:
    settled = invoice.paid_total + invoice.credited_total + invoice.written_off_total
    if invoice.written_off_total > 0:
        invoice.status = Invoice.Status.WRITTEN_OFF
    elif invoice.credited_total >= invoice.gross_total and invoice.paid_total == 0:
        invoice.status = Invoice.Status.CANCELLED
    elif settled >= invoice.gross_total:
        invoice.status = Invoice.Status.PAID
    elif invoice.paid_total > 0:
        invoice.status = Invoice.Status.PARTIALLY_PAID
    else:
        invoice.status = Invoice.Status.ISSUED


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
) -> Invoice:
    """A credit note (Storno), full (lines=None) or partial, with its own number; posts the reverse.

    The credit notes of an invoice never add up to more than its gross total.
    """
    from invoicing.tasks import render_invoice_document_task

    _check_same(cooperative, actor)
    if not capabilities.can_issue_invoice(actor):
        raise NotAllowed(_("An advisor or a finance person issues credit notes."))
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
    return write_off


@transaction.atomic
def invoice_set_dunning_block(
    *, cooperative: Cooperative, actor: Membership, invoice: Invoice, blocked: bool, reason: str = ""
) -> Invoice:
    """Stop (dispute) or resume dunning for an invoice."""
    _check_same(cooperative, actor)
    if not capabilities.can_issue_invoice(actor):
        raise NotAllowed(_("Only staff block or resume dunning."))
    if blocked and not reason.strip():
        raise ApplicationError(
            _("Say why dunning stops (e.g. the client disputes the invoice)."),
            details={"reason": [_("Required.")]},
        )
    invoice = _locked(cooperative, invoice)
    invoice.dunning_blocked = blocked
    invoice.dunning_block_reason = reason.strip() if blocked else ""
    invoice.save(update_fields=["dunning_blocked", "dunning_block_reason"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="invoice.dunning_blocked" if blocked else "invoice.dunning_resumed",
        obj=invoice,
        data={"reason": reason},
    )
    return invoice


def next_position(invoice: Invoice) -> int:
    top = (
        InvoiceLine.objects.for_cooperative(invoice.cooperative_id)
        .filter(invoice=invoice)
        .aggregate(m=Max("position"))["m"]
    )
    return int(top or 0) + 1
