from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from smartprod.core import rls
from smartprod.core.tokens import api_token_check
from smartprod.tenancy.context import membership_needs_two_factor, request_context, set_request_context
from smartprod.tenancy.middleware import resolve_tenant
from smartprod.tenancy.models import Membership


class TenantTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` against the hashed, expiring `ApiToken`s (smartprod/core/tokens.py).

    Token auth happens after the middleware resolved the tenant for an anonymous user: resolve again.
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token, reason = api_token_check(key)
        if token is None:
            messages = {
                "expired": _("The token has expired; ask for a new one."),
                "revoked": _("The token was revoked (password or role changed); ask for a new one."),
            }
            raise exceptions.AuthenticationFailed(messages.get(reason, _("Invalid token.")))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            django_request = request._request
            django_request.user = result[0]
            cooperative = request_context(django_request).cooperative
            if cooperative is not None:
                # The host's cooperative, found by the middleware: the membership in it, active, among the
                # person's memberships the token check read for the fingerprint (no query).
                membership = next(
                    (
                        m
                        for m in result[1].memberships
                        if m.cooperative_id == cooperative.pk and m.status == Membership.Status.ACTIVE
                    ),
                    None,
                )
            else:
                cooperative, membership = resolve_tenant(django_request)
            set_request_context(django_request, cooperative=cooperative, membership=membership)
            rls.switch_tenant(cooperative)  # inside the middleware's scope, which restores it at the end
            if membership_needs_two_factor(result[0], membership):
                raise exceptions.AuthenticationFailed(
                    _("Turn on two-factor authentication (Security page) to use the API with your role.")
                )
        return result
