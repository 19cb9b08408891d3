"""The payroll run opens its employees' payouts-payable sub-accounts in one INSERT … SELECT
(`projects.ledger.payee_accounts`): the same code, name and type as `account_get` opens one by one."""

from __future__ import annotations

import pytest

from projects.ledger import account_get, payee_accounts
from projects.models import Account
from tests.factories import CooperativeFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_bulk_opened_accounts_match_the_one_by_one_ones():
    coop = CooperativeFactory()
    named = MembershipFactory(cooperative=coop)
    padded = MembershipFactory(cooperative=coop)
    padded.user.first_name, padded.user.last_name = "  Anna ", " Weiß  "
    padded.user.save()
    nameless = MembershipFactory(cooperative=coop)
    nameless.user.first_name = nameless.user.last_name = ""
    nameless.user.save()
    existing = account_get(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE, payee=named)
    payees = [named, padded, nameless]
    bulk = payee_accounts(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE, payees=payees)
    assert bulk[named.pk].pk == existing.pk  # found, not opened twice
    for person in (padded, nameless):
        account = bulk[person.pk]
        expected = f"{person.user.first_name} {person.user.last_name}".strip() or person.user.email
        assert (account.type, account.code, account.name, account.payee_id, account.cooperative_id) == (
            "payouts_payable",
            f"3300-{person.pk}",
            f"Payouts payable: {expected}",
            person.pk,
            coop.pk,
        )
    assert bulk[padded.pk].name == "Payouts payable: Anna   Weiß"
    assert bulk[nameless.pk].name == f"Payouts payable: {nameless.user.email}"
    # Twice: nothing new.
    again = payee_accounts(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE, payees=[padded, nameless])
    assert {a.pk for a in again.values()} == {bulk[padded.pk].pk, bulk[nameless.pk].pk}
    assert Account.objects.for_cooperative(coop).filter(type="payouts_payable").count() == 3
