"""The Celery app. Due dates live in the database; beat only starts short periodic scans."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

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
    # Due dates live in the database; beat only starts short scans, each safe to run twice.
    beat_schedule={
        "dunning-daily": {"task": "invoicing.run_dunning", "schedule": crontab(hour=6, minute=0)},
        "invoice-documents-sweep": {"task": "invoicing.sweep_invoice_documents", "schedule": 300.0},
    },
)
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="dunning_tasks")
