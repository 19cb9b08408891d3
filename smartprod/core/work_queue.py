"""The staff work queue: what waits for an advisor's, finance's or an admin's action, grouped by kind.

The kernel imports no app (DESIGN.md "Layers"), so each app contributes its kinds through the registry
`smartprod.core.registry.work_queue_items` from its AppConfig.ready(): a contributor is called as
`contributor(cooperative=, membership=, limit=)` and returns one `WorkQueueGroup` per kind that this
person's role handles (nothing for other roles — an empty group is still returned for a role that
handles the kind, so the page can say "nothing waiting").

Bounded: a contributor runs one query per kind, whatever the number of rows — the rows (at most `limit`)
and the total together (`COUNT(*) OVER ()`, `queryset_group`); with `limit=0` (the navigation's count)
it runs one plain count per kind. Members never reach it: the count in the navigation is computed only
for staff, and lazily (a page that does not show it queries nothing).

Which roles see which kinds (the page and README say the same):

| kind (code)                                    | advisor | finance | admin |
|------------------------------------------------|:-------:|:-------:|:-----:|
| projects waiting for review (project.review)   |    ✓    |         |   ✓   |
| expenses to approve (expense.approval)         |    ✓    |         |   ✓   |
| invoices to issue (invoice.issue)              |         |    ✓    |   ✓   |
| unmatched bank entries (bank_entry.unmatched)  |         |    ✓    |   ✓   |
| fee notes to approve (fee_note.approval)       |         |    ✓    |   ✓   |
| runs for a 2nd approval (payout_run.approval)  |         |    ✓    |   ✓   |
| handed-over invoices (invoice.handed_over)     |         |    ✓    |   ✓   |
| payouts near/past deadline (payout.deadline)   |         |    ✓    |   ✓   |

Four eyes: nobody is shown an item they may not decide themselves (their own project, expense, fee).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Count, Model, QuerySet, Window
from django.http import HttpRequest

from smartprod.core import capabilities
from smartprod.core.registry import work_queue_items

M = TypeVar("M", bound=Model)

ROWS_PER_KIND = 10  # rows shown per kind on the page; the group's "all N" link lists the rest


@dataclass(frozen=True)
class WorkQueueItem:
    """One thing waiting for someone's action; `url` is the page where it is done."""

    kind: str  # stable code, e.g. "project.review" (the group's)
    title: str  # names the project or document
    url: str
    subtitle: str = ""  # who or what else helps to recognise it (member, client, payee)
    age_days: int | None = None  # waiting since … days (oldest first where it matters)
    due: date | None = None  # a deadline, where the kind has one
    amount: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True)
class WorkQueueGroup:
    """All items of one kind for one person: the total, the first rows and the backend list of all."""

    kind: str
    label: Any  # a (lazy) translatable label, rendered in the reader's language
    count: int
    items: tuple[WorkQueueItem, ...]
    list_url: str  # the filtered backend list of every item of the kind
    order: int = 100  # position on the page (smaller first)

    @property
    def more(self) -> bool:
        return self.count > len(self.items)


def shows(membership: Any, roles: Iterable[str]) -> bool:
    """Whether this person's role handles a kind (the table in the module docstring)."""
    return membership is not None and membership.role in tuple(roles)


def queryset_group(
    *,
    kind: str,
    label: Any,
    queryset: QuerySet[M],
    limit: int,
    item: Callable[[M], WorkQueueItem],
    list_url: str,
    order: int = 100,
) -> WorkQueueGroup:
    """One query: the first `limit` rows of an ordered queryset with the total beside each; limit 0: count."""
    if limit <= 0:
        return WorkQueueGroup(
            kind=kind, label=label, count=queryset.count(), items=(), list_url=list_url, order=order
        )
    rows = list(queryset.annotate(work_queue_total=Window(Count("pk")))[:limit])
    count = rows[0].work_queue_total if rows else 0  # type: ignore[attr-defined]
    return WorkQueueGroup(
        kind=kind,
        label=label,
        count=count,
        items=tuple(item(row) for row in rows),
        list_url=list_url,
        order=order,
    )


def work_queue(*, cooperative: Any, membership: Any, limit: int = ROWS_PER_KIND) -> list[WorkQueueGroup]:
    """Every kind this person handles, in page order (members: none)."""
    if not capabilities.is_staff(membership):
        return []
    groups: list[WorkQueueGroup] = []
    for contributor in work_queue_items:
        groups.extend(contributor(cooperative=cooperative, membership=membership, limit=limit))
    return sorted(groups, key=lambda group: group.order)


def work_queue_total(groups: Iterable[WorkQueueGroup]) -> int:
    return sum(group.count for group in groups)


def work_queue_nav(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: the person's pending total for the navigation, staff only, lazily.

    The value is a callable the template evaluates once (`{% with %}`), so a page that does not render
    the staff navigation runs no query; members get nothing at all. The work-queue page passes its own
    total, so it does not count twice.
    """
    from smartprod.tenancy.context import request_context

    context = request_context(request)
    if context.cooperative is None or not capabilities.is_staff(context.membership):
        return {}
    cooperative, membership = context.cooperative, context.membership

    def total() -> int:
        return work_queue_total(work_queue(cooperative=cooperative, membership=membership, limit=0))

    return {"work_queue_count": total}
