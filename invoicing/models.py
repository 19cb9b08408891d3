from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from projects.models import Client, JournalEntry, Project
from smartprod.core.models import DocumentState, TenantModel, money_field


class VatRate(models.Model):
    """Reference data: a country's VAT rates with their validity, chosen by the service date."""

    class Code(models.TextChoices):
        STANDARD = "standard", _("Standard rate")
        REDUCED = "reduced", _("Reduced rate")
        REDUCED_2 = "reduced_2", _("Second reduced rate")

    country = models.CharField(_("country"), max_length=2)
    code = models.CharField(_("code"), max_length=12, choices=Code.choices)
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")
        ordering = ["country", "code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["country", "code", "valid_from"], name="vat_rate_once")
        ]

    def __str__(self) -> str:
        return _("%(country)s %(code)s %(rate)s %% from %(date)s") % {
            "country": self.country,
            "code": self.code,
            "rate": self.rate,
            "date": date_format(self.valid_from, "SHORT_DATE_FORMAT"),
        }


class BaseRate(models.Model):
    """The central bank's base rate (Basiszinssatz) with its valid-from date: input to default interest."""

    country = models.CharField(_("country"), max_length=2, default="AT")
    valid_from = models.DateField(_("valid from"))
    rate = models.DecimalField(_("rate (%)"), max_digits=6, decimal_places=3)

    class Meta:
        verbose_name = _("base rate")
        verbose_name_plural = _("base rates")
        ordering = ["country", "valid_from"]
        constraints = [models.UniqueConstraint(fields=["country", "valid_from"], name="base_rate_once")]

    def __str__(self) -> str:
        return _("%(country)s %(rate)s %% from %(date)s") % {
            "country": self.country,
            "rate": self.rate,
            "date": date_format(self.valid_from, "SHORT_DATE_FORMAT"),
        }


# § 6 Abs. 1 Z 27 UStG 1994 (Kleinunternehmer) exempts businesses with a small turnover; a cooperative
# invoicing for its members is never one, so no invoice of ours may cite it.
_SMALL_BUSINESS = re.compile(r"§\s*6\s*Abs\.?\s*1\s*Z\.?\s*27|kleinunternehm|small business", re.IGNORECASE)


def validate_not_small_business(value: str) -> None:
    if _SMALL_BUSINESS.search(value or ""):
        raise ValidationError(
            _(
                "A cooperative is never a small business (§ 6 Abs. 1 Z 27 UStG): this exemption cannot be "
                "used on its invoices."
            )
        )


