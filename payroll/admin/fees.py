"""Backend: fee notes — list (status, § 109a, project), detail, approve / reject, the § 109a export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from payroll.models import FeeNote
from payroll.services import fees
from payroll.services.exports import fees_109a_csv
from smartprod.core import capabilities
from smartprod.core.admin import TenantAdmin
from smartprod.core.capabilities import FINANCE_ROLES
from smartprod.core.errors import ApplicationError
from smartprod.tenancy.context import current_cooperative, request_context
from smartprod.tenancy.models import Membership


def _actor(request: HttpRequest) -> Membership:
    membership: Membership | None = request_context(request).membership
    if membership is None:
        raise ApplicationError(str(_("Act from a cooperative you are a member of.")))
    return membership


class FeeNoteRejectForm(forms.Form):
    reason = forms.CharField(label=_("Why is it rejected?"), widget=forms.Textarea(attrs={"rows": 3}))


class Export109aForm(forms.Form):
    year = forms.IntegerField(label=_("Calendar year"), min_value=2000, max_value=2100)


@admin.register(FeeNote)
class FeeNoteAdmin(TenantAdmin):
    list_display = (
        "__str__",
        "project",
        "payee",
        "net_amount",
        "vat_amount",
        "gross_amount",
        "status",
        "report_109a",
        "guarantee_deadline",
        "pdf_link",
    )
    list_filter = ("status", "report_109a", "project")
    change_list_template = "admin/payroll/feenote_change_list.html"
    search_fields = ("number", "description", "project__title", "payee__user__email")
    list_select_related = ("project", "payee__user")
    readonly_fields = (
        "number",
        "status",
        "project",
        "payee",
        "service_period_start",
        "service_period_end",
        "description",
        "currency",
        "net_amount",
        "vat_treatment",
        "vat_rate",
        "vat_amount",
        "gross_amount",
        "report_109a",
        "requested_by",
        "requested_at",
        "first_approved_by",
        "first_approved_at",
        "decided_by",
        "decided_at",
        "decision_reason",
        "guarantee_deadline",
        "journal_entry",
        "pdf_link",
        "email_sent_at",
        "email_sent_to",
        "document_attempts",
        "document_error",
    )
    fields = readonly_fields
    actions = ["approve_selected", "reject_selected"]
    add_roles = ()
    change_roles = ()  # every change is a service action

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "export-109a/",
                self.admin_site.admin_view(self.export_109a_view),
                name="payroll_feenote_export_109a",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        extra = dict(extra_context or {})
        if self._role_may(request, FINANCE_ROLES):
            extra["export_109a_url"] = reverse("admin:payroll_feenote_export_109a")
        return super().changelist_view(request, extra_context=extra)

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: FeeNote) -> str:
        if not obj.number:
            return "–"
        return format_html('<a href="{}">{}</a>', reverse("fee_note_pdf", args=[obj.pk]), _("PDF"))

    @admin.action(description=_("Approve selected fee notes"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[FeeNote]) -> None:
        done = 0
        for note in queryset:
            try:
                note = fees.fee_note_approve(
                    cooperative=note.cooperative, actor=_actor(request), fee_note=note
                )
            except ApplicationError as exc:
                self.message_user(request, f"{note}: {exc.message}", messages.ERROR)
                continue
            if note.status == FeeNote.Status.APPROVED:
                done += 1
            else:
                self.message_user(
                    request,
                    _("%(note)s: first approval recorded; a second person completes it.") % {"note": note},
                )
        if done:
            self.message_user(
                request, _("%(count)d fee note(s) approved.") % {"count": done}, messages.SUCCESS
            )

    @admin.action(description=_("Reject selected fee notes…"))
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[FeeNote]) -> HttpResponse | None:
        form = FeeNoteRejectForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for note in queryset:
                try:
                    fees.fee_note_reject(
                        cooperative=note.cooperative,
                        actor=_actor(request),
                        fee_note=note,
                        reason=form.cleaned_data["reason"],
                    )
                except ApplicationError as exc:
                    self.message_user(request, f"{note}: {exc.message}", messages.ERROR)
            return None
        return render(
            request,
            "admin/payroll/feenote_reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject fee notes"),
                "form": form,
                "notes": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    def export_109a_view(self, request: HttpRequest) -> HttpResponse:
        """Finance/admin: the § 109a EStG data of a calendar year as CSV."""
        membership = request_context(request).membership
        if membership is None or not capabilities.can_handle_money(membership):
            raise PermissionDenied
        form = Export109aForm(request.GET or {"year": timezone.localdate().year - 1})
        if "year" in request.GET and form.is_valid():
            content = fees_109a_csv(
                cooperative=current_cooperative(request),
                actor=membership,
                year=form.cleaned_data["year"],
            )
            response = HttpResponse(content, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="109a-{form.cleaned_data["year"]}.csv"'
            response["Cache-Control"] = "private, no-store"
            return response
        return render(
            request,
            "admin/payroll/export_109a.html",
            {
                **self.admin_site.each_context(request),
                "title": _("§ 109a EStG export"),
                "form": form,
                "opts": self.model._meta,
            },
        )
