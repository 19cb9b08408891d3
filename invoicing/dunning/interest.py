"""What a notice claims: the open principal over time, reminder fees, statutory default interest and the
€ 40 flat fee of § 458 UGB (see the package docstring for the rules)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F

from invoicing.lib.interest import FLAT_RECOVERY_FEE_B2B, InterestSegment, default_interest
from invoicing.models import BaseRate, DunningLevel, DunningNotice, Invoice, Payment
from smartprod.core.money import ZERO, quantize_money

BASE_RATE_COUNTRY = "AT"  # § 456 UGB: the OeNB base rate; the interest rules in lib/interest.py are Austrian


@dataclass(frozen=True)
class FeeItem:
    """The reminder cost of one letter (its level's fee) that a claim takes into account."""

    level: int
    name_de: str
    name_en: str
    amount: Decimal

    def as_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "name_de": self.name_de,
            "name_en": self.name_en,
            "amount": str(self.amount),
        }


@dataclass(frozen=True)
class DunningClaim:
    """What a notice asks for: the open principal plus reminder fees, default interest and the flat fee.

    `fee_items` are the letters' costs taken into account; `fee` is what of them is claimed: their sum, or
    (B2B) only what exceeds the € 40 flat fee, which covers the creditor's own collection costs.
    """

    open_principal: Decimal
    fee: Decimal
    interest: Decimal
    interest_segments: list[InterestSegment]
    flat_fee: Decimal
    fee_items: list[FeeItem] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.open_principal + self.fee + self.interest + self.flat_fee


def base_rates(country: str = BASE_RATE_COUNTRY) -> list[tuple[date, Decimal]]:
    return list(
        BaseRate.objects.filter(country=country).order_by("valid_from").values_list("valid_from", "rate")
    )


def open_principal_changes(*, invoice: Invoice, as_of: date) -> list[tuple[date, Decimal]]:
    """The open principal over time: (date, open from that day on), first entry on the due date.

    Payments and credit notes up to `as_of` lower it from their date on; those on or before the due date
    lower the starting amount.
    """
    assert invoice.due_date is not None
    due = invoice.due_date
    reductions: dict[date, Decimal] = defaultdict(lambda: ZERO)
    # Only what a payment paid on the invoice itself lowers it (not dunning costs or interest), and a
    # payment the bank returned paid nothing.
    payments = (
        Payment.objects.for_cooperative(invoice.cooperative_id)
        .filter(invoice=invoice, date__lte=as_of, returned_on__isnull=True)
        .annotate(principal_part=F("amount") - F("fees_paid") - F("interest_paid"))
        .values_list("date", "principal_part")
    )
    credit_notes = (
        Invoice.objects.for_cooperative(invoice.cooperative_id)
        .filter(original=invoice, kind=Invoice.Kind.CREDIT_NOTE, issue_date__lte=as_of)
        .exclude(status__in=[Invoice.Status.DRAFT, Invoice.Status.SUBMITTED])
        .values_list("issue_date", "gross_total")
    )
    for day, amount in [*payments, *credit_notes]:
        reductions[max(day or due, due)] += amount
    principal = invoice.gross_total - reductions.pop(due, ZERO)
    changes = [(due, principal)]
    for day in sorted(reductions):
        principal -= reductions[day]
        changes.append((day, principal))
    return changes


def _flat_fee_applies(invoice: Invoice) -> bool:
    """§ 458 UGB: between businesses, for a claim in euro (the fee is fixed in euro)."""
    return invoice.client_is_business and invoice.currency == "EUR"


def dunning_claim(
    *,
    invoice: Invoice,
    level: DunningLevel,
    as_of: date,
    rates: list[tuple[date, Decimal]] | None = None,
    levels: list[DunningLevel] | None = None,
) -> DunningClaim:
    """The claim of `level` for `invoice` as of a day (read-only; also used to preview a letter).

    Interest (when the level charges it): § 456 UGB between businesses (base rate + 9.2 points, fixed per
    half-year), § 1000 ABGB 4 % towards consumers, from the day after the due date up to `as_of`, on the
    principal open on each day. Reminder fees: the fee of this letter and of each earlier letter (levels
    below this one that were sent); towards a consumer only when the client agreed to them; between
    businesses (EUR) the € 40 flat fee of § 458 UGB covers them and only the excess is claimed. The flat
    fee itself from the first level that charges it on (the claim of each letter is the whole claim).
    """
    assert invoice.due_date is not None
    interest, segments = ZERO, []
    if level.charges_interest:
        result = default_interest(
            due_date=invoice.due_date,
            as_of=as_of,
            open_principal_changes=open_principal_changes(invoice=invoice, as_of=as_of),
            business=invoice.client_is_business,
            base_rates=rates if rates is not None else base_rates(),
        )
        interest, segments = result.total, result.segments
    if levels is None:
        levels = list(DunningLevel.objects.for_cooperative(invoice.cooperative_id).order_by("level"))
    sent_levels = set(
        DunningNotice.objects.for_cooperative(invoice.cooperative_id)
        .filter(invoice=invoice, level__lt=level.level)
        .values_list("level", flat=True)
    )
    up_to_here = [each for each in levels if each.level in sent_levels] + [level]
    costs = [
        FeeItem(level=each.level, name_de=each.name_de, name_en=each.name_en, amount=quantize_money(each.fee))
        for each in sorted(up_to_here, key=lambda each: each.level)
        if each.fee > 0
    ]
    cost_total = sum((item.amount for item in costs), ZERO)
    flat_fee = ZERO
    if _flat_fee_applies(invoice):
        if any(each.charges_flat_fee_b2b for each in up_to_here):
            flat_fee = FLAT_RECOVERY_FEE_B2B
        fee = max(ZERO, cost_total - FLAT_RECOVERY_FEE_B2B)
        # Listed when the flat fee is claimed (it covers them) or when they exceed it.
        fee_items = costs if flat_fee or fee else []
    elif invoice.client_is_business or invoice.client.reminder_fees_agreed:
        fee, fee_items = cost_total, costs
    else:
        fee, fee_items = ZERO, []  # a consumer who did not agree to reminder fees owes none
    return DunningClaim(
        open_principal=invoice.open_amount,
        fee=fee,
        interest=interest,
        interest_segments=segments,
        flat_fee=flat_fee,
        fee_items=fee_items,
    )
