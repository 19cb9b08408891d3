"""The payroll run and payslip API: roles (403), isolation (404), the PDF's contents, the re-run."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from payroll.models import Payslip
from tests.factories import MembershipFactory, enable_totp
from tests.payroll_payslip_helpers import employment, payroll_world, salary

pytestmark = pytest.mark.django_db


def test_finance_runs_the_month_and_the_employee_reads_the_payslip(api_for):
    w = payroll_world()
    enable_totp(w.finance.user)
    s = salary(w.coop, employment(w.coop, w.project, w.employee), date(2026, 3, 1), "3060.00")

    for person in (w.employee, w.owner, w.advisor):
        assert (
            api_for(person).post("/api/payroll-runs/", {"month": "2026-03"}, format="json").status_code == 403
        )
    created = api_for(w.finance).post("/api/payroll-runs/", {"month": "2026-03"}, format="json")

    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["created"] == 1 and data["month"] == "2026-03"
    (payslip,) = data["payslips"]
    assert payslip["salary"] == s.pk and payslip["gross"] == "3060.00" and payslip["month"] == "2026-03"
    again = api_for(w.finance).post("/api/payroll-runs/", {"month": "2026-03"}, format="json")
    assert again.status_code == 200 and again.json()["created"] == 0 and again.json()["existing"] == 1
    assert api_for(w.finance).post("/api/payroll-runs/", {"month": "March"}, format="json").status_code == 400

    mine = api_for(w.employee).get(f"/api/payslips/{payslip['id']}/")
    assert mine.status_code == 200 and mine.json()["net"] == payslip["net"]
    assert api_for(w.employee).get("/api/payslips/").json()["count"] == 1
    pdf = api_for(w.employee).get(f"/api/payslips/{payslip['id']}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    stored = Payslip.objects.all_cooperatives().get(pk=payslip["id"])
    assert "Payslip 03/2026" in text and "Year to date" in text and "Social insurance number" in text
    for line in stored.lines:  # every line of the computation is on the document
        assert line["label"] in text
    assert "3,060.00" in text


def test_payslips_are_private_to_the_employee_and_staff(api_for):
    w = payroll_world()
    other = payroll_world()
    enable_totp(w.finance.user)
    salary(w.coop, employment(w.coop, w.project, w.employee), date(2026, 3, 1))
    run = api_for(w.finance).post("/api/payroll-runs/", {"month": "2026-03"}, format="json").json()
    payslip_id = run["payslips"][0]["id"]
    outsider = MembershipFactory(cooperative=other.coop, role="admin")
    enable_totp(outsider.user)
    colleague = MembershipFactory(cooperative=w.coop)
    for person in (w.owner, colleague, outsider):
        api = api_for(person)
        for path in (f"/api/payslips/{payslip_id}/", f"/api/payslips/{payslip_id}/pdf/"):
            assert api.get(path).status_code == 404, (person, path)
        assert api.get("/api/payslips/").json()["count"] == 0
    assert (
        api_for(outsider)
        .post(f"/api/payslips/{payslip_id}/reverse/", {"reason": "x"}, format="json")
        .status_code
        == 404
    )
    assert api_for(w.finance).get(f"/api/payslips/{payslip_id}/").status_code == 200
    reversed_ = api_for(w.finance).post(
        f"/api/payslips/{payslip_id}/reverse/", {"reason": "hours"}, format="json"
    )
    assert reversed_.status_code == 201 and reversed_.json()["kind"] == "reversal"
    assert api_for(w.employee).get("/api/payslips/").json()["count"] == 2
