"""What the member home page shows. Apps above `members` add their parts (projects, payouts) by
registering a callable in their AppConfig.ready(): `members` never imports them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from smartprod.core.registry import Registry
from smartprod.tenancy.models import Membership

DashboardPart = Callable[[HttpRequest, Membership], dict[str, Any]]
dashboard_parts: Registry[DashboardPart] = Registry("dashboard parts")


def dashboard_context(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    context: dict[str, Any] = {"membership": membership}
    for part in dashboard_parts:
        context.update(part(request, membership))
    return context
