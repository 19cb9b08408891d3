"""The run's pain.001.001.09: valid against the official XSD, structured addresses, SALA/SUPP, sums."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from lxml import etree

from payroll.lib.sepa import (
    PAIN_001_NS,
    Address,
    Party,
    Transfer,
    build_pain001,
    pain001_errors,
)
from payroll.services.runs import payout_run_start
from tests.payroll_helpers import payee_profile, payout_item
from tests.projects_helpers import approved_project

NS = {"p": PAIN_001_NS}


def _party(name="Smart Coop eGen", bic=""):
    return Party(name, "AT611904300234573201", bic, Address("Ring", "1", "1010", "Wien", "AT"))


def test_empty_file_is_refused():
    with pytest.raises(ValueError):
        build_pain001(
            message_id="X",
            created_at=datetime(2026, 1, 1),
            execution_date=date(2026, 1, 2),
            debtor=_party(),
            transfers=[],
        )


def test_built_file_without_bics_is_valid():
    data = build_pain001(
        message_id="PR-2026-00009",
        created_at=datetime(2026, 12, 1, 9, 0),
        execution_date=date(2026, 12, 2),
        debtor=_party(),
        transfers=[Transfer("E2E-1", Decimal("1.00"), _party("Anna"), "x", purpose="SUPP")],
    )
    assert pain001_errors(data) == []
    assert b"NOTPROVIDED" in data  # IBAN-only debtor agent
    assert b"CdtrAgt" not in data


def test_schema_errors_are_reported():
    broken = build_pain001(
        message_id="PR-1",
        created_at=datetime(2026, 12, 1, 9, 0),
        execution_date=date(2026, 12, 2),
        debtor=_party(),
        transfers=[Transfer("E2E-1", Decimal("1.00"), _party("Anna"), "x", purpose="SUPP")],
    ).replace(b"<Ctry>AT</Ctry>", b"<Ctry>Austria</Ctry>")
    assert pain001_errors(broken)


@pytest.fixture
def run(coop, make_member):
    coop.legal_name = "Smart Österreich eGen"
    coop.street, coop.building_number = "Mariahilfer Straße", "1"
    coop.save()
    owner, advisor = make_member(coop), make_member(coop, "advisor")
    payee = make_member(coop)
    finance = make_member(coop, "finance")
    project = approved_project(coop, owner, advisor)
    payee_profile(
        coop,
        owner,
        account_holder="Jürgen Weiß 😀",
        street="Kärntner Straße",
        building_number="12/3",
        postcode="1010",
        town="Wien",
        bic="BKAUATWW",
    )
    payee_profile(
        coop,
        payee,
        account_holder="Zoë Müller",
        town="München",
        postcode="80331",
        country="DE",
        iban="DE89370400440532013000",
        street="Leopoldstraße",
        building_number="5a",
    )
    items = SimpleNamespace(
        fee=payout_item(coop, project, owner, "100.10", description="Honorar März – Bühne"),
        salary=payout_item(coop, project, payee, "1200.00", kind="salary", description="Gehalt November"),
        salary2=payout_item(coop, project, owner, "300.05", kind="salary", description="Gehalt"),
    )
    started = payout_run_start(cooperative=coop, actor=finance, until=date(2026, 12, 31))
    return SimpleNamespace(run=started, items=items, tree=etree.fromstring(bytes(started.sepa_xml)))


def _text(node, path):
    return node.findtext(path, namespaces=NS)


def test_run_file_is_valid_pain_001_001_09(run):
    assert pain001_errors(bytes(run.run.sepa_xml)) == []


def test_run_file_group_header_and_blocks(run):
    tree = run.tree
    assert _text(tree, "p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId") == run.run.message_id
    assert _text(tree, "p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs") == "3"
    assert _text(tree, "p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum") == "1600.15"
    blocks = tree.findall("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    summary = [
        (_text(b, "p:PmtTpInf/p:CtgyPurp/p:Cd"), _text(b, "p:NbOfTxs"), _text(b, "p:CtrlSum")) for b in blocks
    ]
    assert summary == [("SALA", "2", "1500.05"), ("SUPP", "1", "100.10")]
    for block in blocks:
        assert _text(block, "p:ReqdExctnDt/p:Dt") == run.run.execution_date.isoformat()
        assert _text(block, "p:Dbtr/p:Nm") == "Smart Oesterreich eGen"
        address = block.find("p:Dbtr/p:PstlAdr", NS)
        assert [(etree.QName(c).localname, c.text) for c in address] == [
            ("StrtNm", "Mariahilfer Strasse"),
            ("BldgNb", "1"),
            ("PstCd", "1060"),
            ("TwnNm", "Wien"),
            ("Ctry", "AT"),
        ]
        assert _text(block, "p:DbtrAcct/p:Id/p:IBAN") == "AT611904300234573201"


def test_run_file_transactions(run):
    txs = {_text(tx, "p:PmtId/p:EndToEndId"): tx for tx in run.tree.iterfind(".//p:CdtTrfTxInf", NS)}
    fee = txs[f"{run.run.number}-{run.items.fee.pk}-1"]
    assert fee.find("p:Amt/p:InstdAmt", NS).attrib["Ccy"] == "EUR"
    assert _text(fee, "p:Amt/p:InstdAmt") == "100.10"
    assert _text(fee, "p:Cdtr/p:Nm") == "Juergen Weiss"
    assert _text(fee, "p:CdtrAgt/p:FinInstnId/p:BICFI") == "BKAUATWW"
    assert [(etree.QName(c).localname, c.text) for c in fee.find("p:Cdtr/p:PstlAdr", NS)] == [
        ("StrtNm", "Kaerntner Strasse"),
        ("BldgNb", "12/3"),
        ("PstCd", "1010"),
        ("TwnNm", "Wien"),
        ("Ctry", "AT"),
    ]
    assert _text(fee, "p:RmtInf/p:Ustrd").startswith("Honorar Maerz - Buehne")
    salary = txs[f"{run.run.number}-{run.items.salary.pk}-1"]
    assert _text(salary, "p:Cdtr/p:Nm") == "Zoe Mueller"
    assert _text(salary, "p:CdtrAcct/p:Id/p:IBAN") == "DE89370400440532013000"
    assert salary.find("p:CdtrAgt", NS) is None  # BIC optional
    assert _text(salary, "p:Cdtr/p:PstlAdr/p:TwnNm") == "Muenchen"
    assert _text(salary, "p:Cdtr/p:PstlAdr/p:Ctry") == "DE"
