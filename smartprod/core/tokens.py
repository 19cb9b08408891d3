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
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model, QuerySet
from django.utils import timezone

from smartprod.core.models import ApiToken
from smartprod.core.rls import platform_scope
from smartprod.core.rows import Statement
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
    The token, its person and the memberships are one statement (`_token_statement`), in one platform scope:
    one query and one scope switch on the connection for every token request."""
    statement, token_fields, user_fields, membership_fields = _token_statement()
    with platform_scope("API token check: the token and the person's memberships", level=logging.DEBUG):
        rows = statement.execute({"key_hash": _hash(key)})
        if not rows:
            return None, "unknown"
        first, users_at, memberships_at = rows[0], len(token_fields), len(token_fields) + len(user_fields)
        token = ApiToken.from_db(connection.alias, token_fields, first[:users_at])
        if token.expires_at <= timezone.now():
            return None, "expired"
        user = get_user_model().from_db(connection.alias, user_fields, first[users_at:memberships_at])
        token.user = user
        memberships = [
            Membership.from_db(connection.alias, membership_fields, row[memberships_at:])
            for row in rows
            if row[memberships_at] is not None  # the LEFT JOIN's row of a person without memberships
        ]
        if token.fingerprint != _fingerprint(user, memberships):
            token.delete()
            return None, "revoked"
    for membership in memberships:
        membership.user = user  # the same person: no query when a view follows membership.user
    token.memberships = memberships
    return token, ""


@cache
def _token_statement() -> tuple[Statement, list[str], list[str], list[str]]:
    """SELECT token, person, memberships (every cooperative, by id) WHERE the key's hash — written once per
    process from the models' columns (compiling two ORM queries per request was most of a token request's
    Python time), prepared once per connection (smartprod.core.rows.Statement: PostgreSQL plans the
    three-table join once). The models must need no conversion of their database values (checked here,
    loudly)."""
    user_model = get_user_model()
    models: list[type[Model]] = [ApiToken, user_model, Membership]
    for model in models:
        for field in model._meta.concrete_fields:
            if field.get_db_converters(connection) or hasattr(field, "from_db_value"):
                raise RuntimeError(f"{model.__name__}.{field.name} needs a converter: read it with the ORM")
    quote = connection.ops.quote_name

    def column(model: type[Model], name: str) -> str:
        return str(quote(str(getattr(model._meta.get_field(name), "column", name))))

    def columns(model: type[Model], alias: str) -> tuple[list[str], str]:
        fields = [field.attname for field in model._meta.concrete_fields]
        return fields, ", ".join(
            f"{alias}.{column(model, field.name)}" for field in model._meta.concrete_fields
        )

    token_fields, token_sql = columns(ApiToken, "t")
    user_fields, user_sql = columns(user_model, "u")
    membership_fields, membership_sql = columns(Membership, "m")
    tables = {model: quote(model._meta.db_table) for model in models}
    user_pk, membership_pk = column(user_model, "id"), column(Membership, "id")
    token_user, membership_user = column(ApiToken, "user"), column(Membership, "user")
    key_hash = column(ApiToken, "key_hash")
    # Names from the models' metadata, quoted; the key's hash is a parameter (hence the S608 noqa).
    sql = (
        f"SELECT {token_sql}, {user_sql}, {membership_sql} FROM {tables[ApiToken]} t "  # noqa: S608
        f"JOIN {tables[user_model]} u ON u.{user_pk} = t.{token_user} "
        f"LEFT JOIN {tables[Membership]} m ON m.{membership_user} = u.{user_pk} "
        f"WHERE t.{key_hash} = %s ORDER BY m.{membership_pk}"
    )
    statement = Statement(sql, [_KEY_HASH_SENTINEL], {"key_hash": _KEY_HASH_SENTINEL}, ["key_hash"])
    return statement, token_fields, user_fields, membership_fields


_KEY_HASH_SENTINEL = "key hash of the token check"  # no SHA-256 hex digest looks like it


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
