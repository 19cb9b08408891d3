"""Documents: render → store → send once → sweep, for every app's documents (invoice, dunning letter, fee
note, payslip).

An app describes a kind of document by subclassing `DocumentKind` (how to render its PDF bytes, where to
store it, whom to mail, which fields hold pdf / sha256 / rendered_at / sent_at / attempts / error) and
registers an instance in `document_kinds` from its `AppConfig.ready()`; the kernel never imports the apps.
The generic steps below do the rest, each safe to run twice:

* `document_render`: under a row lock, once — a stored PDF is kept (no-op once rendered); the bytes go
  through Django's storage API and their SHA-256 is kept; the send is queued after commit.
* `document_send`: under a row lock, once — `sent_at` is set in the same transaction that sent the mail,
  so a second (concurrent) call waits for the lock, then finds it set and sends nothing.
* failures: each is counted in `attempts` with its message in `error` (visible to staff) in a transaction
  of its own, and re-raised; tasks retry transient errors with backoff and do not retry
  `PermanentDocumentError` (the data is wrong: retrying fails the same way).
* `document_sweep`: from the database, queues the render or the send that a lost task or a crashed worker
  left undone, until the attempts run out (then staff restart it after fixing the cause).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import smtplib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F, Q, QuerySet
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from smartprod.core.models import TenantModel
from smartprod.core.registry import Registry
from smartprod.core.rls import platform_scope
from smartprod.core.rows import ModelStatement

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=TenantModel)


class PermanentDocumentError(Exception):
    """The document cannot be built from this data (e.g. EN 16931 rules broken): retrying the same data
    fails the same way, so tasks do not retry it; staff see the message in the kind's error field."""


class DocumentIntegrityError(RuntimeError):
    """The stored PDF is not the one rendered (its SHA-256 differs)."""


# Options for the Celery tasks that run the steps: transient failures (database, storage, SMTP 4xx) retry
# with exponential backoff, at most 5 times and never longer than 10 minutes apart (no ETA near the
# broker's visibility timeout); what still fails is picked up by the sweep, from the database, until the
# attempts run out. A permanent error or a document that is not there is not retried.
DOCUMENT_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (Exception,),
    "dont_autoretry_for": (PermanentDocumentError, ObjectDoesNotExist),
    "max_retries": 5,
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
}


