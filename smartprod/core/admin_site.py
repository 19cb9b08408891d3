"""The admin site: reached by role in the request's cooperative; login always through allauth."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from smartprod.core.capabilities import STAFF_ROLES
from smartprod.tenancy.context import request_context


def staff_role(request: HttpRequest) -> str | None:
    membership = request_context(request).membership
    if membership is not None and membership.role in STAFF_ROLES:
        return str(membership.role)
    return None


class CooperativeAdminSite(admin.AdminSite):
    site_header = "SmartProduction"
    site_title = "SmartProduction"
    index_title = gettext_lazy("Backend")

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        """Branded with the request's cooperative: its name in the header and the browser tab, so staff
        working for two cooperatives see at once whose backend they are in. Without one (the platform's
        superuser on a bare host), the product's name."""
        context = super().each_context(request)
        cooperative = request_context(request).cooperative
        if cooperative is not None:
            context["site_header"] = cooperative.name
            context["site_title"] = _("%(cooperative)s backend") % {"cooperative": cooperative.name}
        return context

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if not user.is_active or not user.is_authenticated:
            return False
        return bool(user.is_superuser or staff_role(request))

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.user.is_authenticated:
            # Signed in, but no staff role here: going back to the login form would loop.
            messages.error(request, _("Your role in this cooperative has no access to the backend."))
            return HttpResponseRedirect(reverse("home"))
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        return HttpResponseRedirect(reverse("account_login") + "?" + urlencode({"next": next_url}))
