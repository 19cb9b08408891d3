"""The invoice document: the PDF (§ 11 UStG contents, EPC QR code, RF reference) with its EN 16931 XML
embedded (Factur-X / ZUGFeRD, PDF/A-3), stored privately and e-mailed to the client exactly once.

Workers call these services after the issue transaction committed (see `invoicing.tasks`); a periodic
sweep re-enqueues what a lost task or a crashed worker left undone. Every service is safe to run twice:
the invoice row is locked, and what is already done (a stored PDF, a sent e-mail) is not done again.
The steps are the kernel's (`smartprod.core.documents`); this module is the invoice's `DocumentKind`:
its PDF, its storage name, its e-mail.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import override, pgettext_lazy

from invoicing.lib.ebinterface import build_ebinterface_xml
from invoicing.lib.einvoice import (
    CREDIT_NOTE,
    INVOICE,
    Contact,
    EInvoice,
    Line,
    Party,
    PdfMetadata,
    TaxSubtotal,
    build_cii_xml,
    facturx_attachment,
    facturx_finisher,
)
from invoicing.lib.epc_qr import MAX_AMOUNT, MIN_AMOUNT, epc_qr_png
from invoicing.lib.rf import rf_format
from invoicing.lib.xrechnung import build_xrechnung_xml
from invoicing.models import Invoice, InvoiceLine
from invoicing.task_queue import RENDER_INVOICE_DOCUMENT, SEND_INVOICE_EMAIL, queue_on_commit
from invoicing.vat import vat_breakdown
from smartprod.core import capabilities
from smartprod.core.audit import audit_log
from smartprod.core.documents import (
    DocumentIntegrityError as DocumentIntegrityError,
)
from smartprod.core.documents import (
    DocumentKind,
    PermanentDocumentError,
    SweepResult,
    document_bytes,
    document_render,
    document_restart,
    document_send,
    document_sweep,
    store_pdf,
)
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.core.formatting import (
    format_amount,
    format_date,
    format_decimal,
    format_iban,
    format_money,
    format_percent,
)
from smartprod.core.money import ZERO
from smartprod.core.pdf import html_to_pdf
from smartprod.core.rows import ModelStatement
from smartprod.tenancy.models import Cooperative, Membership

logger = logging.getLogger(__name__)

TEMPLATE = "invoicing/pdf/invoice.html"
PAGE_CSS = "invoicing/pdf/invoice-page.css"
PDF_VARIANT = "pdf/a-3b"  # Factur-X needs PDF/A-3: embedded fonts, an output intent, attachments allowed
# After this many failed attempts at the current step the sweep stops re-enqueueing; staff retry by hand
# (invoice_document_retry). Each task also retries itself with backoff first.
MAX_DOCUMENT_ATTEMPTS = 5
# The on-commit task of a fresh invoice is normally still on its way: the sweep leaves it alone this long.
SWEEP_BATCH = 500
NO_EMAIL_ERROR = "client has no e-mail address"
# The units of measure (UN/ECE Rec. 20 codes) as the document prints them, in its language.
UNIT_LABELS = {
    "C62": pgettext_lazy("unit on a document", "pcs"),
    "HUR": pgettext_lazy("unit on a document", "h"),
    "DAY": pgettext_lazy("unit on a document", "day(s)"),
    "LS": pgettext_lazy("unit on a document", "lump sum"),
    "MON": pgettext_lazy("unit on a document", "month(s)"),
    "KMT": pgettext_lazy("unit on a document", "km"),
}
ISSUED_STATUSES = (
    Invoice.Status.ISSUED,
    Invoice.Status.PARTIALLY_PAID,
    Invoice.Status.PAID,
    Invoice.Status.WRITTEN_OFF,
    Invoice.Status.CANCELLED,
)
_UNSAFE_NAME = re.compile(r"[^0-9A-Za-z._-]+")


# --- formatting -------------------------------------------------------------------------------------


def _money(value: Decimal, currency: str, lang: str) -> str:
    """The invoice writes the currency code behind the figures in both languages (its columns align)."""
    return format_money(value, currency, lang, currency_first=False)


def _unit(code: str) -> str:
    """In the active language (the document renders under translation.override)."""
    return str(UNIT_LABELS.get(code, code))


def _file_name(number: str) -> str:
    """A storage- and mail-safe file name for an invoice number ('2026/42' → '2026-42')."""
    return _UNSAFE_NAME.sub("-", number).strip("-.") or "invoice"


def _logo_data_uri(cooperative: Cooperative) -> str:
    """The logo inlined (private storage serves no URLs); a broken logo never stops an invoice."""
    if not cooperative.logo:
        return ""
    try:
        with cooperative.logo.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        logger.warning("Logo of cooperative %s cannot be read; invoice printed without it", cooperative.pk)
        return ""
    mime = mimetypes.guess_type(cooperative.logo.name or "")[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


# --- reading the invoice ----------------------------------------------------------------------------


# Stand for the cooperative's and the invoice's id while the lines' query is compiled (no id is negative).
_COOPERATIVE_SENTINEL, _INVOICE_SENTINEL = -918_273_646, -546_372_820


@cache
def _lines_statement() -> ModelStatement[InvoiceLine]:
    """The invoice's lines in order, compiled once and prepared per connection (issue 12: the ORM's
    compilation and PostgreSQL's planning were half of the query's ~0.7 ms)."""
    return ModelStatement(
        InvoiceLine.objects.for_cooperative(_COOPERATIVE_SENTINEL)
        .filter(invoice_id=_INVOICE_SENTINEL)
        .order_by("position", "id"),
        {"cooperative_id": _COOPERATIVE_SENTINEL, "invoice_id": _INVOICE_SENTINEL},
        ["cooperative_id", "invoice_id"],
    )


def _lines(invoice: Invoice) -> list[InvoiceLine]:
    return _lines_statement().all({"cooperative_id": invoice.cooperative_id, "invoice_id": invoice.pk})


def _address_parts(invoice: Invoice) -> tuple[str, str, str, str]:
    """(street, postcode, city, country) of the client as snapshotted at issue.

    The snapshot is text ("street\\npostcode city\\ncountry", see services._common._client_snapshot); when the
    client record still has that address its structured fields are used, else the text is split.
    """
    snapshot = [part.strip() for part in invoice.client_address.splitlines() if part.strip()]
    client = invoice.client
    if snapshot == [part.strip() for part in client.address_lines if part.strip()]:
        return client.street, client.postcode, client.city, client.country
    country = invoice.cooperative.country
    if snapshot and len(snapshot[-1]) == 2 and snapshot[-1].isalpha():
        country = snapshot.pop().upper()
    street = snapshot[0] if snapshot else ""
    postcode, _sep, city = (snapshot[1] if len(snapshot) > 1 else "").partition(" ")
    return street, postcode, city, country


def _client_address_lines(invoice: Invoice) -> list[str]:
    lines = [part.strip() for part in invoice.client_address.splitlines() if part.strip()]
    # A domestic address does not print its country code.
    if lines and lines[-1].upper() == invoice.cooperative.country.upper():
        lines.pop()
    return lines


def _payment_terms_text(invoice: Invoice) -> str:
    """Said in the cooperative's language (call under translation.override)."""
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        return _("The amount is refunded or set off against open invoices.")
    if invoice.due_date is None or invoice.issue_date is None:
        return ""
    days = (invoice.due_date - invoice.issue_date).days
    return _("Payable without deduction within %(days)s days, by %(date)s.") % {
        "days": days,
        "date": format_date(invoice.due_date, invoice.cooperative.language),
    }