def _permanent_mail_error(exc: Exception) -> bool:
    """The mail server refused with a 5xx reply, a permanent negative completion (RFC 5321 § 4.2.1): the
    same mail to the same address fails the same way, so it is not retried (a 4xx reply is)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


@dataclass(frozen=True)
class DocumentFields:
    """Which model fields hold a document's state. `sha256`, `rendered_at` and `sent_to` may be None for
    a model without them."""

    pdf: str = "pdf"
    sha256: str | None = "pdf_sha256"
    rendered_at: str | None = "pdf_rendered_at"
    sent_at: str = "email_sent_at"
    sent_to: str | None = "email_sent_to"
    attempts: str = "document_attempts"
    error: str = "document_error"


@dataclass(frozen=True)
class SweepResult:
    render_ids: list[tuple[int, int]]
    email_ids: list[tuple[int, int]]


class DocumentKind(Generic[M]):
    """A kind of document. Subclass it, fill in the hooks, register one instance in `document_kinds`."""

    code: ClassVar[str]
    model: type[M]
    fields: ClassVar[DocumentFields] = DocumentFields()
    # After this many failed attempts at the current step the sweep stops re-enqueueing it.
    max_attempts: ClassVar[int] = 5
    # False: the send waits for the render (which queues it). True: the send renders first, in the same
    # transaction (a letter whose contents are fixed when it goes out).
    render_on_send: ClassVar[bool] = False
    # True: `attempts` counts the failures of the current step (a success clears it). False: it counts
    # every attempt to send, the successful one included.
    reset_attempts_on_success: ClassVar[bool] = True
    # What `error` says when there is nobody to mail (the document is stored, not sent, not retried).
    no_recipient_error: ClassVar[str] = "no e-mail address"
    # The on-commit task of a fresh document is normally still on its way: the sweep leaves it this long
    # (None: the setting DOCUMENT_STUCK_AFTER_SECONDS). A document older than that is "stuck".
    sweep_grace: ClassVar[timedelta | None] = None
    # How often the sweep of this kind runs (None: the setting DOCUMENT_SWEEP_INTERVAL_SECONDS).
    sweep_interval: ClassVar[timedelta | None] = None
    sweep_batch: ClassVar[int] = 500
    # The lock query, compiled on the first `locked` call (per instance).
    _lock_query: _LockQuery[M] | None = None

    # --- hooks -------------------------------------------------------------------------------------

    def queryset(self, cooperative_id: int) -> QuerySet[M]:
        """The cooperative's documents of this kind, with what render and send read (select_related)."""
        raise NotImplementedError

    def check_renderable(self, obj: M) -> None:
        """Raise PermanentDocumentError when this object has no document (e.g. not issued)."""

    def skip_reason(self, obj: M) -> str:
        """Why the document is not to be sent now (recorded in `error`, nothing raised); '' to send."""
        return ""

    def render(self, obj: M) -> bytes:
        """The PDF bytes."""
        raise NotImplementedError

    def storage_name(self, obj: M) -> str:
        """Where the PDF is stored (a name in the model field's storage)."""
        raise NotImplementedError

    def store(self, obj: M, pdf: bytes) -> str:
        """Store the PDF; returns the storage name (override to change how, e.g. in tests)."""
        return store_pdf(self, obj, pdf)

    def recipients(self, obj: M) -> list[str]:
        """The addresses to mail; [] when there is nobody (then `no_recipient_error` is recorded)."""
        raise NotImplementedError

    def message(self, obj: M, pdf: bytes) -> EmailMessage:
        """The e-mail with the PDF attached (to: `recipients(obj)`)."""
        raise NotImplementedError

    def after_render(self, obj: M) -> None:
        """Inside the render's transaction, after the fields are saved (e.g. an audit row)."""

    def after_send(self, obj: M) -> None:
        """Inside the send's transaction, after `sent_at` is saved (e.g. an audit row)."""

    def enqueue_render(self, cooperative_id: int, object_id: int) -> None:
        """Queue the render task after commit."""
        raise NotImplementedError

    def enqueue_send(self, cooperative_id: int, object_id: int) -> None:
        """Queue the send task after commit."""
        raise NotImplementedError

    def sweep_queryset(self, cutoff: datetime) -> QuerySet[M]:
        """Across all cooperatives (the sweep narrows it to one when asked): the documents that should be
        rendered or sent by now (e.g. issued before `cutoff`), oldest first."""
        raise NotImplementedError

    def has_recipient(self) -> Q:
        """The documents with somebody to mail (the sweep queues no send for the others)."""
        return Q()

    # --- derived ---------------------------------------------------------------------------------------

    def stuck_after(self) -> timedelta:
        """How old an unrendered or unsent document is when the sweep takes it over."""
        if self.sweep_grace is not None:
            return self.sweep_grace
        return timedelta(seconds=settings.DOCUMENT_STUCK_AFTER_SECONDS)

    def sweep_every(self) -> timedelta:
        if self.sweep_interval is not None:
            return self.sweep_interval
        return timedelta(seconds=settings.DOCUMENT_SWEEP_INTERVAL_SECONDS)

    def is_rendered(self, obj: M) -> bool:
        stored = bool(getattr(obj, self.fields.pdf))
        if self.fields.sha256 is not None:
            stored = stored and bool(getattr(obj, self.fields.sha256))
        return stored

    def unrendered(self) -> Q:
        unrendered = Q(**{self.fields.pdf: ""})
        if self.fields.sha256 is not None:
            unrendered |= Q(**{self.fields.sha256: ""})
        return unrendered

    @property
    def missing(self) -> type[ObjectDoesNotExist]:
        """The model's DoesNotExist: a document that is not there (or is another cooperative's) is raised
        as it is, not recorded as a failed attempt."""
        missing: type[ObjectDoesNotExist] = self.model.DoesNotExist
        return missing

    def locked(self, cooperative_id: int, object_id: int) -> M:
        """The object with what `queryset` selects, its row locked (FOR UPDATE OF its own table)."""
        if self._lock_query is None:
            self._lock_query = _LockQuery(self)
        return self._lock_query.get(cooperative_id, object_id)

    def __repr__(self) -> str:
        return f"<DocumentKind {self.code}>"


# Stand for the cooperative's and the object's id while a lock query is compiled (no real id is negative).
_COOPERATIVE_SENTINEL, _OBJECT_SENTINEL = -918_273_645, -546_372_819


