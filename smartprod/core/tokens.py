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
        return _fingerprint(user, _memberships(user))


def _memberships(user: Any) -> list[Membership]:
    """The person's memberships in every cooperative (call inside the platform scope)."""
    return list(Membership.objects.all_cooperatives().filter(user=user).order_by("pk"))


def _fingerprint(user: Any, memberships: list[Membership]) -> str:
    parts = sorted(f"{m.cooperative_id}:{m.role}:{m.status}" for m in memberships)
    return _hash(user.get_session_auth_hash() + "|" + ",".join(parts))


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
    """The token of a clear key and '' if valid; else None and why: unknown, expired or revoked.

    A valid token carries the person's memberships in every cooperative as `token.memberships` (read once
    for the fingerprint; token authentication picks the host cooperative's from them, no second query).
    The token and the memberships are read in one platform scope: one scope switch on the connection."""
    with platform_scope("API token check: the token and the person's memberships", level=logging.DEBUG):
        token = ApiToken.objects.select_related("user").filter(key_hash=_hash(key)).first()
        if token is None:
            return None, "unknown"
        if token.expires_at <= timezone.now():
            return None, "expired"
        memberships = _memberships(token.user)
        if token.fingerprint != _fingerprint(token.user, memberships):
            token.delete()
            return None, "revoked"
    for membership in memberships:
        membership.user = token.user  # the same person: no query when a view follows membership.user
    token.memberships = memberships
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
