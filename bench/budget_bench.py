"""Benchmark: the budget of a project with 100,000 ledger lines against one with 10 lines.

Called by bench/run.py after Django is set up and a (test) database exists. Both projects get their
lines through `tests.ledger_bulk.bulk_budget_lines` (balanced entries, committed per batch so the
ledger's deferred trigger checks each one), the table is vacuumed and analysed as autovacuum would,
then `project_budget` (balance, receivable, pending, available and the newest page of 100 lines) is
timed for both, interleaved after warm-ups, median of ROUNDS each; the query counts must be equal.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

LARGE = 100_000
SMALL = 10
ROUNDS = 30
WARMUPS = 3


def bench_budget_at_scale() -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from projects.budget import project_budget
    from smartprod.core.rls import owner_connection
    from tests.factories import CooperativeFactory, MembershipFactory
    from tests.ledger_bulk import bulk_budget_lines, expected_balances
    from tests.projects_helpers import approved_project

    coop = CooperativeFactory(name="Budget Bench Coop", legal_name="Budget Bench Coop eGen")
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    large, small = approved_project(coop, owner, advisor), approved_project(coop, owner, advisor)
    start = time.perf_counter()
    bulk_budget_lines(coop, large, LARGE)
    build_s = time.perf_counter() - start
    bulk_budget_lines(coop, small, SMALL)
    # As the owner, as autovacuum would: PostgreSQL skips the app role's VACUUM/ANALYZE with a warning (it
    # owns nothing), and without statistics the planner sorts every line of the account (bitmap scan) per
    # page.
    with owner_connection(), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE projects_journalline")
        cursor.execute("VACUUM ANALYZE projects_journalentry")

    queries: dict[str, int] = {}
    times: dict[str, list[float]] = {"large": [], "small": []}
    for round_ in range(WARMUPS + ROUNDS):
        for name, project in (("large", large), ("small", small)):
            with CaptureQueriesContext(connection) as ctx:
                begin = time.perf_counter()
                budget = project_budget(cooperative=coop, project=project)
                elapsed = (time.perf_counter() - begin) * 1000
            queries[name] = len(ctx.captured_queries)
            if round_ >= WARMUPS:
                times[name].append(elapsed)
            count = LARGE if name == "large" else SMALL
            assert budget.balance == budget.lines[-1].balance == expected_balances(count)[-1]
            assert len(budget.lines) == min(count, 100)
    large_ms, small_ms = statistics.median(times["large"]), statistics.median(times["small"])
    return {
        "rounds": ROUNDS,
        "large": LARGE,
        "small": SMALL,
        "build_s": build_s,
        "large_ms": large_ms,
        "small_ms": small_ms,
        "ratio": large_ms / small_ms,
        "queries_large": queries["large"],
        "queries_small": queries["small"],
    }


if __name__ == "__main__":  # this benchmark alone: python bench/budget_bench.py
    import os
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartprod.settings.test")
    import django

    django.setup()
    from django.db import connection as conn
    from django.test.utils import setup_test_environment, teardown_test_environment

    from smartprod.core.rls import owner_connection, platform_scope

    setup_test_environment()
    with owner_connection():  # the owner creates and drops the database; the benchmark runs as the app role
        old = conn.creation.create_test_db(verbosity=0)
    try:
        with platform_scope("budget benchmark"):  # as bench/run.py runs it
            print(bench_budget_at_scale())
    finally:
        conn.close()
        with owner_connection():
            conn.creation.destroy_test_db(old, verbosity=0)
        teardown_test_environment()
