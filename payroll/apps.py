from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayrollConfig(AppConfig):
    name = "payroll"
    verbose_name = _("Payroll")

    def ready(self) -> None:
        # --- payee profiles (helper `profile`) ---
        from members.demo_hooks import demo_data
        from payroll import tasks  # noqa: F401  (task names queued by name: registered in every process)
        from payroll.demo_profiles import seed_payee_profiles
        from payroll.services.profiles import IBAN_CHANGED
        from smartprod.core.notifications import NotificationKind, notification_kinds

        notification_kinds.register(
            NotificationKind(
                code=IBAN_CHANGED,
                subject=_("IBAN changed: %(name)s"),
                text=_(
                    "%(name)s has a new IBAN (%(iban)s). Their payouts are held until someone in finance "
                    "has checked the new account with them and confirmed it in the backend."
                ),
                security=True,
            )
        )
        demo_data.register(seed_payee_profiles)
        # --- end payee profiles ---
        # --- fees ---
        from payroll import hooks

        hooks.register()
        # --- end fees ---
        # --- payout runs (branch runs) ---
        from payroll import runs_hooks

        runs_hooks.register()
        # --- end payout runs ---
        # --- employments and salaries (branch payemp) ---
        from payroll import employment_hooks

        employment_hooks.register()
        # --- end employments and salaries ---
        # --- payroll run (branch payrun) ---
        from payroll import payroll_hooks

        payroll_hooks.register()
        # --- end payroll run ---
        from payroll import documents_area

        documents_area.register()

        from payroll.work_queue import payroll_work_queue
        from smartprod.core.registry import work_queue_items

        work_queue_items.register(payroll_work_queue)
