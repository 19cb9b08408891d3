"""The "Employments and salaries" panel of the project page and its forms — as member (the employee),
advisor, finance and admin, in German and English; another cooperative and another member get 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from payroll.models import Employment, Salary
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


def _get(client, url, language="en"):
    client.cookies["django_language"] = language
    return client.get(url)


@pytest.mark.parametrize(
    ("language", "title", "create"),
    [
        ("en", "Employments and salaries", "Create employment"),
        ("de", "Anstellungen und Gehälter", "Anstellung anlegen"),
    ],
)
@pytest.mark.parametrize("role", ["advisor", "finance", "admin"])
def test_staff_see_the_panel_with_the_employment_form(coop, setup, client_for, language, title, create, role):
    _owner, advisor, finance, admin, project = setup
    actor = {"advisor": advisor, "finance": finance, "admin": admin}[role]
    html = _get(client_for(actor), f"/projects/{project.pk}/", language).content.decode()
    assert title in html and create in html
    assert 'data-action="create-employment"' in html


def test_the_member_without_employment_sees_no_panel_and_cannot_create(coop, setup, client_for):
    owner, *_rest, project = setup
    client = client_for(owner)
    html = _get(client, f"/projects/{project.pk}/").content.decode()
    assert "Employments and salaries" not in html
    assert _get(client, f"/projects/{project.pk}/employments/new/").status_code == 404


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_employee_sees_employments_the_max_preview_and_the_salary_form(coop, setup, client_for, language):
    owner, advisor, *_rest, project = setup
    employment = employ(coop, advisor, project, owner)
    html = _get(client_for(owner), f"/projects/{project.pk}/", language).content.decode()
    assert f'data-employment="{employment.pk}"' in html
    assert f'data-max-for="{employment.pk}"' in html and 'data-action="request-salary"' in html
    assert 'data-action="create-employment"' not in html
    assert ("Request salary" if language == "en" else "Gehalt beantragen") in html
    assert ("Net" if language == "en" else "Netto") in html


def test_advisor_creates_an_employment_through_the_form(coop, setup, client_for):
    owner, advisor, *_rest, project = setup
    start = next_month()
    form = {
        "payee": owner.pk,
        "start": start.isoformat(),
        "end": (start + timedelta(days=60)).isoformat(),
        "weekly_hours": "25.0",
        "occupation": "Lighting",
        "municipality": "Wien",
        "federal_state": "",
        "salary_group": "",
    }
    client = client_for(advisor)
    today = timezone.localdate().isoformat()
    refused = client.post(f"/projects/{project.pk}/employments/new/", {**form, "start": today, "end": today})
    assert refused.status_code == 200 and "health insurer before work starts" in refused.content.decode()
    done = client.post(f"/projects/{project.pk}/employments/new/", form)
    assert done.status_code == 302 and done["Location"].endswith(f"/projects/{project.pk}/#employments")
    assert Employment.objects.for_cooperative(coop).get().weekly_hours == 25


def test_the_employee_previews_then_requests_a_salary(coop, setup, client_for):
    owner, advisor, *_rest, project = setup
    employment = employ(coop, advisor, project, owner)
    client = client_for(owner)
    form = {
        "employment": employment.pk,
        "month": f"{employment.start:%Y-%m}",
        "gross": "2000.00",
        "token": "t-1",
    }
    preview = client.post(f"/projects/{project.pk}/salaries/request/", {**form, "preview": "1"})
    assert preview.status_code == 200
    want = expected(employment, "2000.00")
    assert f'data-net="{want.net}"' in preview.content.decode()
    assert f'data-employer-cost="{want.employer_cost_total}"' in preview.content.decode()
    assert not Salary.objects.for_cooperative(coop).exists()
    done = client.post(f"/projects/{project.pk}/salaries/request/", form)
    assert done.status_code == 302
    again = client.post(f"/projects/{project.pk}/salaries/request/", form)  # double submit: same salary
    assert again.status_code == 302
    salary = Salary.objects.for_cooperative(coop).get()
    assert salary.net == want.net
    html = _get(client, f"/projects/{project.pk}/").content.decode()
    assert f'data-salary="{salary.pk}"' in html


def test_the_employee_requests_as_much_as_the_budget_allows(coop, setup, client_for):
    owner, advisor, *_rest, project = setup
    employment = employ(coop, advisor, project, owner)
    done = client_for(owner).post(
        f"/projects/{project.pk}/salaries/request/",
        {"employment": employment.pk, "month": f"{employment.start:%Y-%m}", "use_max": "on"},
    )
    assert done.status_code == 302
    assert Salary.objects.for_cooperative(coop).get().employer_cost_total <= 10000


def test_another_cooperative_and_another_member_get_404(coop, setup, client_for, other_coop, make_member):
    owner, advisor, *_rest, project = setup
    employ(coop, advisor, project, owner)
    foreign = make_member(other_coop, role="admin")
    stranger = make_member(coop)
    for person in (foreign, stranger):
        client = client_for(person)
        assert _get(client, f"/projects/{project.pk}/").status_code == 404
        assert _get(client, f"/projects/{project.pk}/salaries/request/").status_code == 404
        assert _get(client, f"/projects/{project.pk}/employments/new/").status_code == 404
