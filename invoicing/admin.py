"""The backend for advisors and finance: the queue of submitted invoices, issuing, payments, credit notes,
write-offs, dunning blocks, the camt.053 import and the assignment of unmatched bank entries.

Nothing is edited here field by field: every change is an action that calls one service (which checks the
role again and writes the audit row), so invoices are read-only on their change page. Issued invoices are
frozen by the database anyway.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from invoicing import selectors, services
from invoicing.bank import (
    bank_entry_assign,
    bank_entry_book_return,
    bank_entry_ignore,
    bank_statement_import,
)
from invoicing.documents import invoice_document_retry
from invoicing.models import (
    BankEntry,
    BankStatement,
    BaseRate,
    DunningLevel,
    DunningNotice,
    ExemptionNote,
    Invoice,
    InvoiceLine,
    InvoicingSettings,
    Payment,
    VatRate,
    WriteOff,
)
from smartprod.core import capabilities
from smartprod.core.admin import ReadOnlyTenantAdmin, TenantAdmin, TenantTabularInline
from smartprod.core.admin_site import staff_role
from smartprod.core.capabilities import STAFF_ROLES
from smartprod.core.errors import ApplicationError
from smartprod.core.forms import DateInput
from smartprod.core.idempotency import IdempotentRequest
from smartprod.tenancy.context import current_cooperative, request_context
from smartprod.tenancy.models import Membership

ISSUER_ROLES = capabilities.APPROVER_ROLES
FINANCE_ROLES = capabilities.FINANCE_ROLES


def _actor(request: HttpRequest) -> Membership:
    membership: Membership | None = request_context(request).membership
    if membership is None:
        raise ApplicationError(str(_("Act from a cooperative you are a member of.")))
    return membership


def _role_in(request: HttpRequest, roles: tuple[str, ...]) -> bool:
    return staff_role(request) in roles


def _report(admin_view: admin.ModelAdmin[Any], request: HttpRequest, done: int, message: Any) -> None:
    if done:
        admin_view.message_user(request, message % {"count": done}, messages.SUCCESS)


def _run_each(model_admin: Any, request: HttpRequest, objects: Any, call: Any, done_message: Any) -> None:
    """Run a service for each object; report each refusal, then how many went through."""
    done = 0
    for obj in objects:
        try:
            call(obj)
            done += 1
        except ApplicationError as exc:
            model_admin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    _report(model_admin, request, done, done_message)


# --- intermediate forms ---------------------------------------------------------------------------------


class ActionForm(forms.Form):
    """The forms of the actions that need more than a click; `apply` tells the second POST from the first."""

    apply = forms.CharField(widget=forms.HiddenInput, initial="1")


class PaymentForm(ActionForm):
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        max_digits=20,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("Empty: each selected invoice's open amount, in full."),
    )
    date = forms.DateField(label=_("Date received"), widget=DateInput())
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


class AssignForm(ActionForm):
    invoice = forms.ModelChoiceField(label=_("Invoice"), queryset=Invoice.objects.none())

    def __init__(self, *args: Any, invoices: QuerySet[Invoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["invoice"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = invoices
        field.label_from_instance = lambda i: (  # type: ignore[method-assign,assignment]
            f"{i.number} · {i.client_name} · {i.open_amount} {i.currency} open · RF {i.rf_reference}"
        )


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("camt.053 file"),
        help_text=_("The account statement from the bank (ISO 20022 XML)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )


# --- invoices -------------------------------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("submitted", _("Submitted drafts (to issue)")),
            ("open", _("Open (issued, not paid)")),
            ("overdue", _("Overdue")),
            ("document", _("Document not made or not sent")),
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
        if self.value() == "document":
            return queryset.exclude(status__in=[Invoice.Status.DRAFT, Invoice.Status.SUBMITTED]).filter(
                email_sent_at__isnull=True
            )
        return queryset


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
                    ("order_reference", "buyer_reference"),
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
        return [*names, "open_display", "pdf_link", "vat_warnings_display"]

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
        label = obj.number or str(_("draft #%(id)s") % {"id": obj.pk})
        if obj.kind == Invoice.Kind.CREDIT_NOTE:
            return f"{label} ({_('credit note')})"
        return label

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
        return number_format(obj.open_amount, decimal_pos=2, use_l10n=True)

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


# --- bank -----------------------------------------------------------------------------------------------


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyTenantAdmin):
    list_display = ("statement_id", "account_iban", "file_name", "imported_by", "imported_at", "entry_count")
    search_fields = ("statement_id", "file_name")
    readonly_fields = (
        "statement_id",
        "account_iban",
        "file_sha256",
        "file_name",
        "imported_by",
        "imported_at",
    )
    change_list_template = "invoicing/admin_bankstatement_changelist.html"

    def has_import_permission(self, request: HttpRequest) -> bool:
        return _role_in(request, FINANCE_ROLES)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "may_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context=extra)

    def get_queryset(self, request: HttpRequest) -> QuerySet[BankStatement]:
        queryset: QuerySet[BankStatement] = super().get_queryset(request)
        return queryset.select_related("imported_by").annotate(entry_total=Count("entries"))

    @admin.display(description=_("entries"), ordering="entry_total")
    def entry_count(self, obj: BankStatement) -> int:
        return int(getattr(obj, "entry_total", 0))

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "import/",
            self.admin_site.admin_view(self.import_view),
            name="invoicing_bankstatement_import",
        )
        return [upload, *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a camt.053 file → bank_statement_import → what was matched, what waits for a person."""
        if not self.has_import_permission(request):
            raise Http404
        form = StatementUploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = bank_statement_import(
                    cooperative=current_cooperative(request),
                    actor=_actor(request),
                    data=upload.read(),
                    file_name=str(upload.name or "")[:255],
                )
            except ApplicationError as exc:
                form.add_error("file" if "file" in exc.details else None, exc.message)
            else:
                self.message_user(
                    request,
                    _("Imported: %(matched)d payment(s) booked, %(unmatched)d to assign by hand.")
                    % {"matched": len(result.matched), "unmatched": len(result.unmatched)},
                    messages.SUCCESS,
                )
                if result.returned:
                    self.message_user(
                        request,
                        _("%(returned)d returned payment(s) reversed; their invoices are open again.")
                        % {"returned": len(result.returned)},
                        messages.WARNING,
                    )
        return render(
            request,
            "invoicing/admin_bank_import.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Import a bank statement (camt.053)"),
                "form": form,
                "result": result,
                "opts": self.model._meta,
            },
        )


