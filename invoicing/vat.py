"""VAT treatment of an invoice: which categories its client allows, the legal note it prints, warnings.

No writes here: `invoicing.services` calls `check_vat_treatment` before saving a draft and again at issue
(the client may have changed in between); pages and the API show `vat_warnings`.

Categories (EN 16931 / UNCL 5305): S taxable here; AE reverse charge (a business in another EU country
with a valid UID of that country); O not subject to VAT here (a business outside the EU: § 3a Abs. 6
UStG 1994 puts the place of supply there; this is not reverse charge); E exempt, with one of the
cooperative's exemption notes (never free text, never the small-business exemption).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import override, pgettext_lazy

from invoicing.models import ExemptionNote, Invoice, InvoiceLine
from projects.vat import ClientVatSituation, client_vat_situation, taxed_abroad
from smartprod.core.errors import ApplicationError
from smartprod.core.money import ZERO

if TYPE_CHECKING:
    from smartprod.tenancy.models import Cooperative

Category = InvoiceLine.VatCategory

# The law putting the place of a B2B service where the client is, as the cooperative's country cites it.
# AT: § 3a Abs. 6 UStG 1994; DE: § 3a Abs. 2 UStG; both implement Art. 44 of the VAT Directive 2006/112/EC.
PLACE_OF_SUPPLY_RULE = {"AT": "§ 3a Abs. 6 UStG", "DE": "§ 3a Abs. 2 UStG"}
PLACE_OF_SUPPLY_RULE_EU = "Art. 44 MwStSystRL"

# The notes printed on the invoice (and sent as the EN 16931 exemption reason, BT-120), per cooperative
# country and document language. Reverse charge: the invoice must name the recipient's UID and say that
# the recipient owes the tax — AT: § 11 Abs. 1a UStG 1994 (also for services taxed in another member
# state); DE: § 14a Abs. 1 UStG, wording "Steuerschuldnerschaft des Leistungsempfängers"; EU: Art. 226
# Nr. 11a MwStSystRL ("Reverse charge"). Not taxable: the place of supply is abroad (see above).
# In English; the German wording is in the catalogue (the document is written under its language).
REVERSE_CHARGE_NOTES = {
    "AT": pgettext_lazy(
        "invoice legal note",
        "Reverse charge: the place of supply is the recipient's member state (§ 3a (6) Austrian "
        "VAT Act); the recipient is liable for the VAT (Art. 196 VAT Directive). Recipient's VAT "
        "id: {vat_id}",
    ),
    "DE": pgettext_lazy(
        "invoice legal note",
        "Reverse charge: the place of supply is the recipient's member state (§ 3a (2) German VAT "
        "Act); the recipient is liable for the VAT (Art. 196 VAT Directive). Recipient's VAT id: "
        "{vat_id}",
    ),
}
REVERSE_CHARGE_NOTE_EU = pgettext_lazy(
    "invoice legal note",
    "Reverse charge: the recipient is liable for the VAT (Art. 44 and 196 VAT Directive). "
    "Recipient's VAT id: {vat_id}",
)
NOT_TAXABLE_NOTES = {
    "AT": pgettext_lazy(
        "invoice legal note",
        "Not taxable in Austria: the place of supply is where the recipient is established, "
        "outside the EU (§ 3a (6) Austrian VAT Act).",
    ),
    "DE": pgettext_lazy(
        "invoice legal note",
        "Not taxable in Germany: the place of supply is where the recipient is established, "
        "outside the EU (§ 3a (2) German VAT Act).",
    ),
}
NOT_TAXABLE_NOTE_EU = pgettext_lazy(
    "invoice legal note",
    "Not subject to VAT here: the place of supply is where the recipient is established, "
    "outside the EU (Art. 44 VAT Directive).",
)


def _language(cooperative: Cooperative) -> str:
    return "de" if cooperative.language == "de" else "en"


def place_of_supply_rule(cooperative: Cooperative) -> str:
    return PLACE_OF_SUPPLY_RULE.get(cooperative.country.upper(), PLACE_OF_SUPPLY_RULE_EU)


def default_vat_key(where: ClientVatSituation) -> str:
    """The VAT choice a new line starts with for such a client ("reverse_charge", "not_taxable"), or ""."""
    if where == ClientVatSituation.EU_BUSINESS:
        return "reverse_charge"
    if where == ClientVatSituation.THIRD_COUNTRY_BUSINESS:
        return "not_taxable"
    return ""


def check_vat_treatment(
    *,
    cooperative: Cooperative,
    invoice: Invoice,
    lines: Sequence[InvoiceLine],
    exemption_note: ExemptionNote | None,
) -> None:
    """Refuse a VAT treatment the client does not allow, and an exemption without its legal note."""
    categories = {line.vat_category for line in lines}
    if len(categories) > 1:
        raise ApplicationError(
            _("Taxable, reverse-charge, not taxable and exempt lines go on separate invoices."),
            details={"vat_rate": [_("Mixed VAT treatments.")]},
        )
    client = invoice.client
    where = client_vat_situation(home_country=cooperative.country, client=client)
    names = {"client": client.name, "country": (client.country or "").upper()}
    if Category.REVERSE_CHARGE in categories and where != ClientVatSituation.EU_BUSINESS:
        if where == ClientVatSituation.THIRD_COUNTRY_BUSINESS:
            message = _(
                "%(client)s is a business outside the EU (%(country)s): the service is not taxable here, "
                "which is not reverse charge. Choose “not taxable here”."
            )
        elif where == ClientVatSituation.EU_BUSINESS_WITHOUT_UID:
            message = _(
                "Reverse charge needs a valid VAT id (UID) of %(country)s for %(client)s; add it to the "
                "client first, or charge VAT."
            )
        elif where == ClientVatSituation.CONSUMER:
            message = _("%(client)s is a private person: reverse charge is only for businesses; charge VAT.")
        else:
            message = _(
                "%(client)s is a business in %(country)s, the cooperative's own country: reverse charge is "
                "only for businesses in another EU country; charge VAT."
            )
        raise ApplicationError(
            message % names,
            details={"vat_rate": [_("Reverse charge is not possible for this client.")]},
        )
    if Category.NOT_TAXABLE in categories and where != ClientVatSituation.THIRD_COUNTRY_BUSINESS:
        if where == ClientVatSituation.EU_BUSINESS:
            message = _(
                "%(client)s is a business in another EU country: invoice it with reverse charge, not as "
                "“not taxable here”."
            )
        else:
            message = _(
                "“Not taxable here” is only for business clients outside the EU; %(client)s is not one."
            )
        raise ApplicationError(
            message % names, details={"vat_rate": [_("Not taxable here is not possible for this client.")]}
        )
    if Category.EXEMPT in categories:
        if exemption_note is None:
            raise ApplicationError(
                _("An exempt invoice needs its legal exemption: choose one of the cooperative's exemptions."),
                details={"exemption_note": [_("Required for exempt lines.")]},
            )
    elif exemption_note is not None:
        raise ApplicationError(
            _("An exemption is chosen but no line is exempt; remove the exemption or mark the lines exempt."),
            details={"exemption_note": [_("No line is exempt.")]},
        )


def legal_note(*, cooperative: Cooperative, invoice: Invoice, lines: Sequence[InvoiceLine]) -> str:
    """The note the invoice prints for its VAT treatment, in the document's language; "" when taxable."""
    categories = {line.vat_category for line in lines}
    country = cooperative.country.upper()
    with override(_language(cooperative)):
        if Category.REVERSE_CHARGE in categories:
            text = str(REVERSE_CHARGE_NOTES.get(country, REVERSE_CHARGE_NOTE_EU))
            return text.format(vat_id=invoice.client_vat_id)
        if Category.NOT_TAXABLE in categories:
            return str(NOT_TAXABLE_NOTES.get(country, NOT_TAXABLE_NOTE_EU))
    if Category.EXEMPT in categories and invoice.exemption_note is not None:
        return invoice.exemption_note.invoice_text
    return ""


