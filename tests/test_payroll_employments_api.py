"""The employment and salary API under a project: the contract (fields, 201), roles (403), isolation (404),
refusals (400 with the reason, 409 when the month exists), idempotent retries, pay options' max salary."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payroll.models import Employment, Salary
from projects.budget import project_budget
from tests.payroll_emp_helpers import employ, expected, next_month, payroll_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(coop, make_member):
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    finance = make_member(coop, role="finance")
    admin = make_member(coop, role="admin")
    project = payroll_project(coop, owner, advisor, amount="10000.00")
    return owner, advisor, finance, admin, project


def employment_body(payee, **kwargs):
    start = next_month()
    return {
        "payee": payee.pk,
        "start": start.isoformat(),
        "end": (start + timedelta(days=80)).isoformat(),
        "weekly_hours": "20.0",
        "occupation": "Stage designer",
        "municipality": "Wien",
        **kwargs,
    }


@pytest.mark.parametrize("role", ["advisor", "finance", "admin"])
def test_staff_create_an_employment_201(coop, setup, api_for, role):
    owner, advisor, finance, admin, project = setup
    actor = {"advisor": advisor, "finance": finance, "admin": admin}[role]
    response = api_for(actor).post(
        f"/api/projects/{project.pk}/employments/", employment_body(owner), format="json"
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["id"] == Employment.objects.for_cooperative(coop).get().pk
    assert (data["payee"], data["federal_state"], data["weekly_hours"], data["salary_group"]) == (
        owner.pk,
        "Wien",
        "20.0",
        "",
    )


def test_a_member_cannot_create_an_employment_403(setup, api_for):
    owner, *_rest, project = setup
    response = api_for(owner).post(
        f"/api/projects/{project.pk}/employments/", employment_body(owner), format="json"
    )
    assert response.status_code == 403
    assert not Employment.objects.for_cooperative(project.cooperative).exists()


def test_an_employment_starting_today_is_400_with_the_reason_in_german(setup, api_for):
    owner, advisor, *_rest, project = setup
    today = timezone.localdate().isoformat()
    client = api_for(advisor)
    client.cookies["django_language"] = "de"
    response = client.post(
        f"/api/projects/{project.pk}/employments/",
        employment_body(owner, start=today, end=today),
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    assert "vor Arbeitsbeginn" in response.json()["detail"]


def test_another_cooperative_gets_404(setup, api_for, other_coop, make_member):
    owner, *_rest, project = setup
    foreign = make_member(other_coop, role="advisor")
    client = api_for(foreign)
    assert client.get(f"/api/projects/{project.pk}/employments/").status_code == 404
    assert client.get(f"/api/projects/{project.pk}/salaries/").status_code == 404
    assert (
        client.post(
            f"/api/projects/{project.pk}/employments/", employment_body(owner), format="json"
        ).status_code
        == 404
    )
    assert client.get(f"/api/projects/{project.pk}/pay-options/").status_code == 404


def test_salary_request_contract_lists_and_visibility(coop, setup, api_for, make_member):
    owner, advisor, finance, _admin, project = setup
    employment = employ(coop, advisor, project, owner)
    month = f"{employment.start:%Y-%m}"
    response = api_for(owner).post(
        f"/api/projects/{project.pk}/salaries/",
        {"employment": employment.pk, "month": month, "gross": "2400.00"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    want = expected(employment, "2400.00")
    data = response.json()
    assert {k: data[k] for k in ("month", "gross", "employee_social_insurance", "wage_tax", "net")} == {
        "month": month,
        "gross": "2400.00",
        "employee_social_insurance": str(want.employee_social_insurance),
        "wage_tax": str(want.wage_tax),
        "net": str(want.net),
    }
    assert data["employer_cost_total"] == str(want.employer_cost_total) and data["status"] == "approved"
    assert isinstance(data["id"], int)
    for person in (owner, advisor, finance):
        listed = api_for(person).get(f"/api/projects/{project.pk}/salaries/").json()
        assert [row["id"] for row in listed["results"]] == [data["id"]]
        employments = api_for(person).get(f"/api/projects/{project.pk}/employments/").json()
        assert [row["id"] for row in employments["results"]] == [employment.pk]
    stranger = make_member(coop)
    assert api_for(stranger).get(f"/api/projects/{project.pk}/salaries/").status_code == 404
    again = api_for(owner).post(
        f"/api/projects/{project.pk}/salaries/",
        {"employment": employment.pk, "month": month, "gross": "100.00"},
        format="json",
    )
    assert again.status_code == 409 and "exists already" in again.json()["detail"]


def test_salary_max_and_pay_options(coop, setup, api_for):
    owner, advisor, *_rest, project = setup
    employment = employ(coop, advisor, project, owner)
    month = f"{employment.start:%Y-%m}"
    options = api_for(owner).get(
        f"/api/projects/{project.pk}/pay-options/", {"employment": employment.pk, "month": month}
    )
    assert options.status_code == 200, options.json()
    maximum = options.json()["max_salary_gross"]
    assert maximum is not None
    available = project_budget(cooperative=coop, project=project).available
    assert expected(employment, maximum).employer_cost_total <= available
    assert api_for(owner).get(f"/api/projects/{project.pk}/pay-options/").json()["max_salary_gross"] is None
    response = api_for(owner).post(
        f"/api/projects/{project.pk}/salaries/",
        {"employment": employment.pk, "month": month, "gross": "max"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["gross"] == maximum


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "January"}, "month"),
        ({"gross": 100.5}, "gross"),
        ({"gross": "lots"}, "gross"),
        ({"gross": "-5.00"}, "gross"),
    ],
)
def test_bad_salary_input_is_400(coop, setup, api_for, body, field):
    owner, advisor, *_rest, project = setup
    employment = employ(coop, advisor, project, owner)
    data = {"employment": employment.pk, "month": f"{employment.start:%Y-%m}", "gross": "100.00", **body}
    response = api_for(owner).post(f"/api/projects/{project.pk}/salaries/", data, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["details"]


def test_salary_over_budget_is_400_naming_the_available_amount(coop, setup, api_for):
    owner, advisor, *_rest, project = setup
    employment = employ(coop, advisor, project, owner)
    response = api_for(owner).post(
        f"/api/projects/{project.pk}/salaries/",
        {"employment": employment.pk, "month": f"{employment.start:%Y-%m}", "gross": "10000.00"},
        format="json",
    )
    assert response.status_code == 400 and "10000.00" in response.json()["detail"]
    assert not Salary.objects.for_cooperative(coop).exists()


def test_salary_retry_with_the_same_idempotency_key_returns_the_same_salary(coop, setup, api_for):
    owner, advisor, *_rest, project = setup
    employment = employ(coop, advisor, project, owner)
    body = {"employment": employment.pk, "month": f"{employment.start:%Y-%m}", "gross": "1000.00"}
    client = api_for(owner)
    first = client.post(
        f"/api/projects/{project.pk}/salaries/", body, format="json", HTTP_IDEMPOTENCY_KEY="s-1"
    )
    second = client.post(
        f"/api/projects/{project.pk}/salaries/", body, format="json", HTTP_IDEMPOTENCY_KEY="s-1"
    )
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    other = client.post(
        f"/api/projects/{project.pk}/salaries/",
        {**body, "gross": "900.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="s-1",
    )
    assert other.status_code == 409
    assert Salary.objects.for_cooperative(coop).count() == 1
    assert Decimal(first.json()["gross"]) == Decimal("1000.00")