class _LockQuery(Generic[M]):
    """A kind's lock query (`queryset(cooperative_id)`, FOR UPDATE OF its own row, by primary key), compiled
    once and run as a prepared statement of each connection (smartprod.core.rows.ModelStatement).

    Compiling the invoice's lock (five tables, ~150 columns) took the ORM ~0.9 ms and PostgreSQL planned its
    joins under row-level security for ~1 ms, of a query that runs in ~0.4 ms (issue 12, bench/README-figures
    A). Built on the first call, inside the render's transaction (Django compiles FOR UPDATE only there).
    """

    def __init__(self, kind: DocumentKind[M]) -> None:
        queryset = kind.queryset(_COOPERATIVE_SENTINEL).select_for_update(of=("self",))
        self.models = ModelStatement(
            queryset.filter(pk=_OBJECT_SENTINEL).order_by(),
            {"cooperative_id": _COOPERATIVE_SENTINEL, "object_id": _OBJECT_SENTINEL},
            ["cooperative_id", "object_id"],
        )
        self.model = queryset.model

    def get(self, cooperative_id: int, object_id: int) -> M:
        if connections[DEFAULT_DB_ALIAS].get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        found = self.models.all({"cooperative_id": cooperative_id, "object_id": object_id})
        if not found:
            raise self.model.DoesNotExist(f"{self.model._meta.object_name} matching query does not exist.")
        if len(found) > 1:
            raise self.model.MultipleObjectsReturned(
                f"{len(found)} {self.model._meta.object_name} rows locked."
            )
        return found[0]


document_kinds: Registry[DocumentKind[Any]] = Registry("document kinds")


def document_kind(code: str) -> DocumentKind[Any]:
    for kind in document_kinds:
        if kind.code == code:
            return kind
    raise LookupError(f"Unknown document kind {code!r}: register it in the app's ready().")


# --- the steps ----------------------------------------------------------------------------------------


def store_pdf(kind: DocumentKind[M], obj: M, pdf: bytes) -> str:
    """Write the PDF under `kind.storage_name(obj)` through the field's storage; returns the name.

    A file left there by an attempt whose transaction rolled back is replaced; a file another document of
    this kind points to (two names that sanitise alike) is never touched: the storage picks a free name.
    """
    storage = getattr(obj, kind.fields.pdf).storage
    name = kind.storage_name(obj)
    if storage.exists(name):
        taken = (
            kind.queryset(obj.cooperative_id).filter(**{kind.fields.pdf: name}).exclude(pk=obj.pk).exists()
        )
        if not taken:
            storage.delete(name)
    return str(storage.save(name, ContentFile(pdf)))


def _record_failure(kind: DocumentKind[M], cooperative_id: int, object_id: int, exc: BaseException) -> None:
    """Count a failed attempt and keep its message for staff, in its own transaction (the work's rolled
    back). Never raises: the original error is what the caller must see."""
    fields = kind.fields
    message = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        with transaction.atomic():
            kind.queryset(cooperative_id).filter(pk=object_id, **{f"{fields.sent_at}__isnull": True}).update(
                **{fields.attempts: F(fields.attempts) + 1, fields.error: message}
            )
    except Exception:
        logger.exception("Could not record the failure of %s %s", kind.code, object_id)


