"""The projects app's part of the documents area: contracts, receipts and other project documents.

A person sees the documents of the projects they own or collaborate on (staff too: the area is personal;
the backend shows them everything else). Downloads go through `document_download`, which checks access.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from projects.models import Collaboration, Document, Project
from smartprod.core.documents_area import DocumentFilters, document_rows
from smartprod.core.registry import DocumentSource, documents
from smartprod.tenancy.models import Cooperative, Membership

KINDS: tuple[tuple[str, Any], ...] = (
    (Document.Kind.CONTRACT.value, _("Contract")),
    (Document.Kind.RECEIPT.value, _("Receipt")),
    (Document.Kind.OTHER.value, _("Project document")),
)


def projects_of(*, cooperative: Cooperative, membership: Membership) -> QuerySet[Project]:
    """The projects the person owns or collaborates on (whatever their role)."""
    collaborating = Collaboration.objects.for_cooperative(cooperative).filter(membership=membership)
    return Project.objects.for_cooperative(cooperative).filter(
        Q(owner=membership) | Q(pk__in=collaborating.values("project"))
    )


def project_documents(
    *, cooperative: Cooperative, membership: Membership, filters: DocumentFilters
) -> QuerySet[Any] | None:
    if filters.kind and filters.kind not in {code for code, _label in KINDS}:
        return None
    mine = projects_of(cooperative=cooperative, membership=membership)
    queryset = Document.objects.for_cooperative(cooperative).filter(project__in=mine.values("pk"))
    return document_rows(
        queryset,
        filters=filters,
        kind=F("kind"),
        name=F("original_name"),
        number=None,
        project_id="project_id",
        project_title="project__title",
        date=TruncDate("uploaded_at"),
    )


PROJECT_CHOICES_LIMIT = 500


def project_choices(*, cooperative: Cooperative, membership: Membership) -> list[tuple[int, str]]:
    """The person's projects for the documents area's project filter, by title (at most 500)."""
    projects = projects_of(cooperative=cooperative, membership=membership).order_by("title", "pk")
    return list(projects.values_list("pk", "title")[:PROJECT_CHOICES_LIMIT])


def document_url(kind: str, object_id: int) -> str:
    return reverse("document_download", args=[object_id])


def register() -> None:
    documents.register(SOURCE)


SOURCE = DocumentSource(
    code="projects", kinds=KINDS, rows=project_documents, url=document_url, projects=project_choices
)
