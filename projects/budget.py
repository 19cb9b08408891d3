"""The budget of a project, as a member sees it: the budget account's lines, balance, receivables, available.

Available to pay out = budget balance − payout requests not yet booked (expenses submitted but not
approved here; fee notes and salaries requested in payroll). Apps above `projects` register the SQL of
their pending requests in `pending_payouts` (a kernel Registry), so `projects` never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    DecimalField,
    Expression,
    F,
    OuterRef,
    QuerySet,
    RowRange,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce

from projects.ledger import journal_line_text
from projects.models import Account, Expense, JournalLine, Project
from smartprod.core.money import ZERO, quantize_money
from smartprod.core.registry import Registry
from smartprod.tenancy.models import Cooperative

MONEY_FIELD = DecimalField(max_digits=20, decimal_places=2)
PendingSource = Callable[[], Expression]
# Callables returning a Subquery: the sum of a project's (OuterRef("pk")) payout requests not yet booked.
pending_payouts: Registry[PendingSource] = Registry("pending payouts")


def _money(subquery: QuerySet[Any, Any], field: str) -> Expression:
    return Coalesce(
        Subquery(subquery.values(field)[:1], output_field=MONEY_FIELD), Value(ZERO), output_field=MONEY_FIELD
    )


def pending_expenses_sql() -> Expression:
    sub = (
        Expense.objects.filter(project=OuterRef("pk"), status=Expense.Status.SUBMITTED)
        .order_by()
        .values("project")
        .annotate(total=Sum("amount"))
    )
    return _money(sub, "total")


pending_payouts.register(pending_expenses_sql)


def budget_balance_sql() -> Expression:
    sub = (
        JournalLine.objects.filter(account__project=OuterRef("pk"), account__type=Account.Type.PROJECT_BUDGET)
        .order_by()
        .values("account")
        .annotate(total=Sum(F("credit") - F("debit")))
    )
    return _money(sub, "total")


def receivable_sql() -> Expression:
    sub = (
        JournalLine.objects.filter(project=OuterRef("pk"), account__type=Account.Type.RECEIVABLE)
        .order_by()
        .values("project")
        .annotate(total=Sum(F("debit") - F("credit")))
    )
    return _money(sub, "total")


def pending_sql() -> Expression:
    total: Expression = Value(ZERO, output_field=MONEY_FIELD)
    for source in pending_payouts:
        total = total + source()
    return total


class BudgetFigures(TypedDict):
    """What `with_budget_figures` annotates on each project."""

    budget_balance: Decimal
    budget_receivable: Decimal
    budget_pending: Decimal
    budget_available: Decimal


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    ProjectWithBudget = WithAnnotations[Project, BudgetFigures]


def with_budget_figures(projects: QuerySet[Project]) -> QuerySet[ProjectWithBudget]:
    """Annotate balance, receivable, pending and available on each project: one query for any number."""
    return projects.annotate(
        budget_balance=budget_balance_sql(),
        budget_receivable=receivable_sql(),
        budget_pending=pending_sql(),
    ).annotate(budget_available=F("budget_balance") - F("budget_pending"))


@dataclass(frozen=True)
class BudgetLine:
    date: date
    kind: str
    kind_label: str
    description: str
    amount: Decimal
    balance: Decimal


BUDGET_PAGE_SIZE = 100
MAX_BUDGET_PAGE_SIZE = 500


@dataclass(frozen=True)
class Budget:
    """The figures and one page of the budget account's lines: the `limit` lines before the newest
    `offset` ones, oldest first; `older_offset` is the offset of the page of older lines, or None."""

    currency: str
    balance: Decimal
    receivable: Decimal
    pending: Decimal
    available: Decimal
    lines: list[BudgetLine]
    older_offset: int | None = None
    offset: int = 0
    limit: int = BUDGET_PAGE_SIZE


def project_budget_figures(*, cooperative: Cooperative, project: Project) -> ProjectWithBudget:
    return with_budget_figures(Project.objects.for_cooperative(cooperative).filter(pk=project.pk)).get()


def project_budget(
    *, cooperative: Cooperative, project: Project, limit: int = BUDGET_PAGE_SIZE, offset: int = 0
) -> Budget:
    """The budget's figures and a page of its newest lines in two queries, whatever the number of lines.

    The page is read newest first along the index (account, date, entry, id) and stops after
    offset + limit + 1 rows: each line's balance is the account's total minus the lines after it (a
    running sum in that order, which PostgreSQL computes while it reads, before the LIMIT). The total is a
    subquery of the same statement, so the page's balances and the lines come from one snapshot.
    """
    if not 1 <= limit <= MAX_BUDGET_PAGE_SIZE or offset < 0:
        raise ValueError("limit must be 1..500 and offset ≥ 0")
    figures = project_budget_figures(cooperative=cooperative, project=project)
    account = Account.objects.for_cooperative(cooperative).filter(
        project=project, type=Account.Type.PROJECT_BUDGET
    )
    account_lines = JournalLine.objects.for_cooperative(cooperative).filter(
        account_id=Subquery(account.values("pk")[:1])
    )
    total = Subquery(
        account_lines.order_by()
        .values("account")
        .annotate(total=Sum(F("credit") - F("debit")))
        .values("total")[:1],
        output_field=MONEY_FIELD,
    )
    newest_first = [F("date").desc(), F("entry_id").desc(), F("id").desc()]
    rows = list(
        account_lines.annotate(
            total=total,
            # Sum of the lines newer than this one (ROWS … 1 PRECEDING: null on the newest line).
            newer=Window(
                Sum(F("credit") - F("debit")), order_by=newest_first, frame=RowRange(start=None, end=-1)
            ),
        )
        .order_by(*newest_first)
        .values("date", "kind", "event", "reference", "description", "credit", "debit", "total", "newer")[
            offset : offset + limit + 1
        ]
    )
    has_older = len(rows) > limit
    labels = dict(JournalLine.Kind.choices)
    lines = [
        BudgetLine(
            date=row["date"],
            kind=row["kind"],
            kind_label=str(labels.get(row["kind"], row["kind"])),
            description=journal_line_text(
                event=row["event"],
                reference=row["reference"],
                kind=row["kind"],
                description=row["description"],
            ),
            amount=quantize_money(row["credit"] - row["debit"]),
            balance=quantize_money(row["total"] - (row["newer"] or ZERO)),
        )
        for row in reversed(rows[:limit])
    ]
    return Budget(
        currency=cooperative.currency,
        balance=quantize_money(figures.budget_balance),
        receivable=quantize_money(figures.budget_receivable),
        pending=quantize_money(figures.budget_pending),
        available=quantize_money(figures.budget_available),
        lines=lines,
        older_offset=offset + limit if has_older else None,
        offset=offset,
        limit=limit,
    )