RETURNS_AND_REVERSALS = "returns"


class EntryStatusFilter(admin.SimpleListFilter):
    """Unmatched entries first: they are the work; the others are there to look things up. "Returns and
    reversals" lists every entry the bank flagged as one (RvslInd or a return reason), whatever its status."""

    title = _("status")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            *BankEntry.Status.choices,
            (RETURNS_AND_REVERSALS, _("Returns and reversals")),
            ("all", _("All")),
        ]

    def choices(self, changelist: Any) -> Any:
        # Without Django's leading "All" (which would mean "unmatched" here); ours is an explicit choice.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def value(self) -> str:
        return str(super().value() or BankEntry.Status.UNMATCHED)

    def queryset(self, request: HttpRequest, queryset: QuerySet[BankEntry]) -> QuerySet[BankEntry]:
        if self.value() == "all":
            return queryset
        if self.value() == RETURNS_AND_REVERSALS:
            return queryset.filter(Q(is_reversal=True) | ~Q(return_reason=""))
        return queryset.filter(status=self.value())


@admin.register(BankEntry)
class BankEntryAdmin(ReadOnlyTenantAdmin):
    list_display = (
        "booking_date",
        "amount_display",
        "counterparty",
        "reference",
        "return_display",
        "status",
        "invoice",
    )
    list_filter = (EntryStatusFilter,)
    search_fields = (
        "debtor_name",
        "creditor_name",
        "remittance_text",
        "structured_reference",
        "entry_reference",
        "end_to_end_id",
    )
    list_select_related = ("invoice", "statement")
    readonly_fields = (
        "statement",
        "entry_reference",
        "amount",
        "currency",
        "is_credit",
        "booking_date",
        "value_date",
        "remittance_text",
        "structured_reference",
        "debtor_name",
        "debtor_iban",
        "creditor_name",
        "creditor_iban",
        "end_to_end_id",
        "is_reversal",
        "return_reason",
        "bank_transaction_code",
        "status",
        "invoice",
    )
    actions = ["assign_to_invoice", "book_return", "set_aside"]

    def has_finance_permission(self, request: HttpRequest) -> bool:
        return _role_in(request, FINANCE_ROLES)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: BankEntry) -> str:
        sign = "" if obj.is_credit else "−"
        return f"{sign}{number_format(obj.amount, decimal_pos=2, use_l10n=True)} {obj.currency}"

    @admin.display(description=_("payer / payee"))
    def counterparty(self, obj: BankEntry) -> str:
        return obj.debtor_name if obj.is_credit else (obj.creditor_name or obj.debtor_name)

    @admin.display(description=_("return / reversal"))
    def return_display(self, obj: BankEntry) -> str:
        if obj.is_reversal:
            return f"{_('Reversal')} {obj.return_reason}".strip()
        return str(obj.return_reason or "–")

    @admin.display(description=_("reference"))
    def reference(self, obj: BankEntry) -> str:
        text = obj.structured_reference or obj.remittance_text
        return text if len(text) <= 60 else text[:59] + "…"

    def _each(self, request: HttpRequest, queryset: QuerySet[BankEntry], call: Any, message: Any) -> None:
        _run_each(self, request, queryset.order_by("pk"), call, message)

    def _book_against_an_invoice(
        self,
        request: HttpRequest,
        queryset: QuerySet[BankEntry],
        *,
        action: str,
        invoices: Any,
        book: Any,
        done: Any,
        texts: dict[str, Any],
    ) -> HttpResponse | None:
        """Ask for the invoice (one of `invoices(cooperative=…)`), then book each chosen entry against it with
        `book(cooperative, actor, entry, invoice)`: assigning a payment and booking a return are the same two
        steps."""
        cooperative = request_context(request).cooperative
        form = AssignForm(
            request.POST if "apply" in request.POST else None, invoices=invoices(cooperative=cooperative)
        )
        if form.is_bound and form.is_valid():
            actor, invoice = _actor(request), form.cleaned_data["invoice"]
            self._each(request, queryset, lambda entry: book(cooperative, actor, entry, invoice), done)
            return None
        return render(
            request,
            "invoicing/admin_action_form.html",
            {
                **self.admin_site.each_context(request),
                **texts,
                "form": form,
                "objects": queryset,
                "action": action,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=_("Assign to an invoice…"), permissions=["finance"])
    def assign_to_invoice(self, request: HttpRequest, queryset: QuerySet[BankEntry]) -> HttpResponse | None:
        return self._book_against_an_invoice(
            request,
            queryset,
            action="assign_to_invoice",
            invoices=selectors.invoices_open,
            book=lambda cooperative, actor, entry, invoice: bank_entry_assign(
                cooperative=cooperative, actor=actor, entry=entry, invoice=invoice
            ),
            done=_("%(count)d bank entry(ies) booked as payment."),
            texts={
                "title": _("Assign bank entries to an invoice"),
                "intro": _("These incoming payments are booked against the invoice you choose:"),
                "submit": _("Book as payment"),
            },
        )

    @admin.action(description=_("Book as a returned payment of an invoice…"), permissions=["finance"])
    def book_return(self, request: HttpRequest, queryset: QuerySet[BankEntry]) -> HttpResponse | None:
        return self._book_against_an_invoice(
            request,
            queryset,
            action="book_return",
            invoices=selectors.invoices_with_payments,
            book=lambda cooperative, actor, entry, invoice: bank_entry_book_return(
                cooperative=cooperative, actor=actor, entry=entry, invoice=invoice
            ),
            done=_("%(count)d returned payment(s) reversed; the invoice is open again."),
            texts={
                "title": _("Book returned payments"),
                "intro": _(
                    "The bank took these payments back. The invoice's payment of the same amount is reversed "
                    "and the invoice is open again (dunning resumes):"
                ),
                "submit": _("Reverse the payment"),
            },
        )

    @admin.action(description=_("Set aside: not a client payment"), permissions=["finance"])
    def set_aside(self, request: HttpRequest, queryset: QuerySet[BankEntry]) -> None:
        actor = _actor(request)
        self._each(
            request,
            queryset,
            lambda entry: bank_entry_ignore(cooperative=entry.cooperative, actor=actor, entry=entry),
            _("%(count)d bank entry(ies) set aside."),
        )


# --- reference data and settings ------------------------------------------------------------------------


class ReferenceDataAdmin(admin.ModelAdmin[Any]):
    """Shared by every cooperative (not tenant data): staff read it, finance and admin add dated rows."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser or staff_role(request) in STAFF_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser or staff_role(request) in FINANCE_ROLES)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only to close a row (valid until) or fix a label: a rate that was valid stays as it was.
        return self.has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(VatRate)
class VatRateAdmin(ReferenceDataAdmin):
    list_display = ("country", "code", "rate", "valid_from", "valid_until", "label")
    list_filter = ("country", "code")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("country", "code", "rate", "valid_from") if obj is not None else ()


@admin.register(BaseRate)
class BaseRateAdmin(ReferenceDataAdmin):
    list_display = ("country", "valid_from", "rate")
    list_filter = ("country",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("country", "valid_from") if obj is not None else ()


class DunningLevelForm(forms.ModelForm[DunningLevel]):
    """The cooperative is not on the form, so Django skips the (cooperative, level) constraint: check it."""

    cooperative: Any = None

    class Meta:
        model = DunningLevel
        fields = (
            "level",
            "name_de",
            "name_en",
            "days_after_due",
            "fee",
            "charges_interest",
            "charges_flat_fee_b2b",
            "text_de",
            "text_en",
            "hands_to_advisor",
        )
        help_texts = {
            "fee": _(
                "This letter's reminder cost. Consumers pay it only where the client agreed "
                "to reminder fees; towards businesses the € 40 flat fee covers the costs of "
                "all letters up to € 40."
            ),
            "text_de": _(
                "Placeholders: {salutation}, {number}, {invoice_date}, {due_date}, {open_amount}, {total}, "
                "{composition} (what the total consists of), {pay_by}, {rf_reference}, {iban}."
            ),
            "text_en": _(
                "Placeholders: {salutation}, {number}, {invoice_date}, {due_date}, {open_amount}, {total}, "
                "{composition} (what the total consists of), {pay_by}, {rf_reference}, {iban}."
            ),
        }

    def clean_level(self) -> int:
        level = int(self.cleaned_data["level"])
        if (
            self.cooperative is not None
            and DunningLevel.objects.for_cooperative(self.cooperative)
            .filter(level=level)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise forms.ValidationError(_("The policy has this level already."))
        return level


@admin.register(DunningLevel)
class DunningLevelAdmin(TenantAdmin):
    """The cooperative's dunning policy: finance and administrators set it."""

    form = DunningLevelForm
    list_display = (
        "level",
        "name_de",
        "name_en",
        "days_after_due",
        "fee",
        "charges_interest",
        "hands_to_advisor",
    )
    change_roles = FINANCE_ROLES
    add_roles = FINANCE_ROLES

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"cooperative": request_context(request).cooperative})


