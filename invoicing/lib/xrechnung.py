"""XRechnung 3.0 in CII syntax: the e-invoice German public bodies require (E-Rechnungsverordnung).

XRechnung is a CIUS of EN 16931: the same CII document as our Factur-X XML, with the XRechnung
specification identifier (BT-24, BR-DE-21), the buyer reference (BT-10) holding the Leitweg-ID
(BR-DE-15), the seller's contact with name, phone and e-mail (BR-DE-2, BR-DE-5/6/7), postal addresses
with town and postcode (BR-DE-3/4/8/9) and payment instructions (BG-16, BR-DE-1): a SEPA credit
transfer with the seller's IBAN on an invoice (BR-DE-23), the refund text on a credit note. Source:
KoSIT, "Spezifikation XRechnung 3.0" and its schematron (github itplr-kosit/xrechnung-schematron).
"""

from __future__ import annotations

from dataclasses import replace

from invoicing.lib.einvoice import INVOICE, EInvoice, build_cii_xml

XRECHNUNG_3_0 = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
# CEF EAS code list: 0204 = Leitweg-ID (the German public buyer's routing id).
EAS_LEITWEG_ID = "0204"


def check_xrechnung(inv: EInvoice) -> list[str]:
    """The BR-DE rules our data can break (beyond EN 16931, see ``check_invoice``); returns the problems."""
    problems: list[str] = []
    if not inv.buyer_reference.strip():
        problems.append("XRechnung needs the buyer reference (BT-10), the Leitweg-ID (BR-DE-15).")
    contact = inv.seller_contact
    if contact is None or not contact.name.strip():
        problems.append("XRechnung needs the seller's contact name (BT-41, BR-DE-5).")
    if contact is None or not contact.phone.strip():
        problems.append("XRechnung needs the seller's contact phone (BT-42, BR-DE-6).")
    if contact is None or not contact.email.strip():
        problems.append("XRechnung needs the seller's contact e-mail (BT-43, BR-DE-7).")
    if not inv.seller.email.strip():
        problems.append("XRechnung needs the seller's electronic address (BT-34): the cooperative's e-mail.")
    for who, party in (("seller", inv.seller), ("buyer", inv.buyer)):
        if not party.city.strip() or not party.postcode.strip():
            problems.append(f"XRechnung needs the {who}'s town and postcode (BR-DE-3/4/8/9).")
    if inv.type_code == INVOICE and not inv.seller_iban:
        problems.append("XRechnung needs payment instructions (BG-16, BR-DE-1): the seller's IBAN.")
    if inv.type_code != INVOICE and not inv.refund_means_text.strip():
        problems.append("XRechnung needs payment instructions (BG-16, BR-DE-1) on a credit note too.")
    return problems


def build_xrechnung_xml(inv: EInvoice) -> bytes:
    """The XRechnung 3.0 CII XML of ``inv``; ValueError naming every rule broken (EN 16931 and BR-DE)."""
    problems = check_xrechnung(inv)
    if problems:
        raise ValueError("The e-invoice breaks XRechnung rules:\n- " + "\n- ".join(problems))
    buyer = replace(
        inv.buyer, electronic_address=inv.buyer_reference.strip(), electronic_address_scheme=EAS_LEITWEG_ID
    )
    return build_cii_xml(replace(inv, guideline_id=XRECHNUNG_3_0, buyer=buyer))
