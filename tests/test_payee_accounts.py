"""Payouts payable per payee, account types registered as data, and the move of the pooled balance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext_lazy as _

from projects import services
from projects.account_types import AccountType, account_type_choices, account_types
from projects.budget import project_budget
from projects.ledger import Posting, account_balance, account_get, journal_post
from projects.models import Account, Expense, JournalEntry, JournalLine
from smartprod.core.errors import ApplicationError
from tests.factories import CooperativeFactory, MembershipFactory
from tests.projects_helpers import approved_project, fund, png_upload


def _claim(coop, who, project, amount, description="Taxi"):
    return services.expense_submit(
        cooperative=coop,
        actor=who,
        project=project,
        amount=Decimal(amount),
        vat_amount=Decimal("0.00"),
        date=date(2026, 5, 2),
        description=description,
        receipt_upload=png_upload(),
    )


def _people():
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    collaborator = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    project = approved_project(coop, owner, advisor)
    project.collaborations.create(cooperative=coop, membership=collaborator, employment="self_employed")
    fund(coop, project, "1000.00")
    return coop, owner, collaborator, advisor, project


def _payable(coop, payee=None):
    return account_balance(
        cooperative=coop,
        account=account_get(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE, payee=payee),
    )


@pytest.mark.django_db
def test_approved_expenses_are_owed_to_each_payee_on_their_own_account():
    coop, owner, collaborator, advisor, project = _people()
    for who, amount in ((owner, "119.99"), (collaborator, "50.00"), (owner, "10.01")):
        services.expense_approve(cooperative=coop, actor=advisor, expense=_claim(coop, who, project, amount))
    # Credit-normal: a negative balance is what the cooperative owes.
    assert _payable(coop, owner) == Decimal("-130.00")
    assert _payable(coop, collaborator) == Decimal("-50.00")
    assert _payable(coop) == Decimal("0.00")
    account = account_get(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE, payee=owner)
    assert (account.code, account.payee_id, account.type) == (f"3300-{owner.pk}", owner.pk, "payouts_payable")
    person = f"{owner.user.first_name} {owner.user.last_name}".strip() or owner.user.email
    assert account.name == f"Payouts payable: {person}"
    assert project_budget(cooperative=coop, project=project).balance == Decimal("745.00")


@pytest.mark.django_db
def test_another_cooperatives_payee_gets_no_account(coop, other_coop):
    stranger = MembershipFactory(cooperative=other_coop)
    with pytest.raises(type(stranger).DoesNotExist):
        account_get(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE, payee=stranger)
    with pytest.raises(ApplicationError):
        account_get(cooperative=coop, type=Account.Type.BANK, payee=MembershipFactory(cooperative=coop))


@pytest.mark.django_db
def test_an_app_adds_an_account_type_without_a_change_in_projects(coop, monkeypatch):
    levies = AccountType("employer_levies_payable", "3610", _("Employer levies payable"))
    monkeypatch.setattr(account_types, "_items", [*account_types._items])  # registered for this test only
    account_types.register(levies)
    account = account_get(cooperative=coop, type="employer_levies_payable")
    bank = account_get(cooperative=coop, type=Account.Type.BANK)
    journal_post(
        cooperative=coop,
        idempotency_key="levies:2026-05",
        date=date(2026, 5, 31),
        description="DB, DZ, Kommunalsteuer May",
        postings=[Posting(account, debit=Decimal("321.45")), Posting(bank, credit=Decimal("321.45"))],
    )
    assert (account.code, account.name) == ("3610", "Employer levies payable")
    assert account_balance(cooperative=coop, account=account) == Decimal("321.45")
    assert ("employer_levies_payable", levies.name) in account_type_choices()
    account.full_clean()  # the model accepts the registered type: its choices are read when asked
    # The column's choices are a callable in the migration state, so a new type needs no migration.
    assert Account._meta.get_field("type").deconstruct()[3]["choices"] is account_type_choices
    with pytest.raises(LookupError):
        account_get(cooperative=coop, type="input_vat_unregistered")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _approve_the_old_way(coop, advisor, expense):
    """What expense_approve posted before issue 7: budget → the one pooled payouts-payable account."""
    entry, _created = journal_post(
        cooperative=coop,
        idempotency_key=f"expense:{expense.pk}:approved",
        date=date(2026, 5, 3),
        description=f"Expense: {expense.description}",
        postings=[
            Posting(
                account_get(cooperative=coop, type=Account.Type.PROJECT_BUDGET, project=expense.project),
                debit=expense.amount,
                kind="expense",
                event="expense",
                reference=expense.description,
            ),
            Posting(
                account_get(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE),
                credit=expense.amount,
                kind="expense",
                project=expense.project,
                event="expense",
                reference=expense.description,
            ),
        ],
    )
    Expense.objects.for_cooperative(coop).filter(pk=expense.pk).update(
        status="approved", journal_entry=entry, decided_by=advisor.user
    )


@pytest.mark.django_db(transaction=True)
def test_migration_moves_the_pooled_balance_onto_the_payees_by_new_entries(as_owner):
    coop, owner, collaborator, advisor, project = _people()
    _approve_the_old_way(coop, advisor, _claim(coop, owner, project, "119.99", "Taxi"))
    _approve_the_old_way(coop, advisor, _claim(coop, collaborator, project, "50.00", "Train"))
    _claim(coop, owner, project, "5.00", "Still pending")  # not approved: nothing owed yet
    pooled = account_get(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE)
    before = list(
        JournalLine.objects.for_cooperative(coop)
        .order_by("id")
        .values_list("id", "account_id", "debit", "credit")
    )
    assert account_balance(cooperative=coop, account=pooled) == Decimal("-169.99")
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        _migrate([("projects", "0007_country_choices")])
        _migrate(leaves)
        _migrate([("projects", "0007_country_choices")])
        _migrate(leaves)  # applied twice (e.g. after a rollback): moved once, by the idempotency keys
    finally:
        _migrate(leaves)

    assert account_balance(cooperative=coop, account=pooled) == Decimal("0.00")
    assert _payable(coop, owner) == Decimal("-119.99")
    assert _payable(coop, collaborator) == Decimal("-50.00")
    assert project_budget(cooperative=coop, project=project).balance == Decimal("755.01")
    # Posted rows untouched; two new balanced entries, one per approved expense.
    after = list(
        JournalLine.objects.for_cooperative(coop)
        .order_by("id")
        .values_list("id", "account_id", "debit", "credit")
    )
    assert after[: len(before)] == before
    moves = JournalEntry.objects.for_cooperative(coop).filter(idempotency_key__startswith="payee-account:")
    assert moves.count() == 2
    for entry in moves:
        lines = list(entry.lines.all())
        assert sum(ln.debit for ln in lines) == sum(ln.credit for ln in lines)
        assert [ln.account_id for ln in lines if ln.debit] == [pooled.pk]
