"""What payout runs add to the layers below: notification kinds, the bank-entry matcher, beat scans,
finance cockpit figures."""

from __future__ import annotations

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _


def register() -> None:
    from payroll.figures import RUN_FIGURES
    from payroll.services.runs import payout_bank_entry_match
    from smartprod.core.notifications import NotificationKind, notification_kinds
    from smartprod.core.registry import BeatEntry, bank_entry_matchers, beat_schedule, finance_figures

    for kind in (
        NotificationKind(
            "payout.paid",
            _("Payout paid: %(amount)s"),
            _("Your payout of %(amount)s (%(description)s) was transferred to your account on %(date)s."),
        ),
        NotificationKind(
            "payout.returned",
            _("Payout returned: %(payee)s"),
            _(
                "The bank returned the transfer %(end_to_end_id)s of %(amount)s to %(payee)s: %(reason)s. "
                "The payout is open again and will be paid in the next run."
            ),
        ),
        NotificationKind(
            "payout.rejected",
            _("Payout rejected: %(payee)s"),
            _(
                "The bank rejected the transfer %(end_to_end_id)s of %(amount)s to %(payee)s: %(reason)s. "
                "The payout is open again and will be paid in the next run."
            ),
        ),
        NotificationKind(
            "payout.deadline_at_risk",
            _("Payout deadline near: %(payee)s"),
            _(
                "The payout of %(amount)s to %(payee)s (%(description)s) is guaranteed by %(deadline)s and "
                "has not been sent to the bank yet."
            ),
        ),
        NotificationKind(
            "payout.deadline_missed",
            _("Payout deadline missed: %(payee)s"),
            _(
                "The payout of %(amount)s to %(payee)s (%(description)s) was guaranteed by %(deadline)s and "
                "has not been sent to the bank yet."
            ),
        ),
    ):
        notification_kinds.register(kind)
    bank_entry_matchers.register(payout_bank_entry_match)
    beat_schedule.register(
        BeatEntry("payout-runs-daily", "payroll.run_payouts_daily", crontab(hour=5, minute=30))
    )
    beat_schedule.register(
        BeatEntry("payout-deadline-alarms", "payroll.payout_deadline_alarms", crontab(hour=7, minute=0))
    )
    beat_schedule.register(
        BeatEntry("payout-deadline-warnings", "payroll.payout_deadline_warnings", crontab(hour=7, minute=5))
    )
    for figure in RUN_FIGURES:
        finance_figures.register(figure)
