"""Backend screens of the payroll run: run a month, the runs, the payslips (reverse by a reversal payslip),
the employer liabilities per month, the mBGM and L16 exports (CSV).

Everyone with a staff role may look; only finance and admins act (the services check again). Finance and
admin reach /admin/ only with two-factor authentication (the tenancy middleware).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payroll.models import EmployerLiability, PayrollRun, Payslip
from payroll.selectors.payroll_runs import liabilities_by_month
from payroll.services.payroll_exports import l16_csv, mbgm_csv
from payroll.services.payroll_runs import payroll_run_month, payslip_reverse
from smartprod.core import capabilities
from smartprod.core.admin import ReadOnlyTenantAdmin
from smartprod.core.admin_site import staff_role
from smartprod.core.errors import ApplicationError
from smartprod.tenancy.context import current_cooperative, request_context
from smartprod.tenancy.models import Membership


def _actor(request: HttpRequest) -> Membership:
    membership: Membership | None = request_context(request).membership
    if membership is None:
        raise ApplicationError(_("Act from a cooperative you are a member of."))
    return membership


MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])", re.ASCII)


class MonthField(forms.CharField):
    """A month typed as "2026-03" (a browser month picker): cleaned to the month's first day."""

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        try:
            if not MONTH.fullmatch(text):
                raise ValueError(text)
            return date.fromisoformat(f"{text}-01")
        except ValueError:
            raise forms.ValidationError(
                gettext_lazy("Enter the month as YYYY-MM, e.g. 2026-03."), code="invalid"
            ) from None


class MonthForm(forms.Form):
    month = MonthField(
        label=gettext_lazy("month"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-03", "maxlength": 7}),
        help_text=gettext_lazy("Every approved salary of this month without a payslip gets one."),
    )


class YearForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("year"), min_value=2000, max_value=2100)


def _may_act(request: HttpRequest) -> bool:
    return staff_role(request) in capabilities.FINANCE_ROLES


