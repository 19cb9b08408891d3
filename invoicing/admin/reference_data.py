"""Reference data and settings in the backend: VAT and base rates (shared), the cooperative's invoicing
settings and VAT exemption notes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from invoicing.admin._common import (
    FINANCE_ROLES,
)
from invoicing.models import (
    BaseRate,
    ExemptionNote,
    InvoicingSettings,
    VatRate,
)
from smartprod.core.admin import TenantAdmin
from smartprod.core.admin_site import staff_role
from smartprod.core.audit import audit_log
from smartprod.core.capabilities import STAFF_ROLES
from smartprod.tenancy.context import request_context
from smartprod.tenancy.models import Cooperative


class ReferenceDataAdmin(admin.ModelAdmin[Any]):
    """Shared by every cooperative (not tenant data): a change here changes every cooperative's invoices,
    so only platform operators (superusers) add, change or delete rows; staff of a cooperative read them.
    Each change is audited in every cooperative's log, since it affects all of them (an audit row belongs
    to a cooperative)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser or staff_role(request) in STAFF_ROLES)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only to close a row (valid until) or fix a label: a rate that was valid stays as it was.
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def _audit(self, request: HttpRequest, event: str, obj: Any) -> None:
        data = {
            field.name: str(field.value_from_object(obj))
            for field in obj._meta.concrete_fields
            if not field.primary_key
        }
        actor = request.user if isinstance(request.user, AbstractBaseUser) else None
        for cooperative in Cooperative.objects.order_by("pk"):
            audit_log(
                cooperative=cooperative,
                actor=actor,
                event=event,
                obj=obj,
                data={"platform": True, **data},
            )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            label = obj._meta.model_name
            self._audit(request, f"{label}.{'changed' if change else 'added'}", obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self._audit(request, f"{obj._meta.model_name}.deleted", obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, f"{obj._meta.model_name}.deleted", obj)
            super().delete_queryset(request, queryset)


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
