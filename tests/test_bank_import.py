"""Bank statement import (camt.053): matching, booking once, refusing what is not ours or not readable."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection

from invoicing.bank import bank_entry_assign, bank_entry_ignore, bank_statement_import
from invoicing.lib.camt import build_camt053
from invoicing.lib.rf import rf_format
from invoicing.models import BankEntry, BankStatement, Invoice, Payment
from projects.models import JournalEntry
from smartprod.core.errors import ApplicationError
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project

ISSUED_ON = date(2026, 9, 1)
BOOKED_ON = date(2026, 9, 10)


@pytest.fixture
def people(coop, make_member):
    return SimpleNamespace(
        owner=make_member(coop),
        advisor=make_member(coop, "advisor"),
        finance=make_member(coop, "finance"),
    )


@pytest.fixture
def project(coop, people):
    return approved_project(coop, people.owner, people.advisor)


def _invoice(coop, people, project, net="1000.00"):
    """An issued invoice of net + 20 % VAT (1000.00 → 1200.00 gross)."""
    return issued(coop, people.owner, people.advisor, project, ("Stage design", "1", net, "20"), on=ISSUED_ON)


def _file(coop, *entries, statement_id="S-1", iban=None):
    return build_camt053(
        account_iban=iban or coop.iban,
        statement_id=statement_id,
        entries=[{"booking_date": BOOKED_ON, **entry} for entry in entries],
    )


def _import(coop, people, data):
    return bank_statement_import(cooperative=coop, actor=people.finance, data=data, file_name="auszug.xml")


def _fresh(invoice):
    return Invoice.objects.for_cooperative(invoice.cooperative).get(pk=invoice.pk)


def _counts(coop):
    return (
        BankStatement.objects.for_cooperative(coop).count(),
        BankEntry.objects.for_cooperative(coop).count(),
        Payment.objects.for_cooperative(coop).count(),
        JournalEntry.objects.for_cooperative(coop).count(),
    )


def test_import_matches_structured_rf_reference_and_books_payment(coop, people, project):
    invoice = _invoice(coop, people, project)
    journal_before = JournalEntry.objects.for_cooperative(coop).count()

    result = _import(
        coop,
        people,
        _file(
            coop,
            {"amount": Decimal("1200.00"), "structured_reference": invoice.rf_reference, "reference": "B1"},
        ),
    )

    (entry,) = result.matched
    assert (result.unmatched, result.outgoing, result.duplicates) == ([], [], 0)
    assert entry.status == BankEntry.Status.MATCHED
    assert entry.invoice_id == invoice.pk
    payment = Payment.objects.for_cooperative(coop).get(bank_entry=entry)
    assert (payment.invoice_id, payment.amount, payment.date) == (invoice.pk, Decimal("1200.00"), BOOKED_ON)
    assert payment.source == Payment.Source.BANK
    assert payment.recorded_by_id == people.finance.user_id
    assert _fresh(invoice).status == Invoice.Status.PAID
    assert JournalEntry.objects.for_cooperative(coop).count() == journal_before + 1
    assert result.statement.account_iban == coop.iban
    assert result.statement.imported_by_id == people.finance.user_id


def test_import_matches_rf_reference_in_remittance_text(coop, people, project):
    invoice = _invoice(coop, people, project)
    text = f"Rechnung bezahlt, Referenz {rf_format(invoice.rf_reference)} danke"

    result = _import(coop, people, _file(coop, {"amount": Decimal("1200.00"), "remittance": text}))

    (entry,) = result.matched
    assert entry.invoice_id == invoice.pk
    assert _fresh(invoice).status == Invoice.Status.PAID


def test_import_matches_invoice_number_in_remittance_text(coop, people, project):
    _invoice(coop, people, project)
    second = _invoice(coop, people, project, net="500.00")
    assert second.number == "2026-00002"

    result = _import(
        coop,
        people,
        _file(coop, {"amount": Decimal("600.00"), "remittance": "RE-Nr. 2026-00002, vielen Dank"}),
    )

    (entry,) = result.matched
    assert entry.invoice_id == second.pk
    assert _fresh(second).status == Invoice.Status.PAID


def test_import_lists_unmatched_credits_and_keeps_debits_as_outgoing(coop, people, project):
    invoice = _invoice(coop, people, project)  # number 2026-00001
    data = _file(
        coop,
        {"amount": Decimal("1200.00"), "remittance": "Honorar Juli", "reference": "U1"},
        # The number only as part of a longer word or number: no word-boundary match.
        {
            "amount": Decimal("1200.00"),
            "remittance": "Auftrag X2026-00001 und 2026-000017",
            "reference": "U2",
        },
        {"amount": Decimal("80.00"), "credit": False, "remittance": "Kontoführung", "reference": "D1"},
    )

    result = _import(coop, people, data)

    assert result.matched == []
    assert [e.entry_reference for e in result.unmatched] == ["U1", "U2"]
    assert all(e.status == BankEntry.Status.UNMATCHED for e in result.unmatched)
    assert [e.entry_reference for e in result.outgoing] == ["D1"]
    assert result.outgoing[0].status == BankEntry.Status.OUTGOING
    assert Payment.objects.for_cooperative(coop).count() == 0
    assert _fresh(invoice).status == Invoice.Status.ISSUED


def test_import_leaves_ambiguous_and_foreign_currency_credits_unmatched(coop, people, project):
    first = _invoice(coop, people, project)
    _invoice(coop, people, project)
    data = _file(
        coop,
        {"amount": Decimal("2400.00"), "remittance": "2026-00001/2026-00002", "reference": "A1"},
        {
            "amount": Decimal("1200.00"),
            "structured_reference": first.rf_reference,
            "currency": "CHF",
            "reference": "C1",
        },
    )

    result = _import(coop, people, data)

    assert result.matched == []
    assert [e.entry_reference for e in result.unmatched] == ["A1", "C1"]


def test_reimporting_the_same_file_books_nothing_twice(coop, people, project):
    first = _invoice(coop, people, project)
    second = _invoice(coop, people, project)
    data = _file(
        coop,
        {"amount": Decimal("1200.00"), "structured_reference": first.rf_reference, "reference": "R1"},
        {"amount": Decimal("200.00"), "structured_reference": second.rf_reference, "reference": "R2"},
        {"amount": Decimal("9.99"), "remittance": "unknown", "reference": "R3"},
    )
    first_import = _import(coop, people, data)
    statements, entries, payments, journal = _counts(coop)

    again = _import(coop, people, data)

    assert (again.matched, again.unmatched, again.outgoing, again.duplicates) == ([], [], [], 3)
    # Issue 11, finding 9: no empty statement row; the answer names the statement that holds the entries.
    assert _counts(coop) == (statements, entries, payments, journal)
    assert again.statement == first_import.statement
    assert _fresh(second).paid_total == Decimal("200.00")


def test_partial_payment_then_rest_pays_the_invoice(coop, people, project):
    invoice = _invoice(coop, people, project)
    ref = invoice.rf_reference

    _import(
        coop,
        people,
        _file(coop, {"amount": Decimal("500.00"), "structured_reference": ref, "reference": "P1"}),
    )
    partly = _fresh(invoice)
    assert (partly.status, partly.paid_total, partly.open_amount) == (
        Invoice.Status.PARTIALLY_PAID,
        Decimal("500.00"),
        Decimal("700.00"),
    )

    _import(
        coop,
        people,
        _file(
            coop,
            {"amount": Decimal("700.00"), "structured_reference": ref, "reference": "P2"},
            statement_id="S-2",
        ),
    )
    paid = _fresh(invoice)
    assert (paid.status, paid.paid_total, paid.open_amount) == (Invoice.Status.PAID, Decimal("1200.00"), 0)


def _without_amount(data: bytes) -> bytes:
    text = data.decode()
    start = text.index("<Ntry>")
    amount_start = text.index("<Amt", start)
    amount_end = text.index("</Amt>", amount_start) + len("</Amt>")
    return (text[:amount_start] + text[amount_end:]).encode()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda coop: b"this is not a bank statement", "Not a well-formed XML document"),
        (
            lambda coop: _file(coop, {"amount": Decimal("1.00")}).replace(
                b"camt.053.001.02", b"camt.052.001.02"
            ),
            "expected Document in a urn:iso:std:iso:20022:tech:xsd:camt.053.001.xx namespace",
        ),
        (lambda coop: _without_amount(_file(coop, {"amount": Decimal("1.00")})), "element Amt is missing"),
    ],
    ids=["garbage", "wrong-namespace", "missing-amount"],
)
def test_malformed_file_is_refused_with_reason_and_nothing_stored(coop, people, project, make, reason):
    _invoice(coop, people, project)
    before = _counts(coop)

    with pytest.raises(ApplicationError) as error:
        _import(coop, people, make(coop))

    assert reason in error.value.message
    assert error.value.message.startswith("The bank statement cannot be read:")
    assert _counts(coop) == before


def test_statement_of_another_account_is_refused(coop, other_coop, people, project):
    invoice = _invoice(coop, people, project)
    before = _counts(coop)
    data = _file(
        coop,
        {"amount": Decimal("1200.00"), "structured_reference": invoice.rf_reference},
        iban=other_coop.iban,
    )

    with pytest.raises(ApplicationError) as error:
        _import(coop, people, data)

    assert other_coop.iban in error.value.message
    assert "not of this cooperative's account" in error.value.message
    assert _counts(coop) == before
    assert _fresh(invoice).status == Invoice.Status.ISSUED


@pytest.mark.parametrize("role", ["member", "advisor"])
def test_import_by_non_finance_is_refused(coop, people, project, role):
    invoice = _invoice(coop, people, project)
    someone = people.owner if role == "member" else people.advisor
    before = _counts(coop)

    with pytest.raises(ApplicationError, match="Only finance staff"):
        bank_statement_import(
            cooperative=coop,
            actor=someone,
            data=_file(coop, {"amount": Decimal("1200.00"), "structured_reference": invoice.rf_reference}),
        )

    assert _counts(coop) == before


def test_unmatched_credit_is_assigned_by_hand_once(coop, people, project):
    invoice = _invoice(coop, people, project)
    result = _import(coop, people, _file(coop, {"amount": Decimal("1200.00"), "remittance": "for the stage"}))
    (entry,) = result.unmatched

    payment = bank_entry_assign(cooperative=coop, actor=people.finance, entry=entry, invoice=invoice)

    entry.refresh_from_db()
    assert (entry.status, entry.invoice_id) == (BankEntry.Status.ASSIGNED, invoice.pk)
    assert (payment.amount, payment.bank_entry_id, payment.source) == (
        Decimal("1200.00"),
        entry.pk,
        Payment.Source.BANK,
    )
    assert _fresh(invoice).status == Invoice.Status.PAID
    with pytest.raises(ApplicationError, match="Only unmatched incoming payments"):
        bank_entry_assign(cooperative=coop, actor=people.finance, entry=entry, invoice=invoice)
    assert Payment.objects.for_cooperative(coop).count() == 1


def test_unmatched_credit_is_set_aside_without_booking(coop, people, project):
    _invoice(coop, people, project)
    (entry,) = _import(
        coop, people, _file(coop, {"amount": Decimal("50.00"), "remittance": "refund"})
    ).unmatched
    journal = JournalEntry.objects.for_cooperative(coop).count()

    bank_entry_ignore(cooperative=coop, actor=people.finance, entry=entry, reason="Refund of a deposit")

    entry.refresh_from_db()
    assert entry.status == BankEntry.Status.IGNORED
    assert JournalEntry.objects.for_cooperative(coop).count() == journal
    with pytest.raises(ApplicationError):
        bank_entry_ignore(cooperative=coop, actor=people.finance, entry=entry)


def test_assigning_another_cooperatives_entry_is_not_found(coop, other_coop, people, project, make_member):
    invoice = _invoice(coop, people, project)
    (entry,) = _import(coop, people, _file(coop, {"amount": Decimal("5.00"), "remittance": "?"})).unmatched
    foreign_finance = make_member(other_coop, "finance")

    with pytest.raises(BankEntry.DoesNotExist):
        bank_entry_assign(cooperative=other_coop, actor=foreign_finance, entry=entry, invoice=invoice)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_of_the_same_file_book_each_payment_once(coop, people, project):
    invoices = [_invoice(coop, people, project, net=f"{100 * n}.00") for n in range(1, 6)]
    data = _file(
        coop,
        *(
            {
                "amount": invoice.gross_total,
                "structured_reference": invoice.rf_reference,
                "reference": f"C{n}",
            }
            for n, invoice in enumerate(invoices)
        ),
        {"amount": Decimal("1.00"), "remittance": "unknown", "reference": "X"},
    )
    journal_before = JournalEntry.objects.for_cooperative(coop).count()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(_import(coop, people, data))
        except Exception as exc:  # surfaced by the asserts below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(results) == 2
    assert sorted(len(r.matched) for r in results) == [0, 5]
    assert sorted(r.duplicates for r in results) == [0, 6]
    assert BankEntry.objects.for_cooperative(coop).count() == 6
    for invoice in invoices:
        assert Payment.objects.for_cooperative(coop).filter(invoice=invoice).count() == 1
        assert _fresh(invoice).status == Invoice.Status.PAID
    assert JournalEntry.objects.for_cooperative(coop).count() == journal_before + 5
