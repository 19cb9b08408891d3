"""The stored budget balance (issue 12, budget at scale): kept by the database, always the sum of the lines.

`BudgetBalance` is written by a trigger on journal lines only; the budget reads it instead of summing every
line, so a project with many lines answers in the same single query and reads only one page of lines.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from projects.budget import (
    _budget_statement,
    contribution_rates,
    pending_payouts,
    project_budget,
    settled_invoices,
)
from projects.ledger import Posting, account_get, journal_post, journal_reverse
from projects.models import Account, BudgetBalance, JournalEntry, JournalLine
from smartprod.core.rls import owner_connection, tenant_scope
from tests.factories import CooperativeFactory, MembershipFactory
from tests.ledger_bulk import bulk_budget_lines, expected_balances, second_waits_for_first
from tests.projects_helpers import approved_project, make_project


def _lines_sum(account: Account) -> Decimal:
    lines = JournalLine.objects.for_cooperative(account.cooperative_id).filter(account=account)
    total = lines.aggregate(s=Sum(F("credit") - F("debit")))["s"]
    return total or Decimal("0.00")


def _stored(account: Account) -> Decimal | None:
    row = BudgetBalance.objects.for_cooperative(account.cooperative_id).filter(account=account).first()
    return row.balance if row is not None else None


# (project index, signed cents: positive credits the budget, negative debits it)
posting = st.tuples(st.integers(0, 2), st.integers(-500_000, 1_000_000).filter(bool))
operation = st.one_of(
    st.tuples(st.just("post"), st.lists(posting, min_size=1, max_size=3)),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
)


class StoredBalancePropertyTest(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operation, min_size=1, max_size=8))
    def test_stored_balance_equals_the_sum_of_lines_after_random_postings(self, operations):
        coop = CooperativeFactory()
        owner = MembershipFactory(cooperative=coop)
        projects = [make_project(coop, owner) for _ in range(3)]
        budgets = [
            account_get(cooperative=coop, type=Account.Type.PROJECT_BUDGET, project=p) for p in projects
        ]
        bank = account_get(cooperative=coop, type=Account.Type.BANK)
        entries: list[JournalEntry] = []
        for number, (kind, payload) in enumerate(operations):
            if kind == "post":
                # One entry may touch several budgets (and the same one twice); the bank balances it.
                postings = [
                    Posting(budgets[i], credit=Decimal(c) / 100)
                    if c > 0
                    else Posting(budgets[i], debit=Decimal(-c) / 100)
                    for i, c in payload
                ]
                net = sum((p.debit - p.credit for p in postings), Decimal(0))
                if net:
                    postings.append(Posting(bank, debit=-net) if net < 0 else Posting(bank, credit=net))
                if len(postings) < 2:
                    continue
                entry, _ = journal_post(
                    cooperative=coop,
                    idempotency_key=f"op-{number}",
                    date=date(2026, 1, 1 + number),
                    description="x",
                    postings=postings,
                )
                entries.append(entry)
            elif entries and payload < len(entries) and entries[payload].reverses_id is None:
                original = entries[payload]
                if not JournalEntry.objects.for_cooperative(coop).filter(reverses=original).exists():
                    entries.append(
                        journal_reverse(cooperative=coop, entry=original, date=date(2026, 2, 1), reason="t")
                    )
            for project, budget in zip(projects, budgets, strict=True):
                stored = _stored(budget)
                lines = _lines_sum(budget)
                assert (stored if stored is not None else Decimal("0.00")) == lines
                assert project_budget(cooperative=coop, project=project).balance == lines
        assert not BudgetBalance.objects.for_cooperative(coop).filter(account=bank).exists()  # budgets only


@pytest.mark.django_db
def test_the_balance_cannot_be_written_except_by_posting():
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    project = make_project(coop, owner)
    bulk_budget_lines(coop, project, 5)
    budget = Account.objects.for_cooperative(coop).get(project=project)
    assert _stored(budget) == expected_balances(5)[-1]
    row = BudgetBalance.objects.for_cooperative(coop).filter(account=budget)
    for write in (lambda: row.update(balance=Decimal("1000000.00")), lambda: row.delete()):
        with pytest.raises(IntegrityError, match="kept by the ledger"), transaction.atomic():
            write()
    other = make_project(coop, owner)
    other_budget = account_get(cooperative=coop, type=Account.Type.PROJECT_BUDGET, project=other)
    with pytest.raises(IntegrityError, match="kept by the ledger"), transaction.atomic():
        BudgetBalance.objects.create(
            cooperative=coop, account=other_budget, project=other, balance=Decimal("5.00")
        )
    assert _stored(budget) == expected_balances(5)[-1]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_postings_to_one_budget_both_count():
    """The first transaction posts and holds its commit; the second posts meanwhile (it waits for the
    balance row), then both commit: the stored balance is the sum of both, equal to the lines."""
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    project = make_project(coop, owner)
    budget = account_get(cooperative=coop, type=Account.Type.PROJECT_BUDGET, project=project)
    bank = account_get(cooperative=coop, type=Account.Type.BANK)
    journal_post(
        cooperative=coop,
        idempotency_key="opening",
        date=date(2026, 1, 1),
        description="opening",
        postings=[Posting(bank, debit=Decimal("100.00")), Posting(budget, credit=Decimal("100.00"))],
    )

    def post(key: str, amount: str) -> None:
        journal_post(
            cooperative=coop,
            idempotency_key=key,
            date=date(2026, 1, 2),
            description=key,
            postings=[Posting(bank, debit=Decimal(amount)), Posting(budget, credit=Decimal(amount))],
        )

    waited = second_waits_for_first(lambda: post("first", "10.25"), lambda: post("second", "0.50"))
    assert waited >= 0.4  # it could post only after the first committed
    assert _stored(budget) == _lines_sum(budget) == Decimal("110.75")
    assert project_budget(cooperative=coop, project=project).balance == Decimal("110.75")


def _journal_rows_read(sql: str) -> int:
    """Rows PostgreSQL actually read from the journal lines for one statement (EXPLAIN ANALYZE)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def walk(node: dict[str, Any]) -> int:
        own = 0
        if node.get("Relation Name") == "projects_journalline":
            own = node["Actual Rows"] * node.get("Actual Loops", 1)
        return own + sum(walk(child) for child in node.get("Plans", []))

    return walk(plan[0]["Plan"])


