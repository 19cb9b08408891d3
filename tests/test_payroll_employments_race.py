"""Two "max" salary requests at once on one project, on real PostgreSQL: the project lock serializes them,
so together they never cost more than the available budget."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from payroll.models import Salary
from projects.budget import project_budget
from smartprod.core.errors import ApplicationError
from tests.factories import CooperativeFactory, MembershipFactory
from tests.payroll_emp_helpers import collaborator, employ, payroll_project, request_salary


def _run_all(targets):
    barrier = threading.Barrier(len(targets))
    outcomes: list[object] = []
    lock = threading.Lock()

    def wrap(target):
        def run():
            try:
                barrier.wait(timeout=10)
                result: object = target()
            except ApplicationError as exc:
                result = exc
            finally:
                connection.close()
            with lock:
                outcomes.append(result)

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_max_requests_never_overdraw():
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    project = payroll_project(coop, owner, advisor, amount="3000.00")
    colleague = collaborator(coop, project, MembershipFactory(cooperative=coop))
    first = employ(coop, advisor, project, owner)
    second = employ(coop, advisor, project, colleague)
    available = project_budget(cooperative=coop, project=project).available
    assert available == Decimal("3000.00")

    outcomes = _run_all(
        [
            lambda: request_salary(coop, owner, first, "max"),
            lambda: request_salary(coop, colleague, second, "max"),
        ]
    )

    salaries = [o for o in outcomes if isinstance(o, Salary)]
    assert len(outcomes) == 2 and salaries, outcomes
    total = sum((s.employer_cost_total for s in Salary.objects.for_cooperative(coop)), Decimal(0))
    assert total <= available
    assert project_budget(cooperative=coop, project=project).available == available - total >= 0
    # The first one took (nearly) all of it: whatever the second got fits in the cents left.
    assert max(s.employer_cost_total for s in salaries) >= available - Decimal("1.00")
