"""Gross → net from the Austrian rules of 2025 and 2026 (issue 10), computed by hand.

Each expectation is worked out in the comment beside it from the published figures (payroll/reference_data.py
cites them): SV lines are rounded to the cent one by one, half up; the monthly wage tax is
((gross − employee SV) × 12 − 132) → tariff → − Verkehrsabsetzbetrag → ÷ 12; part of a month is taxed per
day × 360. The computation is tested on that data without the database; one test checks that the
database rows (loaded by the migration payroll 0005) are that data.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from payroll.calc import (
    NoPayrollRules,
    PayInput,
    PayResult,
    Rules,
    YearToDate,
    compute,
    max_gross,
    period_for,
    rules_for,
)
from payroll.models import PayrollRules
from payroll.reference_data import RULES_2025, RULES_2026

RULES = {2025: Rules("AT", 2025, RULES_2025), 2026: Rules("AT", 2026, RULES_2026)}
D = Decimal


def pay(
    year: int,
    gross: str,
    state: str = "Niederösterreich",
    *,
    month: int = 3,
    start: date | None = None,
    end: date | None = None,
    **kwargs: Any,
) -> PayResult:
    period = period_for(start or date(year, 1, 1), end or date(year, 12, 31), date(year, month, 1))
    return compute(RULES[year], PayInput(gross=D(gross), period=period, federal_state=state, **kwargs))


def amounts(result: PayResult, side: str) -> dict[str, Decimal]:
    return {line.code: line.amount for line in result.lines if line.side == side}


def test_reference_case_of_the_issue_2025_5400_gives_3400_09() -> None:
    result = pay(2025, "5400.00")
    # SV 18.07 %: KV 208.98 + PV 553.50 + AV 159.30 + AK 27.00 + WBF 27.00 = 975.78
    assert amounts(result, "employee") == {
        "sv.kv": D("208.98"),
        "sv.pv": D("553.50"),
        "sv.av": D("159.30"),
        "sv.ak": D("27.00"),
        "sv.wbf": D("27.00"),
        "tax.regular": D("1024.13"),
    }
    # (5400 − 975.78) × 12 − 132 = 52,958.64; tariff 2025: 8,309 × 20 % = 1,661.80; 14,219 × 30 % = 4,265.70;
    # (52,958.64 − 35,836) × 40 % = 6,849.056 → 12,776.556 − 487 = 12,289.556 ÷ 12 = 1,024.13
    assert (result.employee_social_insurance, result.wage_tax, result.net) == (
        D("975.78"),
        D("1024.13"),
        D("3400.09"),  # the issue's reference
    )
    assert result.marginal is False


def test_low_income_2025_pays_the_reduced_unemployment_share() -> None:
    # 2,200 lies in 2,074 < x ≤ 2,262: AV 1 % = 22.00; KV 85.14, PV 225.50, AK 11.00, WBF 11.00 → 354.64
    result = pay(2025, "2200.00")
    assert amounts(result, "employee")["sv.av"] == D("22.00")
    assert result.employee_social_insurance == D("354.64")
    # (2,200 − 354.64) × 12 − 132 = 22,012.32 → 1,661.80 + 395.32 × 30 % = 1,780.396 − 487 = 1,293.396 ÷ 12
    assert result.wage_tax == D("107.78")
    assert result.net == D("1737.58")


def test_low_income_2026_bands_moved_up() -> None:
    # 2026 band 2,225 < 2,300 ≤ 2,427: AV 1 % = 23.00; KV 89.01, PV 235.75, AK 11.50, WBF 11.50 → 370.76
    result = pay(2026, "2300.00")
    assert amounts(result, "employee")["sv.av"] == D("23.00")
    assert result.employee_social_insurance == D("370.76")
    # 1,929.24 × 12 − 132 = 23,018.88 → 8,453 × 20 % = 1,690.60 + 1,026.88 × 30 % = 308.064 → 1,998.664
    # − 496 = 1,502.664 ÷ 12 = 125.222
    assert (result.wage_tax, result.net) == (D("125.22"), D("1804.02"))
    # 2,100 is below 2026's first band (2,225): no AV at all
    assert "sv.av" not in amounts(pay(2026, "2100.00"), "employee")


def test_mid_income_2026_outside_vienna() -> None:
    result = pay(2026, "3060.00")
    # KV 118.42 + PV 313.65 + AV 90.27 + AK 15.30 + WBF 15.30 = 552.94
    assert result.employee_social_insurance == D("552.94")
    # 2,507.06 × 12 − 132 = 29,952.72 → 1,690.60 + 7,960.72 × 30 % = 2,388.216 → 4,078.816 − 496 ÷ 12
    assert (result.wage_tax, result.net) == (D("298.57"), D("2208.49"))
    assert result.levies["ubahn"] == D("0.00")
    assert result.levies["dz"] == D("10.10")  # Niederösterreich 2026: 0.33 % of 3,060 = 10.098


def test_vienna_2026_has_the_higher_housing_contribution_and_the_u_bahn_levy() -> None:
    result = pay(2026, "3060.00", "Wien")
    # WBF 0.75 % = 22.95 instead of 15.30: 552.94 + 7.65 = 560.59
    assert amounts(result, "employee")["sv.wbf"] == D("22.95")
    assert result.employee_social_insurance == D("560.59")
    # 2,499.41 × 12 − 132 = 29,860.92 → 1,690.60 + 7,868.92 × 30 % = 2,360.676 → 4,051.276 − 496 ÷ 12
    assert (result.wage_tax, result.net) == (D("296.27"), D("2203.14"))
    # employer 21.23 %: KV 115.67, PV 384.03, AV 90.27, UV 33.66, IESG 3.06, WBF 22.95 = 649.64
    assert result.employer_social_insurance == D("649.64")
    # March 2026 begins on a Sunday: weeks begin on the 2nd, 9th, 16th, 23rd, 30th → 5 × € 2
    assert result.levies == {
        "db": D("113.22"),  # 3.7 %
        "dz": D("11.02"),  # Wien 0.36 % = 11.016
        "kommunalsteuer": D("91.80"),  # 3 %
        "bv": D("46.82"),  # 1.53 % = 46.818
        "ubahn": D("10.00"),
    }
    # accrual: 3,060 / 6 = 510 + 510 × 20.48 % (special-payment employer SV) = 104.448
    #          + 510 × (1.53 + 3.7 + 0.36 + 3) % = 43.809 → 658.257
    assert result.special_accrual == D("658.26")
    # cost: 3,060 + 649.64 + (113.22 + 11.02 + 91.80 + 46.82 + 10.00) + 658.26
    assert result.employer_cost_total == D("4640.76")


def test_vienna_2025_had_no_higher_housing_contribution() -> None:
    vienna, elsewhere = pay(2025, "3060.00", "Wien"), pay(2025, "3060.00", "Tirol")
    assert vienna.employee_social_insurance == elsewhere.employee_social_insurance
    assert vienna.levies["ubahn"] == D("10.00") and elsewhere.levies["ubahn"] == D("0.00")
    assert (vienna.levies["dz"], elsewhere.levies["dz"]) == (D("11.02"), D("11.93"))  # 0.36 % / 0.39 %


def test_above_the_maximum_contribution_base_2025() -> None:
    result = pay(2025, "8000.00")
    # SV on 6,450: KV 249.62 (249.615), PV 661.13 (661.125), AV 190.28 (190.275), AK 32.25, WBF 32.25
    assert result.employee_social_insurance == D("1165.53")
    # 6,834.47 × 12 − 132 = 81,881.64 → 1,661.80 + 4,265.70 + 33,330 × 40 % = 13,332 + 12,715.64 × 48 %
    # = 6,103.5072 → 25,363.0072 − 487 = 24,876.0072 ÷ 12 = 2,073.0006
    assert (result.wage_tax, result.net) == (D("2073.00"), D("4761.47"))


def test_above_the_maximum_contribution_base_2026() -> None:
    result = pay(2026, "7500.00")
    # SV on 6,930: KV 268.19, PV 710.33 (710.325), AV 204.44 (204.435), AK 34.65, WBF 34.65 = 1,252.26
    assert result.employee_social_insurance == D("1252.26")
    # 6,247.74 × 12 − 132 = 74,840.88 → 1,690.60 + 14,466 × 30 % = 4,339.80 + 33,907 × 40 % = 13,562.80
    # + 4,475.88 × 48 % = 2,148.4224 → 21,741.6224 − 496 = 21,245.6224 ÷ 12 = 1,770.4685
    assert (result.wage_tax, result.net) == (D("1770.47"), D("4477.27"))


def test_marginal_employment_2026_only_the_employers_accident_insurance() -> None:
    result = pay(2026, "500.00")
    assert result.marginal is True
    assert (result.employee_social_insurance, result.wage_tax, result.net) == (D("0"), D("0"), D("500.00"))
    assert amounts(result, "employer") == {"sv.uv": D("5.50"), "levy.bv": D("7.65")}  # 1.1 %, 1.53 %
    # DB, DZ, Kommunalsteuer: the month's payroll 500 ≤ 1,460 → base 500 − 1,095 < 0 → nothing
    assert (result.levies["db"], result.levies["dz"], result.levies["kommunalsteuer"]) == (D("0"),) * 3
    # accrual: 500/6 = 83.3333 + 1.1 % of it 0.9167 + (1.53 + 3.7 + 0.33 + 3) % of it 7.1333 = 91.3833
    assert result.special_accrual == D("91.38")
    assert result.employer_cost_total == D("604.53")  # 500 + 5.50 + 7.65 + 91.38
    # one cent above the threshold is insured employment
    assert pay(2026, "551.11").marginal is False and pay(2026, "551.10").marginal is True


def test_the_relief_for_a_small_payroll_and_the_cooperatives_total() -> None:
    # 1,300 ≤ 1,460: base 1,300 − 1,095 = 205 → DB 3.7 % = 7.59 (7.585), Kommunalsteuer 3 % = 6.15
    alone = pay(2025, "1300.00")
    assert (alone.levies["db"], alone.levies["kommunalsteuer"]) == (D("7.59"), D("6.15"))
    # with the cooperative's whole payroll of the month above 1,460 there is no relief: 3.7 % of 1,300
    together = pay(2025, "1300.00", monthly_payroll_total=D("25000.00"))
    assert together.levies["db"] == D("48.10")


def test_bv_is_due_from_the_second_month() -> None:
    assert pay(2026, "3060.00", first_employment_month=True).levies["bv"] == D("0")
    assert pay(2026, "3060.00").levies["bv"] == D("46.82")


def test_partial_month_2026_daily_method() -> None:
    # 10 to 31 March = 22 days; the cap 231 × 22 = 5,082 does not bite; 2,000 ≤ 2,225 → no AV
    result = pay(2026, "2000.00", start=date(2026, 3, 10))
    assert result.employee_social_insurance == D("302.40")  # KV 77.40 + PV 205.00 + AK 10.00 + WBF 10.00
    # 1,697.60 ÷ 22 × 360 = 27,778.909 − 132 = 27,646.909 → 1,690.60 + 5,654.909 × 30 % = 3,387.0727
    # − 496 = 2,891.0727 ÷ 360 × 22 = 176.6767
    assert (result.wage_tax, result.net) == (D("176.68"), D("1520.92"))


def test_partial_month_is_capped_at_the_daily_maximum_base() -> None:
    # 10 days in 2026: cap 231 × 10 = 2,310 (2,310 is in the 1 % AV band)
    result = pay(2026, "3000.00", start=date(2026, 3, 22))
    # KV 89.40 (89.397), PV 236.78 (236.775), AV 23.10, AK 11.55, WBF 11.55 = 372.38
    assert result.employee_social_insurance == D("372.38")
    assert {line.base for line in result.lines if line.code.startswith("sv.")} == {D("2310")}
    # 2,627.62 ÷ 10 × 360 = 94,594.32 − 132 = 94,462.32 → 1,690.60 + 4,339.80 + 13,562.80 + 24,097.32 × 48 %
    # = 11,566.7136 → 31,159.9136 − 496 = 30,663.9136 ÷ 360 × 10 = 851.7754
    assert (result.wage_tax, result.net) == (D("851.78"), D("1775.84"))
    # 2025's daily cap was 215: the same 10 days are capped at 2,150
    assert {
        line.base for line in pay(2025, "3000.00", start=date(2025, 3, 22)).lines if line.code == "sv.kv"
    } == {D("2150")}


def test_thirteenth_salary_within_the_freigrenze_then_fourteenth_pays_for_both_2025() -> None:
    june = pay(
        2025,
        "3000.00",
        month=6,
        special_gross=D("3000.00"),
        ytd=YearToDate(gross=D("15000.00"), months=5),
    )
    # special SV 17.07 % (no AK, no WBF): KV 116.10 + PV 307.50 + AV 88.50 = 512.10
    assert {k: v for k, v in amounts(june, "employee").items() if k.startswith("sv.special.")} == {
        "sv.special.kv": D("116.10"),
        "sv.special.pv": D("307.50"),
        "sv.special.av": D("88.50"),
    }
    # 3,000 − 512.10 = 2,487.90 ≤ Freigrenze 2,570 → no tax on the 13th
    assert "tax.special" in amounts(june, "employee") and amounts(june, "employee")["tax.special"] == D("0")
    # regular: 2,457.90 × 12 − 132 = 29,362.80 → 1,661.80 + 7,745.80 × 30 % = 3,985.54 − 487 = 3,498.54 ÷ 12
    assert june.wage_tax == D("291.55")
    assert june.net == D("4654.25")  # 6,000 − 542.10 − 512.10 − 291.55
    # employer on the special payment: 20.48 % = KV 113.40 + PV 376.50 + AV 88.50 + UV 33.00 + IESG 3.00 =
    # 614.40; DB 111.00, DZ (NÖ 0.34 %) 10.20, Kommunalsteuer 90.00, BV 45.90
    assert june.special_cost == D("3871.50")

    november = pay(
        2025,
        "3000.00",
        month=11,
        special_gross=D("3000.00"),
        ytd=YearToDate(
            gross=D("30000.00"), months=10, special_gross=D("3000.00"), special_sv_base=D("3000.00")
        ),
    )
    # the year's special payments after SV: 2 × 2,487.90 = 4,975.80 > 2,570 → 6 % × (4,975.80 − 620) = 261.348
    # less what June withheld (0)
    assert amounts(november, "employee")["tax.special"] == D("261.35")
    assert november.net == D("4392.90")  # 6,000 − 542.10 − 512.10 − 291.55 − 261.35


def test_the_special_payments_av_share_is_judged_on_the_special_payment_alone() -> None:
    result = pay(
        2026, "2100.00", month=6, special_gross=D("3000.00"), ytd=YearToDate(D("10500.00"), months=5)
    )
    employee = amounts(result, "employee")
    assert "sv.av" not in employee  # the regular 2,100 ≤ 2,225: 0 %
    assert employee["sv.special.av"] == D("88.50")  # the special 3,000 > 2,630: 2.95 %


def test_special_payment_sv_stops_at_the_yearly_special_maximum_2026() -> None:
    result = pay(
        2026,
        "3000.00",
        month=11,
        special_gross=D("3000.00"),
        ytd=YearToDate(
            gross=D("30000.00"), months=10, special_gross=D("13000.00"), special_sv_base=D("13000.00")
        ),
    )
    # 13,860 − 13,000 = 860 left; 860 alone is below the first AV band → KV 33.28 + PV 88.15
    special = {k: v for k, v in amounts(result, "employee").items() if k.startswith("sv.special.")}
    assert special == {"sv.special.kv": D("33.28"), "sv.special.pv": D("88.15")}


def test_special_payment_beyond_the_sixth_is_taxed_with_the_tariff() -> None:
    # one month of 3,000 so far (this one): the sixth is 3,000 × 2 = 6,000; a special payment of 8,000
    # leaves 2,000 to the tariff
    result = pay(2026, "3000.00", month=1, special_gross=D("8000.00"))
    tax_special = next(line for line in result.lines if line.code == "tax.special")
    special_sv = sum(v for k, v in amounts(result, "employee").items() if k.startswith("sv.special."))
    assert tax_special.base == D("6000.00") - (special_sv * 6000 / 8000).quantize(D("0.01"))
    plain = pay(2026, "3000.00", month=1)
    assert result.wage_tax - tax_special.amount > plain.wage_tax


def test_costs_add_up_with_special_payments() -> None:
    result = pay(
        2026, "4200.00", "Wien", month=6, special_gross=D("4200.00"), ytd=YearToDate(D("21000"), months=5)
    )
    employer = result.employer_social_insurance + sum(result.levies.values())
    assert result.employer_cost_total + result.special_cost == (
        result.gross + result.special_gross + employer + result.special_accrual
    )
    assert sum(v for k, v in amounts(result, "employee").items()) == (
        result.employee_social_insurance + result.wage_tax
    )


def test_labels_are_translated() -> None:
    with translation.override("de"):
        labels = {line.code: line.label for line in pay(2026, "3060.00", "Wien").lines}
    assert labels["sv.kv"] == "Krankenversicherung"
    assert labels["tax.regular"] == "Lohnsteuer"
    assert labels["levy.ubahn"] == "Dienstgeberabgabe Wien (U-Bahn-Steuer)"


def test_unknown_federal_state_is_refused() -> None:
    with pytest.raises(Exception, match="Unknown federal state"):
        pay(2026, "3000.00", "Bayern")


@pytest.mark.django_db
def test_the_database_holds_the_migrations_rules_and_germany_has_none() -> None:
    for year in (2025, 2026):
        row = PayrollRules.objects.get(country="AT", year=year)
        assert row.rules == RULES[year].data
        assert "ÖGK" in row.source
        assert rules_for("AT", date(year, 7, 1)).data == RULES[year].data
    with pytest.raises(NoPayrollRules) as refused:
        rules_for("DE", date(2026, 3, 1))
    assert refused.value.messages == ["No payroll rules for DE 2026."]
    with translation.override("de"), pytest.raises(NoPayrollRules) as refused_de:
        rules_for("AT", date(2027, 1, 1))
    assert refused_de.value.messages == ["Keine Lohnverrechnungsregeln für AT 2027."]


TEMPLATES = [
    (2025, "Niederösterreich", None, False),
    (2026, "Wien", None, False),
    (2026, "Wien", date(2026, 3, 20), True),
    (2025, "Tirol", date(2025, 2, 17), False),
]


@settings(max_examples=120, deadline=None)
@given(
    cents=st.integers(min_value=0, max_value=3_000_000),
    template=st.sampled_from(TEMPLATES),
)
def test_max_gross_is_the_largest_gross_whose_cost_fits(cents: int, template: tuple[Any, ...]) -> None:
    year, state, start, first = template
    period = period_for(
        start or date(year, 1, 1), date(year, 12, 31), date(year, 3 if start is None else start.month, 1)
    )
    base = PayInput(gross=D("0"), period=period, federal_state=state, first_employment_month=first)
    available = D(cents) / 100

    def cost(gross: Decimal) -> Decimal:
        return compute(RULES[year], replace(base, gross=gross)).employer_cost_total

    found = max_gross(RULES[year], base, available)
    if found is None:
        assert cost(D("0.01")) > available
    else:
        assert cost(found) <= available < cost(found + D("0.01"))
