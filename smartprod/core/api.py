"""API plumbing: tenant-aware permissions and the one exception handler."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from smartprod.core.errors import ApplicationError
from smartprod.core.permissions import IsAdvisor, IsCooperativeMember, IsFinance, IsStaffRole

__all__ = ["IsAdvisor", "IsCooperativeMember", "IsFinance", "IsStaffRole", "exception_handler"]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        code = status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST
        return Response({"detail": exc.message, "details": exc.details}, status=code)
    if isinstance(exc, ObjectDoesNotExist):
        exc = Http404()  # another cooperative's object does not exist for you
    elif isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


class CooperativeMixin:
    """Gives API views `self.cooperative` and `self.membership` from the request."""

    request: Request

    @property
    def cooperative(self) -> Any:
        return self.request.cooperative  # type: ignore[attr-defined]

    @property
    def membership(self) -> Any:
        return self.request.membership  # type: ignore[attr-defined]
