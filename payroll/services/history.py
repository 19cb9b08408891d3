"""A payout item's history: every change of its status is kept, with the run, the reason and who did it."""

from __future__ import annotations

from payroll.models import PayoutItem, PayoutItemEvent
from smartprod.tenancy.models import Membership


def payout_item_event(
    item: PayoutItem,
    *,
    from_status: str,
    to_status: str,
    actor: Membership | None,
    reason: str = "",
    run_id: int | None = None,
) -> PayoutItemEvent:
    """Record `item` moving from `from_status` ("" when it is created) to `to_status`."""
    return PayoutItemEvent.objects.create(
        cooperative_id=item.cooperative_id,
        item=item,
        from_status=from_status,
        to_status=to_status,
        run_id=run_id if run_id is not None else item.run_id,
        reason=reason[:300],
        actor=actor.user if actor is not None else None,
    )