class ExemptionNote(TenantModel):
    """A VAT exemption the cooperative may invoice under, with the legal reference printed on the invoice.

    Kept by staff in the backend; an exempt invoice picks one (never free text), so that the note on the
    invoice (§ 11 Abs. 1 Z 3 lit. e UStG 1994: a note that an exemption applies) and the EN 16931 exemption
    reason (BT-120, and BT-121 when a VATEX code is given) are right.
    """

    name = models.CharField(_("name"), max_length=100, help_text=_("Shown when choosing the exemption."))
    legal_reference = models.CharField(
        _("legal reference"),
        max_length=120,
        validators=[validate_not_small_business],
        help_text=_("e.g. § 6 Abs. 1 Z 19 UStG"),
    )
    text = models.CharField(
        _("text on the invoice"),
        max_length=300,
        validators=[validate_not_small_business],
        help_text=_("e.g. Steuerfrei gemäß § 6 Abs. 1 Z 19 UStG (Heilbehandlung)"),
    )
    vatex_code = models.CharField(
        _("VATEX code"),
        max_length=30,
        blank=True,
        validators=[RegexValidator(r"^VATEX-[A-Z0-9-]+$", _("A VATEX code such as VATEX-EU-132-1C."))],
        help_text=_("Optional code of the exemption for e-invoices (CEF VATEX list), e.g. VATEX-EU-132-1C."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("VAT exemption note")
        verbose_name_plural = _("VAT exemption notes")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "name"], name="exemption_note_name_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.legal_reference})"

    @property
    def invoice_text(self) -> str:
        """The note as printed: the text, followed by the legal reference unless the text already cites it."""
        if self.legal_reference.strip() and self.legal_reference.strip() not in self.text:
            return f"{self.text.strip()} ({self.legal_reference.strip()})"
        return self.text.strip()


class InvoicingSettings(TenantModel):
    """Per-cooperative invoicing choices (number formats, four eyes)."""

    invoice_number_format = models.CharField(
        _("invoice number format"),
        max_length=60,
        default="{year}-{number:05d}",
        help_text=_("Python format with {year} and {number}, e.g. {year}-{number:05d} → 2026-00042"),
    )
    credit_note_number_format = models.CharField(
        _("credit note number format"), max_length=60, default="GS-{year}-{number:05d}"
    )
    members_may_issue = models.BooleanField(
        _("members may issue invoices of approved projects themselves"), default=False
    )
    reminder_sender_name = models.CharField(_("sender name on reminders"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("invoicing settings")
        verbose_name_plural = _("invoicing settings")
        constraints = [models.UniqueConstraint(fields=["cooperative"], name="invoicing_settings_one")]

    def __str__(self) -> str:
        return str(_("Invoicing settings"))


class Invoice(DocumentState, TenantModel):
    """An invoice (or credit note) of the cooperative to a client, for a member's project.

    Draft and submitted invoices are editable by their author; from `issue` on the document is frozen
    (code, admin and a database trigger): corrections are credit notes.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class EInvoiceFormat(models.TextChoices):
        FACTURX = "facturx", _("Factur-X PDF by e-mail")
        EBINTERFACE = "ebinterface", _("ebInterface 6.1 via e-rechnung.gv.at")
        XRECHNUNG = "xrechnung", _("XRechnung 3.0")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ISSUED = "issued", _("Issued")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PAID = "paid", _("Paid")
        WRITTEN_OFF = "written_off", _("Written off")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("project")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("client")
    )
    original = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("original invoice"),
    )
    number = models.CharField(_("number"), max_length=40, null=True, blank=True)
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    service_date = models.DateField(_("service date"), null=True, blank=True)
    service_period_start = models.DateField(_("service from"), null=True, blank=True)
    service_period_end = models.DateField(_("service until"), null=True, blank=True)
    order_reference = models.CharField(_("client's order reference"), max_length=100, blank=True)
    buyer_reference = models.CharField(_("buyer reference"), max_length=100, blank=True)
    supplier_number = models.CharField(_("supplier number"), max_length=35, blank=True)
    # Chosen at issue from the client (public sector, country); a credit note goes the way of its invoice.
    einvoice_format = models.CharField(
        _("e-invoice format"), max_length=12, choices=EInvoiceFormat.choices, default=EInvoiceFormat.FACTURX
    )
    portal_uploaded_on = models.DateField(_("uploaded to e-rechnung.gv.at on"), null=True, blank=True)
    note = models.TextField(_("note on the invoice"), blank=True)
    # Snapshot of the client at issue: the document must not change when the client record does.
    client_name = models.CharField(_("client name"), max_length=200, blank=True)
    client_address = models.TextField(_("client address"), blank=True)
    client_vat_id = models.CharField(_("client VAT id"), max_length=20, blank=True)
    client_email = models.EmailField(_("client e-mail"), blank=True)
    client_is_business = models.BooleanField(_("client is a business"), default=True)
    net_total = money_field(_("net total"), default=Decimal("0.00"))
    vat_total = money_field(_("VAT total"), default=Decimal("0.00"))
    gross_total = money_field(_("gross total"), default=Decimal("0.00"))
    contribution_rate = models.DecimalField(
        _("contribution rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    contribution = money_field(_("contribution"), default=Decimal("0.00"))
    paid_total = money_field(_("paid"), default=Decimal("0.00"))
    credited_total = money_field(_("credited"), default=Decimal("0.00"))
    written_off_total = money_field(_("written off"), default=Decimal("0.00"))
    rf_reference = models.CharField(_("payment reference"), max_length=25, blank=True)
    exemption_note = models.ForeignKey(
        ExemptionNote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("VAT exemption"),
    )
    legal_note = models.TextField(_("legal note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    journal_entry = models.OneToOneField(
        JournalEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("journal entry"),
    )
    # The document: rendered and sent by workers after commit; state visible to staff and member.
    pdf = models.FileField(_("PDF"), upload_to="invoices/", max_length=300, blank=True)
    # Dunning (Mahnwesen).
    dunning_level = models.PositiveSmallIntegerField(_("dunning level"), default=0)
    dunning_blocked = models.BooleanField(_("dunning blocked (dispute)"), default=False)
    dunning_block_reason = models.CharField(_("reason for the dunning block"), max_length=300, blank=True)
    handed_to_advisor_at = models.DateTimeField(_("handed to advisor at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "number"],
                condition=Q(number__isnull=False),
                name="invoice_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"])
                | (Q(number__isnull=False) & Q(issue_date__isnull=False)),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=Q(gross_total=F("net_total") + F("vat_total")), name="invoice_gross_is_net_plus_vat"
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice") | Q(original__isnull=False), name="credit_note_has_original"
            ),
        ]
        indexes = [
            # The dunning scan reads only open, issued invoices: its cost follows them, not all invoices.
            models.Index(
                fields=["cooperative", "due_date"],
                name="invoice_open_due",
                condition=Q(status__in=["issued", "partially_paid"], kind="invoice", dunning_blocked=False),
            ),
            models.Index(fields=["cooperative", "rf_reference"], name="invoice_rf"),
            models.Index(fields=["cooperative", "project", "status"], name="invoice_project_status"),
            # The lists' order (newest first): a page reads its rows along it and stops (issue 12).
            models.Index(fields=["cooperative", "-created_at", "-id"], name="invoice_newest_first"),
        ]

    def __str__(self) -> str:
        """The number once issued; before, the kind and where it stands ("Invoice, submitted 29.11.2026"),
        not a database id that means nothing to the reader (the backend adds the client, invoicing.admin)."""
        if self.number:
            return self.number
        if self.status == self.Status.SUBMITTED and self.submitted_at is not None:
            return _("%(kind)s, submitted %(date)s") % {
                "kind": self.get_kind_display(),
                "date": date_format(timezone.localtime(self.submitted_at).date(), "SHORT_DATE_FORMAT"),
            }
        return _("%(kind)s, draft of %(date)s") % {
            "kind": self.get_kind_display(),
            "date": date_format(timezone.localtime(self.created_at).date(), "SHORT_DATE_FORMAT")
            if self.created_at
            else "–",
        }

    # Nothing is owed on these: not issued yet, or cancelled.
    NOTHING_OPEN = (Status.DRAFT, Status.SUBMITTED, Status.CANCELLED)

    @property
    def open_amount(self) -> Decimal:
        """What the client still owes (negative: the client paid more: a credit). `open_amount_sql` is the
        same rule for a query."""
        if self.kind == self.Kind.CREDIT_NOTE or self.status in self.NOTHING_OPEN:
            return Decimal("0.00")
        result: Decimal = self.gross_total - self.paid_total - self.credited_total - self.written_off_total
        return result

    @classmethod
    def open_amount_sql(cls) -> models.Case:
        """`open_amount` computed by the database (the invoices list reads values, no instances);
        tests/test_list_query_counts.py holds the two to the same result for every kind and status."""
        return models.Case(
            models.When(
                Q(kind=cls.Kind.CREDIT_NOTE) | Q(status__in=cls.NOTHING_OPEN),
                then=models.Value(Decimal("0.00")),
            ),
            default=F("gross_total") - F("paid_total") - F("credited_total") - F("written_off_total"),
            output_field=money_field(),
        )

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SUBMITTED)

    @property
    def is_cancellation(self) -> bool:
        """A credit note for the whole of its invoice (Storno); a partial one is a Rechnungskorrektur."""
        return (
            self.kind == self.Kind.CREDIT_NOTE
            and self.original is not None
            and self.gross_total == self.original.gross_total
        )


class InvoiceLine(TenantModel):
    class VatCategory(models.TextChoices):
        STANDARD = "S", _("Taxable")
        REVERSE_CHARGE = "AE", _("Reverse charge")
        EXEMPT = "E", _("Exempt")
        NOT_TAXABLE = "O", _("Not taxable in this country")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="lines", verbose_name=_("invoice")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=3, default="C62")
    unit_price = money_field(_("unit price"))
    vat_category = models.CharField(
        _("VAT category"), max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    net_amount = money_field(_("net amount"))
    vat_amount = money_field(_("VAT amount"))

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoice_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="invoice_line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"


class Payment(TenantModel):
    class Source(models.TextChoices):
        MANUAL = "manual", _("Recorded by hand")
        BANK = "bank", _("Bank statement")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice")
    )
    amount = money_field(_("amount"))
    date = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=6, choices=Source.choices, default=Source.MANUAL)
    bank_entry = models.OneToOneField(
        "invoicing.BankEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment",
        verbose_name=_("bank entry"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    journal_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, related_name="+", verbose_name=_("journal entry")
    )
    # The part of `amount` that paid the dunning costs / default interest claimed in the letters
    # (booked to dunning income, § 1416 ABGB order); the rest paid the invoice.
    fees_paid = money_field(_("dunning costs paid"), default=Decimal("0.00"))
    interest_paid = money_field(_("default interest paid"), default=Decimal("0.00"))
    # A payment the bank took back (returned / reversed credit): reversed in the ledger, invoice reopened.
    returned_by = models.OneToOneField(
        "invoicing.BankEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returned_payment",
        verbose_name=_("returned by bank entry"),
    )
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    return_journal_entry = models.OneToOneField(
        JournalEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reversal journal entry"),
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=Q(fees_paid__gte=0)
                & Q(interest_paid__gte=0)
                & Q(amount__gte=F("fees_paid") + F("interest_paid")),
                name="payment_dunning_part_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(returned_on__isnull=True) | Q(return_journal_entry__isnull=False),
                name="payment_return_is_posted",
            ),
        ]

    def __str__(self) -> str:
        return _("%(amount)s on %(date)s") % {
            "amount": number_format(self.amount, 2, force_grouping=True),
            "date": date_format(self.date, "SHORT_DATE_FORMAT"),
        }

    @property
    def dunning_part(self) -> Decimal:
        """What the payment paid on dunning costs and default interest."""
        result: Decimal = self.fees_paid + self.interest_paid
        return result

    @property
    def principal(self) -> Decimal:
        """What the payment paid on the invoice itself (not dunning costs or interest)."""
        result: Decimal = self.amount - self.fees_paid - self.interest_paid
        return result


class WriteOff(TenantModel):
    """Ausfallshaftung: the open amount leaves receivables into the guarantee fund; the budget keeps it."""

    invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, related_name="write_off", verbose_name=_("invoice")
    )
    gross_amount = money_field(_("gross amount"))
    net_amount = money_field(_("net amount"))
    vat_amount = money_field(_("VAT amount"))
    reason = models.TextField(_("reason"))
    date = models.DateField(_("date"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("written off by")
    )
    journal_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, related_name="+", verbose_name=_("journal entry")
    )

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")

    def __str__(self) -> str:
        return _("Write-off of %(amount)s on %(invoice)s") % {
            "amount": number_format(self.gross_amount, 2, force_grouping=True),
            "invoice": self.invoice,
        }


class BankStatement(TenantModel):
    statement_id = models.CharField(_("statement ID"), max_length=100)
    account_iban = models.CharField(_("account IBAN"), max_length=34)
    file_sha256 = models.CharField(_("file checksum (SHA-256)"), max_length=64)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("imported by")
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.statement_id} ({self.account_iban})"


class BankEntry(TenantModel):
    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched and booked")
        UNMATCHED = "unmatched", _("Waiting for manual assignment")
        ASSIGNED = "assigned", _("Assigned by hand and booked")
        IGNORED = "ignored", _("Not a client payment")
        OUTGOING = "outgoing", _("Outgoing payment")
        RETURN = "return", _("Return: payment reversed, invoice reopened")
        RETURNED = "returned", _("Booked, then returned by the bank")
        BOOKED_ELSEWHERE = "elsewhere", _("Booked by another part of the system (e.g. a payout)")

    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="entries", verbose_name=_("bank statement")
    )
    entry_reference = models.CharField(_("entry reference"), max_length=140)
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    is_credit = models.BooleanField(_("incoming"))
    booking_date = models.DateField(_("booking date"), null=True, blank=True)
    value_date = models.DateField(_("value date"), null=True, blank=True)
    remittance_text = models.TextField(_("remittance information"), blank=True)
    structured_reference = models.CharField(_("structured reference"), max_length=60, blank=True)
    debtor_name = models.CharField(_("payer name"), max_length=200, blank=True)
    debtor_iban = models.CharField(_("payer IBAN"), max_length=34, blank=True)
    creditor_name = models.CharField(_("payee name"), max_length=200, blank=True)
    creditor_iban = models.CharField(_("payee IBAN"), max_length=34, blank=True)
    end_to_end_id = models.CharField(_("end-to-end ID"), max_length=35, blank=True)
    is_reversal = models.BooleanField(_("reversal (RvslInd)"), default=False)
    return_reason = models.CharField(_("return reason code"), max_length=35, blank=True)
    bank_transaction_code = models.CharField(_("bank transaction code"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # What a kernel-registered matcher booked (e.g. "payout item 12 paid"), for status BOOKED_ELSEWHERE.
    booked_as = models.CharField(_("booked as"), max_length=200, blank=True)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("invoice")
    )

    class Meta:
        verbose_name = _("bank entry")
        verbose_name_plural = _("bank entries")
        ordering = ["booking_date", "id"]
        constraints = [
            # Importing the same statement again books nothing twice.
            models.UniqueConstraint(fields=["cooperative", "entry_reference"], name="bank_entry_once"),
        ]
        indexes = [
            # Returns find the payment they take back, payout confirmation its transfer, by EndToEndId.
            models.Index(
                fields=["cooperative", "end_to_end_id"],
                name="bank_entry_end_to_end",
                condition=~Q(end_to_end_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.debtor_name}"


class DunningLevel(TenantModel):
    """One step of a cooperative's dunning policy."""

    level = models.PositiveSmallIntegerField(_("level"))
    name_de = models.CharField(_("name (German)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    days_after_due = models.PositiveSmallIntegerField(_("days after due date"))
    fee = money_field(_("fee"), default=Decimal("0.00"))
    charges_interest = models.BooleanField(_("charges default interest"), default=False)
    charges_flat_fee_b2b = models.BooleanField(
        _("charges flat recovery fee (B2B)"), default=False, help_text=_("€ 40 recovery fee (§ 458 UGB)")
    )
    text_de = models.TextField(_("text (German)"))
    text_en = models.TextField(_("text (English)"))
    hands_to_advisor = models.BooleanField(_("hands over to advisor"), default=False)

    class Meta:
        verbose_name = _("dunning level")
        verbose_name_plural = _("dunning levels")
        ordering = ["level"]
        constraints = [models.UniqueConstraint(fields=["cooperative", "level"], name="dunning_level_once")]

    def __str__(self) -> str:
        name = self.name_de if get_language() == "de" else self.name_en
        return _("%(level)s: %(name)s (+%(days)s days)") % {
            "level": self.level,
            "name": name,
            "days": self.days_after_due,
        }


class DunningNotice(TenantModel):
    """A dunning letter. One per invoice and level — the unique constraint makes 'exactly once' hold."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="dunning_notices", verbose_name=_("invoice")
    )
    level = models.PositiveSmallIntegerField(_("dunning level"))
    as_of = models.DateField(_("as of"))
    open_principal = money_field(_("open principal"))
    fee = money_field(_("fee"), default=Decimal("0.00"))
    interest = money_field(_("interest"), default=Decimal("0.00"))
    flat_fee = money_field(_("flat recovery fee"), default=Decimal("0.00"))
    total_claimed = money_field(_("total claimed"))
    interest_detail = models.JSONField(_("interest calculation"), default=list, blank=True)
    # The reminder costs of each letter so far that this notice takes into account (level, names, amount);
    # `fee` is what of them is claimed (all, none, or — B2B — what exceeds the € 40 flat fee).
    fee_detail = models.JSONField(_("reminder fees"), default=list, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="dunning/", max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    send_error = models.TextField(_("send error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dunning notice")
        verbose_name_plural = _("dunning notices")
        ordering = ["invoice", "level"]
        constraints = [models.UniqueConstraint(fields=["invoice", "level"], name="dunning_notice_once")]

    def __str__(self) -> str:
        return _("Level %(level)s for %(invoice)s") % {"level": self.level, "invoice": self.invoice}
