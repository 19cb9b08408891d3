"""Invoicing's figures for the finance cockpit (kernel registry `finance_figures`, page /finance/).

Each figure is one or two aggregate queries, whatever the number of invoices, and links to the backend's
invoice list filtered to the rows it counts.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoicing.models import Invoice, WriteOff
from smartprod.core.money import ZERO
from smartprod.core.registry import FinanceFigure
from smartprod.tenancy.models import Cooperative

OPEN_STATUSES = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)


def _invoice_list(**filters: str) -> str:
    return f"{reverse('admin:invoicing_invoice_changelist')}?{urlencode(filters)}"


def _open_list(**filters: str) -> str:
    return _invoice_list(kind__exact=Invoice.Kind.INVOICE, status__in=",".join(OPEN_STATUSES), **filters)


def receivables_aging(cooperative: Cooperative, today: date | None = None) -> dict[str, Any]:
    """Open amounts of issued invoices (gross − paid − credited − written off, where positive) by days past
    their due date: not yet due, 0–30, 31–60, 61–90, more than 90. One query."""
    today = today or timezone.localdate()
    day = timedelta(days=1)
    # (label, due-date bounds as Q, the same bounds as admin filters)
    buckets: list[tuple[str, Any, Q, dict[str, str]]] = [
        ("not_due", _("Not yet due"), Q(due_date__gt=today), {"due_date__gt": str(today)}),
        (
            "d0_30",
            _("0–30 days past due"),
            Q(due_date__lte=today, due_date__gte=today - 30 * day),
            {"due_date__lte": str(today), "due_date__gte": str(today - 30 * day)},
        ),
        (
            "d31_60",
            _("31–60 days past due"),
            Q(due_date__lte=today - 31 * day, due_date__gte=today - 60 * day),
            {"due_date__lte": str(today - 31 * day), "due_date__gte": str(today - 60 * day)},
        ),
        (
            "d61_90",
            _("61–90 days past due"),
            Q(due_date__lte=today - 61 * day, due_date__gte=today - 90 * day),
            {"due_date__lte": str(today - 61 * day), "due_date__gte": str(today - 90 * day)},
        ),
        (
            "d90",
            _("More than 90 days past due"),
            Q(due_date__lt=today - 90 * day),
            {"due_date__lt": str(today - 90 * day)},
        ),
    ]
    open_invoices = (
        Invoice.objects.for_cooperative(cooperative)
        .filter(kind=Invoice.Kind.INVOICE, status__in=OPEN_STATUSES)
        .annotate(open=F("gross_total") - F("paid_total") - F("credited_total") - F("written_off_total"))
        .filter(open__gt=0)
    )
    aggregates: dict[str, Any] = {}
    for key, _label, bounds, _filters in buckets:
        aggregates[f"{key}_total"] = Sum("open", filter=bounds)
        aggregates[f"{key}_count"] = Count("pk", filter=bounds)
    aggregates["total"] = Sum("open")
    aggregates["count"] = Count("pk")
    figures = open_invoices.aggregate(**aggregates)
    rows = [
        {
            "key": key,
            "label": label,
            "total": figures[f"{key}_total"] or ZERO,
            "count": figures[f"{key}_count"],
            "url": _open_list(**filters),
        }
        for key, label, _bounds, filters in buckets
    ]
    return {
        "rows": rows,
        "total": figures["total"] or ZERO,
        "count": figures["count"],
        "url": _open_list(),
        "currency": cooperative.currency,
    }


def defaults_written_off(cooperative: Cooperative, today: date | None = None) -> dict[str, Any]:
    """Write-offs (defaults, Ausfallshaftung) dated in the current calendar year: their gross amount (what
    left receivables) and its net part (what the guarantee fund carries). One query."""
    today = today or timezone.localdate()
    figures = (
        WriteOff.objects.for_cooperative(cooperative)
        .filter(date__year=today.year)
        .aggregate(count=Count("pk"), gross=Sum("gross_amount"), net=Sum("net_amount"))
    )
    return {
        "year": today.year,
        "count": figures["count"],
        "gross": figures["gross"] or ZERO,
        "net": figures["net"] or ZERO,
        "url": _invoice_list(queue="written_off_this_year"),
        "currency": cooperative.currency,
    }


FIGURES = (
    FinanceFigure(
        "invoices.aging", _("Receivables aging"), "invoicing/figures/aging.html", receivables_aging
    ),
    FinanceFigure(
        "invoices.written_off",
        _("Defaults written off this year"),
        "invoicing/figures/written_off.html",
        defaults_written_off,
    ),
)


def register() -> None:
    from smartprod.core.registry import finance_figures

    for figure in FIGURES:
        finance_figures.register(figure)
