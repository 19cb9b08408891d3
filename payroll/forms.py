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


# --- employments and salaries (branch payemp) ---


class EmploymentForm(forms.Form):
    payee = forms.TypedChoiceField(label=_("Employee"), coerce=int)
    start = forms.DateField(label=_("Start"), widget=DateInput(), validators=[validate_business_date])
    end = forms.DateField(label=_("End"), widget=DateInput(), validators=[validate_business_date])
    weekly_hours = AsciiDecimalField(
        label=_("Hours a week"),
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0.5"),
        max_value=Decimal(60),
    )
    occupation = forms.CharField(label=_("Occupation"), max_length=100)
    municipality = forms.CharField(
        label=_("Municipality of work"), max_length=100, help_text=_("Where the person works, e.g. Wien.")
    )
    federal_state = forms.ChoiceField(label=_("Federal state"), required=False)
    salary_group = forms.CharField(label=_("Salary group"), max_length=40, required=False)
    has_other_employments = forms.BooleanField(label=_("Has other employments"), required=False)

    def __init__(
        self, *args: Any, payees: list[tuple[int, str]], states: list[tuple[str, str]], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        payee_field, state_field = self.fields["payee"], self.fields["federal_state"]
        assert isinstance(payee_field, forms.ChoiceField) and isinstance(state_field, forms.ChoiceField)
        payee_field.choices = payees
        state_field.choices = [("", _("From the municipality")), *states]


class SalaryForm(forms.Form):
    employment = forms.TypedChoiceField(label=_("Employment"), coerce=int)
    month = forms.CharField(
        label=_("Month"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-01"}),
    )
    use_max = forms.BooleanField(label=_("As much as the budget allows"), required=False)
    gross = AsciiDecimalField(
        label=_("Gross salary"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    # One-time token (as on the fee request form): a second submit returns the salary the first created.
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, employments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["employment"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = employments

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("use_max") and data.get("gross") is None and "gross" not in self.errors:
            self.add_error("gross", _("Enter a gross amount, or choose as much as the budget allows."))
        return data

    def idempotent(self, project_id: int) -> IdempotentRequest | None:
        data = self.cleaned_data
        if not data.get("token"):
            return None
        gross = "max" if data.get("use_max") else str(data["gross"])
        request = {"employment": data["employment"], "month": data["month"], "gross": gross}
        return IdempotentRequest(f"form:{data['token']}:salary:{project_id}", request)
