"""Gross → net for employed payees, computed from `PayrollRules` data (issue 10).

THE INTERFACE below is what the rest of payroll uses (employments, salaries, the payroll run, the preview
API). The body is a PLACEHOLDER (flat rates, no tax) until the payroll-rules work replaces it with the real
Austrian computation; nothing outside this module may depend on its figures — tests compute their
expectations through `compute()`.

Budget accounting: `employer_cost_total` = gross + employer social insurance + employer levies + the
accrued share of the 13th/14th salaries (`special_accrual`, 1/6 of the regular gross plus the employer's
charges on it). A payslip that pays a 13th/14th salary (`PayInput.special_gross`) reports its cost in
`special_cost` (gross + employer charges on it); that cost was accrued month by month, so the payroll run
charges the budget only what the accrual does not cover.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from smartprod.core.money import quantize_money as quantize

ZERO = Decimal("0.00")


class NoPayrollRules(ValidationError):
    """No payroll rules for the country and year of the month asked."""

    def __init__(self, country: str, year: int) -> None:
        super().__init__(
            _("No payroll rules for %(country)s %(year)s.") % {"country": country, "year": year},
            code="no_payroll_rules",
        )
        self.country = country
        self.year = year


@dataclass(frozen=True)
class Rules:
    """One country's rules for one year, read from a `PayrollRules` row."""

    country: str
    year: int
    data: dict[str, Any]


@dataclass(frozen=True)
class Period:
    """The part of a month an employment covers: `days` payroll days (30 for a whole month)."""

    month: date
    days: int
    full_month: bool


@dataclass(frozen=True)
class YearToDate:
    """What earlier payslips of the same employee and employer paid this calendar year."""

    gross: Decimal = ZERO
    special_gross: Decimal = ZERO
    special_sv_base: Decimal = ZERO
    wage_tax: Decimal = ZERO
    months: int = 0


@dataclass(frozen=True)
class PayInput:
    gross: Decimal
    period: Period
    federal_state: str  # FederalState value; "Wien" adds Vienna's WBF share and the U-Bahn levy
    first_employment_month: bool = False  # BV (Mitarbeitervorsorge) is due from the 2nd month
    special_gross: Decimal = ZERO  # 13th/14th salary paid with this payslip
    ytd: YearToDate = field(default_factory=YearToDate)


@dataclass(frozen=True)
class Line:
    """One line of a payslip: `side` is "employee" (deducted) or "employer" (cost on top)."""

    code: str  # stable: "sv.kv", "sv.pv", "tax.regular", "levy.db", "levy.kommunalsteuer", …
    label: str
    side: str
    base: Decimal
    rate: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class PayResult:
    gross: Decimal
    special_gross: Decimal
    employee_social_insurance: Decimal  # regular + special
    wage_tax: Decimal  # regular + special
    net: Decimal  # gross + special_gross − employee SV − wage tax
    employer_social_insurance: Decimal
    levies: dict[str, Decimal]  # "db", "dz", "kommunalsteuer", "bv", "ubahn" (0 where not due)
    special_accrual: Decimal
    special_cost: Decimal
    employer_cost_total: Decimal  # gross + employer SV + levies + special_accrual (regular part)
    marginal: bool
    lines: tuple[Line, ...]

    @property
    def social_insurance_total(self) -> Decimal:
        return self.employee_social_insurance + self.employer_social_insurance


def rules_for(country: str, month: date) -> Rules:
    """The rules for `country` in the year of `month`; `NoPayrollRules` when there are none."""
    from payroll.models import PayrollRules

    row = PayrollRules.objects.filter(country=country, year=month.year).first()
    if row is None:
        raise NoPayrollRules(country, month.year)
    return Rules(country=row.country, year=row.year, data=row.rules)


def period_for(start: date, end: date, month: date) -> Period:
    """The payroll days of an employment from `start` to `end` in `month` (30 for a whole month)."""
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    lo, hi = max(start, first), min(end, last)
    if hi < lo:
        return Period(month=first, days=0, full_month=False)
    if lo == first and hi == last:
        return Period(month=first, days=30, full_month=True)
    return Period(month=first, days=(hi - lo).days + 1, full_month=False)


def compute(rules: Rules, inp: PayInput) -> PayResult:
    """PLACEHOLDER: 18.07 % employee SV, no wage tax, 30 % employer on-cost. Replaced by the real rules."""
    gross = quantize(inp.gross)
    special = quantize(inp.special_gross)
    employee_sv = quantize((gross + special) * Decimal("0.1807"))
    employer_sv = quantize((gross + special) * Decimal("0.2098"))
    levies = {
        "db": quantize(gross * Decimal("0.037")),
        "dz": ZERO,
        "kommunalsteuer": ZERO,
        "bv": ZERO,
        "ubahn": ZERO,
    }
    accrual = quantize(gross / 6)
    cost = gross + quantize(gross * Decimal("0.2098")) + levies["db"] + accrual
    return PayResult(
        gross=gross,
        special_gross=special,
        employee_social_insurance=employee_sv,
        wage_tax=ZERO,
        net=gross + special - employee_sv,
        employer_social_insurance=employer_sv,
        levies=levies,
        special_accrual=accrual,
        special_cost=special + quantize(special * Decimal("0.2098")),
        employer_cost_total=cost,
        marginal=False,
        lines=(),
    )


def max_gross(rules: Rules, template: PayInput, available: Decimal) -> Decimal | None:
    """The largest gross (to the cent) whose `employer_cost_total` fits `available`; None when not even 0.01.

    Cost is monotone in gross, so a binary search over cents finds it: cost(max) ≤ available < cost(max+0.01).
    """
    from dataclasses import replace

    def cost(cents: int) -> Decimal:
        return compute(rules, replace(template, gross=Decimal(cents) / 100)).employer_cost_total

    available = quantize(available)
    if available <= 0 or cost(1) > available:
        return None
    lo, hi = 1, max(2, int(available * 100) + 1)
    while cost(hi) <= available:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if cost(mid) <= available:
            lo = mid
        else:
            hi = mid
    return Decimal(lo) / 100
