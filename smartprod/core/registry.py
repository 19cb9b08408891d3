"""One mechanism for what higher apps contribute to lower ones.

Imports point down (DESIGN.md), so a lower layer cannot call into the apps above it. Instead it owns
a `Registry` and the apps above register into it from their `AppConfig.ready()`: project-page panels,
dashboard parts, pending payouts, demo data (declared by `projects` and `members`), and the kernel's
own below. Registration is idempotent (a re-run `ready()` adds nothing) and keeps its order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from django.db.models import QuerySet

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._items: list[T] = []

    def register(self, item: T) -> T:
        """Add `item` once; returns it, so a function can be registered with `@registry.register`."""
        if item not in self._items:
            self._items.append(item)
        return item

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {len(self._items)}>"


@dataclass(frozen=True)
class BeatEntry:
    """A periodic scan for Celery beat (due dates live in the database; the scan enqueues what is due)."""

    name: str
    task: str
    schedule: Any  # seconds, or a celery.schedules.crontab


@dataclass(frozen=True)
class FinanceFigure:
    """A figure on the finance cockpit: `compute(cooperative)` returns the template context of `template`."""

    key: str
    title: Any  # a (lazy) translatable label, rendered in the reader's language
    template: str
    compute: Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class DocumentSource:
    """What an app contributes to the documents area.

    `kinds`: (code, translatable label) of each kind it lists. `rows(cooperative=, membership=, filters=)`
    returns a query built by `smartprod.core.documents_area.document_rows` (unordered: the kernel orders
    the union), or None when the filters rule all of its kinds out. `url(kind, object_id)` is the
    access-checked download of one row.
    `projects(cooperative=, membership=)`, given by one source (projects), lists the person's projects
    (id, title) for the project filter.
    """

    code: str
    kinds: tuple[tuple[str, Any], ...]
    rows: Callable[..., QuerySet[Any] | None]
    url: Callable[[str, int], str]
    projects: Callable[..., list[tuple[int, str]]] | None = None


# --- the kernel's registries -------------------------------------------------------------------------
beat_schedule: Registry[BeatEntry] = Registry("beat schedule")


@dataclass(frozen=True)
class BankEntryInfo:
    """A bank-statement entry as the kernel hands it to matchers (the import's own model stays its own)."""

    entry_id: int
    entry_reference: str
    amount: Decimal
    currency: str
    is_credit: bool
    is_reversal: bool  # RvslInd: the bank reverses an earlier entry (a bounced transfer comes back)
    return_reason: str  # RtrInf/Rsn code, e.g. AC04
    end_to_end_id: str
    booking_date: date | None
    counterparty_name: str
    counterparty_iban: str
    text: str


# Bank-statement entries the importing app did not book itself (outgoing debits, returns and reversals it
# cannot place): each matcher is called as matcher(cooperative=, actor=, entry=BankEntryInfo, on=date) inside
# the import's transaction and returns a short note of what it booked, or None. The first note wins.
# Invoicing imports statements and books client payments; payouts confirm their transfers by EndToEndId
# here, without importing invoicing.
bank_entry_matchers: Registry[Callable[..., str | None]] = Registry("bank entry matchers")
# Staff work queue: callables (cooperative=, membership=, limit=) -> a list of smartprod.core.work_queue.
# WorkQueueGroup, one per kind that person's role handles (its count and at most `limit` items).
work_queue_items: Registry[Callable[..., list[Any]]] = Registry("work queue items")
# A person's documents area (smartprod.core.documents_area): each app's DocumentSource answers one query of
# the person's documents for the filters; the kernel unions them and reads one page.
documents: Registry[DocumentSource] = Registry("documents")
finance_figures: Registry[FinanceFigure] = Registry("finance cockpit figures")
