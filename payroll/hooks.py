"""What payroll adds to the layers below it (which may not import it): pending payouts of the budget, the
expense → payout item hook, notification and document kinds, periodic scans, panels, demo data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Expression, OuterRef, Sum
from django.utils.translation import gettext_lazy as _

from smartprod.core.notifications import NotificationKind

if TYPE_CHECKING:
    from projects.models import Expense
    from smartprod.tenancy.models import Cooperative, Membership

# One notification per approved payout (fee note here; the other helpers' salaries and expenses may use it).
PAYOUT_APPROVED = NotificationKind(
    "payout.approved",
    _("Payout approved: %(number)s"),
    _("Your payout %(number)s of %(amount)s %(currency)s is approved; it is guaranteed by %(deadline)s."),
)


def pending_fee_notes_sql() -> Expression:
    """The budget cost (net) of a project's requested fee notes: they count against what is available."""
    from payroll.models import FeeNote
    from projects.budget import _money

    sub = (
        FeeNote.objects.filter(project=OuterRef("pk"), status=FeeNote.Status.REQUESTED)
        .order_by()
        .values("project")
        .annotate(total=Sum("net_amount"))
    )
    return _money(sub, "total")


def _expense_approved(*, cooperative: Cooperative, actor: Membership | None, expense: Expense) -> None:
    from payroll.services.items import expense_payout_item_create

    expense_payout_item_create(cooperative=cooperative, actor=actor, expense=expense)


def register() -> None:
    from members.demo_hooks import demo_data
    from payroll.demo import seed_fee_notes
    from payroll.documents import FEE_NOTE_DOCUMENT
    from payroll.panels import payouts_panel
    from projects.budget import pending_payouts
    from projects.panels import panels
    from projects.services import expense_approved_hooks
    from smartprod.core.documents import document_kinds
    from smartprod.core.notifications import notification_kinds
    from smartprod.core.registry import BeatEntry, beat_schedule

    pending_payouts.register(pending_fee_notes_sql)
    panels.register(payouts_panel)
    demo_data.register(seed_fee_notes)
    expense_approved_hooks.register(_expense_approved)
    document_kinds.register(FEE_NOTE_DOCUMENT)
    notification_kinds.register(PAYOUT_APPROVED)
    beat_schedule.register(
        BeatEntry(
            "fee-note-documents-sweep",
            "payroll.sweep_fee_note_documents",
            float(settings.DOCUMENT_SWEEP_INTERVAL_SECONDS),
        )
    )
