"""The names of invoicing's Celery tasks, and how the code the tasks run queues the next one.

The task modules (`invoicing.tasks`, `invoicing.dunning_tasks`) import the services they run; a document
kind or the dunning run that queues a task after commit names it here instead of importing its module back,
so no import cycle joins a task and its service (tests/test_import_graph.py). `invoicing.hooks` imports the
task modules at start-up, so the names are registered in every process, web and worker alike.
"""

from __future__ import annotations

from smartprod.core.task_queue import queue_on_commit

__all__ = ["queue_on_commit"]

RENDER_INVOICE_DOCUMENT = "invoicing.render_invoice_document"
SEND_INVOICE_EMAIL = "invoicing.send_invoice_email"
SWEEP_INVOICE_DOCUMENTS = "invoicing.sweep_invoice_documents"
RUN_DUNNING = "invoicing.run_dunning"
SEND_DUNNING_LETTER = "invoicing.send_dunning_letter"
NOTIFY_DUNNING_ADVISOR = "invoicing.notify_dunning_advisor"
