"""Queue a Celery task by its registered name once the transaction commits.

The code a task runs must not import the task's module back (a task module imports the service it runs):
a service or document kind that queues the next step names the task instead. Each app imports its task
modules at start-up (its AppConfig.ready), so the names are registered in web processes too, not only in
workers; an unknown name raises KeyError at once instead of queueing a message no worker takes.
"""

from __future__ import annotations

from typing import Any

from celery import current_app


def queue_on_commit(task_name: str, **kwargs: Any) -> None:
    task = current_app.tasks[task_name]
    task.delay_on_commit(**kwargs)  # type: ignore[attr-defined]
