"""The overdraw race on real PostgreSQL: requests and approvals at once never overdraw or double-approve."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from payroll.models import FeeNote, PayoutItem
from payroll.services import fees
from projects.budget import project_budget
from projects.models import Collaboration, JournalEntry
from smartprod.core.errors import ApplicationError
from tests.factories import CooperativeFactory, MembershipFactory
from tests.payroll_fees_helpers import funded_project, payee_profile, request_fee


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
def test_ten_requests_of_60_percent_each_exactly_one_succeeds():
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    project = funded_project(coop, owner, advisor, amount="1000.00")
    payees = [owner]
    for _ in range(9):
        collaborator = MembershipFactory(cooperative=coop)
        Collaboration.objects.create(
            cooperative=coop, project=project, membership=collaborator, employment="self_employed"
        )
        payees.append(collaborator)
    for payee in payees:
        payee_profile(payee)
    available = project_budget(cooperative=coop, project=project).available
    assert available == Decimal("1000.00")
    share = (available * Decimal("0.6")).quantize(Decimal("0.01"))

    outcomes = _run_all(
        [lambda p=p: request_fee(coop, owner, project, payee=p, net_amount=share) for p in payees]
    )

    notes = [o for o in outcomes if isinstance(o, FeeNote)]
    refusals = [o for o in outcomes if isinstance(o, ApplicationError)]
    assert len(notes) == 1 and len(refusals) == 9, outcomes
    assert all("400.00" in r.message for r in refusals)
    assert FeeNote.objects.for_cooperative(coop).count() == 1
    assert project_budget(cooperative=coop, project=project).available == Decimal("400.00")


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_give_one_number_one_entry_one_item():
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    advisors = [MembershipFactory(cooperative=coop, role="advisor") for _ in range(4)]
    project = funded_project(coop, owner, advisors[0], amount="1000.00")
    payee_profile(owner)
    note = request_fee(coop, owner, project, net_amount=Decimal("500.00"))

    outcomes = _run_all(
        [lambda a=a: fees.fee_note_approve(cooperative=coop, actor=a, fee_note=note) for a in advisors]
    )

    assert sum(isinstance(o, FeeNote) for o in outcomes) == 1, outcomes
    assert all(o.conflict for o in outcomes if isinstance(o, ApplicationError))
    note.refresh_from_db()
    assert note.number.endswith("-00001")
    assert (
        JournalEntry.objects.for_cooperative(coop)
        .filter(idempotency_key=f"fee_note:{note.pk}:approved")
        .count()
        == 1
    )
    assert PayoutItem.objects.for_cooperative(coop).filter(fee_note=note).count() == 1
