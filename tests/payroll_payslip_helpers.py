"""Builders for payroll run tests: employments and approved salaries written directly (the employment and
salary services are another helper's), their figures computed by `payroll.calc` — never hard-coded."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from payroll import calc
from payroll.models import Employment, PayrollRules, Salary
from projects.models import Project
from smartprod.tenancy.models import Cooperative, Membership
from tests.factories import CooperativeFactory, MembershipFactory
from tests.payroll_fees_helpers import funded_project, payee_profile


def payroll_rules(*years: int) -> None:
    """The rows `payroll.calc` reads (after the merge the real AT rules exist and these return them)."""
    for year in years or (2025, 2026, 2027):
        PayrollRules.objects.get_or_create(country="AT", year=year, defaults={"rules": {}, "source": "test"})


def employment(
    coop: Cooperative,
    project: Project,
    payee: Membership,
    *,
    start: date = date(2026, 1, 1),
    end: date = date(2026, 12, 31),
    municipality: str = "Wien",
    federal_state: str = "Wien",
    created_by: Membership | None = None,
    **kwargs: Any,
) -> Employment:
    return Employment.objects.create(
        cooperative=coop,
        project=project,
        payee=payee,
        start=start,
        end=end,
        weekly_hours=Decimal("38.5"),
        occupation="Stage designer",
        municipality=municipality,
        federal_state=federal_state,
        created_by=created_by or payee,
        **kwargs,
    )


def salary_figures(coop: Cooperative, emp: Employment, month: date, gross: Decimal) -> calc.PayResult:
    rules = calc.rules_for(coop.country, month)
    period = calc.period_for(emp.start, emp.end, month)
    return calc.compute(
        rules,
        calc.PayInput(
            gross=gross,
            period=period,
            federal_state=emp.federal_state,
            first_employment_month=emp.start >= month,
        ),
    )


def salary(
    coop: Cooperative, emp: Employment, month: date = date(2026, 3, 1), gross: str | Decimal = "3060.00"
) -> Salary:
    """An approved salary as the salary service would store it (figures from `payroll.calc`)."""
    amount = Decimal(gross)
    pay = salary_figures(coop, emp, month, amount)
    return Salary.objects.create(
        cooperative=coop,
        employment=emp,
        project=emp.project,
        payee=emp.payee,
        month=month,
        gross=amount,
        employee_social_insurance=pay.employee_social_insurance,
        wage_tax=pay.wage_tax,
        net=pay.net,
        employer_cost_total=pay.employer_cost_total,
        requested_by=emp.payee,
        approved_at=timezone.now(),
    )


@dataclass
class PayrollWorld:
    coop: Cooperative
    owner: Membership
    advisor: Membership
    finance: Membership
    employee: Membership
    project: Project


def payroll_world(budget: str = "50000.00", coop: Cooperative | None = None) -> PayrollWorld:
    """A cooperative with a funded approved project, an employee with a payee profile, a finance person."""
    payroll_rules()
    coop = coop or CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    finance = MembershipFactory(cooperative=coop, role="finance")
    employee = MembershipFactory(cooperative=coop)
    payee_profile(employee)
    project = funded_project(coop, owner, advisor, budget)
    return PayrollWorld(coop, owner, advisor, finance, employee, project)


def with_employee(world: PayrollWorld) -> PayrollWorld:
    other = MembershipFactory(cooperative=world.coop)
    payee_profile(other)
    return replace(world, employee=other)
