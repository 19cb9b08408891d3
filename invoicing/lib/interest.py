"""Austrian statutory default interest (Verzugszinsen) on an overdue invoice.

* Between businesses (§ 456 UGB): 9.2 percentage points above the base rate (Basiszinssatz,
  published by the OeNB). The base rate that applies on the *last calendar day of a half-year*
  governs the whole *next* half-year (§ 456 second sentence UGB), so the rate is fixed per
  calendar half-year (1 Jan–30 Jun, 1 Jul–31 Dec) even when the base rate moves in between.
* Towards consumers (§ 1333 (1) with § 1000 (1) ABGB): the statutory 4 % p.a.
* Between businesses the creditor may also claim a flat € 40 recovery fee (§ 458 UGB).

Interest runs for every day after the due date up to and including ``as_of``, on the principal
open on that day, actual days / 365. The period is cut into segments at each half-year boundary
and each change of the open principal; each segment is rounded to the cent (commercial
rounding) and the total is the sum of the rounded segments, so the letter to the client adds up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from smartprod.core.money import ZERO, quantize_money

B2B_MARGIN = Decimal("9.2")  # percentage points over the base rate, § 456 UGB
B2C_RATE = Decimal("4")  # percent p.a., § 1000 (1) ABGB
FLAT_RECOVERY_FEE_B2B = Decimal("40.00")  # § 458 UGB
DAYS_PER_YEAR = Decimal(365)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class InterestSegment:
    """Days ``start``..``end`` (both inclusive) on one principal at one annual rate (percent)."""

    start: date
    end: date
    days: int
    principal: Decimal
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InterestResult:
    """Total default interest and the segments it is made of (only segments with open principal)."""

    total: Decimal
    segments: list[InterestSegment]


def half_year_start(day: date) -> date:
    """1 January or 1 July of the calendar half-year ``day`` falls in."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _next_half_year_start(day: date) -> date:
    start = half_year_start(day)
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


def base_rate_on(day: date, base_rates: list[tuple[date, Decimal]]) -> Decimal:
    """The base rate in force on ``day``: the entry with the latest valid-from date on or before it."""
    applicable = [(valid_from, rate) for valid_from, rate in base_rates if valid_from <= day]
    if not applicable:
        raise ValueError(f"No base rate known for {day.isoformat()}.")
    return max(applicable, key=lambda entry: entry[0])[1]


def b2b_rate_for(day: date, base_rates: list[tuple[date, Decimal]]) -> Decimal:
    """§ 456 UGB rate (percent p.a.) on ``day``: base rate on the last day of the previous half-year + 9.2."""
    reference_day = half_year_start(day) - _ONE_DAY
    return base_rate_on(reference_day, base_rates) + B2B_MARGIN


def _principal_on(day: date, changes: list[tuple[date, Decimal]]) -> Decimal:
    principal = ZERO
    for changed_on, amount in changes:
        if changed_on > day:
            break
        principal = amount
    return principal


def default_interest(
    *,
    due_date: date,
    as_of: date,
    open_principal_changes: list[tuple[date, Decimal]],
    business: bool,
    base_rates: list[tuple[date, Decimal]],
) -> InterestResult:
    """Statutory default interest on an invoice that fell due on ``due_date``, up to and including ``as_of``.

    ``open_principal_changes``: (date, open principal from that date on); the first entry is the
    gross amount on the due date, later ones follow partial payments or credit notes. Days before
    the first entry count as nothing open. ``base_rates``: (valid from, base rate in percent) —
    needed for B2B only. Each segment is ``principal × rate / 100 × days / 365`` rounded to the
    cent; segments with no open principal (zero or negative) are left out. Returns a zero result
    when ``as_of`` is not after ``due_date``.
    """
    if any(isinstance(amount, float) for _, amount in open_principal_changes):
        raise TypeError("Principal amounts must be Decimals, not floats.")
    changes = sorted(open_principal_changes, key=lambda entry: entry[0])
    if len({changed_on for changed_on, _ in changes}) != len(changes):
        raise ValueError("Two principal changes on the same date; pass one entry per date.")

    segments: list[InterestSegment] = []
    day = due_date + _ONE_DAY
    while day <= as_of:
        principal = _principal_on(day, changes)
        # The segment ends before the next half-year or the next change of the principal.
        end = min(as_of, _next_half_year_start(day) - _ONE_DAY)
        for changed_on, amount in changes:
            if day < changed_on <= end and amount != principal:
                end = changed_on - _ONE_DAY
                break
        if principal > ZERO:
            rate = b2b_rate_for(day, base_rates) if business else B2C_RATE
            days = (end - day).days + 1
            amount = quantize_money(principal * rate * days / (Decimal(100) * DAYS_PER_YEAR))
            segments.append(
                InterestSegment(start=day, end=end, days=days, principal=principal, rate=rate, amount=amount)
            )
        day = end + _ONE_DAY
    total = sum((segment.amount for segment in segments), ZERO)
    return InterestResult(total=total, segments=segments)
