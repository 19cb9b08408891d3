"""Reference data every cooperative shares: VAT rates and the Austrian base rate, both dated.

Base rates: the Austrian Basiszinssatz is *not* the ECB main refinancing rate minus a fixed distance. Under
Art. I § 1 of the 1. Euro-Justiz-Begleitgesetz (BGBl. I Nr. 125/1998) with the Basis- und
Referenzzinssatzverordnung (BGBl. II Nr. 27/1999, since 1 Aug 2002 as amended by BGBl. II Nr. 309/2002) it
moves by the amount the ECB main refinancing rate has moved, but only once that movement adds up to at
least 0.50 points since the base rate's last change; smaller moves are ignored until they add up. Source
of the rule: OeNB, "Basis- und Referenzzinssätze der Oesterreichischen Nationalbank" (Rechtsgrundlagen),
https://www.oenb.at/Statistik/Standardisierte-Tabellen/zinssaetze-und-wechselkurse/Basis-und-Referenzzinssaetze-/Basis--und-Referenzzinss-tze-der-Oesterreichischen-Nationalbank.html
and the note under every OeNB announcement. Finance adds each new rate in the backend when the OeNB
announces it (on evi.gv.at / in its press release); migration 0008_base_rates_corrected removed the rows
that were derived as "MRO − 0.62" and never existed.
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
    # OeNB press release 11 Mar 2016 ("Senkung des Basiszinssatzes",
    # https://www.oenb.at/Presse/Pressearchiv/2016/20160311_01.html): -0.12 % → -0.62 % from 16 Mar 2016
    # (MRO cuts of 7 Nov 2013, 5 Jun 2014, 4 Sep 2014 and 10 Mar 2016 added up to 0.50 points).
    (date(2016, 3, 16), "-0.620"),
    # 2022: ECB MRO 0.00 → 0.50 (27 Jul), → 1.25 (14 Sep), → 2.00 (2 Nov; stern.de "EZB erhöht Leitzinsen
    # erneut um 0,75 Punkte"), → 2.50 (21 Dec 2022; wiwo.de); each move was ≥ 0.50 points, so the base rate
    # followed each in full. Derived by the rule above (no OeNB announcement text of these dates was at
    # hand); consistent with the OeNB's "derzeit 3,38 %" of Sep 2023 below.
    (date(2022, 7, 27), "-0.120"),
    (date(2022, 9, 14), "0.630"),
    (date(2022, 11, 2), "1.380"),
    (date(2022, 12, 21), "1.880"),
    # 2023: MRO → 3.00 (8 Feb), → 3.50 (22 Mar): followed in full. MRO → 3.75 on 10 May 2023 (+0.25) was
    # ignored; with → 4.00 on 21 Jun 2023 the total reached 0.50: 2.88 → 3.38 % (derived by the rule;
    # 3.38 % confirmed as the rate before 20 Sep 2023 by OTS0171 2023-09-14 below).
    (date(2023, 2, 8), "2.380"),
    (date(2023, 3, 22), "2.880"),
    (date(2023, 6, 21), "3.380"),
    # MRO → 4.25 on 2 Aug 2023 (+0.25) ignored; → 4.50 on 20 Sep 2023: 3.38 → 3.88 %. OeNB via APA-OTS
    # OTS0171 2023-09-14 ("Erhöhung des Basis- und Referenzzinssatzes der OeNB").
    (date(2023, 9, 20), "3.880"),
    # MRO → 4.25 on 12 Jun 2024 (-0.25) ignored; → 3.65 on 18 Sep 2024 (-0.85 in total): 3.88 → 3.03 %.
    # OeNB via APA-OTS OTS0164 2024-09-12 ("Senkung des Basis- und Referenzzinssatzes der OeNB").
    (date(2024, 9, 18), "3.030"),
    # MRO → 3.40 on 23 Oct 2024 (-0.25) ignored; → 3.15 on 18 Dec 2024 (-0.50): 3.03 → 2.53 %.
    # OeNB "Bekanntmachung neuer Basiszinssatz / Referenzzinssatz" on EVI, 16 Dec 2024
    # (https://www.evi.gv.at/b/pi/bmf-mbs): "ab 18. Dezember 2024 der Basiszinssatz 2,53%".
    (date(2024, 12, 18), "2.530"),
    # MRO → 2.90 on 5 Feb 2025 (-0.25) ignored; → 2.65 on 12 Mar 2025 (-0.50): 2.53 → 2.03 %
    # (OeNB announcement for 12 Mar 2025, reported e.g. by 5min.at, 2025-03-06).
    (date(2025, 3, 12), "2.030"),
    # MRO → 2.40 on 23 Apr 2025 (-0.25) ignored; → 2.15 on 11 Jun 2025 (-0.50): 2.03 → 1.53 %
    # (OeNB announcement after the ECB decision of 5 Jun 2025).
    (date(2025, 6, 11), "1.530"),
    # Since then the MRO has stayed at 2.15 % (Kronen Zeitung, 5 Jan 2026: unchanged since June 2025), so
    # 1.53 % is in force as far as the sources reach; later changes are added by finance in the backend.
]

# Rows once seeded as "MRO − 0.62" on dates the base rate did not change (the MRO moved by only 0.25
# points). Migration 0008_base_rates_corrected deletes them.
AT_BASE_RATES_NEVER_EXISTED: list[date] = [
    date(2023, 5, 10),
    date(2023, 8, 2),
    date(2024, 6, 12),
    date(2024, 10, 23),
    date(2025, 2, 5),
    date(2025, 4, 23),
]


def correct_base_rates(base_rate_model: Any) -> None:
    """Make the stored Austrian base rates agree with AT_BASE_RATES (data migration 0007).

    Only base rate rows change: dunning notices already created keep the interest they claimed (their
    amounts and `interest_detail` are the letter that was sent).
    """
    base_rate_model.objects.filter(country="AT", valid_from__in=AT_BASE_RATES_NEVER_EXISTED).delete()
    for start, base in AT_BASE_RATES:
        base_rate_model.objects.update_or_create(
            country="AT", valid_from=start, defaults={"rate": Decimal(base)}
        )


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
