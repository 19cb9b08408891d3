"""The invoicing API's shapes. Input serializers check the shape of a request; output serializers present.

Money goes out and comes in as decimal strings with a dot ("1234.50"). No business rule lives here: what
may be drafted, issued, paid or credited is decided by invoicing.services.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from invoicing.models import BankEntry, BankStatement, Invoice, InvoiceLine, Payment
from invoicing.selectors import invoice_vat_warnings
from invoicing.vat import vat_breakdown
from smartprod.core.serializers import BusinessDateField, MoneyField, UploadField
from smartprod.core.validators import MAX_INVOICE_LINES, NOTE_MAX_LENGTH, is_ascii_decimal


def invoice_pdf_url(invoice_id: int) -> str:
    """The access-checked API download (never a public storage URL)."""
    return f"/api/invoices/{invoice_id}/pdf/"


def invoice_pdf_file_name(invoice: Invoice) -> str:
    """Rechnung-2026-00001.pdf: the number, with nothing a header or a file system could trip over.
    Corrections are "Rechnungskorrektur" (partial) or "Storno" (whole) — a "Gutschrift" is self-billing."""
    if invoice.kind != Invoice.Kind.CREDIT_NOTE:
        label = "Rechnung"
    else:
        label = "Storno" if invoice.is_cancellation else "Rechnungskorrektur"
    number = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in (invoice.number or str(invoice.pk)))
    return f"{label}-{number}.pdf"


class QuantityField(serializers.DecimalField):
    """A quantity as a decimal number with a dot ("1.5", or a JSON integer). The sign is the service's
    business: it refuses zero and negative quantities with a message naming the line."""

    default_error_messages = {
        "invalid": _('Enter a quantity as a decimal number with a dot, e.g. "1.5".'),
        "not_a_string": _('Send quantities as decimal strings, e.g. "1.5", or as whole numbers.'),
        "max_decimal_places": _("A quantity has at most three decimal places."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=12, decimal_places=3, coerce_to_string=True, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, float | bool):
            self.fail("not_a_string")
        if not is_ascii_decimal(data) or str(data).startswith("+"):
            self.fail("invalid")
        value: Decimal = super().to_internal_value(data)
        return value


class SignedMoneyField(MoneyField):
    """Output of amounts that may be negative (an overpaid invoice's open amount)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", None)
        super().__init__(**kwargs)


# --- input ----------------------------------------------------------------------------------------------


class LineInputSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=500)
    quantity = QuantityField(help_text='e.g. "10" or "1.5"; above 0')
    unit_price = MoneyField(help_text='net, e.g. "120.00"')
    vat_rate = serializers.CharField(
        max_length=20,
        help_text='a rate valid on the service date ("20", "13", "10" in Austria), or "reverse_charge" '
        '(a business in another EU country with its UID), "not_taxable" (a business outside the EU) or '
        '"exempt" (with `exemption_note`)',
    )
    unit = serializers.CharField(
        max_length=3, required=False, default="C62", help_text="UN/ECE code: C62 piece, HUR hour, DAY day"
    )


class InvoiceInputSerializer(serializers.Serializer[Any]):
    """Create (project and lines required) or, with partial=True, PATCH (only what changes)."""

    project = serializers.IntegerField(min_value=1, help_text="id of an approved project of yours")
    lines = LineInputSerializer(  # type: ignore[call-arg]  # many=True makes a ListSerializer: max_length
        many=True,
        max_length=MAX_INVOICE_LINES,
        help_text=f"replaces all lines when sent in a PATCH; at most {MAX_INVOICE_LINES}",
    )
    service_date = BusinessDateField(required=False, allow_null=True)
    service_period_start = BusinessDateField(required=False, allow_null=True)
    service_period_end = BusinessDateField(required=False, allow_null=True)
    order_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)
    exemption_note = serializers.IntegerField(
        source="exemption_note_id",
        min_value=1,
        required=False,
        allow_null=True,
        help_text="for exempt lines: id of one of the cooperative's VAT exemption notes",
    )


class PaymentInputSerializer(serializers.Serializer[Any]):
    amount = MoneyField(help_text='e.g. "120.00"')
    date = BusinessDateField()
    allow_overpayment = serializers.BooleanField(
        required=False, default=False, help_text="book more than the open amount as the client's credit"
    )


class CreditNoteInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        allow_blank=True, max_length=NOTE_MAX_LENGTH, help_text="why; printed on the credit note"
    )
    lines = LineInputSerializer(  # type: ignore[call-arg]  # many=True makes a ListSerializer: max_length
        many=True,
        required=False,
        max_length=MAX_INVOICE_LINES,
        help_text="the lines to credit; absent: the whole invoice",
    )


class ReasonInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True, max_length=NOTE_MAX_LENGTH)


class DunningBlockInputSerializer(serializers.Serializer[Any]):
    blocked = serializers.BooleanField(required=False, default=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)


class PortalUploadInputSerializer(serializers.Serializer[Any]):
    uploaded_on = BusinessDateField(allow_null=True, help_text="the upload day; null clears it")


class BankStatementInputSerializer(serializers.Serializer[Any]):
    file = UploadField(help_text="an ISO 20022 camt.053 statement (XML)")


# --- output ---------------------------------------------------------------------------------------------


class LineOutputSerializer(serializers.Serializer[InvoiceLine]):
    position = serializers.IntegerField()
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit = serializers.CharField()
    unit_price = MoneyField()
    vat_category = serializers.CharField(
        help_text="EN 16931: S taxable, AE reverse charge, O not taxable here, E exempt"
    )
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    net_amount = MoneyField()
    vat_amount = MoneyField()


class VatGroupOutputSerializer(serializers.Serializer[Any]):
    category = serializers.CharField()
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    basis = MoneyField()
    vat = MoneyField()


class ClientRefOutputSerializer(serializers.Serializer[Invoice]):
    id = serializers.IntegerField(source="client_id")
    name = serializers.SerializerMethodField()

    def get_name(self, invoice: Invoice) -> str:
        # Issued documents show the client as it was at issue.
        return invoice.client_name or invoice.client.name


class InvoiceOutputSerializer(serializers.Serializer[Invoice]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    number = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    currency = serializers.CharField()
    issue_date = serializers.DateField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    service_date = serializers.DateField(allow_null=True)
    service_period_start = serializers.DateField(allow_null=True)
    service_period_end = serializers.DateField(allow_null=True)
    order_reference = serializers.CharField()
    buyer_reference = serializers.CharField(help_text="BT-10; for German public bodies the Leitweg-ID")
    supplier_number = serializers.CharField(help_text="the number a public body assigned to the cooperative")
    einvoice_format = serializers.CharField(
        help_text="how the invoice reaches the client: facturx (PDF by e-mail), ebinterface (uploaded to "
        "e-rechnung.gv.at by finance), xrechnung (XRechnung XML with the PDF as a copy)"
    )
    einvoice_format_label = serializers.CharField(source="get_einvoice_format_display")
    portal_uploaded_on = serializers.DateField(
        allow_null=True, help_text="ebInterface: the day finance uploaded it to e-rechnung.gv.at"
    )
    einvoice_url = serializers.SerializerMethodField()
    note = serializers.CharField()
    net_total = MoneyField()
    vat_total = MoneyField()
    gross_total = MoneyField()
    paid_total = MoneyField()
    credited_total = MoneyField()
    written_off_total = MoneyField()
    open_amount = SignedMoneyField(help_text="what the client still owes; negative: the client's credit")
    dunning_level = serializers.IntegerField(help_text="0 until the first reminder")
    dunning_blocked = serializers.BooleanField()
    dunning_block_reason = serializers.CharField()
    rf_reference = serializers.CharField(help_text="structured creditor reference (ISO 11649)")
    exemption_note = serializers.IntegerField(
        source="exemption_note_id", allow_null=True, help_text="the VAT exemption of exempt lines"
    )
    legal_note = serializers.CharField(help_text="the VAT note printed on the issued document")
    project = serializers.IntegerField(source="project_id")
    client = ClientRefOutputSerializer(source="*")
    original = serializers.IntegerField(
        source="original_id", allow_null=True, help_text="for a credit note: the invoice it corrects"
    )
    pdf_rendered_at = serializers.DateTimeField(allow_null=True)
    email_sent_at = serializers.DateTimeField(allow_null=True)
    pdf_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    issued_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="null but for public bodies"))
    def get_einvoice_url(self, invoice: Invoice) -> str | None:
        """The structured e-invoice of a public body's issued invoice (ebInterface or XRechnung)."""
        if invoice.number is None or invoice.einvoice_format == Invoice.EInvoiceFormat.FACTURX:
            return None
        return f"/api/invoices/{invoice.pk}/{invoice.einvoice_format}/"

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="null until the PDF is rendered"))
    def get_pdf_url(self, invoice: Invoice) -> str | None:
        return invoice_pdf_url(invoice.pk) if invoice.pdf_rendered_at and invoice.pdf else None


