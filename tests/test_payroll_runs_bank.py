"""The bank's answers to a payout run: camt.053 debits (paid), returns, pain.002 rejections; the alarm."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from invoicing.bank import bank_statement_import
from invoicing.lib.camt import build_camt053
from invoicing.models import BankEntry
from payroll.models import PayoutItem, PayoutItemEvent, PayoutRun, PayoutRunItem
from payroll.services.runs import (
    payout_deadline_alarms,
    payout_deadline_warnings,
    payout_run_mark_sent,
    payout_run_start,
    payout_run_status_report_import,
)
from payroll.tasks import payout_deadline_alarms_task
from projects.ledger import account_balance, account_get
from smartprod.core.errors import ApplicationError
from smartprod.core.models import Notification
from tests.payroll_helpers import payee_profile, payout_item
from tests.projects_helpers import approved_project

BOOKED = date(2026, 12, 3)


@pytest.fixture
def world(coop, make_member):
    owner, payee = make_member(coop), make_member(coop)
    advisor, finance = make_member(coop, "advisor"), make_member(coop, "finance")
    project = approved_project(coop, owner, advisor)
    payee_profile(coop, owner)
    payee_profile(coop, payee, iban="DE89370400440532013000", confirmed_iban="DE89370400440532013000")
    fee = payout_item(coop, project, owner, "100.00")
    salary = payout_item(coop, project, payee, "250.50", kind="salary")
    run = payout_run_start(cooperative=coop, actor=finance, until=date(2026, 12, 31))
    run = payout_run_mark_sent(cooperative=coop, actor=finance, run=run)
    attempts = {a.item_id: a for a in PayoutRunItem.objects.for_cooperative(coop).filter(run=run)}
    return SimpleNamespace(
        coop=coop,
        owner=owner,
        payee=payee,
        finance=finance,
        fee=fee,
        salary=salary,
        run=run,
        e2e={"fee": attempts[fee.pk].end_to_end_id, "salary": attempts[salary.pk].end_to_end_id},
    )


def _fresh(obj):
    return type(obj).objects.for_cooperative(obj.cooperative).get(pk=obj.pk)


def _import(w, *entries, statement_id="S-1"):
    data = build_camt053(
        account_iban=w.coop.iban,
        statement_id=statement_id,
        entries=[{"booking_date": BOOKED, **entry} for entry in entries],
    )
    return bank_statement_import(cooperative=w.coop, actor=w.finance, data=data, file_name="camt.xml")


def _debit(e2e, amount, reference):
    return {
        "amount": Decimal(amount),
        "credit": False,
        "end_to_end_id": e2e,
        "reference": reference,
        "creditor_name": "Payee",
        "creditor_iban": "AT483200000012345864",
    }


def _bank(w):
    return account_balance(cooperative=w.coop, account=account_get(cooperative=w.coop, type="bank"))


def test_camt_debits_pay_attempts_and_confirm_the_run(world, django_capture_on_commit_callbacks):
    w = world
    with django_capture_on_commit_callbacks(execute=True):  # the run is closed after the import commits
        result = _import(w, _debit(w.e2e["fee"], "100.00", "D1"), _debit(w.e2e["salary"], "250.50", "D2"))

    assert len(result.elsewhere) == 2
    assert [(_fresh(i).status, _fresh(i).paid_at) for i in (w.fee, w.salary)] == [("paid", BOOKED)] * 2
    assert _fresh(w.run).status == PayoutRun.Status.CONFIRMED
    assert _bank(w) == Decimal("-350.50")
    assert set(BankEntry.objects.for_cooperative(w.coop).values_list("status", flat=True)) == {
        BankEntry.Status.BOOKED_ELSEWHERE
    }

    paid = Notification.objects.for_cooperative(w.coop).filter(kind="payout.paid")
    assert sorted(n.recipient_id for n in paid) == sorted([w.owner.user_id, w.payee.user_id])  # each payee

    # The same statement again: entries are duplicates, nothing is booked twice.
    _import(w, _debit(w.e2e["fee"], "100.00", "D1"), _debit(w.e2e["salary"], "250.50", "D2"))
    assert _bank(w) == Decimal("-350.50")
    assert Notification.objects.for_cooperative(w.coop).filter(kind="payout.paid").count() == 2


def test_camt_debit_with_other_amount_is_left_for_a_person(world):
    w = world
    result = _import(w, _debit(w.e2e["fee"], "99.00", "D1"))
    assert result.elsewhere == []
    assert _fresh(w.fee).status == "sent"


def test_camt_return_reopens_paid_item_books_money_back_and_notifies_finance(world):
    w = world
    _import(w, _debit(w.e2e["fee"], "100.00", "D1"))
    assert _fresh(w.fee).status == "paid"

    result = _import(
        w,
        {
            "amount": Decimal("100.00"),
            "credit": True,
            "end_to_end_id": w.e2e["fee"],
            "return_reason": "AC04",
            "reference": "R1",
        },
        statement_id="S-2",
    )

    assert len(result.elsewhere) == 1
    item = _fresh(w.fee)
    assert (item.status, item.run_id, item.paid_at) == ("approved", None, None)
    attempt = PayoutRunItem.objects.for_cooperative(w.coop).get(end_to_end_id=w.e2e["fee"])
    assert attempt.outcome == "returned" and "AC04" in attempt.reason
    last = PayoutItemEvent.objects.for_cooperative(w.coop).filter(item=item).order_by("-id").first()
    assert (last.from_status, last.to_status) == ("paid", "approved") and "AC04" in last.reason
    assert _bank(w) == Decimal("0.00")
    payable = account_get(cooperative=w.coop, type="payouts_payable", payee=w.owner)
    assert account_balance(cooperative=w.coop, account=payable) == Decimal("-100.00")  # owed again
    notes = Notification.objects.for_cooperative(w.coop).filter(kind="payout.returned")
    assert sorted(n.recipient_id for n in notes) == sorted(
        [w.finance.user_id, w.owner.user_id]
    )  # + the payee

    # The next run pays it with a new EndToEndId.
    again = payout_run_start(cooperative=w.coop, actor=w.finance, until=date(2026, 12, 31))
    new = PayoutRunItem.objects.for_cooperative(w.coop).get(run=again)
    assert new.end_to_end_id == f"{again.number}-{w.fee.pk}-2" and new.end_to_end_id != w.e2e["fee"]


def test_reversal_of_a_pending_attempt_reopens_without_posting(world):
    w = world
    _import(
        w,
        {
            "amount": Decimal("250.50"),
            "credit": True,
            "reversal": True,
            "end_to_end_id": w.e2e["salary"],
            "reference": "R9",
        },
    )
    assert _fresh(w.salary).status == "approved"
    assert _bank(w) == Decimal("0.00")


PAIN002 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>STS-20261203-1</MsgId><CreDtTm>2026-12-03T08:00:00</CreDtTm>
      <InitgPty><Id><OrgId><BICOrBEI>BKAUATWW</BICOrBEI></OrgId></Id></InitgPty></GrpHdr>
    <OrgnlGrpInfAndSts><OrgnlMsgId>{msg}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
      <GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts><OrgnlPmtInfId>{msg}-SUPP</OrgnlPmtInfId>
      <TxInfAndSts><StsId>1</StsId><OrgnlEndToEndId>{fee}</OrgnlEndToEndId><TxSts>RJCT</TxSts>
        <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Account closed</AddtlInf></StsRsnInf></TxInfAndSts>
    </OrgnlPmtInfAndSts>
    <OrgnlPmtInfAndSts><OrgnlPmtInfId>{msg}-SALA</OrgnlPmtInfId>
      <TxInfAndSts><StsId>2</StsId><OrgnlEndToEndId>{salary}</OrgnlEndToEndId><TxSts>ACCP</TxSts></TxInfAndSts>
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>
"""


