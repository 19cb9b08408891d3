"""The invoices list of the API (`GET /api/invoices/`) read as values: InvoiceOutputSerializer's JSON
without a model instance (smartprod.core.rows, "lists read as values").

One statement per process for each role and filter (project, status), compiled from
`invoice_list_visible` (the visibility rule stays there: the invoices of the projects the person may see):
the count, and the page with its client.
"""

from __future__ import annotations

from datetime import tzinfo
from functools import lru_cache
from typing import Any

from django.db.models import F, QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from invoicing.models import Invoice
from invoicing.selectors import invoice_list_visible
from invoicing.serializers import ClientRefOutputSerializer, InvoiceOutputSerializer, invoice_pdf_url
from smartprod.core.rows import (
    CountedPage,
    EpochMicroseconds,
    IsoDate,
    Row,
    as_text,
    check_shape,
    choice_labels,
    counted_page,
    iso_datetime,
    page_rows,
)
from smartprod.tenancy.models import Cooperative, Membership

# Negative or impossible: no real row has them; their places among the parameters are filled per call.
_COOPERATIVE = -987_654_341
_MEMBERSHIP = -987_654_342
_PROJECT = -987_654_343
_STATUS = "-status of the invoices list-"

KEYS = (
    "id",
    "kind",
    "number",
    "status",
    "status_label",
    "currency",
    "issue_date",
    "due_date",
    "service_date",
    "service_period_start",
    "service_period_end",
    "order_reference",
    "buyer_reference",
    "supplier_number",
    "einvoice_format",
    "einvoice_format_label",
    "portal_uploaded_on",
    "einvoice_url",
    "note",
    "net_total",
    "vat_total",
    "gross_total",
    "paid_total",
    "credited_total",
    "written_off_total",
    "open_amount",
    "dunning_level",
    "dunning_blocked",
    "dunning_block_reason",
    "rf_reference",
    "exemption_note",
    "legal_note",
    "project",
    "client",
    "original",
    "pdf_rendered_at",
    "email_sent_at",
    "pdf_url",
    "created_at",
    "submitted_at",
    "issued_at",
)


def invoice_list_page(
    request: Request,
    *,
    cooperative: Cooperative,
    membership: Membership,
    project: int | None = None,
    status: str = "",
) -> Response:
    """A page of the invoices and credit notes `membership` may see (only `project`'s, only in `status`
    when given), newest first, as InvoiceOutputSerializer presents them."""
    values = {
        "cooperative": cooperative.pk,
        "membership": membership.pk,
        "project": project,
        "status": status,
    }
    statement = _statement(membership.role, project is not None, bool(status))
    return page_rows(request, statement, values, _build)


FACTURX = Invoice.EInvoiceFormat.FACTURX


def _build(rows: list[tuple[Any, ...]], zone: tzinfo) -> list[Row]:
    statuses = choice_labels(Invoice, "status")
    formats = choice_labels(Invoice, "einvoice_format")
    return [
        {
            "id": pk,
            "kind": kind,
            "number": number,
            "status": status,
            "status_label": statuses.get(status, status),
            "currency": currency,
            "issue_date": issue_date,
            "due_date": due_date,
            "service_date": service_date,
            "service_period_start": start,
            "service_period_end": end,
            "order_reference": order_reference,
            "buyer_reference": buyer_reference,
            "supplier_number": supplier_number,
            "einvoice_format": einvoice_format,
            "einvoice_format_label": formats.get(einvoice_format, einvoice_format),
            "portal_uploaded_on": portal_uploaded_on,
            # InvoiceOutputSerializer.get_einvoice_url: a public body's issued invoice only.
            "einvoice_url": None
            if number is None or einvoice_format == FACTURX
            else f"/api/invoices/{pk}/{einvoice_format}/",
            "note": note,
            "net_total": net_total,
            "vat_total": vat_total,
            "gross_total": gross_total,
            "paid_total": paid_total,
            "credited_total": credited_total,
            "written_off_total": written_off_total,
            "open_amount": open_amount,
            "dunning_level": dunning_level,
            "dunning_blocked": dunning_blocked,
            "dunning_block_reason": dunning_block_reason,
            "rf_reference": rf_reference,
            "exemption_note": exemption_note,
            "legal_note": legal_note,
            "project": project,
            # ClientRefOutputSerializer.get_name: an issued document names the client as it was at issue.
            "client": {"id": client_id, "name": client_snapshot or client_name},
            "original": original,
            "pdf_rendered_at": iso_datetime(pdf_rendered_at, zone),
            "email_sent_at": iso_datetime(email_sent_at, zone),
            # InvoiceOutputSerializer.get_pdf_url: once the PDF is rendered.
            "pdf_url": invoice_pdf_url(pk) if pdf_rendered_at is not None and pdf else None,
            "created_at": iso_datetime(created_at, zone),
            "submitted_at": iso_datetime(submitted_at, zone),
            "issued_at": iso_datetime(issued_at, zone),
        }
        for (
            _count,
            pk,
            kind,
            number,
            status,
            currency,
            issue_date,
            due_date,
            service_date,
            start,
            end,
            order_reference,
            buyer_reference,
            supplier_number,
            einvoice_format,
            portal_uploaded_on,
            note,
            net_total,
            vat_total,
            gross_total,
            paid_total,
            credited_total,
            written_off_total,
            open_amount,
            dunning_level,
            dunning_blocked,
            dunning_block_reason,
            rf_reference,
            exemption_note,
            legal_note,
            project,
            client_id,
            client_snapshot,
            client_name,
            original,
            pdf_rendered_at,
            email_sent_at,
            pdf,
            created_at,
            submitted_at,
            issued_at,
        ) in rows
    ]


