from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from invoicing.lib.camt import CamtError, StatementEntry, build_camt053, parse_camt053
from invoicing.lib.rf import rf_find_in_text

FIXTURES = Path(__file__).parent / "fixtures"
ACCOUNT = "AT611904300234573201"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _v02_with(entry_xml: str, iban_xml: str = f"<IBAN>{ACCOUNT}</IBAN>") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-07-10T06:00:00+02:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>S1</Id>
      <CreDtTm>2026-07-10T06:00:00+02:00</CreDtTm>
      <Acct><Id>{iban_xml}</Id><Ccy>EUR</Ccy></Acct>
      {entry_xml}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def test_parse_camt053_sample_statement_header():
    (statement,) = parse_camt053(_fixture("camt053_v02_sample.xml"))
    assert statement.statement_id == "2026-07-09-AT611904300234573201-128"
    assert statement.account_iban == ACCOUNT
    assert statement.currency == "EUR"
    assert statement.created_at == datetime(
        2026, 7, 10, 6, 0, 12, 345000, tzinfo=timezone(timedelta(hours=2))
    )
    assert len(statement.entries) == 4


def test_parse_camt053_sample_credit_with_structured_rf_reference():
    entry = parse_camt053(_fixture("camt053_v02_sample.xml"))[0].entries[0]
    assert entry == StatementEntry(
        entry_reference="190420260709T0000001",  # TxDtls/Refs/AcctSvcrRef wins over Ntry/AcctSvcrRef
        amount=Decimal("1017.63"),
        currency="EUR",
        is_credit=True,
        booking_date=date(2026, 7, 9),
        value_date=date(2026, 7, 9),
        remittance_text="",
        structured_reference="RF423X202600042",
        debtor_name="Kunde GmbH",
        debtor_iban="AT483200000012345864",
        end_to_end_id="KUNDE-2026-0815",
        bank_transaction_code="PMNT/RCDT/ESCT",
    )


def test_parse_camt053_sample_credit_with_rf_in_free_text():
    entry = parse_camt053(_fixture("camt053_v02_sample.xml"))[0].entries[1]
    assert entry.entry_reference == "190420260709A0000002"  # Ntry/AcctSvcrRef, no TxDtls reference
    assert entry.amount == Decimal("480.00")
    assert entry.value_date == date(2026, 7, 8)
    assert entry.structured_reference == ""
    assert entry.remittance_text == "Rechnung RF15 3X20 2600 043 vielen Dank"
    assert rf_find_in_text(entry.remittance_text) == ["RF153X202600043"]
    assert entry.end_to_end_id == ""  # NOTPROVIDED is the placeholder for "none"
    assert entry.debtor_name == "Maria Musterfrau"


def test_parse_camt053_sample_credit_with_invoice_number_in_text():
    entry = parse_camt053(_fixture("camt053_v02_sample.xml"))[0].entries[2]
    assert entry.entry_reference == "190420260709A0000003"
    assert entry.amount == Decimal("1840.70")
    assert entry.remittance_text == "Re-Nr. 2026-00044 Honorar Juni Projekt Sommerfest"
    assert entry.end_to_end_id == "E2E-20260709-77"


def test_parse_camt053_sample_debit_without_details():
    entry = parse_camt053(_fixture("camt053_v02_sample.xml"))[0].entries[3]
    assert entry.is_credit is False
    assert entry.amount == Decimal("750.00")
    assert entry.entry_reference == "190420260709A0000004"
    assert entry.remittance_text == "SEPA Ueberweisung Miete Juli Buero"
    assert (entry.debtor_name, entry.debtor_iban, entry.structured_reference) == ("", "", "")


def test_parse_camt053_same_file_twice_gives_same_references():
    first = parse_camt053(_fixture("camt053_v02_sample.xml"))
    second = parse_camt053(_fixture("camt053_v02_sample.xml"))
    assert first == second
    references = [entry.entry_reference for entry in first[0].entries]
    assert len(set(references)) == len(references)


def test_parse_camt053_v08_batch_yields_one_entry_per_transaction():
    (statement,) = parse_camt053(_fixture("camt053_v08_batch.xml"))
    assert statement.created_at == datetime(2026, 7, 10, 5, 30, tzinfo=UTC)
    assert [
        (e.entry_reference, e.amount, e.structured_reference, e.debtor_name, e.booking_date)
        for e in statement.entries
    ] == [
        ("BATCH-20260710-01/1", Decimal("1200.00"), "RF963X202600040", "Alpha OG", date(2026, 7, 10)),
        ("BATCH-20260710-01/2", Decimal("2000.00"), "RF693X202600041", "Beta KG", date(2026, 7, 10)),
        ("BATCH-20260710-01/3", Decimal("270.00"), "", "Gamma e.U.", date(2026, 7, 10)),
    ]
    assert statement.entries[2].remittance_text == "RE 2026-00045"
    assert sum(e.amount for e in statement.entries) == Decimal("3470.00")


