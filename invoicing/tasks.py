"""Celery tasks of invoicing: thin wrappers that take ids, call one service, are safe to run twice.

Retries: transient failures (database, storage, SMTP) retry with exponential backoff, at most 5 times
and never longer than 10 minutes apart (no ETA near the broker's visibility timeout). What still fails
is picked up again by the sweep, from the database, until the attempts run out.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.core.exceptions import ObjectDoesNotExist

from invoicing.documents import invoice_documents_sweep, invoice_render_document, invoice_send_email
from smartprod.core.documents import PermanentDocumentError

RETRY_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (Exception,),
    # Retrying cannot help: the data is wrong (staff see document_error) or the invoice is gone.
    "dont_autoretry_for": (PermanentDocumentError, ObjectDoesNotExist),
    "max_retries": 5,
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
}


@shared_task(name="invoicing.render_invoice_document", **RETRY_OPTIONS)
def render_invoice_document_task(self: Task[Any, Any], *, cooperative_id: int, invoice_id: int) -> None:
    """Render, store and queue the e-mail of an issued invoice or credit note (no-op once rendered)."""
    invoice_render_document(cooperative_id=cooperative_id, invoice_id=invoice_id)


@shared_task(name="invoicing.send_invoice_email", **RETRY_OPTIONS)
def send_invoice_email_task(self: Task[Any, Any], *, cooperative_id: int, invoice_id: int) -> None:
    """Mail the rendered document to the client (no-op once sent)."""
    invoice_send_email(cooperative_id=cooperative_id, invoice_id=invoice_id)


@shared_task(name="invoicing.sweep_invoice_documents", acks_late=True)
def sweep_invoice_documents_task() -> dict[str, int]:
    """Every 5 minutes (beat): queue what lost tasks and crashed workers left undone, in all cooperatives."""
    result = invoice_documents_sweep()
    return {"renders": len(result.render_ids), "emails": len(result.email_ids)}
