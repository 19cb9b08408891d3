"""API plumbing: tenant-aware permissions and the one exception handler."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.core.pagination import Pagination
from smartprod.core.permissions import IsAdvisor, IsCooperativeMember, IsFinance, IsStaffRole
from smartprod.core.rows import present_rows
from smartprod.tenancy.context import current_cooperative, current_membership

if TYPE_CHECKING:
    from smartprod.tenancy.models import Cooperative, Membership

__all__ = [
    "PAGE_PARAMETERS",
    "IsAdvisor",
    "IsCooperativeMember",
    "IsFinance",
    "IsStaffRole",
    "exception_handler",
    "page_of",
    "paginated",
    "parse",
    "require_permission",
]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        code: int = status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST
        if isinstance(exc, NotAllowed):
            code = status.HTTP_403_FORBIDDEN
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
    def cooperative(self) -> Cooperative:
        return current_cooperative(self.request)

    @property
    def membership(self) -> Membership:
        return current_membership(self.request)


PAGE_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size: 1 to 500 (default 100)"),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip"),
]


def _messages(errors: Any) -> Iterable[str]:
    if isinstance(errors, dict):
        for field, inner in errors.items():
            for message in _messages(inner):
                yield message if field == "non_field_errors" else f"{field}: {message}"
    elif isinstance(errors, list):
        for inner in errors:
            yield from _messages(inner)
    elif errors:
        yield str(errors)


def parse(serializer_class: type[serializers.Serializer[Any]], data: Any, *, partial: bool = False) -> Any:
    """Validated input, or a 400 in the API's one error shape: {"detail": ..., "details": {field: [...]}}."""
    serializer = serializer_class(data=data, partial=partial)
    if not serializer.is_valid():
        raise ApplicationError(" ".join(_messages(serializer.errors)), details=dict(serializer.errors))
    return serializer.validated_data


def paginated(
    request: Request, view: APIView, queryset: QuerySet[Any], serializer: type[serializers.Serializer[Any]]
) -> Response:
    """One page (LimitOffset: count, next, previous, results) presented by `serializer`'s shape at little
    cost per row (smartprod.core.rows): the count and the page are two queries, whatever the rows."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(present_rows(serializer, page or []))


def page_of(name: str, serializer: type[serializers.Serializer[Any]]) -> Any:
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer(many=True),
        },
    )


def require_permission(request: Request, view: APIView, permission: type[BasePermission]) -> None:
    """A role check made after the lookup: only someone who may see the object learns it exists."""
    checker = permission()
    if not checker.has_permission(request, view):
        view.permission_denied(request, message=getattr(checker, "message", None))
