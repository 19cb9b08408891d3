"""Exact query counts on the money write paths, the same for 1 and for 20 lines or earlier entries.

A count that grows with the lines of an invoice or the history of a project is an N+1 that a big
invoice or an old project turns into a slow, lock-holding transaction. Each number below is what the
path needs today; a change that adds a query has to change the number — and say why.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from invoicing import services
from invoicing.services import LineInput
from projects import services as project_services
from tests.invoicing_helpers import draft, issued
from tests.projects_helpers import approved_project, fund, png_upload

pytestmark = pytest.mark.django_db

SIZES = [1, 20]
ISSUE = 38  # + the lines and exemption note read again for the EN 16931 XML before commit, + the owner's
# notification: their user, and notify()'s count, insert, count
PAYMENT = 22  # + the owner's notification (4); incl. the latest sent dunning letter and what earlier
# payments paid of its charges
CREDIT_NOTE = 30  # incl. the project lock, the budget check and the lines read for the EN 16931 check
PARTIAL_CREDIT_NOTE = 31  # + the VAT rates the typed lines name
# + the submitter's notification (user, project, notify's 3); incl. the payee's payouts-payable
# sub-account, + the payout item and its event
EXPENSE_APPROVE = 22
REPLAY = 5


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def world(coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    finance = make_member(coop, role="finance")
    return coop, owner, advisor, finance, approved_project(coop, owner, advisor)


def _lines(n: int) -> list[tuple[str, str, str, str]]:
    return [(f"Item {i}", "1", f"{10 + i}.00", "20") for i in range(n)]


@pytest.mark.parametrize("n", SIZES)
def test_invoice_issue_query_count(world, n, django_assert_num_queries):
    coop, owner, advisor, _finance, project = world
    invoice = draft(coop, owner, project, *_lines(n))
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)

    with django_assert_num_queries(ISSUE):
        done = services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice, on=date(2026, 5, 4))

    assert (done.status, done.gross_total) == ("issued", invoice.gross_total)


@pytest.mark.parametrize("n", SIZES)
def test_payment_record_query_count(world, n, django_assert_num_queries):
    coop, owner, advisor, finance, project = world
    invoice = issued(coop, owner, advisor, project, *_lines(n), on=date(2026, 5, 4))
    for _ in range(n):  # n earlier payments on the invoice
        services.payment_record(
            cooperative=coop, actor=finance, invoice=invoice, amount="1.00", date=date(2026, 5, 5)
        )

    with django_assert_num_queries(PAYMENT):
        payment = services.payment_record(
            cooperative=coop, actor=finance, invoice=invoice, amount="2.00", date=date(2026, 5, 6)
        )

    assert payment.amount == Decimal("2.00")


@pytest.mark.parametrize("n", SIZES)
def test_payment_record_with_an_idempotency_key_query_count(world, n, django_assert_num_queries):
    from smartprod.core.idempotency import IdempotentRequest

    coop, owner, advisor, finance, project = world
    invoice = issued(coop, owner, advisor, project, *_lines(n), on=date(2026, 5, 4))
    services.payment_record(
        cooperative=coop, actor=finance, invoice=invoice, amount="1.00", date=date(2026, 5, 5)
    )
    idempotent = IdempotentRequest("k", {"amount": "2.00"})

    with django_assert_num_queries(PAYMENT + 3):  # claim the key (insert, lock) and name the result
        payment = services.payment_record(
            cooperative=coop,
            actor=finance,
            invoice=invoice,
            amount="2.00",
            date=date(2026, 5, 6),
            idempotent=idempotent,
        )
    with django_assert_num_queries(REPLAY):  # the key (insert, lock) and the earlier payment
        again = services.payment_record(
            cooperative=coop,
            actor=finance,
            invoice=invoice,
            amount="2.00",
            date=date(2026, 5, 6),
            idempotent=idempotent,
        )

    assert again == payment


@pytest.mark.parametrize("n", SIZES)
def test_credit_note_query_count(world, n, django_assert_num_queries):
    coop, owner, advisor, _finance, project = world
    invoice = issued(coop, owner, advisor, project, *_lines(n), on=date(2026, 5, 4))

    with django_assert_num_queries(CREDIT_NOTE):
        note = services.credit_note_issue(
            cooperative=coop, actor=advisor, invoice=invoice, reason="cancelled", on=date(2026, 5, 6)
        )

    assert note.gross_total == invoice.gross_total


@pytest.mark.parametrize("n", SIZES)
def test_partial_credit_note_query_count(world, n, django_assert_num_queries):
    coop, owner, advisor, _finance, project = world
    invoice = issued(coop, owner, advisor, project, *_lines(n), on=date(2026, 5, 4))

    with django_assert_num_queries(PARTIAL_CREDIT_NOTE):
        note = services.credit_note_issue(
            cooperative=coop,
            actor=advisor,
            invoice=invoice,
            reason="discount",
            lines=[LineInput(f"Item {i}", "1", "1.00", "20") for i in range(n)],
            on=date(2026, 5, 6),
        )

    assert note.net_total == Decimal(n)


@pytest.mark.parametrize("n", SIZES)
def test_expense_approve_query_count(world, n, django_assert_num_queries):
    coop, owner, advisor, _finance, project = world
    fund(coop, project, "10000.00")
    for i in range(n):  # n earlier expenses approved, each with its journal entry
        earlier = _claim(coop, owner, project, f"{i + 1}.00")
        project_services.expense_approve(cooperative=coop, actor=advisor, expense=earlier)
    expense = _claim(coop, owner, project, "50.00")

    with django_assert_num_queries(EXPENSE_APPROVE):
        approved = project_services.expense_approve(cooperative=coop, actor=advisor, expense=expense)

    assert approved.status == "approved"


def _claim(coop, who, project, amount):
    return project_services.expense_submit(
        cooperative=coop,
        actor=who,
        project=project,
        amount=Decimal(amount),
        vat_amount=Decimal("0.00"),
        date=date(2026, 5, 2),
        description="Taxi",
        receipt_upload=png_upload(),
    )
