"""Celery tasks of payroll: thin wrappers that take ids, call one service, are safe to run twice
(claims are exactly-once, alarms keyed by the day)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from celery.contrib.django.task import DjangoTask
from django.utils import timezone

from payroll.documents import fee_note_documents_sweep, fee_note_render_document, fee_note_send_email
from payroll.services.runs import payout_deadline_alarms, payout_deadline_warnings, payout_run_daily
from smartprod.core.documents import DOCUMENT_TASK_OPTIONS
from smartprod.core.rls import active_cooperatives, tenant_scope
from smartprod.tenancy.models import Cooperative


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


@shared_task(name="payroll.run_payouts_daily", base=DjangoTask, acks_late=True, time_limit=3000)
def run_payouts_daily_task() -> dict[str, Any]:
    """Each active cooperative's daily run (deadlines up to today + its horizon); returns the run numbers."""
    started: dict[str, Any] = {}
    for cooperative in active_cooperatives(Cooperative, "daily payout runs"):
        with tenant_scope(cooperative):
            run = payout_run_daily(cooperative=cooperative, today=timezone.localdate())
        started[cooperative.slug] = run.number if run is not None else None
    return started


@shared_task(name="payroll.payout_deadline_alarms", base=DjangoTask, acks_late=True, time_limit=3000)
def payout_deadline_alarms_task() -> dict[str, int]:
    """The missed-deadline alarm scan over all cooperatives: one e-mail per late item and day."""
    alarms: dict[str, int] = {}
    for cooperative in active_cooperatives(Cooperative, "payout deadline alarms"):
        with tenant_scope(cooperative):
            alarms[cooperative.slug] = payout_deadline_alarms(
                cooperative=cooperative, today=timezone.localdate()
            )
    return alarms


# --- payroll run (payslips) ---


@shared_task(name="payroll.render_payslip_pdf", **DOCUMENT_TASK_OPTIONS)
def render_payslip_pdf_task(self: Task[Any, Any], *, cooperative_id: int, payslip_id: int) -> None:
    """Render and store a payslip's PDF (notifies the employee), then queue its e-mail (once)."""
    from payroll.payslip_documents import payslip_render_document

    payslip_render_document(cooperative_id=cooperative_id, payslip_id=payslip_id)


@shared_task(name="payroll.send_payslip_email", **DOCUMENT_TASK_OPTIONS)
def send_payslip_email_task(self: Task[Any, Any], *, cooperative_id: int, payslip_id: int) -> None:
    """Mail the payslip to the employee (no-op once sent)."""
    from payroll.payslip_documents import payslip_send_email

    payslip_send_email(cooperative_id=cooperative_id, payslip_id=payslip_id)


@shared_task(name="payroll.sweep_payslip_documents", acks_late=True)
def sweep_payslip_documents_task() -> dict[str, int]:
    """Every 5 minutes (beat): queue the payslip renders and mails lost tasks left undone."""
    from payroll.payslip_documents import payslip_documents_sweep

    result = payslip_documents_sweep()
    return {"renders": len(result.render_ids), "emails": len(result.email_ids)}


@shared_task(name="payroll.payout_deadline_warnings", base=DjangoTask, acks_late=True, time_limit=3000)
def payout_deadline_warnings_task() -> dict[str, int]:
    """Daily: warn finance and payees once per item whose guarantee deadline is near (safe to run twice)."""
    warnings: dict[str, int] = {}
    for cooperative in active_cooperatives(Cooperative, "payout deadline warnings"):
        with tenant_scope(cooperative):
            warnings[cooperative.slug] = payout_deadline_warnings(
                cooperative=cooperative, today=timezone.localdate()
            )
    return warnings
