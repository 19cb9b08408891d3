"""What the payroll run adds to the layers below: ledger account types, the payslip document and its
notification, the sweep, the finance figure of employer liabilities due."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from payroll.figures import LIABILITIES_FIGURE
    from payroll.payslip_documents import PAYSLIP_DOCUMENT, PAYSLIP_READY
    from payroll.services.payroll_runs import ACCRUED_SPECIAL, LEVIES_PAYABLE
    from payroll.views.payslips import payslips_panel
    from projects.account_types import AccountType, account_types
    from projects.panels import panels
    from smartprod.core.documents import document_kinds
    from smartprod.core.notifications import NotificationKind, notification_kinds
    from smartprod.core.registry import BeatEntry, beat_schedule, finance_figures

    account_types.register(AccountType(LEVIES_PAYABLE, "3610", _("Employer levies payable")))
    account_types.register(AccountType(ACCRUED_SPECIAL, "3650", _("Accrued 13th/14th salaries")))
    document_kinds.register(PAYSLIP_DOCUMENT)
    notification_kinds.register(
        NotificationKind(
            PAYSLIP_READY,
            _("Your payslip for %(period)s"),
            _("Your payslip for %(period)s is ready: net pay %(net)s %(currency)s."),
        )
    )
    beat_schedule.register(BeatEntry("payslip-documents-sweep", "payroll.sweep_payslip_documents", 300.0))
    finance_figures.register(LIABILITIES_FIGURE)
    panels.register(payslips_panel)
