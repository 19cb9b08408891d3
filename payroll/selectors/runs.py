"""Reads of payout runs and their attempts (always cooperative first)."""

from __future__ import annotations

from django.db.models import QuerySet

from payroll.models import PayoutRun, PayoutRunItem
from smartprod.tenancy.models import Cooperative


def payout_run_list(*, cooperative: Cooperative) -> QuerySet[PayoutRun]:
    return PayoutRun.objects.for_cooperative(cooperative).select_related(
        "started_by__user", "approved_by__user", "sent_by__user"
    )


def payout_run_get(*, cooperative: Cooperative, run_id: int) -> PayoutRun:
    """A run of the cooperative; another cooperative's run raises DoesNotExist (404)."""
    return payout_run_list(cooperative=cooperative).get(pk=run_id)


def payout_run_attempts(*, cooperative: Cooperative, run: PayoutRun) -> QuerySet[PayoutRunItem]:
    return (
        PayoutRunItem.objects.for_cooperative(cooperative)
        .filter(run=run)
        .select_related("item__payee__user", "item__project")
        .order_by("id")
    )
