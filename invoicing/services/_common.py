"""What the invoicing services share: input lines, settings, VAT lookup, line building, locks, postings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.documents import invoice_einvoice
from invoicing.lib.einvoice import build_cii_xml
from invoicing.models import (
    ExemptionNote,
    Invoice,
    InvoiceLine,
    InvoicingSettings,
    VatRate,
)
from projects.ledger import Posting, account_get
from projects.models import Account, JournalLine, Project
from smartprod.core import locks
from smartprod.core.documents import PermanentDocumentError
from smartprod.core.errors import ApplicationError
from smartprod.core.money import ZERO, percent_of, quantize_money
from smartprod.core.validators import unsafe_character
from smartprod.tenancy.models import Cooperative

OPEN_STATUSES = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)


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


def _locked(cooperative: Cooperative, invoice: Invoice) -> Invoice:
    _check_same(cooperative, invoice)
    return locks.lock_invoice(Invoice, cooperative, invoice.pk)


def _locked_with_project(cooperative: Cooperative, invoice: Invoice) -> tuple[Project, Invoice]:
    """The invoice's project and then the invoice (the lock order): for writes that move its budget."""
    _check_same(cooperative, invoice)
    return locks.lock_project_and_child(
        locks.INVOICE, Project, Invoice, cooperative, project_id=invoice.project_id, child_id=invoice.pk
    )


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


def _check_document_builds(invoice: Invoice) -> None:
    """Build and validate the EN 16931 XML inside the issuing transaction: a document that could never
    render (a control character, a broken rule) is refused before it takes a number or posts the ledger.

    The printed texts are checked for bidi overrides too, which XML holds but which reorder the PDF.
    """
    try:
        einvoice = invoice_einvoice(invoice)
        build_cii_xml(einvoice)
    except (ValueError, PermanentDocumentError) as exc:
        raise ApplicationError(
            _("The e-invoice (EN 16931) cannot be built from this document: %(reason)s") % {"reason": exc}
        ) from exc
    texts = [einvoice.note, einvoice.payment_terms_text, einvoice.buyer.name, einvoice.buyer.street]
    texts += [einvoice.buyer.city, einvoice.buyer_reference, einvoice.order_reference]
    texts += [line.description for line in einvoice.lines]
    for text in texts:
        character = unsafe_character(text or "")
        if character is not None:
            raise ApplicationError(
                _("The document contains the invisible control character %(character)s; remove it first.")
                % {"character": character}
            )
