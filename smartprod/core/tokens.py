"""API tokens: issued once in clear, stored as SHA-256, expiring, revoked by password and role changes.

A token is 40 random hex characters (160 bits), so a plain SHA-256 is enough to store it: nobody can guess
a token from its hash, and the lookup stays one indexed query. Authentication never writes: the lifetime
is fixed at issue (`API_TOKEN_LIFETIME_DAYS`), and revocation by a password or role change is detected by
comparing the token's fingerprint with the person's current one (the stale row is deleted then).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from smartprod.core.models import ApiToken
from smartprod.core.rls import platform_scope
from smartprod.tenancy.models import Membership


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def user_fingerprint(user: Any) -> str:
    """Changes when the password or any membership's role or status changes.

    The person's memberships in every cooperative are read on the platform path (row-level security would
    show only the host's cooperative): a role change anywhere revokes the person's tokens."""
    with platform_scope("API token fingerprint: the person's memberships", level=logging.DEBUG):
        memberships = sorted(
            f"{cooperative_id}:{role}:{status}"
            for cooperative_id, role, status in Membership.objects.all_cooperatives()
            .filter(user=user)
            .values_list("cooperative_id", "role", "status")
        )
    return _hash(user.get_session_auth_hash() + "|" + ",".join(memberships))


def api_token_create(*, user: Any) -> str:
    """Issue a token; the clear value is returned once and never stored."""
    key = secrets.token_hex(20)
    ApiToken.objects.create(
        user=user,
        key_hash=_hash(key),
        prefix=key[:8],
        fingerprint=user_fingerprint(user),
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_LIFETIME_DAYS),
    )
    return key


def api_token_check(key: str) -> tuple[ApiToken | None, str]:
    """The token of a clear key and '' if valid; else None and why: unknown, expired or revoked."""
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(key)).first()
    if token is None:
        return None, "unknown"
    if token.expires_at <= timezone.now():
        return None, "expired"
    if token.fingerprint != user_fingerprint(token.user):
        token.delete()
        return None, "revoked"
    return token, ""


def api_token_list(*, user: Any) -> QuerySet[ApiToken]:
    """The person's valid tokens (stale ones — revoked by a password or role change, expired — removed)."""
    current = user_fingerprint(user)
    ApiToken.objects.filter(user=user).exclude(fingerprint=current, expires_at__gt=timezone.now()).delete()
    return ApiToken.objects.filter(user=user)


def api_token_revoke(*, user: Any, token_id: int) -> None:
    """Revoke one of the person's own tokens; another person's answers DoesNotExist (404)."""
    ApiToken.objects.filter(user=user).get(pk=token_id).delete()


def api_tokens_revoke_all(*, user: Any) -> int:
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted
