"""The budget of a project, as a member sees it: the budget account's lines, balance, receivables, available.

Available to pay out = budget balance − payout requests not yet booked (expenses submitted but not
approved here; fee notes and salaries requested in payroll). Apps above `projects` register the SQL of
their pending requests in `pending_payouts` (a kernel Registry), so `projects` never imports them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    CharField,
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
from django.db.models.functions import Cast, Coalesce, JSONObject

from projects.ledger import journal_line_text
from projects.models import Account, BudgetBalance, Expense, JournalLine, Project
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


def _budget_account_id() -> Subquery:
    """The budget account of the project two levels out (used inside a subquery of a Project query): a
    plain account id lets PostgreSQL read the lines along the index (account, date, entry, id)."""
    account = Account.objects.filter(project=OuterRef(OuterRef("pk")), type=Account.Type.PROJECT_BUDGET)
    return Subquery(account.values("pk")[:1])


def budget_balance_sql() -> Expression:
    """The stored balance of the project's budget account (`BudgetBalance`, kept by the ledger's trigger):
    one row read by primary key, however many lines the account has. No row yet: no line posted, zero."""
    sub = BudgetBalance.objects.filter(cooperative=OuterRef("cooperative"), project=OuterRef("pk")).order_by()
    return _money(sub, "balance")


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


# Sentinels standing for the cooperative's and the project's ids while the statement is compiled: negative,
# so no real row has them; their positions among the parameters are then filled per call.
_COOPERATIVE_SENTINEL = -987_654_321
_PROJECT_SENTINEL = -987_654_322


@lru_cache(maxsize=64)
def _budget_statement(
    limit: int, offset: int, pending_sources: int
) -> tuple[str, tuple[Any, ...], tuple[int, ...], tuple[int, ...]]:
    """The budget's SQL, compiled by the ORM once per process for each page (limit, offset) and number of
    pending-payout sources (registered at start): building and compiling the expression was a third of the
    endpoint's time. Returns the SQL, its parameters and the positions of the cooperative's and the
    project's ids among them."""
    newest_first = [F("date").desc(), F("entry_id").desc(), F("id").desc()]
    text = CharField()
    page = (
        JournalLine.objects.filter(cooperative=OuterRef("cooperative"), account_id=_budget_account_id())
        .annotate(
            # Sum of the lines newer than this one (ROWS … 1 PRECEDING: null on the newest line).
            newer=Window(
                Sum(F("credit") - F("debit")), order_by=newest_first, frame=RowRange(start=None, end=-1)
            )
        )
        .order_by(*newest_first)
        .values(
            row=JSONObject(
                date=F("date"),
                kind=F("kind"),
                event=F("event"),
                reference=F("reference"),
                description=F("description"),
                amount=Cast(F("credit") - F("debit"), text),  # as text: JSON numbers would be floats
                newer=Cast(F("newer"), text),
            )
        )[offset : offset + limit + 1]
    )
    figures = (
        Project.objects.for_cooperative(_COOPERATIVE_SENTINEL)
        .filter(pk=_PROJECT_SENTINEL)
        .annotate(
            budget_balance=budget_balance_sql(),
            budget_receivable=receivable_sql(),
            budget_pending=pending_sql(),
            page=ArraySubquery(page),
        )
        .values("budget_balance", "budget_receivable", "budget_pending", "page")
        .order_by()
    )
    sql, params = figures.query.sql_with_params()
    cooperative_at = tuple(i for i, value in enumerate(params) if value == _COOPERATIVE_SENTINEL)
    project_at = tuple(i for i, value in enumerate(params) if value == _PROJECT_SENTINEL)
    if len(cooperative_at) != 1 or len(project_at) != 1:  # the statement's shape changed: fail loudly
        raise RuntimeError(f"budget statement: ids at {cooperative_at} and {project_at}")
    return sql, tuple(params), cooperative_at, project_at


def project_budget(
    *, cooperative: Cooperative, project: Project, limit: int = BUDGET_PAGE_SIZE, offset: int = 0
) -> Budget:
    """The budget's figures and a page of its newest lines in one query, whatever the number of lines.

    One statement (one snapshot): the project's balance, receivable and pending, and the page as an array
    read newest first along the index (account, date, entry, id), stopping after offset + limit + 1 rows.
    Each line's balance is the account's balance minus the lines after it (a running sum in that order,
    which PostgreSQL computes while it reads, before the LIMIT).
    """
    if not 1 <= limit <= MAX_BUDGET_PAGE_SIZE or offset < 0:
        raise ValueError("limit must be 1..500 and offset ≥ 0")
    sql, params, cooperative_at, project_at = _budget_statement(limit, offset, len(pending_payouts))
    values = list(params)
    for position in cooperative_at:
        values[position] = cooperative.pk
    for position in project_at:
        values[position] = project.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        found = cursor.fetchone()
    if found is None:
        raise Project.DoesNotExist("Project matching query does not exist.")
    budget_balance, budget_receivable, budget_pending, page = found
    figures = {
        "budget_balance": budget_balance,
        "budget_receivable": budget_receivable,
        "budget_pending": budget_pending,
        "page": [json.loads(row) if isinstance(row, str) else row for row in page or []],
    }
    balance = quantize_money(figures["budget_balance"])
    pending = quantize_money(figures["budget_pending"])
    rows: list[dict[str, Any]] = figures["page"]
    labels = dict(JournalLine.Kind.choices)
    lines = [
        BudgetLine(
            date=date.fromisoformat(row["date"]),
            kind=row["kind"],
            kind_label=str(labels.get(row["kind"], row["kind"])),
            description=journal_line_text(
                event=row["event"],
                reference=row["reference"],
                kind=row["kind"],
                description=row["description"],
            ),
            amount=quantize_money(Decimal(row["amount"])),
            balance=quantize_money(balance - Decimal(row["newer"] or 0)),
        )
        for row in reversed(rows[:limit])
    ]
    return Budget(
        currency=cooperative.currency,
        balance=balance,
        receivable=quantize_money(figures["budget_receivable"]),
        pending=pending,
        available=balance - pending,
        lines=lines,
        older_offset=offset + limit if len(rows) > limit else None,
        offset=offset,
        limit=limit,
    )
