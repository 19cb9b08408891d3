"""The "Employments and salaries" section of the project page (registered by payroll.employment_hooks).

Staff see the project's employments and salaries and a form to create an employment; an employee sees their
own employments and salaries, a form to request a month's salary and what the budget allows now (gross,
net, total employer cost). Everyone else sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from payroll import calc
from payroll.models import Employment
from payroll.selectors.employments import salary_list_visible, salary_options, salary_preview
from payroll.views.employments import default_month, employment_form, own_employments, salary_form
from projects.models import Project
from projects.selectors import is_staff
from smartprod.core.errors import ApplicationError
from smartprod.tenancy.context import request_context


@dataclass(frozen=True)
class MaxPreview:
    employment: Employment
    month: date
    result: calc.PayResult | None  # None: the budget does not cover a salary
    problem: str = ""


def _max_preview(request: HttpRequest, employment: Employment) -> MaxPreview:
    cooperative = request_context(request).cooperative
    assert cooperative is not None
    month = default_month(employment)
    try:
        options = salary_options(cooperative=cooperative, employment=employment, month=month)
        if options.max_gross is None:
            return MaxPreview(employment, month, None)
        result = salary_preview(
            cooperative=cooperative, employment=employment, month=month, gross=options.max_gross
        )
    except ApplicationError as exc:
        return MaxPreview(employment, month, None, exc.message)
    return MaxPreview(employment, month, result)


def employments_panel(request: HttpRequest, project: Project) -> SafeString:
    cooperative = request_context(request).cooperative
    membership = request_context(request).membership
    if cooperative is None or membership is None or project.cooperative_id != cooperative.pk:
        return mark_safe("")
    staff = is_staff(membership)
    employments = own_employments(cooperative, membership, project)
    if not staff and not employments:
        return mark_safe("")
    salaries = list(
        salary_list_visible(cooperative=cooperative, membership=membership)
        .filter(project=project)
        .order_by("-month", "id")
    )
    approved = project.status == Project.Status.APPROVED
    mine = [e for e in employments if e.payee_id == membership.pk]
    html = render_to_string(
        "payroll/employments/project_panel.html",
        {
            "project": project,
            "staff": staff,
            "approved": approved,
            "employments": employments,
            "salaries": salaries,
            "employment_form": employment_form(cooperative, project) if staff and approved else None,
            "salary_form": salary_form(employments) if approved and employments else None,
            "previews": [_max_preview(request, e) for e in mine] if approved else [],
            "currency": cooperative.currency,
        },
        request=request,
    )
    return mark_safe(html)  # the template engine escaped every value
