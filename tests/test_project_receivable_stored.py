"""The stored receivable of a project (issue 12, budget at scale): kept by the database, always the sum of the
project's lines on receivable accounts.

`ProjectReceivable` is written by a trigger on journal lines only (migration projects 0018); the budget
reads it instead of summing the project's receivable lines, so its cost does not grow with the invoices
and payments of the project.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from projects.budget import project_budget
from projects.ledger import Posting, account_get, journal_post, journal_reverse
from projects.models import Account, JournalEntry, JournalLine, Project, ProjectReceivable
from tests.factories import CooperativeFactory, MembershipFactory
from tests.ledger_bulk import second_waits_for_first
from tests.projects_helpers import make_client, make_project


def _lines_sum(project: Project) -> Decimal:
    lines = JournalLine.objects.for_cooperative(project.cooperative_id).filter(
        project=project, account__type=Account.Type.RECEIVABLE
    )
    total = lines.aggregate(s=Sum(F("debit") - F("credit")))["s"]
    return total or Decimal("0.00")


def _stored(project: Project) -> Decimal:
    row = ProjectReceivable.objects.for_cooperative(project.cooperative_id).filter(project=project).first()
    return row.receivable if row is not None else Decimal("0.00")


# (client index, project index or 3 for a line without project, signed cents: positive debits the receivable)
posting = st.tuples(st.integers(0, 1), st.integers(0, 3), st.integers(-500_000, 1_000_000).filter(bool))
operation = st.one_of(
    st.tuples(st.just("post"), st.lists(posting, min_size=1, max_size=4)),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
)


class StoredReceivablePropertyTest(TestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operation, min_size=1, max_size=8))
    def test_stored_receivable_equals_the_sum_of_lines_after_random_postings(self, operations):
        coop = CooperativeFactory()
        owner = MembershipFactory(cooperative=coop)
        projects = [make_project(coop, owner) for _ in range(3)]
        clients = [make_client(coop, owner) for _ in range(2)]
        receivables = [
            account_get(cooperative=coop, type=Account.Type.RECEIVABLE, client=client) for client in clients
        ]
        bank = account_get(cooperative=coop, type=Account.Type.BANK)
        entries: list[JournalEntry] = []
        for number, (kind, payload) in enumerate(operations):
            if kind == "post":
                # One entry may touch several projects' receivables (and one twice), or none; the bank
                # balances it.
                postings = [
                    Posting(
                        receivables[client],
                        debit=Decimal(cents) / 100 if cents > 0 else Decimal(0),
                        credit=Decimal(-cents) / 100 if cents < 0 else Decimal(0),
                        project=projects[index] if index < 3 else None,
                    )
                    for client, index, cents in payload
                ]
                net = sum((p.debit - p.credit for p in postings), Decimal(0))
                if net:
                    postings.append(Posting(bank, credit=net) if net > 0 else Posting(bank, debit=-net))
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
            for project in projects:
                lines = _lines_sum(project)
                assert _stored(project) == lines
                assert project_budget(cooperative=coop, project=project).receivable == lines


@pytest.mark.django_db
def test_the_receivable_cannot_be_written_except_by_posting():
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    project, other = make_project(coop, owner), make_project(coop, owner)
    receivable = account_get(cooperative=coop, type=Account.Type.RECEIVABLE, client=make_client(coop, owner))
    bank = account_get(cooperative=coop, type=Account.Type.BANK)
    journal_post(
        cooperative=coop,
        idempotency_key="invoice",
        date=date(2026, 1, 1),
        description="invoice",
        postings=[
            Posting(receivable, debit=Decimal("120.00"), project=project),
            Posting(bank, credit=Decimal("120.00")),
        ],
    )
    assert _stored(project) == Decimal("120.00")
    row = ProjectReceivable.objects.for_cooperative(coop).filter(project=project)
    for write in (lambda: row.update(receivable=Decimal("0.00")), lambda: row.delete()):
        with pytest.raises(IntegrityError, match="kept by the ledger"), transaction.atomic():
            write()
    with pytest.raises(IntegrityError, match="kept by the ledger"), transaction.atomic():
        ProjectReceivable.objects.create(cooperative=coop, project=other, receivable=Decimal("5.00"))
    assert _stored(project) == Decimal("120.00") and _stored(other) == Decimal("0.00")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_postings_on_one_projects_receivable_both_count():
    """The first transaction posts and holds its commit; the second posts meanwhile (it waits for the
    receivable's row), then both commit: the stored receivable is the sum of both, equal to the lines."""
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    project = make_project(coop, owner)
    receivable = account_get(cooperative=coop, type=Account.Type.RECEIVABLE, client=make_client(coop, owner))
    bank = account_get(cooperative=coop, type=Account.Type.BANK)

    def post(key: str, amount: str) -> None:
        journal_post(
            cooperative=coop,
            idempotency_key=key,
            date=date(2026, 1, 2),
            description=key,
            postings=[
                Posting(receivable, debit=Decimal(amount), project=project),
                Posting(bank, credit=Decimal(amount)),
            ],
        )

    post("opening", "100.00")
    waited = second_waits_for_first(lambda: post("first", "10.25"), lambda: post("second", "0.50"))
    assert waited >= 0.4  # it could post only after the first committed
    assert _stored(project) == _lines_sum(project) == Decimal("110.75")
    assert project_budget(cooperative=coop, project=project).receivable == Decimal("110.75")
