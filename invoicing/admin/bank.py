"""Bank statements in the backend: the camt.053 import and the entries that need a person (assign, return,
ignore)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from invoicing import selectors
from invoicing.admin._common import (
    FINANCE_ROLES,
    ActionForm,
    _actor,
    _role_in,
    _run_each,
)
from invoicing.bank import (
    bank_entry_assign,
    bank_entry_book_return,
    bank_entry_ignore,
    bank_statement_import,
)
from invoicing.models import (
    BankEntry,
    BankStatement,
    Invoice,
)
from smartprod.core.admin import ReadOnlyTenantAdmin, money_display
from smartprod.core.errors import ApplicationError
from smartprod.tenancy.context import current_cooperative, request_context


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
        return money_display(obj.amount if obj.is_credit else -obj.amount, obj.currency)

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
