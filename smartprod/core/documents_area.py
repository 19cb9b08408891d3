"""A person's documents area: every document that concerns them, from every app, in one list.

(Not to be confused with smartprod.core.documents, which renders, stores and sends the documents.)

Each app registers a `DocumentSource` in `smartprod.core.registry.documents` from its `AppConfig.ready()`;
the kernel never imports the apps. A source answers, for a person and the filters, one query of rows in the
common shape built by `document_rows` (kind, name, number, project, date, id); the kernel joins the sources'
queries with UNION ALL, orders the union newest first and lets PostgreSQL count it and cut the page out
(LIMIT/OFFSET). So a page costs two queries — the count and the page — however many documents the person
has and however many sources there are, and Python only ever holds one page (at most 500 rows).

Each row links to the app's own access-checked download view (`DocumentSource.url`), never to a file.

Which documents "concern" a person is the same rule for every role: the documents of the projects they
own or collaborate on, and their own fee notes and payslips (pay is personal: a project's owner or
collaborator does not see a colleague's payslip or fee note here). Staff get the same personal view; they
reach everything else through the backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, Expression, F, Q, QuerySet, Value

from smartprod.core.registry import documents

if TYPE_CHECKING:
    from smartprod.tenancy.models import Cooperative, Membership

# The columns of a row, in this order in every source's query (UNION matches columns by position).
COLUMNS = ("d_kind", "d_name", "d_number", "d_project_id", "d_project_title", "d_date", "d_id")
ORDERING = ("-d_date", "-d_id", "d_kind")
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class DocumentFilters:
    """What the person narrowed the list to: one project, one kind, a piece of a name or number."""

    project_id: int | None = None
    kind: str = ""
    q: str = ""


@dataclass(frozen=True)
class DocumentEntry:
    """One document in the list, as the page and the API show it."""

    kind: str
    kind_label: str
    name: str
    number: str
    project_id: int | None
    project_title: str
    date: date
    url: str


def document_rows(
    queryset: QuerySet[Any],
    *,
    filters: DocumentFilters,
    kind: Expression | F | Value | str,
    name: Expression | F,
    number: Expression | F | None,
    project_id: str,
    project_title: str,
    date: Expression | F | str,
) -> QuerySet[Any]:
    """`queryset` (already restricted to the person's documents) in the common row shape, filtered.

    `kind` is a kind code or an expression giving one per row; `project_id`/`project_title`/`date` are
    field paths or expressions; `number` is None for documents without one (the name is what is searched).
    """
    kind_expr = Value(kind, output_field=CharField()) if isinstance(kind, str) else kind
    rows = queryset.annotate(
        d_kind=kind_expr,
        d_name=name,
        d_number=number if number is not None else Value("", output_field=CharField()),
        d_project_id=F(project_id),
        d_project_title=F(project_title),
        d_date=F(date) if isinstance(date, str) else date,
        d_id=F("pk"),
    )
    if filters.kind:
        rows = rows.filter(d_kind=filters.kind)
    if filters.project_id is not None:
        rows = rows.filter(d_project_id=filters.project_id)
    if filters.q:
        rows = rows.filter(Q(d_name__icontains=filters.q) | Q(d_number__icontains=filters.q))
    shaped: QuerySet[Any] = rows.order_by().values(*COLUMNS)
    return shaped


def document_kinds() -> list[tuple[str, Any]]:
    """Every registered kind: (code, label), in the sources' order."""
    return [kind for source in documents for kind in source.kinds]


def document_list(
    *, cooperative: Cooperative, membership: Membership, filters: DocumentFilters
) -> QuerySet[Any] | list[Any]:
    """The person's documents in the common row shape, newest first, as one lazy query (count and slice
    it: only the slice is read). An empty list when no source answers for these filters."""
    branches = [
        rows
        for source in documents
        if (rows := source.rows(cooperative=cooperative, membership=membership, filters=filters)) is not None
    ]
    if not branches:
        return []
    first, *rest = branches
    combined = first.union(*rest, all=True) if rest else first
    return combined.order_by(*ORDERING)


def document_entries(rows: Sequence[dict[str, Any]]) -> list[DocumentEntry]:
    """Rows of `document_list` (one page) as entries with their label and download URL (no query)."""
    by_kind = {code: (source, label) for source in documents for code, label in source.kinds}
    entries = []
    for row in rows:
        source, label = by_kind[row["d_kind"]]
        entries.append(
            DocumentEntry(
                kind=row["d_kind"],
                kind_label=str(label),
                name=row["d_name"] or "",
                number=row["d_number"] or "",
                project_id=row["d_project_id"],
                project_title=row["d_project_title"] or "",
                date=row["d_date"],
                url=source.url(row["d_kind"], row["d_id"]),
            )
        )
    return entries


def kind_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in document_kinds()]


def project_choices(*, cooperative: Cooperative, membership: Membership) -> list[tuple[int, str]]:
    """The person's projects for the project filter (one query; bounded by the source)."""
    for source in documents:
        if source.projects is not None:
            return source.projects(cooperative=cooperative, membership=membership)
    return []
