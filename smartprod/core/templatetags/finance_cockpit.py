"""Money on the finance cockpit's pages, in the request's language: '1.234,56 €' (de), '€1,234.56' (en)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.translation import get_language

from smartprod.core.formatting import format_amount
from smartprod.core.money import quantize_money

register = template.Library()

_SYMBOLS = {"EUR": "€", "CHF": "CHF", "GBP": "£", "USD": "$"}


@register.filter
def money(value: Decimal | None, currency: str = "EUR") -> str:
    """An amount to the cent with thousands grouped and the currency where the language puts it."""
    if value is None or value == "":
        return ""
    language = get_language() or settings.LANGUAGE_CODE
    amount = quantize_money(Decimal(value))
    text = format_amount(abs(amount), language)
    sign = "-" if amount < 0 else ""
    symbol = _SYMBOLS.get(currency, currency)
    if language[:2].lower() == "de":
        return f"{sign}{text}\u00a0{symbol}"
    return f"{sign}{symbol}{text}" if len(symbol) == 1 else f"{sign}{symbol}\u00a0{text}"
