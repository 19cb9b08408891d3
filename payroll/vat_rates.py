"""VAT facts a fee note needs, as data per country with their sources (payroll may not import invoicing).

Rates (the cooperative's country): a VAT-registered payee's fee note carries one of them.
- AT: § 10 Abs. 1 UStG 1994 (20 % Normalsteuersatz), § 10 Abs. 2 (10 %), § 10 Abs. 3 (13 %, among others
  artistic services) — the same rows as invoicing/reference_data.py (VAT_RATES).
- DE: § 12 Abs. 1 UStG (19 %), § 12 Abs. 2 (7 %), since 1 Jan 2021 (the 2020 Corona rates are over).

Small-business notes (the payee charges no VAT): AT § 6 Abs. 1 Z 27 UStG 1994; DE § 19 Abs. 1 UStG.
Self-billing ("Gutschrift"): AT § 11 Abs. 7 UStG 1994 (an objection to the VAT amount takes away the
document's effect as an invoice, UStR Rz 1643); DE § 14 Abs. 2 Satz 2 and Abs. 4 Nr. 10 UStG.
Reverse charge of a service from a business in another EU country: AT § 19 Abs. 1 zweiter Satz UStG 1994,
DE § 13b Abs. 1 UStG (Art. 196 MwSt-RL): the cooperative owes the VAT.

The small-amount invoice limits (deductible VAT of expenses) are in projects/vat.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CountryVat:
    standard: Decimal
    rates: tuple[Decimal, ...]
    small_business_note: object  # lazy translation
    reverse_charge_note: object
    self_billing_law: str
    source: str


COUNTRY_VAT: dict[str, CountryVat] = {
    "AT": CountryVat(
        standard=Decimal("20.00"),
        rates=(Decimal("20.00"), Decimal("13.00"), Decimal("10.00")),
        small_business_note=_("Small business: exempt from VAT under § 6 Abs. 1 Z 27 UStG."),
        reverse_charge_note=_(
            "Reverse charge: the recipient of the service owes the VAT "
            "(§ 19 Abs. 1 UStG, Art. 196 VAT Directive)."
        ),
        self_billing_law="§ 11 Abs. 7 UStG",
        source="UStG 1994 § 10, § 6 Abs. 1 Z 27, § 11 Abs. 6-7, § 19; UStR 2000 Rz 1625, 1643",
    ),
    "DE": CountryVat(
        standard=Decimal("19.00"),
        rates=(Decimal("19.00"), Decimal("7.00")),
        small_business_note=_("Small business: no VAT is charged under § 19 UStG."),
        reverse_charge_note=_(
            "Reverse charge: the recipient of the service owes the VAT (§ 13b UStG, Art. 196 VAT Directive)."
        ),
        self_billing_law="§ 14 Abs. 2 Satz 2 UStG",
        source="UStG § 12, § 13b, § 14, § 19; UStDV § 33",
    ),
}


def country_vat(country: str) -> CountryVat:
    """The VAT facts of `country`; a cooperative elsewhere has none recorded yet (a data gap, not a guess)."""
    try:
        return COUNTRY_VAT[country]
    except KeyError:
        raise LookupError(f"No VAT data for {country!r} in payroll/vat_rates.py.") from None
