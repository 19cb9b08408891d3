"""E-invoices for public bodies (issue 14): ebInterface 6.1 for Austrian ones (uploaded to e-rechnung.gv.at
by finance), XRechnung 3.0 (CII) for German ones — built from issued invoices and checked with the official
ebInterface 6.1 XSD and the official EN 16931 + KoSIT XRechnung schematrons; what a public body's invoice
needs before it can be issued; the downloads' isolation; what the member sees.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from lxml import etree

from invoicing import services
from invoicing.documents import (
    invoice_ebinterface_xml,
    invoice_einvoice,
    invoice_render_document,
    invoice_send_email,
    invoice_xrechnung_xml,
)
from invoicing.lib.einvoice import build_cii_xml
from invoicing.lib.xrechnung import XRECHNUNG_3_0
from invoicing.models import ExemptionNote, Invoice
from smartprod.core.errors import ApplicationError, NotAllowed
from tests.einvoice_validation import ebinterface_errors, xrechnung_errors, xrechnung_report
from tests.invoicing_helpers import draft
from tests.projects_helpers import approved_project, make_client

pytestmark = pytest.mark.django_db

EB = {"eb": "http://www.ebinterface.at/schema/6p1/"}
CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
LEITWEG_ID = "04011000-1234512345-06"
ISSUE_DAY = date(2026, 5, 4)


@pytest.fixture
def world(coop, make_member, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    coop.legal_name = "Smart Coop Austria eGen"
    coop.email, coop.phone = "office@smart.example", "+43 1 234 56 78"
    coop.einvoice_contact_name = "Buchhaltung Smart"
    coop.register_number = "FN 123456a"
    coop.save()
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    finance = make_member(coop, role="finance")
    return coop, owner, advisor, finance


def _austrian_body(world, **overrides):
    coop, owner, advisor, _finance = world
    data = {
        "name": "Bundesministerium für Kunst und Kultur",
        "street": "Concordiaplatz 2",
        "postcode": "1010",
        "city": "Wien",
        "country": "AT",
        "vat_id": "ATU37675002",
        "email": "rechnung@bmkoes.example",
        "public_sector": True,
        "order_reference": "4500123456",
        "supplier_number": "0012345",
        **overrides,
    }
    client = make_client(coop, owner, **data)
    return approved_project(coop, owner, advisor, client=client, title="Festwochen stage 2026")


def _german_body(world, **overrides):
    coop, owner, advisor, _finance = world
    data = {
        "name": "Landeshauptstadt München, Kulturreferat",
        "street": "Burgstraße 4",
        "postcode": "80331",
        "city": "München",
        "country": "DE",
        "vat_id": "DE129521671",
        "email": "rechnung@muenchen.example",
        "public_sector": True,
        "buyer_reference": LEITWEG_ID,
        **overrides,
    }
    client = make_client(coop, owner, **data)
    return approved_project(coop, owner, advisor, client=client, title="Theatertage 2026")


def _issue(world, project, *lines, **kwargs):
    coop, owner, advisor, _finance = world
    invoice = draft(coop, owner, project, *lines, **kwargs)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    return services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice, on=ISSUE_DAY)


def _credit(world, invoice):
    coop, _owner, advisor, _finance = world
    return services.credit_note_issue(
        cooperative=coop, actor=advisor, invoice=invoice, reason="Performance cancelled", on=ISSUE_DAY
    )


def _exemption(coop):
    return ExemptionNote.objects.create(
        cooperative=coop,
        name="Unterricht",
        legal_reference="§ 6 Abs. 1 Z 11 lit. a UStG",
        text="Steuerfrei (Unterricht)",
        vatex_code="VATEX-EU-132-1I",
    )


# --- what must be there before issue ----------------------------------------------------------------------


def test_an_austrian_public_body_invoice_is_refused_without_order_reference_and_supplier_number(world):
    coop, owner, advisor, _finance = world
    project = _austrian_body(world, order_reference="", supplier_number="")
    invoice = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    with pytest.raises(ApplicationError) as caught:
        services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice)
    assert "order reference (Auftragsreferenz)" in caught.value.message
    assert "supplier number" in caught.value.message
    assert set(caught.value.details) == {"order_reference", "supplier_number"}
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == (Invoice.Status.SUBMITTED, None)  # no number spent


def test_an_order_reference_on_the_invoice_itself_is_enough(world):
    coop, owner, advisor, _finance = world
    project = _austrian_body(world, order_reference="")
    invoice = draft(coop, owner, project, order_reference="4500999999")
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    invoice = services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice, on=ISSUE_DAY)
    assert (invoice.einvoice_format, invoice.order_reference, invoice.supplier_number) == (
        "ebinterface",
        "4500999999",
        "0012345",
    )


def test_a_german_public_body_invoice_needs_the_leitweg_id_and_the_cooperatives_contact(world):
    coop, owner, advisor, _finance = world
    coop.einvoice_contact_name, coop.phone = "", ""
    coop.save()
    project = _german_body(world, buyer_reference="")
    invoice = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    with pytest.raises(ApplicationError) as caught:
        services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice)
    assert "Leitweg-ID" in caught.value.message
    assert set(caught.value.details) == {"buyer_reference", "einvoice_contact_name", "phone"}


def test_other_clients_keep_the_factur_x_pdf(world):
    coop, owner, advisor, _finance = world
    private = approved_project(coop, owner, advisor, client=make_client(coop, owner, country="DE"))
    invoice = _issue(world, private, ("Stage design", "10", "100.00", "20"))
    assert invoice.einvoice_format == Invoice.EInvoiceFormat.FACTURX
    with pytest.raises(Invoice.DoesNotExist):
        invoice_xrechnung_xml(cooperative=coop, invoice=invoice)


def test_the_format_and_references_are_frozen_with_the_issued_invoice(world):
    invoice = _issue(world, _austrian_body(world), ("Stage design", "10", "100.00", "20"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.for_cooperative(world[0]).filter(pk=invoice.pk).update(einvoice_format="facturx")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.for_cooperative(world[0]).filter(pk=invoice.pk).update(supplier_number="999")
    Invoice.objects.for_cooperative(world[0]).filter(pk=invoice.pk).update(
        portal_uploaded_on=ISSUE_DAY
    )  # still allowed


# --- ebInterface 6.1 against the official XSD ---------------------------------------------------------------


def _eb(world, invoice):
    xml = invoice_ebinterface_xml(cooperative=world[0], invoice=invoice)
    assert ebinterface_errors(xml) == []
    return etree.fromstring(xml)


def _text(root, path, ns):
    (found,) = root.xpath(path, namespaces=ns)
    return str(found.text)


def test_ebinterface_of_a_standard_rated_invoice_is_valid_and_carries_the_public_bodys_references(world):
    project = _austrian_body(world)
    invoice = _issue(
        world, project, ("Stage design", "10", "100.00", "20"), ("Catalogue", "2.5", "80.00", "13")
    )
    root = _eb(world, invoice)
    assert root.get("DocumentType") == "Invoice"
    assert _text(root, "eb:InvoiceNumber", EB) == invoice.number
    assert _text(root, "eb:InvoiceRecipient/eb:OrderReference/eb:OrderID", EB) == "4500123456"
    assert _text(root, "eb:Biller/eb:InvoiceRecipientsBillerID", EB) == "0012345"
    assert _text(root, "eb:Biller/eb:Contact/eb:Name", EB) == "Buchhaltung Smart"
    assert _text(root, "eb:TotalGrossAmount", EB) == "1426.00"  # 1,000 + 20 % and 200 + 13 %
    taxes = {
        (item.xpath("string(eb:TaxPercent)", namespaces=EB), _text(item, "eb:TaxAmount", EB))
        for item in root.xpath("eb:Tax/eb:TaxItem", namespaces=EB)
    }
    assert taxes == {("20.00", "200.00"), ("13.00", "26.00")}
    assert _text(root, "eb:PaymentMethod/eb:UniversalBankTransaction/eb:PaymentReference", EB) == (
        invoice.rf_reference
    )


def test_ebinterface_of_an_exempt_invoice_is_valid_and_states_the_exemption(world):
    coop = world[0]
    note = _exemption(coop)
    invoice = _issue(
        world, _austrian_body(world), ("Lesson", "4", "90.00", "exempt"), exemption_note_id=note.pk
    )
    root = _eb(world, invoice)
    assert root.xpath("eb:Tax/eb:TaxItem/eb:TaxPercent/@TaxCategoryCode", namespaces=EB) == ["E"]
    assert "§ 6 Abs. 1 Z 11 lit. a UStG" in _text(root, "eb:Tax/eb:TaxItem/eb:Comment", EB)


def test_ebinterface_credit_memo_is_valid_and_references_the_original_invoice(world):
    invoice = _issue(world, _austrian_body(world), ("Stage design", "10", "100.00", "20"))
    note = _credit(world, invoice)
    assert note.einvoice_format == Invoice.EInvoiceFormat.EBINTERFACE
    root = _eb(world, note)
    assert root.get("DocumentType") == "CreditMemo"
    assert _text(root, "eb:RelatedDocument/eb:InvoiceNumber", EB) == invoice.number
    assert _text(root, "eb:RelatedDocument/eb:InvoiceDate", EB) == invoice.issue_date.isoformat()
    assert _text(root, "eb:TotalGrossAmount", EB) == "1200.00"


# --- XRechnung 3.0 against the official schematrons -------------------------------------------------------


def _xr(world, invoice):
    xml = invoice_xrechnung_xml(cooperative=world[0], invoice=invoice)
    assert xrechnung_errors(xml) == []
    # No warning either about the specification identifier (BR-DE-21) or the contact's formats.
    assert [rule for _flag, rule, _text in xrechnung_report(xml)] == []
    return etree.fromstring(xml)


def test_xrechnung_of_a_standard_rated_invoice_passes_the_official_rules(world):
    invoice = _issue(world, _german_body(world), ("Stage design", "10", "100.00", "20"))
    root = _xr(world, invoice)
    assert _text(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", CII) == XRECHNUNG_3_0
    assert _text(root, "//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference", CII) == LEITWEG_ID
    contact = "//ram:SellerTradeParty/ram:DefinedTradeContact"
    assert _text(root, f"{contact}/ram:PersonName", CII) == "Buchhaltung Smart"
    assert _text(root, f"{contact}/ram:TelephoneUniversalCommunication/ram:CompleteNumber", CII) == (
        "+43 1 234 56 78"
    )
    assert _text(root, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode", CII) == "58"


def test_xrechnung_of_a_reverse_charge_invoice_passes_the_official_rules(world):
    invoice = _issue(world, _german_body(world), ("Workshop", "3", "650.00", "reverse_charge"))
    root = _xr(world, invoice)
    assert root.xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode/text()", namespaces=CII
    ) == ["AE"]


def test_xrechnung_of_an_exempt_invoice_passes_the_official_rules(world):
    note = _exemption(world[0])
    invoice = _issue(
        world, _german_body(world), ("Lesson", "4", "90.00", "exempt"), exemption_note_id=note.pk
    )
    _xr(world, invoice)


def test_xrechnung_credit_note_passes_the_official_rules_and_references_the_invoice(world):
    invoice = _issue(world, _german_body(world), ("Stage design", "10", "100.00", "20"))
    note = _credit(world, invoice)
    root = _xr(world, note)
    assert _text(root, "//rsm:ExchangedDocument/ram:TypeCode", CII) == "381"
    assert _text(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", CII) == invoice.number


def test_the_plain_factur_x_xml_fails_the_german_rules_the_xrechnung_passes(world):
    """The validator does find errors: the same invoice as EN 16931 CII lacks BR-DE-2/15/21 data."""
    invoice = _issue(world, _german_body(world), ("Stage design", "10", "100.00", "20"))
    plain = build_cii_xml(dataclasses.replace(invoice_einvoice(invoice), seller_contact=None))
    rules = {rule for _flag, rule, _text in xrechnung_report(plain)}
    assert {"BR-DE-2", "BR-DE-21"} <= rules


def test_the_xrechnung_goes_to_the_client_with_the_pdf(world):
    invoice = _issue(world, _german_body(world), ("Stage design", "10", "100.00", "20"))
    invoice_render_document(cooperative_id=invoice.cooperative_id, invoice_id=invoice.pk)
    invoice_send_email(cooperative_id=invoice.cooperative_id, invoice_id=invoice.pk)
    (message,) = mail.outbox
    names = [name for name, _content, _type in message.attachments]
    assert names == [
        f"{invoice.number}.pdf".replace("/", "-"),
        f"{invoice.number}-xrechnung.xml".replace("/", "-"),
    ]
    assert xrechnung_errors(message.attachments[1][1]) == []


# --- downloads, isolation, the page ---------------------------------------------------------------------


def test_the_downloads_answer_the_projects_people_only(world, other_coop, make_member, api_for):
    coop, owner, _advisor, _finance = world
    at = _issue(world, _austrian_body(world), ("Stage design", "10", "100.00", "20"))
    de = _issue(world, _german_body(world), ("Stage design", "10", "100.00", "20"))
    api = api_for(owner)
    response = api.get(f"/api/invoices/{at.pk}/ebinterface/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert ebinterface_errors(response.content) == []
    response = api.get(f"/api/invoices/{de.pk}/xrechnung/")
    assert response.status_code == 200
    assert xrechnung_errors(response.content) == []
    # The other format of each does not exist.
    assert api.get(f"/api/invoices/{at.pk}/xrechnung/").status_code == 404
    assert api.get(f"/api/invoices/{de.pk}/ebinterface/").status_code == 404
    # Another member of the same cooperative, and another cooperative's admin: 404, as if absent.
    stranger = api_for(make_member(coop))
    outsider = api_for(make_member(other_coop, role="admin"))
    for client in (stranger, outsider):
        assert client.get(f"/api/invoices/{at.pk}/ebinterface/").status_code == 404
        assert client.get(f"/api/invoices/{de.pk}/xrechnung/").status_code == 404
    detail = api.get(f"/api/invoices/{at.pk}/").json()
    assert (detail["einvoice_format"], detail["einvoice_url"]) == (
        "ebinterface",
        f"/api/invoices/{at.pk}/ebinterface/",
    )


def test_the_page_download_is_isolated_too(world, other_coop, make_member, client_for):
    coop, owner, _advisor, _finance = world
    at = _issue(world, _austrian_body(world), ("Stage design", "10", "100.00", "20"))
    response = client_for(owner).get(f"/invoices/{at.pk}/e-invoice/")
    assert response.status_code == 200
    assert ebinterface_errors(response.content) == []
    assert client_for(make_member(coop)).get(f"/invoices/{at.pk}/e-invoice/").status_code == 404
    assert (
        client_for(make_member(other_coop, role="admin")).get(f"/invoices/{at.pk}/e-invoice/").status_code
        == 404
    )


def test_the_member_sees_which_format_went_to_the_client(world, client_for):
    _coop, owner, _advisor, _finance = world
    at = _issue(world, _austrian_body(world), ("Stage design", "10", "100.00", "20"))
    de = _issue(world, _german_body(world), ("Stage design", "10", "100.00", "20"))
    page = client_for(owner).get(f"/invoices/{at.pk}/").content.decode()
    assert 'data-format="ebinterface"' in page
    assert "uploads to e-rechnung.gv.at" in page
    assert "not uploaded yet" in page
    assert 'data-form="portal-upload"' not in page  # members do not note uploads
    page = client_for(owner).get(f"/invoices/{de.pk}/").content.decode()
    assert 'data-format="xrechnung"' in page
    assert "the XRechnung XML is the invoice" in page


def test_finance_notes_the_upload_date_and_the_member_sees_it(world, client_for, api_for):
    _coop, owner, _advisor, finance = world
    invoice = _issue(world, _austrian_body(world), ("Stage design", "10", "100.00", "20"))
    today = timezone.localdate()
    response = client_for(finance).post(
        f"/invoices/{invoice.pk}/portal-upload/", {"uploaded_on": today.isoformat()}
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.portal_uploaded_on == today
    page = client_for(owner).get(f"/invoices/{invoice.pk}/").content.decode()
    assert 'data-state="uploaded"' in page
    # A member cannot; a day before the issue date or in the future is refused.
    assert (
        api_for(owner)
        .post(f"/api/invoices/{invoice.pk}/portal-upload/", {"uploaded_on": today.isoformat()}, format="json")
        .status_code
        == 403
    )
    response = api_for(finance).post(
        f"/api/invoices/{invoice.pk}/portal-upload/",
        {"uploaded_on": (ISSUE_DAY - timedelta(days=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    response = api_for(finance).post(
        f"/api/invoices/{invoice.pk}/portal-upload/", {"uploaded_on": None}, format="json"
    )
    assert (response.status_code, response.json()["portal_uploaded_on"]) == (200, None)


def test_the_upload_date_is_only_for_ebinterface_invoices(world):
    coop, _owner, _advisor, finance = world
    invoice = _issue(world, _german_body(world), ("Stage design", "10", "100.00", "20"))
    with pytest.raises(ApplicationError, match="ebInterface"):
        services.invoice_note_portal_upload(
            cooperative=coop, actor=finance, invoice=invoice, uploaded_on=ISSUE_DAY
        )
    with pytest.raises(NotAllowed):
        services.invoice_note_portal_upload(
            cooperative=coop, actor=world[1], invoice=invoice, uploaded_on=ISSUE_DAY
        )


def test_a_public_body_is_marked_through_the_api_and_the_client_form(world, api_for, client_for):
    _coop, owner, _advisor, _finance = world
    response = api_for(owner).post(
        "/api/clients/",
        {
            "name": "Universität Wien",
            "street": "Universitätsring 1",
            "postcode": "1010",
            "city": "Wien",
            "country": "AT",
            "public_sector": True,
            "supplier_number": "0098765",
            "order_reference": "4500000001",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["public_sector"], response.json()["supplier_number"]) == (True, "0098765")
    page = client_for(owner).get("/clients/new/").content.decode()
    assert 'name="public_sector"' in page
    assert 'name="supplier_number"' in page
