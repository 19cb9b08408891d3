import dataclasses
import io
from datetime import date
from decimal import Decimal
from unittest import mock

import pypdf
import pytest
import weasyprint
from drafthorse.models import document as drafthorse_document
from lxml import etree

from invoicing.lib import einvoice
from invoicing.lib.einvoice import (
    EInvoice,
    Line,
    Party,
    PdfMetadata,
    TaxSubtotal,
    build_cii_xml,
    check_invoice,
    embed_xml_in_pdf,
    extract_xml_from_pdf,
    validate_xml,
)

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
SUMMATION = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"

SELLER = Party(
    name="Kooperative Süd eGen",
    street="Hauptstraße 1",
    postcode="1010",
    city="Wien",
    country="AT",
    vat_id="ATU12345678",
    email="office@koop.example",
)
BUYER_AT = Party(
    name="Kunde GmbH", street="Ring 2", postcode="8010", city="Graz", country="AT", vat_id="ATU87654321"
)
BUYER_DE = Party(
    name="Kunde Deutschland GmbH",
    street="Allee 5",
    postcode="80331",
    city="München",
    country="DE",
    vat_id="DE123456789",
)


def _standard_invoice(**overrides):
    # 10 h × 80.00 = 800.00 at 20 % → 160.00; 2 × 25.50 = 51.00 at 13 % → 6.63
    # net 851.00, VAT 166.63, gross 1,017.63
    values = {
        "number": "2026-00042",
        "type_code": "380",
        "issue_date": date(2026, 6, 1),
        "currency": "EUR",
        "seller": SELLER,
        "buyer": BUYER_AT,
        "lines": [
            Line(
                "1",
                "Konzept und Gestaltung",
                Decimal("10"),
                "HUR",
                Decimal("80.00"),
                Decimal("800.00"),
                "S",
                Decimal("20"),
            ),
            Line(
                "2",
                "Bildband (Druck)",
                Decimal("2"),
                "C62",
                Decimal("25.50"),
                Decimal("51.00"),
                "S",
                Decimal("13"),
            ),
        ],
        "service_start": date(2026, 5, 1),
        "service_end": date(2026, 5, 31),
        "due_date": date(2026, 6, 15),
        "payment_terms_text": "Zahlbar binnen 14 Tagen ohne Abzug",
        "seller_iban": "AT611904300234573201",
        "seller_bic": "BKAUATWW",
        "payment_reference": "RF423X202600042",
        "buyer_reference": "",
        "order_reference": "PO-4711",
        "exemption_reason": "",
        "preceding_invoice_number": "",
        "net_total": Decimal("851.00"),
        "vat_total": Decimal("166.63"),
        "gross_total": Decimal("1017.63"),
        "paid_amount": Decimal("0.00"),
        "due_amount": Decimal("1017.63"),
        "tax_breakdown": [
            TaxSubtotal("S", Decimal("20"), Decimal("800.00"), Decimal("160.00")),
            TaxSubtotal("S", Decimal("13"), Decimal("51.00"), Decimal("6.63")),
        ],
    }
    values.update(overrides)
    return EInvoice(**values)


def _reverse_charge_invoice(**overrides):
    # Service to a German business: reverse charge (Art. 196 MwSt-RL), 0 % VAT.
    # 3 days × 650.00 = 1,950.00; VAT 0.00; gross 1,950.00
    values = {
        "buyer": BUYER_DE,
        "number": "2026-00043",
        "lines": [
            Line(
                "1",
                "Workshop-Leitung",
                Decimal("3"),
                "DAY",
                Decimal("650.00"),
                Decimal("1950.00"),
                "AE",
                Decimal("0"),
            ),
        ],
        "payment_reference": "RF153X202600043",
        "exemption_reason": "Übergang der Steuerschuld auf den Leistungsempfänger (Reverse Charge)",
        "net_total": Decimal("1950.00"),
        "vat_total": Decimal("0.00"),
        "gross_total": Decimal("1950.00"),
        "due_amount": Decimal("1950.00"),
        "tax_breakdown": [TaxSubtotal("AE", Decimal("0"), Decimal("1950.00"), Decimal("0.00"))],
    }
    values.update(overrides)
    return _standard_invoice(**values)


