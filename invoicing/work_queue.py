"""Invoicing's part of the staff work queue: invoices to issue, unmatched bank entries, handed-over invoices.

Registered into `smartprod.core.registry.work_queue_items` from InvoicingConfig.ready(). One query per
kind (smartprod.core.work_queue.queryset_group); finance and admins handle these kinds.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoicing.models import BankEntry, Invoice
from invoicing.services import OPEN_STATUSES
from smartprod.core.capabilities import FINANCE_ROLES
from smartprod.core.work_queue import WorkQueueGroup, WorkQueueItem, queryset_group, shows

INVOICE_ISSUE = "invoice.issue"
BANK_ENTRY_UNMATCHED = "bank_entry.unmatched"
INVOICE_HANDED_OVER = "invoice.handed_over"


def _invoice_title(invoice: Invoice) -> str:
    """An issued invoice by its number; one waiting to be issued has none yet: its kind and project."""
    if invoice.number:
        return f"{invoice.number} · {invoice.project.title}"
    return f"{invoice.get_kind_display()} · {invoice.project.title}"


def _days_since(today: date, moment: datetime | None) -> int | None:
    return (today - timezone.localdate(moment)).days if moment is not None else None


def invoicing_work_queue(*, cooperative: Any, membership: Any, limit: int) -> list[WorkQueueGroup]:
    if not shows(membership, FINANCE_ROLES):
        return []
    today = timezone.localdate()
    invoices = Invoice.objects.for_cooperative(cooperative).select_related("project", "client")

    def issue_item(invoice: Invoice) -> WorkQueueItem:
        return WorkQueueItem(
            kind=INVOICE_ISSUE,
            title=_invoice_title(invoice),
            subtitle=invoice.client.name,
            url=reverse("admin:invoicing_invoice_change", args=[invoice.pk]),
            age_days=_days_since(today, invoice.submitted_at),
            amount=invoice.gross_total,
            currency=invoice.currency,
        )

    def bank_item(entry: BankEntry) -> WorkQueueItem:
        payer = entry.debtor_name if entry.is_credit else (entry.creditor_name or entry.debtor_name)
        return WorkQueueItem(
            kind=BANK_ENTRY_UNMATCHED,
            title=entry.structured_reference or entry.remittance_text[:80] or entry.entry_reference,
            subtitle=payer,
            url=reverse("admin:invoicing_bankentry_change", args=[entry.pk]),
            age_days=(today - entry.booking_date).days if entry.booking_date else None,
            amount=entry.amount if entry.is_credit else -entry.amount,
            currency=entry.currency,
        )

    def handed_item(invoice: Invoice) -> WorkQueueItem:
        return WorkQueueItem(
            kind=INVOICE_HANDED_OVER,
            title=_invoice_title(invoice),
            subtitle=invoice.client_name or invoice.client.name,
            url=reverse("admin:invoicing_invoice_change", args=[invoice.pk]),
            age_days=_days_since(today, invoice.handed_to_advisor_at),
            due=invoice.due_date,
            amount=invoice.open_amount,
            currency=invoice.currency,
        )

    changelist = reverse("admin:invoicing_invoice_changelist")
    return [
        queryset_group(
            kind=INVOICE_ISSUE,
            label=_("Invoices waiting to be issued"),
            # Four eyes: nobody issues an invoice of their own project (the service refuses it too).
            queryset=invoices.filter(status=Invoice.Status.SUBMITTED)
            .exclude(project__owner=membership)
            .exclude(created_by=membership.user_id)
            .order_by("submitted_at", "pk"),
            limit=limit,
            item=issue_item,
            list_url=f"{changelist}?queue=submitted",
            order=30,
        ),
        queryset_group(
            kind=BANK_ENTRY_UNMATCHED,
            label=_("Bank entries waiting for assignment"),
            queryset=BankEntry.objects.for_cooperative(cooperative)
            .filter(status=BankEntry.Status.UNMATCHED)
            .order_by("booking_date", "pk"),
            limit=limit,
            item=bank_item,
            list_url=reverse("admin:invoicing_bankentry_changelist") + "?state=unmatched",
            order=40,
        ),
        queryset_group(
            kind=INVOICE_HANDED_OVER,
            label=_("Invoices handed over after the last reminder"),
            queryset=invoices.filter(
                kind=Invoice.Kind.INVOICE, status__in=OPEN_STATUSES, handed_to_advisor_at__isnull=False
            ).order_by("handed_to_advisor_at", "pk"),
            limit=limit,
            item=handed_item,
            list_url=(
                f"{changelist}?kind__exact=invoice&status__in=issued,partially_paid"
                "&handed_to_advisor_at__isnull=0"
            ),
            order=70,
        ),
    ]
