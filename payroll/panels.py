"""The payouts section of the project page (registered with projects.panels by payroll.hooks)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from payroll.models import FeeNote, PayoutItem
from payroll.selectors.fees import fee_note_list_visible, payout_item_list_visible
from projects.models import Project
from smartprod.tenancy.context import request_context


def payouts_panel(request: HttpRequest, project: Project) -> SafeString:
    """The project's fee notes and payout items the person may see: status, guarantee deadline, paid date.

    The project page has already checked that the person may see the project.
    """
    cooperative = request_context(request).cooperative
    membership = request_context(request).membership
    if cooperative is None or membership is None or project.cooperative_id != cooperative.pk:
        return mark_safe("")
    notes = list(
        fee_note_list_visible(cooperative=cooperative, membership=membership)
        .filter(project=project)
        .exclude(status=FeeNote.Status.APPROVED)  # approved ones show as payout items
        .order_by("-requested_at")
    )
    items = list(
        payout_item_list_visible(cooperative=cooperative, membership=membership)
        .filter(project=project)
        .select_related("fee_note")
    )
    html = render_to_string(
        "payroll/fees/project_panel.html",
        {
            "project": project,
            "notes": notes,
            "items": items,
            "may_request": project.status == Project.Status.APPROVED,
            "cancelled": PayoutItem.Status.CANCELLED,
        },
        request=request,
    )
    return mark_safe(html)  # the template engine escaped every value
