"""Noting that finance uploaded an ebInterface invoice to e-rechnung.gv.at (the portal has no API for us)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.models import Invoice
from invoicing.services._common import _check_same, _locked
from smartprod.core import capabilities
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.tenancy.models import Cooperative, Membership


@transaction.atomic
def invoice_note_portal_upload(
    *, cooperative: Cooperative, actor: Membership, invoice: Invoice, uploaded_on: date | None
) -> Invoice:
    """Record (or clear, with None) the day finance uploaded the invoice's ebInterface XML to the portal."""
    _check_same(cooperative, actor)
    if not capabilities.can_handle_money(actor):
        raise NotAllowed(_("Finance notes the upload to e-rechnung.gv.at."))
    invoice = _locked(cooperative, invoice)
    if (
        invoice.einvoice_format != Invoice.EInvoiceFormat.EBINTERFACE
        or invoice.number is None
        or invoice.issue_date is None
    ):
        raise ApplicationError(
            _("Only issued invoices that go out as ebInterface are uploaded to e-rechnung.gv.at."),
            conflict=True,
        )
    if uploaded_on is not None and not (invoice.issue_date <= uploaded_on <= timezone.localdate()):
        raise ApplicationError(
            _("The upload date lies between the issue date and today."),
            details={"uploaded_on": [_("Not between the issue date and today.")]},
        )
    invoice.portal_uploaded_on = uploaded_on
    invoice.save(update_fields=["portal_uploaded_on"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="invoice.portal_upload_noted",
        obj=invoice,
        data={"uploaded_on": uploaded_on.isoformat() if uploaded_on else None},
    )
    return invoice
