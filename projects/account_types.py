"""The ledger's account types: data in a registry, not an enum, so an app adds its own without a change here.

`Account.type` is a plain code column; its choices are read from `account_types` when a form or the
admin asks (a callable, so no migration follows a new type). The ledger's own types are registered
below; an app above `projects` registers what it needs from its `AppConfig.ready()`, e.g. payroll:

    account_types.register(AccountType("employer_levies_payable", "3610", _("Employer levies payable")))
    account_types.register(AccountType("employer_levies_payable", "3610", _("Employer levies payable")))

`per` says what an account of the type is kept for: one per cooperative (""), per project (the
budget), per client (receivables) or per payee (payouts payable: one sub-account per membership).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from smartprod.core.registry import Registry


@dataclass(frozen=True)
class AccountType:
    key: str  # stored in Account.type, at most 30 characters
    code: str  # the chart-of-accounts number; sub-accounts append "-<id>"
    name: Any  # a (lazy) translatable label
    per: str = ""  # "", "project", "client" or "payee"


account_types: Registry[AccountType] = Registry("ledger account types")

for _type in (
    AccountType("bank", "1000", _("Bank")),
    AccountType("receivable", "1400", _("Receivables"), per="client"),
    AccountType("input_vat", "2500", _("Input VAT (reclaimable)")),
    AccountType("guarantee_fund", "2900", _("Guarantee fund (defaults)")),
    AccountType("payouts_payable", "3300", _("Payouts payable"), per="payee"),
    AccountType("vat_payable", "3500", _("VAT payable")),
    AccountType("wage_tax_payable", "3540", _("Wage tax payable")),
    AccountType("social_insurance_payable", "3600", _("Social insurance payable")),
    AccountType("contribution_income", "4000", _("Contribution income")),
    AccountType("dunning_income", "4800", _("Dunning fees and interest")),
    AccountType("project_budget", "9000", _("Project budget"), per="project"),
):
    account_types.register(_type)


def account_type(key: str) -> AccountType:
    """The registered type `key`; an unknown key is a programming error (the app forgot to register it)."""
    for registered in account_types:
        if registered.key == key:
            return registered
    raise LookupError(f"Account type {key!r} is not registered (projects.account_types).")


def account_type_choices() -> list[tuple[str, Any]]:
    """`Account.type`'s choices, read when asked: every type registered by then."""
    return [(registered.key, registered.name) for registered in account_types]
