"""Exactly once: two runs at once, a retried task, a run process killed (kill -9) at seeded points."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from payroll import services
from payroll.models import PayoutItem, PayoutRun, PayoutRunItem
from payroll.services import runs
from payroll.tasks import run_payouts_daily_task
from tests.factories import CooperativeFactory, MembershipFactory
from tests.payroll_helpers import bulk_payout_items, payee_profile
from tests.projects_helpers import approved_project

N = 300
UNTIL = date(2026, 12, 31)
ROOT = Path(__file__).resolve().parent.parent


def _world(n=N):
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    other = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    finance = MembershipFactory(cooperative=coop, role="finance")
    finance2 = MembershipFactory(cooperative=coop, role="finance")
    project = approved_project(coop, owner, advisor)
    payee_profile(coop, owner)
    payee_profile(coop, other)
    bulk_payout_items(coop, project, [owner, other], n, deadline=date(2026, 12, 1))
    return coop, finance, finance2


def _assert_each_item_in_exactly_one_live_attempt(coop, n=N):
    items = PayoutItem.objects.for_cooperative(coop)
    assert items.count() == n
    assert set(items.values_list("status", flat=True)) == {"in_run"}
    live = (
        PayoutRunItem.objects.for_cooperative(coop)
        .filter(outcome__in=["pending", "paid"])
        .values("item")
        .annotate(n=Count("pk"))
    )
    assert len(live) == n and {row["n"] for row in live} == {1}
    for item in items.select_related("run"):
        attempt = PayoutRunItem.objects.for_cooperative(coop).get(item=item, outcome="pending")
        assert attempt.run_id == item.run_id
    runs_total = sum(run.item_count for run in PayoutRun.objects.for_cooperative(coop))
    assert runs_total == n


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_claim_each_item_once():
    coop, finance, finance2 = _world()
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def start(name, actor):
        try:
            barrier.wait(timeout=10)
            results[name] = runs.payout_run_start(cooperative=coop, actor=actor, until=UNTIL)
        except Exception as exc:
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(n, a)) for n, a in (("a", finance), ("b", finance2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert all(isinstance(r, PayoutRun) for r in results.values()), results
    _assert_each_item_in_exactly_one_live_attempt(coop)


@pytest.mark.django_db(transaction=True)
def test_a_run_holding_its_claim_is_skipped_not_waited_for(monkeypatch):
    """Run A has locked every due item and not committed: run B skips them (claims 0) instead of waiting."""
    coop, finance, finance2 = _world(40)
    claimed, b_done = threading.Event(), threading.Event()
    real = runs._crash_point

    def pause(name):
        if name == "claimed" and threading.current_thread().name == "A":
            claimed.set()
            b_done.wait(timeout=20)
        real(name)

    monkeypatch.setattr(runs, "_crash_point", pause)
    results: dict[str, object] = {}

    def start(name, actor, wait):
        try:
            if wait:
                claimed.wait(timeout=20)
            results[name] = runs.payout_run_start(cooperative=coop, actor=actor, until=UNTIL)
        except Exception as exc:
            results[name] = exc
        finally:
            if name == "B":
                b_done.set()
            connection.close()

    a = threading.Thread(target=start, args=("A", finance, False), name="A")
    b = threading.Thread(target=start, args=("B", finance2, True), name="B")
    a.start()
    b.start()
    a.join(timeout=60)
    b.join(timeout=60)

    # B could not finish before A committed (the number counter waits), but its claim found nothing free.
    assert results["A"].item_count == 40, results
    assert results["B"].item_count == 0, results
    _assert_each_item_in_exactly_one_live_attempt(coop, 40)


@pytest.mark.django_db(transaction=True)
def test_retried_daily_task_claims_nothing_twice():
    coop, _finance, _finance2 = _world(50)
    first = run_payouts_daily_task()
    second = run_payouts_daily_task()  # the same beat message delivered again

    assert first[coop.slug] is not None and second[coop.slug] is None
    assert PayoutRun.objects.for_cooperative(coop).count() == 1
    _assert_each_item_in_exactly_one_live_attempt(coop, 50)


def _run_in_subprocess(coop, actor, crash_at):
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    # The embedded PostgreSQL listens on a socket directory, which a URL cannot carry: libpq takes it from
    # PGHOST when the URL names no host.
    socket_dir = host if host.startswith("/") else None
    url = f"postgres://{settings['USER']}@{'' if socket_dir else host}:{port}/{settings['NAME']}"
    if settings.get("PASSWORD"):
        url = url.replace("@", f":{settings['PASSWORD']}@", 1)
    script = (
        "import django; django.setup()\n"
        "from datetime import date\n"
        "from smartprod.tenancy.models import Cooperative, Membership\n"
        "from payroll.services.runs import payout_run_start\n"
        "from smartprod.core.rls import tenant_scope\n"
        # A process of its own: no scope until it enters its cooperative's (README "Security").
        f"scope = tenant_scope({coop.pk})\nscope.__enter__()\n"
        f"coop = Cooperative.objects.get(pk={coop.pk})\n"
        f"actor = Membership.objects.for_cooperative(coop).get(pk={actor.pk})\n"
        "payout_run_start(cooperative=coop, actor=actor, until=date(2026, 12, 31))\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "smartprod.settings.test",
        runs.CRASH_ENV: crash_at,
        **({"PGHOST": socket_dir} if socket_dir else {}),
    }
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=120, capture_output=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("point", ["claimed", "attempts", "items", "end"])
def test_run_killed_mid_way_loses_nothing_and_claims_nothing(point):
    coop, finance, finance2 = _world(120)

    killed = _run_in_subprocess(coop, finance, point)
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    assert not PayoutRun.objects.for_cooperative(coop).exists()
    assert not PayoutRunItem.objects.for_cooperative(coop).exists()
    assert set(PayoutItem.objects.for_cooperative(coop).values_list("status", flat=True)) == {"approved"}

    completed = _run_in_subprocess(coop, finance2, "")
    assert completed.returncode == 0, completed.stderr.decode()[-2000:]
    _assert_each_item_in_exactly_one_live_attempt(coop, 120)
    assert PayoutRun.objects.for_cooperative(coop).get().number.endswith("00001")


def test_services_package_init_stays_empty():
    assert Path(services.__file__).read_text() == ""
