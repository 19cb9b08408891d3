"""Reads of employments and salaries: who sees which, the employer's settings and collective agreement, the
calculator's input for a month of an employment, the minimum pay and the largest salary the budget allows.

Visibility: the payee sees their own employments and salaries, a project's owner those of their projects,
staff all of the cooperative's. Anything else — another cooperative's, another member's — does not exist
for the reader (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from payroll import calc
from payroll.models import CollectiveAgreement, Employment, PayrollSettings, Salary
from projects.budget import project_budget_figures
from smartprod.core import capabilities
from smartprod.core.errors import ApplicationError
from smartprod.core.money import quantize_money
from smartprod.tenancy.models import Cooperative, Membership


def employment_list_visible(*, cooperative: Cooperative, membership: Membership) -> QuerySet[Employment]:
    employments = Employment.objects.for_cooperative(cooperative).select_related("project", "payee__user")
    if capabilities.is_staff(membership):
        return employments
    return employments.filter(Q(payee=membership) | Q(project__owner=membership))


def employment_get(*, cooperative: Cooperative, membership: Membership, employment_id: int) -> Employment:
    """Raises Employment.DoesNotExist (→ 404) for another cooperative's or one the person may not see."""
    return employment_list_visible(cooperative=cooperative, membership=membership).get(pk=employment_id)


def salary_list_visible(*, cooperative: Cooperative, membership: Membership) -> QuerySet[Salary]:
    salaries = Salary.objects.for_cooperative(cooperative).select_related("employment", "payee__user")
    if capabilities.is_staff(membership):
        return salaries
    return salaries.filter(Q(payee=membership) | Q(project__owner=membership))


def payroll_settings(cooperative: Cooperative) -> PayrollSettings:
    """The cooperative's employer settings; the defaults (unsaved) while it has none."""
    found = PayrollSettings.objects.for_cooperative(cooperative).first()
    return found if found is not None else PayrollSettings(cooperative=cooperative)


def collective_agreement(cooperative: Cooperative, year: int) -> CollectiveAgreement | None:
    """The cooperative's collective agreement for `year` (the latest earlier year's while the new one is not
    entered yet); None when the cooperative has none."""
    code = payroll_settings(cooperative).collective_agreement_code
    if not code:
        return None
    return (
        CollectiveAgreement.objects.filter(country=cooperative.country, code=code, year__lte=year)
        .order_by("-year")
        .first()
    )


def parse_month(text: str) -> date:
    """ "2026-01" → 1 January 2026; anything else is refused."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        if len(text.strip()) != 7 or not 2000 <= year <= 2100:
            raise ValueError(text)
        return date(year, month, 1)
    except ValueError:
        message = _("A month is written as YYYY-MM, e.g. 2026-01.")
        raise ApplicationError(message, details={"month": [message]}) from None


def rules_for(cooperative: Cooperative, month: date) -> calc.Rules:
    """The payroll rules of the cooperative's country for `month`, or the NoPayrollRules message (400)."""
    try:
        return calc.rules_for(cooperative.country, month)
    except calc.NoPayrollRules as exc:
        message = exc.messages[0]
        raise ApplicationError(message, details={"month": [message]}) from None


def salary_input(
    cooperative: Cooperative, employment: Employment, month: date
) -> tuple[calc.Rules, calc.PayInput]:
    """The rules and the calculator's input (gross 0) for `month` of `employment`; a month the employment does
    not cover is refused."""
    month = month.replace(day=1)
    period = calc.period_for(employment.start, employment.end, month)
    if period.days == 0:
        message = _("This employment runs from %(start)s to %(end)s: %(month)s is outside it.") % {
            "start": employment.start.isoformat(),
            "end": employment.end.isoformat(),
            "month": f"{month:%Y-%m}",
        }
        raise ApplicationError(message, details={"month": [message]})
    rules = rules_for(cooperative, month)
    first_month = month == employment.start.replace(day=1)
    return rules, calc.PayInput(
        gross=Decimal("0.00"),
        period=period,
        federal_state=employment.federal_state,
        first_employment_month=first_month,
    )


def salary_minimum(cooperative: Cooperative, employment: Employment, period: calc.Period) -> Decimal | None:
    """The collective agreement's minimum gross for this employment in `period`: the group's monthly minimum
    for full time, pro rata to the weekly hours and — for part of a month — to the payroll days (of 30).
    None without an agreement or a salary group."""
    agreement = collective_agreement(cooperative, period.month.year)
    if agreement is None or not employment.salary_group:
        return None
    monthly = agreement.minimum_pay.get(employment.salary_group)
    if monthly is None:
        return None
    minimum = Decimal(str(monthly)) * employment.weekly_hours / agreement.full_time_hours
    if not period.full_month:
        minimum = minimum * period.days / 30
    return quantize_money(minimum)


@dataclass(frozen=True)
class SalaryOptions:
    """What a month of an employment can pay: the budget available, the largest gross it allows (None: not
    even a cent), the agreement's minimum (None: no minimum)."""

    available: Decimal
    max_gross: Decimal | None
    minimum: Decimal | None


def salary_options(*, cooperative: Cooperative, employment: Employment, month: date) -> SalaryOptions:
    """Read without a lock (pages, pay options): the salary request checks again under the project lock."""
    rules, template = salary_input(cooperative, employment, month)
    project = employment.project
    available = quantize_money(
        project_budget_figures(cooperative=cooperative, project=project).budget_available
    )
    return SalaryOptions(
        available=available,
        max_gross=calc.max_gross(rules, template, available),
        minimum=salary_minimum(cooperative, employment, template.period),
    )


def salary_preview(
    *, cooperative: Cooperative, employment: Employment, month: date, gross: Decimal
) -> calc.PayResult:
    """Gross → net and the total employer cost for a month of an employment, without saving anything."""
    from dataclasses import replace

    rules, template = salary_input(cooperative, employment, month)
    return calc.compute(rules, replace(template, gross=quantize_money(gross)))