def test_pain002_rejection_reopens_item_with_reason_code(world):
    w = world
    data = PAIN002.format(msg=w.run.message_id, **w.e2e).encode()

    result = payout_run_status_report_import(cooperative=w.coop, actor=w.finance, run=w.run, data=data)
    again = payout_run_status_report_import(cooperative=w.coop, actor=w.finance, run=w.run, data=data)

    assert result.rejected == [w.e2e["fee"]] and result.noted == {"ACCP": 1}
    assert again.rejected == []
    item = _fresh(w.fee)
    assert (item.status, item.run_id) == ("approved", None)
    event = PayoutItemEvent.objects.for_cooperative(w.coop).filter(item=item).order_by("-id").first()
    assert "AC04" in event.reason
    assert _fresh(w.salary).status == "sent"
    assert (
        Notification.objects.for_cooperative(w.coop).filter(kind="payout.rejected").count() == 2
    )  # finance, payee
    assert _bank(w) == Decimal("0.00")


def test_pain002_of_another_message_or_garbage_is_refused(world):
    w = world
    with pytest.raises(ApplicationError, match="not about run"):
        payout_run_status_report_import(
            cooperative=w.coop,
            actor=w.finance,
            run=w.run,
            data=PAIN002.format(msg="OTHER-1", **w.e2e).encode(),
        )
    with pytest.raises(ApplicationError, match="cannot be read"):
        payout_run_status_report_import(cooperative=w.coop, actor=w.finance, run=w.run, data=b"<x>")
    assert _fresh(w.fee).status == "sent"


