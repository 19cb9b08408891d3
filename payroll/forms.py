"""Forms of the payroll pages (member portal)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from smartprod.core.forms import AsciiDecimalField, DateInput
from smartprod.core.idempotency import IdempotentRequest
from smartprod.core.validators import validate_business_date


class FeeNoteForm(forms.Form):
    payee = forms.TypedChoiceField(label=_("Payee"), coerce=int)
    service_period_start = forms.DateField(
        label=_("Service from"), widget=DateInput(), validators=[validate_business_date]
    )
    service_period_end = forms.DateField(
        label=_("Service until"), widget=DateInput(), validators=[validate_business_date]
    )
    description = forms.CharField(
        label=_("Description of the service"), widget=forms.Textarea(attrs={"rows": 3})
    )
    net_amount = AsciiDecimalField(
        label=_("Net amount"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    vat_rate = forms.TypedChoiceField(
        label=_("VAT rate (only if you are VAT-registered)"), coerce=Decimal, required=False, empty_value=None
    )
    # One-time token, new each time the form is shown: a second submit of the same page (double tap, reload,
    # back button) returns the fee note the first one created instead of requesting the fee again.
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(
        self, *args: Any, payees: list[tuple[int, str]], rates: list[Decimal], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        payee_field, rate_field = self.fields["payee"], self.fields["vat_rate"]
        assert isinstance(payee_field, forms.ChoiceField) and isinstance(rate_field, forms.ChoiceField)
        payee_field.choices = payees
        rate_field.choices = [("", "—"), *((str(r), f"{r} %") for r in rates)]

    def idempotent(self, project_id: int) -> IdempotentRequest | None:
        data = self.cleaned_data
        if not data.get("token"):
            return None
        request = {k: data[k] for k in ("payee", "service_period_start", "service_period_end", "net_amount")}
        return IdempotentRequest(f"form:{data['token']}:fee-note:{project_id}", request)