def test_build_camt053_round_trips_through_parser():
    data = build_camt053(
        account_iban="AT61 1904 3002 3457 3201",
        statement_id="BENCH-1",
        entries=[
            {
                "amount": Decimal("1017.63"),
                "reference": "REF-1",
                "structured_reference": "RF423X202600042",
                "debtor_name": "Kunde GmbH",
                "debtor_iban": "AT483200000012345864",
                "end_to_end_id": "E2E-1",
                "booking_date": date(2026, 7, 9),
            },
            {"amount": Decimal("12.5"), "credit": False, "remittance": "Kontoführung", "reference": "REF-2"},
        ],
    )
    (statement,) = parse_camt053(data)
    assert statement.account_iban == ACCOUNT
    first, second = statement.entries
    assert first == StatementEntry(
        entry_reference="REF-1",
        amount=Decimal("1017.63"),
        currency="EUR",
        is_credit=True,
        booking_date=date(2026, 7, 9),
        value_date=date(2026, 7, 9),
        remittance_text="",
        structured_reference="RF423X202600042",
        debtor_name="Kunde GmbH",
        debtor_iban="AT483200000012345864",
        end_to_end_id="E2E-1",
        bank_transaction_code="PMNT/RCDT/ESCT",
    )
    assert (second.entry_reference, second.amount, second.is_credit) == ("REF-2", Decimal("12.50"), False)
    assert second.remittance_text == "Kontoführung"


def test_build_camt053_batch_parses_with_numbered_references_and_tx_amounts():
    data = build_camt053(
        account_iban=ACCOUNT,
        statement_id="S-9",
        entries=[
            {
                "amount": Decimal("300.00"),
                "reference": "BATCH-7",
                "transactions": [
                    {"amount": Decimal("100.00"), "structured_reference": "RF963X202600040"},
                    {"amount": Decimal("200.00"), "remittance": "Rechnung 2026-00041"},
                ],
            }
        ],
    )
    entries = parse_camt053(data)[0].entries
    assert [(e.entry_reference, e.amount) for e in entries] == [
        ("BATCH-7/1", Decimal("100.00")),
        ("BATCH-7/2", Decimal("200.00")),
    ]


def test_parse_camt053_batch_with_own_transaction_references_keeps_them():
    data = build_camt053(
        account_iban=ACCOUNT,
        statement_id="S-9",
        entries=[
            {
                "amount": Decimal("300.00"),
                "reference": "BATCH-7",
                "transactions": [
                    {"amount": Decimal("100.00"), "tx_reference": "TX-A"},
                    {"amount": Decimal("200.00"), "tx_reference": "TX-B"},
                ],
            }
        ],
    )
    assert [e.entry_reference for e in parse_camt053(data)[0].entries] == ["TX-A", "TX-B"]


def test_parse_camt053_batch_transaction_without_amount_raises():
    entry = """<Ntry><Amt Ccy="EUR">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
      <AcctSvcrRef>R1</AcctSvcrRef>
      <NtryDtls><TxDtls><Refs><EndToEndId>A</EndToEndId></Refs></TxDtls>
                <TxDtls><Refs><EndToEndId>B</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>"""
    with pytest.raises(CamtError, match=r"TxDtls #1: .* no amount"):
        parse_camt053(_v02_with(entry))


def test_parse_camt053_entry_without_any_reference_gets_statement_position():
    entry = '<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts></Ntry>'
    entries = parse_camt053(_v02_with(entry + entry.replace("5.00", "6.00")))[0].entries
    assert [e.entry_reference for e in entries] == ["S1/1", "S1/2"]


def test_parse_camt053_pending_entry_is_left_out():
    booked = (
        '<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><NtryRef>A</NtryRef></Ntry>'
    )
    pending = (
        '<Ntry><Amt Ccy="EUR">7.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts><NtryRef>B</NtryRef></Ntry>'
    )
    entries = parse_camt053(_v02_with(booked + pending))[0].entries
    assert [e.entry_reference for e in entries] == ["A"]


def test_parse_camt053_duplicate_entry_reference_raises():
    entry = '<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><AcctSvcrRef>SAME</AcctSvcrRef></Ntry>'
    with pytest.raises(CamtError, match="'SAME' occurs twice"):
        parse_camt053(_v02_with(entry + entry))


