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
from django.utils.translation import override

from smartprod.core.errors import ApplicationError
from smartprod.core.models import Notification
from smartprod.core.registry import Registry
from smartprod.core.rls import platform_scope
from smartprod.core.task_queue import queue_on_commit

logger = logging.getLogger(__name__)


SEND_NOTIFICATION_EMAILS = "core.send_notification_emails"


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


def notification_send_emails(*, cooperative_id: int, event: str) -> int:
    """Mail every not yet mailed notification of `event`, each once; returns how many were sent.

    Rows are claimed with FOR UPDATE SKIP LOCKED, so two workers never mail the same row; a failed
    send rolls its row back to "not mailed" for the sweep to retry.
    """
    sent = 0
    with transaction.atomic():
        pending = (
            Notification.objects.for_cooperative(cooperative_id)
            .filter(event=event, emailed_at__isnull=True)
            .select_related("recipient", "cooperative")
            .select_for_update(skip_locked=True, of=("self",))
        )
        for notification in pending:
            subject, text = render(notification)
            EmailMessage(
                subject=subject,
                body=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[notification.recipient.email],
            ).send()
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
            sent += 1
    return sent


def notification_events_unmailed(*, older_than: timedelta = timedelta(minutes=2)) -> list[tuple[int, str]]:
    """(cooperative id, event) of notifications whose mail task was lost: for the periodic sweep."""
    cutoff = timezone.now() - older_than
    with platform_scope("notification sweep: unmailed events of every cooperative"):
        rows = list(
            Notification.objects.all_cooperatives()
            .filter(emailed_at__isnull=True, created_at__lt=cutoff)
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
