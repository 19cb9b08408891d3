"""Where a client's services are taxed (place of supply of services, B2B general rule).

Reads only: which VAT treatments an invoice to a client may carry, and which one is the usual default.

Law (Austria; Germany and the VAT Directive say the same for the cooperatives of other member states):
- § 3a Abs. 6 UStG 1994 / Art. 44 MwSt-RL (DE: § 3a Abs. 2 UStG): a service to a business is supplied
  where the business is established, in the EU and in third countries alike.
- Another EU country: the client owes the VAT there (Art. 196 MwSt-RL, "reverse charge"); the invoice
  names the client's UID and the reverse charge (§ 11 Abs. 1a UStG 1994; DE: § 14a Abs. 1 UStG).
  Without a valid UID of the client's own country the business status is not shown: Austrian VAT.
- A third country: not taxable in Austria at all (EN 16931 category O, "not subject to VAT"); this is
  not reverse charge.
- A consumer: taxed where the supplier is (§ 3a Abs. 7 UStG 1994 / Art. 45 MwSt-RL).
Exceptions exist (§ 3a Abs. 9 ff. UStG: real estate, admission to events, …), so a taxable line to a
foreign business is allowed, with a warning; reverse charge and "not taxable" are refused where the
general rule cannot apply.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from stdnum.eu import vat as eu_vat

from projects.models import Client

# The 27 member states of the European Union since 1 February 2020 (United Kingdom withdrawn), ISO 3166
# alpha-2. Source: europa.eu, "EU countries" (https://european-union.europa.eu/principles-countries-history/
# eu-countries_en). VAT ids of Greece start with "EL", not "GR".
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
VAT_PREFIX_COUNTRY = {"EL": "GR"}


class ClientVatSituation(StrEnum):
    DOMESTIC = "domestic"  # a business in the cooperative's own country
    CONSUMER = "consumer"  # a private person: taxed where the cooperative is
    EU_BUSINESS = "eu_business"  # another EU country, valid UID of that country: reverse charge
    EU_BUSINESS_WITHOUT_UID = "eu_business_without_uid"  # no (valid) UID: taxed at home
    THIRD_COUNTRY_BUSINESS = "third_country_business"  # outside the EU: not taxable here (category O)


def vat_id_country(vat_id: str) -> str:
    """The ISO country of an EU VAT id ("EL…" → "GR"); "" when it is not a valid EU VAT id."""
    compact = str(eu_vat.compact(vat_id or "")) if vat_id else ""
    if not compact or not eu_vat.is_valid(compact):
        return ""
    prefix = compact[:2].upper()
    return VAT_PREFIX_COUNTRY.get(prefix, prefix)


def client_vat_situation(*, home_country: str, client: Client) -> ClientVatSituation:
    """Where the cooperative's services to `client` are taxed (see the module's docstring)."""
    country = (client.country or "").upper()
    if client.kind == Client.Kind.CONSUMER:
        return ClientVatSituation.CONSUMER
    if country == home_country.upper():
        return ClientVatSituation.DOMESTIC
    if country in EU_COUNTRIES:
        if vat_id_country(client.vat_id) == country:
            return ClientVatSituation.EU_BUSINESS
        return ClientVatSituation.EU_BUSINESS_WITHOUT_UID
    return ClientVatSituation.THIRD_COUNTRY_BUSINESS


def reverse_charge_allowed(*, home_country: str, client: Client) -> bool:
    return client_vat_situation(home_country=home_country, client=client) == ClientVatSituation.EU_BUSINESS


def taxed_abroad(situation: ClientVatSituation) -> bool:
    """The general rule puts the place of supply outside the cooperative's country."""
    return situation in (ClientVatSituation.EU_BUSINESS, ClientVatSituation.THIRD_COUNTRY_BUSINESS)


# Small-amount invoices (Kleinbetragsrechnungen): up to this gross amount a receipt need not name the
# recipient, and its VAT is still deductible input VAT. AT: € 400 since 1 Mar 2014, § 11 Abs. 6 UStG 1994
# (UStR 2000 Rz 1625: "400 (bis 28.2.2014: 150) Euro"); DE: € 250, § 33 UStDV (since 1 Jan 2017).
SMALL_AMOUNT_INVOICE_LIMIT = {"AT": Decimal("400.00"), "DE": Decimal("250.00")}
