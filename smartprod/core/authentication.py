from __future__ import annotations

from typing import Any

from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from smartprod.core.tenancy import resolve_tenant


class TenantTokenAuthentication(TokenAuthentication):
    """Token auth happens after the middleware resolved the tenant for an anonymous user: resolve again."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            django_request = request._request
            django_request.user = result[0]
            django_request.cooperative, django_request.membership = resolve_tenant(django_request)  # type: ignore[attr-defined]
        return result
