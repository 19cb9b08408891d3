"""The typed request context: the cooperative of a request and the person's membership in it.

Resolved once by `TenantMiddleware` (and again by token authentication for API calls) and stored on the
request, like Zulip's `RequestNotes`, instead of attributes patched onto `HttpRequest`. Everything that
needs the tenant of a request reads it here: views, APIs, the admin, templates (context processor), DRF
permissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from smartprod.core.capabilities import TWO_FACTOR_ROLES

if TYPE_CHECKING:
    from rest_framework.request import Request

    from smartprod.tenancy.models import Cooperative, Membership

_ATTRIBUTE = "_smartprod_request_context"


@dataclass
class RequestContext:
    """The tenant of one request. `membership` is the user's active membership in `cooperative`, if any."""

    cooperative: Cooperative | None = None
    membership: Membership | None = None


def _django_request(request: HttpRequest | Request) -> HttpRequest:
    # A DRF Request wraps the Django one; the context lives on the Django request, shared by both.
    inner = getattr(request, "_request", None)
    return inner if isinstance(inner, HttpRequest) else request


def request_context(request: HttpRequest | Request) -> RequestContext:
    """The request's context; an empty one (no cooperative, no membership) before the middleware ran."""
    django_request = _django_request(request)
    context = django_request.__dict__.get(_ATTRIBUTE)
    if context is None:
        context = RequestContext()
        django_request.__dict__[_ATTRIBUTE] = context
    assert isinstance(context, RequestContext)
    return context


def set_request_context(
    request: HttpRequest | Request, *, cooperative: Cooperative | None, membership: Membership | None
) -> RequestContext:
    context = RequestContext(cooperative=cooperative, membership=membership)
    _django_request(request).__dict__[_ATTRIBUTE] = context
    return context


def current_cooperative(request: HttpRequest | Request) -> Cooperative:
    """The request's cooperative; none (unknown host, no single membership): 404."""
    cooperative = request_context(request).cooperative
    if cooperative is None:
        raise Http404(_("No cooperative answers on this address."))
    return cooperative


def current_membership(request: HttpRequest | Request) -> Membership:
    """The person's active membership in the request's cooperative; without one: 404."""
    membership = request_context(request).membership
    if membership is None:
        raise Http404(_("No membership in this cooperative."))
    return membership


def require_membership(request: HttpRequest | Request) -> tuple[Cooperative, Membership]:
    """The cooperative of the request and the person's membership in it; without one: 404."""
    context = request_context(request)
    if context.cooperative is None or context.membership is None:
        raise Http404(_("No membership in this cooperative."))
    return context.cooperative, context.membership


def user_needs_two_factor(request: HttpRequest) -> bool:
    """Staff (advisor, finance, admin) and superusers must have TOTP on before they see anything as staff."""
    user = request.user
    if not user.is_authenticated:
        return False
    return membership_needs_two_factor(user, request_context(request).membership)


def membership_needs_two_factor(user: Any, membership: Membership | None) -> bool:
    """True for a superuser or a staff membership whose user has not turned on two-factor yet."""
    from allauth.mfa.utils import is_mfa_enabled

    privileged = user.is_superuser or (membership is not None and membership.role in TWO_FACTOR_ROLES)
    if not privileged:
        return False
    # Asked by the token authentication and again by the permission check: one query per request (the
    # user object lives as long as the request).
    enabled = getattr(user, "_smartprod_mfa_enabled", None)
    if enabled is None:
        enabled = is_mfa_enabled(user)
        user._smartprod_mfa_enabled = enabled
    return not enabled
