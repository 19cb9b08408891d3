"""Validators for the legal and bank data of cooperatives, members and clients (libraries, not regexes)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors
from schwifty.exceptions import SchwiftyException
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

# The libraries explain a refusal in English; the reader gets it in their language. Checked in order
# (subclasses first); anything else falls back to the general reason.
_STDNUM_REASONS = (
    (stdnum_errors.InvalidChecksum, _("the check digit is wrong")),
    (stdnum_errors.InvalidLength, _("it has the wrong length")),
    (stdnum_errors.InvalidFormat, _("it has the wrong format")),
    (stdnum_errors.InvalidComponent, _("a part of it (e.g. the country prefix) is not valid")),
)
_SCHWIFTY_REASONS = (
    (schwifty_errors.InvalidChecksumDigits, _("the check digits are wrong")),
    (schwifty_errors.InvalidBBANChecksum, _("the national check digit is wrong")),
    (schwifty_errors.InvalidLength, _("it has the wrong length")),
    (schwifty_errors.InvalidCountryCode, _("the country code is not valid")),
    (schwifty_errors.InvalidBankCode, _("the bank code is not valid")),
    (schwifty_errors.InvalidBranchCode, _("the branch code is not valid")),
    (schwifty_errors.InvalidAccountCode, _("the account number is not valid")),
    (schwifty_errors.InvalidStructure, _("it has the wrong format")),
)


def _reason(exc: Exception, reasons: tuple[tuple[type[Exception], Any], ...]) -> Any:
    for kind, reason in reasons:
        if isinstance(exc, kind):
            return reason
    return _("it is not valid")


def normalize_iban(value: str) -> str:
    return IBAN(value).compact


def validate_iban(value: str) -> None:
    try:
        IBAN(value)
    except SchwiftyException as exc:
        raise ValidationError(
            _("%(value)s is not a valid IBAN: %(reason)s"),
            params={"value": value, "reason": _reason(exc, _SCHWIFTY_REASONS)},
        ) from exc


def validate_bic(value: str) -> None:
    try:
        BIC(value)
    except SchwiftyException as exc:
        raise ValidationError(
            _("%(value)s is not a valid BIC: %(reason)s"),
            params={"value": value, "reason": _reason(exc, _SCHWIFTY_REASONS)},
        ) from exc


def validate_vat_id(value: str) -> None:
    """EU VAT identification number (UID), checked for format and check digits."""
    try:
        eu_vat.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid EU VAT id (UID): %(reason)s"),
            params={"value": value, "reason": _reason(exc, _STDNUM_REASONS)},
        ) from exc


def normalize_vat_id(value: str) -> str:
    """The compact form ("ATU 135 856 27" → "ATU13585627"); a value that is no VAT id at all ("April") is
    returned as typed, for `validate_vat_id` to refuse with its reason."""
    try:
        return str(eu_vat.compact(value))
    except StdnumError:
        return value.strip()


# A decimal number in ASCII digits with an optional sign and a dot: "12.50", "-3", ".5". Python's `\d` and
# `Decimal()` also take Arabic-Indic ('١') or full-width ('１') digits and strip a no-break space, so "١"
# would be booked as 1.00.
ASCII_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", re.ASCII)
# The only date form the API takes: YYYY-MM-DD (Python's fromisoformat also takes "20261101").
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

# Business dates (expenses, invoices, service periods, fee notes, payments) outside this range are typos.
BUSINESS_DATE_EARLIEST = date(2000, 1, 1)
BUSINESS_DATE_YEARS_AHEAD = 10
# A free-text note or reason: generous for people, bounded for the database and the PDF.
NOTE_MAX_LENGTH = 10_000
# Lines on one invoice or credit note.
MAX_INVOICE_LINES = 500


def is_ascii_decimal(value: Any) -> bool:
    return (
        isinstance(value, int | str)
        and not isinstance(value, bool)
        and bool(ASCII_DECIMAL.fullmatch(str(value)))
    )


def business_date_latest() -> date:
    today = timezone.localdate()
    try:
        return today.replace(year=today.year + BUSINESS_DATE_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + BUSINESS_DATE_YEARS_AHEAD, day=28)


def validate_business_date(value: date) -> None:
    """A plausible date for a business event: from 2000-01-01 to ten years from today."""
    latest = business_date_latest()
    if not BUSINESS_DATE_EARLIEST <= value <= latest:
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="date_out_of_range",
            params={"earliest": BUSINESS_DATE_EARLIEST.isoformat(), "latest": latest.isoformat()},
        )


# Characters no document may carry: what XML 1.0 cannot hold (C0 controls except tab, line feed and
# carriage return; U+FFFE, U+FFFF; lone surrogates) — an invoice line with "\x07" took its number and then
# never rendered — and the bidi embedding/override/isolate controls, which reorder the text a PDF shows
# (U+202E turns "INV-0017 Consulting" into something else on paper). Unicode TR #9; XML 1.0 § 2.2 (Char).
UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


def unsafe_character(value: str) -> str | None:
    """The first character of `value` that no document may carry, as U+XXXX, or None."""
    found = UNSAFE_TEXT.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def validate_document_text(value: str) -> None:
    """Refuse control characters XML cannot hold and bidi overrides: the text reaches a PDF or XML."""
    character = unsafe_character(value) if isinstance(value, str) else None
    if character is not None:
        raise ValidationError(
            _("Remove the invisible control character %(character)s from this text."),
            code="unsafe_character",
            params={"character": character},
        )
