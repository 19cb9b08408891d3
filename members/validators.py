"""Old home of the bank and legal-data validators (now `smartprod.core.validators`); old migrations use it."""

from smartprod.core.validators import (
    normalize_iban,
    normalize_vat_id,
    validate_bic,
    validate_iban,
    validate_vat_id,
)

__all__ = ["normalize_iban", "normalize_vat_id", "validate_bic", "validate_iban", "validate_vat_id"]