def document_title(invoice: Invoice) -> str:
    """What the document is called, in the active language: an invoice, or a correction of one — a
    "Rechnungskorrektur" (partial) or "Storno" (whole). Never "Gutschrift": in § 11 Abs. 7 UStG that is
    a bill the recipient issues (self-billing)."""
    if invoice.kind != Invoice.Kind.CREDIT_NOTE:
        return _("Invoice")
    return _("Cancellation") if invoice.is_cancellation else _("Credit note")


def _service_provider(invoice: Invoice) -> str:
    """The member who did the work: the project's owner (their name as in their account)."""
    user = invoice.project.owner.user
    return str(user.get_full_name() or "")


def _pdf_metadata(invoice: Invoice) -> PdfMetadata:
    """Title, subject and keywords of the PDF in the document's language (call under override)."""
    cooperative = invoice.cooperative
    title = f"{document_title(invoice)} {invoice.number or ''}".strip()
    return PdfMetadata(
        title=title,
        author=cooperative.legal_name,
        subject=_("%(title)s of %(coop)s to %(client)s")
        % {"title": title, "coop": cooperative.legal_name, "client": invoice.client_name},
        keywords=", ".join([document_title(invoice), invoice.number or "", "Factur-X", "EN 16931"]),
        lang="de-AT" if cooperative.language == "de" else "en",
    )


