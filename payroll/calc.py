"""Gross → net for employed payees, computed from `PayrollRules` data (issue 10).

THE INTERFACE below is what the rest of payroll uses (employments, salaries, the payroll run, the preview
API). Every rate, threshold and bracket is read from the rules' data (the data migration payroll 0005 holds
Austria 2025 and 2026 with their sources); the README's Payroll section lists what is simplified.

Budget accounting: `employer_cost_total` = gross + employer social insurance + employer levies + the
accrued share of the 13th/14th salaries (`special_accrual`, 1/6 of the regular gross plus the employer's
charges on it). A payslip that pays a 13th/14th salary (`PayInput.special_gross`) reports its cost in
`special_cost` (gross + employer charges on it); that cost was accrued month by month, so the payroll run
charges the budget only what the accrual does not cover.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
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
    # The cooperative's total wages of the month, for the DB/DZ/Kommunalsteuer relief (base − 1,095 when the
    # month's payroll is at most 1,460); None: this payslip's wages alone (see README).
    monthly_payroll_total: Decimal | None = None


@dataclass(frozen=True)
class Line:
    """One line of a payslip: `side` is "employee" (deducted) or "employer" (cost on top)."""

    code: str  # stable: "sv.kv", "sv.special.pv", "tax.regular", "tax.special", "levy.db", "levy.ubahn", …
    label: str
    side: str
    base: Decimal  # the weeks begun for "levy.ubahn"
    rate: Decimal | None  # in per cent (3.87 = 3.87 %); None for taxes and the U-Bahn levy
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
    """One payslip from the rules' data: employee and employer SV, wage tax, employer levies, the accrual.

    Every figure comes from `rules.data` (payroll/reference_data.py shows the shape and cites the
    sources); the README lists what is simplified. Each line is rounded to the cent, half up; the totals
    are the sums of their lines.
    """
    data = rules.data
    if not data:
        raise NoPayrollRules(rules.country, rules.year)
    gross = quantize(inp.gross)
    special = quantize(inp.special_gross)
    period = inp.period
    state = inp.federal_state
    sv = data["sv"]
    levy_rules = data["levies"]
    if state not in levy_rules["dz"]:
        raise ValidationError(
            _("Unknown federal state: %(state)s.") % {"state": state or "—"}, code="unknown_federal_state"
        )
    lines: list[Line] = []
    labels = _labels(get_language() or "")
    marginal = ZERO < gross <= _amount(sv["marginal"]["threshold_monthly"])

    # --- social insurance: regular pay, capped at the maximum contribution base of the period ---
    cap = (
        _amount(sv["max_base"]["monthly"])
        if period.full_month
        else _amount(sv["max_base"]["daily"]) * period.days
    )
    regular_base = min(gross, cap)
    employee_rates, employer_rates = _sv_rates(sv, state, marginal)
    employee_sv_regular = _sv_lines(
        lines, labels, "sv", "employee", regular_base, _with_reduced_av(sv, employee_rates, regular_base)
    )
    employer_sv_regular = _sv_lines(lines, labels, "sv", "employer", regular_base, employer_rates)

    # --- social insurance on special payments: no AK/WBF, up to the yearly special maximum base ---
    not_on_special = set(sv["not_on_special"])
    special_employee_rates = {k: v for k, v in employee_rates.items() if k not in not_on_special}
    special_employer_rates = {k: v for k, v in employer_rates.items() if k not in not_on_special}
    employee_sv_special = employer_sv_special = ZERO
    if special > 0:
        room = max(ZERO, _amount(sv["max_base"]["special_yearly"]) - inp.ytd.special_sv_base)
        special_base = min(special, room)
        # The reduced AV share of a special payment is judged on the special payment alone (§ 2a AMPFG).
        rates = _with_reduced_av(sv, special_employee_rates, special_base) if not marginal else {}
        employee_sv_special = _sv_lines(lines, labels, "sv.special", "employee", special_base, rates)
        employer_sv_special = _sv_lines(
            lines, labels, "sv.special", "employer", special_base, special_employer_rates
        )

    # --- wage tax ---
    tax_rules = data["tax"]
    special_rules = data["special"]
    within, excess = _within_sechstel(special_rules, inp, gross, special)
    sv_within = quantize(employee_sv_special * within / special) if special > 0 else ZERO
    sv_excess = employee_sv_special - sv_within
    regular_taxable = gross - employee_sv_regular + excess - sv_excess
    tax_regular = _regular_tax(tax_rules, regular_taxable, period)
    if tax_regular:
        lines.append(
            Line("tax.regular", _label(labels, "tax.regular"), "employee", regular_taxable, None, tax_regular)
        )
    tax_special = ZERO
    if within > 0:
        this_base = within - sv_within
        earlier_base = _earlier_special_tax_base(sv, inp.ytd, special_employee_rates)
        tax_special = quantize(
            _special_tax(special_rules, earlier_base + this_base) - _special_tax(special_rules, earlier_base)
        )
        lines.append(
            Line("tax.special", _label(labels, "tax.special"), "employee", this_base, None, tax_special)
        )

    # --- employer levies: DB, DZ, Kommunalsteuer on all pay (with the small-payroll relief), BV, U-Bahn ---
    wages = gross + special
    payroll_total = inp.monthly_payroll_total if inp.monthly_payroll_total is not None else wages
    relief = levy_rules["relief"]
    factor = Decimal(1)
    if ZERO < payroll_total <= _amount(relief["payroll_up_to"]):
        factor = max(ZERO, payroll_total - _amount(relief["deduction"])) / payroll_total
    levy_rates = {
        "db": _percent(levy_rules["db"]),
        "dz": _percent(levy_rules["dz"][state]),
        "kommunalsteuer": _percent(levy_rules["kommunalsteuer"]),
    }
    levies: dict[str, Decimal] = {}
    levies_regular: dict[str, Decimal] = {}
    levy_base = quantize(wages * factor)
    for code, rate in levy_rates.items():
        levies[code] = quantize(levy_base * rate)
        levies_regular[code] = min(levies[code], quantize(gross * factor * rate))
    bv_rate = ZERO if inp.first_employment_month else _percent(data["bv"]["rate"])
    levies["bv"] = quantize(wages * bv_rate)
    levies_regular["bv"] = min(levies["bv"], quantize(gross * bv_rate))
    ubahn = levy_rules["ubahn"]
    weeks = _weeks_begun(period) if state in ubahn["states"] and gross > 0 else 0
    levies["ubahn"] = levies_regular["ubahn"] = quantize(_amount(ubahn["per_week"]) * weeks)
    for code in ("db", "dz", "kommunalsteuer", "bv"):
        rate = levy_rates.get(code, bv_rate)
        if levies[code]:
            base = levy_base if code != "bv" else wages
            lines.append(
                Line(
                    f"levy.{code}",
                    _label(labels, f"levy.{code}"),
                    "employer",
                    base,
                    _shown(rate),
                    levies[code],
                )
            )
    if levies["ubahn"]:
        lines.append(
            Line(
                "levy.ubahn", _label(labels, "levy.ubahn"), "employer", Decimal(weeks), None, levies["ubahn"]
            )
        )

    # --- the 13th/14th salaries accrue month by month: 1/6 of the regular gross plus employer charges ---
    share = Decimal(int(special_rules["payments_per_year"])) / int(tax_rules["months_per_year"])
    accrual_gross = gross * share
    accrual_rate = sum(special_employer_rates.values(), ZERO)
    accrual_levy_rate = bv_rate + sum(levy_rates.values(), ZERO)
    accrual = quantize(
        accrual_gross + regular_base * share * accrual_rate + accrual_gross * accrual_levy_rate
    )

    employee_sv = employee_sv_regular + employee_sv_special
    wage_tax = tax_regular + tax_special
    special_cost = special + employer_sv_special + sum(levies[k] - levies_regular[k] for k in levies)
    cost = gross + employer_sv_regular + sum(levies_regular.values(), ZERO) + accrual
    return PayResult(
        gross=gross,
        special_gross=special,
        employee_social_insurance=employee_sv,
        wage_tax=wage_tax,
        net=gross + special - employee_sv - wage_tax,
        employer_social_insurance=employer_sv_regular + employer_sv_special,
        levies=levies,
        special_accrual=accrual,
        special_cost=special_cost,
        employer_cost_total=cost,
        marginal=marginal,
        lines=tuple(lines),
    )


# --- helpers: each reads one part of the rules' data -----------------------------------------------------


def _amount(value: Any) -> Decimal:
    return Decimal(str(value))


def _percent(value: Any) -> Decimal:
    """A rate in the data is in per cent ("3.87"); the computation uses the fraction."""
    return Decimal(str(value)) / 100


def _sv_rates(
    sv: dict[str, Any], state: str, marginal: bool
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Employee and employer rates by component: a state's own rates replace the general ones; marginal
    employment pays only what the rules' `marginal` part names (accident insurance, by the employer)."""
    if marginal:
        part = sv["marginal"]
        return (
            {k: _percent(v) for k, v in part["employee"].items()},
            {k: _percent(v) for k, v in part["employer"].items()},
        )
    own = sv.get("by_state", {}).get(state, {})
    employee = {**sv["employee"], **own.get("employee", {})}
    employer = {**sv["employer"], **own.get("employer", {})}
    return {k: _percent(v) for k, v in employee.items()}, {k: _percent(v) for k, v in employer.items()}


