from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A broken business rule. One handler turns it into a form error, an API 400/409 or an admin message.

    `conflict=True` marks a rule broken by the current state of the world (already issued, already paid),
    answered with 409; otherwise the input was wrong, answered with 400.
    """

    def __init__(
        self, message: str, *, details: dict[str, Any] | None = None, conflict: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.conflict = conflict


class IdempotencyConflict(ApplicationError):
    """An idempotency key seen before came back with other content: never a silent success (answered 409).

    A replay with the same content returns the earlier result; this is the other case — two different
    requests (or ledger postings) under one key, of which at most one can be what the key names.
    """

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details, conflict=True)


class NotAllowed(ApplicationError):
    """The actor's role may not do this (a capability said no): answered 403, shown as a message."""


class TenantScopeError(RuntimeError):
    """A tenant-owned table was queried without naming the cooperative: fail closed, never return all rows."""


def status_in_sentence(label: object) -> str:
    """A status label placed inside a sentence: lower-cased in English ("this project is draft"), kept as it
    is in German, where the status words are nouns ("hat den Status „Entwurf“")."""
    from django.utils.translation import get_language

    text = str(label)
    return text if (get_language() or "en").startswith("de") else text.lower()
