"""Employments (created by staff from the project; start after today; the payee becomes employed) and salary
requests (an amount or "max", approved at once within the available budget, the collective agreement's
minimum, once per month). Figures are computed through payroll.calc, never hard-coded."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import override

from payroll import calc
from payroll.models import CollectiveAgreement, Municipality, PayrollSettings, Salary
from payroll.selectors.employments import salary_options
from payroll.selectors.fees import pay_options
from projects.budget import project_budget
from projects.models import Collaboration, Project
from projects.selectors import employment_of
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.core.idempotency import IdempotentRequest
from smartprod.core.models import AuditEvent
from tests.payroll_emp_helpers import (
    collaborator,
    employ,
    employable,
    expected,
    month_end,
    next_month,
    payroll_project,
    request_salary,
)
from tests.payroll_fees_helpers import request_fee

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(coop, make_member):
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    finance = make_member(coop, role="finance")
    project = payroll_project(coop, owner, advisor)
    return owner, advisor, finance, project


# --- employments ---------------------------------------------------------------------------------------


def test_advisor_employs_the_owner_who_becomes_employed_on_the_project(coop, people):
    owner, advisor, _finance, project = people
    assert employment_of(project, owner) == Collaboration.Employment.SELF_EMPLOYED

    employment = employ(coop, advisor, project, owner, has_other_employments=True)

    assert employment.federal_state == "Wien" and employment.has_other_employments
    assert employment.created_by == advisor
    project.refresh_from_db()
    assert employment_of(project, owner) == Collaboration.Employment.EMPLOYED
    assert AuditEvent.objects.for_cooperative(coop).filter(event="employment.created").count() == 1


def test_finance_employs_a_collaborator_who_becomes_employed(coop, people, make_member):
    owner, _advisor, finance, project = people
    colleague = collaborator(coop, project, make_member(coop))
    employ(coop, finance, project, colleague)
    assert employment_of(project, colleague) == Collaboration.Employment.EMPLOYED
    assert employment_of(project, owner) == Collaboration.Employment.SELF_EMPLOYED


def test_a_member_cannot_create_an_employment(coop, people, make_member):
    owner, _advisor, _finance, project = people
    colleague = collaborator(coop, project, make_member(coop))
    with pytest.raises(NotAllowed):
        employ(coop, owner, project, colleague)


def test_someone_not_on_the_project_cannot_be_employed(coop, people, make_member):
    _owner, advisor, _finance, project = people
    stranger = make_member(coop)
    employable(stranger)
    with pytest.raises(ApplicationError) as exc:
        employ(coop, advisor, project, stranger)
    assert "payee" in exc.value.details


@pytest.mark.parametrize("days", [0, -1])
def test_an_employment_starting_today_or_earlier_is_refused_with_the_reason(coop, people, days):
    owner, advisor, _finance, project = people
    start = timezone.localdate() + timedelta(days=days)
    with pytest.raises(ApplicationError) as exc:
        employ(coop, advisor, project, owner, start=start, end=start + timedelta(days=30))
    assert "health insurer before work starts" in exc.value.message
    with override("de"), pytest.raises(ApplicationError) as german:
        employ(coop, advisor, project, owner, start=start, end=start + timedelta(days=30))
    assert "Krankenversicherung" in german.value.message or "Gesundheitskasse" in german.value.message


def test_an_employment_starting_tomorrow_is_fine(coop, people):
    owner, advisor, _finance, project = people
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert employ(coop, advisor, project, owner, start=tomorrow, end=tomorrow).start == tomorrow


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("end", {"end_before_start": True}),
        ("weekly_hours", {"weekly_hours": Decimal("0.4")}),
        ("weekly_hours", {"weekly_hours": Decimal("60.5")}),
        ("occupation", {"occupation": "  "}),
        ("municipality", {"municipality": ""}),
        ("federal_state", {"federal_state": "Bayern"}),
        ("federal_state", {"municipality": "Wien", "federal_state": "Tirol"}),
    ],
)
def test_implausible_employments_are_refused(coop, people, field, changes):
    owner, advisor, _finance, project = people
    if changes.pop("end_before_start", False):
        changes = {"start": next_month() + timedelta(days=5), "end": next_month()}
    with pytest.raises(ApplicationError) as exc:
        employ(coop, advisor, project, owner, **changes)
    assert field in exc.value.details


def test_federal_state_follows_the_municipality_or_the_cooperative(coop, people):
    owner, advisor, _finance, project = people
    PayrollSettings.objects.create(cooperative=coop, federal_state="Steiermark")
    Municipality.objects.create(cooperative=coop, name="Linz", federal_state="Oberösterreich")
    assert employ(coop, advisor, project, owner, municipality="Graz").federal_state == "Steiermark"
    assert employ(coop, advisor, project, owner, municipality="linz").federal_state == "Oberösterreich"
    assert employ(coop, advisor, project, owner, municipality="Wien").federal_state == "Wien"
    assert (
        employ(coop, advisor, project, owner, municipality="Graz", federal_state="Tirol").federal_state
        == "Tirol"
    )


def test_the_payee_needs_social_insurance_number_and_date_of_birth(coop, people):
    owner, advisor, _finance, project = people
    employable(owner, social_insurance_number="")
    with pytest.raises(ApplicationError) as exc:
        employ(coop, advisor, project, owner)
    assert "social insurance number" in exc.value.message
    employable(owner, date_of_birth=None)
    with pytest.raises(ApplicationError):
        employ(coop, advisor, project, owner)


def test_a_project_not_approved_cannot_employ(coop, people):
    owner, advisor, _finance, project = people
    Project.objects.for_cooperative(coop).filter(pk=project.pk).update(status=Project.Status.CLOSED)
    project.refresh_from_db()
    with pytest.raises(ApplicationError) as exc:
        employ(coop, advisor, project, owner)
    assert exc.value.conflict


def test_a_country_without_payroll_rules_is_refused_and_fee_notes_still_work(other_coop, make_member):
    owner = make_member(other_coop)
    advisor = make_member(other_coop, role="advisor")
    from tests.payroll_fees_helpers import funded_project

    project = funded_project(other_coop, owner, advisor)
    employable(owner)
    with pytest.raises(ApplicationError) as exc:
        employ(other_coop, advisor, project, owner)
    assert exc.value.message == str(calc.NoPayrollRules("DE", next_month().year).messages[0])
    employable(owner, self_billing_accepted_on=timezone.localdate())
    assert request_fee(other_coop, owner, project, net_amount=Decimal("100.00")).pk


def agreement_of(coop, minimum_pay, code="test-kv", hours="40.0"):
    """The cooperative's collective agreement for next month's year, with `minimum_pay` per group."""
    CollectiveAgreement.objects.create(
        country="AT",
        code=code,
        name="Test KV",
        year=next_month().year,
        full_time_hours=Decimal(hours),
        minimum_pay=minimum_pay,
        source="test",
    )
    PayrollSettings.objects.create(cooperative=coop, collective_agreement_code=code)


def test_salary_group_must_be_one_of_the_collective_agreement(coop, people):
    owner, advisor, _finance, project = people
    agreement_of(coop, {"A": "2000.00", "B": "2600.00"})
    with pytest.raises(ApplicationError) as exc:
        employ(coop, advisor, project, owner, salary_group="Z")
    assert "salary_group" in exc.value.details and "A, B" in exc.value.message
    with pytest.raises(ApplicationError):
        employ(coop, advisor, project, owner)  # a group is needed where there is an agreement
    assert employ(coop, advisor, project, owner, salary_group="B").salary_group == "B"


def test_an_agreement_without_a_table_yet_refuses_no_group(coop, people):
    """The shipped agreement has no sourced table yet (payroll/reference_data.py): choosing it must not
    refuse every employment with an empty list of groups; no minimum applies until the table is entered."""
    owner, advisor, _finance, project = people
    agreement_of(coop, {}, code="test-kv-empty", hours="38.5")
    employment = employ(coop, advisor, project, owner, salary_group="2")
    assert employment.salary_group == "2"
    assert request_salary(coop, owner, employment, "600.00").gross == Decimal("600.00")


# --- salaries --------------------------------------------------------------------------------------------


def test_a_salary_within_the_budget_is_approved_at_once_with_the_calculators_figures(coop, people):
    owner, advisor, _finance, project = people
    employment = employ(coop, advisor, project, owner)
    before = project_budget(cooperative=coop, project=project).available

    salary = request_salary(coop, owner, employment, "2400.00")

    want = expected(employment, "2400.00")
    assert salary.status == Salary.Status.APPROVED and salary.approved_at is not None
    assert (salary.gross, salary.employee_social_insurance, salary.wage_tax, salary.net) == (
        want.gross,
        want.employee_social_insurance,
        want.wage_tax,
        want.net,
    )
    assert salary.employer_cost_total == want.employer_cost_total
    assert salary.month == employment.start.replace(day=1)
    # Requested but not in a payslip yet: it lowers what is available to pay out (fees and salaries).
    after = project_budget(cooperative=coop, project=project).available
    assert after == before - want.employer_cost_total
    assert pay_options(cooperative=coop, project=project, payee=owner).max_fee_net == after


def test_staff_may_request_for_the_employee_but_another_member_may_not(coop, people, make_member):
    owner, advisor, finance, project = people
    employment = employ(coop, advisor, project, owner)
    assert request_salary(coop, finance, employment, "1000.00").requested_by == finance
    other = make_member(coop)
    with pytest.raises(NotAllowed):
        request_salary(
            coop, other, employment, "1000.00", month=month_end(employment.start) + timedelta(days=1)
        )


def test_a_salary_above_the_available_budget_is_refused_naming_the_available_amount(coop, make_member):
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    project = payroll_project(coop, owner, advisor, amount="1000.00")
    employment = employ(coop, advisor, project, owner)
    with pytest.raises(ApplicationError) as exc:
        request_salary(coop, owner, employment, "1000.00")
    assert "1000.00" in exc.value.message and exc.value.details["available"] == "1000.00"
    assert not Salary.objects.for_cooperative(coop).exists()


def test_max_takes_the_largest_gross_that_fits(coop, make_member):
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    project = payroll_project(coop, owner, advisor, amount="1234.56")
    employment = employ(coop, advisor, project, owner)
    available = project_budget(cooperative=coop, project=project).available
    assert salary_options(cooperative=coop, employment=employment, month=employment.start).max_gross == (
        pay_options(
            cooperative=coop, project=project, payee=owner, employment=employment, month=employment.start
        ).max_salary_gross
    )

    salary = request_salary(coop, owner, employment, "max")

    assert salary.employer_cost_total <= available
    assert expected(employment, salary.gross + Decimal("0.01")).employer_cost_total > available
    left = project_budget(cooperative=coop, project=project).available
    assert left == available - salary.employer_cost_total and left >= 0
    try:  # at most the few cents left for the next month
        second = request_salary(
            coop, owner, employment, "max", month=month_end(employment.start) + timedelta(days=1)
        )
    except ApplicationError as exc:
        assert "available" in exc.details
    else:
        assert second.employer_cost_total <= left
    assert project_budget(cooperative=coop, project=project).available >= 0


def test_pay_options_without_employment_have_no_salary_maximum(coop, people):
    owner, _advisor, _finance, project = people
    assert pay_options(cooperative=coop, project=project, payee=owner).max_salary_gross is None


def test_a_month_outside_the_employment_is_refused(coop, people):
    owner, advisor, _finance, project = people
    employment = employ(coop, advisor, project, owner)
    with pytest.raises(ApplicationError) as exc:
        request_salary(coop, owner, employment, "100.00", month=employment.start - timedelta(days=1))
    assert "outside" in exc.value.message


def test_the_same_month_twice_is_refused_as_existing(coop, people):
    owner, advisor, _finance, project = people
    employment = employ(coop, advisor, project, owner)
    first = request_salary(coop, owner, employment, "1000.00")
    with pytest.raises(ApplicationError) as exc:
        request_salary(coop, owner, employment, "500.00")
    assert exc.value.conflict and "exists already" in exc.value.message
    assert exc.value.details["salary"] == first.pk


def test_a_repeated_request_with_the_same_key_returns_the_first_salary(coop, people):
    owner, advisor, _finance, project = people
    employment = employ(coop, advisor, project, owner)
    key = IdempotentRequest("k-1", {"employment": employment.pk, "gross": "1000.00"})
    first = request_salary(coop, owner, employment, "1000.00", idempotent=key)
    again = request_salary(coop, owner, employment, "1000.00", idempotent=key)
    assert again.pk == first.pk and Salary.objects.for_cooperative(coop).count() == 1
    with pytest.raises(ApplicationError) as exc:
        request_salary(
            coop, owner, employment, "900.00", idempotent=IdempotentRequest("k-1", {"gross": "900.00"})
        )
    assert exc.value.conflict


def test_below_the_collective_agreements_minimum_pro_rata_is_refused(coop, people):
    owner, advisor, _finance, project = people
    agreement_of(coop, {"A": "2000.00"})
    start = next_month()
    employment = employ(coop, advisor, project, owner, salary_group="A", start=start, end=month_end(start))
    # 20 of 40 hours: half of 2,000.00.
    with pytest.raises(ApplicationError) as exc:
        request_salary(coop, owner, employment, "999.99")
    assert "1000.00" in exc.value.message and exc.value.details["minimum"] == "1000.00"
    assert request_salary(coop, owner, employment, "1000.00").gross == Decimal("1000.00")


def test_max_below_the_minimum_is_refused(coop, make_member):
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    project = payroll_project(coop, owner, advisor, amount="500.00")
    agreement_of(coop, {"A": "2000.00"})
    employment = employ(coop, advisor, project, owner, salary_group="A")
    with pytest.raises(ApplicationError) as exc:
        request_salary(coop, owner, employment, "max")
    assert "1000.00" in exc.value.message and "500.00" in exc.value.message


def test_approved_salaries_reduce_what_a_fee_request_may_take(coop, people, make_member):
    owner, advisor, _finance, project = people
    colleague = collaborator(coop, project, make_member(coop))
    employable(colleague, self_billing_accepted_on=timezone.localdate())
    employment = employ(coop, advisor, project, owner)
    salary = request_salary(coop, owner, employment, "max")
    assert salary.employer_cost_total > 0
    left = project_budget(cooperative=coop, project=project).available
    with pytest.raises(ApplicationError):
        request_fee(coop, colleague, project, net_amount=left + Decimal("0.01"))
    if left > 0:
        assert request_fee(coop, colleague, project, net_amount=left).pk
