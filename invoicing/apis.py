"""The invoicing REST API: drafts, four-eyes issue, the PDF, payments, credit notes, write-offs, dunning
blocks and the camt.053 bank import.

Each view parses input, calls one service or selector, and presents the result. The invoice is looked up
through `invoice_get` (cooperative, then the person's visible projects) before any role check, so an
invoice the person may not see answers 404 — never 403, which would tell them it exists.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from invoicing import services
from invoicing.bank import bank_statement_import
from invoicing.documents import (
    einvoice_file_name,
    invoice_ebinterface_xml,
    invoice_pdf_bytes,
    invoice_xrechnung_xml,
)
from invoicing.listing import invoice_list_page
from invoicing.models import Invoice
from invoicing.selectors import invoice_detail, invoice_get, payment_list
from invoicing.serializers import (
    BankImportOutputSerializer,
    BankStatementInputSerializer,
    CreditNoteInputSerializer,
    DunningBlockInputSerializer,
    InvoiceDetailOutputSerializer,
    InvoiceInputSerializer,
    InvoiceOutputSerializer,
    PaymentInputSerializer,
    PaymentOutputSerializer,
    PortalUploadInputSerializer,
    ReasonInputSerializer,
    invoice_pdf_file_name,
)
from invoicing.services import LineInput
from projects.models import Project
from projects.selectors import project_get
from smartprod.core import capabilities
from smartprod.core.api import (
    PAGE_PARAMETERS,
    CooperativeMixin,
    IsFinance,
    IsStaffRole,
    page_of,
    parse,
    require_permission,
)
from smartprod.core.errors import ApplicationError
from smartprod.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from smartprod.core.idempotency import IdempotentRequest, idempotency_key_parse
from smartprod.core.parsers import JSONParser  # the depth limit and the text check

MAX_STATEMENT_BYTES = 20 * 1024 * 1024
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Optional, at most 255 characters, unique per request (e.g. a UUID). A retry with the same "
    "key and body books nothing new and answers with the first result; the same key with another body "
    "answers 409.",
)


def _lines(rows: list[dict[str, Any]]) -> list[LineInput]:
    return [
        LineInput(
            description=row["description"],
            quantity=row["quantity"],
            unit_price=row["unit_price"],
            vat_rate=row["vat_rate"],
            unit=row.get("unit") or "C62",
        )
        for row in rows
    ]


class InvoiceApi(APIView, CooperativeMixin):
    def get_invoice(self, invoice_id: int) -> Invoice:
        return invoice_get(cooperative=self.cooperative, membership=self.membership, invoice_id=invoice_id)

    def present(self, invoice: Invoice, code: int = status.HTTP_200_OK) -> Response:
        detail = invoice_detail(
            cooperative=self.cooperative, membership=self.membership, invoice_id=invoice.pk
        )
        return Response(InvoiceDetailOutputSerializer(detail).data, status=code)

    def require_staff(self, request: Request) -> None:
        require_permission(request, self, IsStaffRole)


# --- invoices -------------------------------------------------------------------------------------------


class InvoiceListCreateApi(InvoiceApi):
    parser_classes = [JSONParser]  # lines are a nested list: JSON only

    @extend_schema(
        operation_id="invoices_list",
        tags=["invoices"],
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("project", OpenApiTypes.INT, description="only this project's invoices"),
            OpenApiParameter("status", OpenApiTypes.STR, description="e.g. submitted, issued, paid"),
        ],
        responses=page_of("InvoicePage", InvoiceOutputSerializer),
        description="Invoices and credit notes of the projects the person may see (staff: all).",
    )
    def get(self, request: Request) -> Response:
        # Read as values (invoicing.listing): the same JSON as InvoiceOutputSerializer, a fraction the cost.
        project = request.query_params.get("project", "")
        return invoice_list_page(
            request,
            cooperative=self.cooperative,
            membership=self.membership,
            project=int(project) if project.isdigit() else None,
            status=request.query_params.get("status", ""),
        )

    @extend_schema(
        tags=["invoices"],
        request=InvoiceInputSerializer,
        responses={201: InvoiceDetailOutputSerializer},
        description="Draft an invoice for an approved project. Give `service_date` or the service period.",
    )
    def post(self, request: Request) -> Response:
        data = parse(InvoiceInputSerializer, request.data)
        try:
            project = project_get(
                cooperative=self.cooperative, membership=self.membership, project_id=data.pop("project")
            )
        except Project.DoesNotExist:
            message = _("There is no such project of yours.")
            raise ApplicationError(message, details={"project": [message]}) from None
        invoice = services.invoice_create_draft(
            cooperative=self.cooperative,
            actor=self.membership,
            project=project,
            lines=_lines(data.pop("lines")),
            **data,
        )
        return self.present(invoice, status.HTTP_201_CREATED)


class InvoiceDetailApi(InvoiceApi):
    parser_classes = [JSONParser]

    @extend_schema(tags=["invoices"], responses=InvoiceDetailOutputSerializer)
    def get(self, request: Request, invoice_id: int) -> Response:
        return self.present(self.get_invoice(invoice_id))

    @extend_schema(
        tags=["invoices"],
        request=InvoiceInputSerializer(partial=True),
        responses=InvoiceDetailOutputSerializer,
        description="Only while draft or submitted (a submitted invoice goes back to draft). `lines`, when "
        "sent, replaces all lines.",
    )
    def patch(self, request: Request, invoice_id: int) -> Response:
        invoice = self.get_invoice(invoice_id)
        data = parse(InvoiceInputSerializer, request.data, partial=True)
        lines = _lines(data.pop("lines")) if "lines" in data else None
        invoice = services.invoice_update_draft(
            cooperative=self.cooperative, actor=self.membership, invoice=invoice, lines=lines, **data
        )
        return self.present(invoice)


class InvoiceSubmitApi(InvoiceApi):
    @extend_schema(tags=["invoice workflow"], request=None, responses=InvoiceDetailOutputSerializer)
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = self.get_invoice(invoice_id)
        invoice = services.invoice_submit(
            cooperative=self.cooperative, actor=self.membership, invoice=invoice
        )
        return self.present(invoice)


class InvoiceIssueApi(InvoiceApi):
    @extend_schema(
        tags=["invoice workflow"],
        request=None,
        responses=InvoiceDetailOutputSerializer,
        description="An advisor or finance person issues a submitted invoice (four eyes): the next number, "
        "the ledger posting; the PDF follows. 409 when it is already issued.",
    )
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = self.get_invoice(invoice_id)
        if capabilities.is_staff(self.membership):
            self.require_staff(request)  # two-factor for finance and admin
        # A member is answered by the service (the cooperative may let owners issue their own invoices).
        invoice = services.invoice_issue(cooperative=self.cooperative, actor=self.membership, invoice=invoice)
        return self.present(invoice)


class InvoicePdfApi(InvoiceApi):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The PDF goes out as a plain HttpResponse; an error is JSON even to `Accept: application/pdf`.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["invoices"],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the invoice PDF"),
            409: OpenApiResponse(description="the PDF is not rendered yet"),
        },
    )
    def get(self, request: Request, invoice_id: int) -> HttpResponse:
        invoice = self.get_invoice(invoice_id)
        try:
            # 409 while the worker has not rendered it yet (invoicing.documents decides and says so).
            content = invoice_pdf_bytes(cooperative=self.cooperative, invoice=invoice)
        except FileNotFoundError:
            raise Invoice.DoesNotExist from None
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice_pdf_file_name(invoice)}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class _InvoiceXmlApi(InvoiceApi):
    """An issued invoice's structured e-invoice for a public body; 404 when the invoice has none."""

    fmt = ""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)

    def build(self, invoice: Invoice) -> bytes:
        raise NotImplementedError

    def get(self, request: Request, invoice_id: int) -> HttpResponse:
        invoice = self.get_invoice(invoice_id)
        response = HttpResponse(self.build(invoice), content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{einvoice_file_name(invoice, self.fmt)}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class InvoiceEbinterfaceApi(_InvoiceXmlApi):
    fmt = "ebinterface"

    def build(self, invoice: Invoice) -> bytes:
        return invoice_ebinterface_xml(cooperative=self.cooperative, invoice=invoice)

    @extend_schema(
        tags=["invoices"],
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.BINARY, description="ebInterface 6.1 XML (Austrian public bodies)"
            ),
            404: OpenApiResponse(description="no such invoice, or it does not go out as ebInterface"),
        },
    )
    def get(self, request: Request, invoice_id: int) -> HttpResponse:
        return super().get(request, invoice_id)


