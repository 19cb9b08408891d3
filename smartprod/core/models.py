"""The tenant-scoped base model and the audit log.

Every tenant-owned row carries a non-null `cooperative`. Its default manager fails closed: a query that
does not name the cooperative raises TenantScopeError instead of quietly returning every tenant's rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from django.conf import settings
from django.db import models
from django.db.models.sql.where import AND, WhereNode
from django.utils.translation import gettext_lazy as _

from smartprod.core.errors import TenantScopeError

if TYPE_CHECKING:
    from smartprod.tenancy.models import Cooperative

_M = TypeVar("_M", bound=models.Model)


def _where_names_cooperative(node: WhereNode) -> bool:
    """True when the WHERE tree is an AND that pins some `cooperative` column to a value (or a set)."""
    if node.connector != AND or node.negated:
        return False
    for child in node.children:
        if isinstance(child, WhereNode):
            if _where_names_cooperative(child):
                return True
            continue
        target = getattr(getattr(child, "lhs", None), "target", None)
        lookup = getattr(child, "lookup_name", None)
        if target is not None and target.name == "cooperative" and lookup in ("exact", "in"):
            return True
    return False


class TenantQuerySet(models.QuerySet[_M]):
    _tenant_unscoped = False

    def for_cooperative(self, cooperative: Cooperative | int) -> Self:
        return self.filter(cooperative=cooperative)

    def all_cooperatives(self) -> Self:
        """The explicit, greppable escape hatch for superuser tools and cross-tenant maintenance jobs."""
        clone: Self = self._chain()  # type: ignore[attr-defined]
        clone._tenant_unscoped = True
        return clone

    def _clone(self) -> Self:
        clone: Self = super()._clone()  # type: ignore[misc]
        clone._tenant_unscoped = self._tenant_unscoped
        return clone

    def _check_scope(self) -> None:
        if self._tenant_unscoped or self._known_related_objects:  # type: ignore[attr-defined]
            # _known_related_objects: the reverse side of a foreign key of an object already in hand.
            return
        if _where_names_cooperative(self.query.where):
            return
        raise TenantScopeError(
            f"{self.model.__name__} is tenant-owned: query it with .for_cooperative(cooperative)."
        )

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def count(self) -> int:
        self._check_scope()
        return super().count()

    def exists(self) -> bool:
        self._check_scope()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._check_scope()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._check_scope()
        return super().delete()

    def iterator(self, chunk_size: int | None = None) -> Any:
        self._check_scope()
        return super().iterator(chunk_size=chunk_size)


class TenantManager(models.Manager[_M]):
    def get_queryset(self) -> TenantQuerySet[_M]:
        return TenantQuerySet(self.model, using=self._db)

    def for_cooperative(self, cooperative: Cooperative | int) -> TenantQuerySet[_M]:
        return self.get_queryset().for_cooperative(cooperative)

    def all_cooperatives(self) -> TenantQuerySet[_M]:
        return self.get_queryset().all_cooperatives()


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-2 codes with their names in the active language (the list django-countries keeps)."""
    from django_countries import countries

    return [(str(code), str(name)) for code, name in countries]


class CountryCodeField(models.CharField[str, str]):
    """A country as its ISO 3166-1 alpha-2 code ("AT"): a choice list, validated; the value is a plain str.

    The list is read when used (names in the reader's language) and not written into migrations, so a new
    release of the list needs no migration.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2)
        kwargs["choices"] = country_choices
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        return name, path, args, kwargs


def money_field(verbose_name: Any = None, **kwargs: Any) -> models.DecimalField[Any, Any]:
    """Money columns: Decimal(20, 2) everywhere, never float."""
    return models.DecimalField(verbose_name, max_digits=20, decimal_places=2, **kwargs)


class TenantModel(models.Model):
    cooperative = models.ForeignKey(
        settings.TENANT_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=True,
        verbose_name=_("cooperative"),
    )

    objects: ClassVar[TenantManager[Self]] = TenantManager()

    class Meta:
        abstract = True


class DocumentState(models.Model):
    """What the kernel's document machinery (smartprod/core/documents.py, `DocumentFields`) keeps per document
    besides the file itself: its checksum, when it was rendered and mailed (to whom), and failed attempts.
    Each model declares its own `pdf` field (the storage folder differs)."""

    pdf_sha256 = models.CharField(_("PDF checksum (SHA-256)"), max_length=64, blank=True)
    pdf_rendered_at = models.DateTimeField(_("PDF rendered at"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("e-mail sent at"), null=True, blank=True)
    email_sent_to = models.EmailField(_("e-mail sent to"), blank=True)
    document_attempts = models.PositiveSmallIntegerField(_("document attempts"), default=0)
    document_error = models.TextField(_("document error"), blank=True)

    class Meta:
        abstract = True


class AuditEvent(TenantModel):
    """One row per business write, written by the service in its own transaction."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    event = models.CharField(_("event"), max_length=80)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(_("object ID"), max_length=40, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["cooperative", "object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.event} {self.object_type}#{self.object_id}"