class CreditNoteRefSerializer(serializers.Serializer[Invoice]):
    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    issue_date = serializers.DateField(allow_null=True)
    gross_total = MoneyField()
    note = serializers.CharField()


class InvoiceDetailOutputSerializer(InvoiceOutputSerializer):
    lines = LineOutputSerializer(source="lines.all", many=True)
    vat_breakdown = serializers.SerializerMethodField()
    vat_warnings = serializers.SerializerMethodField()
    credit_notes = CreditNoteRefSerializer(source="credit_notes.all", many=True)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_vat_warnings(self, invoice: Invoice) -> list[str]:
        """Before issue: VAT charged where the client's place of supply says it normally is not."""
        return invoice_vat_warnings(invoice=invoice) if invoice.is_editable else []

    @extend_schema_field(VatGroupOutputSerializer(many=True))
    def get_vat_breakdown(self, invoice: Invoice) -> list[dict[str, Any]]:
        groups = vat_breakdown(list(invoice.lines.all()))
        return [
            dict(VatGroupOutputSerializer({"category": c, "rate": r, "basis": b, "vat": v}).data)
            for c, r, b, v in groups
        ]


class PaymentOutputSerializer(serializers.Serializer[Payment]):
    id = serializers.IntegerField()
    invoice = serializers.IntegerField(source="invoice_id")
    amount = MoneyField()
    date = serializers.DateField()
    source = serializers.CharField()  # type: ignore[assignment]  # the field, not Field.source
    bank_entry = serializers.IntegerField(source="bank_entry_id", allow_null=True)
    recorded_at = serializers.DateTimeField()
    fees_paid = MoneyField(help_text="part of the amount that paid dunning costs (to dunning income)")
    interest_paid = MoneyField(help_text="part of the amount that paid default interest (to dunning income)")
    returned_on = serializers.DateField(
        allow_null=True, help_text="the bank took the payment back: reversed, the invoice is open again"
    )


class BankEntryOutputSerializer(serializers.Serializer[BankEntry]):
    id = serializers.IntegerField()
    entry_reference = serializers.CharField()
    amount = MoneyField()
    currency = serializers.CharField()
    is_credit = serializers.BooleanField()
    booking_date = serializers.DateField(allow_null=True)
    value_date = serializers.DateField(allow_null=True)
    debtor_name = serializers.CharField()
    debtor_iban = serializers.CharField()
    remittance_text = serializers.CharField()
    structured_reference = serializers.CharField()
    status = serializers.CharField()
    invoice = serializers.IntegerField(source="invoice_id", allow_null=True)
    is_reversal = serializers.BooleanField()
    return_reason = serializers.CharField()
    end_to_end_id = serializers.CharField()
    booked_as = serializers.CharField(help_text="what another part of the system booked it as (a payout)")


class BankStatementOutputSerializer(serializers.Serializer[BankStatement]):
    id = serializers.IntegerField()
    statement_id = serializers.CharField()
    account_iban = serializers.CharField()
    file_name = serializers.CharField()
    imported_at = serializers.DateTimeField()


class BankImportOutputSerializer(serializers.Serializer[Any]):
    statement = BankStatementOutputSerializer()
    matched = BankEntryOutputSerializer(many=True, help_text="credits matched by reference and booked")
    unmatched = BankEntryOutputSerializer(
        many=True, help_text="credits, reversals and returns waiting for a person"
    )
    returned = BankEntryOutputSerializer(
        many=True, help_text="returns of booked payments: reversed, their invoices open again"
    )
    booked_elsewhere = BankEntryOutputSerializer(
        many=True, help_text="entries another part of the system booked (payouts confirmed or returned)"
    )
    ignored = serializers.IntegerField(
        help_text="the cooperative's outgoing payments (debits, kept for payout confirmation)"
    )
    duplicates = serializers.IntegerField(help_text="entries imported before: booked nothing again")
