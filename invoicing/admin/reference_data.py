"""Reference data and settings in the backend: VAT and base rates (shared), the cooperative's invoicing
settings and VAT exemption notes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
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
from smartprod.core.admin import ReferenceDataAdmin, TenantAdmin
from smartprod.tenancy.context import request_context


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
