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
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, TypedDict

import orjson
from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    RowRange,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, JSONObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from projects.ledger import journal_line_texts
from projects.models import (
    Account,
    BudgetBalance,
    Collaboration,
    Expense,
    JournalLine,
    Project,
    ProjectReceivable,
)
from smartprod.core import capabilities
from smartprod.core.formatting import format_percent
from smartprod.core.money import ZERO, quantize_money
from smartprod.core.registry import Registry
from smartprod.core.rows import Statement, slice_as_parameters
from smartprod.tenancy.models import Cooperative, Membership

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

RATE_FIELD = DecimalField(max_digits=5, decimal_places=2)
LineSource = Callable[[], Subquery]
# Callables returning a Subquery on a journal line (OuterRef("cooperative"), ("project"), ("event"),
# ("reference")): the contribution rate in percent stored on the document the line was posted for (an
# invoice keeps the rate of its issue day), or null. The budget shows a contribution line with that rate,
# never today's setting, which may have changed since.
contribution_rates: Registry[LineSource] = Registry("contribution rates of budget lines")
# Callables returning a Subquery on a receivable line: the number of the invoice the line settles when
# it is not the line's own reference (a credit note: its original invoice's number), or null. The
# project's client events count what is still open per invoice with it.
settled_invoices: Registry[LineSource] = Registry("invoices settled by receivable lines")


def _budget_account_id() -> Subquery:
    """The budget account of the project two levels out (used inside a subquery of a Project query): a
    plain account id lets PostgreSQL read the lines along the index (account, date, entry, id)."""
    account = Account.objects.filter(project=OuterRef(OuterRef("pk")), type=Account.Type.PROJECT_BUDGET)
    return Subquery(account.values("pk")[:1])


def _stored(model: type[BudgetBalance] | type[ProjectReceivable], field: str) -> Expression:
    """A figure the ledger's triggers keep per project (OuterRef: the Project row): one row read by key,
    however many lines are behind it. No row yet: nothing posted, zero."""
    rows = model.objects.filter(cooperative=OuterRef("cooperative"), project=OuterRef("pk")).order_by()
    return _money(rows, field)


def budget_balance_sql() -> Expression:
    """The stored balance of the project's budget account (`BudgetBalance`)."""
    return _stored(BudgetBalance, "balance")


def receivable_sql() -> Expression:
    """What the project's clients still owe (`ProjectReceivable`), read as one row."""
    return _stored(ProjectReceivable, "receivable")


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
    # A contribution line's rate in percent, as stored on its document (None: not known, e.g. no event).
    rate: Decimal | None = None

    @property
    def label(self) -> str:
        """The line's kind for a reader, in the active language: "7,5 % Kostenbeitrag" with the line's own
        rate (not today's setting), "Einnahme (netto)" for income, which the budget books without VAT."""
        if self.kind == JournalLine.Kind.CONTRIBUTION and self.rate is not None:
            rate = format_percent(self.rate, get_language() or settings.LANGUAGE_CODE)
            return _("%(rate)s contribution") % {"rate": rate}
        if self.kind == JournalLine.Kind.INCOME:
            return _("Income (net)")
        return self.kind_label


@dataclass(frozen=True)
class ClientEvent:
    """What happened on the project's receivables (the client's side): an invoice issued, a payment in or
    returned, a credit note, a write-off. None of them changes the budget except the invoice and credit
    note (through their own budget lines): the cooperative guarantees the money from the issue on.

    `amount` is gross, positive for what the client owes more (invoice, returned payment), negative for
    what settles it; `open_after` is what is still open on the invoice after this event.
    """

    date: date
    event: str
    reference: str
    invoice: str
    amount: Decimal
    open_after: Decimal

    @property
    def kind(self) -> str:
        """invoice, credit_note, payment, partial_payment, payment_returned, write_off (template keys)."""
        if self.event == JournalLine.Event.PAYMENT:
            if self.amount > 0:
                return "payment_returned"
            return "partial_payment" if self.open_after > 0 else "payment"
        return self.event

    @property
    def gross(self) -> Decimal:
        return abs(self.amount)


