"""Serializer fields every API of the project shares."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MONEY_PATTERN = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


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
        if not MONEY_PATTERN.fullmatch(str(data).strip()):
            self.fail("invalid")
        value: Decimal = super().to_internal_value(data)
        return value


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """An uploaded file: documented as binary content (multipart), not as the URL a FileField outputs."""