_pause_lock = threading.Lock()
_pause = {"depth": 0, "resume": False}


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the block, then one young-generation collection.

    A render allocates tens of thousands of container objects (WeasyPrint's boxes and styles, the ORM's
    rows) that live until the print is written, so the collector's automatic passes during it (every 700
    net allocations, each tenth also walking the older survivors) keep walking objects that are not
    garbage: ~2 ms of an invoice (issue 12, bench/README-figures A). Most of them are freed by their
    reference counts when the render ends; the one collection of the young generation at the end frees
    what is left in cycles, so memory does not grow. Process-wide (the collector has no per-thread
    switch): threads that overlap share one pause, the last to leave ends it; a collector that was off
    before stays off.
    """
    with _pause_lock:
        if _pause["depth"] == 0:
            _pause["resume"] = gc.isenabled()
            gc.disable()
        _pause["depth"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause["depth"] -= 1
            resume = _pause["depth"] == 0 and _pause["resume"]
            if resume:
                gc.enable()
        if resume:
            gc.collect(0)


def _render_and_store(kind: DocumentKind[M], obj: M) -> list[str]:
    """Render, store and hash the PDF onto `obj`; returns the fields to save."""
    fields = kind.fields
    pdf = kind.render(obj)
    getattr(obj, fields.pdf).name = kind.store(obj, pdf)
    changed = [fields.pdf]
    if fields.sha256 is not None:
        setattr(obj, fields.sha256, hashlib.sha256(pdf).hexdigest())
        changed.append(fields.sha256)
    if fields.rendered_at is not None:
        setattr(obj, fields.rendered_at, timezone.now())
        changed.append(fields.rendered_at)
    return changed


def document_render(kind: DocumentKind[M], *, cooperative_id: int, object_id: int) -> M:
    """Render and store the document once, then queue its send after commit. A stored PDF is kept.

    The row is locked for the render, so two workers never render the same document twice. A failure
    is counted in `attempts` with its message in `error` and re-raised. The cyclic garbage collector is
    paused meanwhile (`collector_paused`).
    """
    try:
        with collector_paused(), transaction.atomic():
            obj = kind.locked(cooperative_id, object_id)
            kind.check_renderable(obj)
            if kind.is_rendered(obj):
                return obj
            changed = _render_and_store(kind, obj)
            setattr(obj, kind.fields.attempts, 0)  # counts the failures of the current step: the send's next
            setattr(obj, kind.fields.error, "")
            obj.save(update_fields=[*changed, kind.fields.attempts, kind.fields.error])
            kind.after_render(obj)
            kind.enqueue_send(cooperative_id, object_id)
            return obj
    except kind.missing:
        raise
    except Exception as exc:
        _record_failure(kind, cooperative_id, object_id, exc)
        raise


def document_bytes(kind: DocumentKind[M], obj: M) -> bytes | None:
    """The stored PDF, checked against the SHA-256 taken at render; None while not rendered."""
    if not kind.is_rendered(obj):
        return None
    with getattr(obj, kind.fields.pdf).open("rb") as handle:
        data = bytes(handle.read())
    sha256 = kind.fields.sha256
    if sha256 is not None and hashlib.sha256(data).hexdigest() != getattr(obj, sha256):
        raise DocumentIntegrityError(f"The stored PDF of {kind.code} {obj.pk} does not match its SHA-256.")
    return data


def document_send(kind: DocumentKind[M], *, cooperative_id: int, object_id: int) -> M:
    """Mail the stored PDF once: sets `sent_at` (and `sent_to`) in the transaction that sent it.

    Does nothing when already sent, or not rendered yet (unless the kind renders on send). A reason not to
    send (`skip_reason`) or nobody to mail is recorded in `error` without raising. A failure is counted and
    re-raised, so the task retries — a mail server's permanent refusal (5xx) as PermanentDocumentError,
    which tasks do not retry.
    """
    try:
        return _send(kind, cooperative_id, object_id)
    except kind.missing:
        raise
    except Exception as exc:
        _record_failure(kind, cooperative_id, object_id, exc)
        if _permanent_mail_error(exc):
            raise PermanentDocumentError(f"{type(exc).__name__}: {exc}") from exc
        raise


@transaction.atomic(durable=True)
def _send(kind: DocumentKind[M], cooperative_id: int, object_id: int) -> M:
    fields = kind.fields
    obj = kind.locked(cooperative_id, object_id)
    if getattr(obj, fields.sent_at) is not None:
        return obj
    reason = kind.skip_reason(obj)
    if reason:
        setattr(obj, fields.error, reason)
        obj.save(update_fields=[fields.error])
        return obj
    changed: list[str] = []
    if not kind.is_rendered(obj):
        if not kind.render_on_send:
            logger.info("%s %s is not rendered yet; its render queues the send", kind.code, object_id)
            return obj
        kind.check_renderable(obj)
        changed = _render_and_store(kind, obj)
    recipients = kind.recipients(obj)
    if not recipients:
        setattr(obj, fields.error, kind.no_recipient_error)
        obj.save(update_fields=[*changed, fields.error])
        return obj
    pdf = document_bytes(kind, obj)
    assert pdf is not None
    message = kind.message(obj, pdf)
    message.to = recipients
    # Trade-off: the mail goes out while this transaction holds the row lock, so two workers can never
    # both send (the second waits, then sees sent_at). The price: a crash between the SMTP server
    # accepting the mail and the COMMIT rolls back sent_at, and the retry sends a second time. Sending
    # after commit instead would risk the opposite — a document marked sent that never left — which is
    # worse for a client who must pay it.
    message.send(fail_silently=False)
    setattr(obj, fields.sent_at, timezone.now())
    changed.append(fields.sent_at)
    if fields.sent_to is not None:
        setattr(obj, fields.sent_to, ", ".join(recipients))
        changed.append(fields.sent_to)
    if kind.reset_attempts_on_success:
        setattr(obj, fields.attempts, 0)
    else:
        setattr(obj, fields.attempts, getattr(obj, fields.attempts) + 1)
    setattr(obj, fields.error, "")
    obj.save(update_fields=[*changed, fields.attempts, fields.error])
    kind.after_send(obj)
    return obj


def document_sweep(
    kind: DocumentKind[M],
    *,
    now: datetime | None = None,
    grace: timedelta | None = None,
    cooperative_id: int | None = None,
) -> SweepResult:
    """Queue the render or the send of documents a lost task or a crashed worker left undone (all
    cooperatives, or one). Both steps are idempotent, so queueing one that is still on its way costs a
    no-op; the grace period keeps the sweep from racing a fresh document's own task."""
    fields = kind.fields
    cutoff = (now or timezone.now()) - (kind.stuck_after() if grace is None else grace)
    unsent = Q(**{f"{fields.sent_at}__isnull": True}) & kind.has_recipient()
    pending = kind.sweep_queryset(cutoff).filter(
        Q(**{f"{fields.attempts}__lt": kind.max_attempts}) & (kind.unrendered() | unsent)
    )
    if cooperative_id is not None:
        pending = pending.filter(cooperative_id=cooperative_id)
    columns = ("cooperative_id", "pk", fields.pdf, fields.sha256 or fields.pdf)
    with platform_scope(f"{kind.code} document sweep: due work of every cooperative"):
        rows = list(pending.values_list(*columns)[: kind.sweep_batch])
    result = SweepResult(render_ids=[], email_ids=[])
    for coop_id, object_id, pdf, sha in rows:
        if (pdf and sha) or kind.render_on_send:
            result.email_ids.append((coop_id, object_id))
            kind.enqueue_send(coop_id, object_id)
        else:
            result.render_ids.append((coop_id, object_id))
            kind.enqueue_render(coop_id, object_id)
    if rows:
        logger.info(
            "%s sweep queued %s renders and %s sends",
            kind.code,
            len(result.render_ids),
            len(result.email_ids),
        )
    return result


