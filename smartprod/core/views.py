"""Kernel pages: what finance sees across every kind of document."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from smartprod.core import capabilities
from smartprod.core.documents import documents_stuck
from smartprod.tenancy.context import require_membership


def documents_stuck_page(request: HttpRequest) -> HttpResponse:
    """Finance and admin: the cooperative's documents not rendered or not sent longer than the sweep takes."""
    if not request.user.is_authenticated:
        raise Http404(_("No membership in this cooperative."))
    cooperative, membership = require_membership(request)
    if not capabilities.can_handle_money(membership):
        raise Http404(_("Only finance sees this list."))
    rows = []
    for stuck in documents_stuck(cooperative_id=cooperative.pk):
        meta = stuck.obj._meta
        try:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[stuck.obj.pk])
        except NoReverseMatch:
            url = ""
        rows.append({"stuck": stuck, "label": meta.verbose_name, "url": url})
    return render(request, "core/documents_stuck.html", {"rows": rows})
