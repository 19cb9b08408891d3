"""Issue 11, finding 10: the sweep interval and the "stuck" age are settings; finance sees the documents
stuck longer than the sweep, its own cooperative's only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from invoicing.documents import INVOICE_DOCUMENT, invoice_documents_sweep
from invoicing.models import Invoice
from smartprod.celery import beat_schedule
from smartprod.core.documents import documents_stuck
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _stuck_invoice(cooperative, make_member, *, age: timedelta, line=("Design", "1", "100.00", "20")):
    owner, advisor = make_member(cooperative), make_member(cooperative, role="advisor")
    project = approved_project(cooperative, owner, advisor)
    invoice = issued(cooperative, owner, advisor, project, line)
    Invoice.objects.for_cooperative(cooperative).filter(pk=invoice.pk).update(issued_at=timezone.now() - age)
    return invoice


def test_sweep_interval_is_the_setting(settings):
    schedule = beat_schedule()
    every = float(settings.DOCUMENT_SWEEP_INTERVAL_SECONDS)
    assert schedule["invoice-documents-sweep"]["schedule"] == every
    assert schedule["fee-note-documents-sweep"]["schedule"] == every


def test_stuck_age_is_the_setting(coop, make_member, settings):
    invoice = _stuck_invoice(coop, make_member, age=timedelta(minutes=3))
    settings.DOCUMENT_STUCK_AFTER_SECONDS = 600
    assert INVOICE_DOCUMENT.stuck_after() == timedelta(minutes=10)
    assert invoice_documents_sweep().render_ids == []
    settings.DOCUMENT_STUCK_AFTER_SECONDS = 120
    assert invoice_documents_sweep().render_ids == [(coop.pk, invoice.pk)]


def test_documents_stuck_longer_than_the_sweep_are_listed(coop, other_coop, make_member, settings):
    settings.DOCUMENT_STUCK_AFTER_SECONDS = 600
    settings.DOCUMENT_SWEEP_INTERVAL_SECONDS = 300
    old = _stuck_invoice(coop, make_member, age=timedelta(minutes=16))
    _stuck_invoice(coop, make_member, age=timedelta(minutes=14))  # the sweep has not had its turn yet
    _stuck_invoice(other_coop, make_member, age=timedelta(hours=2), line=("Beratung", "1", "100.00", "19"))
    stuck = documents_stuck(cooperative_id=coop.pk)
    assert [(row.obj.pk, row.step) for row in stuck] == [(old.pk, "render")]


def test_finance_sees_the_stuck_list_of_its_cooperative_only(coop, other_coop, make_member, client_for):
    mine = _stuck_invoice(coop, make_member, age=timedelta(hours=1))
    foreign = _stuck_invoice(
        other_coop, make_member, age=timedelta(hours=1), line=("Beratung", "1", "100.00", "19")
    )
    page = client_for(make_member(coop, role="finance")).get("/staff/documents/stuck/")
    assert page.status_code == 200
    html = page.content.decode()
    assert mine.number in html
    assert f"/admin/invoicing/invoice/{mine.pk}/change/" in html
    assert f"/admin/invoicing/invoice/{foreign.pk}/change/" not in html
    # The other cooperative's finance person sees their own, not ours.
    theirs = (
        client_for(make_member(other_coop, role="finance")).get("/staff/documents/stuck/").content.decode()
    )
    assert f"/admin/invoicing/invoice/{foreign.pk}/change/" in theirs
    assert f"/admin/invoicing/invoice/{mine.pk}/change/" not in theirs


@pytest.mark.parametrize("role", ["member", "advisor"])
def test_the_stuck_list_is_for_finance(coop, make_member, client_for, role):
    assert client_for(make_member(coop, role=role)).get("/staff/documents/stuck/").status_code == 404


def test_the_stuck_list_needs_a_login(coop):
    from django.test import Client

    assert Client(HTTP_HOST="at.localhost").get("/staff/documents/stuck/").status_code == 404


@pytest.mark.parametrize("language", ["de", "en"])
def test_admin_opens_the_stuck_list_in_both_languages(coop, make_member, client_for, language):
    mine = _stuck_invoice(coop, make_member, age=timedelta(hours=1))
    client = client_for(make_member(coop, role="admin"))
    client.cookies["django_language"] = language
    page = client.get("/staff/documents/stuck/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<html lang="{language}">' in html
    assert f"/admin/invoicing/invoice/{mine.pk}/change/" in html
