"""What invoices do to the money: totals to the cent, the budget after issue, credit note and write-off."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from invoicing import services
from invoicing.models import Invoice, InvoiceLine
from invoicing.services import LineInput
from projects.budget import project_budget
from projects.ledger import account_balance, account_get
from projects.models import Account, JournalEntry, Project
from smartprod.core.errors import ApplicationError
from tests.invoicing_helpers import draft, issued
from tests.projects_helpers import approved_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    finance = make_member(coop, role="finance")
    project = approved_project(coop, owner, advisor)
    return coop, owner, advisor, finance, project


def test_line_amounts_rounded_once_per_line_and_totals_are_sums(world):
    coop, owner, _advisor, _finance, project = world
    invoice = draft(
        coop,
        owner,
        project,
        ("A", "3", "33.33", "20"),
        ("B", "1.5", "10.01", "13"),
        ("C", "0.333", "1.00", "10"),
    )
    lines = list(InvoiceLine.objects.for_cooperative(coop).filter(invoice=invoice))
    assert [(ln.net_amount, ln.vat_amount) for ln in lines] == [
        (Decimal("99.99"), Decimal("20.00")),  # 99.99 × 20 % = 19.998 → 20.00
        (Decimal("15.02"), Decimal("1.95")),  # 1.5 × 10.01 = 15.015 → 15.02; × 13 % = 1.9526 → 1.95
        (Decimal("0.33"), Decimal("0.03")),  # 0.333 → 0.33; × 10 % = 0.033 → 0.03
    ]
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("115.34"),
        Decimal("21.98"),
        Decimal("137.32"),
    )
    assert services.vat_breakdown(lines) == [
        ("S", Decimal("20.00"), Decimal("99.99"), Decimal("20.00")),
        ("S", Decimal("13.00"), Decimal("15.02"), Decimal("1.95")),
        ("S", Decimal("10.00"), Decimal("0.33"), Decimal("0.03")),
    ]


def test_budget_after_issue_is_net_minus_contribution(world):
    coop, owner, advisor, _finance, project = world
    invoice = issued(coop, owner, advisor, project, ("Design", "1", "1000.00", "20"), on=date(2026, 5, 4))
    budget = project_budget(cooperative=coop, project=project)
    assert invoice.contribution == Decimal("75.00")
    assert budget.balance == Decimal("925.00")  # net 1000 − 7.5 %
    assert budget.receivable == Decimal("1200.00")
    vat = account_get(cooperative=coop, type=Account.Type.VAT_PAYABLE)
    assert account_balance(cooperative=coop, account=vat) == Decimal("-200.00")


def test_write_off_keeps_the_budget_and_corrects_vat(world):
    coop, owner, advisor, finance, project = world
    invoice = issued(coop, owner, advisor, project, ("Design", "1", "1000.00", "20"), on=date(2026, 5, 4))
    services.payment_record(
        cooperative=coop, actor=finance, invoice=invoice, amount="600.00", date=date(2026, 5, 20)
    )
    write_off = services.invoice_write_off(
        cooperative=coop, actor=finance, invoice=invoice, reason="insolvent", on=date(2026, 9, 1)
    )
    assert (write_off.gross_amount, write_off.net_amount, write_off.vat_amount) == (
        Decimal("600.00"),
        Decimal("500.00"),
        Decimal("100.00"),
    )
    budget = project_budget(cooperative=coop, project=project)
    assert budget.balance == Decimal("925.00")  # the guarantee: the member keeps the income
    assert budget.receivable == Decimal("0.00")
    fund = account_get(cooperative=coop, type=Account.Type.GUARANTEE_FUND)
    assert account_balance(cooperative=coop, account=fund) == Decimal("500.00")
    vat = account_get(cooperative=coop, type=Account.Type.VAT_PAYABLE)
    assert account_balance(cooperative=coop, account=vat) == Decimal("-100.00")  # VAT only on what was paid
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount) == ("written_off", Decimal("0.00"))
    with pytest.raises(ApplicationError):
        services.invoice_write_off(cooperative=coop, actor=finance, invoice=invoice, reason="again")


def test_credit_note_reduces_the_budget_in_proportion(world):
    coop, owner, advisor, _finance, project = world
    invoice = issued(coop, owner, advisor, project, ("Design", "1", "1000.00", "20"), on=date(2026, 5, 4))
    note = services.credit_note_issue(
        cooperative=coop,
        actor=advisor,
        invoice=invoice,
        reason="discount",
        lines=[LineInput("Discount", "1", "200.00", "20")],
        on=date(2026, 5, 6),
    )
    assert (note.number, note.gross_total, note.contribution) == (
        "GS-2026-00001",
        Decimal("240.00"),
        Decimal("15.00"),
    )
    budget = project_budget(cooperative=coop, project=project)
    assert budget.balance == Decimal("740.00")  # 925 − (200 − 15)
    assert budget.receivable == Decimal("960.00")
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("960.00")
    with pytest.raises(ApplicationError, match="more than what is left"):
        services.credit_note_issue(
            cooperative=coop,
            actor=advisor,
            invoice=invoice,
            reason="x",
            lines=[LineInput("Too much", "1", "900.00", "20")],
        )


def test_full_credit_note_cancels_and_zeroes_everything(world):
    coop, owner, advisor, _finance, project = world
    invoice = issued(coop, owner, advisor, project, ("Design", "3", "333.33", "20"), on=date(2026, 5, 4))
    services.credit_note_issue(cooperative=coop, actor=advisor, invoice=invoice, reason="wrong client")
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    budget = project_budget(cooperative=coop, project=project)
    assert (budget.balance, budget.receivable) == (Decimal("0.00"), Decimal("0.00"))


def _contribution_income(coop) -> Decimal:
    income = account_get(cooperative=coop, type=Account.Type.CONTRIBUTION_INCOME)
    return account_balance(cooperative=coop, account=income)


def test_three_credit_notes_of_a_third_leave_nothing_in_budget_and_contribution(world):
    coop, owner, advisor, _finance, project = world
    invoice = issued(coop, owner, advisor, project, ("Work", "3", "1.00", "20"), on=date(2026, 5, 4))
    assert (invoice.net_total, invoice.contribution) == (Decimal("3.00"), Decimal("0.23"))  # 0.225 → 0.23

    notes = [
        services.credit_note_issue(
            cooperative=coop,
            actor=advisor,
            invoice=invoice,
            reason=f"third {n}",
            lines=[LineInput("Work", "1", "1.00", "20")],
            on=date(2026, 5, 6),
        )
        for n in (1, 2, 3)
    ]

    # 0.075 → 0.08 twice; the last takes what is left: 0.07 (3 × 0.08 would leave −0.01).
    assert [n.contribution for n in notes] == [Decimal("0.08"), Decimal("0.08"), Decimal("0.07")]
    assert [n.gross_total for n in notes] == [Decimal("1.20")] * 3
    budget = project_budget(cooperative=coop, project=project)
    assert (budget.balance, budget.receivable) == (Decimal("0.00"), Decimal("0.00"))
    assert _contribution_income(coop) == Decimal("0.00")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.credited_total, invoice.open_amount) == (
        "cancelled",
        Decimal("3.60"),
        Decimal("0.00"),
    )


def test_crediting_in_full_after_a_partial_credit_note_credits_what_is_left(world):
    coop, owner, advisor, _finance, project = world
    invoice = issued(
        coop,
        owner,
        advisor,
        project,
        ("Design", "3", "33.33", "20"),
        ("Print", "1", "10.01", "10"),
        on=date(2026, 5, 4),
    )
    # net 99.99 + 10.01 = 110.00; VAT 20.00 + 1.00; contribution 8.25
    services.credit_note_issue(
        cooperative=coop,
        actor=advisor,
        invoice=invoice,
        reason="one design less",
        lines=[LineInput("Design", "1", "33.33", "20")],
        on=date(2026, 5, 5),
    )

    rest = services.credit_note_issue(
        cooperative=coop, actor=advisor, invoice=invoice, reason="cancelled", on=date(2026, 5, 6)
    )

    lines = list(InvoiceLine.objects.for_cooperative(coop).filter(invoice=rest).order_by("position"))
    assert [(ln.description, ln.vat_rate, ln.net_amount, ln.vat_amount) for ln in lines] == [
        (
            f"Remaining amount of invoice {invoice.number}",
            Decimal("20.00"),
            Decimal("66.66"),
            Decimal("13.33"),
        ),
        (
            f"Remaining amount of invoice {invoice.number}",
            Decimal("10.00"),
            Decimal("10.01"),
            Decimal("1.00"),
        ),
    ]
    assert (rest.gross_total, rest.contribution) == (Decimal("91.00"), Decimal("5.75"))  # 8.25 − 2.50
    budget = project_budget(cooperative=coop, project=project)
    assert (budget.balance, budget.receivable) == (Decimal("0.00"), Decimal("0.00"))
    assert _contribution_income(coop) == Decimal("0.00")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount) == ("cancelled", Decimal("0.00"))
    with pytest.raises(ApplicationError, match="Only issued invoices can be credited"):
        services.credit_note_issue(cooperative=coop, actor=advisor, invoice=invoice, reason="again")


def test_overpayment_only_when_confirmed_and_shown_as_credit(world):
    coop, owner, advisor, finance, project = world
    invoice = issued(coop, owner, advisor, project, ("Design", "1", "100.00", "20"))
    with pytest.raises(ApplicationError, match="more than the open amount"):
        services.payment_record(
            cooperative=coop, actor=finance, invoice=invoice, amount="130.00", date=date(2026, 5, 20)
        )
    assert invoice.payments.count() == 0
    services.payment_record(
        cooperative=coop,
        actor=finance,
        invoice=invoice,
        amount="130.00",
        date=date(2026, 5, 20),
        allow_overpayment=True,
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount) == ("paid", Decimal("-10.00"))


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((("X", "-1", "10.00", "20"),), "quantity must be positive"),
        ((("X", "1", "-10.00", "20"),), "cannot be negative"),
        ((("X", "1", "10.00", "99"),), "Unknown VAT rate 99"),
        ((("X", "1", "10.00", "19"),), "Unknown VAT rate 19"),  # a German rate on an Austrian invoice
        ((("X", "1,5", "10.00", "20"),), "not a valid quantity"),
        ((("X", "1", "10.00", "20"), ("Y", "1", "10.00", "reverse_charge")), "separate invoices"),
        ((), "at least one line"),
    ],
)
def test_bad_lines_refused_and_nothing_stored(world, lines, message):
    coop, owner, _advisor, _finance, project = world
    with pytest.raises(ApplicationError, match=message):
        services.invoice_create_draft(
            cooperative=coop,
            actor=owner,
            project=project,
            lines=[LineInput(*line) for line in lines],
            service_date=date(2026, 4, 1),
        )
    assert not Invoice.objects.for_cooperative(coop).exists()


def test_vat_rate_chosen_by_service_date(coop, make_member):
    from tests.factories import CooperativeFactory, MembershipFactory

    de = CooperativeFactory(
        country="DE", vat_id="DE136695976", iban="DE89370400440532013000", bic="COBADEFFXXX"
    )
    owner, advisor = MembershipFactory(cooperative=de), MembershipFactory(cooperative=de, role="advisor")
    project = approved_project(de, owner, advisor, client=None)
    assert services.resolve_vat(country="DE", on=date(2020, 8, 1), value="standard") == (
        "S",
        Decimal("16.00"),
    )
    assert services.resolve_vat(country="DE", on=date(2021, 1, 1), value="19") == ("S", Decimal("19.00"))
    with pytest.raises(ApplicationError):
        draft(de, owner, project, ("X", "1", "10", "19"), service_date=date(2020, 9, 1))
    assert draft(
        de, owner, project, ("X", "1", "10", "16"), service_date=date(2020, 9, 1)
    ).vat_total == Decimal("1.60")


def test_issue_refused_for_unapproved_project_and_twice(world):
    coop, owner, advisor, _finance, project = world
    invoice = draft(coop, owner, project)
    with pytest.raises(ApplicationError, match="submits the draft first"):
        services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    with pytest.raises(ApplicationError, match="advisor or a finance person"):
        services.invoice_issue(cooperative=coop, actor=owner, invoice=invoice)
    Project.objects.for_cooperative(coop).filter(pk=project.pk).update(status="closed")
    with pytest.raises(ApplicationError, match="approved"):
        services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice)
    Project.objects.for_cooperative(coop).filter(pk=project.pk).update(status="approved")
    services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice)
    with pytest.raises(ApplicationError, match="already issued"):
        services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice)
    assert (
        JournalEntry.objects.for_cooperative(coop)
        .filter(idempotency_key=f"invoice:{invoice.pk}:issued")
        .count()
        == 1
    )


def test_members_may_issue_setting(world):
    coop, owner, _advisor, _finance, project = world
    invoice = draft(coop, owner, project)
    settings = services.invoicing_settings(cooperative=coop)
    settings.members_may_issue = True
    settings.save()
    assert services.invoice_issue(cooperative=coop, actor=owner, invoice=invoice).status == "issued"


def test_issued_invoice_is_frozen_in_the_database(world):
    coop, owner, advisor, _finance, project = world
    invoice = issued(coop, owner, advisor, project)
    for statement in (
        "UPDATE invoicing_invoice SET gross_total = 1, net_total = 1, vat_total = 0",
        "UPDATE invoicing_invoice SET number = 'X'",
        "UPDATE invoicing_invoiceline SET unit_price = 0",
        "DELETE FROM invoicing_invoiceline",
        "DELETE FROM invoicing_invoice",
    ):
        with (
            pytest.raises(IntegrityError, match=r"immutable|cannot be deleted"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    with pytest.raises(ApplicationError, match="credit note"):
        services.invoice_update_draft(cooperative=coop, actor=owner, invoice=invoice, note="x")
    invoice.refresh_from_db()
    assert invoice.gross_total == Decimal("1200.00")


def test_large_business_invoice_needs_the_client_vat_id(world):
    from tests.projects_helpers import make_client

    coop, owner, advisor, _finance, _project = world
    client = make_client(coop, owner, name="No UID GmbH", vat_id="")
    project = approved_project(coop, owner, advisor, client=client, title="Big one")
    invoice = draft(coop, owner, project, ("Big", "1", "8400.00", "20"))  # gross 10,080.00
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    with pytest.raises(ApplicationError, match="VAT id"):
        services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("submitted", None)
