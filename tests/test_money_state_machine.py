"""A Hypothesis state machine over the money paths: issue, pay, credit, write off, expense.

After every step: every journal entry balances (and PostgreSQL's deferred ledger checks fire), the
project budget equals the sum of its lines and its ledger account, no invoice's open amount is negative
except as a client's credit on a settled invoice, and what the invoices say is open equals what the
ledger says each client owes. Kept small (a few dozen short runs) so it stays well under a minute.
"""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from invoicing import services
from invoicing.models import Invoice
from invoicing.services import LineInput
from projects import services as project_services
from projects.budget import project_budget
from projects.ledger import account_balance, account_get
from projects.models import Account, Document, JournalLine
from smartprod.core.errors import ApplicationError
from smartprod.core.money import ZERO, quantize_money
from tests.factories import CooperativeFactory, MembershipFactory
from tests.invoicing_helpers import draft
from tests.projects_helpers import approved_project, png_upload

ON = date(2026, 5, 4)
cents = st.integers(min_value=1, max_value=500_000)  # 0.01 … 5,000.00
percent = st.integers(min_value=1, max_value=100)
vat = st.sampled_from(["20", "10", "13"])


class MoneyMachine(RuleBasedStateMachine):
    invoices = Bundle("invoices")

    def __init__(self) -> None:
        super().__init__()
        # Each run in a savepoint of the test's transaction, rolled back in teardown. Marked like Django's
        # test-case atomics so the services' durable transactions (invoice_issue) may run inside it.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        connection.atomic_blocks[-1]._from_testcase = True
        self.coop = CooperativeFactory()
        self.owner = MembershipFactory(cooperative=self.coop, role="member")
        self.advisor = MembershipFactory(cooperative=self.coop, role="advisor")
        self.finance = MembershipFactory(cooperative=self.coop, role="finance")
        self.project = approved_project(self.coop, self.owner, self.advisor)
        self.receipt = project_services.document_upload(
            cooperative=self.coop,
            actor=self.owner,
            project=self.project,
            kind=Document.Kind.RECEIPT,
            upload=png_upload(),
        )

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _invoice(self, pk: int) -> Invoice:
        return Invoice.objects.for_cooperative(self.coop).get(pk=pk)

    # --- steps -----------------------------------------------------------------------------------------

    @rule(target=invoices, lines=st.lists(st.tuples(cents, vat), min_size=1, max_size=3))
    def issue(self, lines: list[tuple[int, str]]) -> int:
        invoice = draft(
            self.coop,
            self.owner,
            self.project,
            *((f"Work {n}", "1", str(Decimal(c) / 100), rate) for n, (c, rate) in enumerate(lines)),
        )
        services.invoice_submit(cooperative=self.coop, actor=self.owner, invoice=invoice)
        issued = services.invoice_issue(cooperative=self.coop, actor=self.advisor, invoice=invoice, on=ON)
        assert issued.gross_total == issued.net_total + issued.vat_total > 0
        return issued.pk

    @rule(pk=invoices, share=percent)
    def pay(self, pk: int, share: int) -> None:
        invoice = self._invoice(pk)
        amount = quantize_money(invoice.open_amount * share / 100)
        if amount <= 0:
            return
        try:
            services.payment_record(
                cooperative=self.coop, actor=self.finance, invoice=invoice, amount=amount, date=ON
            )
        except ApplicationError:
            assert invoice.status not in ("issued", "partially_paid")  # refused only when not open

    @rule(pk=invoices, share=st.none() | percent)
    def credit(self, pk: int, share: int | None) -> None:
        invoice = self._invoice(pk)
        lines = None
        if share is not None:
            first = invoice.lines.order_by("position").first()
            assert first is not None
            price = quantize_money(first.net_amount * share / 100)
            if price <= 0:
                return
            lines = [LineInput("Credit", "1", price, str(first.vat_rate))]
        # Refused when more than is left to credit, or not creditable (cancelled, written off).
        with contextlib.suppress(ApplicationError):
            services.credit_note_issue(
                cooperative=self.coop, actor=self.advisor, invoice=invoice, reason="test", lines=lines, on=ON
            )

    @rule(pk=invoices)
    def write_off(self, pk: int) -> None:
        invoice = self._invoice(pk)
        try:
            services.invoice_write_off(
                cooperative=self.coop, actor=self.finance, invoice=invoice, reason="insolvent", on=ON
            )
        except ApplicationError:
            assert invoice.status not in ("issued", "partially_paid") or invoice.open_amount <= 0

    @rule(amount=cents, approve=st.booleans())
    def expense(self, amount: int, approve: bool) -> None:
        try:
            claim = project_services.expense_submit(
                cooperative=self.coop,
                actor=self.owner,
                project=self.project,
                amount=Decimal(amount) / 100,
                vat_amount=ZERO,
                date=timezone.localdate(),
                description="Material",
                receipt=self.receipt,
            )
        except ApplicationError:
            return  # above the available budget
        if approve:
            project_services.expense_approve(cooperative=self.coop, actor=self.advisor, expense=claim)

    # --- what must hold after every step ----------------------------------------------------------------

    @invariant()
    def every_entry_balances(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the database's own checks, now
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        unbalanced = (
            JournalLine.objects.for_cooperative(self.coop)
            .values("entry")
            .annotate(d=Sum("debit"), c=Sum("credit"), n=Count("id"))
            .order_by()
        )
        for row in unbalanced:
            assert row["d"] == row["c"] and row["n"] >= 2, row

    @invariant()
    def budget_equals_the_sum_of_its_lines(self) -> None:
        budget = project_budget(cooperative=self.coop, project=self.project)
        account = account_get(cooperative=self.coop, type=Account.Type.PROJECT_BUDGET, project=self.project)
        assert budget.balance == sum((line.amount for line in budget.lines), ZERO)
        assert budget.balance == -account_balance(cooperative=self.coop, account=account)
        assert budget.balance == (budget.lines[-1].balance if budget.lines else ZERO)
        # Not `available >= 0`: a credit note may take back income that pending claims counted on.
        assert budget.available == budget.balance - budget.pending

    @invariant()
    def no_open_amount_is_negative_and_the_ledger_agrees(self) -> None:
        invoices = list(Invoice.objects.for_cooperative(self.coop).filter(kind=Invoice.Kind.INVOICE))
        for invoice in invoices:
            # Nothing here books an overpayment; a negative open amount is then only the client's credit
            # from a credit note issued after a payment (a refund owed), on an invoice that is settled.
            assert invoice.open_amount >= 0 or (
                invoice.status == Invoice.Status.PAID
                and invoice.paid_total > 0
                and invoice.credited_total > 0
            ), invoice
            assert invoice.credited_total <= invoice.gross_total, invoice
        receivable = account_get(
            cooperative=self.coop, type=Account.Type.RECEIVABLE, client=self.project.client
        )
        owed = account_balance(cooperative=self.coop, account=receivable)
        assert owed == sum((invoice.open_amount for invoice in invoices), ZERO)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.mark.django_db
def test_money_paths_keep_the_books_consistent(media: Path) -> None:
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
