"""Named locks in one order (smartprod.core.locks): project before invoice / expense, on real PostgreSQL.

A credit note lowers the budget that expense approvals check; both hold the project lock, so racing they
cannot together overdraw it. Every path locks the project before its child (no deadlock by opposite order).
"""

from __future__ import annotations

import re
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import services as invoicing
from invoicing.models import Invoice
from projects import services as projects
from projects.budget import project_budget
from projects.models import Expense, Project
from smartprod.core import locks
from smartprod.core.errors import ApplicationError
from tests.factories import CooperativeFactory, MembershipFactory, enable_totp
from tests.invoicing_helpers import draft, issued
from tests.projects_helpers import approved_project, png_upload


def _setup():
    """An issued invoice of 1000.00 net (+ 20 % VAT): the budget holds 925.00; a claim of 900.00 pending."""
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    finance = MembershipFactory(cooperative=coop, role="finance")
    enable_totp(finance.user)
    project = approved_project(coop, owner, advisor)
    invoice = issued(coop, owner, advisor, project, on=date(2026, 5, 4))
    expense = projects.expense_submit(
        cooperative=coop,
        actor=owner,
        project=project,
        amount=Decimal("900.00"),
        vat_amount=Decimal("0.00"),
        date=date(2026, 5, 5),
        description="Stage lights",
        receipt_upload=png_upload(),
    )
    return coop, advisor, finance, project, invoice, expense


def _credit_fully(coop, finance, invoice):
    return invoicing.credit_note_issue(
        cooperative=coop, actor=finance, invoice=invoice, reason="Order cancelled", on=date(2026, 5, 6)
    )