CLIENT_EVENTS = 50  # the newest events shown beside the budget


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
    # The page's lines as the statement read them (JSON objects, oldest first): `lines` builds BudgetLines
    # from them when a page asks; the API presents them straight from here (`line_data`).
    rows: tuple[dict[str, Any], ...] = ()
    older_offset: int | None = None
    offset: int = 0
    limit: int = BUDGET_PAGE_SIZE
    # The client's side (newest first), read only when asked for (the project page, not the API).
    events: list[ClientEvent] | None = None

    @cached_property
    def lines(self) -> list[BudgetLine]:
        # Translated once per page, not per line (a lazy label or template costs a gettext each time).
        labels = {kind: str(label) for kind, label in JournalLine.Kind.choices}
        texts = journal_line_texts()
        return [
            BudgetLine(
                date=date.fromisoformat(row["date"]),
                kind=row["kind"],
                kind_label=labels.get(row["kind"], row["kind"]),
                description=texts(
                    event=row["event"],
                    reference=row["reference"],
                    kind=row["kind"],
                    description=row["description"],
                ),
                amount=quantize_money(Decimal(row["amount"])),
                balance=quantize_money(self.balance - Decimal(row["newer"] or 0)),
                rate=Decimal(row["rate"]) if row.get("rate") is not None else None,
            )
            for row in self.rows
        ]

    def line_data(self, money: Callable[[Decimal], str]) -> list[dict[str, Any]]:
        """The page's lines as `BudgetLineOutputSerializer` presents `lines`, built from the statement's rows
        without a BudgetLine each (a fifth of the API's budget time): the date as the row has it (ISO), the
        amount and the running balance through `money` (the serializer's field), the kind's label and the
        text as `lines` gives them. tests/test_projects_api.py compares the bytes of both."""
        labels = {kind: str(label) for kind, label in JournalLine.Kind.choices}
        texts = journal_line_texts()
        balance = self.balance
        return [
            {
                "date": row["date"],
                "kind": row["kind"],
                "kind_label": labels.get(row["kind"], row["kind"]),
                "description": texts(
                    event=row["event"],
                    reference=row["reference"],
                    kind=row["kind"],
                    description=row["description"],
                ),
                "amount": money(Decimal(row["amount"])),
                "balance": money(balance - Decimal(row["newer"] or 0)),
            }
            for row in self.rows
        ]


def project_budget_figures(*, cooperative: Cooperative, project: Project) -> ProjectWithBudget:
    return with_budget_figures(Project.objects.for_cooperative(cooperative).filter(pk=project.pk)).get()


def _rate_sql() -> Expression:
    """A contribution line's stored rate (null for other lines), from the apps that keep the documents."""
    sources = [source() for source in contribution_rates]
    if not sources:
        return Value(None, output_field=RATE_FIELD)
    rate = sources[0] if len(sources) == 1 else Coalesce(*sources, output_field=RATE_FIELD)
    return Case(When(kind=JournalLine.Kind.CONTRIBUTION, then=rate), default=None, output_field=RATE_FIELD)


CLIENT_EVENT_KINDS = (
    JournalLine.Event.INVOICE,
    JournalLine.Event.CREDIT_NOTE,
    JournalLine.Event.PAYMENT,
    JournalLine.Event.WRITE_OFF,
)


def _client_events_sql() -> ArraySubquery:
    """The newest receivable lines of the project (OuterRef: the Project row) with what is still open on
    their invoice after each (a running sum per invoice, oldest first, before the LIMIT)."""
    text = CharField()
    settled = [source() for source in settled_invoices]
    invoice: Coalesce | F = (
        Coalesce(*settled, F("reference"), output_field=text) if settled else F("reference")
    )
    oldest_first = [F("date").asc(), F("entry_id").asc(), F("id").asc()]
    events = (
        JournalLine.objects.filter(
            cooperative=OuterRef("cooperative"),
            project=OuterRef("pk"),
            account__type=Account.Type.RECEIVABLE,
            event__in=CLIENT_EVENT_KINDS,
        )
        .annotate(
            invoice=invoice,
            open_after=Window(Sum(F("debit") - F("credit")), partition_by=[invoice], order_by=oldest_first),
        )
        .order_by(F("date").desc(), F("entry_id").desc(), F("id").desc())
        .values(
            row=JSONObject(
                date=F("date"),
                event=F("event"),
                reference=F("reference"),
                invoice=F("invoice"),
                amount=Cast(F("debit") - F("credit"), text),
                open_after=Cast(F("open_after"), text),
            )
        )[:CLIENT_EVENTS]
    )
    return ArraySubquery(events)


# Sentinels standing for the per-call values while the statement is compiled: negative ids, so no real row
# has them, and a page's LIMIT and OFFSET; their positions among the parameters are then filled per call.
_COOPERATIVE_SENTINEL = -987_654_321
_PROJECT_SENTINEL = -987_654_322
_MEMBERSHIP_SENTINEL = -987_654_323
_LIMIT_SENTINEL = 123_456_781
_OFFSET_SENTINEL = 987_654_301


