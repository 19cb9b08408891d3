"""Kernel tasks: take ids, call one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask

from smartprod.core.notifications import (
    notification_events_unmailed,
    notification_send_digests,
    notification_send_emails,
)


@shared_task(
    name="core.send_notification_emails",
    base=DjangoTask,
    acks_late=True,
    autoretry_for=(Exception,),
    max_retries=5,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
)
def send_notification_emails_task(*, cooperative_id: int, event: str) -> int:
    return notification_send_emails(cooperative_id=cooperative_id, event=event)


@shared_task(name="core.sweep_notifications", acks_late=True)
def sweep_notifications_task() -> int:
    """Every 5 minutes (beat): mail what a lost task left unmailed."""
    events = notification_events_unmailed()
    for cooperative_id, event in events:
        send_notification_emails_task.delay(cooperative_id=cooperative_id, event=event)
    return len(events)


@shared_task(name="core.send_notification_digests", acks_late=True)
def send_notification_digests_task() -> int:
    """Daily (beat): each person's one digest e-mail; safe to run twice or concurrently."""
    return notification_send_digests()
