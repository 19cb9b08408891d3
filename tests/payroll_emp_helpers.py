"""Builders for employment and salary tests: payroll rules rows, an employable payee, an employment that
starts next month (employments must start after today), a salary request.

Until the payroll-rules branch is merged the rules rows are placeholders (`get_or_create`, as agreed in the
payroll brief); after the merge the real rows exist and are returned. Expectations are computed through
`payroll.calc`, never hard-coded.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from payroll import calc
from payroll.models import Employment, PayeeProfile, PayrollRules, Salary
from payroll.services import employments, salaries
from projects.models import Collaboration, Project
from smartprod.tenancy.models import Cooperative, Membership
from tests.payroll_fees_helpers import funded_project


def ensure_rules(country: str = "AT") -> None:
    """Rules for this year and the next (employments start after today, so next month may be next year).

    A year without a row gets a copy of the newest year's figures (empty before the rules data is merged):
    the tests assert relations computed through payroll.calc, not one year's figures.
    """
    latest = PayrollRules.objects.filter(country=country).order_by("-year").first()
    this_year = timezone.localdate().year
    for year in (this_year, this_year + 1):
        PayrollRules.objects.get_or_create(
            country=country,
            year=year,
            defaults={"rules": latest.rules if latest else {}, "source": "test: copy of the newest year"},
        )


def next_month() -> date:
    return (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)


def month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def employable(member: Membership, **kwargs: Any) -> PayeeProfile:
    """A payee profile with what an employment needs (social insurance number, date of birth)."""
    data: dict[str, Any] = {
        "social_insurance_number": "1237010180",
        "date_of_birth": date(1980, 1, 1),
        "country": member.cooperative.country,
        **kwargs,
    }
    profile, _created = PayeeProfile.objects.for_cooperative(member.cooperative).update_or_create(
        membership=member, defaults={"cooperative": member.cooperative, **data}
    )
    return profile


def payroll_project(
    coop: Cooperative, owner: Membership, advisor: Membership, amount: str = "20000.00", **kwargs: Any
) -> Project:
    ensure_rules(coop.country)
    project = funded_project(coop, owner, advisor, amount=amount)
    employable(owner)
    return project


def collaborator(coop: Cooperative, project: Project, member: Membership) -> Membership:
    Collaboration.objects.create(
        cooperative=coop,
        project=project,
        membership=member,
        employment=Collaboration.Employment.SELF_EMPLOYED,
    )
    employable(member)
    return member


def employ(
    coop: Cooperative, actor: Membership, project: Project, payee: Membership, **kwargs: Any
) -> Employment:
    start = kwargs.pop("start", next_month())
    data: dict[str, Any] = {
        "start": start,
        "end": kwargs.pop("end", month_end(start) + timedelta(days=61)),
        "weekly_hours": Decimal("20.0"),
        "occupation": "Stage designer",
        "municipality": "Wien",
        **kwargs,
    }
    return employments.employment_create(cooperative=coop, actor=actor, project=project, payee=payee, **data)


def request_salary(
    coop: Cooperative,
    actor: Membership,
    employment: Employment,
    gross: Any,
    month: date | None = None,
    **kw: Any,
) -> Salary:
    return salaries.salary_request(
        cooperative=coop,
        actor=actor,
        employment=employment,
        month=month or employment.start,
        gross=gross if gross == "max" else Decimal(gross),
        **kw,
    )


def expected(employment: Employment, gross: str | Decimal, month: date | None = None) -> calc.PayResult:
    """What the calculator says for this employment and month (the test's expectation)."""
    month = month or employment.start.replace(day=1)
    rules = calc.rules_for(employment.cooperative.country, month)
    return calc.compute(
        rules,
        calc.PayInput(
            gross=Decimal(gross),
            period=calc.period_for(employment.start, employment.end, month),
            federal_state=employment.federal_state,
            first_employment_month=month == employment.start.replace(day=1),
        ),
    )
