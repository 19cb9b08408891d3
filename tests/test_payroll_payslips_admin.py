"""The payroll backend: finance runs a month, sees the liabilities, downloads the mBGM and L16 CSVs,
reverses a payslip with a reason; an advisor may look but not act."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from payroll.models import PayeeProfile, Payslip
from tests.factories import enable_totp
from tests.payroll_payslip_helpers import employment, payroll_world, salary

pytestmark = pytest.mark.django_db


def test_finance_runs_exports_and_reverses_in_the_backend(client_for):
    w = payroll_world()
    enable_totp(w.finance.user)
    PayeeProfile.objects.for_cooperative(w.coop).filter(membership=w.employee).update(
        social_insurance_number="1234 010180"
    )
    s = salary(w.coop, employment(w.coop, w.project, w.employee), date(2026, 3, 1), "3060.00")
    client = client_for(w.finance)
    assert client.get("/admin/payroll/payrollrun/run/").status_code == 200
    ran = client.post("/admin/payroll/payrollrun/run/", {"month": "2026-03"})
    assert ran.status_code == 302
    payslip = Payslip.objects.for_cooperative(w.coop).get(salary=s)
    assert client.get("/admin/payroll/payrollrun/").status_code == 200
    liabilities = client.get("/admin/payroll/payrollrun/liabilities/")
    assert liabilities.status_code == 200 and "15" in liabilities.content.decode()

    mbgm = client.get("/admin/payroll/payrollrun/exports/", {"month": "2026-03"})
    assert mbgm["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(mbgm.content.decode()), delimiter=";"))
    assert [(r["period"], r["social_insurance_number"], r["payroll_days"]) for r in rows] == [
        ("2026-03", "1234 010180", "30")
    ]
    # Beschäftigtengruppe B002 "vollversicherte Angestellte" (ÖGK Tarifsystem); Vienna's U-Bahn levy is a
    # municipal tax, not a Zuschlag (Z01 is the § 53a ASVG levy on marginal employment), and € 3,060 has
    # the full unemployment insurance share (no Abschlag).
    assert (rows[0]["employee_group"], rows[0]["employee_group_name"], rows[0]["deductions"]) == (
        "B002",
        "Angestellte",
        "",
    )
    assert "surcharges" not in rows[0] and "Z01" not in mbgm.content.decode()
    l16 = client.get("/admin/payroll/payrollrun/exports/", {"year": "2026"})
    (card,) = csv.DictReader(io.StringIO(l16.content.decode()), delimiter=";")
    assert (card["gross_total"], card["wage_tax"], card["from"], card["to"]) == (
        str(payslip.gross),
        str(payslip.wage_tax),
        "2026-03-01",
        "2026-03-31",
    )

    reverse = client.post(
        "/admin/payroll/payslip/",
        {"action": "reverse_selected", "_selected_action": [payslip.pk], "reason": "wrong hours"},
    )
    assert reverse.status_code == 302
    payslip.refresh_from_db()
    assert payslip.reversed_at is not None
    assert Payslip.objects.for_cooperative(w.coop).filter(reverses=payslip, kind="reversal").count() == 1
    # Reversed: the year's wage-tax card nets to zero.
    l16 = client.get("/admin/payroll/payrollrun/exports/", {"year": "2026"})
    (card,) = csv.DictReader(io.StringIO(l16.content.decode()), delimiter=";")
    assert card["gross_total"] == "0.00"

    enable_totp(w.advisor.user)  # advisors, too, see nothing as staff before two-factor is on
    advisor = client_for(w.advisor)
    assert advisor.get("/admin/payroll/payrollrun/").status_code == 200
    assert advisor.get("/admin/payroll/payrollrun/run/").status_code == 404
    assert advisor.get("/admin/payroll/payrollrun/exports/", {"month": "2026-03"}).status_code == 404