@lru_cache(maxsize=16)
def _budget_statement(
    with_events: bool, sources: tuple[int, int, int], member_view: bool = False
) -> Statement:
    """The budget's SQL, compiled by the ORM once per process with or without the client's events, for each
    number of registered sources (pending payouts, contribution rates, settled invoices: registered at
    start), and run as a prepared statement of each connection (smartprod.core.rows.Statement): building
    and compiling the expression was a third of the endpoint's time, and PostgreSQL's planning of it about
    as long as running it (0.7 ms). The page's LIMIT and OFFSET are parameters. `member_view`: the project
    only if the membership owns it or collaborates on it (a member's view; staff see the cooperative's
    projects), so the API's visibility check is the same statement."""
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
                rate=Cast(_rate_sql(), text),
            )
        )[_OFFSET_SENTINEL : _OFFSET_SENTINEL + _LIMIT_SENTINEL]
    )
    extra: dict[str, ArraySubquery] = {"events": _client_events_sql()} if with_events else {}
    projects = Project.objects.for_cooperative(_COOPERATIVE_SENTINEL).filter(pk=_PROJECT_SENTINEL)
    if member_view:  # as projects.selectors.project_list_visible
        collaborating = Collaboration.objects.for_cooperative(_COOPERATIVE_SENTINEL).filter(
            membership=_MEMBERSHIP_SENTINEL
        )
        projects = projects.filter(Q(owner=_MEMBERSHIP_SENTINEL) | Q(pk__in=collaborating.values("project")))
    figures = (
        projects.annotate(
            budget_balance=budget_balance_sql(),
            budget_receivable=receivable_sql(),
            budget_pending=pending_sql(),
            page=ArraySubquery(page),
            **extra,
        )
        .values("budget_balance", "budget_receivable", "budget_pending", "page", *extra)
        .order_by()
    )
    compiled, compiled_params = figures.query.sql_with_params()
    sql, params = slice_as_parameters(compiled, compiled_params, _LIMIT_SENTINEL, _OFFSET_SENTINEL)
    sentinels = {
        "cooperative": _COOPERATIVE_SENTINEL,
        "project": _PROJECT_SENTINEL,
        "membership": _MEMBERSHIP_SENTINEL,
        "limit": _LIMIT_SENTINEL,
        "offset": _OFFSET_SENTINEL,
    }
    statement = Statement(sql, params, sentinels)
    # The statement's shape changed: fail loudly (a value would silently stay a sentinel, or be missing).
    found_slots = sorted(name for _position, name in statement.slots)
    wanted = ["cooperative", "limit", "offset", "project"] + (
        ["cooperative", "membership", "membership"] if member_view else []
    )
    if found_slots != sorted(wanted):
        raise RuntimeError(f"budget statement: parameters {found_slots}, expected {sorted(wanted)}")
    return statement


def _json_rows(rows: list[Any] | None) -> list[dict[str, Any]]:
    return [orjson.loads(row) if isinstance(row, str) else row for row in rows or []]


def project_budget(
    *,
    cooperative: Cooperative,
    project: Project | int,
    limit: int = BUDGET_PAGE_SIZE,
    offset: int = 0,
    with_events: bool = False,
    visible_to: Membership | None = None,
) -> Budget:
    """The budget's figures and a page of its newest lines in one query, whatever the number of lines.

    One statement (one snapshot): the project's balance, receivable and pending, and the page as an array
    read newest first along the index (account, date, entry, id), stopping after offset + limit + 1 rows.
    Each line's balance is the account's balance minus the lines after it (a running sum in that order,
    which PostgreSQL computes while it reads, before the LIMIT). A contribution line carries the rate
    stored on its document. `with_events`: the client's events too (`Budget.events`), in the same statement.
    `visible_to`: only if that person may see the project (staff: any of the cooperative's; a member: owned
    or collaborating), checked in the same statement; else Project.DoesNotExist (404), as `project_get`.
    """
    if not 1 <= limit <= MAX_BUDGET_PAGE_SIZE or offset < 0:
        raise ValueError("limit must be 1..500 and offset ≥ 0")
    sources = (len(pending_payouts), len(contribution_rates), len(settled_invoices))
    member_view = visible_to is not None and not capabilities.is_staff(visible_to)
    answer = _budget_statement(with_events, sources, member_view).execute(
        {
            "cooperative": cooperative.pk,
            "project": getattr(project, "pk", project),
            "membership": visible_to.pk if visible_to is not None else None,
            "limit": limit + 1,  # one more: whether there is an older page
            "offset": offset,
        }
    )
    found = answer[0] if answer else None
    if found is None:
        raise Project.DoesNotExist("Project matching query does not exist.")
    budget_balance, budget_receivable, budget_pending, page, *rest = found
    balance = quantize_money(budget_balance)
    pending = quantize_money(budget_pending)
    rows = _json_rows(page)
    events = (
        [
            ClientEvent(
                date=date.fromisoformat(row["date"]),
                event=row["event"],
                reference=row["reference"],
                invoice=row["invoice"],
                amount=quantize_money(Decimal(row["amount"])),
                open_after=quantize_money(Decimal(row["open_after"] or 0)),
            )
            for row in _json_rows(rest[0])
        ]
        if with_events
        else None
    )
    return Budget(
        currency=cooperative.currency,
        balance=balance,
        receivable=quantize_money(budget_receivable),
        pending=pending,
        available=balance - pending,
        rows=tuple(reversed(rows[:limit])),
        older_offset=offset + limit if len(rows) > limit else None,
        offset=offset,
        limit=limit,
        events=events,
    )
