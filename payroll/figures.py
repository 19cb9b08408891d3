"""Payout figures for the finance cockpit (kernel registry `finance_figures`, page /finance/).

Guarantee exposure reads what clients still owe from the ledger (receivables per project), not from
invoicing: payroll never imports invoicing (DESIGN.md "Layers"). Every figure is a fixed number of
aggregate queries whatever the number of items, and links to the backend list of the rows it counts.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Least
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payroll.models import PayoutItem, PayoutRun
from projects.budget import receivable_sql
from projects.models import Project
from smartprod.core.money import ZERO
from smartprod.core.registry import FinanceFigure
from smartprod.core.workdays import add_working_days
from smartprod.tenancy.context import current_cooperative
from smartprod.tenancy.models import Cooperative

OWED = (PayoutItem.Status.APPROVED, PayoutItem.Status.IN_RUN, PayoutItem.Status.SENT, PayoutItem.Status.PAID)
OPEN = (PayoutItem.Status.APPROVED, PayoutItem.Status.IN_RUN)


def _admin_list(model: str, **filters: Any) -> str:
    url = reverse(f"admin:payroll_{model}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def exposed_projects(cooperative: Cooperative) -> QuerySet[Any]:
    """Projects with money still receivable from clients and payouts approved or paid on them, each
    annotated with `receivable`, `payouts` and `exposure` = the smaller of both."""
    return (
        Project.objects.for_cooperative(cooperative)
        .annotate(
            receivable=receivable_sql(),
            payouts=Sum("payout_items__amount", filter=Q(payout_items__status__in=OWED)),
        )
        .filter(receivable__gt=0, payouts__gt=0)
        .annotate(exposure=Least("receivable", "payouts"))
    )


def guarantee_exposure(cooperative: Cooperative) -> dict[str, Any]:
    """Per project with money still receivable: approved/paid payouts covered only by that open receivable
    (min of both) — what the cooperative carries if the client never pays. Two queries."""
    projects = exposed_projects(cooperative)
    figures = projects.aggregate(total=Sum("exposure"), count=Count("pk"))
    top = list(projects.order_by("-exposure", "pk")[:10])
    rows = [
        {
            "project": project,
            "receivable": project.receivable,
            "payouts": project.payouts,
            "exposure": project.exposure,
            "url": _admin_list("payoutitem", project__id__exact=project.pk, status__in=",".join(OWED)),
        }
        for project in top
    ]
    return {
        "total": figures["total"] or ZERO,
        "projects": rows,
        "count": figures["count"],
        "url": _admin_list("payoutitem", guarantee="exposed"),
        "currency": cooperative.currency,
    }


class ExposureFilter(admin.SimpleListFilter):
    """Backend list of payout items: those behind the cockpit's guarantee exposure."""

    title = _("guarantee")
    parameter_name = "guarantee"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("exposed", _("Approved or paid, project with open receivables"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() != "exposed":
            return queryset
        cooperative = current_cooperative(request)
        return queryset.filter(status__in=OWED, project__in=exposed_projects(cooperative).values("pk"))


def upcoming_deadlines(cooperative: Cooperative, today: date | None = None) -> dict[str, Any]:
    """Approved payouts not yet sent whose guarantee deadline falls from today to the 10th working day
    after it (the cooperative's country's holidays), and those already past it. Three queries."""
    today = today or timezone.localdate()
    horizon = add_working_days(today, 10, cooperative.country)
    items = PayoutItem.objects.for_cooperative(cooperative).filter(status__in=OPEN)
    window = Q(guarantee_deadline__gte=today, guarantee_deadline__lte=horizon)
    figures = items.aggregate(
        count=Count("pk", filter=window),
        total=Sum("amount", filter=window),
        late=Count("pk", filter=Q(guarantee_deadline__lt=today)),
        late_total=Sum("amount", filter=Q(guarantee_deadline__lt=today)),
    )
    statuses = ",".join(OPEN)
    return {
        "until": horizon,
        "count": figures["count"],
        "total": figures["total"] or ZERO,
        "late": figures["late"],
        "late_total": figures["late_total"] or ZERO,
        "items": list(
            items.filter(window)
            .select_related("payee__user", "project")
            .order_by("guarantee_deadline", "pk")[:10]
        ),
        "url": _admin_list(
            "payoutitem",
            status__in=statuses,
            guarantee_deadline__gte=str(today),
            guarantee_deadline__lte=str(horizon),
        ),
        "late_url": _admin_list("payoutitem", status__in=statuses, guarantee_deadline__lt=str(today)),
        "currency": cooperative.currency,
    }


def runs_by_state(cooperative: Cooperative) -> dict[str, Any]:
    """Payout runs per state (count and total), and the five latest. Two queries."""
    runs = PayoutRun.objects.for_cooperative(cooperative)
    grouped: dict[str, dict[str, Any]] = {
        row["status"]: dict(row)
        for row in runs.values("status").annotate(n=Count("pk"), total=Sum("total")).order_by()
    }
    return {
        "states": [(label, grouped.get(value, {}).get("n", 0)) for value, label in PayoutRun.Status.choices],
        "rows": [
            {
                "label": label,
                "count": grouped.get(value, {}).get("n", 0),
                "total": grouped.get(value, {}).get("total") or ZERO,
                "url": _admin_list("payoutrun", status__exact=value),
            }
            for value, label in PayoutRun.Status.choices
        ],
        "recent": [
            {"run": run, "url": reverse("admin:payroll_payoutrun_change", args=[run.pk])}
            for run in runs.order_by("-started_at", "-pk")[:5]
        ],
        "url": _admin_list("payoutrun"),
        "currency": cooperative.currency,
    }


def paid_on_time(cooperative: Cooperative, today: date | None = None) -> dict[str, Any]:
    """Of the payouts paid in the last 90 days (paid on or after today − 90), the share paid on or before
    their guarantee deadline. One query."""
    since = (today or timezone.localdate()) - timedelta(days=90)
    paid = PayoutItem.objects.for_cooperative(cooperative).filter(
        status=PayoutItem.Status.PAID, paid_at__gte=since
    )
    figures = paid.aggregate(
        count=Count("pk"), on_time=Count("pk", filter=Q(paid_at__lte=F("guarantee_deadline")))
    )
    count, on_time = figures["count"], figures["on_time"]
    share = (Decimal(on_time) * 100 / count).quantize(Decimal("0.1")) if count else None
    return {
        "since": since,
        "count": count,
        "on_time": on_time,
        "late": count - on_time,
        "share": share,
        "url": _admin_list("payoutitem", status__exact=PayoutItem.Status.PAID, paid_at__gte=str(since)),
    }


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
    """Employer liabilities not yet in a payout run (total, next due date), and per month and creditor
    the last 12 rows with their due dates. Three queries."""
    from payroll.selectors.payroll_runs import liabilities_due

    figures = liabilities_due(cooperative)
    for row in figures["months"]:
        filters: dict[str, Any] = {"month": str(row["month"]), "creditor__exact": row["creditor"]}
        if row["municipality"]:
            filters["municipality"] = row["municipality"]
        row["url"] = _admin_list("employerliability", **filters)
    return {
        **figures,
        "url": _admin_list("employerliability", payout_run__isnull="True"),
        "currency": cooperative.currency,
    }


LIABILITIES_FIGURE = FinanceFigure(
    "payroll.liabilities",
    _("Employer liabilities due (ÖGK, tax office, municipalities)"),
    "payroll/payslips/figures/liabilities.html",
    _liabilities_due,
)
