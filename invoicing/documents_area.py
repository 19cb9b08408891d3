"""The invoicing app's part of the documents area: invoices, credit notes and dunning letters.

A person sees those of the projects they own or collaborate on (staff too: the area is personal). An
invoice or credit note is a document once it is issued (it has a number; while its PDF is still being
rendered the download says so); a dunning letter once it has been written (sent or stored for post).
Downloads go through `invoice_pdf` and `dunning_letter_pdf`, which check access.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from invoicing.models import DunningNotice, Invoice
from projects.documents_area import projects_of
from smartprod.core.documents_area import DocumentFilters, document_rows
from smartprod.core.registry import DocumentSource, documents
from smartprod.tenancy.models import Cooperative, Membership

INVOICE_KINDS: tuple[tuple[str, Any], ...] = (
    (Invoice.Kind.INVOICE.value, _("Invoice")),
    (Invoice.Kind.CREDIT_NOTE.value, _("Credit note")),
)
DUNNING_LETTER = "dunning_letter"
DUNNING_KINDS: tuple[tuple[str, Any], ...] = ((DUNNING_LETTER, _("Dunning letter")),)


def _ruled_out(filters: DocumentFilters, kinds: tuple[tuple[str, Any], ...]) -> bool:
    return bool(filters.kind) and filters.kind not in {code for code, _label in kinds}


def invoice_documents(
    *, cooperative: Cooperative, membership: Membership, filters: DocumentFilters
) -> QuerySet[Any] | None:
    if _ruled_out(filters, INVOICE_KINDS):
        return None
    mine = projects_of(cooperative=cooperative, membership=membership)
    queryset = Invoice.objects.for_cooperative(cooperative).filter(
        project__in=mine.values("pk"), number__isnull=False, issue_date__isnull=False
    )
    return document_rows(
        queryset,
        filters=filters,
        kind=F("kind"),
        name=F("number"),
        number=F("number"),
        project_id="project_id",
        project_title="project__title",
        date="issue_date",
    )


def dunning_documents(
    *, cooperative: Cooperative, membership: Membership, filters: DocumentFilters
) -> QuerySet[Any] | None:
    if _ruled_out(filters, DUNNING_KINDS):
        return None
    mine = projects_of(cooperative=cooperative, membership=membership)
    queryset = (
        DunningNotice.objects.for_cooperative(cooperative)
        .filter(invoice__project__in=mine.values("pk"), invoice__number__isnull=False)
        .exclude(pdf="")
    )
    return document_rows(
        queryset,
        filters=filters,
        kind=DUNNING_LETTER,
        # The letter's file name (dunning_letter_file_name): the invoice's number and the level.
        name=Concat(F("invoice__number"), Value("-"), Cast("level", CharField()), Value(".pdf")),
        number=F("invoice__number"),
        project_id="invoice__project_id",
        project_title="invoice__project__title",
        date="as_of",
    )


def invoice_url(kind: str, object_id: int) -> str:
    return reverse("invoice_pdf", args=[object_id])


def dunning_url(kind: str, object_id: int) -> str:
    return reverse("dunning_letter_pdf", args=[object_id])


INVOICES = DocumentSource(
    code="invoicing.invoices", kinds=INVOICE_KINDS, rows=invoice_documents, url=invoice_url
)
DUNNING_LETTERS = DocumentSource(
    code="invoicing.dunning", kinds=DUNNING_KINDS, rows=dunning_documents, url=dunning_url
)


def register() -> None:
    documents.register(INVOICES)
    documents.register(DUNNING_LETTERS)