def _qr_png_uri(invoice: Invoice) -> str:
    """The EPC QR code for what is open as a PNG data URI, one pixel per module, printed 32 mm wide with
    `image-rendering: pixelated` (sharp edges, no interpolation); none for credit notes or when SEPA
    cannot carry it. An image is one box: segno's SVG path took WeasyPrint ~10 % of the invoice's time."""
    cooperative = invoice.cooperative
    amount = invoice.open_amount
    if (
        invoice.kind != Invoice.Kind.INVOICE
        or invoice.currency != "EUR"
        or not cooperative.iban
        or not MIN_AMOUNT <= amount <= MAX_AMOUNT
    ):
        return ""
    try:
        png = epc_qr_png(
            name=cooperative.legal_name[:70],
            iban=cooperative.iban,
            bic=cooperative.bic,
            amount=amount,
            reference=invoice.rf_reference,
            scale=1,
        )
    except ValueError as exc:
        raise PermanentDocumentError(f"EPC QR code: {exc}") from exc
    return f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}"


def _context(invoice: Invoice, lines: list[InvoiceLine] | None = None) -> dict[str, Any]:
    cooperative = invoice.cooperative
    lang = cooperative.language
    currency = invoice.currency
    lines = _lines(invoice) if lines is None else lines
    is_credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
    original = invoice.original if is_credit_note else None
    period = (
        (format_date(invoice.service_period_start, lang), format_date(invoice.service_period_end, lang))
        if invoice.service_period_start and invoice.service_period_end
        else None
    )
    return {
        "lang": lang,
        "is_credit_note": is_credit_note,
        "is_cancellation": invoice.is_cancellation,
        "doc_title": document_title(invoice),
        "service_provider": _service_provider(invoice),
        "coop": cooperative,
        "coop_iban": format_iban(cooperative.iban),
        "logo": _logo_data_uri(cooperative),
        "number": invoice.number or "",
        "issue_date": format_date(invoice.issue_date, lang),
        "service_date": format_date(invoice.service_date, lang),
        "service_period": period,
        "due_date": "" if is_credit_note else format_date(invoice.due_date, lang),
        "payment_terms": _payment_terms_text(invoice),
        "client_name": invoice.client_name,
        "client_address": _client_address_lines(invoice),
        # Printed whenever known: § 11 Abs. 1 Z 2 UStG wants it above € 10,000 gross and for reverse charge.
        "client_vat_id": invoice.client_vat_id,
        "order_reference": invoice.order_reference,
        "buyer_reference": invoice.buyer_reference,
        "project_title": invoice.project.title,
        "original_number": original.number if original else "",
        "original_date": format_date(original.issue_date, lang) if original else "",
        "lines": [
            {
                "position": line.position,
                "description": line.description,
                "quantity": format_decimal(line.quantity, lang),
                "unit": _unit(line.unit),
                "unit_price": format_amount(line.unit_price, lang),
                "vat_rate": "–"
                if line.vat_category == InvoiceLine.VatCategory.NOT_TAXABLE
                else format_percent(line.vat_rate, lang),
                "net": format_amount(line.net_amount, lang),
            }
            for line in lines
        ],
        "vat_rows": [
            {
                "category": category,
                "rate": "" if category == InvoiceLine.VatCategory.NOT_TAXABLE else format_percent(rate, lang),
                "net": _money(basis, currency, lang),
                "vat": _money(vat, currency, lang),
                "gross": _money(basis + vat, currency, lang),
            }
            for category, rate, basis, vat in vat_breakdown(lines)
        ],
        "currency": currency,
        "net_total": _money(invoice.net_total, currency, lang),
        "vat_total": _money(invoice.vat_total, currency, lang),
        "gross_total": _money(invoice.gross_total, currency, lang),
        "legal_note": invoice.legal_note,
        "note": invoice.note,
        "rf_reference": rf_format(invoice.rf_reference) if invoice.rf_reference else "",
        "qr_png": _qr_png_uri(invoice),
        "qr_amount": _money(invoice.open_amount, currency, lang),
    }