def _credit_note(**overrides):
    # Credits line 1 of 2026-00042 in part: 2 h × 80.00 = 160.00 at 20 % → 32.00; gross 192.00
    values = {
        "number": "2026-00050",
        "type_code": "381",
        "issue_date": date(2026, 6, 20),
        "lines": [
            Line(
                "1",
                "Gutschrift Konzept (2 h)",
                Decimal("2"),
                "HUR",
                Decimal("80.00"),
                Decimal("160.00"),
                "S",
                Decimal("20"),
            )
        ],
        "payment_reference": "",
        "payment_terms_text": "Der Betrag wird auf Ihr Konto überwiesen.",
        "due_date": None,
        "preceding_invoice_number": "2026-00042",
        "preceding_invoice_date": date(2026, 6, 1),
        "net_total": Decimal("160.00"),
        "vat_total": Decimal("32.00"),
        "gross_total": Decimal("192.00"),
        "due_amount": Decimal("192.00"),
        "tax_breakdown": [TaxSubtotal("S", Decimal("20"), Decimal("160.00"), Decimal("32.00"))],
    }
    values.update(overrides)
    return _standard_invoice(**values)


def _parse(xml: bytes):
    return etree.fromstring(xml)


def _text(root, path: str) -> str:
    (value,) = root.xpath(path + "/text()", namespaces=NS)
    return str(value)


def _totals(root) -> tuple[Decimal, Decimal, Decimal]:
    return (
        Decimal(_text(root, f"{SUMMATION}/ram:TaxBasisTotalAmount")),
        Decimal(_text(root, f"{SUMMATION}/ram:TaxTotalAmount")),
        Decimal(_text(root, f"{SUMMATION}/ram:GrandTotalAmount")),
    )


def _pdf() -> bytes:
    # PDF/A-3b so that the result is a real PDF/A-3 (fonts embedded, sRGB output intent).
    pdf: bytes = weasyprint.HTML(string="<p>Rechnung 2026-00042</p>").write_pdf(pdf_variant="pdf/a-3b")
    return pdf


def test_build_cii_xml_standard_two_rates_totals_and_breakdown():
    inv = _standard_invoice()
    root = _parse(build_cii_xml(inv))
    assert _totals(root) == (Decimal("851.00"), Decimal("166.63"), Decimal("1017.63"))
    assert _text(root, f"{SUMMATION}/ram:LineTotalAmount") == "851.00"
    assert _text(root, f"{SUMMATION}/ram:DuePayableAmount") == "1017.63"
    assert root.xpath(f"{SUMMATION}/ram:TaxTotalAmount/@currencyID", namespaces=NS) == ["EUR"]
    rows = [
        (
            _text(tax, "ram:CategoryCode"),
            _text(tax, "ram:RateApplicablePercent"),
            _text(tax, "ram:BasisAmount"),
            _text(tax, "ram:CalculatedAmount"),
        )
        for tax in root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    ]
    assert rows == [("S", "20", "800.00", "160.00"), ("S", "13", "51.00", "6.63")]


