"""Run twice at once = once, on the real PostgreSQL: the project and salary locks serialise two runs."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from payroll.models import EmployerLiability, PayoutItem, Payslip
from payroll.services.payroll_runs import PayrollRunResult, payroll_run_month
from projects.models import JournalEntry
from tests.factories import MembershipFactory
from tests.payroll_payslip_helpers import employment, payroll_world, salary, with_employee

MARCH = date(2026, 3, 1)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_payroll_runs_pay_each_salary_once():
    w = payroll_world()
    finance2 = MembershipFactory(cooperative=w.coop, role="finance")
    people = [w, *(with_employee(w) for _ in range(4))]
    for person in people:
        salary(w.coop, employment(w.coop, w.project, person.employee), MARCH)
    barrier = threading.Barrier(2)
    results: dict[str, PayrollRunResult | BaseException] = {}

    def run(name, actor):
        try:
            barrier.wait(timeout=10)
            results[name] = payroll_run_month(cooperative=w.coop, actor=actor, month=MARCH)
        except BaseException as exc:
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, a)) for n, a in (("a", w.finance), ("b", finance2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    outcomes = list(results.values())
    assert all(isinstance(r, PayrollRunResult) for r in outcomes), outcomes
    assert sorted(len(r.created) for r in outcomes if isinstance(r, PayrollRunResult)) == [0, 5]
    assert Payslip.objects.for_cooperative(w.coop).count() == 5
    assert PayoutItem.objects.for_cooperative(w.coop).count() == 5
    assert (
        JournalEntry.objects.for_cooperative(w.coop).filter(idempotency_key__startswith="payslip:").count()
        == 5
    )
    assert (
        EmployerLiability.objects.for_cooperative(w.coop)
        .filter(payroll_run__isnull=False)
        .values("payroll_run")
        .distinct()
        .count()
        == 1
    )
