"""The Celery app. Due dates live in the database; beat only starts short periodic scans."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import import_modules, task_postrun, task_prerun

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
)
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="dunning_tasks")


def beat_schedule() -> dict[str, dict[str, Any]]:
    """What the apps registered in `smartprod.core.registry.beat_schedule` (from their ready())."""
    from smartprod.core.registry import beat_schedule as entries

    return {entry.name: {"task": entry.task, "schedule": entry.schedule} for entry in entries}


@import_modules.connect
def _load_beat_schedule(sender: Any, **kwargs: Any) -> None:
    # Sent by beat and worker start-up before the scheduler exists. Due dates live in the database; beat
    # only starts short scans, each safe to run twice.
    import django

    django.setup()  # every app's ready() registers its scans; a no-op when already set up
    app.conf.beat_schedule = beat_schedule()


# Row-level security (smartprod/core/rls.py): a task that takes a `cooperative_id` runs in that cooperative's
# scope; any other task (the beat sweeps and daily runs) starts with no scope at all and enters the platform
# scope only to list due work, running the work per cooperative. Eager tasks (no broker: dev, tests) are
# scoped the same way, whatever scope queued them. Postrun is sent also when the task raised.
_task_scopes: dict[str, list[Any]] = {}


@task_prerun.connect
def _enter_task_scope(task_id: str | None = None, kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    from smartprod.core import rls

    cooperative_id = (kwargs or {}).get("cooperative_id")
    scope = rls.tenant_scope(int(cooperative_id)) if cooperative_id is not None else rls.no_scope()
    scope.__enter__()
    _task_scopes.setdefault(str(task_id), []).append(scope)


@task_postrun.connect
def _leave_task_scope(task_id: str | None = None, **_: Any) -> None:
    scopes = _task_scopes.get(str(task_id))
    if not scopes:
        return
    scope = scopes.pop()
    if not scopes:
        del _task_scopes[str(task_id)]
    scope.__exit__(None, None, None)
