"""Validators for the legal and bank data of cooperatives, members and clients (libraries, not regexes)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
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
    return str(eu_vat.compact(value))