def test_build_cii_xml_standard_header_parties_and_payment():
    root = _parse(build_cii_xml(_standard_invoice()))
    assert _text(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == "urn:cen.eu:en16931:2017"
    assert _text(root, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID") == "2026-00042"
    assert _text(root, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert _text(root, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == "20260601"
    assert _text(root, "//ram:SellerTradeParty/ram:Name") == "Kooperative Süd eGen"
    assert _text(root, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "ATU12345678"
    assert (
        _text(root, "//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID") == "office@koop.example"
    )
    assert _text(root, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID") == "AT"
    assert _text(root, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == "PO-4711"
    assert _text(root, "//ram:PaymentReference") == "RF423X202600042"
    assert _text(root, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "58"
    assert _text(root, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == "AT611904300234573201"
    assert _text(root, "//ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == "BKAUATWW"
    assert (
        _text(root, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString") == "20260615"
    )
    assert _text(root, "//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString") == "20260501"
    assert _text(root, "//ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString") == "20260531"
    assert root.xpath("//ram:BuyerReference", namespaces=NS) == []
    assert root.xpath("//ram:InvoiceReferencedDocument", namespaces=NS) == []


def test_build_cii_xml_standard_lines():
    root = _parse(build_cii_xml(_standard_invoice()))
    lines = root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
    assert [
        (
            _text(line, "ram:AssociatedDocumentLineDocument/ram:LineID"),
            _text(line, "ram:SpecifiedTradeProduct/ram:Name"),
            _text(line, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"),
            line.xpath("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode", namespaces=NS)[0],
            _text(line, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"),
            _text(line, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent"),
            _text(line, ".//ram:LineTotalAmount"),
        )
        for line in lines
    ] == [
        ("1", "Konzept und Gestaltung", "10", "HUR", "80", "20", "800.00"),
        ("2", "Bildband (Druck)", "2", "C62", "25.5", "13", "51.00"),
    ]


def test_build_cii_xml_reverse_charge_has_reason_code_and_buyer_vat_id():
    root = _parse(build_cii_xml(_reverse_charge_invoice()))
    (tax,) = root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    assert _text(tax, "ram:CategoryCode") == "AE"
    assert _text(tax, "ram:RateApplicablePercent") == "0"
    assert _text(tax, "ram:CalculatedAmount") == "0.00"
    assert _text(tax, "ram:BasisAmount") == "1950.00"
    assert _text(tax, "ram:ExemptionReason").startswith("Übergang der Steuerschuld")
    assert _text(tax, "ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert _text(root, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "DE123456789"
    assert _totals(root) == (Decimal("1950.00"), Decimal("0.00"), Decimal("1950.00"))


def test_build_cii_xml_credit_note_references_preceding_invoice():
    root = _parse(build_cii_xml(_credit_note()))
    assert _text(root, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert _text(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "2026-00042"
    assert _text(root, "//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/*") == "20260601"
    assert _totals(root) == (Decimal("160.00"), Decimal("32.00"), Decimal("192.00"))
    # Money goes back to the buyer: no request to pay into the seller's account.
    assert root.xpath("//ram:SpecifiedTradeSettlementPaymentMeans", namespaces=NS) == []


META = PdfMetadata(
    title="Rechnung RE-1",
    author="Smart Coop eGen",
    subject="Rechnung RE-1",
    keywords="Rechnung, Factur-X",
    lang="de-AT",
)


def _not_subject_invoice(**overrides):
    """A service to a business outside the EU: not subject to VAT here (O), without any VAT id (BR-O-02)."""
    inv = _reverse_charge_invoice()
    lines = [dataclasses.replace(line, vat_category="O") for line in inv.lines]
    fields = {
        "seller": dataclasses.replace(inv.seller, vat_id="", legal_registration="FN 123456a"),
        "buyer": dataclasses.replace(inv.buyer, vat_id="", country="CH"),
        "lines": lines,
        "tax_breakdown": [dataclasses.replace(row, category="O") for row in inv.tax_breakdown],
        "exemption_reason": "Nicht im Inland steuerbare Leistung (§ 3a Abs. 6 UStG 1994).",
        **overrides,
    }
    return dataclasses.replace(inv, **fields)


def test_not_subject_to_vat_has_no_rates_no_vat_ids_and_the_vatex_code():
    root = _parse(build_cii_xml(_not_subject_invoice()))
    assert root.xpath("//ram:RateApplicablePercent", namespaces=NS) == []
    assert root.xpath("//ram:SpecifiedTaxRegistration", namespaces=NS) == []
    assert [e.text for e in root.xpath("//ram:ExemptionReasonCode", namespaces=NS)] == ["VATEX-EU-O"]
    assert [e.text for e in root.xpath("//ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS)] == [
        "FN 123456a"
    ]


@pytest.mark.parametrize(
    "overrides, rule",
    [
        ({"buyer": BUYER_DE}, "BR-O-02"),
        ({"exemption_reason": ""}, "exemption reason"),
    ],
)
def test_not_subject_to_vat_rules(overrides, rule):
    assert any(rule in problem for problem in check_invoice(_not_subject_invoice(**overrides)))


@pytest.mark.parametrize(
    "factory", [_standard_invoice, _reverse_charge_invoice, _credit_note, _not_subject_invoice]
)
def test_build_cii_xml_output_passes_factur_x_xsd(factory):
    validate_xml(build_cii_xml(factory()))


@pytest.mark.parametrize("factory", [_standard_invoice, _reverse_charge_invoice, _credit_note])
def test_embed_and_extract_round_trip_keeps_totals(factory):
    inv = factory()
    xml = build_cii_xml(inv)
    pdf = embed_xml_in_pdf(_pdf(), xml, META)
    extracted = extract_xml_from_pdf(pdf)
    assert extracted == xml
    validate_xml(extracted)
    assert _totals(_parse(extracted)) == (inv.net_total, inv.vat_total, inv.gross_total)


def test_embed_xml_in_pdf_marks_pdf_a3_with_factur_x_attachment():
    pdf = embed_xml_in_pdf(_pdf(), build_cii_xml(_standard_invoice()), META)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert [attachment.name for attachment in reader.attachment_list] == ["factur-x.xml"]
    catalog = reader.trailer["/Root"]
    assert "/AF" in catalog
    assert "/OutputIntents" in catalog
    metadata = catalog["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in metadata
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in metadata
    assert b"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in metadata
    # EN 16931 profile: the XML is an alternative representation of the invoice, not mere data
    (spec,) = [ref.get_object() for ref in catalog["/AF"]]
    assert (spec["/F"], spec["/AFRelationship"]) == ("factur-x.xml", "/Alternative")
    info, xmp = reader.metadata, reader.xmp_metadata
    assert info is not None and xmp is not None
    assert (str(info["/Title"]), xmp.dc_title) == ("Rechnung RE-1", {"x-default": "Rechnung RE-1"})
    assert (str(info["/Keywords"]), xmp.pdf_keywords) == ("Rechnung, Factur-X", "Rechnung, Factur-X")
    assert str(info["/Producer"]) == xmp.pdf_producer == META.producer
    assert (str(info["/Author"]), xmp.dc_creator) == ("Smart Coop eGen", ["Smart Coop eGen"])
    assert catalog["/Lang"] == "de-AT"


def test_extract_xml_from_plain_pdf_raises():
    with pytest.raises(ValueError, match=r"factur-x\.xml"):
        extract_xml_from_pdf(_pdf())


def test_embed_xml_in_pdf_invalid_xml_raises():
    xml = build_cii_xml(_standard_invoice()).replace(b"<ram:TypeCode>380</ram:TypeCode>", b"")
    with pytest.raises(ValueError, match="not valid"):
        embed_xml_in_pdf(_pdf(), xml, META)


def test_validate_xml_missing_required_element_raises():
    xml = build_cii_xml(_standard_invoice())
    broken = xml.replace(b"<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>", b"")
    with pytest.raises(ValueError, match="XML Schema"):
        validate_xml(broken)


def test_validate_xml_not_xml_raises():
    with pytest.raises(ValueError, match="well-formed"):
        validate_xml(b"<rsm:CrossIndustryInvoice")


def test_check_invoice_consistent_invoices_have_no_problems():
    assert check_invoice(_standard_invoice()) == []
    assert check_invoice(_reverse_charge_invoice()) == []
    assert check_invoice(_credit_note()) == []


@pytest.mark.parametrize(
    "factory, overrides, message",
    [
        (_standard_invoice, {"gross_total": Decimal("1017.64")}, "BR-CO-15"),
        (_standard_invoice, {"vat_total": Decimal("166.60"), "gross_total": Decimal("1017.60")}, "BR-CO-14"),
        (_standard_invoice, {"net_total": Decimal("850.00")}, "BR-CO-10"),
        (_standard_invoice, {"due_amount": Decimal("1000.00")}, "BR-CO-16"),
        (
            _standard_invoice,
            {"tax_breakdown": [TaxSubtotal("S", Decimal("20"), Decimal("851.00"), Decimal("166.63"))]},
            "no row for category S at 13",
        ),
        (
            _standard_invoice,
            {
                "tax_breakdown": [
                    TaxSubtotal("S", Decimal("20"), Decimal("800.00"), Decimal("160.00")),
                    TaxSubtotal("S", Decimal("13"), Decimal("51.00"), Decimal("7.63")),
                ],
                "vat_total": Decimal("167.63"),
                "gross_total": Decimal("1018.63"),
                "due_amount": Decimal("1018.63"),
            },
            "BR-CO-17",
        ),
        (
            _standard_invoice,
            {
                "lines": [
                    Line(
                        "1",
                        "X",
                        Decimal("10"),
                        "HUR",
                        Decimal("80.00"),
                        Decimal("799.00"),
                        "S",
                        Decimal("20"),
                    ),
                    Line(
                        "2", "Y", Decimal("2"), "C62", Decimal("25.50"), Decimal("52.00"), "S", Decimal("13")
                    ),
                ]
            },
            "quantity × price",
        ),
        (_standard_invoice, {"exemption_reason": "steuerfrei"}, "no line is reverse charge"),
        (_standard_invoice, {"type_code": "384"}, "neither 380"),
        (_standard_invoice, {"service_end": None}, "both a start and an end"),
        (_standard_invoice, {"due_date": None, "payment_terms_text": ""}, "BR-CO-25"),
        (_reverse_charge_invoice, {"exemption_reason": ""}, "exemption reason"),
        (_reverse_charge_invoice, {"buyer": dataclasses.replace(BUYER_DE, vat_id="")}, "BR-AE-02"),
        (
            _reverse_charge_invoice,
            {"tax_breakdown": [TaxSubtotal("AE", Decimal("20"), Decimal("1950.00"), Decimal("390.00"))]},
            "must have rate 0",
        ),
        (_credit_note, {"preceding_invoice_number": ""}, "BT-25"),
        (_standard_invoice, {"seller": dataclasses.replace(SELLER, country="Austria")}, "alpha-2"),
    ],
)
def test_build_cii_xml_inconsistent_invoice_raises(factory, overrides, message):
    inv = factory(**overrides)
    with pytest.raises(ValueError, match=message):
        build_cii_xml(inv)


def test_per_line_rounding_within_one_unit_is_accepted_like_the_official_schematron():
    # Two lines of 33.33 at 20 %: rounded per line 6.67 + 6.67 = 13.34; basis × rate = 66.66 × 20 % = 13.33.
    inv = _standard_invoice()
    problems = check_invoice(
        dataclasses.replace(
            inv,
            lines=[
                Line("1", "A", Decimal("1"), "C62", Decimal("33.33"), Decimal("33.33"), "S", Decimal("20")),
                Line("2", "B", Decimal("1"), "C62", Decimal("33.33"), Decimal("33.33"), "S", Decimal("20")),
            ],
            tax_breakdown=[TaxSubtotal("S", Decimal("20"), Decimal("66.66"), Decimal("13.34"))],
            net_total=Decimal("66.66"),
            vat_total=Decimal("13.34"),
            gross_total=Decimal("80.00"),
            due_amount=Decimal("80.00"),
            paid_amount=Decimal("0.00"),
        )
    )
    assert not any("BR-CO-17" in p for p in problems), problems


@pytest.mark.parametrize(
    "make",
    [
        _standard_invoice,
        _reverse_charge_invoice,
        _credit_note,
        _not_subject_invoice,
        lambda: _standard_invoice(note='Bühne & "Licht" <Saal 2>\nzweite Zeile'),
    ],
)
def test_the_xml_is_written_once_with_the_bytes_drafthorse_would_write(make):
    """build_cii_xml writes drafthorse's tree itself (one pass instead of drafthorse's parse-and-rewrite
    twice, issue 12): the bytes are those of drafthorse's own serialize."""
    written: list[bytes] = []
    original = einvoice._serialize

    def keep(doc):
        written.append(drafthorse_document.Document.serialize(doc, schema=None))
        return original(doc)

    with mock.patch.object(einvoice, "_serialize", keep):
        xml = build_cii_xml(make())
    assert written == [xml]


def test_a_control_character_in_a_text_is_refused_as_not_well_formed():
    with pytest.raises(ValueError, match="The generated XML is not well-formed"):
        build_cii_xml(_standard_invoice(note="Bühne\x0bLicht"))
