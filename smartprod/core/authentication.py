from __future__ import annotations

from typing import Any

from rest_framework.authentication import TokenAuthentication
from rest_framework.request import Request

from smartprod.core import rls
from smartprod.tenancy.context import set_request_context
from smartprod.tenancy.middleware import resolve_tenant


class TenantTokenAuthentication(TokenAuthentication):
    """Token auth happens after the middleware resolved the tenant for an anonymous user: resolve again."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None:
            django_request = request._request
            django_request.user = result[0]
            cooperative, membership = resolve_tenant(django_request)
            set_request_context(django_request, cooperative=cooperative, membership=membership)
            rls.switch_tenant(cooperative)  # inside the middleware's scope, which restores it at the end
        return result
