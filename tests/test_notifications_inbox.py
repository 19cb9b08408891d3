"""Notifications for people: the API and pages (own rows only), the bell, e-mail choices, the daily digest,
and the business events that create them (each once per event and recipient)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import RequestFactory

from invoicing import services as invoicing_services
from projects import services as project_services
from projects.notifications import notify_project_transition
from smartprod.core.errors import ApplicationError
from smartprod.core.locks import try_job_lock
from smartprod.core.models import EmailStatus, KnownDevice, Notification
from smartprod.core.notifications import notification_preferences_set, notification_send_digests, notify
from smartprod.core.security_events import DEVICE_COOKIE, device_signed_in
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project, fund, make_project, pdf_upload, png_upload


def _rows(coop, user):
    return list(Notification.objects.for_cooperative(coop).filter(recipient=user).order_by("id"))


def _kinds(coop, user):
    return [n.kind for n in _rows(coop, user)]


def _paid_notice(coop, user, event, captured):
    with captured(execute=True):
        notify(
            cooperative=coop,
            kind="invoice.written_off",
            event=event,
            recipients=[user],
            params={"number": event, "title": "Mural", "amount": "1,00 €", "client": "ACME", "open": "0"},
            link="/notifications/",
        )


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_own_notifications_newest_first_and_marks_read(
    coop, other_coop, make_member, api_for, django_capture_on_commit_callbacks
):
    owner, colleague = make_member(coop), make_member(coop)
    elsewhere = make_member(other_coop, user=owner.user)
    for event in ("first", "second"):
        _paid_notice(coop, owner.user, event, django_capture_on_commit_callbacks)
    _paid_notice(coop, colleague.user, "colleague", django_capture_on_commit_callbacks)
    _paid_notice(other_coop, elsewhere.user, "other", django_capture_on_commit_callbacks)

    api = api_for(owner)
    body = api.get("/api/notifications/").json()
    assert body["count"] == 2
    assert [row["text"].split(" ")[1] for row in body["results"]] == ["second", "first"]
    assert set(body["results"][0]) == {"id", "kind", "text", "url", "created", "read"}
    assert body["results"][0]["kind"] == "invoice.written_off"
    assert body["results"][0]["read"] is False

    newest = body["results"][0]["id"]
    response = api.post(f"/api/notifications/{newest}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert [row["read"] for row in api.get("/api/notifications/").json()["results"]] == [True, False]
    assert api.post("/api/notifications/read-all/").json() == {"marked": 1}
    assert Notification.objects.for_cooperative(coop).get(recipient=colleague.user).read_at is None


def test_another_persons_or_cooperatives_notification_answers_404(
    coop, other_coop, make_member, api_for, client_for, django_capture_on_commit_callbacks
):
    owner, colleague = make_member(coop), make_member(coop)
    stranger = make_member(other_coop)
    _paid_notice(coop, colleague.user, "colleague", django_capture_on_commit_callbacks)
    _paid_notice(other_coop, stranger.user, "other", django_capture_on_commit_callbacks)
    theirs = Notification.objects.for_cooperative(coop).get().pk
    foreign = Notification.objects.for_cooperative(other_coop).get().pk
    for pk in (theirs, foreign):
        assert api_for(owner).post(f"/api/notifications/{pk}/read/").status_code == 404
        assert client_for(owner).post(f"/notifications/{pk}/read/").status_code == 404
        assert client_for(owner).get(f"/notifications/{pk}/open/").status_code == 404
    assert not Notification.objects.all_cooperatives().filter(read_at__isnull=False).exists()


# --- pages and the bell ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "advisor", "finance", "admin"])
def test_pages_and_bell_for_every_role(
    coop, make_member, client_for, role, django_capture_on_commit_callbacks
):
    person = make_member(coop, role)
    for event in ("one", "two"):
        _paid_notice(coop, person.user, event, django_capture_on_commit_callbacks)
    client = client_for(person)
    page = client.get("/notifications/").content.decode()
    assert 'class="bell-count" aria-hidden="true">2<' in page
    assert page.count('class="card notification unread"') == 2
    assert client.get("/notifications/settings/").status_code == 200

    first = _rows(coop, person.user)[0]
    response = client.get(f"/notifications/{first.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert 'class="bell-count" aria-hidden="true">1<' in client.get("/notifications/").content.decode()
    client.post("/notifications/read-all/")
    assert "bell-count" not in client.get("/notifications/").content.decode()


def test_the_bell_costs_one_query(coop, make_member, client_for, django_assert_num_queries):
    from smartprod.core.notification_views import notification_bell

    person = make_member(coop)
    request = RequestFactory().get("/", HTTP_HOST="at.localhost")
    request.user = person.user
    from smartprod.tenancy.context import set_request_context

    set_request_context(request, cooperative=coop, membership=person)
    with django_assert_num_queries(1):
        assert notification_bell(request) == {"unread_notifications": 0}


# --- e-mail choices and the digest ----------------------------------------------------------------


def test_off_is_not_mailed_and_digest_waits_for_one_daily_mail(
    coop, make_member, django_capture_on_commit_callbacks
):
    person = make_member(coop)
    notification_preferences_set(
        cooperative=coop, user=person.user, choices={"invoice.written_off": "off", "invoice.paid": "digest"}
    )
    _paid_notice(coop, person.user, "skipme", django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert _rows(coop, person.user)[0].email_status == EmailStatus.SKIPPED

    notification_preferences_set(
        cooperative=coop, user=person.user, choices={"invoice.written_off": "digest"}
    )
    _paid_notice(coop, person.user, "d1", django_capture_on_commit_callbacks)
    _paid_notice(coop, person.user, "d2", django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert notification_send_digests() == 1
    assert notification_send_digests() == 0
    assert len(mail.outbox) == 1
    assert "d1" in mail.outbox[0].body and "d2" in mail.outbox[0].body and "skipme" not in mail.outbox[0].body
    assert [n.email_status for n in _rows(coop, person.user)] == ["skipped", "sent", "sent"]


def test_security_kinds_cannot_be_turned_off(coop, make_member, client_for):
    person = make_member(coop)
    with pytest.raises(ApplicationError):
        notification_preferences_set(
            cooperative=coop, user=person.user, choices={"account.new_device": "off"}
        )
    client = client_for(person)
    page = client.get("/notifications/settings/").content.decode()
    assert 'name="account.new_device" disabled' in page
    from smartprod.core.notifications import email_choices, notification_kinds

    data = {kind.code: "immediately" for kind in notification_kinds}
    data.update({"account.new_device": "off", "invoice.paid": "digest"})
    assert client.post("/notifications/settings/", data).status_code == 302

    choices = email_choices(cooperative=coop, user=person.user)
    assert (choices["account.new_device"], choices["invoice.paid"]) == ("immediately", "digest")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_digest_runs_mail_once(coop, make_member):
    person = make_member(coop)
    notification_preferences_set(
        cooperative=coop, user=person.user, choices={"invoice.written_off": "digest"}
    )
    for event in ("a", "b", "c"):
        notify(
            cooperative=coop,
            kind="invoice.written_off",
            event=event,
            recipients=[person.user],
            params={"number": event, "title": "T", "amount": "1", "client": "C", "open": "0"},
        )
    assert mail.outbox == [] or all("written" not in m.subject for m in mail.outbox)
    mail.outbox.clear()
    barrier = threading.Barrier(2)
    results: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(notification_send_digests())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert len(mail.outbox) == 1
    assert Notification.objects.for_cooperative(coop).filter(email_status="sent").count() == 3


@pytest.mark.django_db(transaction=True)
def test_digest_run_skips_a_cooperative_another_run_is_mailing(coop, make_member):
    """The split SKIP LOCKED allowed: while one run holds the cooperative's digest, a second claims none of
    its rows (not the ones the first has not locked yet), and they stay for the next run."""
    person = make_member(coop)
    notification_preferences_set(
        cooperative=coop, user=person.user, choices={"invoice.written_off": "digest"}
    )
    for event in ("a", "b"):
        notify(
            cooperative=coop,
            kind="invoice.written_off",
            event=event,
            recipients=[person.user],
            params={"number": event, "title": "T", "amount": "1", "client": "C", "open": "0"},
        )
    mail.outbox.clear()
    held, release = threading.Event(), threading.Event()

    def first_run() -> None:
        try:
            with transaction.atomic():
                assert try_job_lock("notification digest", coop.pk)
                held.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=first_run)
    holder.start()
    assert held.wait(timeout=30)
    try:
        assert notification_send_digests() == 0
        assert Notification.objects.for_cooperative(coop).filter(email_status="digest").count() == 2
    finally:
        release.set()
        holder.join()
    assert notification_send_digests() == 1
    assert len(mail.outbox) == 1


# --- business events ------------------------------------------------------------------------------


def test_project_review_notifies_advisors_then_owner_once(
    coop, make_member, django_capture_on_commit_callbacks
):
    owner = make_member(coop)
    advisor, other_advisor = make_member(coop, "advisor"), make_member(coop, "advisor")
    project = make_project(coop, owner, title="Mural Westbahnhof")
    project_services.document_upload(
        cooperative=coop, actor=owner, project=project, kind="contract", upload=pdf_upload()
    )
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_submit(cooperative=coop, actor=owner, project=project)
    assert _kinds(coop, advisor.user) == _kinds(coop, other_advisor.user) == ["project.submitted"]
    assert "Mural Westbahnhof" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_request_changes(
            cooperative=coop, actor=advisor, project=project, comment="Dates?"
        )
    history = project.history.order_by("-id").first()
    assert _kinds(coop, owner.user) == ["project.changes_requested"]
    # The service retried (a replayed request or task) adds nothing.
    notify_project_transition(
        cooperative=coop, project=project, action="request_changes", history_id=history.pk, comment="Dates?"
    )
    assert _kinds(coop, owner.user) == ["project.changes_requested"]
    project_services.project_submit(cooperative=coop, actor=owner, project=project)
    project_services.project_approve(cooperative=coop, actor=advisor, project=project)
    with pytest.raises(ApplicationError):
        project_services.project_approve(cooperative=coop, actor=advisor, project=project)
    assert _kinds(coop, owner.user) == ["project.changes_requested", "project.approved"]
    assert _kinds(coop, advisor.user) == ["project.submitted", "project.submitted"]


def test_rejection_is_mailed_in_german_to_a_german_speaking_owner(
    coop, make_member, django_capture_on_commit_callbacks
):
    owner, advisor = make_member(coop), make_member(coop, "advisor")
    owner.user.language = "de"
    owner.user.save()
    project = make_project(coop, owner, title="Bühnenbild")
    project_services.document_upload(
        cooperative=coop, actor=owner, project=project, kind="contract", upload=pdf_upload()
    )
    project_services.project_submit(cooperative=coop, actor=owner, project=project)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_reject(
            cooperative=coop, actor=advisor, project=project, comment="Kein Vertrag"
        )
    (message,) = mail.outbox
    assert message.to == [owner.user.email]
    assert message.subject == "Projekt abgelehnt: Bühnenbild"
    assert message.body == "Ihr Projekt „Bühnenbild“ wurde abgelehnt: Kein Vertrag"


def test_invoice_events_notify_the_owner_once_each(coop, make_member, django_capture_on_commit_callbacks):
    owner, advisor, finance = make_member(coop), make_member(coop, "advisor"), make_member(coop, "finance")
    project = approved_project(coop, owner, advisor, title="Festival")
    invoice = issued(coop, owner, advisor, project)  # 1,000 net + 20 % VAT = 1,200 gross
    invoicing_services.payment_record(
        cooperative=coop, actor=finance, invoice=invoice, amount="200.00", date=date(2026, 5, 20)
    )
    invoicing_services.payment_record(
        cooperative=coop, actor=finance, invoice=invoice, amount="1000.00", date=date(2026, 5, 21)
    )
    second = issued(coop, owner, advisor, project)
    invoicing_services.invoice_write_off(
        cooperative=coop, actor=finance, invoice=second, reason="insolvent", on=date(2026, 9, 1)
    )
    assert _kinds(coop, owner.user) == [
        "project.approved",
        "invoice.issued",
        "invoice.partially_paid",
        "invoice.paid",
        "invoice.issued",
        "invoice.written_off",
    ]
    texts = [n.params["title"] for n in _rows(coop, owner.user)[1:]]
    assert texts == ["Festival"] * 5


def test_expense_decisions_notify_the_submitter(coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, "advisor")
    project = approved_project(coop, owner, advisor)
    fund(coop, project, "1000.00")
    claims = [
        project_services.expense_submit(
            cooperative=coop,
            actor=owner,
            project=project,
            amount=Decimal("50.00"),
            vat_amount=Decimal("0.00"),
            date=date(2026, 5, 2),
            description=description,
            receipt_upload=png_upload(),
        )
        for description in ("Paint", "Taxi")
    ]
    project_services.expense_approve(cooperative=coop, actor=advisor, expense=claims[0])
    project_services.expense_reject(cooperative=coop, actor=advisor, expense=claims[1], comment="Private")
    rows = _rows(coop, owner.user)[1:]
    assert [(n.kind, n.params["description"]) for n in rows] == [
        ("expense.approved", "Paint"),
        ("expense.rejected", "Taxi"),
    ]


# --- security: new devices and two-factor changes -------------------------------------------------


def test_a_sign_in_from_a_new_device_is_reported_once(coop, make_member):
    from django.http import HttpResponse

    person = make_member(coop)
    factory = RequestFactory(HTTP_HOST="at.localhost", HTTP_USER_AGENT="Firefox")

    first = HttpResponse()
    assert device_signed_in(request=factory.get("/"), response=first, user=person.user) is True
    assert _kinds(coop, person.user) == []  # the very first device: the person's own sign-up
    cookie = first.cookies[DEVICE_COOKIE].value

    again = factory.get("/")
    again.COOKIES[DEVICE_COOKIE] = cookie
    assert device_signed_in(request=again, response=HttpResponse(), user=person.user) is False

    assert device_signed_in(request=factory.get("/"), response=HttpResponse(), user=person.user) is True
    assert _kinds(coop, person.user) == ["account.new_device"]
    assert KnownDevice.objects.filter(user=person.user).count() == 2


def test_two_factor_changes_are_reported(coop, make_member):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.signals import authenticator_added, authenticator_removed

    person = make_member(coop)
    authenticator = Authenticator.objects.create(user=person.user, type=Authenticator.Type.TOTP, data={})
    request = RequestFactory(HTTP_HOST="at.localhost").get("/")
    authenticator_added.send(
        sender=Authenticator, request=request, user=person.user, authenticator=authenticator
    )
    authenticator_removed.send(
        sender=Authenticator, request=request, user=person.user, authenticator=authenticator
    )
    assert _kinds(coop, person.user) == ["account.mfa_added", "account.mfa_removed"]