def invoice_pdf_html(invoice: Invoice, *, lines: list[InvoiceLine] | None = None) -> str:
    """The invoice (or credit note) as HTML for WeasyPrint, in the cooperative's language.

    Carries every content § 11 UStG asks for: supplier and client with addresses and UIDs, number,
    dates, lines with quantity/unit/description, net/rate/VAT per rate, gross, the legal note, the
    payment terms and the bank details with the RF reference and the EPC QR code.
    """
    with override(invoice.cooperative.language):
        return render_to_string(TEMPLATE, _context(invoice, lines))


# --- the EN 16931 e-invoice ---------------------------------------------------------------------------


def invoice_einvoice(invoice: Invoice, *, lines: list[InvoiceLine] | None = None) -> EInvoice:
    """The EN 16931 data of an issued invoice or credit note, as the PDF prints it."""
    cooperative = invoice.cooperative
    lines = _lines(invoice) if lines is None else lines
    is_credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
    street, postcode, city, country = _address_parts(invoice)
    categories = {line.vat_category for line in lines}
    exempt_like = {
        InvoiceLine.VatCategory.REVERSE_CHARGE,
        InvoiceLine.VatCategory.EXEMPT,
        InvoiceLine.VatCategory.NOT_TAXABLE,
    }
    # BR-O-02: an invoice not subject to VAT names no VAT ids; the register number identifies the seller.
    not_taxable = InvoiceLine.VatCategory.NOT_TAXABLE in categories
    original = invoice.original if is_credit_note else None
    service_start: date | None
    service_end: date | None
    if invoice.service_period_start and invoice.service_period_end:
        service_start, service_end = invoice.service_period_start, invoice.service_period_end
    else:
        # EN 16931 BT-72 (delivery date) is not in our EInvoice: a one-day period says the same.
        service_start = service_end = invoice.service_date
    if invoice.number is None or invoice.issue_date is None:
        raise PermanentDocumentError("Only issued invoices have a document.")
    with override(cooperative.language):
        terms = _payment_terms_text(invoice)
        # XRechnung wants payment instructions on a credit note too (BR-DE-1); the refund says how.
        refund = (
            _("The amount is refunded by transfer to the account your payment came from.")
            if is_credit_note and invoice.einvoice_format != Invoice.EInvoiceFormat.FACTURX
            else ""
        )
    contact = (
        Contact(name=cooperative.einvoice_contact_name, phone=cooperative.phone, email=cooperative.email)
        if cooperative.einvoice_contact_name
        else None
    )
    return EInvoice(
        number=invoice.number,
        type_code=CREDIT_NOTE if is_credit_note else INVOICE,
        issue_date=invoice.issue_date,
        currency=invoice.currency,
        seller=Party(
            name=cooperative.legal_name,
            street=cooperative.street_line,
            postcode=cooperative.postcode,
            city=cooperative.city,
            country=cooperative.country.upper(),
            vat_id="" if not_taxable else cooperative.vat_id,
            email=cooperative.email,
            legal_registration=cooperative.register_number if not_taxable else "",
        ),
        buyer=Party(
            name=invoice.client_name,
            street=street,
            postcode=postcode,
            city=city,
            country=country.upper(),
            vat_id="" if not_taxable else invoice.client_vat_id,
            email=invoice.client_email,
        ),
        lines=[
            Line(
                line_id=str(line.position),
                description=line.description,
                quantity=line.quantity,
                unit_code=line.unit,
                unit_price=line.unit_price,
                net_amount=line.net_amount,
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
            )
            for line in lines
        ],
        service_start=service_start,
        service_end=service_end,
        due_date=None if is_credit_note else invoice.due_date,
        payment_terms_text=terms,
        seller_iban=cooperative.iban,
        seller_bic=cooperative.bic,
        payment_reference=invoice.rf_reference,
        buyer_reference=invoice.buyer_reference,
        order_reference=invoice.order_reference,
        exemption_reason=invoice.legal_note if categories & exempt_like else "",
        exemption_reason_code=(
            invoice.exemption_note.vatex_code
            if invoice.exemption_note is not None and InvoiceLine.VatCategory.EXEMPT in categories
            else ""
        ),
        preceding_invoice_number=(original.number or "") if original else "",
        preceding_invoice_date=original.issue_date if original else None,
        net_total=invoice.net_total,
        vat_total=invoice.vat_total,
        gross_total=invoice.gross_total,
        # The document states the invoice as issued: nothing paid yet, the gross total due.
        paid_amount=ZERO,
        due_amount=invoice.gross_total,
        tax_breakdown=[
            TaxSubtotal(category=category, rate=rate, basis=basis, amount=vat)
            for category, rate, basis, vat in vat_breakdown(lines)
        ],
        note=invoice.note,
        seller_contact=contact,
        refund_means_text=refund,
        supplier_number=invoice.supplier_number,
    )


