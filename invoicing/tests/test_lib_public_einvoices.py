"""The ebInterface 6.1 and XRechnung builders on their own: every VAT category we issue passes the official
ebInterface XSD and the official EN 16931 + XRechnung schematrons; what each refuses to build."""

import dataclasses

import pytest
from lxml import etree

from invoicing.lib.ebinterface import NO_VAT_ID, build_ebinterface_xml
from invoicing.lib.einvoice import Contact
from invoicing.lib.xrechnung import EAS_LEITWEG_ID, build_xrechnung_xml
from invoicing.tests.test_lib_einvoice import (
    BUYER_DE,
    _credit_note,
    _not_subject_invoice,
    _reverse_charge_invoice,
    _standard_invoice,
)
from tests.einvoice_validation import ebinterface_errors, xrechnung_errors

CONTACT = Contact("Buchhaltung", "+43 1 234 56 78", "rechnung@koop.example")
PUBLIC_AT = {"supplier_number": "0012345", "order_reference": "4500123456"}
PUBLIC_DE = {"buyer_reference": "04011000-1234512345-06", "seller_contact": CONTACT}
REFUND = {"refund_means_text": "Der Betrag wird auf Ihr Konto überwiesen."}
EB = {"eb": "http://www.ebinterface.at/schema/6p1/"}
RAM = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def _documents():
    return {
        "standard": _standard_invoice(),
        "reverse charge": _reverse_charge_invoice(),
        "not taxable": _not_subject_invoice(),
        "credit note": _credit_note(**REFUND),
    }


@pytest.mark.parametrize("kind", ["standard", "reverse charge", "not taxable", "credit note"])
def test_ebinterface_passes_the_official_xsd(kind):
    inv = dataclasses.replace(_documents()[kind], **PUBLIC_AT)
    xml = build_ebinterface_xml(inv)
    assert ebinterface_errors(xml) == []
    root = etree.fromstring(xml)
    categories = set(root.xpath("//eb:Tax/eb:TaxItem/eb:TaxPercent/@TaxCategoryCode", namespaces=EB))
    assert categories == {row.category for row in inv.tax_breakdown}


def test_ebinterface_without_vat_ids_uses_the_documented_placeholder():
    root = etree.fromstring(build_ebinterface_xml(dataclasses.replace(_not_subject_invoice(), **PUBLIC_AT)))
    assert root.xpath("//eb:VATIdentificationNumber/text()", namespaces=EB) == [NO_VAT_ID, NO_VAT_ID]


def test_ebinterface_names_what_a_public_body_needs():
    with pytest.raises(ValueError) as caught:
        build_ebinterface_xml(dataclasses.replace(_standard_invoice(), order_reference=""))
    assert "order reference" in str(caught.value)
    assert "supplier number" in str(caught.value)


@pytest.mark.parametrize("kind", ["standard", "reverse charge", "credit note"])
def test_xrechnung_has_no_errors_under_the_official_schematrons(kind):
    inv = dataclasses.replace(_documents()[kind], buyer=BUYER_DE, **PUBLIC_DE)
    xml = build_xrechnung_xml(inv)
    assert xrechnung_errors(xml) == []
    root = etree.fromstring(xml)
    (address,) = root.xpath("//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID", namespaces=RAM)
    assert (address.get("schemeID"), address.text) == (EAS_LEITWEG_ID, "04011000-1234512345-06")


def test_xrechnung_is_refused_without_leitweg_id_contact_or_payment_instructions():
    inv = dataclasses.replace(_credit_note(), buyer=BUYER_DE)
    with pytest.raises(ValueError) as caught:
        build_xrechnung_xml(inv)
    message = str(caught.value)
    for rule in ("BR-DE-15", "BR-DE-5", "BR-DE-6", "BR-DE-7", "BR-DE-1"):
        assert rule in message
