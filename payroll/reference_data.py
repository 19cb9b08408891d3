"""Austria's payroll rules for 2025 and 2026 and one collective agreement: reference data every
cooperative shares (issue 10), read by `payroll.calc`.

Every figure is a decimal string (percentages in per cent, amounts in euro); `SOURCE_*` say where each one
comes from (checked on 2026-11-29). Loaded by the data migration payroll 0005 and again after a test
database flush; platform operators add a new year in the backend (or a migration) when it is published.
"""

from __future__ import annotations

from typing import Any

# Zuschlag zum Dienstgeberbeitrag (Kammerumlage 2) per federal state, in per cent.
DZ_2025 = {
    "Burgenland": "0.40",
    "Kärnten": "0.37",
    "Niederösterreich": "0.34",
    "Oberösterreich": "0.31",
    "Salzburg": "0.36",
    "Steiermark": "0.34",
    "Tirol": "0.39",
    "Vorarlberg": "0.33",
    "Wien": "0.36",
}
DZ_2026 = {**DZ_2025, "Niederösterreich": "0.33", "Salzburg": "0.35"}


def _rules(
    *,
    av_reduced: list[tuple[str, str]],
    max_base: dict[str, str],
    dz: dict[str, str],
    brackets: list[tuple[str | None, str]],
    verkehrsabsetzbetrag: str,
    freigrenze: str,
    by_state: dict[str, Any],
) -> dict[str, Any]:
    return {
        "currency": "EUR",
        "sv": {
            # Angestellte (white-collar), Beitragsgruppe D1: employee 18.07 %, employer 20.98 %.
            "employee": {"kv": "3.87", "pv": "10.25", "av": "2.95", "ak": "0.50", "wbf": "0.50"},
            "employer": {
                "kv": "3.78",
                "pv": "12.55",
                "av": "2.95",
                "uv": "1.10",
                "iesg": "0.10",
                "wbf": "0.50",
            },
            # A state's own rates replace the general ones (Vienna's Wohnbauförderungsbeitrag from 2026).
            "by_state": by_state,
            # Special payments (13th/14th) carry no AK and no WBF: 17.07 % / 20.48 %.
            "not_on_special": ["ak", "wbf"],
            # Employee AV share at low income: the rate up to each monthly contribution base.
            "av_reduced": [{"up_to": up_to, "rate": rate} for up_to, rate in av_reduced],
            "max_base": max_base,
            "marginal": {
                "threshold_monthly": "551.10",
                "employee": {},
                "employer": {"uv": "1.10"},
                # Dienstgeberabgabe (DAG) when the employer's marginal wages of a month exceed 1.5 × the
                # threshold: not charged per payslip (one marginal payslip never exceeds it), see README.
                "employer_levy": {"rate": "16.40", "payroll_above": "826.65"},
            },
        },
        "bv": {"rate": "1.53"},  # from the 2nd month of an employment (PayInput.first_employment_month)
        "levies": {
            "db": "3.70",
            "dz": dz,
            "kommunalsteuer": "3.00",
            "relief": {"payroll_up_to": "1460.00", "deduction": "1095.00"},
            "ubahn": {"states": ["Wien"], "per_week": "2.00"},
        },
        "tax": {
            "brackets": [{"up_to": up_to, "rate": rate} for up_to, rate in brackets],
            "werbungskosten": "132.00",
            "verkehrsabsetzbetrag": verkehrsabsetzbetrag,
            "months_per_year": 12,
            "days_per_year": 360,
        },
        "special": {
            "payments_per_year": 2,
            "freigrenze": freigrenze,
            "brackets": [
                {"up_to": "620.00", "rate": "0"},
                {"up_to": "25000.00", "rate": "6"},
                {"up_to": "50000.00", "rate": "27"},
                {"up_to": "83333.00", "rate": "35.75"},
            ],
        },
    }


