"""The tasks invoicing queues by name (invoicing.task_queue) are registered in every process, not only in
workers: a name nobody registered would raise KeyError when a document or a dunning letter is queued."""

from __future__ import annotations

from celery import current_app

from invoicing import task_queue


def test_every_task_name_invoicing_queues_is_registered():
    names = sorted(value for key, value in vars(task_queue).items() if key.isupper())
    assert len(names) == 6
    assert [name for name in names if name not in current_app.tasks] == []