def _with_reduced_av(sv: dict[str, Any], rates: dict[str, Decimal], base: Decimal) -> dict[str, Decimal]:
    """The employee's unemployment insurance share at low income: the first band the base fits in."""
    if "av" not in rates:
        return rates
    for band in sv["av_reduced"]:
        if base <= _amount(band["up_to"]):
            return {**rates, "av": _percent(band["rate"])}
    return rates


# The order of the SV components on a payslip (the data's JSON object has no order); others follow by name.
COMPONENT_ORDER = ("kv", "pv", "av", "uv", "iesg", "ak", "wbf")


def _in_order(code: str) -> tuple[int, str]:
    return (COMPONENT_ORDER.index(code) if code in COMPONENT_ORDER else len(COMPONENT_ORDER), code)


def _shown(rate: Decimal) -> Decimal:
    """A fraction as the per-cent figure printed on the payslip (0.0387 → 3.87)."""
    return (rate * 100).quantize(Decimal("0.01"))


def _sv_lines(
    lines: list[Line],
    labels: dict[str, str],
    prefix: str,
    side: str,
    base: Decimal,
    rates: dict[str, Decimal],
) -> Decimal:
    total = ZERO
    for code in sorted(rates, key=_in_order):
        rate = rates[code]
        amount = quantize(base * rate)
        if amount:
            lines.append(
                Line(f"{prefix}.{code}", _label(labels, f"{prefix}.{code}"), side, base, _shown(rate), amount)
            )
            total += amount
    return total


