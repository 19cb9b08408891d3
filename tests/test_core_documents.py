"""The kernel's document machinery (smartprod.core.documents) on its own: render once, send once (also
under two concurrent calls), failures recorded where staff see them, a sweep that finds lost work.

The kind under test is the invoice kind with its PDF replaced by a few bytes (no WeasyPrint), so what is
tested is the kernel's steps, not the invoice layout; the queued tasks are recorded, not run.
"""

from __future__ import annotations

import gc
import hashlib
import smtplib
import threading
import time
import weakref
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from invoicing.documents import INVOICE_DOCUMENT, InvoiceDocument
from invoicing.dunning import DUNNING_LETTER
from invoicing.models import Invoice
from invoicing.tasks import render_invoice_document_task
from smartprod.core.documents import (
    DocumentIntegrityError,
    PermanentDocumentError,
    collector_paused,
    document_bytes,
    document_kind,
    document_kinds,
    document_render,
    document_restart,
    document_send,
    document_sweep,
)
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project, make_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7 a tiny test document"


class TinyInvoiceDocument(InvoiceDocument):
    """The invoice kind with a fixed PDF, a counter of renders and the queued tasks recorded."""

    code = "tests.tiny_invoice"

    def __init__(self) -> None:
        self.renders = 0
        self.queued: list[tuple[str, int, int]] = []
        self.fail_render: Exception | None = None
        self.fail_send: Exception | None = None
        self.send_delay = 0.0
        self.collector_on_during_render: bool | None = None

    def render(self, obj: Invoice) -> bytes:
        self.renders += 1
        self.collector_on_during_render = gc.isenabled()
        if self.fail_render is not None:
            raise self.fail_render
        return PDF

    def message(self, obj: Invoice, pdf: bytes) -> EmailMessage:
        message = super().message(obj, pdf)
        kind = self

        class Slow(EmailMessage):
            def send(self, fail_silently: bool = False, **kwargs: Any) -> int:
                time.sleep(kind.send_delay)  # the SMTP call, while the row lock is held
                if kind.fail_send is not None:
                    raise kind.fail_send
                return super().send(fail_silently, **kwargs)

        slow = Slow(message.subject, message.body, message.from_email, reply_to=message.reply_to)
        slow.attachments = message.attachments
        return slow

    def enqueue_render(self, cooperative_id: int, object_id: int) -> None:
        self.queued.append(("render", cooperative_id, object_id))

    def enqueue_send(self, cooperative_id: int, object_id: int) -> None:
        self.queued.append(("send", cooperative_id, object_id))


@pytest.fixture
def kind() -> TinyInvoiceDocument:
    return TinyInvoiceDocument()


