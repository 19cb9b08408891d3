"""Invoices in the backend: the queue of submitted invoices and the actions on one (issue, payment, credit
note, write-off, dunning block, document retry)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from invoicing import selectors, services
from invoicing.admin._common import (
    FINANCE_ROLES,
    ISSUER_ROLES,
    ActionForm,
    _actor,
    _role_in,
    _run_each,
)
from invoicing.documents import invoice_document_retry
from invoicing.models import (
    DunningNotice,
    Invoice,
    InvoiceLine,
    Payment,
    WriteOff,
)
from smartprod.core.admin import TenantAdmin, TenantTabularInline, money_display
from smartprod.core.forms import AsciiDecimalField, DateInput
from smartprod.core.idempotency import IdempotentRequest
from smartprod.core.validators import validate_business_date


class PaymentForm(ActionForm):
    amount = AsciiDecimalField(
        label=_("Amount"),
        required=False,
        max_digits=20,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("Empty: each selected invoice's open amount, in full."),
    )
    date = forms.DateField(label=_("Date received"), widget=DateInput(), validators=[validate_business_date])
    allow_overpayment = forms.BooleanField(
        label=_("Allow overpayment"),
        required=False,
        help_text=_("Book more than the open amount; the difference is the client's credit."),
    )
    # One-time token, new each time the form is shown: a second submit of the same page (double click,
    # reload, back button) books nothing new.
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def idempotent(self, invoice: Invoice) -> IdempotentRequest | None:
        data = self.cleaned_data
        if not data.get("token"):
            return None
        request = {k: data[k] for k in ("amount", "date", "allow_overpayment")}
        return IdempotentRequest(f"form:{data['token']}:{invoice.pk}", request)


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(ActionForm):
    reason = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("submitted", _("Submitted drafts (to issue)")),
            ("open", _("Open (issued, not paid)")),
            ("overdue", _("Overdue")),
            ("document", _("Document not made or not sent")),
            ("written_off_this_year", _("Written off this year")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
        today = timezone.localdate()
        open_ = queryset.filter(kind=Invoice.Kind.INVOICE, status__in=services.OPEN_STATUSES)
        if self.value() == "submitted":
            return queryset.filter(status=Invoice.Status.SUBMITTED)
        if self.value() == "open":
            return open_
        if self.value() == "overdue":
            return open_.filter(due_date__lt=today)
        if self.value() == "written_off_this_year":  # the finance cockpit's defaults figure
            return queryset.filter(write_off__date__year=today.year)
        if self.value() == "document":
            return queryset.exclude(status__in=[Invoice.Status.DRAFT, Invoice.Status.SUBMITTED]).filter(
                email_sent_at__isnull=True
            )
        return queryset


def invoice_label(invoice: Invoice) -> str:
    """How the backend names an invoice: its number (and "credit note") once issued; before that, whom it
    is for and where it stands — "Invoice to Wiener Festwochen, submitted 29.11.2026", never "draft #17"."""
    client = invoice.client_name or invoice.client.name
    if invoice.number:
        return (
            f"{invoice.number} ({_('credit note')})"
            if invoice.kind == Invoice.Kind.CREDIT_NOTE
            else invoice.number
        )
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        label = _("Credit note to %(client)s") % {"client": client}
    else:
        label = _("Invoice to %(client)s") % {"client": client}
    if invoice.status == Invoice.Status.SUBMITTED and invoice.submitted_at is not None:
        when = date_format(timezone.localtime(invoice.submitted_at).date(), "SHORT_DATE_FORMAT")
        return str(_("%(label)s, submitted %(date)s") % {"label": label, "date": when})
    return str(_("%(label)s (draft)") % {"label": label})


class ReadOnlyInline(TenantTabularInline):
    can_delete = False
    change_roles = ()
    add_roles = ()
    show_change_link = False


class LineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = (
        "position",
        "description",
        "quantity",
        "unit",
        "unit_price",
        "vat_category",
        "vat_rate",
        "net_amount",
        "vat_amount",
    )
    readonly_fields = fields
    verbose_name_plural = _("lines")


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = (
        "date",
        "amount",
        "fees_paid",
        "interest_paid",
        "source",
        "bank_entry",
        "returned_on",
        "returned_by",
        "recorded_by",
        "recorded_at",
    )
    readonly_fields = fields
    verbose_name_plural = _("payments")


class CreditNoteInline(ReadOnlyInline):
    model = Invoice
    fk_name = "original"
    fields = ("number", "issue_date", "gross_total", "note", "issued_by")
    readonly_fields = fields
    verbose_name = _("credit note")
    verbose_name_plural = _("credit notes")


class WriteOffInline(ReadOnlyInline):
    model = WriteOff
    fields = ("date", "gross_amount", "net_amount", "vat_amount", "reason", "actor")
    readonly_fields = fields
    verbose_name_plural = _("write-off")


class DunningNoticeInline(ReadOnlyInline):
    model = DunningNotice
    fields = ("level", "as_of", "open_principal", "fee", "interest", "flat_fee", "total_claimed", "sent_at")
    readonly_fields = fields
    verbose_name_plural = _("dunning notices")


@admin.register(Invoice)
class InvoiceAdmin(TenantAdmin):
    list_display = (
        "number_or_draft",
        "project",
        "client_display",
        "status_badge",
        "due_date",
        "dunning_display",
        "gross_total",
        "open_display",
        "document_state",
    )
    list_filter = (QueueFilter, "status", "kind", "dunning_level", "dunning_blocked")
    search_fields = ("number", "client_name", "client__name", "project__title", "rf_reference")
    list_select_related = ("project", "client")
    date_hierarchy = "issue_date"
    inlines = [LineInline, PaymentInline, CreditNoteInline, WriteOffInline, DunningNoticeInline]
    actions = [
        "issue_selected",
        "record_payment",
        "credit_selected",
        "write_off_selected",
        "block_dunning",
        "resume_dunning",
        "retry_document",
    ]
    # Read-only: drafts change through their author (the services), issued invoices not at all.
    change_roles = ()
    add_roles = ()
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("number", "kind", "status"),
                    ("project", "client", "original"),
                    ("issue_date", "due_date"),
                    ("service_date", "service_period_start", "service_period_end"),
                    ("order_reference", "buyer_reference", "supplier_number"),
                    ("einvoice_format", "portal_uploaded_on"),
                    "note",
                )
            },
        ),
        (
            _("Totals"),
            {
                "fields": (
                    ("net_total", "vat_total", "gross_total", "currency"),
                    ("contribution_rate", "contribution"),
                    ("paid_total", "credited_total", "written_off_total", "open_display"),
                    "rf_reference",
                )
            },
        ),
        (
            _("Client at issue"),
            {
                "fields": (
                    "client_name",
                    "client_address",
                    "client_vat_id",
                    "client_email",
                    "exemption_note",
                    "legal_note",
                    "vat_warnings_display",
                )
            },
        ),
        (
            _("Workflow"),
            {
                "fields": (
                    ("created_by", "created_at"),
                    "submitted_at",
                    ("issued_by", "issued_at"),
                    "journal_entry",
                )
            },
        ),
        (
            _("Document"),
            {
                "fields": (
                    "pdf_link",
                    "pdf_rendered_at",
                    ("email_sent_at", "email_sent_to"),
                    ("document_attempts", "document_error"),
                )
            },
        ),
        (
            _("Dunning"),
            {
                "fields": (
                    "dunning_level",
                    ("dunning_blocked", "dunning_block_reason"),
                    "handed_to_advisor_at",
                )
            },
        ),
    )

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        if obj is None or obj.status in (Invoice.Status.DRAFT, Invoice.Status.SUBMITTED):
            return [LineInline]  # payments, credit notes, write-offs and reminders come after issue
        return list(self.inlines)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        names = [f.name for f in Invoice._meta.concrete_fields if f.name not in ("id", "cooperative", "pdf")]
        # Amounts shown as '1.234,56 €' (`<field>__money`, smartprod.core.admin).
        return self._money_names([*names, "open_display", "pdf_link", "vat_warnings_display"])

    @admin.display(description=_("VAT warnings"))
    def vat_warnings_display(self, obj: Invoice) -> str:
        """Before issuing: VAT charged to a business abroad, where the general rule says it is not taxed."""
        if obj is None or obj.pk is None or not obj.is_editable:
            return "–"
        return " ".join(selectors.invoice_vat_warnings(invoice=obj)) or "–"

    # Actions are offered only to the roles their service accepts.
    def has_issue_permission(self, request: HttpRequest) -> bool:
        return _role_in(request, ISSUER_ROLES)

    def has_finance_permission(self, request: HttpRequest) -> bool:
        return _role_in(request, FINANCE_ROLES)

    @admin.display(description=_("number"), ordering="number")
    def number_or_draft(self, obj: Invoice) -> str:
        """The number once issued; before, what the invoice is: "Invoice to <client>, submitted <date>"."""
        return invoice_label(obj)

    @admin.display(description=_("dunning"), ordering="dunning_level")
    def dunning_display(self, obj: Invoice) -> str:
        if obj.kind != Invoice.Kind.INVOICE or not obj.number:
            return "–"
        return f"{obj.dunning_level} ({_('stopped')})" if obj.dunning_blocked else str(obj.dunning_level)

    @admin.display(description=_("client"), ordering="client__name")
    def client_display(self, obj: Invoice) -> str:
        return obj.client_name or obj.client.name

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Invoice) -> str:
        return format_html('<span data-status="{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description=_("open"))
    def open_display(self, obj: Invoice) -> str:
        return money_display(obj.open_amount, obj.currency)

    @admin.display(description=_("document"))
    def document_state(self, obj: Invoice) -> str:
        if obj.status in (Invoice.Status.DRAFT, Invoice.Status.SUBMITTED):
            return "–"
        if obj.document_error:
            return str(_("problem"))
        if obj.email_sent_at:
            return str(_("sent"))
        if obj.pdf_rendered_at:
            return str(_("made, not sent"))
        return str(_("pending"))

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Invoice) -> str:
        if not (obj.pdf and obj.pdf_sha256):
            return "–"
        return format_html('<a href="{}">{}</a>', reverse("invoice_pdf", args=[obj.pk]), _("Download PDF"))

    # --- actions -------------------------------------------------------------------------------------

    def _form_page(
        self,
        request: HttpRequest,
        queryset: QuerySet[Invoice],
        form: forms.Form,
        *,
        action: str,
        title: Any,
        intro: Any,
        submit: Any,
    ) -> HttpResponse:
        return render(
            request,
            "invoicing/admin_action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "intro": intro,
                "submit": submit,
                "form": form,
                "objects": queryset,
                "action": action,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    def _each(self, request: HttpRequest, queryset: QuerySet[Invoice], call: Any, done_message: Any) -> None:
        _run_each(self, request, queryset, call, done_message)

    def _reason_action(
        self,
        request: HttpRequest,
        queryset: QuerySet[Invoice],
        *,
        form_class: type[forms.Form],
        call: Any,
        done_message: Any,
        action: str,
        title: Any,
        intro: Any,
        submit: Any,
    ) -> HttpResponse | None:
        """An action that asks for a reason first, then calls `call(invoice, actor, reason)` for each."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            actor, reason = _actor(request), form.cleaned_data["reason"]
            self._each(request, queryset, lambda invoice: call(invoice, actor, reason), done_message)
            return None
        return self._form_page(
            request, queryset, form, action=action, title=title, intro=intro, submit=submit
        )

    @admin.action(description=_("Issue selected submitted invoices"), permissions=["issue"])
    def issue_selected(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        actor = _actor(request)
        self._each(
            request,
            queryset.order_by("submitted_at", "id"),  # numbers in the order the drafts came in
            lambda invoice: services.invoice_issue(
                cooperative=invoice.cooperative, actor=actor, invoice=invoice
            ),
            _("%(count)d invoice(s) issued; the PDFs follow in a moment."),
        )

    @admin.action(description=_("Record a payment…"), permissions=["finance"])
    def record_payment(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> HttpResponse | None:
        form = PaymentForm(
            request.POST if "apply" in request.POST else None,
            initial={"date": timezone.localdate(), "token": uuid.uuid4().hex},
        )
        if form.is_bound and form.is_valid():
            actor, data = _actor(request), form.cleaned_data
            self._each(
                request,
                queryset,
                lambda invoice: services.payment_record(
                    cooperative=invoice.cooperative,
                    actor=actor,
                    invoice=invoice,
                    amount=data["amount"] if data["amount"] is not None else invoice.open_amount,
                    date=data["date"],
                    allow_overpayment=data["allow_overpayment"],
                    idempotent=form.idempotent(invoice),
                ),
                _("%(count)d payment(s) recorded."),
            )
            return None
        return self._form_page(
            request,
            queryset,
            form,
            action="record_payment",
            title=_("Record a payment"),
            intro=_("The payment is booked for each of these invoices:"),
            submit=_("Record payment"),
        )

    @admin.action(description=_("Credit selected invoices in full…"), permissions=["issue"])
    def credit_selected(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> HttpResponse | None:
        return self._reason_action(
            request,
            queryset,
            form_class=ReasonForm,
            call=lambda invoice, actor, reason: services.credit_note_issue(
                cooperative=invoice.cooperative, actor=actor, invoice=invoice, reason=reason
            ),
            done_message=_("%(count)d credit note(s) issued."),
            action="credit_selected",
            title=_("Credit invoices in full"),
            intro=_("A credit note with its own number cancels what is left of each of these invoices:"),
            submit=_("Issue credit notes"),
        )

    @admin.action(description=_("Write off selected invoices…"), permissions=["finance"])
    def write_off_selected(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> HttpResponse | None:
        return self._reason_action(
            request,
            queryset,
            form_class=ReasonForm,
            call=lambda invoice, actor, reason: services.invoice_write_off(
                cooperative=invoice.cooperative, actor=actor, invoice=invoice, reason=reason
            ),
            done_message=_("%(count)d invoice(s) written off."),
            action="write_off_selected",
            title=_("Write off invoices"),
            intro=_(
                "The open amount of each of these invoices becomes a default carried by the cooperative's "
                "guarantee fund; the member's budget keeps the income:"
            ),
            submit=_("Write off"),
        )

    @admin.action(description=_("Stop dunning (dispute)…"), permissions=["issue"])
    def block_dunning(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> HttpResponse | None:
        return self._dunning(request, queryset, blocked=True)

    @admin.action(description=_("Resume dunning…"), permissions=["issue"])
    def resume_dunning(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> HttpResponse | None:
        return self._dunning(request, queryset, blocked=False)

    def _dunning(
        self, request: HttpRequest, queryset: QuerySet[Invoice], *, blocked: bool
    ) -> HttpResponse | None:
        return self._reason_action(
            request,
            queryset,
            form_class=ReasonForm if blocked else OptionalReasonForm,
            call=lambda invoice, actor, reason: services.invoice_set_dunning_block(
                cooperative=invoice.cooperative, actor=actor, invoice=invoice, blocked=blocked, reason=reason
            ),
            done_message=_("Dunning stopped for %(count)d invoice(s).")
            if blocked
            else _("Dunning resumed for %(count)d invoice(s)."),
            action="block_dunning" if blocked else "resume_dunning",
            title=_("Stop dunning") if blocked else _("Resume dunning"),
            intro=_("No more reminders go out for these invoices until dunning is resumed:")
            if blocked
            else _("Reminders go out again for these invoices when they are due:"),
            submit=_("Stop dunning") if blocked else _("Resume dunning"),
        )

    @admin.action(description=_("Make and send the document again"), permissions=["issue"])
    def retry_document(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        actor = _actor(request)
        self._each(
            request,
            queryset,
            lambda invoice: invoice_document_retry(
                cooperative=invoice.cooperative, actor=actor, invoice=invoice
            ),
            _("The document of %(count)d invoice(s) is queued again."),
        )