class InvoiceXrechnungApi(_InvoiceXmlApi):
    fmt = "xrechnung"

    def build(self, invoice: Invoice) -> bytes:
        return invoice_xrechnung_xml(cooperative=self.cooperative, invoice=invoice)

    @extend_schema(
        tags=["invoices"],
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.BINARY, description="XRechnung 3.0 CII XML (German public bodies)"
            ),
            404: OpenApiResponse(description="no such invoice, or it does not go out as XRechnung"),
        },
    )
    def get(self, request: Request, invoice_id: int) -> HttpResponse:
        return super().get(request, invoice_id)


class InvoicePortalUploadApi(InvoiceApi):
    @extend_schema(
        tags=["invoices"],
        request=PortalUploadInputSerializer,
        responses={200: InvoiceDetailOutputSerializer},
    )
    def post(self, request: Request, invoice_id: int) -> Response:
        """Finance notes the day the ebInterface XML was uploaded to e-rechnung.gv.at (null clears it)."""
        invoice = self.get_invoice(invoice_id)
        require_permission(request, self, IsFinance)
        data = parse(PortalUploadInputSerializer, request.data)
        invoice = services.invoice_note_portal_upload(
            cooperative=self.cooperative,
            actor=self.membership,
            invoice=invoice,
            uploaded_on=data["uploaded_on"],
        )
        return self.present(invoice)


