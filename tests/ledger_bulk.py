"""Many budget lines fast (tests and `make bench`): bulk_create of balanced journal entries.

Each entry has two lines, the project's budget and the bank, debit = credit, so the ledger's deferred
trigger (balanced, one cooperative) passes at commit. Amounts cycle through credits and debits with
cents and several entries share a date, so running balances and the (date, entry, id) order are tested.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction

from projects.ledger import account_get, lines_hash
from projects.models import Account, JournalEntry, JournalLine, Project
from smartprod.tenancy.models import Cooperative

BATCH = 5_000


def line_amount(i: int) -> Decimal:
    """Positive: into the budget. Three credits then a smaller debit, with cents."""
    cents = 1 + (i * 7919) % 100_000
    return Decimal(cents if i % 4 else -(cents // 3 + 1)) / 100


def bulk_budget_lines(cooperative: Cooperative, project: Project, count: int, *, key: str = "bulk") -> None:
    budget = account_get(cooperative=cooperative, type=Account.Type.PROJECT_BUDGET, project=project)
    bank = account_get(cooperative=cooperative, type=Account.Type.BANK)
    for first in range(0, count, BATCH):
        with transaction.atomic():  # entries and their lines commit together: the deferred trigger
            _batch(cooperative, project, budget, bank, range(first, min(first + BATCH, count)), key)


def _batch(
    cooperative: Cooperative, project: Project, budget: Account, bank: Account, numbers: range, key: str
) -> None:
    start = date(2020, 1, 1)
    amounts = [line_amount(i) for i in numbers]
    days = [start + timedelta(days=i // 3) for i in numbers]  # three entries a day
    entries = JournalEntry.objects.bulk_create(
        JournalEntry(
            cooperative=cooperative,
            idempotency_key=f"{key}:{project.pk}:{i}",
            lines_hash=lines_hash(
                [
                    (budget.pk, max(-a, Decimal(0)), max(a, Decimal(0))),
                    (bank.pk, max(a, Decimal(0)), max(-a, Decimal(0))),
                ]
            ),
            date=day,
            description="Bulk",
        )
        for i, a, day in zip(numbers, amounts, days, strict=True)
    )
    lines: list[JournalLine] = []
    for entry, a in zip(entries, amounts, strict=True):
        credit, debit = max(a, Decimal(0)), max(-a, Decimal(0))
        kind = JournalLine.Kind.INCOME if a > 0 else JournalLine.Kind.EXPENSE
        lines.append(
            JournalLine(
                cooperative=cooperative,
                entry=entry,
                account=budget,
                project=project,
                credit=credit,
                debit=debit,
                kind=kind,
                description=f"Line {entry.idempotency_key}",
                date=entry.date,
            )
        )
        lines.append(
            JournalLine(
                cooperative=cooperative,
                entry=entry,
                account=bank,
                credit=debit,
                debit=credit,
                kind=kind,
                description="Bank",
                date=entry.date,
            )
        )
    JournalLine.objects.bulk_create(lines)


def expected_balances(count: int) -> list[Decimal]:
    """The running balance after each bulk line, oldest first (the bulk lines only)."""
    total, out = Decimal("0.00"), []
    for i in range(count):
        total += line_amount(i)
        out.append(total)
    return out


def second_waits_for_first(first: Callable[[], None], second: Callable[[], None], hold: float = 0.5) -> float:
    """Runs `first` in a transaction held open `hold` seconds after it, and `second` in a transaction of its
    own started meanwhile, each in a thread with its own connection; both commit. Returns how long the
    second's transaction took (≥ `hold` when it had to wait for the first's commit); fails on any error."""
    first_done, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    waited: list[float] = []

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                first_done.set()
                second_started.wait(10)
                threading.Event().wait(hold)  # the second is blocked meanwhile, or not
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def run_second() -> None:
        try:
            first_done.wait(10)
            second_started.set()
            begin = time.monotonic()
            with transaction.atomic():
                second()
            waited.append(time.monotonic() - begin)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert len(waited) == 1
    return waited[0]