def invoice_pdf_print(
    invoice: Invoice, html: str, *, xml: bytes | None = None, meta: PdfMetadata | None = None
) -> bytes:
    """WeasyPrint's part: the invoice's HTML printed as PDF/A-3b (cached stylesheets and fonts, the compact
    user-agent stylesheet). `make bench` times this part against a minimal page too.

    With `xml` (the EN 16931 CII) and `meta`, WeasyPrint embeds it as factur-x.xml and writes the Factur-X
    XMP and Info in the same pass (no re-parse and re-write of the PDF with pypdf: issue 12)."""
    with override(invoice.cooperative.language):
        page_css = render_to_string(PAGE_CSS)  # page rules with the translated label, cached by text
    return html_to_pdf(
        html,
        stylesheets=("invoicing/pdf/invoice.css",),
        extra_css=(page_css,),
        pdf_variant=PDF_VARIANT,
        compact_ua=True,
        attachments=(facturx_attachment(xml),) if xml is not None else (),
        finisher=facturx_finisher(meta) if meta is not None else None,
        xhtml=True,  # the template is well-formed XHTML: parsed by expat, not the pure-Python HTML5 parser
    )


def invoice_pdf_render(invoice: Invoice) -> bytes:
    """The finished document: the HTML printed as PDF/A-3b with the validated EN 16931 XML embedded."""
    lines = _lines(invoice)  # read once for the page and the XML
    html = invoice_pdf_html(invoice, lines=lines)
    try:
        xml = build_cii_xml(invoice_einvoice(invoice, lines=lines))  # checked against the EN 16931 XSD
    except ValueError as exc:
        raise PermanentDocumentError(f"E-invoice (EN 16931): {exc}") from exc
    with override(invoice.cooperative.language):
        meta = _pdf_metadata(invoice)
    return invoice_pdf_print(invoice, html, xml=xml, meta=meta)


# --- the structured e-invoices of public bodies ---------------------------------------------------------


def _issued_in_format(cooperative: Cooperative, invoice: Invoice, fmt: str) -> None:
    if invoice.cooperative_id != cooperative.pk or invoice.einvoice_format != fmt:
        raise Invoice.DoesNotExist()  # no such document for this invoice (→ 404)
    if invoice.number is None:
        raise ApplicationError(_("The e-invoice is made when the invoice is issued."), conflict=True)


def invoice_ebinterface_xml(*, cooperative: Cooperative, invoice: Invoice) -> bytes:
    """The ebInterface 6.1 XML of an issued invoice to an Austrian public body, from the invoice's data.

    Built on request from the frozen invoice, so it always says what the PDF and its CII say.
    """
    _issued_in_format(cooperative, invoice, Invoice.EInvoiceFormat.EBINTERFACE)
    try:
        return build_ebinterface_xml(invoice_einvoice(invoice), language=cooperative.language)
    except ValueError as exc:
        raise ApplicationError(str(exc), conflict=True) from exc


