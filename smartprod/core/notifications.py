"""Notifications: one row per business event and recipient, mailed after commit in the reader's language.

Apps register the kinds of event they raise (`notification_kinds.register(NotificationKind(...))` in their
`ready()`) and call `notify(...)` inside the service that makes the event happen. The kernel never imports
the apps. The bell, the list and each person's e-mail choices are built on these rows (experience issue).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, override

from smartprod.core.errors import ApplicationError
from smartprod.core.locks import try_job_lock
from smartprod.core.models import (
    EmailChoice,
    EmailStatus,
    Notification,
    NotificationPreference,
    TenantQuerySet,
)
from smartprod.core.registry import Registry
from smartprod.core.rls import platform_scope, tenant_scope
from smartprod.core.task_queue import queue_on_commit

logger = logging.getLogger(__name__)


SEND_NOTIFICATION_EMAILS = "core.send_notification_emails"
SEND_NOTIFICATION_DIGESTS = "core.send_notification_digests"


@dataclass(frozen=True)
class NotificationKind:
    """`subject` and `text` are lazy translations with %(name)s placeholders filled from the params."""

    code: str
    subject: str | Promise
    text: str | Promise
    security: bool = False  # security-relevant kinds cannot be switched off (experience issue)


notification_kinds: Registry[NotificationKind] = Registry("notification kinds")


def kind_get(code: str) -> NotificationKind:
    for kind in notification_kinds:
        if kind.code == code:
            return kind
    raise ApplicationError(f"Unknown notification kind {code!r}: register it in the app's ready().")


def _language(notification: Notification) -> str:
    return str(getattr(notification.recipient, "language", "") or notification.cooperative.language)


def render(notification: Notification, language: str | None = None) -> tuple[str, str]:
    """(subject, text) of a notification in `language` (default: the recipient's)."""
    kind = kind_get(notification.kind)
    with override(language or _language(notification)):
        params = {key: str(value) for key, value in notification.params.items()}
        return str(kind.subject) % params, str(kind.text) % params


def notify(
    *,
    cooperative: Any,
    kind: str,
    event: str,
    recipients: Iterable[Any],
    params: dict[str, Any] | None = None,
    link: str = "",
) -> int:
    """Record `event` for each recipient once and mail them after commit; returns how many rows are new.

    `event` names the business event (e.g. "invoice.paid:412"): calling again with the same event and
    recipient adds nothing, so a retried task or a replayed request notifies once.
    """
    kind_get(kind)  # an unknown kind is a programming error, refused before anything is written
    people = {person.pk: person for person in recipients if person is not None}
    if not people:
        return 0
    rows = [
        Notification(
            cooperative=cooperative,
            recipient_id=pk,
            event=event[:200],
            kind=kind,
            params=params or {},
            link=link[:300],
        )
        for pk in sorted(people)
    ]
    before = Notification.objects.for_cooperative(cooperative).filter(event=event[:200]).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    created = Notification.objects.for_cooperative(cooperative).filter(event=event[:200]).count() - before
    queue_on_commit(SEND_NOTIFICATION_EMAILS, cooperative_id=cooperative.pk, event=event[:200])
    return created


def email_choices(*, cooperative: Any, user: Any) -> dict[str, str]:
    """The person's e-mail choice per registered kind (immediately where they chose nothing)."""
    chosen = dict(
        NotificationPreference.objects.for_cooperative(cooperative)
        .filter(user=user)
        .values_list("kind", "email")
    )
    return {
        kind.code: _effective(kind, chosen.get(kind.code, EmailChoice.IMMEDIATELY))
        for kind in notification_kinds
    }


def _effective(kind: NotificationKind | None, choice: str) -> str:
    # A security kind cannot be silenced, whatever a stale row says: it is mailed at once.
    if kind is not None and kind.security and choice == EmailChoice.OFF:
        return str(EmailChoice.IMMEDIATELY)
    return choice


def notification_preferences_set(*, cooperative: Any, user: Any, choices: dict[str, str]) -> None:
    """Store the person's e-mail choice per kind; turning off a security-relevant kind is refused."""
    valid = set(EmailChoice.values)
    with transaction.atomic():
        for code, choice in choices.items():
            kind = kind_get(code)
            if choice not in valid:
                raise ApplicationError(_("Unknown choice %(choice)s.") % {"choice": choice})
            if kind.security and choice == EmailChoice.OFF:
                raise ApplicationError(
                    _("Security notifications cannot be turned off: %(kind)s.") % {"kind": kind_label(kind)},
                    details={code: [_("Cannot be turned off.")]},
                )
            NotificationPreference.objects.update_or_create(
                cooperative=cooperative, user=user, kind=code, defaults={"email": choice}
            )


def kind_label(kind: NotificationKind) -> str:
    """A kind's name for the settings page: its subject without the placeholders' values."""
    label = str(kind.subject)
    return label.split(":")[0].strip() if "%(" in label else label


def notification_send_emails(*, cooperative_id: int, event: str) -> int:
    """Mail every not yet mailed notification of `event`, each once, as each recipient chose; returns how many
    were sent.

    Rows are claimed with FOR UPDATE SKIP LOCKED, so two workers never mail the same row; a failed
    send rolls its row back to "not mailed" for the sweep to retry. A recipient who chose the daily digest
    gets the row marked for it; one who turned the kind off gets it marked skipped (both: not mailed now).
    """
    sent = 0
    with transaction.atomic():
        pending = list(
            Notification.objects.for_cooperative(cooperative_id)
            .filter(event=event, emailed_at__isnull=True, email_status=EmailStatus.PENDING)
            .select_related("recipient", "cooperative")
            .select_for_update(skip_locked=True, of=("self",))
        )
        chosen = {
            (user_id, kind): choice
            for user_id, kind, choice in NotificationPreference.objects.for_cooperative(cooperative_id)
            .filter(user_id__in=[n.recipient_id for n in pending], kind__in={n.kind for n in pending})
            .values_list("user_id", "kind", "email")
        }
        for notification in pending:
            choice = _effective(
                kind_get(notification.kind),
                chosen.get((notification.recipient_id, notification.kind), EmailChoice.IMMEDIATELY),
            )
            if choice == EmailChoice.OFF:
                notification.email_status = EmailStatus.SKIPPED
                notification.save(update_fields=["email_status"])
                continue
            if choice == EmailChoice.DIGEST:
                notification.email_status = EmailStatus.DIGEST
                notification.save(update_fields=["email_status"])
                continue
            subject, text = render(notification)
            EmailMessage(
                subject=subject,
                body=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[notification.recipient.email],
            ).send()
            notification.emailed_at = timezone.now()
            notification.email_status = EmailStatus.SENT
            notification.save(update_fields=["emailed_at", "email_status"])
            sent += 1
    return sent


def notification_send_digests() -> int:
    """Mail each person ONE message per cooperative with their notifications waiting for the digest; returns
    how many messages went out.

    The rows are claimed with FOR UPDATE SKIP LOCKED and marked sent in the same transaction as the
    mailing, so a second run at the same time (two beat processes, a retried task) finds nothing to claim
    and a later run nothing left: each row is in exactly one digest. A transaction-scoped advisory lock
    per cooperative keeps a second run from claiming the half of the rows the first has not locked yet
    (SKIP LOCKED alone split one person's digest into two mails). A failed send rolls the claim back.
    """
    mailed = 0
    with platform_scope("notification digest: cooperatives with notifications waiting"):
        cooperative_ids = list(
            Notification.objects.all_cooperatives()
            .filter(email_status=EmailStatus.DIGEST)
            .values_list("cooperative_id", flat=True)
            .distinct()
        )
    for cooperative_id in sorted(set(cooperative_ids)):
        with tenant_scope(cooperative_id), transaction.atomic():
            # One run per cooperative at a time: with SKIP LOCKED alone two runs could each claim part of
            # a person's rows and mail them two half digests.
            if not try_job_lock("notification digest", cooperative_id):
                continue
            claimed = list(
                Notification.objects.for_cooperative(cooperative_id)
                .filter(email_status=EmailStatus.DIGEST)
                .select_related("recipient", "cooperative")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("recipient_id", "created_at", "id")
            )
            by_recipient: dict[int, list[Notification]] = {}
            for notification in claimed:
                by_recipient.setdefault(notification.recipient_id, []).append(notification)
            now = timezone.now()
            for rows in by_recipient.values():
                first = rows[0]
                language = _language(first)
                parts = []
                for row in rows:
                    subject, text = render(row, language)
                    parts.append(f"{subject}\n{text}")
                with override(language):
                    subject = ngettext(
                        "%(cooperative)s: %(count)s new notification",
                        "%(cooperative)s: %(count)s new notifications",
                        len(rows),
                    ) % {"cooperative": first.cooperative.name, "count": len(rows)}
                EmailMessage(
                    subject=subject,
                    body="\n\n".join(parts),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[first.recipient.email],
                ).send()
                mailed += 1
            Notification.objects.for_cooperative(cooperative_id).filter(
                pk__in=[n.pk for n in claimed]
            ).update(email_status=EmailStatus.SENT, emailed_at=now)
    return mailed


def notification_events_unmailed(*, older_than: timedelta = timedelta(minutes=2)) -> list[tuple[int, str]]:
    """(cooperative id, event) of notifications whose mail task was lost: for the periodic sweep."""
    cutoff = timezone.now() - older_than
    with platform_scope("notification sweep: unmailed events of every cooperative"):
        rows = list(
            Notification.objects.all_cooperatives()
            .filter(emailed_at__isnull=True, email_status=EmailStatus.PENDING, created_at__lt=cutoff)
            .values_list("cooperative_id", "event")
            .distinct()
        )
    return [(int(cooperative_id), str(event)) for cooperative_id, event in rows]


def notification_mark_read(*, cooperative: Any, user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (all, or `ids`) read; returns how many changed."""
    unread = Notification.objects.for_cooperative(cooperative).filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def notification_list(*, cooperative: Any, user: Any) -> TenantQuerySet[Notification]:
    """The user's notifications in the cooperative, newest first."""
    return (
        Notification.objects.for_cooperative(cooperative)
        .filter(recipient=user)
        .order_by("-created_at", "-id")
    )


def notification_get(*, cooperative: Any, user: Any, notification_id: int) -> Notification:
    """One of the user's own notifications; anyone else's (or another cooperative's): DoesNotExist (→ 404)."""
    return notification_list(cooperative=cooperative, user=user).get(pk=notification_id)


def notification_unread_count(*, cooperative: Any, user: Any) -> int:
    return int(
        Notification.objects.for_cooperative(cooperative).filter(recipient=user, read_at__isnull=True).count()
    )
