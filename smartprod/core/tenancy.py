"""Resolving the cooperative of a request, once, and handing it on explicitly.

The tenant comes from the host name (each cooperative lists the hosts it answers on); failing that, from
the user's only active membership. `request.cooperative` and `request.membership` are set for every request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from smartprod.core.capabilities import STAFF_ROLES, TWO_FACTOR_ROLES

__all__ = ["STAFF_ROLES", "TWO_FACTOR_ROLES"]


def resolve_tenant(request: HttpRequest) -> tuple[Any, Any]:
    cooperative_model = apps.get_model(settings.TENANT_MODEL)
    membership_model = apps.get_model("tenancy", "Membership")
    host = request.get_host().split(":")[0].lower()
    cooperative = cooperative_model.objects.filter(hosts__contains=[host], is_active=True).first()
    user = getattr(request, "user", None)
    membership = None
    if user is not None and user.is_authenticated:
        active = membership_model.objects.all_cooperatives().filter(user=user, status="active")
        if cooperative is None:
            only = list(active.select_related("cooperative")[:2])
            if len(only) == 1:
                membership = only[0]
                cooperative = membership.cooperative
        else:
            membership = active.filter(cooperative=cooperative).first()
    return cooperative, membership


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.cooperative, request.membership = resolve_tenant(request)  # type: ignore[attr-defined]
        return self.get_response(request)


class CooperativeLanguageMiddleware:
    """The user's explicit choice (language cookie) wins; otherwise the cooperative's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        cooperative = getattr(request, "cooperative", None)
        supported = dict(settings.LANGUAGES)
        if chosen not in supported:
            chosen = cooperative.language if cooperative is not None else settings.LANGUAGE_CODE
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


def user_needs_two_factor(request: HttpRequest) -> bool:
    """Finance and admin people (and superusers) must have TOTP on before they reach their functions."""
    from allauth.mfa.utils import is_mfa_enabled

    user = request.user
    if not user.is_authenticated:
        return False
    membership = getattr(request, "membership", None)
    privileged = user.is_superuser or (membership is not None and membership.role in TWO_FACTOR_ROLES)
    return bool(privileged and not is_mfa_enabled(user))


class StaffTwoFactorMiddleware:
    """Sends finance/admin people without two-factor to the TOTP set-up page before any staff function."""

    PROTECTED_PREFIXES = ("/admin/", "/staff/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.PROTECTED_PREFIXES) and user_needs_two_factor(request):
            messages.warning(
                request, _("Your role handles money: turn on two-factor authentication to continue.")
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def tenant_context(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "cooperative": getattr(request, "cooperative", None),
        "membership": membership,
        "is_staff_role": membership is not None and membership.role in STAFF_ROLES,
    }


def require_membership(request: HttpRequest) -> tuple[Any, Any]:
    """The cooperative of the request and the person's membership in it; without one: 404."""
    cooperative = getattr(request, "cooperative", None)
    membership = getattr(request, "membership", None)
    if cooperative is None or membership is None:
        raise Http404(_("No membership in this cooperative."))
    return cooperative, membership