@dataclass(frozen=True)
class StuckDocument:
    kind: DocumentKind[Any]
    obj: Any
    since: datetime  # stuck since at least this long ago: older than the sweep's grace and one more sweep
    attempts: int
    error: str
    step: str  # "render" or "send"


def documents_stuck(*, cooperative_id: int, now: datetime | None = None) -> list[StuckDocument]:
    """The cooperative's documents still not rendered or not sent (with somebody to mail) longer than the
    sweep should have taken: older than the kind's "stuck" age plus one sweep interval — a sweep has had
    its turn and they are still there (attempts run out, a worker lost, the data cannot render)."""
    now = now or timezone.now()
    found: list[StuckDocument] = []
    for kind in document_kinds:
        fields = kind.fields
        cutoff = now - kind.stuck_after() - kind.sweep_every()
        unsent = Q(**{f"{fields.sent_at}__isnull": True}) & kind.has_recipient()
        rows = (
            kind.sweep_queryset(cutoff)
            .filter(cooperative_id=cooperative_id)
            .filter(kind.unrendered() | unsent)
        )
        for obj in rows[: kind.sweep_batch]:
            found.append(
                StuckDocument(
                    kind=kind,
                    obj=obj,
                    since=cutoff,
                    attempts=getattr(obj, fields.attempts),
                    error=getattr(obj, fields.error),
                    step="send" if kind.is_rendered(obj) or kind.render_on_send else "render",
                )
            )
    return found


def document_restart(kind: DocumentKind[M], obj: M) -> M:
    """Start a document over after its attempts ran out (and the cause is fixed): clear the counter and
    the error and queue the missing step. Call inside the caller's transaction, `obj` locked."""
    setattr(obj, kind.fields.attempts, 0)
    setattr(obj, kind.fields.error, "")
    obj.save(update_fields=[kind.fields.attempts, kind.fields.error])
    cooperative_id = obj.cooperative_id
    if kind.is_rendered(obj) or kind.render_on_send:
        kind.enqueue_send(cooperative_id, obj.pk)
    else:
        kind.enqueue_render(cooperative_id, obj.pk)
    return obj
