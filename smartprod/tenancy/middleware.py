"""Resolving the cooperative of a request, once, and handing it on explicitly.

The tenant comes from the host name (each cooperative lists the hosts it answers on); failing that, from
the user's only active membership. The result is the request's typed context
(`smartprod.tenancy.context.request_context`), set for every request.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from smartprod.core import capabilities, rls
from smartprod.core.capabilities import STAFF_ROLES, TWO_FACTOR_ROLES
from smartprod.tenancy.context import (
    request_context,
    require_membership,
    set_request_context,
    user_needs_two_factor,
)
from smartprod.tenancy.models import Cooperative, Membership

__all__ = ["STAFF_ROLES", "TWO_FACTOR_ROLES", "require_membership", "user_needs_two_factor"]


def resolve_tenant(request: HttpRequest) -> tuple[Cooperative | None, Membership | None]:
    """The cooperative answering on the request's host (else the user's only one) and the membership in it.

    Runs before a tenant is known: in the platform scope, for these two reads only. The host's cooperative
    comes from the per-process host cache when it holds the host; a request without a signed-in user (API
    token requests: the token is read later) then needs neither a query nor the platform scope."""
    host = request.get_host().split(":")[0].lower()
    cooperative = host_cooperative_cached(host)
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    if cooperative is not _MISSING and not signed_in:
        return cooperative, None  # type: ignore[return-value]
    with rls.platform_scope("tenant resolution", level=logging.DEBUG):
        if cooperative is _MISSING:
            cooperative = _host_cooperative(host)
        return _resolve_membership(request, cooperative)  # type: ignore[arg-type]


def _resolve_membership(
    request: HttpRequest, cooperative: Cooperative | None
) -> tuple[Cooperative | None, Membership | None]:
    user = getattr(request, "user", None)
    membership: Membership | None = None
    if user is not None and user.is_authenticated:
        active = Membership.objects.all_cooperatives().filter(user=user, status=Membership.Status.ACTIVE)
        if cooperative is None:
            only = list(active.select_related("cooperative")[:2])
            if len(only) == 1:
                membership = only[0]
                cooperative = membership.cooperative
        else:
            membership = active.filter(cooperative=cooperative).first()
    return cooperative, membership


# --- host → cooperative, cached per process ----------------------------------------------------------------
# Every request looked up its host's cooperative: one query (and two scope switches) of a request's few. The
# answer changes only when a cooperative is saved or deleted: this process forgets all on either (signals
# below); other processes notice within settings.TENANT_HOST_CACHE_SECONDS (0: no cache, the test suite's
# default, so that tests see every change at once, including `QuerySet.update`, which sends no signal).
# Each request gets its own instance, built from the cached row: a view that changes and saves its
# cooperative changes no other request's.

_MISSING = object()
_host_cache: dict[str, tuple[float, tuple[list[str], tuple[Any, ...]] | None]] = {}


def host_cooperative_cached(host: str) -> Cooperative | object | None:
    """The cached cooperative of `host` (a fresh instance), None if cached as none, else `_MISSING`."""
    entry = _host_cache.get(host)
    if entry is None or entry[0] < time.monotonic():
        return _MISSING
    row = entry[1]
    if row is None:
        return None
    names, values = row
    # Only lists and dicts (hosts, JSON) can be changed in place; the rest (str, int, Decimal, date) cannot:
    # copying just those keeps each request's instance its own at a fraction of a deep copy's cost.
    return Cooperative.from_db(
        "default", names, [copy.deepcopy(v) if isinstance(v, list | dict) else v for v in values]
    )


def _host_cooperative(host: str) -> Cooperative | None:
    cooperative = Cooperative.objects.filter(hosts__contains=[host], is_active=True).first()
    seconds = settings.TENANT_HOST_CACHE_SECONDS
    if seconds > 0:
        row = None
        if cooperative is not None:
            names = [field.attname for field in Cooperative._meta.concrete_fields]
            values = (getattr(cooperative, name) for name in names)
            # A file field's value is kept as its name: the FieldFile is bound to this instance.
            row = (names, tuple(v.name if isinstance(v, FieldFile) else copy.deepcopy(v) for v in values))
        _host_cache[host] = (time.monotonic() + seconds, row)
    return cooperative


def forget_hosts(**kwargs: Any) -> None:
    _host_cache.clear()


post_save.connect(forget_hosts, sender=Cooperative, dispatch_uid="tenancy_forget_hosts_on_save")
post_delete.connect(forget_hosts, sender=Cooperative, dispatch_uid="tenancy_forget_hosts_on_delete")


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cooperative, membership = resolve_tenant(request)
        set_request_context(request, cooperative=cooperative, membership=membership)
        with request_scope(request, cooperative):
            return self.get_response(request)


def request_scope(request: HttpRequest, cooperative: Cooperative | None) -> AbstractContextManager[rls.Scope]:
    """The row-level security scope of a request: its cooperative's rows, none without one, and every
    cooperative's only for a superuser in the platform backend (logged)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_superuser and request.path.startswith("/admin/"):
        return rls.platform_scope(f"platform backend: {request.method} {request.path} by user {user.pk}")
    return rls.tenant_scope(cooperative) if cooperative is not None else rls.no_scope()


class CooperativeLanguageMiddleware:
    """The user's explicit choice (language cookie) wins; otherwise the cooperative's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        cooperative = request_context(request).cooperative
        supported = dict(settings.LANGUAGES)
        if chosen not in supported:
            chosen = cooperative.language if cooperative is not None else settings.LANGUAGE_CODE
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class StaffTwoFactorMiddleware:
    """Staff (advisor, finance, admin) and superusers without two-factor see nothing until TOTP is on.

    Not only writes: every page and API answer of such a session, reads included, is refused — a stolen
    password alone must not show a cooperative's invoices, contracts or clients. They reach only the pages
    that set up two-factor (and re-authenticate for it), log out, switch the language, and static files.
    Token requests are gated in `TenantTokenAuthentication`, the token endpoint refuses to issue one.
    """

    ALLOWED_PREFIXES = (
        "/accounts/2fa/",
        "/accounts/reauthenticate/",
        "/accounts/logout/",
        "/accounts/login/",
        "/i18n/",
        "/static/",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(self.ALLOWED_PREFIXES) and user_needs_two_factor(request):
            message = _(
                "Your role sees the cooperative's data: turn on two-factor authentication to continue."
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "two_factor_required": True}, status=403)
            messages.warning(request, message)
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def tenant_context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: the request's cooperative and membership, for every page."""
    context = request_context(request)
    return {
        "cooperative": context.cooperative,
        "membership": context.membership,
        "is_staff_role": capabilities.is_staff(context.membership),
    }