def invoice_xrechnung_xml(*, cooperative: Cooperative, invoice: Invoice) -> bytes:
    """The XRechnung 3.0 (CII) XML of an issued invoice to a German public body: the invoice itself."""
    _issued_in_format(cooperative, invoice, Invoice.EInvoiceFormat.XRECHNUNG)
    try:
        return build_xrechnung_xml(invoice_einvoice(invoice))
    except ValueError as exc:
        raise ApplicationError(str(exc), conflict=True) from exc


def einvoice_file_name(invoice: Invoice, fmt: str) -> str:
    return f"{_file_name(invoice.number or str(invoice.pk))}-{fmt}.xml"


# --- the document kind and the services the workers run ------------------------------------------------


class InvoiceDocument(DocumentKind[Invoice]):
    """The invoice (or credit note) PDF: rendered once after issue, mailed once to the client's address."""

    code = "invoicing.invoice"
    model = Invoice
    max_attempts = MAX_DOCUMENT_ATTEMPTS
    no_recipient_error = NO_EMAIL_ERROR
    sweep_batch = SWEEP_BATCH

    def queryset(self, cooperative_id: int) -> QuerySet[Invoice]:
        return Invoice.objects.for_cooperative(cooperative_id).select_related(
            "cooperative", "project__owner__user", "client"
        )

    def check_renderable(self, obj: Invoice) -> None:
        if obj.status not in ISSUED_STATUSES:
            raise PermanentDocumentError("Only issued invoices have a document.")

    def render(self, obj: Invoice) -> bytes:
        return invoice_pdf_render(obj)

    def storage_name(self, obj: Invoice) -> str:
        return f"coop-{obj.cooperative_id}/invoices/{_file_name(obj.number or str(obj.pk))}.pdf"

    def store(self, obj: Invoice, pdf: bytes) -> str:
        return _store_pdf(obj, pdf)

    def recipients(self, obj: Invoice) -> list[str]:
        return [obj.client_email] if obj.client_email else []

    def message(self, obj: Invoice, pdf: bytes) -> EmailMessage:
        return _email(obj, pdf)

    def enqueue_render(self, cooperative_id: int, object_id: int) -> None:
        queue_on_commit(RENDER_INVOICE_DOCUMENT, cooperative_id=cooperative_id, invoice_id=object_id)

    def enqueue_send(self, cooperative_id: int, object_id: int) -> None:
        queue_on_commit(SEND_INVOICE_EMAIL, cooperative_id=cooperative_id, invoice_id=object_id)

    def sweep_queryset(self, cutoff: datetime) -> QuerySet[Invoice]:
        return (
            Invoice.objects.all_cooperatives()  # a maintenance scan over every tenant, on purpose
            .filter(status__in=ISSUED_STATUSES, issued_at__lt=cutoff)
            .order_by("issued_at", "id")
        )

    def has_recipient(self) -> Q:
        return ~Q(client_email="")


INVOICE_DOCUMENT = InvoiceDocument()


def _store_pdf(invoice: Invoice, pdf: bytes) -> str:
    """Write the PDF under coop-<id>/invoices/<number>.pdf in the private storage; returns the name."""
    return store_pdf(INVOICE_DOCUMENT, invoice, pdf)


def invoice_render_document(*, cooperative_id: int, invoice_id: int) -> Invoice:
    """Render, embed the e-invoice, store, then queue the e-mail. Idempotent: a stored PDF is kept.

    The invoice row is locked for the render, so two workers never render the same invoice twice; the
    e-mail task is queued after commit. A failure is counted in document_attempts with its message in
    document_error and re-raised (the task retries; PermanentDocumentError is not retried).
    """
    return document_render(INVOICE_DOCUMENT, cooperative_id=cooperative_id, object_id=invoice_id)


def invoice_pdf_bytes(*, cooperative: Cooperative, invoice: Invoice) -> bytes:
    """The stored PDF of an invoice of `cooperative`, checked against the SHA-256 taken at render."""
    if invoice.cooperative_id != cooperative.pk:
        raise Invoice.DoesNotExist()
    data = document_bytes(INVOICE_DOCUMENT, invoice)
    if data is None:
        raise ApplicationError(
            _("The document is still being prepared; try again in a minute."), conflict=True
        )
    return data


