"""What the member home page shows. Later apps add their parts through their own selectors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from members.models import Membership


def dashboard_context(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    return {"membership": membership}
