"""Demo data of employments: Smart Austria's member@ is employed on member2@'s approved project (where they
collaborate) from the first of next month, and requests that month's salary. Idempotent; skipped where the
country has no payroll rules for that month (e.g. Germany) or the budget does not cover a salary."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from payroll.models import Employment
from payroll.selectors.employments import salary_options
from payroll.selectors.profiles import payee_profile_of
from payroll.services import employments, salaries
from payroll.services.profiles import payee_profile_get_or_create, payee_profile_update
from projects.models import Collaboration, Project
from smartprod.core.errors import ApplicationError
from smartprod.tenancy.models import Cooperative, Membership

DEMO_GROSS = Decimal("2400.00")


def _months_later(first: date, months: int) -> date:
    """The last day of the month `months` after `first`."""
    year, month = divmod(first.month - 1 + months, 12)
    year, month = first.year + year, month + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def seed_employments(*, cooperative: Cooperative, stdout: Any) -> None:
    if cooperative.country != "AT":
        return
    people = Membership.objects.for_cooperative(cooperative).select_related("user")
    member = people.filter(user__email=f"member@{cooperative.slug}.example").first()
    advisor = people.filter(user__email=f"advisor@{cooperative.slug}.example").first()
    if member is None or advisor is None:
        return
    if Employment.objects.for_cooperative(cooperative).filter(payee=member).exists():
        return
    project = (
        Project.objects.for_cooperative(cooperative)
        .filter(status=Project.Status.APPROVED, collaborations__membership=member)
        .exclude(owner=member)
        .order_by("id")
        .first()
    )
    if (
        project is None
        or not Collaboration.objects.for_cooperative(cooperative)
        .filter(project=project, membership=member)
        .exists()
    ):
        return
    profile = payee_profile_of(cooperative=cooperative, membership=member) or payee_profile_get_or_create(
        cooperative=cooperative, membership=member
    )
    if not profile.social_insurance_number or profile.date_of_birth is None:
        payee_profile_update(
            cooperative=cooperative,
            actor=member,
            profile=profile,
            social_insurance_number="1237010180",  # a valid test number (check digit), born 1.1.1980
            date_of_birth=date(1980, 1, 1),
        )
    start = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    try:
        employment = employments.employment_create(
            cooperative=cooperative,
            actor=advisor,
            project=project,
            payee=member,
            start=start,
            end=_months_later(start, 2),
            weekly_hours=Decimal("20.0"),
            occupation="Bühnenbildnerin",
            municipality="Wien",
        )
        largest = salary_options(cooperative=cooperative, employment=employment, month=start).max_gross
        if largest is None:
            return
        salary = salaries.salary_request(
            cooperative=cooperative,
            actor=member,
            employment=employment,
            month=start,
            gross=min(largest, DEMO_GROSS),
        )
    except ApplicationError as exc:
        stdout.write(f"  no demo employment: {exc.message}\n")
        return
    stdout.write(
        f"  employment of {member.user.email} from {start}, salary {salary.gross} {salary.currency}\n"
    )
