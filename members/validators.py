"""Validators for the legal and bank data of cooperatives, members and clients (libraries, not regexes)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError


def normalize_iban(value: str) -> str:
    return IBAN(value).compact


def validate_iban(value: str) -> None:
    try:
        IBAN(value)
    except SchwiftyException as exc:
        raise ValidationError(
            _("%(value)s is not a valid IBAN: %(reason)s"), params={"value": value, "reason": exc}
        ) from exc


def validate_bic(value: str) -> None:
    try:
        BIC(value)
    except SchwiftyException as exc:
        raise ValidationError(
            _("%(value)s is not a valid BIC: %(reason)s"), params={"value": value, "reason": exc}
        ) from exc


def validate_vat_id(value: str) -> None:
    """EU VAT identification number (UID), checked for format and check digits."""
    try:
        eu_vat.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid EU VAT id (UID): %(reason)s"), params={"value": value, "reason": exc}
        ) from exc


def normalize_vat_id(value: str) -> str:
    return str(eu_vat.compact(value))
