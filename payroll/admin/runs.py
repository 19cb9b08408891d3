"""Backend screens of payout runs: the list (filter by status), a run with its attempts, and the actions
start (with a preview), approve, download the file, mark sent, confirm, upload the bank's pain.002.

Everyone with a staff role may look; only finance and admins act (the services check again). Finance and
admin reach /admin/ only with two-factor authentication (the tenancy middleware).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payroll.models import PayoutRun, PayoutRunItem
from payroll.selectors.runs import payout_run_get
from payroll.services import runs as services
from smartprod.core import capabilities
from smartprod.core.admin import ReadOnlyTenantAdmin, TenantTabularInline
from smartprod.core.admin_site import staff_role
from smartprod.core.errors import ApplicationError
from smartprod.core.forms import DateInput
from smartprod.core.workdays import add_working_days
from smartprod.tenancy.context import current_cooperative, request_context
from smartprod.tenancy.models import Membership


def _actor(request: HttpRequest) -> Membership:
    membership: Membership | None = request_context(request).membership
    if membership is None:
        raise ApplicationError(_("Act from a cooperative you are a member of."))
    return membership


class StartRunForm(forms.Form):
    until = forms.DateField(
        label=gettext_lazy("deadlines up to"),
        widget=DateInput(),
        help_text=gettext_lazy("Every approved payout due on or before this day is claimed."),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("Start the run now"),
        required=False,
        help_text=gettext_lazy("Leave unticked to see the preview first."),
    )


class StatusReportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("pain.002 status report (XML)"))


class AttemptInline(TenantTabularInline):
    model = PayoutRunItem
    fields = ("end_to_end_id", "item", "amount", "outcome", "reason")
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    change_roles = ()
    add_roles = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[PayoutRunItem]:
        queryset: QuerySet[PayoutRunItem] = super().get_queryset(request)
        return queryset.select_related("item__payee__user")


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyTenantAdmin):
    list_display = (
        "number",
        "status",
        "until",
        "item_count",
        "total",
        "started_by",
        "started_at",
        "sepa_link",
    )
    list_filter = ("status",)
    search_fields = ("number", "message_id")
    readonly_fields = (
        "number",
        "status",
        "until",
        "execution_date",
        "currency",
        "total",
        "item_count",
        "message_id",
        "started_by",
        "started_at",
        "approved_by",
        "approved_at",
        "sent_by",
        "sent_at",
        "confirmed_at",
        "sepa_link",
        "status_report_link",
    )
    exclude = ("sepa_xml",)
    inlines = [AttemptInline]
    actions = ["approve_selected", "mark_sent_selected", "confirm_selected"]
    change_list_template = "payroll/runs/admin_run_changelist.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[PayoutRun]:
        queryset: QuerySet[PayoutRun] = super().get_queryset(request)
        return queryset.select_related("started_by__user", "approved_by__user", "sent_by__user")

    def may_run(self, request: HttpRequest) -> bool:
        return staff_role(request) in capabilities.FINANCE_ROLES

    def has_run_permission(self, request: HttpRequest) -> bool:
        return self.may_run(request)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "may_run": self.may_run(request)}
        return super().changelist_view(request, extra_context=extra)

    @admin.display(description=gettext_lazy("SEPA file"))
    def sepa_link(self, obj: PayoutRun) -> str:
        if not obj.item_count or obj.status == PayoutRun.Status.PENDING_APPROVAL:
            return "–"
        url = reverse("admin:payroll_payoutrun_sepa", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    @admin.display(description=gettext_lazy("bank status report"))
    def status_report_link(self, obj: PayoutRun) -> str:
        if obj.status not in (PayoutRun.Status.SENT, PayoutRun.Status.CONFIRMED):
            return "–"
        url = reverse("admin:payroll_payoutrun_status_report", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Upload pain.002"))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("start/", view(self.start_view), name="payroll_payoutrun_start"),
            path("<int:run_id>/sepa/", view(self.sepa_view), name="payroll_payoutrun_sepa"),
            path(
                "<int:run_id>/status-report/",
                view(self.status_report_view),
                name="payroll_payoutrun_status_report",
            ),
            *super().get_urls(),
        ]

    def _page(self, request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
        return render(
            request,
            template,
            {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta, **context},
        )

    def start_view(self, request: HttpRequest) -> HttpResponse:
        """Pick `until`, see the preview, tick "start" → payout_run_start."""
        if not self.may_run(request):
            raise Http404
        cooperative = current_cooperative(request)
        default_until = add_working_days(
            timezone.localdate(),
            services.payout_policy(cooperative).run_horizon_working_days,
            cooperative.country,
        )
        form = StartRunForm(request.POST or None, initial={"until": default_until})
        preview = None
        if request.method == "POST" and form.is_valid():
            until: date = form.cleaned_data["until"]
            if form.cleaned_data["confirm"]:
                try:
                    run = services.payout_run_start(
                        cooperative=cooperative, actor=_actor(request), until=until
                    )
                except ApplicationError as exc:
                    form.add_error(None, exc.message)
                else:
                    assert run is not None
                    self.message_user(
                        request,
                        _("Run %(number)s started: %(count)d payouts, %(total)s.")
                        % {"number": run.number, "count": run.item_count, "total": run.total},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:payroll_payoutrun_change", args=[run.pk]))
            preview = services.payout_run_preview(cooperative=cooperative, until=until)
        return self._page(
            request, "payroll/runs/admin_start.html", _("Start a payout run"), form=form, preview=preview
        )

    def sepa_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        cooperative = current_cooperative(request)
        try:
            run = payout_run_get(cooperative=cooperative, run_id=run_id)
        except PayoutRun.DoesNotExist:
            raise Http404 from None
        try:
            content = services.payout_run_sepa(cooperative=cooperative, actor=_actor(request), run=run)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:payroll_payoutrun_change", args=[run.pk]))
        response = HttpResponse(content, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{services.sepa_file_name(run)}"'
        response["Cache-Control"] = "private, no-store"
        return response

    def status_report_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        cooperative = current_cooperative(request)
        try:
            run = payout_run_get(cooperative=cooperative, run_id=run_id)
        except PayoutRun.DoesNotExist:
            raise Http404 from None
        if not self.may_run(request):
            raise Http404
        form = StatusReportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = services.payout_run_status_report_import(
                    cooperative=cooperative,
                    actor=_actor(request),
                    run=run,
                    data=form.cleaned_data["file"].read(),
                )
            except ApplicationError as exc:
                form.add_error("file" if "file" in exc.details else None, exc.message)
            else:
                self.message_user(
                    request,
                    _("Status report imported: %(rejected)d transfers rejected and reopened.")
                    % {"rejected": len(result.rejected)},
                    messages.WARNING if result.rejected else messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:payroll_payoutrun_change", args=[run.pk]))
        return self._page(
            request,
            "payroll/runs/admin_status_report.html",
            _("Upload the bank's status report for %(run)s") % {"run": run.number},
            form=form,
            run=run,
        )

    def _each(self, request: HttpRequest, queryset: QuerySet[PayoutRun], call: Any, done: str) -> None:
        count = 0
        for run in queryset.order_by("pk"):
            try:
                call(cooperative=current_cooperative(request), actor=_actor(request), run=run)
                count += 1
            except ApplicationError as exc:
                self.message_user(request, f"{run}: {exc.message}", messages.ERROR)
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Approve (second person)"), permissions=["run"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[PayoutRun]) -> None:
        self._each(request, queryset, services.payout_run_approve, _("%(count)d runs approved."))

    @admin.action(description=gettext_lazy("Mark as sent to the bank"), permissions=["run"])
    def mark_sent_selected(self, request: HttpRequest, queryset: QuerySet[PayoutRun]) -> None:
        self._each(request, queryset, services.payout_run_mark_sent, _("%(count)d runs marked as sent."))

    @admin.action(
        description=gettext_lazy("Confirm: the bank paid every pending transfer"), permissions=["run"]
    )
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[PayoutRun]) -> None:
        self._each(request, queryset, services.payout_run_confirm, _("%(count)d runs confirmed."))


@admin.register(PayoutRunItem)
class PayoutRunItemAdmin(ReadOnlyTenantAdmin):
    list_display = ("end_to_end_id", "run", "item", "amount", "outcome", "reason")
    list_filter = ("outcome",)
    search_fields = ("end_to_end_id",)
    readonly_fields = ("run", "item", "end_to_end_id", "amount", "outcome", "reason", "journal_entry")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PayoutRunItem]:
        queryset: QuerySet[PayoutRunItem] = super().get_queryset(request)
        return queryset.select_related("run", "item__payee__user")
