"""Payout runs: preview, claim (exactly once, blocked payees held back), approval, sent, confirmed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payroll.models import PayoutItem, PayoutItemEvent, PayoutPolicy, PayoutRun, PayoutRunItem
from payroll.services.runs import (
    payout_run_approve,
    payout_run_confirm,
    payout_run_daily,
    payout_run_mark_sent,
    payout_run_preview,
    payout_run_sepa,
    payout_run_start,
)
from projects.ledger import account_balance, account_get
from smartprod.core.errors import ApplicationError, NotAllowed
from tests.payroll_helpers import bulk_payout_items, payee_profile, payout_item
from tests.projects_helpers import approved_project

UNTIL = date(2026, 12, 4)


@pytest.fixture
def people(coop, make_member):
    return SimpleNamespace(
        owner=make_member(coop),
        payee=make_member(coop),
        advisor=make_member(coop, "advisor"),
        finance=make_member(coop, "finance"),
        finance2=make_member(coop, "finance"),
        admin=make_member(coop, "admin"),
    )


@pytest.fixture
def project(coop, people):
    return approved_project(coop, people.owner, people.advisor)


@pytest.fixture
def items(coop, people, project):
    payee_profile(coop, people.owner)
    payee_profile(coop, people.payee)
    return [
        payout_item(coop, project, people.owner, "100.00", deadline=date(2026, 12, 2)),
        payout_item(coop, project, people.payee, "250.50", kind="salary", deadline=date(2026, 12, 1)),
        payout_item(coop, project, people.owner, "75.00", deadline=date(2026, 12, 9)),  # later than UNTIL
    ]


def _fresh(item):
    return PayoutItem.objects.for_cooperative(item.cooperative).get(pk=item.pk)


def test_preview_claims_nothing_and_shows_totals(coop, people, items):
    preview = payout_run_preview(cooperative=coop, until=UNTIL)

    assert [item.pk for item in preview.items] == [items[0].pk, items[1].pk]
    assert preview.total == Decimal("350.50")
    assert preview.payees == 2
    assert preview.earliest_deadline == date(2026, 12, 1)
    assert preview.held_back == []
    assert {_fresh(item).status for item in items} == {"approved"}
    assert not PayoutRun.objects.for_cooperative(coop).exists()


def test_start_claims_due_items_once_with_attempts_and_events(coop, people, items):
    run = payout_run_start(cooperative=coop, actor=people.finance, until=UNTIL)

    assert run.number == "PR-2026-00001" or run.number.startswith("PR-")
    assert run.status == PayoutRun.Status.READY
    assert (run.item_count, run.total) == (2, Decimal("350.50"))
    attempts = list(PayoutRunItem.objects.for_cooperative(coop).filter(run=run).order_by("item_id"))
    assert [a.end_to_end_id for a in attempts] == [
        f"{run.number}-{items[0].pk}-1",
        f"{run.number}-{items[1].pk}-1",
    ]
    assert all(len(a.end_to_end_id) <= 35 for a in attempts)
    assert [_fresh(item).status for item in items] == ["in_run", "in_run", "approved"]
    assert _fresh(items[0]).run_id == run.pk and _fresh(items[0]).attempt_count == 1
    events = PayoutItemEvent.objects.for_cooperative(coop).filter(run=run, to_status="in_run")
    assert events.count() == 2
    assert bytes(run.sepa_xml).startswith(b"<?xml")

    second = payout_run_start(cooperative=coop, actor=people.finance, until=UNTIL)
    assert (second.item_count, second.total) == (0, Decimal("0.00"))
    assert second.number != run.number


def test_member_and_advisor_may_not_start_a_run(coop, people, items):
    for actor in (people.owner, people.advisor):
        with pytest.raises(NotAllowed):
            payout_run_start(cooperative=coop, actor=actor, until=UNTIL)
    assert not PayoutRun.objects.for_cooperative(coop).exists()


@pytest.mark.parametrize(
    ("profile", "reason"),
    [
        (None, "no payout details entered yet"),
        ({"iban": "", "confirmed_iban": ""}, "no iban entered yet"),
        ({"confirmed_iban": "AT611904300234573201"}, "waits for confirmation by finance"),
        ({"street": ""}, "address is incomplete"),
        ({"address_needs_review": True}, "address is incomplete"),
    ],
)
def test_blocked_payee_is_held_back_with_reason(coop, people, project, profile, reason):
    payee_profile(coop, people.owner)
    if profile is not None:
        payee_profile(coop, people.payee, **profile)
    ok = payout_item(coop, project, people.owner, "10.00")
    held = payout_item(coop, project, people.payee, "20.00")

    preview = payout_run_preview(cooperative=coop, until=UNTIL)
    assert [i.pk for i in preview.items] == [ok.pk]
    assert [(i.pk, r) for i, r in preview.held_back] == [(held.pk, preview.held_back[0][1])]
    assert reason in preview.held_back[0][1].lower()

    run = payout_run_start(cooperative=coop, actor=people.finance, until=UNTIL)
    assert run.item_count == 1
    assert _fresh(held).status == "approved" and _fresh(held).run_id is None


def test_claim_query_count_is_the_same_for_1_and_60_items(coop, people, project):
    payee_profile(coop, people.owner)
    payee_profile(coop, people.payee)

    def counted(n):
        PayoutItem.objects.for_cooperative(coop).filter(status="approved").delete()
        bulk_payout_items(coop, project, [people.owner, people.payee], n)
        with CaptureQueriesContext(connection) as ctx:
            run = payout_run_start(cooperative=coop, actor=people.finance, until=UNTIL)
        assert run.item_count == n
        return len(ctx.captured_queries)

    assert counted(1) == counted(60)


def test_threshold_needs_second_person_before_download(coop, people, items):
    PayoutPolicy.objects.create(cooperative=coop, run_approval_threshold=Decimal("300.00"))
    run = payout_run_start(cooperative=coop, actor=people.finance, until=UNTIL)
    assert run.status == PayoutRun.Status.PENDING_APPROVAL
    assert bytes(run.sepa_xml) == b""

    with pytest.raises(ApplicationError) as conflict:
        payout_run_sepa(cooperative=coop, actor=people.finance, run=run)
    assert conflict.value.conflict
    with pytest.raises(NotAllowed):
        payout_run_approve(cooperative=coop, actor=people.finance, run=run)  # the starter
    with pytest.raises(NotAllowed):
        payout_run_approve(cooperative=coop, actor=people.advisor, run=run)

    run = payout_run_approve(cooperative=coop, actor=people.finance2, run=run)
    assert run.status == PayoutRun.Status.READY and run.approved_by == people.finance2
    first = payout_run_sepa(cooperative=coop, actor=people.finance, run=run)
    again = payout_run_sepa(
        cooperative=coop, actor=people.admin, run=PayoutRun.objects.for_cooperative(coop).get(pk=run.pk)
    )
    assert first == again and b"pain.001.001.09" in first


def test_below_threshold_is_ready_at_once(coop, people, items):
    PayoutPolicy.objects.create(cooperative=coop, run_approval_threshold=Decimal("350.50"))
    run = payout_run_start(cooperative=coop, actor=people.finance, until=UNTIL)
    assert run.status == PayoutRun.Status.READY


def test_mark_sent_then_confirm_books_each_item_once(coop, people, items):
    run = payout_run_start(cooperative=coop, actor=people.finance, until=UNTIL)
    with pytest.raises(ApplicationError):
        payout_run_confirm(cooperative=coop, actor=people.finance, run=run)  # not sent yet

    run = payout_run_mark_sent(cooperative=coop, actor=people.finance, run=run)
    assert run.status == PayoutRun.Status.SENT
    assert [_fresh(i).status for i in items[:2]] == ["sent", "sent"]
    assert payout_run_mark_sent(cooperative=coop, actor=people.finance, run=run).status == "sent"

    run = payout_run_confirm(cooperative=coop, actor=people.finance, run=run, on=date(2026, 12, 3))
    run = payout_run_confirm(cooperative=coop, actor=people.finance, run=run, on=date(2026, 12, 3))  # twice
    assert run.status == PayoutRun.Status.CONFIRMED
    assert [(_fresh(i).status, _fresh(i).paid_at) for i in items[:2]] == [("paid", date(2026, 12, 3))] * 2
    assert set(PayoutRunItem.objects.for_cooperative(coop).values_list("outcome", flat=True)) == {"paid"}
    bank = account_get(cooperative=coop, type="bank")
    assert account_balance(cooperative=coop, account=bank) == Decimal("-350.50")
    owner_payable = account_get(cooperative=coop, type="payouts_payable", payee=people.owner)
    # 100 + 75 approved (credit), 100 paid (debit): 75 still owed (balance = debit − credit)
    assert account_balance(cooperative=coop, account=owner_payable) == Decimal("-75.00")


def test_daily_run_claims_up_to_horizon_and_is_safe_twice(coop, people, items):
    # Friday 27 Nov 2026 + 3 working days (AT) = Wednesday 2 Dec: the 1 and 2 Dec items.
    first = payout_run_daily(cooperative=coop, today=date(2026, 11, 27))
    second = payout_run_daily(cooperative=coop, today=date(2026, 11, 27))

    assert first is not None and first.until == date(2026, 12, 2) and first.item_count == 2
    assert first.started_by is None
    assert second is None
    assert PayoutRun.objects.for_cooperative(coop).count() == 1


def test_execution_date_is_the_next_target2_day(coop, people, items, monkeypatch):
    from django.utils import timezone

    # Saturday 26 December 2026: TARGET2 is closed on 25 and 26 December and at weekends → Monday 28th.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 12, 26))
    run = payout_run_start(cooperative=coop, actor=people.finance, until=UNTIL)
    assert run.execution_date == date(2026, 12, 28)
    assert b"<Dt>2026-12-28</Dt>" in bytes(run.sepa_xml)
