"""Client-supplied idempotency keys: a request repeated with the same key books once.

A service that creates something a client may send twice (a retried API call, a double-clicked form)
takes an optional `IdempotentRequest` and, inside its own transaction and before it changes anything:

    record = idempotency_claim(cooperative=..., operation="invoicing.payment_record", request=...)
    if record.result_id:
        return <the earlier result, looked up by record.result_id>
    ... create the result ...
    idempotency_complete(record=record, result=payment)

The first request inserts the record; a concurrent one with the same key waits on the unique index until
the first commits (then sees its result) or rolls back (then goes ahead itself). The same key with another
request — other body, other object, other operation — raises IdempotencyConflict (409), never a silent
success. The key is the client's; the request is what the client asked for (parsed body and path ids).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.utils.translation import gettext as _

from smartprod.core.errors import ApplicationError, IdempotencyConflict
from smartprod.core.models import IdempotencyRecord

if TYPE_CHECKING:
    from smartprod.tenancy.models import Cooperative

MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class IdempotentRequest:
    """A client's key and what it asked for under it (JSON-able values: ids, strings, Decimals, dates)."""

    key: str
    request: Mapping[str, Any] = field(default_factory=dict)


def idempotency_key_parse(value: str | None) -> str | None:
    """A key as a client sends it (None or blank: no key). Refuses keys that are too long or not printable."""
    if value is None or not value.strip():
        return None
    key = value.strip()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        message = _("The Idempotency-Key must be at most 255 printable characters.")
        raise ApplicationError(message, details={HEADER: [message]})
    return key


def request_hash(*, operation: str, request: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {"operation": operation, "request": request}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_claim(
    *, cooperative: Cooperative, operation: str, idempotent: IdempotentRequest
) -> IdempotencyRecord:
    """The record of this key, locked until the caller's transaction ends; `result_id` is empty when the
    caller is the first to use the key (and must then call `idempotency_complete` with its result)."""
    if not connection.in_atomic_block:
        raise RuntimeError("idempotency_claim runs inside the service's transaction.")
    key = idempotency_key_parse(idempotent.key)
    if key is None:
        raise ApplicationError(_("An empty idempotency key names nothing."))
    digest = request_hash(operation=operation, request=idempotent.request)
    # ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit or roll back.
    IdempotencyRecord.objects.bulk_create(
        [IdempotencyRecord(cooperative=cooperative, key=key, operation=operation, request_hash=digest)],
        ignore_conflicts=True,
    )
    record = IdempotencyRecord.objects.for_cooperative(cooperative).select_for_update().get(key=key)
    if record.operation != operation or record.request_hash != digest:
        raise IdempotencyConflict(
            _("This idempotency key was already used for another request; send a new key."),
            details={HEADER: [_("Already used for another request.")]},
        )
    return record


def idempotency_complete(*, record: IdempotencyRecord, result: models.Model) -> None:
    """Name the result of the request that claimed the key, in the same transaction that created it."""
    record.result_type = result._meta.label
    record.result_id = str(result.pk)
    record.save(update_fields=["result_type", "result_id"])