@pytest.mark.parametrize("version", ["02", "04", "06", "08", "10", "13"])
def test_parse_camt053_accepts_every_camt053_version(version):
    data = _v02_with('<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><NtryRef>A</NtryRef></Ntry>')
    data = data.replace(b"camt.053.001.02", f"camt.053.001.{version}".encode())
    assert parse_camt053(data)[0].entries[0].amount == Decimal("5.00")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"this is not xml", "well-formed"),
        (b"", "well-formed"),
        (b"%PDF-1.7 binary", "well-formed"),
    ],
)
def test_parse_camt053_garbage_raises(data, message):
    with pytest.raises(CamtError, match=message):
        parse_camt053(data)


@pytest.mark.parametrize(
    "namespace",
    [
        "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02",
        "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03",
        "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02.evil",
        "",
    ],
)
def test_parse_camt053_wrong_namespace_raises(namespace):
    data = _v02_with("").replace(
        b'xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"', f'xmlns="{namespace}"'.encode()
    )
    with pytest.raises(CamtError, match=r"camt\.053\.001\.xx namespace"):
        parse_camt053(data)


def test_parse_camt053_wrong_root_element_raises():
    data = b'<Statement xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>'
    with pytest.raises(CamtError, match="Root element"):
        parse_camt053(data)


def test_parse_camt053_missing_amount_raises_naming_element():
    entry = "<Ntry><CdtDbtInd>CRDT</CdtDbtInd><NtryRef>A</NtryRef></Ntry>"
    with pytest.raises(CamtError, match=r"Stmt 'S1' Ntry #1: element Amt is missing"):
        parse_camt053(_v02_with(entry))


@pytest.mark.parametrize("amount", ["12,50", "-12.50", "", "1.2.3", "1e3", "12.123456"])
def test_parse_camt053_bad_amount_raises_naming_element(amount):
    entry = f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><NtryRef>A</NtryRef></Ntry>'
    with pytest.raises(CamtError, match=r"element Amt has .* not an amount"):
        parse_camt053(_v02_with(entry))


def test_parse_camt053_amount_without_currency_raises():
    entry = "<Ntry><Amt>12.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><NtryRef>A</NtryRef></Ntry>"
    with pytest.raises(CamtError, match="Ccy"):
        parse_camt053(_v02_with(entry))


def test_parse_camt053_bad_credit_debit_indicator_raises():
    entry = '<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>PLUS</CdtDbtInd><NtryRef>A</NtryRef></Ntry>'
    with pytest.raises(CamtError, match="CdtDbtInd"):
        parse_camt053(_v02_with(entry))


def test_parse_camt053_bad_booking_date_raises():
    entry = (
        '<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        "<BookgDt><Dt>09.07.2026</Dt></BookgDt><NtryRef>A</NtryRef></Ntry>"
    )
    with pytest.raises(CamtError, match="BookgDt"):
        parse_camt053(_v02_with(entry))


def test_parse_camt053_account_number_that_is_no_iban_raises():
    # A national account number (BBAN) in Othr/Id cannot be compared with the cooperative's IBAN.
    with pytest.raises(CamtError, match="neither as Acct/Id/IBAN nor as an IBAN in Acct/Id/Othr/Id"):
        parse_camt053(_v02_with("", iban_xml="<Othr><Id>12345678</Id></Othr>"))


def test_parse_camt053_account_iban_in_othr_id_is_accepted():
    entry = '<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><NtryRef>A</NtryRef></Ntry>'
    iban_xml = "<Othr><Id>AT61 1904 3002 3457 3201</Id><SchmeNm><Prtry>IBAN</Prtry></SchmeNm></Othr>"
    (statement,) = parse_camt053(_v02_with(entry, iban_xml=iban_xml))
    assert statement.account_iban == ACCOUNT


