from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayrollConfig(AppConfig):
    name = "payroll"
    verbose_name = _("Payroll")

    def ready(self) -> None:
        # --- payout runs (branch runs) ---
        from payroll import runs_hooks

        runs_hooks.register()
