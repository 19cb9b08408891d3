"""Serializer fields every API of the project shares."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from smartprod.core.validators import ISO_DATE, is_ascii_decimal, validate_business_date


class MoneyField(serializers.DecimalField):
    """An amount of money as a decimal string with a dot: "1234.50". Never a float, never "12,50"."""

    default_error_messages = {
        "invalid": _('Enter an amount as a decimal number with a dot, e.g. "12.50".'),
        "not_a_string": _('Send amounts as decimal strings, e.g. "12.50", not as JSON numbers.'),
        "min_value": _("The amount must not be negative."),
        "max_decimal_places": _("An amount has at most two decimal places (cents)."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", Decimal("0.00"))
        super().__init__(max_digits=20, decimal_places=2, coerce_to_string=True, **kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        # A JSON number arrives as a float, which cannot hold cents exactly.
        if isinstance(data, float | bool):
            self.fail("not_a_string")
        if not is_ascii_decimal(data) or str(data).startswith("+"):
            self.fail("invalid")
        value: Decimal = super().to_internal_value(data)
        return value


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """An uploaded file: documented as binary content (multipart), not as the URL a FileField outputs."""


class AsciiDecimalField(serializers.DecimalField):
    """A decimal number (a rate, a quantity) in ASCII digits with a dot, as a string or a whole number."""

    default_error_messages = {
        "invalid": _('Enter a decimal number with a dot and the digits 0-9, e.g. "1.5".'),
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, float | bool) or not is_ascii_decimal(data):
            self.fail("invalid")
        value: Decimal = super().to_internal_value(data)
        return value


class BusinessDateField(serializers.DateField):
    """A date of a business event: YYYY-MM-DD only, from 2000-01-01 to ten years from today."""

    default_error_messages = {
        "invalid": _("Enter the date as YYYY-MM-DD, e.g. 2026-11-01."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validators", [])
        kwargs["validators"] = [*kwargs["validators"], validate_business_date]
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            self.fail("invalid")
        return super().to_internal_value(value)


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}$", "example": "2026-03"})
class MonthOutputField(serializers.DateField):
    """A month in an answer: "2026-03" (the schema says so — it is not a full date)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m", **kwargs)