def test_parse_camt053_othr_fixture_keeps_returns_reversals_and_outgoing_payments():
    (statement,) = parse_camt053(_fixture("camt053_v02_othr_returns.xml"))
    assert statement.account_iban == ACCOUNT
    assert [
        (
            e.entry_reference,
            e.amount,
            e.is_credit,
            e.is_reversal,
            e.return_reason,
            e.end_to_end_id,
            e.bank_transaction_code,
            e.is_return,
        )
        for e in statement.entries
    ] == [
        (
            "2026071000012345",
            Decimal("1200.00"),
            True,
            False,
            "",
            "ACME-2026-0711-77",
            "PMNT/RCDT/ESCT",
            False,
        ),
        (
            "2026071000012399",
            Decimal("1200.00"),
            False,
            True,
            "AC04",
            "ACME-2026-0711-77",
            "PMNT/RCDT/ESCT",
            True,
        ),
        ("2026071000012400", Decimal("300.00"), False, False, "FOCR", "KLEIN-44", "PMNT/ICDT/RRTN", True),
        ("2026071000012456", Decimal("850.00"), True, True, "AC04", "PAYOUT-16-3", "PMNT/ICDT/RRTN", False),
        ("2026071000012501/1", Decimal("1700.00"), False, False, "", "PAYOUT-17-1", "PMNT/ICDT/ESCT", False),
        ("2026071000012501/2", Decimal("1200.00"), False, False, "", "PAYOUT-17-2", "PMNT/ICDT/ESCT", False),
        ("2026071000012600", Decimal("19.50"), False, False, "", "", "ACMT/MDOP/CHRG", False),
    ]
    credit = statement.entries[0]
    # The payer's IBAN in DbtrAcct/Id/Othr/Id is read as well.
    assert (credit.debtor_name, credit.debtor_iban) == ("ACME Buehnenbau GmbH", "DE89370400440532013000")
    payout = statement.entries[4]
    assert (payout.creditor_name, payout.creditor_iban) == ("Maria Muster", "AT026000000001349870")


def test_build_camt053_writes_reversal_return_reason_and_othr_account():
    data = build_camt053(
        account_iban=ACCOUNT,
        statement_id="S-R",
        account_in_other_id=True,
        entries=[
            {
                "amount": Decimal("100.00"),
                "credit": False,
                "reversal": True,
                "return_reason": "MD06",
                "end_to_end_id": "E2E-9",
                "creditor_name": "Payee",
                "creditor_iban": "AT026000000001349870",
            }
        ],
    )
    assert b"<Othr>" in data
    (statement,) = parse_camt053(data)
    (entry,) = statement.entries
    assert (entry.is_credit, entry.is_reversal, entry.return_reason, entry.end_to_end_id) == (
        False,
        True,
        "MD06",
        "E2E-9",
    )
    assert (entry.creditor_name, entry.creditor_iban) == ("Payee", "AT026000000001349870")


def test_parse_camt053_error_in_last_entry_returns_nothing():
    good = '<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><NtryRef>A</NtryRef></Ntry>'
    bad = '<Ntry><Amt Ccy="EUR">5,00</Amt><CdtDbtInd>CRDT</CdtDbtInd><NtryRef>B</NtryRef></Ntry>'
    with pytest.raises(CamtError, match="Ntry #2"):
        parse_camt053(_v02_with(good + bad))


def test_parse_camt053_xxe_is_refused_and_not_expanded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    data = _v02_with(
        '<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><NtryRef>A</NtryRef>'
        "<AddtlNtryInf>&xxe;</AddtlNtryInf></Ntry>"
    ).replace(
        b"<Document",
        f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret}">]>\n<Document'.encode(),
    )
    with pytest.raises(CamtError, match="DOCTYPE") as excinfo:
        parse_camt053(data)
    assert "TOP-SECRET" not in str(excinfo.value)


def test_parse_camt053_entity_bomb_is_refused():
    bomb = b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    data = _v02_with("").replace(b"<Document", bomb + b"\n<Document")
    with pytest.raises(CamtError, match="DOCTYPE"):
        parse_camt053(data)


def test_camt_error_carries_message():
    with pytest.raises(CamtError) as excinfo:
        parse_camt053(b"<x/>")
    assert excinfo.value.message == str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


def test_parse_camt053_single_transaction_takes_booked_amount():
    # A USD payment converted by the bank: the account received 91.87 EUR, not 100.00 USD.
    entry = """<Ntry><Amt Ccy="EUR">91.87</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
      <AcctSvcrRef>FX-1</AcctSvcrRef>
      <NtryDtls><TxDtls>
        <AmtDtls>
          <InstdAmt><Amt Ccy="USD">100.00</Amt></InstdAmt><TxAmt><Amt Ccy="USD">100.00</Amt></TxAmt>
        </AmtDtls>
      </TxDtls></NtryDtls></Ntry>"""
    (parsed,) = parse_camt053(_v02_with(entry))[0].entries
    assert (parsed.amount, parsed.currency) == (Decimal("91.87"), "EUR")


def test_parse_camt053_single_transaction_amount_in_v08_takes_booked_amount():
    entry = """<Ntry><Amt Ccy="EUR">91.87</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
      <AcctSvcrRef>FX-2</AcctSvcrRef>
      <NtryDtls><TxDtls><Amt Ccy="USD">100.00</Amt></TxDtls></NtryDtls></Ntry>"""
    data = _v02_with(entry).replace(b"camt.053.001.02", b"camt.053.001.08")
    (parsed,) = parse_camt053(data)[0].entries
    assert (parsed.amount, parsed.currency) == (Decimal("91.87"), "EUR")
