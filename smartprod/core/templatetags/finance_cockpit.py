"""Money on the finance cockpit's pages, in the request's language: '1.234,56 €' (de), '€1,234.56' (en).

The shared formatter (`format_money_symbol`, as the backend and the budget use it), with a no-break space
so a figure never wraps between the amount and its currency in the cockpit's narrow cells.
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.translation import get_language

from smartprod.core.formatting import format_money_symbol

register = template.Library()


@register.filter
def money(value: Decimal | None, currency: str = "EUR") -> str:
    """An amount to the cent with thousands grouped and the currency where the language puts it."""
    if value is None or value == "":
        return ""
    text = format_money_symbol(Decimal(value), currency, get_language() or settings.LANGUAGE_CODE)
    return text.replace(" ", "\u00a0")