@pytest.mark.django_db(transaction=True)  # committed lines, so the owner's ANALYZE sees them
def test_budget_reads_one_page_of_lines_and_one_query_whatever_the_count():
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    small, large = approved_project(coop, owner, advisor), approved_project(coop, owner, advisor)
    bulk_budget_lines(coop, small, 10)
    bulk_budget_lines(coop, large, 20_000)
    # As autovacuum would: ANALYZE as the tables' owner. The app role owns nothing, and PostgreSQL skips its
    # ANALYZE with only a warning — the table then has no statistics (reltuples -1), the planner guesses one
    # row for the account and sorts all of them: that, not the row-level-security policy, was the bitmap
    # scan and sort recorded here before.
    with owner_connection(), connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_journalline")
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'projects_journalline'")
        assert cursor.fetchone()[0] >= 2 * 20_000
    read: dict[int, int] = {}
    for project, count in ((small, 10), (large, 20_000)):
        # As a request reads it: in the cooperative's row-level-security scope (the policy is in the plan).
        with tenant_scope(coop):
            with CaptureQueriesContext(connection) as ctx:
                budget = project_budget(cooperative=coop, project=project)
            assert len(ctx.captured_queries) == 1
            assert budget.balance == budget.lines[-1].balance == expected_balances(count)[-1]
            assert [line.balance for line in budget.lines] == expected_balances(count)[-100:]
            read[count] = _journal_rows_read(ctx.captured_queries[0]["sql"])
    # The balance is one stored row, not a sum over the account's lines: each project reads its page only,
    # along the (account, date, entry, id) index backwards, stopping after the page and the one after it —
    # under row-level security too (its policy's comparison `cooperative_id = …` is leakproof, so the
    # account's index condition runs below it). Measured: 11 and 101 (+ 1 spare for another node's row).
    assert read[10] <= 10 + 1, read
    assert read[20_000] <= 100 + 1 + 1, read
    # A prepared statement is planned once for all calls (smartprod.core.rows.PLAN_ONCE: PostgreSQL kept
    # making a custom plan per call, 0.9 ms each). The statement's constants (the receivable account type,
    # the statuses) are literals in it, so that one plan still reads the small project's lines only; with
    # the type as a parameter it guessed dozens of receivable accounts and read every line of the table.
    sources = (len(pending_payouts), len(contribution_rates), len(settled_invoices))
    statement = _budget_statement(False, sources, False)  # as project_budget asks for it (the cache key)
    arguments = {"cooperative": coop.pk, "project": small.pk, "membership": None, "limit": 101, "offset": 0}
    with tenant_scope(coop), connection.cursor() as cursor:
        project_budget(cooperative=coop, project=small)  # prepared on this connection
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"
        explained = cursor.mogrify(statement.execute_sql, [arguments[name] for name in statement.arguments])
        cursor.execute("EXPLAIN " + explained)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "$" in plan and f"= '{small.pk}'" not in plan  # the generic plan: the id is a parameter
        assert _journal_rows_read(explained) <= 10 + 1
