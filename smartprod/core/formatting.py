"""Money, numbers, dates and IBANs as a reader of one language writes them: the one formatter for
documents, letters and e-mails, which speak their reader's language whatever the request's language is.

    de: 1.234,56 EUR · 2,5 · 10,73 % · 29.11.2026
    en: EUR 1,234.56 · 2.5 · 10.73 % · 29 November 2026

Pages format through Django's l10n (`floatformat`, `number_format`) in the request's language instead.
Only German and English are written; any other language code is treated as English.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from stdnum import iban as stdnum_iban

from smartprod.core.money import quantize_money

_MONTHS_EN = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


def _is_german(language: str) -> bool:
    return language[:2].lower() == "de"


def format_decimal(value: Decimal, language: str, *, places: int | None = None) -> str:
    """Thousands grouped, the language's decimal mark: exactly `places` decimals, or (None) as many as
    the value needs — 10.000 → '10', 2.500 → '2,5' (de), 1250.5 → '1,250.5' (en)."""
    if places is None:
        text = f"{value.normalize():,f}"
    else:
        text = f"{value.quantize(Decimal(1).scaleb(-places)):,.{places}f}"
    if _is_german(language):
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_amount(value: Decimal, language: str) -> str:
    """An amount of money without its currency, rounded to the cent: '1.234,50' (de), '1,234.50' (en)."""
    return format_decimal(quantize_money(value), language, places=2)


def format_money(amount: Decimal, currency: str, language: str, *, currency_first: bool | None = None) -> str:
    """'1.234,50 EUR' (de) or 'EUR 1,234.50' (en): the currency code where the language puts it (CLDR).

    `currency_first=False` keeps the code behind the figures in English too, for columns of amounts that
    align on their last digit (the invoice's tables and the mail that quotes them).
    """
    if currency_first is None:
        currency_first = not _is_german(language)
    text = format_amount(abs(quantize_money(amount)), language)
    sign = "-" if quantize_money(amount) < 0 else ""
    return f"{sign}{currency} {text}" if currency_first else f"{sign}{text} {currency}"


CURRENCY_SYMBOLS = {"EUR": "€"}


def format_money_symbol(amount: Decimal, currency: str, language: str) -> str:
    """An amount as pages and the backend show it, with the currency's sign where it has one (CLDR):
    '1.234,56 €' / '-1.234,56 €' (de), '€1,234.56' / '-€1,234.56' (en); 'CHF 1,234.56' without a sign."""
    value = quantize_money(amount)
    text = format_amount(abs(value), language)
    sign = "-" if value < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    if _is_german(language):
        return f"{sign}{text} {symbol or currency}"
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


def format_percent(rate: Decimal, language: str, *, places: int | None = None) -> str:
    """A rate with its percent sign: '20 %', '10,73 %' (de, places=2)."""
    return f"{format_decimal(rate, language, places=places)} %"


def format_date(day: date | None, language: str) -> str:
    """'29.11.2026' (de) or '29 November 2026' (en); '' for no date."""
    if day is None:
        return ""
    if _is_german(language):
        return f"{day.day:02d}.{day.month:02d}.{day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def format_iban(iban: str) -> str:
    """In groups of four, as printed on paper: 'AT61 1904 3002 3457 3201'; '' for none."""
    return str(stdnum_iban.format(iban)) if iban else ""
