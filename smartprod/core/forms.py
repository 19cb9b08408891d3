"""Form pieces every app uses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from smartprod.core.models import country_choices
from smartprod.core.validators import is_ascii_decimal

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """The browser's date picker: its value is an ISO date in every language (HTML's "valid date string").

    A localized value ("29.11.2026") leaves `<input type="date">` empty and the form cannot be sent.
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE)


class CountryChoiceField(forms.ChoiceField):
    """A country chosen from the ISO 3166 list (names in the reader's language); the value is its code."""

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().upper()  # "at" typed by hand is AT


def country_field(**kwargs: Any) -> CountryChoiceField:
    kwargs.setdefault("initial", "AT")
    return CountryChoiceField(choices=country_choices, **kwargs)


class AsciiDecimalField(forms.DecimalField):
    """A decimal number (an amount, a quantity) typed with the digits 0-9 and a dot.

    Django's DecimalField takes Arabic-Indic or full-width digits and a trailing no-break space, so "١"
    would be booked as 1.00.
    """

    default_error_messages = {"invalid": _("Enter a number with the digits 0-9 and a dot, e.g. 12.50.")}

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not is_ascii_decimal(str(value).strip(" ")):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