RULES_2025 = _rules(
    av_reduced=[("2074.00", "0"), ("2262.00", "1"), ("2451.00", "2")],
    max_base={"monthly": "6450.00", "daily": "215.00", "special_yearly": "12900.00"},
    dz=DZ_2025,
    brackets=[
        ("13308", "0"),
        ("21617", "20"),
        ("35836", "30"),
        ("69166", "40"),
        ("103072", "48"),
        ("1000000", "50"),
        (None, "55"),
    ],
    verkehrsabsetzbetrag="487.00",
    freigrenze="2570.00",
    by_state={},
)

RULES_2026 = _rules(
    av_reduced=[("2225.00", "0"), ("2427.00", "1"), ("2630.00", "2")],
    max_base={"monthly": "6930.00", "daily": "231.00", "special_yearly": "13860.00"},
    dz=DZ_2026,
    brackets=[
        ("13539", "0"),
        ("21992", "20"),
        ("36458", "30"),
        ("70365", "40"),
        ("104859", "48"),
        ("1000000", "50"),
        (None, "55"),
    ],
    verkehrsabsetzbetrag="496.00",
    freigrenze="2615.00",
    by_state={"Wien": {"employee": {"wbf": "0.75"}, "employer": {"wbf": "0.75"}}},
)

SOURCE_COMMON = """\
SV rates (Angestellte): employee KV 3.87, PV 10.25, AV 2.95, AK 0.50, WBF 0.50 = 18.07 %; employer KV 3.78,
PV 12.55, AV 2.95, UV 1.10, IESG 0.10, WBF 0.50 = 20.98 %; special payments without AK and WBF (17.07 % /
20.48 %) — ÖGK "Beitragsrechtliche Werte" / sozialversicherung.at "Beitragshöhe"; UV 1.10 % since
2023 (Teuerungs-Entlastungspaket), IESG 0.10 % (WEKA "Lohnnebenkosten: Übersicht", 2025-12-03).
BV (Mitarbeitervorsorge) 1.53 % from the 2nd month of the employment — § 6 BMSVG, ÖGK.
DB 3.7 % from 2025 — § 41 FLAG (LBG Steuertipps "Senkung DB auf 3,7 % ab 1.1.2025"). Kommunalsteuer 3 % —
§ 9 KommStG. Relief for DB, DZ, Kommunalsteuer: a monthly base not above 1,460 is reduced by 1,095 —
§ 41 Abs 4 FLAG, § 9 Abs 2 KommStG (WKO "Zuschlag zum Dienstgeberbeitrag", example 1,300 − 1,095 = 205).
Vienna Dienstgeberabgabe (U-Bahn-Steuer): € 2 per employee and week begun since 2012-06-01 — § 5
Wiener Dienstgeberabgabegesetz, LGBl. 25/2012 (no change for 2025/2026 found); employees over 55 or
with at most 10 hours a week are exempt (not modelled, see README).
Marginal employment: threshold € 551.10 a month (2025; frozen for 2026 by the Budgetbegleitgesetz 2025),
Dienstgeberabgabe 16.4 % above € 826.65 of marginal wages a month — ÖGK "Veränderliche Werte".
Wage tax: monthly (gross − employee SV) × 12 − Werbungskostenpauschale € 132 (§ 16 Abs 3 EStG), tariff
§ 33 Abs 1 EStG, minus Verkehrsabsetzbetrag (§ 33 Abs 5 Z 1 EStG), ÷ 12; partial months per day × 360.
Special payments § 67 Abs 1 EStG: € 620 free, then 6 % up to 25,000, 27 % up to 50,000, 35.75 % up to
83,333 (LexisNexis VWT Steuerservice "Sonstige Bezüge"); Freigrenze LStR Rz 1055a.
"""

