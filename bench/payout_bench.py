"""Benchmark: a payout run claiming 10,000 items and writing their pain.001, against the floor.

Called by bench/run.py after Django is set up and a (test) database exists. Each round inserts 10,000
approved salary items over 50 payees with `bulk_create` (timed: the floor — the cheapest way to write
10,000 rows of that table on this machine), then times `payout_run_start` for them: the
FOR UPDATE SKIP LOCKED claim, 10,000 attempts and item events (bulk), one UPDATE of the items, and the
pain.001.001.09 file written, validated against the XSD and stored. Median of ROUNDS each, and the ratio.
"""

from __future__ import annotations

import statistics
import time
from datetime import date
from typing import Any

ITEMS = 10_000
PAYEES = 50
ROUNDS = 3


def bench_payout_run() -> dict[str, Any]:
    from payroll.services.runs import payout_run_start
    from tests.factories import CooperativeFactory, MembershipFactory
    from tests.payroll_helpers import bulk_payout_items, bulk_payslips, payee_profile
    from tests.projects_helpers import approved_project

    coop = CooperativeFactory(name="Payout Bench Coop", legal_name="Payout Bench Coop eGen")
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    finance = MembershipFactory(cooperative=coop, role="finance")
    project = approved_project(coop, owner, advisor)
    payees = [MembershipFactory(cooperative=coop) for _ in range(PAYEES)]
    for payee in payees:
        payee_profile(coop, payee, account_holder="Zoë Weiß-Müller")
    floor: list[float] = []
    run_ms: list[float] = []
    size = 0
    for _round in range(ROUNDS):
        # A salary item pays a payslip: those rows are made first, outside the timing.
        payslips = bulk_payslips(coop, project, payees, ITEMS, month=date(2026, 1 + _round, 1))
        start = time.perf_counter()
        bulk_payout_items(coop, project, payees, ITEMS, deadline=date(2026, 12, 1), payslip_ids=payslips)
        floor.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        run = payout_run_start(cooperative=coop, actor=finance, until=date(2026, 12, 31))
        run_ms.append((time.perf_counter() - start) * 1000)
        assert run is not None and run.item_count == ITEMS, run
        size = len(bytes(run.sepa_xml))
    floor_median, run_median = statistics.median(floor), statistics.median(run_ms)
    return {
        "items": ITEMS,
        "floor_ms": floor_median,
        "run_ms": run_median,
        "ratio": run_median / floor_median,
        "file_kb": size / 1024,
    }
