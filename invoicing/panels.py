"""The invoices section of the project page (registered with projects.panels by invoicing.hooks)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import F, Sum
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
PANEL_PAGE = 50  # invoices per page of the panel (?invoices=<page>), newest first


def invoice_panel(request: HttpRequest, project: Project) -> SafeString:
    """The project's invoices and credit notes: number, status, due date, dunning level, open amount, PDF.

    The project page has already checked that the person may see the project; the invoices follow it.
    """
    cooperative = request_context(request).cooperative
    membership = request_context(request).membership
    if cooperative is None or membership is None or project.cooperative_id != cooperative.pk:
        return mark_safe("")
    # One page of invoices (count, page, payments, notices: the same queries for 10 or 1,000 invoices) and
    # the open total of all of them in one aggregate.
    page = Paginator(selectors.invoices_of_project(cooperative=cooperative, project=project), PANEL_PAGE)
    page_obj = page.get_page(request.GET.get("invoices"))
    invoices = list(page_obj.object_list)
    open_total = (
        Invoice.objects.for_cooperative(cooperative)
        .filter(project=project, kind=Invoice.Kind.INVOICE, status__in=OPEN)
        .aggregate(
            total=Sum(F("gross_total") - F("paid_total") - F("credited_total") - F("written_off_total"))
        )["total"]
    )
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
            "open_total": open_total or ZERO,
            "page": page_obj,
            "page_param": "invoices",
            "page_anchor": "#invoices",
            "currency": cooperative.currency,
        },
        request=request,
    )
    return mark_safe(html)  # the template engine escaped every value