@admin.register(InvoicingSettings)
class InvoicingSettingsAdmin(TenantAdmin):
    list_display = ("__str__", "invoice_number_format", "credit_note_number_format", "members_may_issue")
    exclude = ("cooperative",)
    change_roles = FINANCE_ROLES
    add_roles = FINANCE_ROLES

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        cooperative = request_context(request).cooperative
        if cooperative is not None and InvoicingSettings.objects.for_cooperative(cooperative).exists():
            return False  # one row per cooperative: change it
        return super().has_add_permission(request, *args)


class ExemptionNoteForm(forms.ModelForm[ExemptionNote]):
    """The cooperative is not on the form, so Django skips the (cooperative, name) constraint: check it."""

    cooperative: Any = None

    class Meta:
        model = ExemptionNote
        fields = ("name", "legal_reference", "text", "vatex_code", "active")

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if (
            self.cooperative is not None
            and ExemptionNote.objects.for_cooperative(self.cooperative)
            .filter(name=name)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise forms.ValidationError(_("An exemption with this name exists already."))
        return name


@admin.register(ExemptionNote)
class ExemptionNoteAdmin(TenantAdmin):
    """The VAT exemptions the cooperative's invoices may cite (an exempt invoice picks one of them)."""

    form = ExemptionNoteForm
    list_display = ("name", "legal_reference", "text", "vatex_code", "active")
    list_filter = ("active",)
    change_roles = FINANCE_ROLES
    add_roles = FINANCE_ROLES

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"cooperative": request_context(request).cooperative})
