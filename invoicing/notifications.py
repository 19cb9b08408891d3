"""What the project's owner hears about their invoices: issued, paid, partly paid, written off, reminded.

Kinds are registered in invoicing.hooks.register(); each event names the row that made it (the invoice,
the payment, the write-off, the dunning notice), so a retried service or task notifies once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from smartprod.core.formatting import format_money
from smartprod.core.notifications import NotificationKind, notification_kinds, notify
from smartprod.tenancy.models import Membership

if TYPE_CHECKING:
    from invoicing.models import Invoice
    from smartprod.tenancy.models import Cooperative

KINDS = (
    NotificationKind(
        "invoice.issued",
        _("Invoice issued: %(number)s"),
        _("Invoice %(number)s of %(amount)s to %(client)s (project “%(title)s”) is issued and on its way."),
    ),
    NotificationKind(
        "invoice.paid",
        _("Invoice paid: %(number)s"),
        _("%(client)s paid %(payment)s: invoice %(number)s (project “%(title)s”) is paid in full."),
    ),
    NotificationKind(
        "invoice.partially_paid",
        _("Partial payment: %(number)s"),
        _(
            "%(client)s paid %(payment)s on invoice %(number)s (project “%(title)s”); "
            "%(open)s are still open."
        ),
    ),
    NotificationKind(
        "invoice.written_off",
        _("Invoice written off: %(number)s"),
        _(
            "Invoice %(number)s (project “%(title)s”) was written off: %(amount)s. "
            "The cooperative carries the loss; your budget is not reduced."
        ),
    ),
    NotificationKind(
        "invoice.dunning",
        _("Reminder sent: %(number)s"),
        _(
            "%(client)s has not paid invoice %(number)s (project “%(title)s”): "
            "dunning level %(level)s was sent."
        ),
    ),
)


def register() -> None:
    for kind in KINDS:
        notification_kinds.register(kind)


def notify_invoice_owner(
    *,
    cooperative: Cooperative,
    invoice: Invoice,
    kind: str,
    event_id: int,
    amount: Decimal | None = None,
    **extra: Any,
) -> None:
    """Tell the project's owner about `kind` on `invoice`; `event_id` is the row the event made."""
    project = invoice.project
    owner = Membership.objects.for_cooperative(cooperative).select_related("user").get(pk=project.owner_id)
    language = cooperative.language
    params = {
        "number": invoice.number or "",
        "client": invoice.client_name,
        "title": project.title,
        "amount": format_money(invoice.gross_total if amount is None else amount, invoice.currency, language),
        "open": format_money(invoice.open_amount, invoice.currency, language),
        **{
            key: format_money(v, invoice.currency, language) if isinstance(v, Decimal) else v
            for key, v in extra.items()
        },
    }
    notify(
        cooperative=cooperative,
        kind=kind,
        event=f"{kind}:{event_id}",
        recipients=[owner.user],
        params=params,
        link=reverse("invoice_detail", args=[invoice.pk]),
    )
