"""Celery tasks of payout runs: thin, safe to run twice (claims are exactly-once, alarms keyed by the day)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.utils import timezone

from members.models import Cooperative
from payroll.services.runs import payout_deadline_alarms, payout_run_daily


@shared_task(name="payroll.run_payouts_daily", base=DjangoTask, acks_late=True, time_limit=3000)
def run_payouts_daily_task() -> dict[str, Any]:
    """Each active cooperative's daily run (deadlines up to today + its horizon); returns the run numbers."""
    started: dict[str, Any] = {}
    for cooperative in Cooperative.objects.filter(is_active=True).order_by("pk"):
        run = payout_run_daily(cooperative=cooperative, today=timezone.localdate())
        started[cooperative.slug] = run.number if run is not None else None
    return started


@shared_task(name="payroll.payout_deadline_alarms", base=DjangoTask, acks_late=True, time_limit=3000)
def payout_deadline_alarms_task() -> dict[str, int]:
    """The missed-deadline alarm scan over all cooperatives: one e-mail per late item and day."""
    return {
        cooperative.slug: payout_deadline_alarms(cooperative=cooperative, today=timezone.localdate())
        for cooperative in Cooperative.objects.filter(is_active=True).order_by("pk")
    }
