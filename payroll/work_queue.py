"""Payroll's part of the staff work queue: fee notes and payout runs waiting for approval, and payouts near
or past their guarantee deadline.

Registered into `smartprod.core.registry.work_queue_items` from PayrollConfig.ready(). One query per kind
(smartprod.core.work_queue.queryset_group); finance and admins handle these kinds. Salaries and payout items
need no approval step (a salary is approved when requested, within the budget; an item is created approved),
so they appear here only through their deadline.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payroll.models import FeeNote, PayoutItem, PayoutRun
from smartprod.core.capabilities import FINANCE_ROLES
from smartprod.core.work_queue import WorkQueueGroup, WorkQueueItem, queryset_group, shows
from smartprod.core.workdays import add_working_days

FEE_NOTE_APPROVAL = "fee_note.approval"
PAYOUT_RUN_APPROVAL = "payout_run.approval"
PAYOUT_DEADLINE = "payout.deadline"

DEADLINE_HORIZON_WORKING_DAYS = 3  # payouts due within the next 3 working days (or overdue) are listed


def _name(membership: Any) -> str:
    user = membership.user
    return str(user.get_full_name() or user.email)


def payroll_work_queue(*, cooperative: Any, membership: Any, limit: int) -> list[WorkQueueGroup]:
    if not shows(membership, FINANCE_ROLES):
        return []
    today = timezone.localdate()
    horizon = add_working_days(today, DEADLINE_HORIZON_WORKING_DAYS, cooperative.country)

    fee_notes = (
        FeeNote.objects.for_cooperative(cooperative)
        .filter(status=FeeNote.Status.REQUESTED)
        # Four eyes: not one's own fee note, nor one this person already gave the first approval to.
        .exclude(payee=membership)
        .exclude(first_approved_by=membership)
        .select_related("project", "payee__user")
        .order_by("requested_at", "pk")
    )

    def fee_item(fee_note: FeeNote) -> WorkQueueItem:
        return WorkQueueItem(
            kind=FEE_NOTE_APPROVAL,
            title=f"{fee_note.project.title}: {fee_note.description[:80]}",
            subtitle=_name(fee_note.payee),
            url=reverse("admin:payroll_feenote_change", args=[fee_note.pk]),
            age_days=(today - timezone.localdate(fee_note.requested_at)).days,
            amount=fee_note.gross_amount,
            currency=fee_note.currency,
        )

    runs = (
        PayoutRun.objects.for_cooperative(cooperative)
        .filter(status=PayoutRun.Status.PENDING_APPROVAL)
        .exclude(started_by=membership)  # the second approval comes from another person
        .order_by("started_at", "pk")
    )

    def run_item(run: PayoutRun) -> WorkQueueItem:
        return WorkQueueItem(
            kind=PAYOUT_RUN_APPROVAL,
            title=str(run),
            subtitle=str(_("%(count)s transfers") % {"count": run.item_count}),
            url=reverse("admin:payroll_payoutrun_change", args=[run.pk]),
            age_days=(today - timezone.localdate(run.started_at)).days,
            due=run.execution_date,
            amount=run.total,
            currency=run.currency,
        )

    # Not yet in a sent run: approved (waiting for a run) or claimed by a run that has not gone out.
    items = (
        PayoutItem.objects.for_cooperative(cooperative)
        .filter(
            status__in=[PayoutItem.Status.APPROVED, PayoutItem.Status.IN_RUN],
            guarantee_deadline__lte=horizon,
        )
        .select_related("project", "payee__user")
        .order_by("guarantee_deadline", "pk")
    )

    def deadline_item(item: PayoutItem) -> WorkQueueItem:
        return WorkQueueItem(
            kind=PAYOUT_DEADLINE,
            title=f"{item.description} · {item.project.title}",
            subtitle=_name(item.payee),
            url=reverse("admin:payroll_payoutitem_change", args=[item.pk]),
            due=item.guarantee_deadline,
            amount=item.amount,
            currency=item.currency,
        )

    return [
        queryset_group(
            kind=FEE_NOTE_APPROVAL,
            label=_("Fee notes waiting for approval"),
            queryset=fee_notes,
            limit=limit,
            item=fee_item,
            list_url=reverse("admin:payroll_feenote_changelist") + "?status__exact=requested",
            order=50,
        ),
        queryset_group(
            kind=PAYOUT_RUN_APPROVAL,
            label=_("Payout runs waiting for a second approval"),
            queryset=runs,
            limit=limit,
            item=run_item,
            list_url=reverse("admin:payroll_payoutrun_changelist") + "?status__exact=pending_approval",
            order=60,
        ),
        queryset_group(
            kind=PAYOUT_DEADLINE,
            label=_("Payouts near or past their guarantee deadline"),
            queryset=items,
            limit=limit,
            item=deadline_item,
            list_url=(
                reverse("admin:payroll_payoutitem_changelist")
                + f"?status__in=approved,in_run&guarantee_deadline__lte={horizon.isoformat()}"
            ),
            order=80,
        ),
    ]
