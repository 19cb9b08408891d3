"""The cooperative's dunning levels in the backend."""

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
    DunningLevel,
)
from smartprod.core.admin import TenantAdmin
from smartprod.tenancy.context import request_context


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
