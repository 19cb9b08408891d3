"""The mBGM export names the ÖGK tariff: Beschäftigtengruppe B002 (vollversicherte Angestellte), the
income-related reduction of the unemployment insurance share as an Abschlag, marginal employment in words.
Sources: payroll/services/payroll_exports.py (ÖGK "Tarifsystem"; LexisNexis on B001/B002)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from payroll.services.payroll_exports import mbgm_csv
from payroll.services.payroll_runs import payroll_run_month
from tests.payroll_payslip_helpers import employment, payroll_world, salary, with_employee

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


def test_tariff_group_and_av_reduction_per_person():
    w = payroll_world()
    # 2026 (payroll/reference_data.py): employee AV 0 % up to € 2,225, 1 % up to 2,427, 2 % up to 2,630,
    # else 2.95 %.
    people = {
        "full": (w, "3060.00"),
        "two": (with_employee(w), "2500.00"),
        "zero": (with_employee(w), "2000.00"),
        "marginal": (with_employee(w), "500.00"),
    }
    for world, gross in people.values():
        salary(w.coop, employment(w.coop, w.project, world.employee), MARCH, gross)
    payroll_run_month(cooperative=w.coop, actor=w.finance, month=MARCH)
    rows = {
        r["contribution_base_regular"]: r
        for r in csv.DictReader(
            io.StringIO(mbgm_csv(cooperative=w.coop, actor=w.finance, month=MARCH)), delimiter=";"
        )
    }
    assert (rows["3060.00"]["employee_group"], rows["3060.00"]["deductions"]) == ("B002", "")
    # 2.95 − 2 = 0.95 and 2.95 − 0 points less (the employer's share stays 2.95 %).
    assert (rows["2500.00"]["employee_group"], rows["2500.00"]["deductions"]) == (
        "B002",
        "Minderung AV um 0.95 %",
    )
    assert rows["2000.00"]["deductions"] == "Minderung AV um 2.95 %"
    marginal = rows["500.00"]
    assert (marginal["employee_group"], marginal["employee_group_name"], marginal["deductions"]) == (
        "",
        "geringfügig beschäftigte Angestellte",
        "",
    )
    assert all("Z01" not in value for r in rows.values() for value in r.values())
