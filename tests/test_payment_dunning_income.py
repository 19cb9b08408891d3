"""Issue 8, point 10: dunning costs and interest a client pays go to dunning income (§ 1416 ABGB)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from invoicing import services
from invoicing.bank import bank_statement_import
from invoicing.dunning import open_principal_changes
from invoicing.lib.camt import build_camt053
from invoicing.models import DunningNotice, Invoice, Payment
from projects.ledger import account_balance, account_get
from projects.models import Account, JournalEntry, JournalLine
from smartprod.core.errors import ApplicationError
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project

ISSUED_ON = date(2026, 6, 1)  # due 15 June 2026
PAID_ON = date(2026, 8, 20)


@pytest.fixture
def people(coop, make_member):
    return SimpleNamespace(
        owner=make_member(coop),
        advisor=make_member(coop, "advisor"),
        finance=make_member(coop, "finance"),
    )


@pytest.fixture
def invoice(coop, people):
    project = approved_project(coop, people.owner, people.advisor)
    return issued(
        coop, people.owner, people.advisor, project, ("Stage design", "1", "1000.00", "20"), on=ISSUED_ON
    )


def _notice(coop, invoice, *, level, fee="0.00", interest="0.00", flat_fee="0.00", sent=True):
    """A letter as the dunning run leaves it: its claim stored, sent (or not) to the client."""
    fee, interest, flat_fee = Decimal(fee), Decimal(interest), Decimal(flat_fee)
    return DunningNotice.objects.create(
        cooperative=coop,
        invoice=invoice,
        level=level,
        as_of=date(2026, 7, 10),
        open_principal=invoice.open_amount,
        fee=fee,
        interest=interest,
        flat_fee=flat_fee,
        total_claimed=invoice.open_amount + fee + interest + flat_fee,
        sent_at=timezone.now() if sent else None,
    )


def _pay(coop, people, invoice, amount, **kwargs):
    return services.payment_record(
        cooperative=coop,
        actor=people.finance,
        invoice=invoice,
        amount=Decimal(amount),
        date=PAID_ON,
        **kwargs,
    )


def _balance(coop, type, **kwargs):
    return account_balance(cooperative=coop, account=account_get(cooperative=coop, type=type, **kwargs))


def _fresh(invoice):
    return Invoice.objects.for_cooperative(invoice.cooperative).get(pk=invoice.pk)


def _lines(coop, entry_id):
    return sorted(
        JournalLine.objects.for_cooperative(coop)
        .filter(entry_id=entry_id)
        .values_list("account__type", "debit", "credit")
    )


def test_fee_paid_with_the_invoice_goes_to_dunning_income_not_client_credit(coop, people, invoice):
    _notice(coop, invoice, level=2, fee="10.00")

    payment = _pay(coop, people, invoice, "1210.00")

    assert (payment.amount, payment.fees_paid, payment.interest_paid, payment.principal) == (
        Decimal("1210.00"),
        Decimal("10.00"),
        Decimal("0.00"),
        Decimal("1200.00"),
    )
    assert _lines(coop, payment.journal_entry_id) == [
        (Account.Type.BANK, Decimal("1210.00"), Decimal("0.00")),
        (Account.Type.DUNNING_INCOME, Decimal("0.00"), Decimal("10.00")),
        (Account.Type.RECEIVABLE, Decimal("0.00"), Decimal("1200.00")),
    ]
    fresh = _fresh(invoice)
    assert (fresh.status, fresh.paid_total, fresh.open_amount) == (
        Invoice.Status.PAID,
        Decimal("1200.00"),
        Decimal("0.00"),
    )
    # Nothing is left as the client's credit on receivables; the fee is income.
    assert _balance(coop, Account.Type.RECEIVABLE, client=invoice.client) == Decimal("0.00")
    assert _balance(coop, Account.Type.DUNNING_INCOME) == Decimal("-10.00")
    assert services.dunning_charges_open(invoice=fresh) == services.DunningCharges(
        Decimal("0.00"), Decimal("0.00")
    )


def test_partial_payments_pay_costs_then_interest_then_the_invoice(coop, people, invoice):
    # The final notice claims a 15.00 fee, 12.34 interest and the 40.00 flat fee (§ 458 UGB).
    _notice(coop, invoice, level=2, fee="10.00")
    _notice(coop, invoice, level=3, fee="15.00", interest="12.34", flat_fee="40.00")

    first = _pay(coop, people, invoice, "60.00")
    second = _pay(coop, people, invoice, "100.00")
    third = _pay(coop, people, invoice, "1107.34")

    assert [(p.fees_paid, p.interest_paid, p.principal) for p in (first, second, third)] == [
        (Decimal("55.00"), Decimal("5.00"), Decimal("0.00")),
        (Decimal("0.00"), Decimal("7.34"), Decimal("92.66")),
        (Decimal("0.00"), Decimal("0.00"), Decimal("1107.34")),
    ]
    assert _lines(coop, first.journal_entry_id) == [
        (Account.Type.BANK, Decimal("60.00"), Decimal("0.00")),
        (Account.Type.DUNNING_INCOME, Decimal("0.00"), Decimal("60.00")),
    ]
    assert (_fresh(invoice).status, _fresh(invoice).open_amount) == (Invoice.Status.PAID, Decimal("0.00"))
    assert _balance(coop, Account.Type.DUNNING_INCOME) == Decimal("-67.34")
    assert _balance(coop, Account.Type.RECEIVABLE, client=invoice.client) == Decimal("0.00")


def test_paying_only_the_invoice_amount_leaves_the_fee_paid_and_principal_open(coop, people, invoice):
    # § 1416 ABGB: an undedicated payment settles the accessory claims first.
    _notice(coop, invoice, level=2, fee="10.00")

    payment = _pay(coop, people, invoice, "1200.00")

    assert (payment.fees_paid, payment.principal) == (Decimal("10.00"), Decimal("1190.00"))
    fresh = _fresh(invoice)
    assert (fresh.status, fresh.open_amount) == (Invoice.Status.PARTIALLY_PAID, Decimal("10.00"))
    # Default interest runs on the principal only.
    assert open_principal_changes(invoice=fresh, as_of=PAID_ON) == [
        (date(2026, 6, 15), Decimal("1200.00")),
        (PAID_ON, Decimal("10.00")),
    ]


def test_unsent_letter_claims_nothing_yet(coop, people, invoice):
    _notice(coop, invoice, level=2, fee="10.00", sent=False)

    payment = _pay(coop, people, invoice, "1200.00")

    assert (payment.fees_paid, payment.principal) == (Decimal("0.00"), Decimal("1200.00"))
    assert _fresh(invoice).status == Invoice.Status.PAID


def test_manual_payment_of_invoice_and_fee_is_not_an_overpayment_but_more_still_is(coop, people, invoice):
    _notice(coop, invoice, level=2, fee="10.00")

    with pytest.raises(ApplicationError, match="more than the open amount"):
        _pay(coop, people, invoice, "1210.01")
    payment = _pay(coop, people, invoice, "1210.00")

    assert payment.fees_paid == Decimal("10.00")


def test_bank_payment_with_fee_is_booked_once_when_imported_twice(coop, people, invoice):
    _notice(coop, invoice, level=2, fee="10.00")
    data = build_camt053(
        account_iban=coop.iban,
        statement_id="S-1",
        entries=[
            {
                "amount": Decimal("1210.00"),
                "structured_reference": invoice.rf_reference,
                "booking_date": PAID_ON,
                "reference": "P1",
            }
        ],
    )
    bank_statement_import(cooperative=coop, actor=people.finance, data=data)
    journal = JournalEntry.objects.for_cooperative(coop).count()

    again = bank_statement_import(cooperative=coop, actor=people.finance, data=data)

    assert (again.matched, again.duplicates) == ([], 1)
    assert JournalEntry.objects.for_cooperative(coop).count() == journal
    (payment,) = Payment.objects.for_cooperative(coop).filter(invoice=invoice)
    assert (payment.fees_paid, payment.principal) == (Decimal("10.00"), Decimal("1200.00"))
    assert _balance(coop, Account.Type.DUNNING_INCOME) == Decimal("-10.00")


def test_same_idempotency_key_returns_the_earlier_payment(coop, people, invoice):
    _notice(coop, invoice, level=2, fee="10.00")
    first = _pay(coop, people, invoice, "1210.00", idempotency_key="form:abc")

    again = _pay(coop, people, invoice, "1210.00", idempotency_key="form:abc")

    assert again.pk == first.pk
    assert Payment.objects.for_cooperative(coop).filter(invoice=invoice).count() == 1
    assert _balance(coop, Account.Type.DUNNING_INCOME) == Decimal("-10.00")


def test_returned_payment_takes_back_the_fee_from_dunning_income(coop, people, invoice):
    _notice(coop, invoice, level=2, fee="10.00")
    data = build_camt053(
        account_iban=coop.iban,
        statement_id="S-1",
        entries=[
            {
                "amount": Decimal("1210.00"),
                "structured_reference": invoice.rf_reference,
                "end_to_end_id": "E2E-1",
                "booking_date": PAID_ON,
                "reference": "P1",
            }
        ],
    )
    bank_statement_import(cooperative=coop, actor=people.finance, data=data)
    back = build_camt053(
        account_iban=coop.iban,
        statement_id="S-2",
        entries=[
            {
                "amount": Decimal("1210.00"),
                "credit": False,
                "reversal": True,
                "end_to_end_id": "E2E-1",
                "booking_date": date(2026, 8, 24),
                "reference": "R1",
            }
        ],
    )

    result = bank_statement_import(cooperative=coop, actor=people.finance, data=back)

    assert [e.entry_reference for e in result.returned] == ["R1"]
    assert _balance(coop, Account.Type.DUNNING_INCOME) == Decimal("0.00")
    assert _balance(coop, Account.Type.RECEIVABLE, client=invoice.client) == Decimal("1200.00")
    fresh = _fresh(invoice)
    assert (fresh.status, fresh.open_amount) == (Invoice.Status.ISSUED, Decimal("1200.00"))
    # The fee is owed again, and the returned payment no longer lowers the principal.
    assert services.dunning_charges_open(invoice=fresh) == services.DunningCharges(
        Decimal("10.00"), Decimal("0.00")
    )
    assert open_principal_changes(invoice=fresh, as_of=date(2026, 8, 31)) == [
        (date(2026, 6, 15), Decimal("1200.00"))
    ]


def test_payments_api_shows_the_dunning_part_of_a_payment(coop, people, invoice, api_for):
    _notice(coop, invoice, level=2, fee="10.00")
    _pay(coop, people, invoice, "1210.00")

    response = api_for(people.finance).get(f"/api/invoices/{invoice.pk}/payments/")

    assert response.status_code == 200
    ((row),) = response.json()
    assert (row["amount"], row["fees_paid"], row["interest_paid"], row["returned_on"]) == (
        "1210.00",
        "10.00",
        "0.00",
        None,
    )
