"""The invoice document end to end: real WeasyPrint, real PostgreSQL, the PDF read back as a client would.

Given an issued invoice, when the worker renders it, then the PDF carries every § 11 UStG content, its EPC
QR code scans to the right transfer, its embedded EN 16931 XML validates and agrees with the invoice, and
the e-mail goes out exactly once.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pypdf
import pytest
import tinyhtml5  # type: ignore[import-untyped]
import weasyprint
import weasyprint.formatting_structure.boxes
from celery.exceptions import Retry
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree
from PIL import Image
from pyzbar import pyzbar

from invoicing import documents, services
from invoicing.documents import (
    MAX_DOCUMENT_ATTEMPTS,
    NO_EMAIL_ERROR,
    DocumentIntegrityError,
    PermanentDocumentError,
    invoice_documents_sweep,
    invoice_pdf_bytes,
    invoice_render_document,
    invoice_send_email,
)
from invoicing.lib.einvoice import extract_xml_from_pdf, validate_xml
from invoicing.lib.rf import rf_format
from invoicing.models import ExemptionNote, Invoice, InvoiceLine
from invoicing.serializers import invoice_pdf_file_name
from invoicing.tasks import render_invoice_document_task, sweep_invoice_documents_task
from smartprod.core.errors import ApplicationError
from smartprod.core.pdf import html_to_pdf, stylesheet
from tests.factories import MembershipFactory
from tests.invoicing_helpers import draft, issued
from tests.projects_helpers import approved_project, make_client

pytestmark = pytest.mark.django_db

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
SUMMATION = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
ISSUE_DAY = date(2026, 5, 4)
TWO_RATES = (
    ("Stage design, concept and drawings", "10", "100.00", "20"),
    ("Catalogue texts", "2.5", "80.00", "13"),
)


@pytest.fixture
def world(coop, make_member, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)  # each test its own private storage: parallel runs never collide
    coop.legal_name = "Smart Coop Austria eGen"
    coop.street, coop.building_number, coop.postcode, coop.city = "Mariahilfer Straße", "1", "1060", "Wien"
    coop.register_number, coop.register_court = "FN 123456a", "Handelsgericht Wien"
    coop.bank_name, coop.email = "UniCredit Bank Austria", "office@smart.example"
    coop.website, coop.phone = "https://smart.example", "+43 1 234 56 78"
    coop.save()
    owner = make_member(coop, user__first_name="Erika", user__last_name="Muster")
    advisor = make_member(coop, role="advisor")
    client = make_client(
        coop,
        owner,
        name="ACME Veranstaltungs GmbH",
        street="Ringstraße 7",
        postcode="1010",
        city="Wien",
        vat_id="ATU12345675",
        email="ap@acme.example",
        order_reference="PO-4711",
    )
    project = approved_project(coop, owner, advisor, client=client, title="Burgtheater stage 2026")
    return coop, owner, advisor, project


def _issue(world, *lines, on=ISSUE_DAY):
    coop, owner, advisor, project = world
    return issued(coop, owner, advisor, project, *(lines or TWO_RATES), on=on)


def _render(invoice):
    return invoice_render_document(cooperative_id=invoice.cooperative_id, invoice_id=invoice.pk)


def _pdf(invoice):
    invoice.refresh_from_db()
    return invoice_pdf_bytes(cooperative=invoice.cooperative, invoice=invoice)


def _text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as pdftotext lays it out (label and value on one line), whitespace collapsed."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(out.split())


def _qr_payloads(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    (png,) = tmp_path.glob("page*.png")
    return [code.data.decode("utf-8") for code in pyzbar.decode(Image.open(png))]


def _xml(pdf: bytes) -> etree._Element:
    xml = extract_xml_from_pdf(pdf)
    validate_xml(xml)
    return etree.fromstring(xml)


def _one(root: etree._Element, path: str) -> str:
    (found,) = root.xpath(path, namespaces=NS)
    return str(found.text)


def test_invoice_pdf_carries_every_mandatory_content(world, tmp_path):
    invoice = _issue(world)
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("1200.00"),
        Decimal("226.00"),
        Decimal("1426.00"),
    )

    _render(invoice)
    text = _text(_pdf(invoice), tmp_path)

    for content in [
        # supplier: name, address, UID; register number and court; bank account
        "Smart Coop Austria eGen",
        "Mariahilfer Straße 1",
        "1060 Wien",
        "ATU12345675",
        "FN 123456a",
        "Handelsgericht Wien",
        "AT61 1904 3002 3457 3201",
        "BKAUATWW",
        "UniCredit Bank Austria",
        # client: name, address, UID (printed whenever known); the client's order and the project
        "ACME Veranstaltungs GmbH",
        "Ringstraße 7",
        "1010 Wien",
        "Your VAT id: ATU12345675",
        "PO-4711",
        "Burgtheater stage 2026",
        # number, issue date, date of service
        "Invoice 2026-00001",
        "Invoice number 2026-00001",
        "Invoice date 4 May 2026",
        "Date of service 30 April 2026",
        # each line: description, quantity, unit, unit price, rate, net
        "1 Stage design, concept and drawings 10 pcs 100.00 20 % 1,000.00",
        "2 Catalogue texts 2.5 pcs 80.00 13 % 200.00",
        # net per rate, the rate, the VAT, the gross
        "20 % 1,000.00 EUR 200.00 EUR 1,200.00 EUR",
        "13 % 200.00 EUR 26.00 EUR 226.00 EUR",
        "Net total 1,200.00 EUR",
        "VAT total 226.00 EUR",
        "Total amount 1,426.00 EUR",
        # payment terms, due date, RF reference, QR caption
        "Payable without deduction within 14 days, by 18 May 2026.",
        "Due date 18 May 2026",
        f"Payment reference {rf_format(invoice.rf_reference)}",
        "Scan to pay",
        # the member who did the work
        "Service provided by Erika Muster, member of the cooperative.",
    ]:
        assert content in text, content
    assert "Gutschrift" not in text
    assert "Zahlen mit Code" not in text
    assert "Page 1 / 1" in text


def test_qr_code_scans_to_the_transfer(world, tmp_path):
    invoice = _issue(world)
    _render(invoice)
    (payload,) = _qr_payloads(_pdf(invoice), tmp_path)
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "BKAUATWW",
        "Smart Coop Austria eGen",
        "AT611904300234573201",
        "EUR1426.00",
        "",
        invoice.rf_reference,
    ]


def test_embedded_xml_validates_and_agrees_with_the_invoice(world):
    invoice = _issue(world)
    _render(invoice)
    pdf = _pdf(invoice)
    root = _xml(pdf)

    assert _one(root, "//rsm:ExchangedDocument/ram:ID") == "2026-00001"
    assert _one(root, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert {
        name: Decimal(_one(root, f"{SUMMATION}/ram:{name}"))
        for name in ("TaxBasisTotalAmount", "TaxTotalAmount", "GrandTotalAmount", "DuePayableAmount")
    } == {
        "TaxBasisTotalAmount": invoice.net_total,
        "TaxTotalAmount": invoice.vat_total,
        "GrandTotalAmount": invoice.gross_total,
        "DuePayableAmount": invoice.gross_total,
    }
    rows = root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    assert [
        (
            r.findtext("ram:CategoryCode", namespaces=NS),
            r.findtext("ram:RateApplicablePercent", namespaces=NS),
            r.findtext("ram:BasisAmount", namespaces=NS),
            r.findtext("ram:CalculatedAmount", namespaces=NS),
        )
        for r in rows
    ] == [("S", "20", "1000.00", "200.00"), ("S", "13", "200.00", "26.00")]
    assert _one(root, "//ram:PaymentReference") == invoice.rf_reference
    assert _one(root, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == "PO-4711"
    assert _one(root, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "ATU12345675"
    assert _one(root, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/*") == "20260518"
    # PDF/A-3 with the Factur-X conformance level in its XMP metadata
    xmp = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert b"EN 16931" in xmp


def test_reverse_charge_prints_note_and_vat_id_and_xml_says_ae(world, tmp_path):
    coop, owner, advisor, _project = world
    client = make_client(
        coop,
        owner,
        name="Kunde Deutschland GmbH",
        street="Allee 5",
        postcode="80331",
        city="München",
        country="DE",
        vat_id="DE136695976",
        email="rechnung@kunde.example",
    )
    project = approved_project(coop, owner, advisor, client=client, title="Workshop Munich")
    invoice = issued(
        coop, owner, advisor, project, ("Workshop", "3", "650.00", "reverse_charge"), on=ISSUE_DAY
    )

    _render(invoice)
    pdf = _pdf(invoice)
    text = _text(pdf, tmp_path)
    assert invoice.legal_note.startswith("Reverse charge")
    assert " ".join(invoice.legal_note.split()) in text
    assert "Your VAT id: DE136695976" in text
    assert re.search(r"80331 München (Project Workshop Munich )?DE Due date", text)  # foreign: country kept
    assert "0 % (reverse charge) 1,950.00 EUR 0.00 EUR 1,950.00 EUR" in text
    root = _xml(pdf)
    assert _one(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == "AE"
    assert _one(root, "//ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert _one(root, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID") == "DE"


def test_credit_note_names_its_invoice_has_no_qr_and_type_381(world, tmp_path):
    coop, _owner, advisor, _project = world
    invoice = _issue(world)
    note = services.credit_note_issue(
        cooperative=coop, actor=advisor, invoice=invoice, reason="Wrong quantity", on=date(2026, 5, 20)
    )
    _render(note)
    pdf = _pdf(note)
    text = _text(pdf, tmp_path)

    for content in [
        "Cancellation GS-2026-00001",
        "Credit note number GS-2026-00001",
        "Credit note date 20 May 2026",
        "Corrects invoice 2026-00001 of 4 May 2026",
        "This document cancels our invoice 2026-00001 of 4 May 2026 in full.",
        "Credit total 1,426.00 EUR",
        "Wrong quantity",
        "ATU12345675",
        "FN 123456a",
    ]:
        assert content in text, content
    for absent in ["Scan to pay", "Due date", "Payable without deduction", "Payment reference"]:
        assert absent not in text, absent
    assert _qr_payloads(pdf, tmp_path) == []
    root = _xml(pdf)
    assert _one(root, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert _one(root, "//rsm:ExchangedDocument/ram:ID") == "GS-2026-00001"
    assert _one(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "2026-00001"
    assert Decimal(_one(root, f"{SUMMATION}/ram:GrandTotalAmount")) == Decimal("1426.00")


def test_german_cooperative_formats_amounts_and_dates_the_german_way(world, tmp_path):
    coop, *_rest = world
    coop.language = "de"
    coop.save()
    invoice = _issue(world)
    _render(invoice)
    text = _text(_pdf(invoice), tmp_path)
    for content in [
        "1.426,00 EUR",
        "1.000,00",
        "2,5",
        "04.05.2026",
        "18.05.2026",
        "30.04.2026",
        "Stk.",
        "Rechnung 2026-00001",
        "Zahlen mit Code",
        "Leistung erbracht von Erika Muster, Mitglied der Genossenschaft.",
    ]:
        assert content in text, content
    assert "Scan to pay" not in text


def test_rendering_twice_is_a_no_op(world, tmp_path):
    invoice = _issue(world)
    first = _render(invoice)
    second = _render(invoice)
    assert first.pdf_sha256 == second.pdf_sha256 != ""
    assert first.pdf.name == second.pdf.name == f"coop-{invoice.cooperative_id}/invoices/2026-00001.pdf"
    assert [p.name for p in (tmp_path / f"coop-{invoice.cooperative_id}" / "invoices").iterdir()] == [
        "2026-00001.pdf"
    ]
    stored = _pdf(invoice)
    assert hashlib.sha256(stored).hexdigest() == first.pdf_sha256
    invoice.refresh_from_db()
    assert invoice.pdf_rendered_at is not None and invoice.document_attempts == 0


def test_a_leftover_file_from_a_rolled_back_attempt_is_replaced(world, tmp_path):
    invoice = _issue(world)
    folder = tmp_path / f"coop-{invoice.cooperative_id}" / "invoices"
    folder.mkdir(parents=True)
    (folder / "2026-00001.pdf").write_bytes(b"half a file")
    rendered = _render(invoice)
    assert rendered.pdf.name.endswith("/2026-00001.pdf")
    assert [p.name for p in folder.iterdir()] == ["2026-00001.pdf"]


def test_sending_twice_sends_one_mail(world):
    invoice = _issue(world)
    _render(invoice)
    sent = invoice_send_email(cooperative_id=invoice.cooperative_id, invoice_id=invoice.pk)
    again = invoice_send_email(cooperative_id=invoice.cooperative_id, invoice_id=invoice.pk)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ap@acme.example"]
    assert message.reply_to == ["office@smart.example"]
    assert message.subject == "Smart Coop Austria eGen: invoice 2026-00001"
    for content in [
        "1,426.00 EUR",
        "18 May 2026",
        rf_format(invoice.rf_reference),
        "AT61 1904 3002 3457 3201",
    ]:
        assert content in message.body, content
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == ("2026-00001.pdf", "application/pdf")
    assert hashlib.sha256(content).hexdigest() == sent.pdf_sha256
    assert sent.email_sent_to == "ap@acme.example"
    assert sent.email_sent_at is not None and again.email_sent_at == sent.email_sent_at


def test_no_client_address_is_noted_not_raised(world):
    coop, owner, advisor, _project = world
    client = make_client(coop, owner, name="No Mail KG", email="")
    project = approved_project(coop, owner, advisor, client=client)
    invoice = issued(coop, owner, advisor, project, on=ISSUE_DAY)
    _render(invoice)
    result = invoice_send_email(cooperative_id=coop.pk, invoice_id=invoice.pk)
    assert (result.email_sent_at, result.document_error, mail.outbox) == (None, NO_EMAIL_ERROR, [])


def test_sending_before_rendering_does_nothing(world):
    invoice = _issue(world)
    result = invoice_send_email(cooperative_id=invoice.cooperative_id, invoice_id=invoice.pk)
    assert (result.email_sent_at, mail.outbox) == (None, [])


def test_task_path_renders_and_mails_after_commit(world, django_capture_on_commit_callbacks):
    coop, owner, advisor, project = world
    invoice = draft(coop, owner, project, *TWO_RATES)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice, on=ISSUE_DAY)
    assert len(callbacks) == 3  # the render (which queued the e-mail) and the owner's notification mail
    invoice.refresh_from_db()
    assert invoice.pdf_sha256 and invoice.email_sent_at is not None
    to_client = [m.subject for m in mail.outbox if m.to == [invoice.client.email]]
    assert to_client == ["Smart Coop Austria eGen: invoice 2026-00001"]
    sent = len(mail.outbox)
    # a second delivery of the same task (acks_late, two beats) changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        render_invoice_document_task.delay(cooperative_id=coop.pk, invoice_id=invoice.pk)
    assert len(mail.outbox) == sent


def test_task_of_another_cooperative_finds_nothing(world, other_coop):
    invoice = _issue(world)
    with pytest.raises(Invoice.DoesNotExist):
        render_invoice_document_task.delay(cooperative_id=other_coop.pk, invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert (invoice.pdf_sha256, invoice.document_attempts) == ("", 0)


def test_permanent_failure_is_recorded_and_not_retried(world, monkeypatch):
    invoice = _issue(world)

    def broken(_inv):
        raise ValueError("The e-invoice breaks EN 16931 rules: BR-CO-17")

    monkeypatch.setattr(documents, "build_cii_xml", broken)
    with pytest.raises(PermanentDocumentError, match="BR-CO-17"):
        render_invoice_document_task.delay(cooperative_id=invoice.cooperative_id, invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.document_attempts == 1
    assert "BR-CO-17" in invoice.document_error
    assert (invoice.pdf.name, invoice.pdf_sha256) == ("", "")


def test_transient_failure_is_retried_with_backoff_then_left_to_the_sweep(world, monkeypatch):
    invoice = _issue(world)
    kwargs = {"cooperative_id": invoice.cooperative_id, "invoice_id": invoice.pk}

    def flaky(*args, **kwargs):
        raise OSError("storage unavailable")

    monkeypatch.setattr(documents, "_store_pdf", flaky)
    with pytest.raises(Retry) as retry:  # eager mode surfaces the scheduled retry
        render_invoice_document_task.delay(**kwargs)
    assert 0 <= retry.value.when <= 30  # backoff 30 s × 2^n (with jitter), never past 600 s
    with pytest.raises(OSError, match="storage unavailable"):  # the sixth run: no retry left
        render_invoice_document_task.apply(kwargs=kwargs, retries=5)
    invoice.refresh_from_db()
    assert invoice.document_attempts == 2
    assert invoice.document_error == "OSError: storage unavailable"
    later = timezone.now() + timedelta(hours=1)
    assert invoice_documents_sweep(now=later).render_ids == [(invoice.cooperative_id, invoice.pk)]
    Invoice.objects.for_cooperative(invoice.cooperative_id).filter(pk=invoice.pk).update(
        document_attempts=MAX_DOCUMENT_ATTEMPTS
    )
    assert invoice_documents_sweep(now=later).render_ids == []  # attempts ran out: staff restart it


def test_sweep_recovers_lost_tasks_in_every_cooperative(
    world, other_coop, django_capture_on_commit_callbacks
):
    coop, coop_owner, _advisor, coop_project = world
    lost_render = _issue(world)  # its on-commit task never ran: as if the worker died
    lost_mail = _issue(world)
    _render(lost_mail)  # rendered, but its e-mail task was lost
    owner, advisor = (
        MembershipFactory(cooperative=other_coop),
        MembershipFactory(cooperative=other_coop, role="advisor"),
    )
    project = approved_project(other_coop, owner, advisor)
    foreign = issued(other_coop, owner, advisor, project, ("Beratung", "1", "100.00", "19"), on=ISSUE_DAY)
    fresh_draft = draft(coop, coop_owner, coop_project)

    assert invoice_documents_sweep().render_ids == []  # within the grace period: their own tasks may come
    later = timezone.now() + timedelta(minutes=11)
    with django_capture_on_commit_callbacks(execute=True):
        found = invoice_documents_sweep(now=later)
    assert sorted(found.render_ids) == sorted([(coop.pk, lost_render.pk), (other_coop.pk, foreign.pk)])
    assert found.email_ids == [(coop.pk, lost_mail.pk)]
    for invoice in (lost_render, lost_mail, foreign):
        invoice.refresh_from_db()
        assert invoice.pdf_sha256, invoice
    assert lost_render.email_sent_at is not None and lost_mail.email_sent_at is not None
    assert (foreign.email_sent_at, foreign.document_error) == (None, NO_EMAIL_ERROR)  # client has no address
    assert sorted(m.to[0] for m in mail.outbox) == ["ap@acme.example", "ap@acme.example"]
    fresh_draft.refresh_from_db()
    assert fresh_draft.pdf_sha256 == ""
    assert invoice_documents_sweep(now=later) == documents.SweepResult(render_ids=[], email_ids=[])
    assert sweep_invoice_documents_task.delay().get() == {"renders": 0, "emails": 0}


def test_pdf_bytes_are_scoped_and_checked(world, other_coop):
    invoice = _issue(world)
    with pytest.raises(ApplicationError, match="still being prepared"):
        invoice_pdf_bytes(cooperative=invoice.cooperative, invoice=invoice)
    _render(invoice)
    invoice.refresh_from_db()
    with pytest.raises(Invoice.DoesNotExist):
        invoice_pdf_bytes(cooperative=other_coop, invoice=invoice)
    Path(invoice.pdf.path).write_bytes(b"%PDF-1.7 forged")
    with pytest.raises(DocumentIntegrityError):
        invoice_pdf_bytes(cooperative=invoice.cooperative, invoice=invoice)


def test_staff_restart_a_document_whose_attempts_ran_out(world, django_capture_on_commit_callbacks):
    coop, owner, advisor, _project = world
    invoice = _issue(world)
    Invoice.objects.for_cooperative(coop).filter(pk=invoice.pk).update(
        document_attempts=MAX_DOCUMENT_ATTEMPTS, document_error="OSError: disk full"
    )
    with pytest.raises(ApplicationError):
        documents.invoice_document_retry(cooperative=coop, actor=owner, invoice=invoice)
    with django_capture_on_commit_callbacks(execute=True):
        documents.invoice_document_retry(cooperative=coop, actor=advisor, invoice=invoice)
    invoice.refresh_from_db()
    assert (invoice.document_attempts, invoice.document_error) == (0, "")
    assert invoice.pdf_sha256 and invoice.email_sent_at is not None


def test_html_escapes_what_people_typed(world):
    coop, owner, advisor, _project = world
    client = make_client(coop, owner, name="<script>alert(1)</script> & Co")
    project = approved_project(coop, owner, advisor, client=client)
    invoice = issued(coop, owner, advisor, project, ("<b>bold</b>", "1", "10.00", "20"), on=ISSUE_DAY)
    html = documents.invoice_pdf_html(invoice)
    assert "<script>" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert re.search(r'<img class="qr-code" src="data:image/png;base64,[A-Za-z0-9+/=]+"', html)


def test_per_line_vat_rounding_still_renders_a_valid_e_invoice(world):
    # 2 × 33.33 at 20 %: VAT rounded per line 6.67 + 6.67 = 13.34 (basis × rate would be 13.33). EN 16931's
    # schematron tolerates the cent, so the invoice must render and its XML validate with our figures.
    invoice = _issue(world, ("Fotos A", "1", "33.33", "20"), ("Fotos B", "1", "33.33", "20"))
    assert invoice.vat_total == Decimal("13.34")
    _render(invoice)
    invoice.refresh_from_db()
    assert invoice.document_error == ""
    root = _xml(_pdf(invoice))
    assert Decimal(_one(root, f"{SUMMATION}/ram:TaxTotalAmount")) == Decimal("13.34")
    assert Decimal(_one(root, f"{SUMMATION}/ram:GrandTotalAmount")) == Decimal("80.00")


# --- issue 8, points 11–13: VAT treatments on the document, Factur-X metadata, corrections ------------


def _third_country_project(world):
    coop, owner, advisor, _project = world
    client = make_client(
        coop,
        owner,
        name="Studio Zürich AG",
        street="Bahnhofstrasse 1",
        postcode="8001",
        city="Zürich",
        country="CH",
        vat_id="",
        email="ap@studio.example",
    )
    return approved_project(coop, owner, advisor, client=client, title="Set design Zürich")


def test_third_country_business_is_not_taxable_here_category_o(world, tmp_path):
    coop, owner, advisor, _project = world
    project = _third_country_project(world)
    invoice = issued(
        coop, owner, advisor, project, ("Set design", "2", "500.00", "not_taxable"), on=ISSUE_DAY
    )
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("1000.00"),
        Decimal("0.00"),
        Decimal("1000.00"),
    )
    assert invoice.legal_note == (
        "Not taxable in Austria: the place of supply is where the recipient is established, outside the EU "
        "(§ 3a (6) Austrian VAT Act)."
    )
    _render(invoice)
    pdf = _pdf(invoice)
    text = _text(pdf, tmp_path)
    assert invoice.legal_note in text
    assert "1 Set design 2 pcs 500.00 – 1,000.00" in text
    assert "reverse charge" not in text.lower()
    root = _xml(pdf)
    (row,) = root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    assert row.findtext("ram:CategoryCode", namespaces=NS) == "O"
    assert row.findtext("ram:ExemptionReasonCode", namespaces=NS) == "VATEX-EU-O"
    assert row.findtext("ram:ExemptionReason", namespaces=NS) == invoice.legal_note
    assert row.find("ram:RateApplicablePercent", namespaces=NS) is None  # BR-48
    line_tax = root.xpath("//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)[0]
    assert line_tax.findtext("ram:CategoryCode", namespaces=NS) == "O"
    assert line_tax.find("ram:RateApplicablePercent", namespaces=NS) is None  # BR-O-05
    assert root.xpath("//ram:SpecifiedTaxRegistration", namespaces=NS) == []  # BR-O-02
    assert _one(root, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == "FN 123456a"


def test_exempt_invoice_prints_the_chosen_legal_note_and_xml_says_e(world, tmp_path):
    coop, owner, advisor, project = world
    exemption = ExemptionNote.objects.create(
        cooperative=coop,
        name="Unterricht",
        legal_reference="§ 6 Abs. 1 Z 11 lit. a UStG",
        text="Steuerfrei gemäß § 6 Abs. 1 Z 11 lit. a UStG (Unterricht)",
        vatex_code="VATEX-EU-132-1I",
    )
    invoice = draft(
        coop, owner, project, ("Workshop", "1", "300.00", "exempt"), exemption_note_id=exemption.pk
    )
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    invoice = services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice, on=ISSUE_DAY)
    assert invoice.legal_note == "Steuerfrei gemäß § 6 Abs. 1 Z 11 lit. a UStG (Unterricht)"
    _render(invoice)
    pdf = _pdf(invoice)
    assert invoice.legal_note in _text(pdf, tmp_path)
    root = _xml(pdf)
    (row,) = root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    assert row.findtext("ram:CategoryCode", namespaces=NS) == "E"
    assert row.findtext("ram:ExemptionReason", namespaces=NS) == invoice.legal_note
    assert row.findtext("ram:ExemptionReasonCode", namespaces=NS) == "VATEX-EU-132-1I"
    assert row.findtext("ram:RateApplicablePercent", namespaces=NS) == "0"


def test_factur_x_attachment_is_alternative_and_info_agrees_with_xmp(world):
    invoice = _issue(world)
    _render(invoice)
    reader = pypdf.PdfReader(io.BytesIO(_pdf(invoice)))
    catalog = reader.trailer["/Root"]
    names = catalog["/Names"]["/EmbeddedFiles"]["/Names"]
    spec = names[1].get_object()
    assert names[0] == "factur-x.xml"
    assert spec["/AFRelationship"] == "/Alternative"
    assert [ref.get_object()["/AFRelationship"] for ref in catalog["/AF"]] == ["/Alternative"]

    info, xmp = reader.metadata, reader.xmp_metadata
    assert info is not None and xmp is not None
    assert str(info["/Title"]) == "Invoice 2026-00001" == xmp.dc_title["x-default"]
    assert str(info["/Author"]) == "Smart Coop Austria eGen"
    assert xmp.dc_creator == ["Smart Coop Austria eGen"]
    assert str(info["/Subject"]) == xmp.dc_description["x-default"]
    assert str(info["/Keywords"]) == "Invoice, 2026-00001, Factur-X, EN 16931" == xmp.pdf_keywords
    assert str(info["/Producer"]) == xmp.pdf_producer
    assert str(info["/Creator"]) == xmp.xmp_creator_tool
    assert info.creation_date == xmp.xmp_create_date.replace(tzinfo=info.creation_date.tzinfo)
    assert info.modification_date == xmp.xmp_modify_date.replace(tzinfo=info.modification_date.tzinfo)
    raw = catalog["/Metadata"].get_object().get_data()
    for tag in (b"<dc:title>", b"<pdf:Producer>", b"<pdf:Keywords>", b"<xmp:CreateDate>"):
        assert raw.count(tag) == 1, tag
    assert b"<pdfaid:part>3</pdfaid:part>" in raw and b"EN 16931" in raw
    assert catalog["/Lang"] == "en"


def test_factur_x_is_written_by_weasyprint_in_one_pass_without_rewriting_the_pdf(world, monkeypatch):
    """Issue 12: WeasyPrint embeds factur-x.xml and writes the Factur-X XMP itself; the PDF is not parsed
    and written again with factur-x/pypdf afterwards (that cost ~12 % of the document)."""
    import facturx

    from invoicing.lib import einvoice

    def no_second_pass(*args, **kwargs):
        raise AssertionError("the PDF was parsed and written a second time")

    monkeypatch.setattr(facturx, "generate_from_binary", no_second_pass)
    monkeypatch.setattr(einvoice, "PdfWriter", no_second_pass)
    invoice = _issue(world)
    _render(invoice)
    pdf = _pdf(invoice)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    (spec,) = [ref.get_object() for ref in catalog["/AF"]]
    assert (spec["/F"], spec["/UF"], spec["/AFRelationship"]) == (
        "factur-x.xml",
        "factur-x.xml",
        "/Alternative",
    )
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"
    assert [attachment.name for attachment in reader.attachment_list] == ["factur-x.xml"]
    assert "/OutputIntents" in catalog
    raw = catalog["/Metadata"].get_object().get_data()
    for expected in (
        b"<pdfaid:part>3</pdfaid:part>",
        b"<pdfaid:conformance>B</pdfaid:conformance>",
        b"<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>",
        b"<pdfaSchema:prefix>fx</pdfaSchema:prefix>",
        b"<fx:DocumentType>INVOICE</fx:DocumentType>",
        b"<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>",
        b"<fx:Version>1.0</fx:Version>",
        b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
    ):
        assert raw.count(expected) == 1, expected
    assert raw.startswith(b"<?xpacket begin=") and raw.rstrip().endswith(b'<?xpacket end="w"?>')
    assert b"WeasyPrint 70" not in raw  # one Producer: ours, in the Info dictionary and the XMP alike
    xml = extract_xml_from_pdf(pdf)
    validate_xml(xml)
    assert invoice.number.encode() in xml


def test_corrections_are_titled_rechnungskorrektur_or_storno_and_keep_the_gs_series(world, tmp_path):
    coop, _owner, advisor, _project = world
    coop.language = "de"
    coop.save()
    invoice = _issue(world)
    partial = services.credit_note_issue(
        cooperative=coop,
        actor=advisor,
        invoice=invoice,
        reason="Ein Tag weniger",
        lines=[services.LineInput("Stage design", "1", "100.00", "20")],
        on=date(2026, 5, 20),
    )
    assert partial.number == "GS-2026-00001"
    _render(partial)
    text = _text(_pdf(partial), tmp_path)
    assert "Rechnungskorrektur GS-2026-00001" in text
    assert "Gutschrift" not in text
    assert pypdf.PdfReader(io.BytesIO(_pdf(partial))).metadata["/Title"] == "Rechnungskorrektur GS-2026-00001"

    full = services.credit_note_issue(
        cooperative=coop,
        actor=advisor,
        invoice=_issue(world, on=date(2026, 5, 22)),
        reason="Storniert",
        on=date(2026, 5, 22),
    )
    assert full.number == "GS-2026-00002"
    _render(full)
    text = _text(_pdf(full), tmp_path)
    assert "Storno GS-2026-00002" in text
    assert "Gutschrift" not in text
    assert pypdf.PdfReader(io.BytesIO(_pdf(full))).metadata["/Title"] == "Storno GS-2026-00002"
    assert invoice_pdf_file_name(full) == "Storno-GS-2026-00002.pdf"
    assert invoice_pdf_file_name(partial) == "Rechnungskorrektur-GS-2026-00001.pdf"


def test_a_long_return_address_line_wraps_inside_the_address_field(world):
    coop, *_rest = world
    # The demo cooperative's name and address: one line of it is wider than the 85 mm field.
    coop.legal_name = "SMart.at Kultur und Kreativwirtschaft eGen"
    coop.street, coop.building_number = "Mariahilfer Straße", "47/1"
    coop.save()
    invoice = _issue(world)
    page = (
        weasyprint.HTML(string=documents.invoice_pdf_html(invoice))
        .render(stylesheets=[stylesheet("invoicing/pdf/invoice.css")])
        .pages[0]
    )
    (sender,) = [
        box
        for box in page._page_box.descendants(placeholders=True)  # the address block is positioned
        if getattr(box, "element", None) is not None
        and "sender-line" in (box.element.get("class") or "")
        and box.element_tag == "div"
        and isinstance(box, weasyprint.formatting_structure.boxes.BlockBox)
    ]
    right = sender.content_box_x() + sender.width
    texts = [
        box for box in sender.descendants() if isinstance(box, weasyprint.formatting_structure.boxes.TextBox)
    ]
    assert "".join(t.text for t in texts).replace(" ", "") == (
        "SMart.at Kultur und Kreativwirtschaft eGen · Mariahilfer Straße 47/1 · 1060 Wien".replace(" ", "")
    )
    assert max(t.position_x + t.width for t in texts) <= right + 0.01


def test_the_page_is_parsed_as_xml_and_keeps_the_typed_line_breaks(world, tmp_path, monkeypatch):
    # The template writes well-formed XHTML so WeasyPrint gets expat's tree instead of running its pure-Python
    # HTML5 parser on it (issue 12); a note's line breaks come from `white-space: pre-line`, not <br>.
    coop, _owner, advisor, _project = world
    invoice = _issue(world)
    invoice.note = "Delivered in two parts:\nfirst on 2 May & second on 3 May <as agreed>"
    note = services.credit_note_issue(
        cooperative=coop, actor=advisor, invoice=invoice, reason="Wrong quantity", on=date(2026, 5, 20)
    )
    for document in (invoice, note):
        ElementTree.fromstring(documents.invoice_pdf_html(document))
    parsed: list[str] = []
    html5_parse = tinyhtml5.parse

    def parse(source, **kwargs):
        parsed.append(source.getvalue())  # WeasyPrint hands its parser a StringIO
        return html5_parse(source, **kwargs)

    monkeypatch.setattr(tinyhtml5, "parse", parse)
    path = tmp_path / "note.pdf"
    path.write_bytes(documents.invoice_pdf_render(invoice))
    assert parsed == ["<html></html>"]  # only WeasyPrint's placeholder; the page itself went to expat
    lines = [
        " ".join(line.split())
        for line in subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
        ).stdout.splitlines()
    ]
    assert "Delivered in two parts:" in lines
    assert "first on 2 May & second on 3 May <as agreed>" in lines


def test_a_page_that_is_not_well_formed_xml_is_parsed_as_html(tmp_path):
    path = tmp_path / "page.pdf"
    path.write_bytes(html_to_pdf("<p>one<br>two &nbsp;three</p>", xhtml=True))
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    assert text.split() == ["one", "two", "three"]


def _line_columns(line: InvoiceLine) -> dict[str, object]:
    return {field.attname: getattr(line, field.attname) for field in InvoiceLine._meta.concrete_fields}


def test_the_lines_are_read_by_one_prepared_query_in_their_order(world):
    # The lines' query is compiled once and prepared (issue 12): one EXECUTE, the invoice's own lines in
    # position order, the fields the ORM reads.
    first = _issue(world, ("A", "1", "10.00", "20"), ("B", "1", "20.00", "20"), ("C", "1", "30.00", "13"))
    _issue(world)  # another invoice's lines stay out
    orm = InvoiceLine.objects.for_cooperative(first.cooperative_id).filter(invoice=first).order_by("position")
    documents._lines(first)
    with CaptureQueriesContext(connection) as queries:
        lines = documents._lines(first)
    assert [q["sql"].split(" ")[0] for q in queries.captured_queries] == ["EXECUTE"]
    assert [line.description for line in lines] == ["A", "B", "C"]
    assert [_line_columns(line) for line in lines] == [_line_columns(line) for line in orm]
