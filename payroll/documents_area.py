"""The payroll app's part of the documents area: a person's own fee notes and payslips.

Pay is personal: only the payee sees a fee note or a payslip here — not the project's owner or its
collaborators, and staff only their own (the backend lists everyone's). A fee note is a document once it
is approved (it has its number); a payslip from the payroll run on (its PDF is rendered on first download
if the worker has not yet). Downloads go through `fee_note_pdf` and `payslip_pdf`, which check access.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, Func, QuerySet, Value
from django.db.models.functions import Coalesce, Concat, TruncDate
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from payroll.documents import DOCUMENT_STATUSES
from payroll.models import FeeNote, Payslip
from smartprod.core.documents_area import DocumentFilters, document_rows
from smartprod.core.registry import DocumentSource, documents
from smartprod.tenancy.models import Cooperative, Membership

FEE_NOTE = "fee_note"
PAYSLIP = "payslip"
FEE_NOTE_KINDS: tuple[tuple[str, Any], ...] = ((FEE_NOTE, _("Fee note")),)
PAYSLIP_KINDS: tuple[tuple[str, Any], ...] = ((PAYSLIP, _("Payslip")),)


def fee_note_documents(
    *, cooperative: Cooperative, membership: Membership, filters: DocumentFilters
) -> QuerySet[Any] | None:
    if filters.kind and filters.kind != FEE_NOTE:
        return None
    queryset = (
        FeeNote.objects.for_cooperative(cooperative)
        .filter(payee=membership, status__in=DOCUMENT_STATUSES)
        .exclude(number="")
    )
    return document_rows(
        queryset,
        filters=filters,
        kind=FEE_NOTE,
        name=F("number"),
        number=F("number"),
        project_id="project_id",
        project_title="project__title",
        date=Coalesce(TruncDate("decided_at"), TruncDate("requested_at")),
    )


def payslip_documents(
    *, cooperative: Cooperative, membership: Membership, filters: DocumentFilters
) -> QuerySet[Any] | None:
    if filters.kind and filters.kind != PAYSLIP:
        return None
    queryset = Payslip.objects.for_cooperative(cooperative).filter(payee=membership)
    month = Func(F("month"), Value("YYYY-MM"), function="to_char", output_field=CharField())
    return document_rows(
        queryset,
        filters=filters,
        kind=PAYSLIP,
        # The name its download gets (payslip_pdf): payslip-2026-03-17.pdf
        name=Concat(Value("payslip-"), month, Value("-"), F("pk"), Value(".pdf"), output_field=CharField()),
        number=None,
        project_id="project_id",
        project_title="project__title",
        date=TruncDate("created_at"),
    )


def fee_note_url(kind: str, object_id: int) -> str:
    return reverse("fee_note_pdf", args=[object_id])


def payslip_url(kind: str, object_id: int) -> str:
    return reverse("payslip_pdf", args=[object_id])


FEE_NOTES = DocumentSource(
    code="payroll.fee_notes", kinds=FEE_NOTE_KINDS, rows=fee_note_documents, url=fee_note_url
)
PAYSLIPS = DocumentSource(
    code="payroll.payslips", kinds=PAYSLIP_KINDS, rows=payslip_documents, url=payslip_url
)


def register() -> None:
    documents.register(FEE_NOTES)
    documents.register(PAYSLIPS)
