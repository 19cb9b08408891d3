"""CSV exports for finance: the per-person data of the monthly contribution base report (mBGM) and the
annual wage-tax card (L16). Complete, not transmitted (ELDA / ELDA-L16 transmission is another issue).

mBGM: per employee and month the contribution bases — regular (laufende Bezüge) and special payments
(Sonderzahlungen) —, the period, the social insurance number and the tariff (Tarifsystem since 2019:
Beschäftigtengruppe, Abschläge, Zuschläge — source: ÖGK "Tarifsystem",
https://gesundheitskasse.at/cdscontent/?contentid=10007.864033&portal=oegkdgportal; the Vienna
Dienstgeberabgabe is the Zuschlag Z01). L16 (§ 84 EStG): per employee and year gross, social insurance,
taxable income, wage tax, special payments. Simplification: "taxable" is gross − employee social insurance;
the tax-free share of special payments (€ 620, Jahressechstel) is in the special payments column, not
deducted again.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from payroll.models import PayeeProfile, Payslip
from smartprod.core import capabilities
from smartprod.core.errors import NotAllowed
from smartprod.core.money import ZERO
from smartprod.tenancy.models import Cooperative, Membership

# Beschäftigtengruppen (the tariff group every mBGM names). B001 is "vollversicherte Arbeiter/innen", B002
# "vollversicherte Angestellte" (LexisNexis, "Besonderheiten in den Standard-Tarifgruppen",
# https://cert05external-www.360.lexisnexis.at/d/h_94290_001500_94290_71_Besonderheiteni_a7f89e92d1); the
# cooperative employs white-collar staff (Angestellte: the payroll rules apply the AK/WBF shares of the
# Angestellte). The code of the group for marginally employed Angestellte was not found in a source we could
# read, so that row names the group in words and leaves the code to the person transmitting (README).
EMPLOYEE_GROUPS = {
    False: ("B002", "Angestellte"),
    True: ("", "geringfügig beschäftigte Angestellte"),
}


def _require_finance(actor: Membership) -> None:
    if not capabilities.can_run_payouts(actor):
        raise NotAllowed("Only finance staff and admins export payroll data.")


def _people(cooperative: Cooperative, payee_ids: set[int]) -> dict[int, tuple[str, str, str]]:
    profiles = {
        p.membership_id: p
        for p in PayeeProfile.objects.for_cooperative(cooperative).filter(membership_id__in=payee_ids)
    }
    people = {}
    for m in Membership.objects.for_cooperative(cooperative).filter(pk__in=payee_ids).select_related("user"):
        profile = profiles.get(m.pk)
        people[m.pk] = (
            m.user.last_name,
            m.user.first_name,
            profile.social_insurance_number if profile is not None else "",
        )
    return people


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _sv_base(p: Payslip) -> Decimal:
    """The regular contribution base: the base of the payslip's social insurance lines (`sv.…`, the capped
    one), the gross where the calculator gave none; negative for a reversal."""
    bases = [abs(Decimal(line["base"])) for line in p.lines if line["code"].startswith("sv.")]
    base = max(bases) if bases else abs(p.gross)
    return -base if p.kind == Payslip.Kind.REVERSAL else base


def _deductions(p: Payslip) -> Decimal:
    """The percentage points by which the employee's unemployment insurance share is reduced for low pay
    (§ 2a AMPFG): an Abschlag of the Tarifsystem ("Einkommensabhängige Minderung des
    Arbeitslosenversicherungsbeitrages", ÖGK "Tarifsystem", see the module docstring). The employer's AV line
    carries the full rate; the employee's line the reduced one (none at 0 %)."""
    rates = {
        line["side"]: Decimal(line["rate"])
        for line in p.lines
        if line["code"] == "sv.av" and line["rate"] is not None
    }
    if "employer" not in rates:
        return ZERO
    return rates["employer"] - rates.get("employee", ZERO)


def mbgm_csv(*, cooperative: Cooperative, actor: Membership, month: date) -> str:
    """Per person of `month` (reversals net out): the rows an mBGM needs."""
    _require_finance(actor)
    month = month.replace(day=1)
    payslips = list(
        Payslip.objects.for_cooperative(cooperative).filter(month=month).order_by("payee_id", "id")
    )
    people = _people(cooperative, {p.payee_id for p in payslips})
    totals: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "regular": ZERO,
            "special": ZERO,
            "days": 0,
            "marginal": False,
            "av_reduction": ZERO,
            "start": None,
        }
    )
    for p in payslips:
        row = totals[p.payee_id]
        row["regular"] += _sv_base(p)
        row["special"] += p.special_gross
        if p.kind == Payslip.Kind.REGULAR:
            row["days"] = max(row["days"], p.payroll_days)
        row["marginal"] = row["marginal"] or p.marginal
        if p.kind == Payslip.Kind.REGULAR and p.reversed_at is None:
            row["av_reduction"] = max(row["av_reduction"], _deductions(p))
    header = [
        "period",
        "social_insurance_number",
        "last_name",
        "first_name",
        "employee_group",
        "employee_group_name",
        "deductions",
        "payroll_days",
        "contribution_base_regular",
        "contribution_base_special",
    ]
    rows = []
    for payee_id, row in sorted(totals.items()):
        last, first, sv_number = people[payee_id]
        code, name = EMPLOYEE_GROUPS[row["marginal"]]
        # Vienna's U-Bahn levy (Dienstgeberabgabe der Gemeinde Wien) is a municipal tax, not in the mBGM;
        # the Zuschlag Z01 "Dienstgeberabgabe" is the § 53a ASVG levy on marginal employment (ÖGK
        # "Tarifsystem"), which the calculator does not charge (README), so no Zuschlag is reported.
        reduction = row["av_reduction"]
        deductions = f"Minderung AV um {reduction.normalize():f} %" if reduction else ""
        rows.append(
            [
                f"{month:%Y-%m}",
                sv_number,
                last,
                first,
                code,
                name,
                deductions,
                row["days"],
                row["regular"],
                row["special"],
            ]
        )
    return _csv(header, rows)


