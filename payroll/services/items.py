"""Payout items that come from other apps' events: an approved expense is reimbursed to its submitter."""

from __future__ import annotations

from django.utils import timezone

from payroll.models import PayoutItem
from payroll.services.fees import guarantee_deadline
from payroll.services.history import payout_item_event
from projects.models import Expense
from smartprod.tenancy.models import Cooperative, Membership


def expense_payout_item_create(
    *, cooperative: Cooperative, actor: Membership | None, expense: Expense
) -> PayoutItem:
    """The reimbursement of an approved expense (registered in `projects.services.expense_approved_hooks`;
    runs inside the approval's transaction, which approves an expense once). One item per expense: the
    OneToOne field refuses a second."""
    approved_at = expense.decided_at or timezone.now()
    item = PayoutItem.objects.create(
        cooperative=cooperative,
        kind=PayoutItem.Kind.EXPENSE,
        payee_id=expense.submitted_by_id,
        project_id=expense.project_id,
        expense=expense,
        description=expense.description[:140],
        currency=cooperative.currency,
        amount=expense.amount,
        approved_at=approved_at,
        guarantee_deadline=guarantee_deadline(
            cooperative=cooperative, approved_on=timezone.localdate(approved_at)
        ),
    )
    payout_item_event(item, from_status="", to_status=PayoutItem.Status.APPROVED, actor=actor)
    return item
