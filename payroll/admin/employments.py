"""Backend: employments and salaries (read-only: they are created on the project page, through the services
that check the start date, the budget and the collective agreement), the cooperative's payroll settings and
its municipalities (finance and admins change them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.http import HttpRequest

from payroll.models import Employment, Municipality, PayrollSettings, Salary
from smartprod.core.admin import ReadOnlyTenantAdmin, TenantAdmin
from smartprod.core.audit import audit_log
from smartprod.core.capabilities import FINANCE_ROLES
from smartprod.tenancy.context import request_context

if TYPE_CHECKING:
    from members.models import User


@admin.register(Employment)
class EmploymentAdmin(ReadOnlyTenantAdmin):
    list_display = (
        "id",
        "payee",
        "project",
        "occupation",
        "start",
        "end",
        "weekly_hours",
        "salary_group",
        "municipality",
        "federal_state",
    )
    list_filter = ("federal_state", "start")
    search_fields = ("occupation", "municipality", "project__title", "payee__user__email")
    list_select_related = ("project", "payee__user")
    date_hierarchy = "start"
    readonly_fields = (
        "project",
        "payee",
        "start",
        "end",
        "weekly_hours",
        "occupation",
        "salary_group",
        "municipality",
        "federal_state",
        "has_other_employments",
        "created_by",
        "created_at",
    )
    fields = readonly_fields


@admin.register(Salary)
class SalaryAdmin(ReadOnlyTenantAdmin):
    list_display = (
        "id",
        "payee",
        "project",
        "month",
        "gross",
        "net",
        "employer_cost_total",
        "currency",
        "status",
        "approved_at",
    )
    list_filter = ("status", "month")
    search_fields = ("project__title", "payee__user__email")
    list_select_related = ("project", "payee__user")
    readonly_fields = (
        "employment",
        "project",
        "payee",
        "month",
        "currency",
        "gross",
        "employee_social_insurance",
        "wage_tax",
        "net",
        "employer_cost_total",
        "status",
        "requested_by",
        "approved_at",
    )
    fields = readonly_fields


class FinanceAdmin(TenantAdmin):
    """Seen by finance and admins, changed by them (with an audit row)."""

    change_roles = FINANCE_ROLES
    add_roles = FINANCE_ROLES
    audit_event = ""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._role_may(request, FINANCE_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._role_may(request, FINANCE_ROLES)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_log(
            cooperative=obj.cooperative,
            actor=cast("User", request.user),  # the admin site lets only signed-in users in
            event=self.audit_event,
            obj=obj,
            data={"fields": sorted(form.changed_data)},
        )


@admin.register(PayrollSettings)
class PayrollSettingsAdmin(FinanceAdmin):
    """One per cooperative: the employer's federal state, collective agreement, payday and accounts."""

    audit_event = "payroll_settings.changed"
    list_display = ("cooperative", "federal_state", "collective_agreement_code", "payday")
    fields = (
        "federal_state",
        "collective_agreement_code",
        "payday",
        "employer_account_number",
        "health_insurer_iban",
        "health_insurer_bic",
        "health_insurer_reference",
        "tax_office_iban",
        "tax_office_bic",
        "tax_office_reference",
    )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        cooperative = request_context(request).cooperative
        if cooperative is None or PayrollSettings.objects.for_cooperative(cooperative).exists():
            return False  # one per cooperative: change the existing one
        return super().has_add_permission(request, *args)


@admin.register(Municipality)
class MunicipalityAdmin(FinanceAdmin):
    audit_event = "municipality.changed"
    list_display = ("name", "federal_state", "iban", "payment_reference")
    list_filter = ("federal_state",)
    search_fields = ("name",)
    fields = ("name", "federal_state", "iban", "bic", "payment_reference")
