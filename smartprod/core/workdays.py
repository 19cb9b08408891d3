"""Working days: weekends and public holidays per country, and TARGET2 business days for SEPA transfers.

Holidays are data, not code: they come from the `holidays` package (python-holidays, maintained, one
module per country citing its legal source), for the years asked, incl. the Easter-dependent ones:

- Austria (AT): the public holidays of § 7 Abs. 2 Arbeitsruhegesetz (ARG, BGBl. 144/1983) — 1 Jan, 6 Jan,
  Easter Monday, 1 May, Ascension, Whit Monday, Corpus Christi, 15 Aug, 26 Oct, 1 Nov, 8 Dec, 25 and 26 Dec.
- Germany (DE): the nationwide holidays (federal law: 3 Oct by the Einigungsvertrag; the others by every
  state's Feiertagsgesetz) — 1 Jan, Good Friday, Easter Monday, 1 May, Ascension, Whit Monday, 3 Oct,
  25 and 26 Dec. Holidays of single states (e.g. 6 Jan in Bavaria) are not counted.
- TARGET2 (the Eurosystem's settlement system, holidays market "XECB"): closed on Saturdays, Sundays,
  1 Jan, Good Friday, Easter Monday, 1 May, 25 and 26 Dec (ECB, "TARGET2 closing days"). A SEPA credit
  transfer's requested execution date is a TARGET2 business day.

`tests/test_workdays.py` checks 2026 and 2027 against these lists by hand.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

SUPPORTED_COUNTRIES = ("AT", "DE")


@lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    if country not in SUPPORTED_COUNTRIES:
        raise ValueError(f"No public holiday calendar for country {country!r} (have: {SUPPORTED_COUNTRIES}).")
    return frozenset(holidays.country_holidays(country, years=year).keys())


@lru_cache(maxsize=64)
def _target2_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("XECB", years=year).keys())


def public_holidays(country: str, year: int) -> list[tuple[date, str]]:
    """The country's public holidays of `year`, with their names (for pages and tests)."""
    if country not in SUPPORTED_COUNTRIES:
        raise ValueError(f"No public holiday calendar for country {country!r} (have: {SUPPORTED_COUNTRIES}).")
    return sorted(holidays.country_holidays(country, years=year).items())


def is_working_day(day: date, country: str) -> bool:
    """Monday to Friday and not a public holiday of `country`."""
    return day.weekday() < 5 and day not in _public_holidays(country, day.year)


def is_target2_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _target2_holidays(day.year)


def add_working_days(start: date, days: int, country: str) -> date:
    """The `days`-th working day after `start` (0: `start` itself, or the next working day if it is none).

    A guarantee approved on Friday or Saturday with 1 working day is due on Monday (Tuesday when Monday is
    Easter Monday).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    if days == 0:
        while not is_working_day(day, country):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, country):
            counted += 1
    return day


def next_target2_day(day: date) -> date:
    """`day` if TARGET2 settles on it, else the next day it does."""
    while not is_target2_day(day):
        day += timedelta(days=1)
    return day


def working_days_between(start: date, end: date, country: str) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start` (negative if before)."""
    if end < start:
        return -working_days_between(end, start, country)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, country):
            count += 1
    return count
