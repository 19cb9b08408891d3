"""Celery tasks of invoicing: thin wrappers that take ids, call one service, are safe to run twice.

Retries: the kernel's document task options (`smartprod.core.documents.DOCUMENT_TASK_OPTIONS`): transient
failures retry with backoff, at most 5 times and never longer than 10 minutes apart; what still fails is
picked up again by the sweep, from the database, until the attempts run out.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from invoicing.documents import invoice_documents_sweep, invoice_render_document, invoice_send_email
from invoicing.task_queue import RENDER_INVOICE_DOCUMENT, SEND_INVOICE_EMAIL, SWEEP_INVOICE_DOCUMENTS
from smartprod.core.documents import DOCUMENT_TASK_OPTIONS


@shared_task(name=RENDER_INVOICE_DOCUMENT, **DOCUMENT_TASK_OPTIONS)
def render_invoice_document_task(self: Task[Any, Any], *, cooperative_id: int, invoice_id: int) -> None:
    """Render, store and queue the e-mail of an issued invoice or credit note (no-op once rendered)."""
    invoice_render_document(cooperative_id=cooperative_id, invoice_id=invoice_id)


@shared_task(name=SEND_INVOICE_EMAIL, **DOCUMENT_TASK_OPTIONS)
def send_invoice_email_task(self: Task[Any, Any], *, cooperative_id: int, invoice_id: int) -> None:
    """Mail the rendered document to the client (no-op once sent)."""
    invoice_send_email(cooperative_id=cooperative_id, invoice_id=invoice_id)


@shared_task(name=SWEEP_INVOICE_DOCUMENTS, acks_late=True)
def sweep_invoice_documents_task() -> dict[str, int]:
    """Every 5 minutes (beat): queue what lost tasks and crashed workers left undone, in all cooperatives."""
    result = invoice_documents_sweep()
    return {"renders": len(result.render_ids), "emails": len(result.email_ids)}
