"""Tenant-aware DRF permissions (kept apart from api.py: DRF imports these while it initialises)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from smartprod.core.capabilities import FINANCE_ROLES, REVIEWER_ROLES, STAFF_ROLES
from smartprod.tenancy.context import request_context, user_needs_two_factor

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class IsCooperativeMember(permissions.BasePermission):
    """Authenticated and an active member (any role) of the request's cooperative."""

    message = _("You are not a member of this cooperative.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(
            request.user
            and request.user.is_authenticated
            and request_context(request).cooperative is not None
            and request_context(request).membership is not None
        )


def _roles_permission(*roles: str) -> type[permissions.BasePermission]:
    class HasRole(IsCooperativeMember):
        message = _("Your role in this cooperative may not do this.")

        def has_permission(self, request: Request, view: APIView) -> bool:
            if not super().has_permission(request, view):
                return False
            membership = request_context(request).membership
            if membership is None or membership.role not in roles:
                return False
            if user_needs_two_factor(request._request):
                self.message = _("Turn on two-factor authentication to use finance and admin functions.")
                return False
            return True

    HasRole.__name__ = "HasRole_" + "_".join(roles)
    return HasRole


IsStaffRole = _roles_permission(*STAFF_ROLES)
IsFinance = _roles_permission(*FINANCE_ROLES)
IsAdvisor = _roles_permission(*REVIEWER_ROLES)


class ApiDocsPermission(permissions.BasePermission):
    """The schema and the docs page: public only where `API_DOCS_PUBLIC` says so (not in production)."""

    message = _("Sign in to read the API documentation.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(settings.API_DOCS_PUBLIC or (request.user and request.user.is_authenticated))