def l16_csv(*, cooperative: Cooperative, actor: Membership, year: int) -> str:
    """Per person of `year`: the wage-tax card's figures (reversals net out)."""
    _require_finance(actor)
    payslips = list(
        Payslip.objects.for_cooperative(cooperative).filter(month__year=year).order_by("payee_id", "id")
    )
    people = _people(cooperative, {p.payee_id for p in payslips})
    totals: dict[int, dict[str, Any]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    months: dict[int, set[date]] = defaultdict(set)
    for p in payslips:
        row = totals[p.payee_id]
        row["gross"] += p.gross + p.special_gross
        row["special"] += p.special_gross
        row["sv"] += p.employee_social_insurance
        row["wage_tax"] += p.wage_tax
        if p.kind == Payslip.Kind.REGULAR and p.reversed_at is None:
            months[p.payee_id].add(p.month)
    header = [
        "year",
        "social_insurance_number",
        "last_name",
        "first_name",
        "from",
        "to",
        "gross_total",
        "special_payments",
        "employee_social_insurance",
        "taxable_income",
        "wage_tax",
    ]
    rows = []
    for payee_id, row in sorted(totals.items()):
        last, first, sv_number = people[payee_id]
        paid = sorted(months[payee_id]) or [date(year, 1, 1)]
        end = paid[-1]
        rows.append(
            [
                year,
                sv_number,
                last,
                first,
                paid[0].isoformat(),
                end.replace(day=calendar.monthrange(end.year, end.month)[1]).isoformat(),
                row["gross"],
                row["special"],
                row["sv"],
                row["gross"] - row["sv"],
                row["wage_tax"],
            ]
        )
    return _csv(header, rows)