# --- money after issue ----------------------------------------------------------------------------------


class InvoicePaymentsApi(InvoiceApi):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="invoice_payments_list",
        tags=["payments"],
        responses=PaymentOutputSerializer(many=True),
    )
    def get(self, request: Request, invoice_id: int) -> Response:
        invoice = self.get_invoice(invoice_id)
        payments = payment_list(cooperative=self.cooperative, invoice=invoice)
        return Response(PaymentOutputSerializer(payments, many=True).data)  # type: ignore[arg-type]

    @extend_schema(
        tags=["payments"],
        request=PaymentInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: PaymentOutputSerializer,
            409: OpenApiResponse(
                description="more than the open amount without `allow_overpayment`, or the Idempotency-Key "
                "was used before with another request"
            ),
        },
        description="Finance only. More than the open amount only with `allow_overpayment` (409 otherwise). "
        "Send an `Idempotency-Key` header to make retries safe: the same key and body again answer 201 "
        "with the payment booked the first time.",
    )
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = self.get_invoice(invoice_id)
        require_permission(request, self, IsFinance)
        key = idempotency_key_parse(request.headers.get(IDEMPOTENCY_HEADER))
        data = parse(PaymentInputSerializer, request.data)
        payment = services.payment_record(
            cooperative=self.cooperative,
            actor=self.membership,
            invoice=invoice,
            amount=data["amount"],
            date=data["date"],
            allow_overpayment=data["allow_overpayment"],
            idempotent=IdempotentRequest(key, data) if key is not None else None,
        )
        return Response(PaymentOutputSerializer(payment).data, status=status.HTTP_201_CREATED)