def test_pain002_group_rejection_reopens_all(world):
    w = world
    data = f"""<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">
    <CstmrPmtStsRpt><GrpHdr><MsgId>S2</MsgId><CreDtTm>2026-12-03T08:00:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts><OrgnlMsgId>{w.run.message_id}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
    <GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts>
    </CstmrPmtStsRpt></Document>""".encode()
    result = payout_run_status_report_import(cooperative=w.coop, actor=w.finance, run=w.run, data=data)
    assert sorted(result.rejected) == sorted(w.e2e.values())
    assert {_fresh(w.fee).status, _fresh(w.salary).status} == {"approved"}
    assert _fresh(w.run).status == PayoutRun.Status.CONFIRMED  # nothing pending any more


def test_deadline_alarm_once_per_item_per_day(coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, "advisor")
    finance = make_member(coop, "finance")
    project = approved_project(coop, owner, advisor)
    late = payout_item(coop, project, owner, "10.00", deadline=date(2026, 11, 30))
    payout_item(coop, project, owner, "20.00", deadline=date(2026, 12, 2))  # not yet late

    assert payout_deadline_alarms(cooperative=coop, today=date(2026, 12, 1)) == 1
    assert payout_deadline_alarms(cooperative=coop, today=date(2026, 12, 1)) == 0
    notes = Notification.objects.for_cooperative(coop).filter(kind="payout.deadline_missed")
    assert sorted((n.recipient_id, n.event) for n in notes) == sorted(
        (user_id, f"payout.deadline_missed:{late.pk}:2026-12-01")
        for user_id in (finance.user_id, owner.user_id)
    )
    assert _fresh(late).last_alarm_on == date(2026, 12, 1)
    assert payout_deadline_alarms(cooperative=coop, today=date(2026, 12, 2)) == 1  # next day: again
    assert Notification.objects.for_cooperative(coop).filter(kind="payout.deadline_missed").count() == 4


def test_deadline_warning_once_per_item_before_the_deadline(coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, "advisor")
    finance = make_member(coop, "finance")
    project = approved_project(coop, owner, advisor)
    near = payout_item(coop, project, owner, "10.00", deadline=date(2026, 12, 3))
    payout_item(coop, project, owner, "20.00", deadline=date(2026, 12, 10))  # not yet near
    payout_item(coop, project, owner, "30.00", deadline=date(2026, 11, 30))  # late: the alarm's business

    assert payout_deadline_warnings(cooperative=coop, today=date(2026, 12, 1)) == 2  # finance and the payee
    assert payout_deadline_warnings(cooperative=coop, today=date(2026, 12, 2)) == 0  # once per item
    notes = Notification.objects.for_cooperative(coop).filter(kind="payout.deadline_at_risk")
    assert sorted((n.recipient_id, n.event) for n in notes) == sorted(
        (user_id, f"payout.deadline_at_risk:{near.pk}") for user_id in (finance.user_id, owner.user_id)
    )


