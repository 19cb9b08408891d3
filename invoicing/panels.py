"""The invoices section of the project page (registered with projects.panels by invoicing.hooks)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from invoicing import selectors
from invoicing.models import Invoice
from projects.models import Project
from smartprod.core.money import ZERO
from smartprod.tenancy.context import request_context

OPEN = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)


def invoice_panel(request: HttpRequest, project: Project) -> SafeString:
    """The project's invoices and credit notes: number, status, due date, dunning level, open amount, PDF.

    The project page has already checked that the person may see the project; the invoices follow it.
    """
    cooperative = request_context(request).cooperative
    membership = request_context(request).membership
    if cooperative is None or membership is None or project.cooperative_id != cooperative.pk:
        return mark_safe("")
    invoices = list(selectors.invoices_of_project(cooperative=cooperative, project=project))
    today = timezone.localdate()
    html = render_to_string(
        "invoicing/project_panel.html",
        {
            "project": project,
            "invoices": invoices,
            "may_draft": selectors.may_draft_invoices(membership=membership, project=project),
            "overdue_ids": {
                i.pk for i in invoices if i.status in OPEN and i.due_date is not None and i.due_date < today
            },
            "open_total": sum((i.open_amount for i in invoices if i.status in OPEN), start=ZERO),
            "currency": cooperative.currency,
        },
        request=request,
    )
    return mark_safe(html)  # the template engine escaped every value