class InvoiceCreditNoteApi(InvoiceApi):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["invoice workflow"],
        request=CreditNoteInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: InvoiceDetailOutputSerializer,
            409: OpenApiResponse(description="the Idempotency-Key was used before with another request"),
        },
        description="A credit note with its own number: the whole invoice, or the `lines` sent. Send an "
        "`Idempotency-Key` header to make retries safe: the same key and body again answer 201 with the "
        "credit note made the first time.",
    )
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = self.get_invoice(invoice_id)
        self.require_staff(request)
        key = idempotency_key_parse(request.headers.get(IDEMPOTENCY_HEADER))
        data = parse(CreditNoteInputSerializer, request.data)
        note = services.credit_note_issue(
            cooperative=self.cooperative,
            actor=self.membership,
            invoice=invoice,
            reason=data["reason"],
            lines=_lines(data["lines"]) if "lines" in data else None,
            idempotent=IdempotentRequest(key, data) if key is not None else None,
        )
        return self.present(note, status.HTTP_201_CREATED)


class InvoiceWriteOffApi(InvoiceApi):
    @extend_schema(
        tags=["invoice workflow"],
        request=ReasonInputSerializer,
        responses=InvoiceDetailOutputSerializer,
        description="Finance only: the open amount becomes a default, carried by the cooperative.",
    )
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = self.get_invoice(invoice_id)
        require_permission(request, self, IsFinance)
        data = parse(ReasonInputSerializer, request.data)
        services.invoice_write_off(
            cooperative=self.cooperative, actor=self.membership, invoice=invoice, reason=data["reason"]
        )
        return self.present(invoice)


class InvoiceDunningBlockApi(InvoiceApi):
    @extend_schema(
        tags=["invoice workflow"],
        request=DunningBlockInputSerializer,
        responses=InvoiceDetailOutputSerializer,
        description="Stop dunning (`blocked`: true, with a reason, e.g. a dispute) or resume it.",
    )
    def post(self, request: Request, invoice_id: int) -> Response:
        invoice = self.get_invoice(invoice_id)
        self.require_staff(request)
        data = parse(DunningBlockInputSerializer, request.data)
        invoice = services.invoice_set_dunning_block(
            cooperative=self.cooperative,
            actor=self.membership,
            invoice=invoice,
            blocked=data["blocked"],
            reason=data["reason"],
        )
        return self.present(invoice)


# --- bank -----------------------------------------------------------------------------------------------


class BankStatementImportApi(APIView, CooperativeMixin):
    parser_classes = [MultiPartParser]
    permission_classes = [IsFinance]

    @extend_schema(
        tags=["payments"],
        request={"multipart/form-data": BankStatementInputSerializer},
        responses={201: BankImportOutputSerializer},
        description="Finance only. Import a camt.053 statement: credits whose reference names an open "
        "invoice of this cooperative are booked; the rest waits in the backend for manual assignment. "
        "Importing the same file again books nothing twice.",
    )
    def post(self, request: Request) -> Response:
        data = parse(BankStatementInputSerializer, request.data)
        upload = data["file"]
        if upload.size is not None and upload.size > MAX_STATEMENT_BYTES:
            message = _("A bank statement file may have at most 20 MB.")
            raise ApplicationError(message, details={"file": [message]})
        result = bank_statement_import(
            cooperative=self.cooperative,
            actor=self.membership,
            data=upload.read(),
            file_name=str(upload.name or "")[:255],
        )
        body = {
            "statement": result.statement,
            "matched": list(result.matched),
            "unmatched": list(result.unmatched),
            "returned": list(result.returned),
            "booked_elsewhere": list(result.elsewhere),
            "ignored": _count(result.outgoing),
            "duplicates": _count(result.duplicates),
        }
        return Response(BankImportOutputSerializer(body).data, status=status.HTTP_201_CREATED)


def _count(value: Any) -> int:
    return value if isinstance(value, int) else len(value)
