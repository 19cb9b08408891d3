from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.request import Request

from smartprod.tenancy.context import request_context, set_request_context
from smartprod.tenancy.middleware import resolve_tenant
from smartprod.tenancy.models import Membership


class TenantTokenAuthentication(TokenAuthentication):
    """Token auth happens after the middleware resolved the tenant for an anonymous user: resolve again.

    The common case — the token's user is an active member of the cooperative the middleware found on the
    host — is one query: the membership joined to its user through the token. Anything else (unknown
    token, inactive user, no membership on this host, no cooperative on this host) takes DRF's own token
    lookup and the general `resolve_tenant`, so every answer stays what it was.
    """

    _django_request: HttpRequest | None = None
    _resolved = False

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        self._django_request = request._request  # one authenticator instance per request (DRF)
        self._resolved = False
        result = super().authenticate(request)
        if result is not None and not self._resolved:
            django_request = request._request
            django_request.user = result[0]
            cooperative, membership = resolve_tenant(django_request)
            set_request_context(django_request, cooperative=cooperative, membership=membership)
        return result

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        django_request = self._django_request
        cooperative = request_context(django_request).cooperative if django_request is not None else None
        if django_request is not None and cooperative is not None:
            membership = (
                Membership.objects.for_cooperative(cooperative)
                .filter(user__auth_token__key=key, status=Membership.Status.ACTIVE)
                .select_related("user")
                .first()
            )
            if membership is not None and membership.user.is_active:
                membership.cooperative = cooperative  # the same row the middleware read: no second query
                django_request.user = membership.user
                set_request_context(django_request, cooperative=cooperative, membership=membership)
                self._resolved = True
                return membership.user, Token(key=key, user=membership.user)
        return super().authenticate_credentials(key)
