"""Kernel notifications: once per event and recipient, mailed after commit, in their language."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smartprod.core.errors import ApplicationError
from smartprod.core.models import Notification
from smartprod.core.notifications import (
    NotificationKind,
    notification_events_unmailed,
    notification_kinds,
    notification_mark_read,
    notification_send_emails,
    notify,
    render,
)
from smartprod.core.registry import beat_schedule
from smartprod.core.tasks import sweep_notifications_task

# "Project" is in the German catalogue: the mail's subject shows the recipient's language.
KIND = notification_kinds.register(
    NotificationKind(code="test.thing", subject=_("Project"), text="%(title)s happened (%(amount)s)")
)


def _notify(coop, people, event="test.thing:1"):
    return notify(
        cooperative=coop,
        kind="test.thing",
        event=event,
        recipients=people,
        params={"title": "Mural", "amount": "1,200.00"},
        link="/projects/1/",
    )


def test_notify_once_per_event_and_recipient_and_mail_after_commit(
    coop, make_member, django_capture_on_commit_callbacks
):
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(coop, [owner.user, advisor.user, owner.user]) == 2
    with django_capture_on_commit_callbacks(execute=True):  # a retried task or a replayed request
        assert _notify(coop, [owner.user, advisor.user]) == 0

    rows = Notification.objects.for_cooperative(coop).order_by("recipient_id")
    assert [(n.recipient_id, n.kind, n.event) for n in rows] == sorted(
        [(owner.user_id, "test.thing", "test.thing:1"), (advisor.user_id, "test.thing", "test.thing:1")]
    )
    assert all(n.emailed_at is not None for n in rows)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.user.email, advisor.user.email])
    assert mail.outbox[0].body == "Mural happened (1,200.00)"


def test_nothing_is_recorded_or_mailed_when_the_transaction_rolls_back(coop, make_member):
    owner = make_member(coop)
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(coop, [owner.user])
        raise RuntimeError("the business write failed")
    assert not Notification.objects.for_cooperative(coop).exists()
    assert mail.outbox == []


def test_mail_is_in_the_recipients_language(coop, make_member, django_capture_on_commit_callbacks):
    coop.language = "en"
    coop.save()
    german, english = make_member(coop), make_member(coop)
    german.user.language = "de"
    german.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        _notify(coop, [german.user, english.user])
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects == {german.user.email: "Projekt", english.user.email: "Project"}
    notification = Notification.objects.for_cooperative(coop).get(recipient=english.user)
    assert render(notification, "de") == ("Projekt", "Mural happened (1,200.00)")


def test_an_unknown_kind_is_refused_before_anything_is_written(coop, make_member):
    with pytest.raises(ApplicationError):
        notify(cooperative=coop, kind="no.such.kind", event="x:1", recipients=[make_member(coop).user])
    assert not Notification.objects.for_cooperative(coop).exists()


def test_sending_twice_mails_once(coop, make_member, django_capture_on_commit_callbacks):
    owner = make_member(coop)
    with django_capture_on_commit_callbacks(execute=False):
        _notify(coop, [owner.user])
    assert notification_send_emails(cooperative_id=coop.pk, event="test.thing:1") == 1
    assert notification_send_emails(cooperative_id=coop.pk, event="test.thing:1") == 0
    assert len(mail.outbox) == 1


def test_the_sweep_mails_what_a_lost_task_left(coop, make_member, django_capture_on_commit_callbacks):
    owner = make_member(coop)
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost
        _notify(coop, [owner.user])
    assert notification_events_unmailed() == []  # too fresh: its task may still come
    Notification.objects.for_cooperative(coop).update(created_at=timezone.now() - timedelta(minutes=5))
    assert notification_events_unmailed() == [(coop.pk, "test.thing:1")]
    assert sweep_notifications_task() == 1
    assert len(mail.outbox) == 1
    assert notification_events_unmailed() == []
    assert any(entry.task == "core.sweep_notifications" for entry in beat_schedule)


def test_mark_read_touches_only_the_users_rows_in_that_cooperative(
    coop, other_coop, make_member, django_capture_on_commit_callbacks
):
    owner, colleague = make_member(coop), make_member(coop)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(coop, [owner.user, colleague.user])
        _notify(other_coop, [owner.user], event="test.thing:other")
    assert notification_mark_read(cooperative=coop, user=owner.user) == 1
    assert notification_mark_read(cooperative=coop, user=owner.user) == 0
    unread = Notification.objects.all_cooperatives().filter(read_at__isnull=True)
    assert sorted((n.cooperative_id, n.recipient_id) for n in unread) == sorted(
        [(coop.pk, colleague.user_id), (other_coop.pk, owner.user_id)]
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_notifies_of_one_event_record_one_row(coop, make_member):
    owner = make_member(coop)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                _notify(coop, [owner.user])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Notification.objects.for_cooperative(coop).count() == 1
    assert len(mail.outbox) == 1
