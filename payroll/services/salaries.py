"""Salary requests: the payee asks for a month of their employment — a gross amount or "max" (issue 10).

A request is approved at once when its total employer cost fits the project's available budget, checked
under the project lock (the approved salary then counts as requested-but-unpaid, so the next request —
salary or fee — sees it; two requests at once never overdraw). Nothing is posted here: the monthly payroll
run turns the salary into a payslip and charges the budget.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payroll import calc
from payroll.models import Employment, Salary
from payroll.selectors.employments import salary_input, salary_minimum
from projects.budget import project_budget_figures
from projects.models import Project
from smartprod.core import capabilities, locks
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed, status_in_sentence
from smartprod.core.idempotency import IdempotentRequest, idempotency_claim, idempotency_complete
from smartprod.core.money import ZERO, quantize_money
from smartprod.tenancy.models import Cooperative, Membership

MAX: Final = "max"


def _gross_error(message: str, *, conflict: bool = False, **details: str) -> ApplicationError:
    return ApplicationError(message, details={"gross": [message], **details}, conflict=conflict)


@transaction.atomic
def salary_request(
    *,
    cooperative: Cooperative,
    actor: Membership,
    employment: Employment,
    month: date,
    gross: Decimal | Literal["max"],
    idempotent: IdempotentRequest | None = None,
) -> Salary:
    """The payee (or staff for them) requests the salary of `month` of an employment; approved at once.

    `gross` is an amount or "max": the largest gross whose total employer cost fits the available budget.
    Refused: a month outside the employment, no payroll rules, less than the collective agreement's minimum
    (pro rata to hours and days), more than the budget allows (the message names what is available), a
    second salary for the same month (409). Under the project lock. With `idempotent` a repeated request
    returns the salary the first one created.
    """
    for obj in (actor, employment):
        if obj.cooperative_id != cooperative.pk:
            raise type(obj).DoesNotExist()
    if actor.pk != employment.payee_id and not capabilities.is_staff(actor):
        raise NotAllowed(_("Only the employee, or staff on their behalf, request their salary."))
    month = month.replace(day=1)
    record = None
    if idempotent is not None:
        record = idempotency_claim(
            cooperative=cooperative, operation="payroll.salary_request", idempotent=idempotent
        )
        if record.result_id:
            return Salary.objects.for_cooperative(cooperative).get(pk=int(record.result_id))
    asked = None if gross == MAX else quantize_money(gross)
    if asked is not None and asked <= 0:
        raise _gross_error(_("The gross salary must be more than zero."))
    rules, template = salary_input(cooperative, employment, month)
    project = locks.lock_project(Project, cooperative, employment.project_id)
    if project.status != Project.Status.APPROVED:
        raise ApplicationError(
            _("Salaries are paid from approved projects; this project is %(status)s.")
            % {"status": status_in_sentence(project.get_status_display())},
            conflict=True,
        )
    existing = (
        Salary.objects.for_cooperative(cooperative)
        .filter(employment=employment, month=month)
        .exclude(status=Salary.Status.CANCELLED)
        .first()
    )
    if existing is not None:
        raise ApplicationError(
            _("A salary for %(month)s of this employment exists already (%(gross)s %(currency)s).")
            % {"month": f"{month:%Y-%m}", "gross": existing.gross, "currency": existing.currency},
            details={"month": [_("Already requested.")], "salary": existing.pk},
            conflict=True,
        )
    available = quantize_money(
        project_budget_figures(cooperative=cooperative, project=project).budget_available
    )
    currency = cooperative.currency
    minimum = salary_minimum(cooperative, employment, template.period)
    if asked is None:
        largest = calc.max_gross(rules, template, available)
        if largest is None or (minimum is not None and largest < minimum):
            raise _gross_error(
                _(
                    "The project's budget has only %(available)s %(currency)s available: not enough for a "
                    "salary of at least %(minimum)s %(currency)s with its employer costs."
                )
                % {"available": max(available, ZERO), "currency": currency, "minimum": minimum or "0.01"},
                available=str(max(available, ZERO)),
            )
        amount = largest
    else:
        amount = asked
    if minimum is not None and amount < minimum:
        raise _gross_error(
            _(
                "The collective agreement's minimum for this employment is %(minimum)s %(currency)s gross "
                "(salary group %(group)s, %(hours)s hours a week)."
            )
            % {
                "minimum": minimum,
                "currency": currency,
                "group": employment.salary_group,
                "hours": employment.weekly_hours,
            },
            minimum=str(minimum),
        )
    result = calc.compute(rules, replace(template, gross=amount))
    if result.employer_cost_total > available:
        shown = max(available, ZERO)
        raise _gross_error(
            _(
                "The project's budget has only %(available)s %(currency)s available; this salary costs "
                "%(cost)s %(currency)s with its employer costs."
            )
            % {"available": shown, "currency": currency, "cost": result.employer_cost_total},
            available=str(shown),
        )
    salary = Salary.objects.create(
        cooperative=cooperative,
        employment=employment,
        project=project,
        payee_id=employment.payee_id,
        month=month,
        currency=currency,
        gross=result.gross,
        employee_social_insurance=result.employee_social_insurance,
        wage_tax=result.wage_tax,
        net=result.net,
        employer_cost_total=result.employer_cost_total,
        status=Salary.Status.APPROVED,
        requested_by=actor,
        approved_at=timezone.now(),
    )
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="salary.approved",
        obj=salary,
        data={
            "employment": employment.pk,
            "month": f"{month:%Y-%m}",
            "asked": str(asked or MAX),
            "gross": str(salary.gross),
            "employer_cost_total": str(salary.employer_cost_total),
            "available": str(available),
        },
    )
    if record is not None:
        idempotency_complete(record=record, result=salary)
    return salary