SOURCE_2025 = (
    SOURCE_COMMON
    + """\
2025: ÖGK "Veränderliche Werte 2025" (DGservice 4/2024, BGBl. II 417/2024): Höchstbeitragsgrundlage
6,450.00 monthly, 215.00 daily, 12,900.00 yearly for special payments; AV employee share 0 % up to
2,074, 1 % up to 2,262, 2 % up to 2,451, then 2.95 %; Geringfügigkeitsgrenze 551.10.
Tariff 2025: 13,308 / 21,617 / 35,836 / 69,166 / 103,072 / 1,000,000 (0/20/30/40/48/50/55 %),
Verkehrsabsetzbetrag 487 — Inflationsanpassungsverordnung 2025 (Crowe "Inflationsanpassungsverordnung
2026", table of 2025 and 2026). Freigrenze special payments 2,570 (LStR Rz 1055a).
DZ 2025 per state (WKO "Wie hoch ist der Zuschlag zum Dienstgeberbeitrag (DZ) 2025?"): Burgenland 0.40,
Kärnten 0.37, Niederösterreich 0.34, Oberösterreich 0.31, Salzburg 0.36, Steiermark 0.34, Tirol 0.39,
Vorarlberg 0.33, Wien 0.36 %.
"""
)

SOURCE_2026 = (
    SOURCE_COMMON
    + """\
2026: ÖGK "Veränderliche Werte 2026" (Aufwertungszahl 1.073, BGBl. II 263/2025): Höchstbeitragsgrundlage
6,930.00 monthly, 231.00 daily, 13,860.00 yearly for special payments; AV employee share 0 % up to
2,225, 1 % up to 2,427, 2 % up to 2,630, then 2.95 %; Geringfügigkeitsgrenze 551.10 (not raised).
Vienna: Wohnbauförderungsbeitrag 0.75 % employee + 0.75 % employer from 2026-01-01 (Wiener
Wohnbauförderungsbeitragstarif, Landtag October 2025; WEKA 2025-12-03, Kurier 2025-10-22): employee
18.32 %, employer 21.23 % in Vienna. Tariff 2026 (tariff limits + 1.733 %): 13,539 / 21,992 / 36,458 /
70,365 / 104,859 / 1,000,000, Verkehrsabsetzbetrag 496 — Inflationsanpassungsverordnung 2026 (BGBl. II
191/2025; Crowe, Gewinn). Freigrenze special payments 2,615 (LStR Rz 1055a).
DZ 2026 per state (RdW 2026/1 "Kammerumlagen 2026": only Niederösterreich and Salzburg −0.01): Burgenland
0.40, Kärnten 0.37, Niederösterreich 0.33, Oberösterreich 0.31, Salzburg 0.35, Steiermark 0.34, Tirol
0.39, Vorarlberg 0.33, Wien 0.36 %.
"""
)

AGREEMENT_SOURCE = """\
Kollektivvertrag für Angestellte in Werbung und Marktkommunikation Wien (Fachgruppe Werbung und
Marktkommunikation Wien / Gewerkschaft GPA): normal working time 38.5 hours a week (§ 4), 13th and 14th
salary; minimum base salaries (§ 20) raised by 3.85 % from 2025-01-01 (WKO "Information zum KV-Abschluss
Werbung und Marktkommunikation Wien 2025", 2024-11-25). The salary table's euro amounts per
Verwendungsgruppe could not be sourced, so `minimum_pay` is empty (no group minimum is enforced) until an
operator enters them from the published table.
"""


def load_payroll_rules(rules_model: Any = None, agreement_model: Any = None) -> None:
    """Idempotent: used by the data migration (historical models) and after test-database flushes."""
    if rules_model is None or agreement_model is None:
        from payroll.models import CollectiveAgreement, PayrollRules

        rules_model, agreement_model = PayrollRules, CollectiveAgreement
    for year, rules, source in ((2025, RULES_2025, SOURCE_2025), (2026, RULES_2026, SOURCE_2026)):
        rules_model.objects.update_or_create(
            country="AT", year=year, defaults={"rules": rules, "source": source}
        )
    agreement_model.objects.update_or_create(
        country="AT",
        code="werbung-wien",
        year=2025,
        defaults={
            "name": "Werbung und Marktkommunikation Wien (Angestellte)",
            "full_time_hours": "38.5",
            "minimum_pay": {},
            "special_payments": True,
            "source": AGREEMENT_SOURCE,
        },
    )
