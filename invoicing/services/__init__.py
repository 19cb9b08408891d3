"""Invoices: drafts, four-eyes issue with gapless numbers, credit notes, payments, write-offs.

Money moves only through `projects.ledger.journal_post`, each event under its own idempotency key.
One module per operation (drafts, issue, credit, payments, write_off, dunning_block); what they share is
in `_common`. Callers import the services from here: `from invoicing.services import invoice_issue`.
"""

from invoicing.services._common import (
    OPEN_STATUSES,
    LineInput,
    invoicing_settings,
    resolve_vat,
    vat_rates_on,
)
from invoicing.services.credit import credit_note_issue
from invoicing.services.drafts import invoice_create_draft, invoice_submit, invoice_update_draft
from invoicing.services.dunning_block import invoice_set_dunning_block
from invoicing.services.issue import LARGE_INVOICE, invoice_issue
from invoicing.services.payments import DunningCharges, dunning_charges_open, payment_record, payment_return
from invoicing.services.portal_upload import invoice_note_portal_upload
from invoicing.services.write_off import invoice_write_off
from invoicing.vat import vat_breakdown

__all__ = [
    "LARGE_INVOICE",
    "OPEN_STATUSES",
    "DunningCharges",
    "LineInput",
    "credit_note_issue",
    "dunning_charges_open",
    "invoice_create_draft",
    "invoice_issue",
    "invoice_note_portal_upload",
    "invoice_set_dunning_block",
    "invoice_submit",
    "invoice_update_draft",
    "invoice_write_off",
    "invoicing_settings",
    "payment_record",
    "payment_return",
    "resolve_vat",
    "vat_breakdown",
    "vat_rates_on",
]
