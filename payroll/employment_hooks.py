"""What employments and salaries add to the layers below: approved salaries count against the available
budget until a payslip charges it, the "Employments and salaries" panel of the project page, demo data."""

from __future__ import annotations

from django.db.models import Expression, OuterRef, Sum


def pending_salaries_sql() -> Expression:
    """The total employer cost of a project's approved salaries not yet in a payslip (requested, unpaid)."""
    from payroll.models import Salary
    from projects.budget import _money

    sub = (
        Salary.objects.filter(project=OuterRef("pk"), status=Salary.Status.APPROVED)
        .order_by()
        .values("project")
        .annotate(total=Sum("employer_cost_total"))
    )
    return _money(sub, "total")


def register() -> None:
    from members.demo_hooks import demo_data
    from payroll.demo_employments import seed_employments
    from payroll.panels_employments import employments_panel
    from projects.budget import pending_payouts
    from projects.panels import panels

    pending_payouts.register(pending_salaries_sql)
    panels.register(employments_panel)
    demo_data.register(seed_employments)