def _tariff(brackets: list[dict[str, Any]], income: Decimal) -> Decimal:
    """Tax on `income` by brackets [{up_to, rate}, …] (the last `up_to` null: no upper limit), unrounded."""
    tax, lower = ZERO, ZERO
    for bracket in brackets:
        upper = None if bracket["up_to"] is None else _amount(bracket["up_to"])
        if income <= lower:
            break
        tax += ((income if upper is None else min(income, upper)) - lower) * _percent(bracket["rate"])
        if upper is None:
            break
        lower = upper
    return tax


def _regular_tax(tax_rules: dict[str, Any], taxable: Decimal, period: Period) -> Decimal:
    """Wage tax on the month's regular pay: annualised (× 12 for a whole month, per day × 360 for part of a
    month), less the Werbungskostenpauschale, the annual tariff, less the Verkehrsabsetzbetrag, back to the
    period, rounded to the cent. Never negative (the rest of the Absetzbetrag is the yearly assessment's)."""
    if taxable <= 0 or period.days <= 0:
        return ZERO
    if period.full_month:
        per_year, units = Decimal(int(tax_rules["months_per_year"])), Decimal(1)
    else:
        per_year, units = Decimal(int(tax_rules["days_per_year"])), Decimal(period.days)
    annual = taxable / units * per_year - _amount(tax_rules["werbungskosten"])
    tax = _tariff(tax_rules["brackets"], annual) - _amount(tax_rules["verkehrsabsetzbetrag"])
    if tax <= 0:
        return ZERO
    return quantize(tax / per_year * units)