def test_alarm_skips_items_in_a_sent_run(world):
    w = world
    assert payout_deadline_alarms(cooperative=w.coop, today=date(2027, 1, 5)) == 0
    assert isinstance(payout_deadline_alarms_task(), dict)
    assert _fresh(w.fee).status == PayoutItem.Status.SENT


def test_camt_batch_debit_pays_each_transfer(world, django_capture_on_commit_callbacks):
    """Banks often book a whole pain.001 block as one batch entry with a TxDtls per transfer."""
    w = world
    batch = {
        "amount": Decimal("350.50"),
        "credit": False,
        "reference": "B1",
        "transactions": [
            {"amount": Decimal("100.00"), "end_to_end_id": w.e2e["fee"]},
            {"amount": Decimal("250.50"), "end_to_end_id": w.e2e["salary"]},
        ],
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = _import(w, batch)
    assert callbacks  # the run is closed after the import commits
    assert len(result.elsewhere) == 2
    assert {_fresh(w.fee).status, _fresh(w.salary).status} == {"paid"}
    assert _fresh(w.run).status == PayoutRun.Status.CONFIRMED


def test_beat_and_tasks_are_registered():
    from payroll.tasks import run_payouts_daily_task
    from smartprod.core.registry import beat_schedule

    entries = {entry.name: entry.task for entry in beat_schedule}
    assert entries["payout-runs-daily"] == run_payouts_daily_task.name
    assert entries["payout-deadline-alarms"] == payout_deadline_alarms_task.name


def test_pain002_bank_shaped_report_with_counts_per_status(world):
    """pain.002.001.10, group PART with NbOfTxsPerSts, a rejected block holding its transaction."""
    w = world
    template = (Path(__file__).parent / "fixtures" / "pain002" / "part_rejected.xml").read_text()
    data = template.replace("{msg}", w.run.message_id).replace("{fee}", w.e2e["fee"])
    data = data.replace("{salary}", w.e2e["salary"]).encode()

    result = payout_run_status_report_import(cooperative=w.coop, actor=w.finance, run=w.run, data=data)

    assert result.rejected == [w.e2e["fee"]] and result.noted == {"ACSP": 1}
    attempt = PayoutRunItem.objects.for_cooperative(w.coop).get(end_to_end_id=w.e2e["fee"])
    assert attempt.outcome == "rejected" and "AC04" in attempt.reason
    assert (_fresh(w.fee).status, _fresh(w.salary).status) == ("approved", "sent")


PAIN002_TAXS_BLOCK = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>STS-20261203-2</MsgId><CreDtTm>2026-12-03T08:00:00</CreDtTm>
      <InitgPty><Id><OrgId><BICOrBEI>BKAUATWW</BICOrBEI></OrgId></Id></InitgPty></GrpHdr>
    <OrgnlGrpInfAndSts><OrgnlMsgId>{msg}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
      <GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts><OrgnlPmtInfId>{msg}-TAXS</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>
      <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf></OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>
"""


def test_a_rejected_tax_block_rejects_no_fee_or_salary(world):
    """Blocks are per category purpose (SALA, SUPP, TAXS, GOVT): a rejected TAXS block (the employer's
    taxes) is not the fees' SUPP block — before, every block but SALA counted as the fees' one."""
    w = world
    data = PAIN002_TAXS_BLOCK.format(msg=w.run.message_id).encode()
    result = payout_run_status_report_import(cooperative=w.coop, actor=w.finance, run=w.run, data=data)
    assert result.rejected == []
    assert (_fresh(w.fee).status, _fresh(w.salary).status) == ("sent", "sent")