class EmailStatus(models.TextChoices):
    """Where a notification's e-mail stands: the recipient's choice for its kind decides at sending time."""

    PENDING = "pending", _("to be sent")
    SENT = "sent", _("sent")
    DIGEST = "digest", _("waiting for the daily digest")
    SKIPPED = "skipped", _("not sent (turned off)")


class EmailChoice(models.TextChoices):
    """How a person wants to be mailed about one kind of notification."""

    IMMEDIATELY = "immediately", _("Immediately")
    DIGEST = "digest", _("Daily digest")
    OFF = "off", _("Off")


class Notification(TenantModel):
    """One business event for one person: shown in-app and mailed once after commit.

    Unique per (cooperative, event, recipient), so a retried task or a replayed request notifies once.
    `kind` is a stable code an app registered (`invoice.paid`); `params` fill its text in the reader's
    language.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    event = models.CharField(_("event"), max_length=200)
    kind = models.CharField(_("kind"), max_length=60)
    params = models.JSONField(_("details"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    email_status = models.CharField(
        _("e-mail status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "event", "recipient"], name="notification_once_per_event_and_recipient"
            )
        ]
        indexes = [
            models.Index(fields=["cooperative", "recipient", "read_at"], name="notification_inbox"),
            models.Index(
                fields=["cooperative", "created_at"],
                name="notification_unmailed",
                condition=models.Q(emailed_at__isnull=True),
            ),
            models.Index(
                fields=["cooperative", "recipient"],
                name="notification_digest",
                condition=models.Q(email_status="digest"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} ({self.event})"


class NotificationPreference(TenantModel):
    """A person's e-mail choice for one notification kind in one cooperative; no row: immediately."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=60)
    email = models.CharField(_("e-mail"), max_length=12, choices=EmailChoice.choices)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "user", "kind"], name="notification_preference_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.email}"


class IdempotencyRecord(TenantModel):
    """A client-supplied idempotency key (the API's `Idempotency-Key` header, a page's one-time form token),
    the hash of the request it came with, and what that request produced.

    Written in the same transaction as the result, so a committed record always names its result. The key is
    unique per cooperative: a replay with the same request gets the earlier result, another request under the
    same key is refused (409). Any service can use it through `smartprod.core.idempotency`.
    """

    key = models.CharField(_("idempotency key"), max_length=255)
    operation = models.CharField(_("operation"), max_length=80)
    request_hash = models.CharField(_("request hash"), max_length=64)
    result_type = models.CharField(_("result type"), max_length=80, blank=True)
    result_id = models.CharField(_("result ID"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"


class NumberCounter(TenantModel):
    """A gapless number series of a cooperative per year (invoices, credit notes, fee notes, payslips, runs).

    A locked row, never a PostgreSQL sequence (a rolled-back transaction would leave a gap). Moved here
    from invoicing with its rows (issue 7), so every app numbers its documents the same way.
    """

    series = models.CharField(_("series"), max_length=40)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")
        constraints = [models.UniqueConstraint(fields=["cooperative", "series", "year"], name="counter_once")]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last_number}"


class ApiToken(models.Model):
    """A person's API token: only its SHA-256 is stored (the token is shown once, when issued).

    It expires at a fixed time from issue (no write per request). `fingerprint` hashes the password hash and
    the person's memberships (cooperative, role, status) at issue: a password change or reset and a role
    change make it differ, and the token is refused (and deleted) — whichever code path made the change.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    key_hash = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True)
    prefix = models.CharField(_("first characters"), max_length=8)
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    # Set by `tokens.api_token_check` on a valid token: the person's memberships it read (not a field).
    memberships: list[Any]

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}…"


class KnownDevice(models.Model):
    """A browser a person has signed in from (a hash of its device cookie): a sign-in from a device not
    listed here is reported to the person (security notification). Not tenant-owned: a sign-in is the
    person's, whichever cooperative they then act in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    fingerprint = models.CharField(_("device fingerprint"), max_length=64)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    first_seen_at = models.DateTimeField(_("first seen at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), auto_now=True)

    class Meta:
        verbose_name = _("known device")
        verbose_name_plural = _("known devices")
        constraints = [
            models.UniqueConstraint(fields=["user", "fingerprint"], name="known_device_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.user_agent[:40]}"