def _within_sechstel(
    special_rules: dict[str, Any], inp: PayInput, gross: Decimal, special: Decimal
) -> tuple[Decimal, Decimal]:
    """Split a special payment into the part within the Jahressechstel (fixed rates) and the excess (taxed
    with the tariff): the sixth is 2 × the average monthly regular pay of the year so far, less the special
    payments already made."""
    if special <= 0:
        return ZERO, ZERO
    months = inp.ytd.months + (1 if gross > 0 else 0)
    if months == 0:
        return ZERO, special
    regular = inp.ytd.gross + gross
    sixth = regular / months * int(special_rules["payments_per_year"])
    room = max(ZERO, quantize(sixth) - inp.ytd.special_gross)
    within = min(special, room)
    return within, special - within


def _earlier_special_tax_base(sv: dict[str, Any], ytd: YearToDate, rates: dict[str, Decimal]) -> Decimal:
    """The special payments of the year so far after their SV (the YearToDate keeps gross and SV base)."""
    if ytd.special_gross <= 0:
        return ZERO
    return ytd.special_gross - quantize(ytd.special_sv_base * sum(rates.values(), ZERO))


def _special_tax(special_rules: dict[str, Any], base: Decimal) -> Decimal:
    """The fixed-rate tax on the year's special payments (after SV) within the sixth: nothing while they stay
    within the Freigrenze, else € 620 free and the bands on the whole (§ 67 Abs 1 EStG). Cumulative, so a
    later payment also carries what an earlier one below the Freigrenze did not pay."""
    if base <= _amount(special_rules["freigrenze"]):
        return ZERO
    return _tariff(special_rules["brackets"], base)


def _weeks_begun(period: Period) -> int:
    """Weeks begun in the period (Vienna's Dienstgeberabgabe): the calendar weeks starting (Monday) in a
    whole month; for part of a month, one per 7 days begun."""
    if period.full_month:
        days = calendar.monthrange(period.month.year, period.month.month)[1]
        return sum(1 for day in range(1, days + 1) if period.month.replace(day=day).weekday() == 0)
    return -(-period.days // 7)


def _label(labels: dict[str, str], code: str) -> str:
    """The payslip line's label from `_labels()`; unknown component codes show as they are."""
    if code.startswith("sv."):
        name = code.removeprefix("sv.special.").removeprefix("sv.")
        label = labels.get(name, name.upper())
        return labels["special"] % {"label": label} if code.startswith("sv.special.") else label
    return labels.get(code, code)


@functools.cache
def _labels(language: str) -> dict[str, str]:
    """The labels in one language, translated once (a payroll run labels tens of thousands of lines)."""
    return {
        "kv": _("Health insurance"),
        "pv": _("Pension insurance"),
        "av": _("Unemployment insurance"),
        "ak": _("Chamber of labour levy"),
        "wbf": _("Housing subsidy contribution"),
        "uv": _("Accident insurance"),
        "iesg": _("Insolvency fund contribution"),
        "special": _("%(label)s on special payments"),
        "tax.regular": _("Wage tax"),
        "tax.special": _("Wage tax on special payments"),
        "levy.db": _("Employer contribution to the family fund (DB)"),
        "levy.dz": _("Supplement to the employer contribution (DZ)"),
        "levy.kommunalsteuer": _("Municipal tax"),
        "levy.bv": _("Employee provision fund (BV)"),
        "levy.ubahn": _("Vienna employer levy (U-Bahn)"),
    }


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
