"""The projects part of the member home page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from projects.models import Project
from projects.selectors import project_list_mine
from smartprod.core.money import ZERO, quantize_money
from smartprod.tenancy.models import Membership


def projects_dashboard(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    cooperative = membership.cooperative
    # One query for any number of projects: the budget figures are annotations, not per-row lookups.
    mine = list(project_list_mine(cooperative=cooperative, membership=membership))
    # The figures are the member's own: projects they own. A project they only work on is someone
    # else's budget; it is listed apart and never counted into their total.
    projects = [p for p in mine if p.owner_id == membership.pk]
    collaborating = [p for p in mine if p.owner_id != membership.pk]
    running = [p for p in projects if p.status == Project.Status.APPROVED]
    available: Decimal = sum((p.budget_available for p in running), ZERO)
    return {
        "projects": projects,
        "collaborating": collaborating,
        "currency": cooperative.currency,
        "summary": {
            "running": len(running),
            "in_review": sum(1 for p in projects if p.status == Project.Status.SUBMITTED),
            "to_do": sum(1 for p in projects if p.is_editable),
            "available": quantize_money(available),
        },
    }