def _email(invoice: Invoice, pdf: bytes) -> EmailMessage:
    cooperative = invoice.cooperative
    lang = cooperative.language
    number = invoice.number or ""
    with override(lang):
        if invoice.kind == Invoice.Kind.CREDIT_NOTE:
            subject = _("%(coop)s: %(title)s %(number)s") % {
                "coop": cooperative.legal_name,
                "title": document_title(invoice),
                "number": number,
            }
            body = _(
                "Dear client,\n\nplease find attached our credit note %(number)s for invoice %(original)s "
                "over %(amount)s.\n\nKind regards\n%(coop)s"
            ) % {
                "number": number,
                "original": invoice.original.number if invoice.original else "",
                "amount": _money(invoice.gross_total, invoice.currency, lang),
                "coop": cooperative.legal_name,
            }
        else:
            subject = _("%(coop)s: invoice %(number)s") % {"coop": cooperative.legal_name, "number": number}
            body = _(
                "Dear client,\n\nplease find attached our invoice %(number)s over %(amount)s.\n"
                "Please pay by %(due)s to IBAN %(iban)s (BIC %(bic)s), quoting the payment reference "
                "%(reference)s.\n\nKind regards\n%(coop)s"
            ) % {
                "number": number,
                "amount": _money(invoice.gross_total, invoice.currency, lang),
                "due": format_date(invoice.due_date, lang),
                "iban": format_iban(cooperative.iban),
                "bic": cooperative.bic,
                "reference": rf_format(invoice.rf_reference) if invoice.rf_reference else number,
                "coop": cooperative.legal_name,
            }
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invoice.client_email],
        reply_to=[cooperative.email] if cooperative.email else None,
    )
    message.attach(f"{_file_name(number)}.pdf", pdf, "application/pdf")
    if invoice.einvoice_format == Invoice.EInvoiceFormat.XRECHNUNG:
        # For a German public body the XRechnung XML is the invoice; the PDF is its readable copy.
        xml = invoice_xrechnung_xml(cooperative=cooperative, invoice=invoice)
        message.attach(einvoice_file_name(invoice, "xrechnung"), xml, "application/xml")
    return message


def invoice_send_email(*, cooperative_id: int, invoice_id: int) -> Invoice:
    """Mail the stored PDF to the client's address, once: sets email_sent_at and email_sent_to.

    Does nothing when already sent or not rendered yet (rendering queues the e-mail). Without a client
    address it notes "client has no e-mail address" in document_error and stops without raising.
    The lock held while mailing also holds back payments on this invoice for the SMTP call (EMAIL_TIMEOUT).
    """
    return document_send(INVOICE_DOCUMENT, cooperative_id=cooperative_id, object_id=invoice_id)


def invoice_documents_sweep(*, now: datetime | None = None, grace: timedelta | None = None) -> SweepResult:
    """Across all cooperatives: queue the render or the e-mail of issued documents a lost task or a crashed
    worker left undone (see `smartprod.core.documents.document_sweep`)."""
    return document_sweep(INVOICE_DOCUMENT, now=now, grace=grace)


@transaction.atomic
def invoice_document_retry(*, cooperative: Cooperative, actor: Membership, invoice: Invoice) -> Invoice:
    """Staff start the document over after its attempts ran out (and the cause is fixed): the attempt
    counter and the error are cleared and the missing step is queued."""
    if actor.cooperative_id != cooperative.pk or invoice.cooperative_id != cooperative.pk:
        raise Invoice.DoesNotExist()
    if not capabilities.can_issue_invoice(actor):
        raise NotAllowed(_("Only staff restart an invoice's document."))
    invoice = INVOICE_DOCUMENT.locked(cooperative.pk, invoice.pk)
    if invoice.status not in ISSUED_STATUSES:
        raise ApplicationError(_("Only issued invoices have a document."), conflict=True)
    document_restart(INVOICE_DOCUMENT, invoice)
    audit_log(cooperative=cooperative, actor=actor.user, event="invoice.document_retried", obj=invoice)
    return invoice
