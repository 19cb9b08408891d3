"""What the member home page shows. Later apps add their parts through their own selectors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from members.models import Membership
from smartprod.core.money import ZERO, quantize_money


def dashboard_context(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    # projects sits above members: import at call time so members never depends on it at import.
    from projects.models import Project
    from projects.selectors import project_list_mine

    cooperative = membership.cooperative
    # One query for any number of projects: the budget figures are annotations, not per-row lookups.
    projects = list(project_list_mine(cooperative=cooperative, membership=membership))
    running = [p for p in projects if p.status == Project.Status.APPROVED]
    available: Decimal = sum((p.budget_available for p in running), ZERO)  # type: ignore[attr-defined]
    return {
        "membership": membership,
        "projects": projects,
        "currency": cooperative.currency,
        "summary": {
            "running": len(running),
            "in_review": sum(1 for p in projects if p.status == Project.Status.SUBMITTED),
            "to_do": sum(1 for p in projects if p.is_editable),
            "available": quantize_money(available),
        },
    }
