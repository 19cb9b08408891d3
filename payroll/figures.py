"""Payout figures for the finance cockpit (kernel registry `finance_figures`; the page is another issue's).

Guarantee exposure reads what clients still owe from the ledger (receivables per project), not from
invoicing: payroll never imports invoicing (DESIGN.md "Layers").
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payroll.models import PayoutItem, PayoutRun
from projects.budget import receivable_sql
from projects.models import Project
from smartprod.core.money import ZERO
from smartprod.core.registry import FinanceFigure
from smartprod.core.workdays import add_working_days
from smartprod.tenancy.models import Cooperative

OWED = (PayoutItem.Status.APPROVED, PayoutItem.Status.IN_RUN, PayoutItem.Status.SENT, PayoutItem.Status.PAID)
OPEN = (PayoutItem.Status.APPROVED, PayoutItem.Status.IN_RUN)


def guarantee_exposure(cooperative: Cooperative) -> dict[str, Any]:
    """Per project with money still receivable: approved/paid payouts covered only by that open receivable
    (min of both) — what the cooperative carries if the client never pays."""
    projects = list(
        Project.objects.for_cooperative(cooperative)
        .annotate(
            receivable=receivable_sql(),
            payouts=Sum("payout_items__amount", filter=Q(payout_items__status__in=OWED)),
        )
        .filter(receivable__gt=0, payouts__gt=0)
        .order_by("pk")
    )
    rows = [
        {
            "project": project,
            "receivable": project.receivable,
            "payouts": project.payouts,
            "exposure": min(project.receivable, project.payouts),
        }
        for project in projects
    ]
    rows.sort(key=lambda row: row["exposure"], reverse=True)
    return {"total": sum((row["exposure"] for row in rows), ZERO), "projects": rows[:10], "count": len(rows)}


def upcoming_deadlines(cooperative: Cooperative) -> dict[str, Any]:
    today = timezone.localdate()
    horizon = add_working_days(today, 10, cooperative.country)
    items = PayoutItem.objects.for_cooperative(cooperative).filter(status__in=OPEN)
    upcoming = items.filter(guarantee_deadline__gte=today, guarantee_deadline__lte=horizon)
    late = items.filter(guarantee_deadline__lt=today)
    figures = upcoming.aggregate(count=Count("pk"), total=Sum("amount"))
    return {
        "until": horizon,
        "count": figures["count"],
        "total": figures["total"] or ZERO,
        "late": late.count(),
        "items": list(upcoming.select_related("payee__user").order_by("guarantee_deadline", "pk")[:10]),
    }


def runs_by_state(cooperative: Cooperative) -> dict[str, Any]:
    runs = PayoutRun.objects.for_cooperative(cooperative)
    counts = dict(runs.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "states": [(label, counts.get(value, 0)) for value, label in PayoutRun.Status.choices],
        "recent": list(runs.order_by("-started_at", "-pk")[:5]),
    }


def paid_on_time(cooperative: Cooperative) -> dict[str, Any]:
    since = timezone.localdate() - timedelta(days=90)
    paid = PayoutItem.objects.for_cooperative(cooperative).filter(
        status=PayoutItem.Status.PAID, paid_at__gte=since
    )
    figures = paid.aggregate(
        count=Count("pk"), on_time=Count("pk", filter=Q(paid_at__lte=F("guarantee_deadline")))
    )
    count, on_time = figures["count"], figures["on_time"]
    share = (Decimal(on_time) * 100 / count).quantize(Decimal("0.1")) if count else None
    return {"since": since, "count": count, "on_time": on_time, "share": share}


RUN_FIGURES = (
    FinanceFigure(
        "payouts.exposure", _("Guarantee exposure"), "payroll/runs/figures/exposure.html", guarantee_exposure
    ),
    FinanceFigure(
        "payouts.deadlines",
        _("Payout deadlines (next 10 working days)"),
        "payroll/runs/figures/deadlines.html",
        upcoming_deadlines,
    ),
    FinanceFigure("payouts.runs", _("Payout runs"), "payroll/runs/figures/runs.html", runs_by_state),
    FinanceFigure(
        "payouts.on_time",
        _("Payouts paid on time (90 days)"),
        "payroll/runs/figures/on_time.html",
        paid_on_time,
    ),
)


def _liabilities_due(cooperative: Cooperative) -> dict[str, Any]:
    from payroll.selectors.payroll_runs import liabilities_due

    return liabilities_due(cooperative)


LIABILITIES_FIGURE = FinanceFigure(
    "payroll.liabilities",
    _("Employer liabilities due (ÖGK, tax office, municipalities)"),
    "payroll/payslips/figures/liabilities.html",
    _liabilities_due,
)
