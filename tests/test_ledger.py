"""The ledger: balanced, idempotent, immutable — checked by code and by PostgreSQL itself."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models import Count, F, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from projects.ledger import (
    Posting,
    account_balance,
    account_get,
    journal_post,
    journal_reverse,
    lines_hash,
)
from projects.models import Account, JournalEntry, JournalLine
from smartprod.core.errors import ApplicationError, IdempotencyConflict
from tests.conftest import check_deferred_constraints
from tests.factories import CooperativeFactory

TYPES = [
    Account.Type.BANK,
    Account.Type.VAT_PAYABLE,
    Account.Type.CONTRIBUTION_INCOME,
    Account.Type.GUARANTEE_FUND,
    Account.Type.PAYOUTS_PAYABLE,
    Account.Type.RECEIVABLE,
]

cents = st.integers(min_value=1, max_value=10_000_000)


@st.composite
def balanced_lines(draw: st.DrawFn) -> list[tuple[int, str, int]]:
    """(account index, side, cents): random debits, credits that split the same total at random points."""
    debits = draw(st.lists(cents, min_size=1, max_size=4))
    total = sum(debits)
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, total - 1)), max_size=3)))) if total > 1 else []
    credits = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True) if b > a]
    account = st.integers(0, len(TYPES) - 1)
    return [(draw(account), "d", c) for c in debits] + [(draw(account), "c", c) for c in credits]


operation = st.one_of(
    st.tuples(st.just("post"), st.integers(0, 6), balanced_lines()),
    st.tuples(st.just("reverse"), st.integers(0, 6), st.just([])),
)


class LedgerPropertyTest(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(operation, min_size=1, max_size=10))
    def test_any_postings_and_reversals_keep_the_books_balanced(self, operations):
        coop = CooperativeFactory()
        accounts = [account_get(cooperative=coop, type=t) for t in TYPES]
        posted: dict[int, JournalEntry] = {}
        hashes: dict[int, str] = {}
        for kind, key, lines in operations:
            before = JournalEntry.objects.for_cooperative(coop).count()
            if kind == "post":
                postings = [
                    Posting(accounts[i], debit=Decimal(c) / 100)
                    if side == "d"
                    else Posting(accounts[i], credit=Decimal(c) / 100)
                    for i, side, c in lines
                ]
                digest = lines_hash((p.account.pk, p.debit, p.credit) for p in postings)

                def post(postings: list[Posting] = postings, key: int = key) -> tuple[JournalEntry, bool]:
                    return journal_post(
                        cooperative=coop,
                        idempotency_key=f"event-{key}",
                        date=date(2026, 1, 1),
                        description="x",
                        postings=postings,
                    )

                if key in hashes and hashes[key] != digest:
                    # A repeated key with other lines is refused, and posts nothing.
                    with pytest.raises(IdempotencyConflict):
                        post()
                    assert JournalEntry.objects.for_cooperative(coop).count() == before
                    continue
                entry, created = post()
                # A repeated key with the same lines posts nothing new and answers the first entry.
                assert created == (key not in posted)
                assert JournalEntry.objects.for_cooperative(coop).count() == before + int(created)
                assert entry == posted.setdefault(key, entry)
                assert entry.lines_hash == hashes.setdefault(key, digest)
            elif key in posted and posted[key].reverses_id is None:
                original = posted[key]
                if JournalEntry.objects.for_cooperative(coop).filter(reverses=original).exists():
                    continue
                reversal = journal_reverse(
                    cooperative=coop, entry=original, date=date(2026, 1, 2), reason="t"
                )
                assert reversal.reverses_id == original.pk
            self._assert_books_balanced(coop)

    def _assert_books_balanced(self, coop):
        per_entry = (
            JournalLine.objects.for_cooperative(coop)
            .values("entry")
            .annotate(d=Sum("debit"), c=Sum("credit"), n=Count("id"))
        )
        for row in per_entry:
            assert row["d"] == row["c"], row
            assert row["n"] >= 2
        totals = JournalLine.objects.for_cooperative(coop).aggregate(s=Sum(F("debit") - F("credit")))
        assert (totals["s"] or Decimal(0)) == Decimal(0)
        assert sum(
            (account_balance(cooperative=coop, account=a) for a in Account.objects.for_cooperative(coop)),
            Decimal(0),
        ) == Decimal(0)


@pytest.fixture
def books(db):
    coop = CooperativeFactory()
    bank = account_get(cooperative=coop, type=Account.Type.BANK)
    payable = account_get(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE)
    entry, _ = journal_post(
        cooperative=coop,
        idempotency_key="e1",
        date=date(2026, 1, 1),
        description="pay",
        postings=[Posting(payable, debit=Decimal("10.00")), Posting(bank, credit=Decimal("10.00"))],
    )
    return coop, entry, bank, payable


def test_unbalanced_entry_refused_and_nothing_stored(books):
    coop, _entry, bank, payable = books
    with pytest.raises(ApplicationError, match="not balanced"):
        journal_post(
            cooperative=coop,
            idempotency_key="bad",
            date=date(2026, 1, 1),
            description="x",
            postings=[Posting(payable, debit=Decimal("10.00")), Posting(bank, credit=Decimal("9.99"))],
        )
    assert not JournalEntry.objects.for_cooperative(coop).filter(idempotency_key="bad").exists()


def test_line_with_both_or_no_side_refused(books):
    coop, _entry, bank, payable = books
    with pytest.raises(ApplicationError):
        journal_post(
            cooperative=coop,
            idempotency_key="x",
            date=date(2026, 1, 1),
            description="x",
            postings=[Posting(payable, debit=Decimal("1"), credit=Decimal("1")), Posting(bank)],
        )
    with pytest.raises(ApplicationError):
        journal_post(
            cooperative=coop,
            idempotency_key="y",
            date=date(2026, 1, 1),
            description="x",
            postings=[Posting(payable, debit=Decimal("-1")), Posting(bank, credit=Decimal("-1"))],
        )


def test_account_of_other_cooperative_refused(books):
    coop, _entry, bank, _payable = books
    foreign = account_get(cooperative=CooperativeFactory(), type=Account.Type.BANK)
    with pytest.raises(Account.DoesNotExist):
        journal_post(
            cooperative=coop,
            idempotency_key="z",
            date=date(2026, 1, 1),
            description="x",
            postings=[Posting(foreign, debit=Decimal("1")), Posting(bank, credit=Decimal("1"))],
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE projects_journalline SET debit = debit + 1",
        "DELETE FROM projects_journalline",
        "UPDATE projects_journalentry SET description = 'changed'",
        "DELETE FROM projects_journalentry",
    ],
)
def test_raw_sql_cannot_change_posted_rows(books, statement):
    # The app role has no UPDATE/DELETE privilege on the ledger (README "Security"); the owner meets the
    # trigger.
    with (
        pytest.raises(ProgrammingError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_orm_update_delete_and_save_of_posted_lines_refused(books):
    coop, entry, _bank, _payable = books
    lines = JournalLine.objects.for_cooperative(coop).filter(entry=entry)
    refused = (IntegrityError, ProgrammingError)  # the missing privilege, else the trigger
    with pytest.raises(refused), transaction.atomic():
        lines.update(credit=F("credit") + 1)
    with pytest.raises(refused), transaction.atomic():
        lines.delete()
    line = lines.first()
    line.description = "edited"
    with pytest.raises(refused), transaction.atomic():
        line.save()
    with pytest.raises(refused), transaction.atomic():
        entry.delete()
    assert lines.aggregate(s=Sum("debit"))["s"] == Decimal("10.00")


def test_database_refuses_unbalanced_lines_at_commit(books):
    """Even code that bypasses journal_post cannot commit an unbalanced entry."""
    coop, _entry, bank, _payable = books
    with pytest.raises(IntegrityError, match="not balanced"), transaction.atomic():
        entry = JournalEntry.objects.create(
            cooperative=coop, idempotency_key="sneaky", date=date(2026, 1, 1), description="x"
        )
        JournalLine.objects.create(
            cooperative=coop, entry=entry, account=bank, debit=Decimal("5"), date=date(2026, 1, 1)
        )
        JournalLine.objects.create(
            cooperative=coop, entry=entry, account=bank, credit=Decimal("4"), date=date(2026, 1, 1)
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_reversal_mirrors_and_cannot_repeat(books):
    coop, entry, bank, payable = books
    reversal = journal_reverse(cooperative=coop, entry=entry, date=date(2026, 1, 5), reason="typo")
    assert account_balance(cooperative=coop, account=bank) == Decimal("0.00")
    assert account_balance(cooperative=coop, account=payable) == Decimal("0.00")
    assert journal_reverse(cooperative=coop, entry=entry, date=date(2026, 1, 6), reason="again") == reversal
    with pytest.raises(ApplicationError):
        journal_reverse(cooperative=coop, entry=reversal, date=date(2026, 1, 6), reason="x")


@pytest.mark.django_db(transaction=True)
def test_same_event_posted_concurrently_posts_once():
    coop = CooperativeFactory()
    bank = account_get(cooperative=coop, type=Account.Type.BANK)
    payable = account_get(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE)
    barrier = threading.Barrier(4)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                entry, created = journal_post(
                    cooperative=coop,
                    idempotency_key="payout:42",
                    date=date(2026, 1, 1),
                    description="race",
                    postings=[
                        Posting(payable, debit=Decimal("100.00")),
                        Posting(bank, credit=Decimal("100.00")),
                    ],
                )
            results.append((entry.pk, created))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert account_balance(cooperative=coop, account=bank) == Decimal("-100.00")


def _pay(coop, bank, payable, *amounts: tuple[str, str], key: str = "e1"):
    """Post under `key`: (debit on payable, credit on bank) pairs of amounts."""
    postings = []
    for debit, credit in amounts:
        postings += [Posting(payable, debit=Decimal(debit)), Posting(bank, credit=Decimal(credit))]
    return journal_post(
        cooperative=coop, idempotency_key=key, date=date(2026, 1, 1), description="pay", postings=postings
    )


def test_replay_with_the_same_lines_returns_the_earlier_entry(books):
    coop, entry, bank, payable = books
    # Same accounts, sides and amounts, in another order and with other descriptions: the same event.
    again, created = journal_post(
        cooperative=coop,
        idempotency_key="e1",
        date=date(2026, 2, 1),
        description="retried",
        postings=[Posting(bank, credit=Decimal("10")), Posting(payable, debit=Decimal("10.00"), kind="fee")],
    )
    assert (again, created) == (entry, False)
    assert entry.lines_hash == lines_hash(
        [(payable.pk, Decimal("10.00"), Decimal(0)), (bank.pk, Decimal(0), Decimal(10))]
    )
    assert JournalEntry.objects.for_cooperative(coop).count() == 1


@pytest.mark.parametrize(
    "amounts",
    [
        [("10.01", "10.01")],  # another amount
        [("5.00", "5.00"), ("5.00", "5.00")],  # the same total, split
    ],
)
def test_replay_with_other_lines_is_a_conflict_not_the_earlier_entry(books, amounts):
    coop, entry, bank, payable = books
    with pytest.raises(IdempotencyConflict, match="posted before with other lines") as refused:
        _pay(coop, bank, payable, *amounts)
    assert refused.value.conflict is True
    assert refused.value.details == {"idempotency_key": "e1", "entry": entry.pk}
    assert JournalEntry.objects.for_cooperative(coop).count() == 1
    assert account_balance(cooperative=coop, account=bank) == Decimal("-10.00")


def test_replay_with_the_sides_swapped_is_a_conflict(books):
    coop, _entry, bank, payable = books
    with pytest.raises(IdempotencyConflict):
        journal_post(
            cooperative=coop,
            idempotency_key="e1",
            date=date(2026, 1, 1),
            description="pay",
            postings=[Posting(payable, credit=Decimal("10.00")), Posting(bank, debit=Decimal("10.00"))],
        )


@pytest.mark.parametrize("amount", ["10.005", "0.001", "3.333333"])
def test_amounts_not_rounded_to_the_cent_are_refused_not_rounded(books, amount):
    coop, _entry, bank, payable = books
    with pytest.raises(ApplicationError, match="rounded to the cent") as refused:
        _pay(coop, bank, payable, (amount, amount), key="unrounded")
    assert refused.value.details["amount"] == amount
    assert not JournalEntry.objects.for_cooperative(coop).filter(idempotency_key="unrounded").exists()


def test_whole_cents_in_any_notation_are_posted(books):
    coop, _entry, bank, payable = books
    entry, created = _pay(coop, bank, payable, ("7", "7.0"), ("0.50", "0.500"), key="notation")
    assert created
    lines = JournalLine.objects.for_cooperative(coop).filter(entry=entry)
    assert sorted((ln.debit, ln.credit) for ln in lines) == [
        (Decimal("0.00"), Decimal("0.50")),
        (Decimal("0.00"), Decimal("7.00")),
        (Decimal("0.50"), Decimal("0.00")),
        (Decimal("7.00"), Decimal("0.00")),
    ]


@pytest.mark.django_db(transaction=True)
def test_migration_backfills_the_lines_hash_of_existing_entries(as_owner):
    from django.db.migrations.executor import MigrationExecutor

    coop = CooperativeFactory()
    bank = account_get(cooperative=coop, type=Account.Type.BANK)
    payable = account_get(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE)
    with transaction.atomic():
        first, _ = _pay(coop, bank, payable, ("10.00", "10.00"), key="old-1")
    with transaction.atomic():
        second, _ = _pay(coop, bank, payable, ("1.00", "1.00"), ("2.50", "2.50"), key="old-2")
    expected = {first.pk: first.lines_hash, second.pk: second.lines_hash}

    executor = MigrationExecutor(connection)
    executor.migrate([("projects", "0005_client_reminder_fees_agreed")])  # drops the column
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # adds it again and backfills

    stored = dict(JournalEntry.objects.for_cooperative(coop).values_list("pk", "lines_hash"))
    assert stored == expected
    assert len(set(stored.values())) == 2
    # The backfill switched the immutability trigger off for itself only.
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        JournalEntry.objects.for_cooperative(coop).update(description="changed")


def test_each_db_test_ends_with_the_deferred_ledger_checks(request, books):
    """conftest fires the deferred triggers before the test's rollback; here is what that catches."""
    coop, _entry, bank, _payable = books
    assert "_deferred_constraints_checked" in request.fixturenames  # autouse: wraps every db test
    with pytest.raises(IntegrityError, match="has 1 line"), transaction.atomic():
        entry = JournalEntry.objects.create(
            cooperative=coop, idempotency_key="one-sided", date=date(2026, 1, 1), description="x"
        )
        JournalLine.objects.create(
            cooperative=coop, entry=entry, account=bank, debit=Decimal("5.00"), date=date(2026, 1, 1)
        )
        check_deferred_constraints()  # what the fixture runs at teardown: refused
