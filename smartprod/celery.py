"""The Celery app. Due dates live in the database; beat only starts short periodic scans."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartprod.settings.dev")

app = Celery("smartprod")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_prefetch_multiplier=1,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_time_limit=300,
    task_soft_time_limit=240,
    # WeasyPrint grows in memory over many renders: recycle worker children.
    worker_max_tasks_per_child=200,
    broker_transport_options={"visibility_timeout": 3600},
    timezone="Europe/Vienna",
    beat_schedule={},
)
# Periodic scans, added by the apps that own them (each is safe to run twice).
app.conf.beat_schedule.update({})
app.autodiscover_tasks()
