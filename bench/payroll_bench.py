"""Benchmark: a payroll run of 10,000 salaries against the floor of posting 10,000 balanced journal entries.

Called by bench/run.py after Django is set up and a (test) database exists. 10,000 employees, each with one
employment and one approved salary of the same month (written in bulk, untimed). Timed:

* the run — `payroll_run_month`: locks, 10,000 payslips computed by `payroll.calc` (year-to-date read in one
  query), 10,000 ledger entries of 5–6 lines through `journal_post_many`, 10,000 payout items and events,
  the employer liabilities (the PDFs are queued after commit and not part of it);
* floor A — the same ledger service posting 10,000 balanced entries of the same shape (one per payslip:
  budget, payee's payouts payable, wage tax, social insurance, levies, accrual) with `journal_post_many`;
* floor B — `journal_post` one entry at a time (1,000 timed, scaled to 10,000), for scale.

ROUNDS rounds, each on a fresh cooperative (a run consumes its salaries and opens its employees'
sub-accounts, so it cannot be repeated on the same data): run and floor A interleaved; medians and the
ratio per round are reported.
"""

from __future__ import annotations

import itertools
import statistics
import time
from datetime import date
from decimal import Decimal
from typing import Any
from unittest import mock

SALARIES = 10_000
_WORLDS = itertools.count()
MONTH = date(2026, 3, 1)


def _world() -> dict[str, Any]:
    from django.utils import timezone

    from members.models import User
    from payroll.models import Employment, Salary
    from smartprod.tenancy.models import Membership
    from tests.factories import CooperativeFactory, MembershipFactory
    from tests.payroll_payslip_helpers import payroll_rules
    from tests.projects_helpers import approved_project

    payroll_rules(MONTH.year)
    world = next(_WORLDS)
    name = f"Payroll Bench Coop {world}"
    coop = CooperativeFactory(name=name, legal_name=f"{name} eGen")
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    finance = MembershipFactory(cooperative=coop, role="finance")
    project = approved_project(coop, owner, advisor)
    users = User.objects.bulk_create(
        [
            User(email=f"employee{n}.{world}@bench.example", first_name="E", last_name=str(n))
            for n in range(SALARIES)
        ],
        batch_size=5000,
    )
    payees = Membership.objects.bulk_create(
        [
            Membership(cooperative=coop, user=user, role="member", status="active", member_number=1000 + n)
            for n, user in enumerate(users)
        ],
        batch_size=5000,
    )
    employments = Employment.objects.bulk_create(
        [
            Employment(
                cooperative=coop,
                project=project,
                payee=payee,
                start=date(2026, 1, 1),
                end=date(2026, 12, 31),
                weekly_hours=Decimal("38.5"),
                occupation="Bench",
                municipality="Wien",
                federal_state="Wien",
                created_by=advisor,
            )
            for payee in payees
        ],
        batch_size=5000,
    )
    now = timezone.now()
    Salary.objects.bulk_create(
        [
            Salary(
                cooperative=coop,
                employment=emp,
                project=project,
                payee=emp.payee,
                month=MONTH,
                gross=Decimal(1500 + n % 4000),
                employee_social_insurance=Decimal(0),
                wage_tax=Decimal(0),
                net=Decimal(1500 + n % 4000),
                employer_cost_total=Decimal(1500 + n % 4000),
                requested_by=emp.payee,
                approved_at=now,
            )
            for n, emp in enumerate(employments)
        ],
        batch_size=5000,
    )
    return {"coop": coop, "finance": finance, "project": project, "payees": payees}


def _floor_drafts(world: dict[str, Any], key: str, ledger: Any, shape: list[Any]) -> list[Any]:
    """Entries of the run's shape: the same accounts, lines and amounts, other keys."""
    from projects.ledger import EntryDraft

    return [
        EntryDraft(idempotency_key=f"{key}:{n}", date=MONTH, description="floor", postings=postings)
        for n, postings in enumerate(shape)
    ]


ROUNDS = 3


def _round(floor_b: bool) -> dict[str, float]:
    """One round on a fresh cooperative: the run, then floor A of exactly its shape (and floor B once)."""
    from django.db import transaction

    from payroll.models import Payslip
    from payroll.services import payroll_runs
    from projects.ledger import journal_post, journal_post_many

    world = _world()
    coop, finance = world["coop"], world["finance"]
    # Warm-up, untimed: the first payday lookup imports the `holidays` package's country tables (~1 s once
    # per process; a worker that has run before has them).
    payroll_runs.payday(coop, MONTH)
    with mock.patch.object(payroll_runs, "queue_on_commit"):  # PDFs are the worker's, after commit
        start = time.perf_counter()
        result = payroll_runs.payroll_run_month(cooperative=coop, actor=finance, month=MONTH)
        run_ms = (time.perf_counter() - start) * 1000
    assert len(result.created) == SALARIES, len(result.created)
    # The floor posts entries of exactly the run's shape (its accounts and amounts) under new keys.
    payslips = list(Payslip.objects.for_cooperative(coop).filter(run=result.run).select_related("project"))
    ledger = payroll_runs._Ledger(coop, world["payees"])
    shape = [payroll_runs.payslip_postings(ledger, p, p.project) for p in payslips]
    drafts = _floor_drafts(world, "floor-many", ledger, shape)
    start = time.perf_counter()
    with transaction.atomic():
        journal_post_many(cooperative=coop, drafts=drafts)
    many_ms = (time.perf_counter() - start) * 1000
    if not floor_b:
        return {"run_ms": run_ms, "many_ms": many_ms}
    # One at a time is far slower than the bulk path: 1,000 entries timed and scaled keep `make bench` short.
    sample = shape[: SALARIES // 10]
    start = time.perf_counter()
    with transaction.atomic():
        for n, postings in enumerate(sample):
            journal_post(
                cooperative=coop,
                idempotency_key=f"floor-one:{n}",
                date=MONTH,
                description="floor",
                postings=postings,
            )
    one_ms = (time.perf_counter() - start) * 1000 * SALARIES / len(sample)
    return {"run_ms": run_ms, "many_ms": many_ms, "one_ms": one_ms}


def bench_payroll_run() -> dict[str, Any]:
    """ROUNDS rounds, each on its own cooperative, run and floor A interleaved (run, floor, run, floor, …):
    the machine is shared, so the medians and the ratio of each round are reported."""
    rounds = [_round(floor_b=n == 0) for n in range(ROUNDS)]
    run_ms = statistics.median(r["run_ms"] for r in rounds)
    many_ms = statistics.median(r["many_ms"] for r in rounds)
    one_ms = rounds[0]["one_ms"]
    return {
        "salaries": SALARIES,
        "rounds": ROUNDS,
        "run_ms": run_ms,
        "many_ms": many_ms,
        "one_ms": one_ms,
        "ratio_many": run_ms / many_ms,
        "ratio_rounds": [r["run_ms"] / r["many_ms"] for r in rounds],
        "ratio_one": run_ms / one_ms,
    }
