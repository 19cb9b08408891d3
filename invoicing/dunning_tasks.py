"""Celery tasks of dunning: thin, ids in, safe to run twice (the services lock and check what was done).

`run_dunning_task` is meant for beat, once a day; a second beat or a retry moves nothing twice.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import OperationalError
from django.utils import timezone

from invoicing.dunning import dunning_notify_advisor, dunning_send_letter, run_dunning
from invoicing.task_queue import NOTIFY_DUNNING_ADVISOR, RUN_DUNNING, SEND_DUNNING_LETTER

# Retry what can heal by itself (mail server, storage, database connection) with growing pauses; the
# longest pause stays far below the broker's visibility timeout (one hour), see DESIGN.md "Known traps".
_RETRY: dict[str, Any] = {
    "autoretry_for": (OSError, OperationalError),
    "retry_backoff": 60,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(name=RUN_DUNNING, base=DjangoTask, acks_late=True, time_limit=3000, soft_time_limit=2900)
def run_dunning_task() -> dict[str, Any]:
    """Today's dunning run over all cooperatives, one after the other; returns the counts."""
    return run_dunning(as_of=timezone.localdate()).as_dict()


@shared_task(name=SEND_DUNNING_LETTER, base=DjangoTask, acks_late=True, **_RETRY)
def send_dunning_letter_task(*, cooperative_id: int, notice_id: int) -> None:
    dunning_send_letter(cooperative_id=cooperative_id, notice_id=notice_id)


@shared_task(name=NOTIFY_DUNNING_ADVISOR, base=DjangoTask, acks_late=True, **_RETRY)
def notify_advisor_task(*, cooperative_id: int, notice_id: int) -> None:
    dunning_notify_advisor(cooperative_id=cooperative_id, notice_id=notice_id)
