"""Number filters for pages: quantities as people write them (8.5 hours, not 8.500)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def quantity(value: object) -> str:
    """A quantity without trailing zeros, in the active locale: 8.500 → '8.5' / '8,5' (de); 10.000 → '10'.

    Thousands are grouped as the locale does (1,250.5 / 1.250,5).
    """
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    normalized = Decimal(f"{number.normalize():f}")
    places = max(0, -normalized.as_tuple().exponent)  # type: ignore[operator]
    return number_format(normalized, decimal_pos=places, use_l10n=True, force_grouping=True)
