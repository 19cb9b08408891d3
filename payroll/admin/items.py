"""Backend: payout items — read-only list (status, kind, deadline) with each item's history inline.
The runs that pay them have their own screens (payroll/admin/runs.py)."""

from __future__ import annotations

from django.contrib import admin

from payroll.figures import ExposureFilter
from payroll.models import PayoutItem, PayoutItemEvent
from smartprod.core.admin import ReadOnlyTenantAdmin, TenantTabularInline


class PayoutItemEventInline(TenantTabularInline):
    model = PayoutItemEvent
    fields = ("created_at", "from_status", "to_status", "run", "reason", "actor")
    readonly_fields = fields
    can_delete = False
    change_roles = ()
    add_roles = ()


@admin.register(PayoutItem)
class PayoutItemAdmin(ReadOnlyTenantAdmin):
    list_display = (
        "id",
        "kind",
        "payee",
        "project",
        "amount",
        "currency",
        "status",
        "guarantee_deadline",
        "run",
        "paid_at",
    )
    list_filter = ("status", "kind", "guarantee_deadline", ExposureFilter)
    search_fields = ("description", "project__title", "payee__user__email")
    list_select_related = ("project", "payee__user", "run")
    date_hierarchy = "guarantee_deadline"
    readonly_fields = (
        "kind",
        "payee",
        "project",
        "fee_note",
        "expense",
        "description",
        "currency",
        "amount",
        "status",
        "approved_at",
        "guarantee_deadline",
        "run",
        "attempt_count",
        "paid_at",
        "created_at",
    )
    fields = readonly_fields
    inlines = [PayoutItemEventInline]


@admin.register(PayoutItemEvent)
class PayoutItemEventAdmin(ReadOnlyTenantAdmin):
    list_display = ("item", "from_status", "to_status", "run", "reason", "actor", "created_at")
    list_filter = ("to_status",)
    list_select_related = ("item", "run", "actor")
    readonly_fields = ("item", "from_status", "to_status", "run", "reason", "actor", "created_at")
    fields = readonly_fields
