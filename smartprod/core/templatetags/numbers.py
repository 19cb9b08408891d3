"""Number filters for pages: quantities as people write them (8.5 hours, not 8.500)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils.translation import get_language

from smartprod.core.formatting import format_decimal, format_money_symbol

register = template.Library()


@register.filter
def quantity(value: object) -> str:
    """A quantity without trailing zeros, in the active language: 8.500 → '8.5' / '8,5' (de); 10.000 → '10'.

    Thousands are grouped as the language does (1,250.5 / 1.250,5); the kernel's one formatter writes it.
    """
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format_decimal(number, get_language() or settings.LANGUAGE_CODE)


@register.filter
def money(value: object, currency: str = "EUR") -> str:
    """An amount with its currency in the active language: '1.234,56 €' (de), '€1,234.56' (en)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format_money_symbol(number, currency, get_language() or settings.LANGUAGE_CODE)
