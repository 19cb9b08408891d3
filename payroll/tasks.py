"""Celery tasks of payroll: thin wrappers that take ids, call one service, are safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from payroll.documents import fee_note_documents_sweep, fee_note_render_document, fee_note_send_email
from smartprod.core.documents import DOCUMENT_TASK_OPTIONS


@shared_task(name="payroll.render_fee_note_pdf", **DOCUMENT_TASK_OPTIONS)
def render_fee_note_pdf_task(self: Task[Any, Any], *, cooperative_id: int, fee_note_id: int) -> None:
    """Render and store an approved fee note's PDF, then queue its e-mail (no-op once rendered)."""
    fee_note_render_document(cooperative_id=cooperative_id, fee_note_id=fee_note_id)


@shared_task(name="payroll.send_fee_note_email", **DOCUMENT_TASK_OPTIONS)
def send_fee_note_email_task(self: Task[Any, Any], *, cooperative_id: int, fee_note_id: int) -> None:
    """Mail the fee note to the payee (no-op once sent)."""
    fee_note_send_email(cooperative_id=cooperative_id, fee_note_id=fee_note_id)


@shared_task(name="payroll.sweep_fee_note_documents", acks_late=True)
def sweep_fee_note_documents_task() -> dict[str, int]:
    """Every 5 minutes (beat): queue the renders and mails lost tasks left undone."""
    result = fee_note_documents_sweep()
    return {"renders": len(result.render_ids), "emails": len(result.email_ids)}