@lru_cache(maxsize=32)
def _statement(role: str, by_project: bool, by_status: bool) -> CountedPage:
    """The list's statement for a person of `role` (the selector decides what the role sees)."""
    check_shape(InvoiceOutputSerializer, KEYS)
    check_shape(ClientRefOutputSerializer, ("id", "name"))
    stand_in = Membership(pk=_MEMBERSHIP, role=role)
    visible = invoice_list_visible(
        cooperative=Cooperative(pk=_COOPERATIVE), membership=stand_in
    ).select_related(None)
    if by_project:
        visible = visible.filter(project_id=_PROJECT)
    if by_status:
        visible = visible.filter(status=_STATUS)
    sentinels = {
        "cooperative": _COOPERATIVE,
        "membership": _MEMBERSHIP,
        "project": _PROJECT,
        "status": _STATUS,
    }
    required = ["cooperative", *(["project"] if by_project else []), *(["status"] if by_status else [])]
    return counted_page(visible, _columns, sentinels, required, first_page_along_order=True)


def _columns(invoices: QuerySet[Invoice]) -> QuerySet[Invoice, tuple[Any, ...]]:
    """The columns of the list's rows, each in the form the JSON shows."""
    return invoices.annotate(
        issue=IsoDate("issue_date"),
        due=IsoDate("due_date"),
        service=IsoDate("service_date"),
        start=IsoDate("service_period_start"),
        end=IsoDate("service_period_end"),
        uploaded=IsoDate("portal_uploaded_on"),
        net=as_text("net_total"),
        vat=as_text("vat_total"),
        gross=as_text("gross_total"),
        paid=as_text("paid_total"),
        credited=as_text("credited_total"),
        written_off=as_text("written_off_total"),
        open=as_text(Invoice.open_amount_sql()),
        client_name_now=F("client__name"),
        rendered=EpochMicroseconds("pdf_rendered_at"),
        mailed=EpochMicroseconds("email_sent_at"),
        created=EpochMicroseconds("created_at"),
        submitted=EpochMicroseconds("submitted_at"),
        issued=EpochMicroseconds("issued_at"),
    ).values_list(
        "pk",
        "kind",
        "number",
        "status",
        "currency",
        "issue",
        "due",
        "service",
        "start",
        "end",
        "order_reference",
        "buyer_reference",
        "supplier_number",
        "einvoice_format",
        "uploaded",
        "note",
        "net",
        "vat",
        "gross",
        "paid",
        "credited",
        "written_off",
        "open",
        "dunning_level",
        "dunning_blocked",
        "dunning_block_reason",
        "rf_reference",
        "exemption_note_id",
        "legal_note",
        "project_id",
        "client_id",
        "client_name",
        "client_name_now",
        "original_id",
        "rendered",
        "mailed",
        "pdf",
        "created",
        "submitted",
        "issued",
    )
