"""Stopping and resuming dunning for a disputed invoice."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from invoicing.models import (
    Invoice,
)
from invoicing.services._common import (
    _check_same,
    _locked,
)
from smartprod.core import capabilities
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.tenancy.models import Cooperative, Membership


@transaction.atomic
def invoice_set_dunning_block(
    *, cooperative: Cooperative, actor: Membership, invoice: Invoice, blocked: bool, reason: str = ""
) -> Invoice:
    """Stop (dispute) or resume dunning for an invoice."""
    _check_same(cooperative, actor)
    if not capabilities.can_issue_invoice(actor):
        raise NotAllowed(_("Only staff block or resume dunning."))
    if blocked and not reason.strip():
        raise ApplicationError(
            _("Say why dunning stops (e.g. the client disputes the invoice)."),
            details={"reason": [_("Required.")]},
        )
    invoice = _locked(cooperative, invoice)
    invoice.dunning_blocked = blocked
    invoice.dunning_block_reason = reason.strip() if blocked else ""
    invoice.save(update_fields=["dunning_blocked", "dunning_block_reason"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="invoice.dunning_blocked" if blocked else "invoice.dunning_resumed",
        obj=invoice,
        data={"reason": reason},
    )
    return invoice
