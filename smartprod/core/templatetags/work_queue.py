"""Filters for the staff work queue page: amounts and dates in the reader's language (kernel formats)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import get_language

from smartprod.core.formatting import format_date, format_money

register = template.Library()


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


@register.filter
def item_money(item: Any) -> str:
    """A work-queue item's amount with its currency: '1.234,56 EUR' (de), 'EUR 1,234.56' (en); '' for none."""
    if item.amount is None:
        return ""
    return format_money(item.amount, item.currency, _language())


@register.filter
def day(value: date | None) -> str:
    return format_date(value, _language())
