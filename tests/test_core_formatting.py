"""The one formatter of money, numbers, dates and IBANs for documents and letters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from smartprod.core.formatting import (
    format_amount,
    format_date,
    format_decimal,
    format_iban,
    format_money,
    format_percent,
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "1.234.567,50 EUR"), ("en", "EUR 1,234,567.50"), ("en-gb", "EUR 1,234,567.50")],
)
def test_money_is_written_as_the_language_writes_it(language, expected):
    assert format_money(Decimal("1234567.5"), "EUR", language) == expected


def test_money_can_keep_the_code_behind_the_figures_and_rounds_half_up():
    assert format_money(Decimal("1426.005"), "EUR", "en", currency_first=False) == "1,426.01 EUR"
    assert format_money(Decimal("-0.5"), "EUR", "en") == "-EUR 0.50"
    assert format_money(Decimal("-1234.5"), "CHF", "de") == "-1.234,50 CHF"
    assert format_amount(Decimal("0"), "de") == "0,00"


def test_numbers_lose_trailing_zeros_unless_places_are_given():
    assert [format_decimal(Decimal(v), "de") for v in ("10.000", "2.500", "1250.50", "0.125")] == [
        "10",
        "2,5",
        "1.250,5",
        "0,125",
    ]
    assert format_decimal(Decimal("1250.5"), "en") == "1,250.5"
    assert format_percent(Decimal("10.73"), "de", places=2) == "10,73 %"
    assert format_percent(Decimal("4"), "en", places=2) == "4.00 %"
    assert format_percent(Decimal("20.00"), "de") == "20 %"


def test_dates_do_not_depend_on_the_active_language():
    with translation.override("de"):
        assert format_date(date(2026, 7, 6), "en") == "6 July 2026"
    with translation.override("en"):
        assert format_date(date(2026, 7, 6), "de") == "06.07.2026"
    assert format_date(None, "de") == ""


def test_iban_in_groups_of_four():
    assert format_iban("at611904300234573201") == "AT61 1904 3002 3457 3201"
    assert format_iban("") == ""
