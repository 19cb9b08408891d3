"""Bank import (issue 8): returned payments, reversals, invoice numbers written differently, Othr/Id."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from invoicing.bank import (
    _formatted_number_candidates,
    bank_entry_assign,
    bank_entry_book_return,
    bank_statement_import,
)
from invoicing.dunning import dunning_candidates, dunning_policy
from invoicing.lib.camt import build_camt053
from invoicing.models import BankEntry, Invoice, Payment
from projects.ledger import account_balance, account_get
from projects.models import Account, JournalEntry, JournalLine
from smartprod.core.errors import ApplicationError
from smartprod.core.models import NumberCounter
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project

FIXTURES = Path(__file__).resolve().parent.parent / "invoicing" / "tests" / "fixtures"
ISSUED_ON = date(2026, 6, 1)  # due 15 June 2026 (14 days' terms)
PAID_ON = date(2026, 7, 10)
RETURNED_ON = date(2026, 7, 14)
FORMAT = "{year}-{number:05d}"


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


def _invoice(coop, people, project, *, number=None, on=ISSUED_ON, net="1000.00"):
    """An issued invoice of net + 20 % VAT (1000.00 → 1200.00), numbered `number` of its year if given."""
    if number is not None:
        NumberCounter.objects.update_or_create(
            cooperative=coop, series=Invoice.Kind.INVOICE, year=on.year, defaults={"last_number": number - 1}
        )
    invoice = issued(coop, people.owner, people.advisor, project, ("Stage design", "1", net, "20"), on=on)
    if number is not None:
        assert invoice.number == f"{on.year}-{number:05d}"
    return invoice


def _import(coop, people, data):
    return bank_statement_import(cooperative=coop, actor=people.finance, data=data, file_name="auszug.xml")


def _file(coop, *entries, statement_id="S-1", booked=PAID_ON):
    return build_camt053(
        account_iban=coop.iban,
        statement_id=statement_id,
        entries=[{"booking_date": booked, **entry} for entry in entries],
    )


def _fresh(invoice):
    return Invoice.objects.for_cooperative(invoice.cooperative).get(pk=invoice.pk)


def _entry(coop, reference):
    return BankEntry.objects.for_cooperative(coop).get(entry_reference=reference)


def _bank(coop):
    return account_balance(cooperative=coop, account=account_get(cooperative=coop, type=Account.Type.BANK))


def _receivable(coop, invoice):
    account = account_get(cooperative=coop, type=Account.Type.RECEIVABLE, client=invoice.client)
    return account_balance(cooperative=coop, account=account)


# --- point 2: a returned payment reverses the payment and reopens the invoice ---------------------------


def test_returned_payment_is_reversed_and_reopens_the_invoice(coop, people, project):
    invoice = _invoice(coop, people, project)
    credit = {
        "amount": Decimal("1200.00"),
        "structured_reference": invoice.rf_reference,
        "end_to_end_id": "ACME-77",
        "debtor_iban": "DE89370400440532013000",
        "reference": "C1",
    }
    _import(coop, people, _file(coop, credit))
    payment = Payment.objects.for_cooperative(coop).get(invoice=invoice)
    assert _fresh(invoice).status == Invoice.Status.PAID
    paid_entry = JournalEntry.objects.for_cooperative(coop).get(pk=payment.journal_entry_id)
    paid_lines = list(
        JournalLine.objects.for_cooperative(coop)
        .filter(entry=paid_entry)
        .values_list("pk", "debit", "credit")
    )

    returned = _import(
        coop,
        people,
        _file(
            coop,
            {**credit, "credit": False, "reversal": True, "return_reason": "AC04", "reference": "R1"},
            statement_id="S-2",
            booked=RETURNED_ON,
        ),
    )

    assert [e.entry_reference for e in returned.returned] == ["R1"]
    assert (returned.matched, returned.unmatched, returned.outgoing) == ([], [], [])
    fresh = _fresh(invoice)
    assert (fresh.status, fresh.paid_total, fresh.open_amount) == (
        Invoice.Status.ISSUED,
        Decimal("0.00"),
        Decimal("1200.00"),
    )
    payment.refresh_from_db()
    assert (payment.returned_on, payment.returned_by_id) == (RETURNED_ON, _entry(coop, "R1").pk)
    reversal = JournalEntry.objects.for_cooperative(coop).get(pk=payment.return_journal_entry_id)
    assert (reversal.reverses_id, reversal.date) == (paid_entry.pk, RETURNED_ON)
    # The posted entry is untouched; the reversal mirrors it.
    assert (
        list(
            JournalLine.objects.for_cooperative(coop)
            .filter(entry=paid_entry)
            .values_list("pk", "debit", "credit")
        )
        == paid_lines
    )
    assert sorted(
        JournalLine.objects.for_cooperative(coop)
        .filter(entry=reversal)
        .values_list("account__type", "debit", "credit")
    ) == [
        (Account.Type.BANK, Decimal("0.00"), Decimal("1200.00")),
        (Account.Type.RECEIVABLE, Decimal("1200.00"), Decimal("0.00")),
    ]
    assert _bank(coop) == Decimal("0.00")
    assert _receivable(coop, invoice) == Decimal("1200.00")
    # Finance sees both entries with their own status; the return names the invoice.
    assert (_entry(coop, "R1").status, _entry(coop, "R1").invoice_id) == (BankEntry.Status.RETURN, invoice.pk)
    assert _entry(coop, "C1").status == BankEntry.Status.RETURNED
    # Dunning resumes: the invoice is a candidate again once overdue.
    levels = dunning_policy(cooperative=coop)
    assert list(
        dunning_candidates(cooperative=coop, levels=levels, as_of=date(2026, 7, 20)).values_list(
            "pk", flat=True
        )
    ) == [invoice.pk]


def test_member_sees_the_returned_payment_on_the_invoice_page(coop, people, project, client_for):
    invoice = _invoice(coop, people, project)
    credit = {"amount": Decimal("1200.00"), "structured_reference": invoice.rf_reference, "reference": "C1"}
    _import(coop, people, _file(coop, credit))
    back = {**credit, "credit": False, "reversal": True, "reference": "R1"}
    _import(coop, people, _file(coop, back, statement_id="S-2", booked=RETURNED_ON))

    html = client_for(people.owner).get(f"/invoices/{invoice.pk}/").content.decode()

    payment = Payment.objects.for_cooperative(coop).get(invoice=invoice)
    row = html.split(f'data-payment="{payment.pk}"')[1].split("</tr>")[0]
    assert "returned by the bank on" in row


def test_return_imported_again_reverses_once(coop, people, project):
    invoice = _invoice(coop, people, project)
    credit = {"amount": Decimal("1200.00"), "structured_reference": invoice.rf_reference, "reference": "C1"}
    _import(coop, people, _file(coop, credit))
    back = _file(
        coop,
        {**credit, "credit": False, "reversal": True, "reference": "R1"},
        statement_id="S-2",
        booked=RETURNED_ON,
    )
    _import(coop, people, back)
    journal = JournalEntry.objects.for_cooperative(coop).count()

    again = _import(coop, people, back)

    assert (again.returned, again.duplicates) == ([], 1)
    assert JournalEntry.objects.for_cooperative(coop).count() == journal
    assert _fresh(invoice).paid_total == Decimal("0.00")


def test_return_with_reason_code_but_no_reversal_flag_reverses_the_payment(coop, people, project):
    invoice = _invoice(coop, people, project)
    _import(
        coop,
        people,
        _file(
            coop,
            {"amount": Decimal("500.00"), "structured_reference": invoice.rf_reference, "reference": "C1"},
        ),
    )
    assert _fresh(invoice).status == Invoice.Status.PARTIALLY_PAID

    result = _import(
        coop,
        people,
        _file(
            coop,
            {
                "amount": Decimal("500.00"),
                "credit": False,
                "return_reason": "MD06",
                "structured_reference": invoice.rf_reference,
                "reference": "R1",
            },
            statement_id="S-2",
            booked=RETURNED_ON,
        ),
    )

    assert [e.entry_reference for e in result.returned] == ["R1"]
    assert (_fresh(invoice).status, _fresh(invoice).open_amount) == (
        Invoice.Status.ISSUED,
        Decimal("1200.00"),
    )


def test_return_naming_no_booked_payment_waits_for_finance(coop, people, project):
    invoice = _invoice(coop, people, project)
    _import(
        coop,
        people,
        _file(
            coop,
            {"amount": Decimal("1200.00"), "structured_reference": invoice.rf_reference, "reference": "C1"},
        ),
    )

    # Same reference but another amount: not this payment's return.
    result = _import(
        coop,
        people,
        _file(
            coop,
            {
                "amount": Decimal("1000.00"),
                "credit": False,
                "reversal": True,
                "structured_reference": invoice.rf_reference,
                "reference": "R1",
            },
            statement_id="S-2",
            booked=RETURNED_ON,
        ),
    )

    assert [e.entry_reference for e in result.unmatched] == ["R1"]
    assert _entry(coop, "R1").status == BankEntry.Status.UNMATCHED
    assert _fresh(invoice).status == Invoice.Status.PAID


# --- point 3: a reversed outgoing transfer is never a client payment -----------------------------------


def test_reversal_credit_naming_an_invoice_is_not_booked(coop, people, project):
    invoice = _invoice(coop, people, project)
    data = _file(
        coop,
        {
            "amount": Decimal("1200.00"),
            "reversal": True,
            "return_reason": "AC04",
            "remittance": f"Honorar {invoice.number}",
            "structured_reference": invoice.rf_reference,
            "reference": "V1",
        },
    )

    result = _import(coop, people, data)

    assert result.matched == []
    assert [e.entry_reference for e in result.unmatched] == ["V1"]
    assert Payment.objects.for_cooperative(coop).count() == 0
    assert _fresh(invoice).status == Invoice.Status.ISSUED
    with pytest.raises(ApplicationError, match="reversal"):
        bank_entry_assign(cooperative=coop, actor=people.finance, entry=_entry(coop, "V1"), invoice=invoice)
    assert Payment.objects.for_cooperative(coop).count() == 0


# --- point 5 (and 2, 3, 4 together): a real layout with Othr/Id accounts, returns and outgoing payments --


def test_statement_with_othr_id_account_books_returns_and_keeps_outgoing_payments(coop, people, project):
    paid = _invoice(coop, people, project, number=9)
    named_by_reversal = _invoice(coop, people, project, number=10)

    result = _import(coop, people, (FIXTURES / "camt053_v02_othr_returns.xml").read_bytes())

    assert result.statement.account_iban == "AT611904300234573201"
    # The credit "RE-NR 202600009" was booked to 2026-00009 — and its return in the same file reversed it.
    assert [e.entry_reference for e in result.matched] == ["2026071000012345"]
    assert [e.entry_reference for e in result.returned] == ["2026071000012399"]
    assert _entry(coop, "2026071000012345").status == BankEntry.Status.RETURNED
    assert (_fresh(paid).status, _fresh(paid).open_amount) == (Invoice.Status.ISSUED, Decimal("1200.00"))
    # The bounced payout naming 2026-00010 and the recall without a booked payment wait for a person.
    assert [e.entry_reference for e in result.unmatched] == ["2026071000012400", "2026071000012456"]
    assert _fresh(named_by_reversal).status == Invoice.Status.ISSUED
    # Outgoing payments are kept with what payout confirmation needs.
    assert [
        (e.entry_reference, e.amount, e.end_to_end_id, e.creditor_iban, e.status) for e in result.outgoing
    ] == [
        ("2026071000012501/1", Decimal("1700.00"), "PAYOUT-17-1", "AT026000000001349870", "outgoing"),
        ("2026071000012501/2", Decimal("1200.00"), "PAYOUT-17-2", "DE75512108001245126199", "outgoing"),
        ("2026071000012600", Decimal("19.50"), "", "", "outgoing"),
    ]
    stored = _entry(coop, "2026071000012456")
    assert (stored.is_credit, stored.is_reversal, stored.return_reason, stored.end_to_end_id) == (
        True,
        True,
        "AC04",
        "PAYOUT-16-3",
    )
    assert _bank(coop) == Decimal("0.00")  # 1200 in, 1200 back; nothing else is a client payment


# --- point 4: invoice numbers written differently ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RE-NR 202600009", {"2026-00009"}),
        ("Rg. 2026/00009", {"2026-00009"}),
        ("Rechnung 2026 00009 danke", {"2026-00009"}),
        ("rg.nr.2026.00009", {"2026-00009"}),
        ("2026-00041/2026-00042", {"2026-00041", "2026-00042"}),
        # Another year stays another year.
        ("Rg. 2025/00009", {"2025-00009"}),
        # A longer digit run that merely contains the digits is not the number.
        ("Kundennummer 1202600009", {"1202-600009"}),  # read whole: another number, never 2026-00009
        ("2026000009", set()),
        ("20260000900", set()),
        # Split where the format has no separator (an IBAN's groups): not the number.
        ("IBAN AT12 2026 0000 9123", set()),
        ("Konto 2026 0000 9", set()),
        ("X2026-00009", set()),
        ("Datum 2026-07-10", set()),
    ],
)
def test_formatted_number_candidates_compare_letters_and_digits_against_the_format(text, expected):
    assert _formatted_number_candidates(text, FORMAT) == expected


def test_formatted_number_candidates_keep_the_formats_letters():
    assert _formatted_number_candidates("Zahlung RE 2026 0042", "RE-{year}-{number:04d}") == {"RE-2026-0042"}
    assert _formatted_number_candidates("Zahlung 2026 0042", "RE-{year}-{number:04d}") == set()


@pytest.mark.parametrize("text", ["RE-NR 202600009", "Rg. 2026/00009", "Re 2026 00009"])
def test_import_matches_invoice_number_written_differently(coop, people, project, text):
    invoice = _invoice(coop, people, project, number=9)

    result = _import(coop, people, _file(coop, {"amount": Decimal("1200.00"), "remittance": text}))

    (entry,) = result.matched
    assert entry.invoice_id == invoice.pk
    assert _fresh(invoice).status == Invoice.Status.PAID


def test_import_never_matches_the_same_number_of_another_year(coop, people, project):
    old = _invoice(coop, people, project, number=9, on=date(2025, 11, 3))
    new = _invoice(coop, people, project, number=9)
    assert (old.number, new.number) == ("2025-00009", "2026-00009")

    result = _import(
        coop,
        people,
        _file(
            coop,
            {"amount": Decimal("1200.00"), "remittance": "Rg. 2025/00009", "reference": "A"},
            {"amount": Decimal("1200.00"), "remittance": "Kunde 1202600009", "reference": "B"},
        ),
    )

    assert [(e.entry_reference, e.invoice_id) for e in result.matched] == [("A", old.pk)]
    assert [e.entry_reference for e in result.unmatched] == ["B"]
    assert (_fresh(old).status, _fresh(new).status) == (Invoice.Status.PAID, Invoice.Status.ISSUED)


# --- finance's screens: returns are listed with their own status and filter; a return is booked by hand --


def test_admin_lists_returns_and_books_an_unmatched_return_by_hand(coop, people, project, client_for):
    invoice = _invoice(coop, people, project)
    paid = {"amount": Decimal("1200.00"), "structured_reference": invoice.rf_reference, "reference": "C1"}
    auto = _invoice(coop, people, project)
    auto_paid = {
        "amount": Decimal("1200.00"),
        "structured_reference": auto.rf_reference,
        "end_to_end_id": "E2E-AUTO",
        "reference": "C2",
    }
    _import(coop, people, _file(coop, paid, auto_paid))
    client = client_for(people.finance)
    # One return the import books itself (same EndToEndId), one without any reference: finance decides.
    data = _file(
        coop,
        {**auto_paid, "credit": False, "reversal": True, "reference": "R2"},
        {"amount": Decimal("1200.00"), "credit": False, "return_reason": "AC04", "reference": "R1"},
        statement_id="S-2",
        booked=RETURNED_ON,
    )

    response = client.post(
        "/admin/invoicing/bankstatement/import/",
        {"file": SimpleUploadedFile("stmt.xml", data, content_type="application/xml")},
        follow=True,
    )

    html = response.content.decode()
    assert "1 returned payment(s) reversed; their invoices are open again." in html
    assert auto.number in html.split('<table id="returned">')[1].split("</table>")[0]
    returns = client.get("/admin/invoicing/bankentry/", {"state": "returns"}).content.decode()
    r1, r2 = _entry(coop, "R1"), _entry(coop, "R2")
    assert f'value="{r1.pk}"' in returns and f'value="{r2.pk}"' in returns
    assert f'value="{_entry(coop, "C1").pk}"' not in returns
    waiting = client.get("/admin/invoicing/bankentry/").content.decode()
    assert f'value="{r1.pk}"' in waiting and f'value="{r2.pk}"' not in waiting

    form = client.post("/admin/invoicing/bankentry/", {"action": "book_return", "_selected_action": [r1.pk]})
    assert invoice.number in form.content.decode()
    client.post(
        "/admin/invoicing/bankentry/",
        {"action": "book_return", "_selected_action": [r1.pk], "apply": "1", "invoice": invoice.pk},
    )

    r1.refresh_from_db()
    assert (r1.status, r1.invoice_id) == (BankEntry.Status.RETURN, invoice.pk)
    assert (_fresh(invoice).status, _fresh(invoice).open_amount) == (
        Invoice.Status.ISSUED,
        Decimal("1200.00"),
    )
    assert (_fresh(auto).status, _entry(coop, "C2").status) == (
        Invoice.Status.ISSUED,
        BankEntry.Status.RETURNED,
    )
    # Booking it again is refused: the entry is no longer waiting.
    with pytest.raises(ApplicationError):
        bank_entry_book_return(cooperative=coop, actor=people.finance, entry=r1, invoice=invoice)


# --- the kernel's bank-entry matchers: what invoicing does not book, another app may ---------------------


def test_entries_invoicing_does_not_book_are_offered_to_registered_matchers(
    coop, people, project, monkeypatch
):
    """A payouts-like matcher (registered in the kernel, importing nothing of invoicing) confirms outgoing
    transfers and a bounced one by EndToEndId; invoicing's own booking is unchanged; a re-import books
    nothing twice."""
    from smartprod.core import registry

    seen = []

    def payouts(*, cooperative, actor, entry, on):
        seen.append((entry.entry_reference, entry.is_credit, entry.is_reversal, entry.end_to_end_id, on))
        if entry.end_to_end_id.startswith("PAYOUT-"):
            return f"payout {entry.end_to_end_id} {'returned' if entry.is_credit else 'paid'}"
        return None

    matchers: registry.Registry[Any] = registry.Registry("bank entry matchers")
    matchers.register(payouts)
    monkeypatch.setattr("invoicing.bank.bank_entry_matchers", matchers)
    _invoice(coop, people, project, number=9)

    data = (FIXTURES / "camt053_v02_othr_returns.xml").read_bytes()
    result = _import(coop, people, data)

    assert sorted((e.entry_reference, e.booked_as) for e in result.elsewhere) == [
        ("2026071000012456", "payout PAYOUT-16-3 returned"),
        ("2026071000012501/1", "payout PAYOUT-17-1 paid"),
        ("2026071000012501/2", "payout PAYOUT-17-2 paid"),
    ]
    assert _entry(coop, "2026071000012501/1").status == BankEntry.Status.BOOKED_ELSEWHERE
    # The account fee nobody claims stays an outgoing payment; the bounced entry naming an invoice waits.
    assert [e.entry_reference for e in result.outgoing] == ["2026071000012600"]
    assert [e.entry_reference for e in result.unmatched] == ["2026071000012400"]
    # Client payments are never offered: invoicing booked its credit (and its return) itself.
    assert [e.entry_reference for e in result.matched] == ["2026071000012345"]
    assert "2026071000012345" not in {reference for reference, *_ in seen}

    again = _import(coop, people, data)
    assert again.elsewhere == [] and again.duplicates == 7  # every entry of the file