def vat_warnings(*, cooperative: Cooperative, invoice: Invoice, lines: Sequence[InvoiceLine]) -> list[str]:
    """What an advisor should look at before issuing: VAT charged where the general rule says it is not."""
    where = client_vat_situation(home_country=cooperative.country, client=invoice.client)
    if not taxed_abroad(where) or not any(line.vat_category == Category.STANDARD for line in lines):
        return []
    names = {"client": invoice.client.name, "rule": place_of_supply_rule(cooperative)}
    if where == ClientVatSituation.EU_BUSINESS:
        return [
            _(
                "%(client)s is a business in another EU country: services to it are normally taxed there "
                "(%(rule)s) and invoiced with reverse charge. Charge VAT only if a special rule puts the "
                "place of supply here (e.g. admission to an event held here)."
            )
            % names
        ]
    return [
        _(
            "%(client)s is a business outside the EU: services to it are normally not taxable here "
            "(%(rule)s). Charge VAT only if a special rule puts the place of supply here (e.g. admission "
            "to an event held here)."
        )
        % names
    ]


def vat_breakdown(lines: Sequence[InvoiceLine]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """[(category, rate, net basis, VAT)] grouped per rate, as the invoice prints and the XML declares."""
    groups: dict[tuple[str, Decimal], list[Decimal]] = {}
    for line in lines:
        basis_vat = groups.setdefault((line.vat_category, line.vat_rate), [ZERO, ZERO])
        basis_vat[0] += line.net_amount
        basis_vat[1] += line.vat_amount
    return [
        (cat, rate, basis, vat)
        for (cat, rate), (basis, vat) in sorted(groups.items(), key=lambda g: -g[0][1])
    ]
