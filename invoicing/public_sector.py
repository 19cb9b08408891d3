"""Which e-invoice a client gets, and what a public body's invoice needs before it can be issued.

Austria: contractors of federal bodies must issue and send e-invoices (§ 5 (2) IKT-Konsolidierungsgesetz,
RIS NOR40138643; details in the e-Rechnungs-Verordnung BGBl. II Nr. 505/2012): structured ones through
e-rechnung.gv.at (ebInterface or Peppol UBL), which refuses them without the body's order reference and
the supplier number it assigned. Germany: § 5 (1) E-Rechnungsverordnung (BGBl. I 2017 S. 3555) requires
the Leitweg-ID, bank details, payment terms and the seller's e-mail; § 5 (2) the supplier and order numbers
when the body gave them; the XRechnung rules add a seller contact with name, phone and e-mail (BR-DE-2).
Every other client gets the Factur-X PDF by e-mail.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from invoicing.models import Invoice
from projects.models import Client
from smartprod.core.errors import ApplicationError
from smartprod.tenancy.models import Cooperative

Format = Invoice.EInvoiceFormat


def einvoice_format_for(client: Client) -> str:
    """The format an invoice to ``client`` goes out in, decided at issue."""
    if client.public_sector and client.country == "AT":
        return Format.EBINTERFACE
    if client.public_sector and client.country == "DE":
        return Format.XRECHNUNG
    return Format.FACTURX


def public_sector_missing(*, cooperative: Cooperative, invoice: Invoice) -> dict[str, str]:
    """The data a public body's e-invoice lacks: {field: what is missing}; empty when complete.

    Reads the invoice's own references first (a draft may carry an order reference of its own), then the
    client's; the seller contact comes from the cooperative's settings.
    """
    client = invoice.client
    fmt = einvoice_format_for(client)
    missing: dict[str, str] = {}
    if fmt == Format.EBINTERFACE:
        if not (invoice.order_reference or client.order_reference).strip():
            missing["order_reference"] = _("the public body's order reference (Auftragsreferenz)")
        if not client.supplier_number.strip():
            missing["supplier_number"] = _("the supplier number the public body assigned to the cooperative")
    elif fmt == Format.XRECHNUNG:
        if not (invoice.buyer_reference or client.buyer_reference).strip():
            missing["buyer_reference"] = _("the Leitweg-ID (buyer reference)")
        if not cooperative.einvoice_contact_name.strip():
            missing["einvoice_contact_name"] = _("the cooperative's contact name for e-invoices")
        if not cooperative.phone.strip():
            missing["phone"] = _("the cooperative's phone number")
        if not cooperative.email.strip():
            missing["email"] = _("the cooperative's e-mail address")
    return missing


def check_public_sector(*, cooperative: Cooperative, invoice: Invoice) -> None:
    """Refuse to issue a public body's invoice that lacks what its e-invoice needs, naming each field."""
    missing = public_sector_missing(cooperative=cooperative, invoice=invoice)
    if missing:
        raise ApplicationError(
            _("This client is a public body and needs an e-invoice; missing: %(fields)s.")
            % {"fields": "; ".join(missing.values())},
            details={field: [text] for field, text in missing.items()},
            conflict=True,
        )


def snapshot_einvoice_data(invoice: Invoice) -> None:
    """At issue: the format and the references the e-invoice carries, frozen with the invoice."""
    client = invoice.client
    invoice.einvoice_format = einvoice_format_for(client)
    invoice.order_reference = invoice.order_reference or client.order_reference
    invoice.buyer_reference = invoice.buyer_reference or client.buyer_reference
    invoice.supplier_number = client.supplier_number
