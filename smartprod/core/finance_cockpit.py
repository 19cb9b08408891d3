"""The finance cockpit (/finance/): the figures each app contributes through the kernel registry
`finance_figures`, for finance staff and admins of the request's cooperative.

The kernel knows no figure: it asks each registered `FinanceFigure` to compute its context for the
cooperative and renders the figure's own template. Members and advisors get 404, like another
cooperative's people (the page's existence is nobody else's business).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from smartprod.core import capabilities
from smartprod.core.registry import finance_figures
from smartprod.tenancy.context import require_membership
from smartprod.tenancy.models import Cooperative


def cockpit_figures(request: HttpRequest | None, cooperative: Cooperative) -> list[dict[str, Any]]:
    """Each registered figure, computed for `cooperative` and rendered in the active language."""
    return [
        {
            "key": figure.key,
            "title": figure.title,
            "html": render_to_string(figure.template, figure.compute(cooperative), request=request),
        }
        for figure in finance_figures
    ]


def finance_cockpit_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404(_("No membership in this cooperative."))
    cooperative, membership = require_membership(request)
    if not capabilities.can_handle_money(membership):
        raise Http404(_("Only finance sees the finance cockpit."))
    return render(
        request,
        "finance/cockpit.html",
        {"figures": cockpit_figures(request, cooperative), "cooperative": cooperative},
    )
