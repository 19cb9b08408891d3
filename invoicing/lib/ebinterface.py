"""ebInterface 6.1: the Austrian e-invoice that federal bodies take through e-rechnung.gv.at.

Built from the same :class:`EInvoice` data as the EN 16931 CII, so both say the same. The mapping
follows the ebInterface 6.1 documentation (AUSTRIAPRO, "ebInterface 6.1 Rechnung", 2022-06):
the order reference of the public body goes to InvoiceRecipient/OrderReference/OrderID, the supplier
number it assigned to the cooperative to Biller/InvoiceRecipientsBillerID (both required by the
federal government's e-invoicing portal); VAT categories are UNCL 5305 codes like in EN 16931, the
exemption reason is the comment of its tax item; a credit note is a ``CreditMemo`` whose
RelatedDocument names the invoice it corrects, and carries positive amounts like the CII one.
A party without a VAT id is given as ``00000000``, the documented placeholder.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

from invoicing.lib.einvoice import (
    CATEGORIES_WITH_EXEMPTION_REASON,
    CREDIT_NOTE,
    EInvoice,
    Party,
    check_invoice,
)
from smartprod.core.money import quantize_money

NAMESPACE = "http://www.ebinterface.at/schema/6p1/"
GENERATING_SYSTEM = "SmartProduction"
NO_VAT_ID = "00000000"
_Q4 = Decimal("0.0001")


def _amount(value: Decimal) -> str:
    return f"{quantize_money(value):f}"


def _decimal4(value: Decimal) -> str:
    text = f"{value.quantize(_Q4).normalize():f}"
    return text if text != "-0" else "0"


def check_ebinterface(inv: EInvoice) -> list[str]:
    """What an Austrian public body needs beyond EN 16931: its order reference and our supplier number."""
    problems: list[str] = []
    if not inv.order_reference.strip():
        problems.append("ebInterface for a public body needs its order reference (Auftragsreferenz).")
    if not inv.supplier_number.strip():
        problems.append("ebInterface for a public body needs the supplier number it assigned.")
    if inv.type_code == CREDIT_NOTE and not inv.preceding_invoice_number:
        problems.append("A credit memo names the invoice it corrects.")
    return problems


def build_ebinterface_xml(inv: EInvoice, *, language: str = "de") -> bytes:
    """The ebInterface 6.1 XML of ``inv``; ValueError naming every broken rule (EN 16931 and ours)."""
    problems = check_invoice(inv) + check_ebinterface(inv)
    if problems:
        raise ValueError("The ebInterface invoice cannot be built:\n- " + "\n- ".join(problems))

    def sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
        element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    is_credit = inv.type_code == CREDIT_NOTE
    root = etree.Element(
        f"{{{NAMESPACE}}}Invoice",
        {
            "GeneratingSystem": GENERATING_SYSTEM,
            "DocumentType": "CreditMemo" if is_credit else "Invoice",
            "InvoiceCurrency": inv.currency,
            "Language": language[:2],
        },
        nsmap={None: NAMESPACE},
    )
    sub(root, "InvoiceNumber", inv.number)
    sub(root, "InvoiceDate", inv.issue_date.isoformat())
    if inv.preceding_invoice_number:
        related = sub(root, "RelatedDocument")
        sub(related, "InvoiceNumber", inv.preceding_invoice_number)
        if inv.preceding_invoice_date:
            sub(related, "InvoiceDate", inv.preceding_invoice_date.isoformat())
        sub(related, "DocumentType", "Invoice")
    if inv.service_start and inv.service_end:
        period = sub(sub(root, "Delivery"), "Period")
        sub(period, "FromDate", inv.service_start.isoformat())
        sub(period, "ToDate", inv.service_end.isoformat())

    def party(tag: str, data: Party) -> Any:
        element = sub(root, tag)
        sub(element, "VATIdentificationNumber", data.vat_id or NO_VAT_ID)
        if tag == "Biller" and data.legal_registration:
            sub(element, "FurtherIdentification", data.legal_registration, IdentificationType="FN")
        if tag == "InvoiceRecipient":
            sub(sub(element, "OrderReference"), "OrderID", inv.order_reference)
        address = sub(element, "Address")
        sub(address, "Name", data.name)
        if data.street:
            sub(address, "Street", data.street)
        sub(address, "Town", data.city)
        sub(address, "ZIP", data.postcode)
        sub(address, "Country", data.country, CountryCode=data.country)
        if data.email:
            sub(address, "Email", data.email)
        if tag == "Biller" and inv.seller_contact is not None and inv.seller_contact.name:
            contact = sub(element, "Contact")
            sub(contact, "Name", inv.seller_contact.name)
            if inv.seller_contact.phone:
                sub(contact, "Phone", inv.seller_contact.phone)
            if inv.seller_contact.email:
                sub(contact, "Email", inv.seller_contact.email)
        if tag == "Biller":
            sub(element, "InvoiceRecipientsBillerID", inv.supplier_number)
        return element

    party("Biller", inv.seller)
    party("InvoiceRecipient", inv.buyer)

    def tax_percent(parent: Any, category: str, rate: Decimal) -> None:
        sub(parent, "TaxPercent", _amount(rate), TaxCategoryCode=category)

    items = sub(sub(root, "Details"), "ItemList")
    for line in inv.lines:
        item = sub(items, "ListLineItem")
        sub(item, "PositionNumber", line.line_id)
        sub(item, "Description", line.description)
        sub(item, "Quantity", _decimal4(line.quantity), Unit=line.unit_code)
        sub(item, "UnitPrice", _decimal4(line.unit_price))
        tax = sub(item, "TaxItem")
        sub(tax, "TaxableAmount", _amount(line.net_amount))
        tax_percent(tax, line.vat_category, line.vat_rate)
        sub(item, "LineItemAmount", _amount(line.net_amount))

    taxes = sub(root, "Tax")
    for row in inv.tax_breakdown:
        tax = sub(taxes, "TaxItem")
        sub(tax, "TaxableAmount", _amount(row.basis))
        tax_percent(tax, row.category, row.rate)
        sub(tax, "TaxAmount", _amount(row.amount))
        if row.category in CATEGORIES_WITH_EXEMPTION_REASON and inv.exemption_reason:
            sub(tax, "Comment", inv.exemption_reason)
    sub(root, "TotalGrossAmount", _amount(inv.gross_total))
    sub(root, "PrepaidAmount", _amount(inv.paid_amount))
    sub(root, "PayableAmount", _amount(inv.due_amount))

    method = sub(root, "PaymentMethod")
    if is_credit:
        if inv.refund_means_text:
            sub(method, "Comment", inv.refund_means_text)
        sub(method, "NoPayment")
    else:
        transfer = sub(method, "UniversalBankTransaction")
        account = sub(transfer, "BeneficiaryAccount")
        if inv.seller_bic:
            sub(account, "BIC", inv.seller_bic)
        sub(account, "IBAN", inv.seller_iban.replace(" ", ""))
        sub(account, "BankAccountOwner", inv.seller.name)
        if inv.payment_reference:
            sub(transfer, "PaymentReference", inv.payment_reference)
    if not is_credit and (inv.due_date or inv.payment_terms_text):
        conditions = sub(root, "PaymentConditions")
        if inv.due_date:
            sub(conditions, "DueDate", inv.due_date.isoformat())
        if inv.payment_terms_text:
            sub(conditions, "Comment", inv.payment_terms_text)
    if inv.note:
        sub(root, "Comment", inv.note)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
