"""Reads of payroll runs, payslips and employer liabilities (always cooperative first)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from payroll.models import EmployerLiability, PayrollRun, Payslip
from smartprod.core import capabilities
from smartprod.core.money import ZERO
from smartprod.tenancy.models import Cooperative, Membership


def payroll_run_list(*, cooperative: Cooperative) -> QuerySet[PayrollRun]:
    return PayrollRun.objects.for_cooperative(cooperative).select_related("created_by__user")


def payslip_list(*, cooperative: Cooperative, viewer: Membership) -> QuerySet[Payslip]:
    """The payslips `viewer` may see: their own; finance, admins and advisors see every one of the
    cooperative. Nobody else — not even the project's owner (pay is personal)."""
    payslips = Payslip.objects.for_cooperative(cooperative).select_related(
        "payee__user", "project", "employment"
    )
    if capabilities.is_staff(viewer):
        return payslips
    return payslips.filter(payee=viewer)


def payslip_get(*, cooperative: Cooperative, viewer: Membership, payslip_id: int) -> Payslip:
    """A payslip the viewer may see; anyone else's (or another cooperative's) raises DoesNotExist (404)."""
    return payslip_list(cooperative=cooperative, viewer=viewer).get(pk=payslip_id)


def liabilities_by_month(
    *, cooperative: Cooperative, month: date | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Per month and creditor (ÖGK, tax office, each municipality): the total owed, what of it is paid, the
    due date (the 15th of the following month); newest month first, at most `limit` rows."""
    rows = EmployerLiability.objects.for_cooperative(cooperative)
    if month is not None:
        rows = rows.filter(month=month.replace(day=1))
    grouped = (
        rows.values("month", "creditor", "municipality", "due_date", "currency")
        .annotate(total=Sum("amount"), paid_total=Sum("amount", filter=Q(paid_at__isnull=False)))
        .order_by("-month", "creditor", "municipality")
    )
    if limit is not None:
        grouped = grouped[:limit]
    labels = dict(EmployerLiability.Creditor.choices)
    result = []
    for row in grouped:
        paid: Decimal = row["paid_total"] or ZERO
        result.append(
            {
                **row,
                "amount": row["total"],
                "paid": paid,
                "open": row["total"] - paid,
                "label": row["municipality"]
                if row["creditor"] == EmployerLiability.Creditor.MUNICIPALITY
                else labels[row["creditor"]],
            }
        )
    return result


def liabilities_due(cooperative: Cooperative) -> dict[str, Any]:
    """The finance figure: open employer liabilities (not in a payout run yet), next due date first."""
    open_rows = EmployerLiability.objects.for_cooperative(cooperative).filter(payout_run__isnull=True)
    total = open_rows.aggregate(total=Sum("amount"))["total"] or ZERO
    first = open_rows.order_by("due_date").values_list("due_date", flat=True).first()
    months = liabilities_by_month(cooperative=cooperative, limit=12)
    return {"total": total, "next_due": first, "months": months}
