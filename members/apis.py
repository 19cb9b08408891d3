from __future__ import annotations

import logging
from typing import Any

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import authenticate
from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.adapters import login_attempts_key
from smartprod.core import rls
from smartprod.core.capabilities import TWO_FACTOR_ROLES
from smartprod.core.models import ApiToken
from smartprod.core.tokens import api_token_create, api_token_list, api_token_revoke
from smartprod.tenancy.context import request_context
from smartprod.tenancy.models import Membership


class TokenObtainApi(APIView):
    """Exchange e-mail + password (+ the current TOTP code for two-factor users) for an API token."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer[Any]):
        email = serializers.EmailField()
        password = serializers.CharField(trim_whitespace=False)
        otp = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].strip().lower()
        attempts_key = login_attempts_key(email)
        django_request = request._request
        # The same counters as the login form on every host: failed attempts per address, attempts per IP.
        if not ratelimit.consume(django_request, action="login", key=None) or not ratelimit.consume(
            django_request, action="login_failed", key=attempts_key, dry_run=True
        ):
            return Response(
                {
                    "detail": gettext(
                        "Too many failed sign-in attempts for this e-mail address. "
                        "Try again in a few minutes."
                    )
                },
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )

        def refuse(message: str, **extra: Any) -> Response:
            ratelimit.consume(django_request, action="login_failed", key=attempts_key)
            return Response({"detail": message, **extra}, status=status.HTTP_400_BAD_REQUEST)

        user = authenticate(django_request, email=email, password=data.validated_data["password"])
        if user is None or not user.is_active:
            return refuse("E-mail address or password is wrong.")
        if not EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists():
            return refuse("Confirm your e-mail address first.")
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is None and _is_staff_anywhere(user):
            # Staff see a cooperative's data: no token (no API access at all) before two-factor is on.
            ratelimit.clear(django_request, action="login_failed", key=attempts_key)
            return Response(
                {
                    "detail": gettext(
                        "Your role needs two-factor authentication: turn it on under Security "
                        "(/accounts/2fa/) in the browser, then ask for a token with the code."
                    ),
                    "two_factor_required": True,
                },
                status=status.HTTP_403_FORBIDDEN,
            )
        if totp is not None:
            code = data.validated_data.get("otp") or ""
            if not code:
                return Response(
                    {"detail": "Two-factor code required.", "otp_required": True},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            if not TOTP(totp).validate_code(code):
                return refuse("The two-factor code is wrong.", otp_required=True)
        ratelimit.clear(django_request, action="login_failed", key=attempts_key)
        return Response({"token": api_token_create(user=user)})


def _is_staff_anywhere(user: Any) -> bool:
    """A superuser, or staff (advisor, finance, admin) in any cooperative (read on the platform path:
    row-level security would show only the host's cooperative)."""
    if user.is_superuser:
        return True
    with rls.platform_scope("token endpoint: is the person staff anywhere", level=logging.DEBUG):
        return (
            Membership.objects.all_cooperatives()
            .filter(user=user, status=Membership.Status.ACTIVE, role__in=TWO_FACTOR_ROLES)
            .exists()
        )


class MeApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses={
            200: inline_serializer(
                "Me",
                {
                    "email": serializers.EmailField(),
                    "cooperative": serializers.DictField(allow_null=True),
                    "role": serializers.CharField(allow_null=True),
                    "member_number": serializers.IntegerField(allow_null=True),
                    "membership_id": serializers.IntegerField(
                        allow_null=True,
                        help_text="your membership's id: the `payee` other endpoints take",
                    ),
                },
            )
        }
    )
    def get(self, request: Request) -> Response:
        cooperative = request_context(request).cooperative
        membership = request_context(request).membership
        return Response(
            {
                "email": request.user.get_username(),  # the e-mail address: USERNAME_FIELD
                "cooperative": (
                    {
                        "id": cooperative.pk,
                        "slug": cooperative.slug,
                        "name": cooperative.name,
                        "currency": cooperative.currency,
                    }
                    if cooperative
                    else None
                ),
                "role": membership.role if membership else None,
                "member_number": membership.member_number if membership else None,
                "membership_id": membership.pk if membership else None,
            }
        )


class ApiTokenSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    prefix = serializers.CharField(read_only=True, help_text="the token's first characters")
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class ApiTokenListApi(APIView):
    """Your own API tokens (never their value: only its first characters); revoke one with DELETE."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None

    @extend_schema(responses={200: ApiTokenSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(ApiTokenSerializer(api_token_list(user=request.user), many=True).data)


class ApiTokenRevokeApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_id: int) -> Response:
        try:
            api_token_revoke(user=request.user, token_id=token_id)
        except ApiToken.DoesNotExist as exc:
            raise Http404 from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