def _csv(content: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@admin.register(PayrollRun)
class PayrollRunAdmin(ReadOnlyTenantAdmin):
    list_display = ("month", "payslip_count", "employer_cost_total", "created_by", "created_at")
    readonly_fields = ("month", "payslip_count", "employer_cost_total", "created_by", "created_at")
    change_list_template = "payroll/payslips/admin_run_changelist.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[PayrollRun]:
        queryset: QuerySet[PayrollRun] = super().get_queryset(request)
        return queryset.select_related("created_by__user")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "may_run": _may_act(request)}
        return super().changelist_view(request, extra_context=extra)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("run/", view(self.run_view), name="payroll_payrollrun_run"),
            path("liabilities/", view(self.liabilities_view), name="payroll_payrollrun_liabilities"),
            path("exports/", view(self.exports_view), name="payroll_payrollrun_exports"),
            *super().get_urls(),
        ]

    def _page(self, request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
        return render(
            request,
            template,
            {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta, **context},
        )

    def run_view(self, request: HttpRequest) -> HttpResponse:
        """Pick a month → payroll_run_month."""
        if not _may_act(request):
            raise Http404
        form = MonthForm(request.POST or None, initial={"month": timezone.localdate().strftime("%Y-%m")})
        if request.method == "POST" and form.is_valid():
            try:
                result = payroll_run_month(
                    cooperative=current_cooperative(request),
                    actor=_actor(request),
                    month=form.cleaned_data["month"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                if result.run is None:
                    self.message_user(
                        request,
                        _("Nothing new: the %(count)d payslips of this month exist.")
                        % {"count": result.existing},
                        messages.INFO,
                    )
                    return HttpResponseRedirect(reverse("admin:payroll_payrollrun_changelist"))
                self.message_user(
                    request,
                    _("Payroll run: %(count)d payslips, total employer cost %(total)s.")
                    % {"count": len(result.created), "total": result.run.employer_cost_total},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:payroll_payrollrun_change", args=[result.run.pk]))
        return self._page(
            request, "payroll/payslips/admin_run.html", _("Run the payroll for a month"), form=form
        )

    def liabilities_view(self, request: HttpRequest) -> HttpResponse:
        rows = liabilities_by_month(cooperative=current_cooperative(request))
        return self._page(
            request, "payroll/payslips/admin_liabilities.html", _("Employer liabilities"), rows=rows
        )

    def exports_view(self, request: HttpRequest) -> HttpResponse:
        """mBGM per month, L16 per year (CSV)."""
        if not _may_act(request):
            raise Http404
        cooperative, actor = current_cooperative(request), _actor(request)
        month_form = MonthForm(request.GET if "month" in request.GET else None)
        year_form = YearForm(request.GET if "year" in request.GET else None)
        if month_form.is_bound and month_form.is_valid():
            month: date = month_form.cleaned_data["month"]
            return _csv(
                mbgm_csv(cooperative=cooperative, actor=actor, month=month), f"mbgm-{month:%Y-%m}.csv"
            )
        if year_form.is_bound and year_form.is_valid():
            year: int = year_form.cleaned_data["year"]
            return _csv(l16_csv(cooperative=cooperative, actor=actor, year=year), f"l16-{year}.csv")
        return self._page(
            request,
            "payroll/payslips/admin_exports.html",
            _("Payroll exports"),
            month_form=month_form,
            year_form=year_form,
        )


class ReverseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("reason"), max_length=300)


@admin.register(Payslip)
class PayslipAdmin(ReadOnlyTenantAdmin):
    list_display = ("month", "payee", "project", "kind", "gross", "net", "employer_cost_total", "reversed_at")
    list_filter = ("kind", "month")
    search_fields = ("payee__user__email", "payee__user__last_name", "project__title")
    exclude = ("pdf",)
    readonly_fields = (
        "kind",
        "reverses",
        "salary",
        "employment",
        "payee",
        "project",
        "month",
        "run",
        "currency",
        "payroll_days",
        "gross",
        "special_gross",
        "employee_social_insurance",
        "wage_tax",
        "net",
        "employer_social_insurance",
        "levy_db",
        "levy_dz",
        "levy_kommunalsteuer",
        "levy_bv",
        "levy_ubahn",
        "special_accrual",
        "special_cost",
        "employer_cost_total",
        "marginal",
        "municipality",
        "federal_state",
        "lines",
        "year_to_date",
        "journal_entry",
        "created_by",
        "created_at",
        "reason",
        "reversed_at",
        "pdf_sha256",
        "pdf_rendered_at",
        "email_sent_at",
        "email_sent_to",
        "document_attempts",
        "document_error",
    )
    actions = ["reverse_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payslip]:
        queryset: QuerySet[Payslip] = super().get_queryset(request)
        return queryset.select_related("payee__user", "project")

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        if not _may_act(request):
            actions.pop("reverse_selected", None)
        return actions

    @admin.action(description=gettext_lazy("Reverse the selected payslips (with a reason)"))
    def reverse_selected(self, request: HttpRequest, queryset: QuerySet[Payslip]) -> HttpResponse | None:
        form = ReverseForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            cooperative, actor = current_cooperative(request), _actor(request)
            for payslip in queryset:
                try:
                    payslip_reverse(
                        cooperative=cooperative,
                        actor=actor,
                        payslip=payslip,
                        reason=form.cleaned_data["reason"],
                    )
                except ApplicationError as exc:
                    self.message_user(request, f"{payslip}: {exc.message}", messages.ERROR)
                else:
                    self.message_user(
                        request, _("%(payslip)s reversed.") % {"payslip": payslip}, messages.SUCCESS
                    )
            return None
        return render(
            request,
            "payroll/payslips/admin_reverse.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reverse payslips"),
                "opts": self.model._meta,
                "form": form,
                "payslips": queryset,
            },
        )


@admin.register(EmployerLiability)
class EmployerLiabilityAdmin(ReadOnlyTenantAdmin):
    list_display = ("month", "creditor", "municipality", "amount", "due_date", "payout_run", "paid_at")
    list_filter = ("creditor", "month")
    readonly_fields = (
        "month",
        "creditor",
        "municipality",
        "payroll_run",
        "reversal",
        "currency",
        "amount",
        "accounts",
        "due_date",
        "payout_run",
        "end_to_end_id",
        "paid_at",
    )
