"""Reference data every cooperative shares: VAT rates and the Austrian base rate, both dated.

Base rates: the Austrian Basiszinssatz follows the ECB main refinancing rate at a fixed distance of
0.62 points since 2016 (OeNB). Finance can add new rates in the backend; check them against the OeNB
publication before relying on them in court.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

VAT_RATES: list[tuple[str, str, str, date, date | None, str]] = [
    ("AT", "standard", "20.00", date(1984, 1, 1), None, "Normalsteuersatz"),
    ("AT", "reduced", "10.00", date(1984, 1, 1), None, "Ermäßigter Steuersatz"),
    (
        "AT",
        "reduced_2",
        "13.00",
        date(2016, 1, 1),
        None,
        "Ermäßigter Steuersatz (u. a. künstlerische Leistungen)",
    ),
    ("DE", "standard", "19.00", date(2007, 1, 1), date(2020, 6, 30), "Regelsteuersatz"),
    ("DE", "standard", "16.00", date(2020, 7, 1), date(2020, 12, 31), "Regelsteuersatz (Corona-Senkung)"),
    ("DE", "standard", "19.00", date(2021, 1, 1), None, "Regelsteuersatz"),
    ("DE", "reduced", "7.00", date(1983, 7, 1), date(2020, 6, 30), "Ermäßigter Steuersatz"),
    ("DE", "reduced", "5.00", date(2020, 7, 1), date(2020, 12, 31), "Ermäßigter Steuersatz (Corona-Senkung)"),
    ("DE", "reduced", "7.00", date(2021, 1, 1), None, "Ermäßigter Steuersatz"),
]

AT_BASE_RATES: list[tuple[date, str]] = [
    (date(2016, 3, 16), "-0.620"),
    (date(2022, 7, 27), "-0.120"),
    (date(2022, 9, 14), "0.630"),
    (date(2022, 11, 2), "1.380"),
    (date(2022, 12, 21), "1.880"),
    (date(2023, 2, 8), "2.380"),
    (date(2023, 3, 22), "2.880"),
    (date(2023, 5, 10), "3.130"),
    (date(2023, 6, 21), "3.380"),
    (date(2023, 8, 2), "3.630"),
    (date(2023, 9, 20), "3.880"),
    (date(2024, 6, 12), "3.630"),
    (date(2024, 9, 18), "3.030"),
    (date(2024, 10, 23), "2.780"),
    (date(2024, 12, 18), "2.530"),
    (date(2025, 2, 5), "2.280"),
    (date(2025, 3, 12), "2.030"),
    (date(2025, 4, 23), "1.780"),
    (date(2025, 6, 11), "1.530"),
]


def load_reference_data(vat_rate_model: Any = None, base_rate_model: Any = None) -> None:
    """Idempotent: used by the data migration (historical models) and after test-database flushes."""
    if vat_rate_model is None or base_rate_model is None:
        from invoicing.models import BaseRate, VatRate

        vat_rate_model, base_rate_model = VatRate, BaseRate
    for country, code, rate, start, end, label in VAT_RATES:
        vat_rate_model.objects.get_or_create(
            country=country,
            code=code,
            valid_from=start,
            defaults={"rate": Decimal(rate), "valid_until": end, "label": label},
        )
    for start, base in AT_BASE_RATES:
        base_rate_model.objects.get_or_create(
            country="AT", valid_from=start, defaults={"rate": Decimal(base)}
        )
