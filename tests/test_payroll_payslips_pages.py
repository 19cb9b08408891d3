"""The employee's payslip pages: the personal list, the project panel, the PDF — and nobody else's."""

from __future__ import annotations

from datetime import date

import pytest

from payroll.services.payroll_runs import payroll_run_month
from projects.models import Collaboration
from tests.factories import MembershipFactory
from tests.payroll_payslip_helpers import employment, payroll_world, salary

pytestmark = pytest.mark.django_db


def test_employee_sees_own_payslips_in_the_list_and_the_project_others_get_404(client_for):
    w = payroll_world()
    other = payroll_world()
    # The employment makes the employee an employed collaborator (the employment service's job).
    Collaboration.objects.create(
        cooperative=w.coop,
        project=w.project,
        membership=w.employee,
        employment=Collaboration.Employment.EMPLOYED,
    )
    salary(w.coop, employment(w.coop, w.project, w.employee), date(2026, 3, 1))
    (payslip,) = payroll_run_month(cooperative=w.coop, actor=w.finance, month=date(2026, 3, 1)).created

    page = client_for(w.employee).get("/payslips/")
    assert page.status_code == 200
    assert f'data-payslip="{payslip.pk}"' in page.content.decode()
    panel = client_for(w.employee).get(f"/projects/{w.project.pk}/")
    assert f'data-payslip="{payslip.pk}"' in panel.content.decode()
    pdf = client_for(w.employee).get(f"/payslips/{payslip.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    # The project's owner sees the project, not the employee's pay.
    owner_panel = client_for(w.owner).get(f"/projects/{w.project.pk}/")
    assert (
        owner_panel.status_code == 200 and f'data-payslip="{payslip.pk}"' not in owner_panel.content.decode()
    )
    for person in (w.owner, MembershipFactory(cooperative=w.coop), other.employee):
        assert client_for(person).get(f"/payslips/{payslip.pk}/pdf/").status_code == 404
        assert f'data-payslip="{payslip.pk}"' not in client_for(person).get("/payslips/").content.decode()