@pytest.fixture
def world(coop, make_member, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    client = make_client(coop, owner, name="ACME GmbH", email="ap@acme.example")
    project = approved_project(coop, owner, advisor, client=client)
    return coop, owner, advisor, project


def _issue(world) -> Invoice:
    coop, owner, advisor, project = world
    return issued(coop, owner, advisor, project)


def _fresh(invoice: Invoice) -> Invoice:
    return Invoice.objects.for_cooperative(invoice.cooperative_id).get(pk=invoice.pk)


def test_invoices_and_dunning_letters_are_registered_kinds():
    assert document_kind("invoicing.invoice") is INVOICE_DOCUMENT
    assert document_kind("invoicing.dunning_letter") is DUNNING_LETTER
    assert [k.code for k in document_kinds].count("invoicing.invoice") == 1
    assert document_kind("payroll.payslip").code == "payroll.payslip"  # registered by payroll's ready()
    with pytest.raises(LookupError):
        document_kind("payroll.no_such_document")


def test_render_is_idempotent_stores_with_its_hash_and_queues_the_send_once(world, kind, tmp_path):
    invoice = _issue(world)
    first = document_render(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)
    second = document_render(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)

    assert kind.renders == 1
    assert first.pdf_sha256 == second.pdf_sha256 == hashlib.sha256(PDF).hexdigest()
    assert first.pdf.name == second.pdf.name == f"coop-{invoice.cooperative_id}/invoices/2026-00001.pdf"
    assert (tmp_path / first.pdf.name).read_bytes() == PDF
    assert first.pdf_rendered_at is not None and second.pdf_rendered_at == first.pdf_rendered_at
    assert kind.queued == [("send", invoice.cooperative_id, invoice.pk)]
    assert document_bytes(kind, _fresh(invoice)) == PDF


def test_stored_bytes_that_do_not_match_the_hash_are_refused(world, kind, tmp_path):
    invoice = _issue(world)
    rendered = document_render(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)
    (tmp_path / rendered.pdf.name).write_bytes(b"%PDF-1.7 forged")
    with pytest.raises(DocumentIntegrityError):
        document_bytes(kind, _fresh(invoice))


def test_send_sets_sent_at_and_a_second_send_mails_nothing(world, kind):
    invoice = _issue(world)
    document_render(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)
    sent = document_send(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)
    again = document_send(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ap@acme.example"]
    assert mail.outbox[0].attachments[0][1] == PDF
    assert (sent.email_sent_to, sent.document_attempts, sent.document_error) == ("ap@acme.example", 0, "")
    assert sent.email_sent_at is not None and again.email_sent_at == sent.email_sent_at


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sends_mail_once(world, kind, monkeypatch):
    # Here the issue commits, and its own render task would run (eagerly) and mail: not this time.
    monkeypatch.setattr(render_invoice_document_task, "delay_on_commit", lambda **kwargs: None)
    invoice = _issue(world)
    assert _fresh(invoice).pdf_sha256 == ""
    document_render(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)
    mail.outbox.clear()  # the owner's "invoice issued" notification went out with the issue: not counted
    kind.send_delay = 0.5  # the first sender holds the row lock through a slow SMTP call
    barrier = threading.Barrier(2)
    results: list[Invoice] = []
    errors: list[Exception] = []

    def go() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(document_send(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk))
        except Exception as exc:  # surfaced by the asserts below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(mail.outbox) == 1
    assert len(results) == 2
    assert results[0].email_sent_at == results[1].email_sent_at is not None
    assert _fresh(invoice).email_sent_at == results[0].email_sent_at


def test_a_permanent_render_error_is_recorded_and_nothing_is_stored(world, kind):
    invoice = _issue(world)
    kind.fail_render = PermanentDocumentError("E-invoice (EN 16931): BR-CO-17")
    with pytest.raises(PermanentDocumentError):
        document_render(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)

    stored = _fresh(invoice)
    assert (stored.document_attempts, stored.document_error) == (
        1,
        "PermanentDocumentError: E-invoice (EN 16931): BR-CO-17",
    )
    assert (stored.pdf.name, stored.pdf_sha256, stored.pdf_rendered_at) == ("", "", None)
    assert kind.queued == []


def test_a_refused_recipient_is_recorded_permanent_only_when_5xx_and_a_later_send_clears_it(world, kind):
    invoice = _issue(world)
    document_render(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)
    kind.fail_send = smtplib.SMTPRecipientsRefused({"ap@acme.example": (550, b"5.1.1 User unknown")})
    with pytest.raises(PermanentDocumentError) as refused:  # a 5xx reply: the tasks do not retry it
        document_send(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)
    assert isinstance(refused.value.__cause__, smtplib.SMTPRecipientsRefused)

    failed = _fresh(invoice)
    assert failed.email_sent_at is None
    assert failed.document_attempts == 1
    assert failed.document_error.startswith("SMTPRecipientsRefused: ")
    assert "User unknown" in failed.document_error
    assert mail.outbox == []

    kind.fail_send = smtplib.SMTPRecipientsRefused({"ap@acme.example": (452, b"4.2.2 Mailbox full")})
    with pytest.raises(smtplib.SMTPRecipientsRefused):  # a 4xx reply is transient: raised as it is, retried
        document_send(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)
    assert _fresh(invoice).document_attempts == 2

    kind.fail_send = None
    sent = document_send(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)
    assert (sent.document_attempts, sent.document_error) == (0, "")
    assert len(mail.outbox) == 1


def test_a_send_of_another_cooperatives_document_finds_nothing_and_records_nothing(world, kind, other_coop):
    invoice = _issue(world)
    with pytest.raises(Invoice.DoesNotExist):
        document_render(kind, cooperative_id=other_coop.pk, object_id=invoice.pk)
    with pytest.raises(Invoice.DoesNotExist):
        document_send(kind, cooperative_id=other_coop.pk, object_id=invoice.pk)
    assert (_fresh(invoice).document_attempts, _fresh(invoice).document_error) == (0, "")


def test_sweep_queues_what_lost_tasks_left_until_the_attempts_run_out(world, kind):
    coop = world[0]
    lost_render = _issue(world)
    lost_send = _issue(world)
    done = _issue(world)
    for invoice in (lost_send, done):
        document_render(kind, cooperative_id=coop.pk, object_id=invoice.pk)
    document_send(kind, cooperative_id=coop.pk, object_id=done.pk)
    kind.queued.clear()

    assert document_sweep(kind).render_ids == []  # within the grace period: their own tasks may come
    later = timezone.now() + kind.stuck_after() + timedelta(minutes=1)
    found = document_sweep(kind, now=later)
    assert found.render_ids == [(coop.pk, lost_render.pk)]
    assert found.email_ids == [(coop.pk, lost_send.pk)]
    assert kind.queued == [("render", coop.pk, lost_render.pk), ("send", coop.pk, lost_send.pk)]

    Invoice.objects.for_cooperative(coop).filter(pk=lost_render.pk).update(
        document_attempts=kind.max_attempts, document_error="OSError: disk full"
    )
    kind.queued.clear()
    again = document_sweep(kind, now=later)  # the render's attempts ran out: staff restart it
    assert (again.render_ids, again.email_ids) == ([], [(coop.pk, lost_send.pk)])
    kind.queued.clear()
    document_restart(kind, _fresh(lost_render))
    assert kind.queued == [("render", coop.pk, lost_render.pk)]
    assert (_fresh(lost_render).document_attempts, _fresh(lost_render).document_error) == (0, "")


def test_sweep_of_one_cooperative_leaves_the_others(world, kind, other_coop, make_member):
    _issue(world)
    owner, advisor = make_member(other_coop), make_member(other_coop, role="advisor")
    project = approved_project(other_coop, owner, advisor)
    foreign = issued(other_coop, owner, advisor, project, ("Beratung", "1", "100.00", "19"))
    later = timezone.now() + timedelta(hours=1)

    found = document_sweep(kind, now=later, cooperative_id=other_coop.pk)
    assert (found.render_ids, found.email_ids) == ([(other_coop.pk, foreign.pk)], [])


def test_nobody_to_mail_is_recorded_not_raised_and_not_swept(world, kind):
    coop, owner, advisor, _project = world
    client = make_client(coop, owner, name="No Mail KG", email="")
    invoice = issued(coop, owner, advisor, approved_project(coop, owner, advisor, client=client))
    document_render(kind, cooperative_id=coop.pk, object_id=invoice.pk)
    result = document_send(kind, cooperative_id=coop.pk, object_id=invoice.pk)

    assert (result.email_sent_at, result.document_error, mail.outbox) == (None, kind.no_recipient_error, [])
    later = timezone.now() + timedelta(hours=1)
    assert document_sweep(kind, now=later).email_ids == []


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_the_collector_is_paused_for_a_render_and_resumed_after_it_also_when_it_fails(world, kind):
    invoice = _issue(world)
    document_render(kind, cooperative_id=invoice.cooperative_id, object_id=invoice.pk)
    assert kind.collector_on_during_render is False
    assert gc.isenabled()

    kind.fail_render = RuntimeError("WeasyPrint broke")
    with pytest.raises(RuntimeError):
        document_render(kind, cooperative_id=invoice.cooperative_id, object_id=_issue(world).pk)
    assert kind.collector_on_during_render is False
    assert gc.isenabled()


def test_the_pause_collects_the_cycles_left_by_the_block_and_nests():
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            inner = weakref.ref(_Node())
        assert not gc.isenabled()  # the outer block still runs
        outer = weakref.ref(_Node())
        assert inner() is not None and outer() is not None  # cycles wait while paused
    assert gc.isenabled()
    assert inner() is None and outer() is None  # the young-generation collection at the end freed them


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def _columns(obj: Any) -> dict[str, Any]:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_the_lock_is_one_prepared_query_with_the_related_objects_the_orm_would_read(world, kind):
    invoice = _issue(world)
    with transaction.atomic():
        orm = kind.queryset(invoice.cooperative_id).select_for_update(of=("self",)).get(pk=invoice.pk)
        kind.locked(invoice.cooperative_id, invoice.pk)  # compiled and prepared on the first call
        with CaptureQueriesContext(connection) as queries:
            locked = kind.locked(invoice.cooperative_id, invoice.pk)
            related = (locked.cooperative, locked.project.owner.user, locked.client)
        assert kind._lock_query is not None
        name = kind._lock_query.models.statement.name
        assert [query["sql"].split("(")[0] for query in queries.captured_queries] == [f"EXECUTE {name}"]
        assert _columns(locked) == _columns(orm)
        for mine, theirs in zip(related, (orm.cooperative, orm.project.owner.user, orm.client), strict=True):
            assert _columns(mine) == _columns(theirs)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement FROM pg_prepared_statements WHERE name = %s",
                [name],
            )
            (statement,) = cursor.fetchone()
        assert 'FOR UPDATE OF "invoicing_invoice"' in statement  # the row lock, on the document's row only

    with transaction.atomic(), pytest.raises(Invoice.DoesNotExist):
        kind.locked(invoice.cooperative_id, invoice.pk + 1000)