@pytest.mark.django_db(transaction=True)
def test_credit_note_racing_an_expense_approval_cannot_overdraw_the_budget(monkeypatch):
    coop, advisor, finance, project, invoice, expense = _setup()
    assert project_budget(cooperative=coop, project=project).balance == Decimal("925.00")
    checked, credited = threading.Event(), threading.Event()
    real_figures = projects.project_budget_figures

    def figures_then_wait(**kwargs):
        # The approval has checked the budget and not yet posted: the worst moment for a credit note.
        result = real_figures(**kwargs)
        checked.set()
        credited.wait(timeout=3)  # a credit note without the project lock commits in this window
        return result

    monkeypatch.setattr(projects, "project_budget_figures", figures_then_wait)
    outcomes: dict[str, object] = {}

    def approve():
        try:
            projects.expense_approve(cooperative=coop, actor=advisor, expense=expense)
            outcomes["approval"] = "approved"
        except ApplicationError as exc:
            outcomes["approval"] = exc
        finally:
            connection.close()

    def credit():
        try:
            checked.wait(timeout=10)
            _credit_fully(coop, finance, invoice)
            outcomes["credit"] = "issued"
        except ApplicationError as exc:
            outcomes["credit"] = exc
        finally:
            credited.set()
            connection.close()

    threads = [threading.Thread(target=approve), threading.Thread(target=credit)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    # The credit note waited for the approval's project lock, then found 25.00 left and refused.
    assert outcomes["approval"] == "approved"
    assert isinstance(outcomes["credit"], ApplicationError)
    assert outcomes["credit"].conflict
    assert project_budget(cooperative=coop, project=project).balance == Decimal("25.00")
    assert not Invoice.objects.for_cooperative(coop).filter(kind=Invoice.Kind.CREDIT_NOTE).exists()
    assert Expense.objects.for_cooperative(coop).get(pk=expense.pk).status == Expense.Status.APPROVED


@pytest.mark.django_db
def test_credit_note_first_leaves_the_expense_uncovered():
    coop, advisor, finance, project, invoice, expense = _setup()
    note = _credit_fully(coop, finance, invoice)
    assert note.gross_total == Decimal("1200.00")
    assert project_budget(cooperative=coop, project=project).balance == Decimal("0.00")
    with pytest.raises(ApplicationError, match="no longer covers"):
        projects.expense_approve(cooperative=coop, actor=advisor, expense=expense)
    assert project_budget(cooperative=coop, project=project).balance == Decimal("0.00")


@pytest.mark.django_db
def test_partial_credit_note_within_what_is_left_is_issued():
    coop, advisor, finance, project, invoice, expense = _setup()
    projects.expense_approve(cooperative=coop, actor=advisor, expense=expense)
    # 20.00 net: the budget gives back 20.00 − 1.50 contribution = 18.50 of the 25.00 left.
    note = invoicing.credit_note_issue(
        cooperative=coop,
        actor=finance,
        invoice=invoice,
        reason="Discount",
        lines=[invoicing.LineInput("Discount", Decimal("1"), Decimal("20.00"), "20")],
        on=date(2026, 5, 6),
    )
    assert note.gross_total == Decimal("24.00")
    assert project_budget(cooperative=coop, project=project).balance == Decimal("6.50")
    with pytest.raises(
        ApplicationError, match=r"would take 9\.25 from the project's budget, which holds only 6\.50"
    ):
        invoicing.credit_note_issue(
            cooperative=coop,
            actor=finance,
            invoice=invoice,
            reason="Discount",
            lines=[invoicing.LineInput("Discount", Decimal("1"), Decimal("10.00"), "20")],
            on=date(2026, 5, 6),
        )


def _first_lock(queries, table):
    for i, q in enumerate(queries):
        sql = q["sql"]
        if "FOR UPDATE" in sql and re.search(rf'FROM "{table}"', sql):
            return i
    raise AssertionError(f"no FOR UPDATE on {table}")


@pytest.mark.django_db
def test_every_budget_write_locks_the_project_before_its_child(make_member):
    coop = CooperativeFactory()
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    finance = MembershipFactory(cooperative=coop, role="finance")
    project = approved_project(coop, owner, advisor)
    invoice = draft(coop, owner, project)
    invoicing.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    with CaptureQueriesContext(connection) as issue:
        invoicing.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice, on=date(2026, 5, 4))
    expense = projects.expense_submit(
        cooperative=coop,
        actor=owner,
        project=project,
        amount=Decimal("10.00"),
        vat_amount=Decimal("0.00"),
        date=date(2026, 5, 5),
        description="Taxi",
        receipt_upload=png_upload(),
    )
    with CaptureQueriesContext(connection) as credit:
        _credit_fully(coop, finance, invoice)
    # Budget is 0.00 after the full credit note: the approval is refused, but only after its locks.
    with CaptureQueriesContext(connection) as approve, pytest.raises(ApplicationError):
        projects.expense_approve(cooperative=coop, actor=advisor, expense=expense)

    for captured, child in (
        (issue, "invoicing_invoice"),
        (credit, "invoicing_invoice"),
        (approve, "projects_expense"),
    ):
        assert _first_lock(captured.captured_queries, "projects_project") < _first_lock(
            captured.captured_queries, child
        )


@pytest.mark.django_db
def test_named_locks_refuse_the_wrong_model_and_another_cooperatives_row(coop, other_coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    project = approved_project(coop, owner, advisor)
    with pytest.raises(TypeError):
        locks.lock_invoice(Project, coop, project.pk)
    with pytest.raises(Project.DoesNotExist):
        locks.lock_project(Project, other_coop, project.pk)
    assert locks.lock_project(Project, coop, project.pk) == project
    assert [kind.rank for kind in locks.ORDER] == sorted(kind.rank for kind in locks.ORDER)


@pytest.mark.django_db
def test_a_child_is_locked_only_with_its_own_project(coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    project, other = approved_project(coop, owner, advisor), approved_project(coop, owner, advisor)
    invoice = draft(coop, owner, project)
    with pytest.raises(ApplicationError) as refused:
        locks.lock_project_and_child(
            locks.INVOICE, Project, Invoice, coop, project_id=other.pk, child_id=invoice.pk
        )
    assert refused.value.conflict
    locked_project, locked_invoice = locks.lock_project_and_child(
        locks.INVOICE, Project, Invoice, coop, project_id=project.pk, child_id=invoice.pk
    )
    assert (locked_project, locked_invoice) == (project, invoice)
    assert [p.pk for p in locks.lock_many(locks.PROJECT, Project, coop, [other.pk, project.pk])] == sorted(
        [other.pk, project.pk]
    )
