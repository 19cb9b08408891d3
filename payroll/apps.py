from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayrollConfig(AppConfig):
    name = "payroll"
    verbose_name = _("Payroll")

    def ready(self) -> None:
        from projects.account_types import AccountType, account_types

        # The VAT a VAT-registered payee charges on a fee (and deductible VAT on expense receipts) is input
        # VAT the cooperative reclaims from the tax office: the budget carries the net amount only.
        account_types.register(AccountType("input_vat", "2500", _("Input VAT (reclaimable)")))
