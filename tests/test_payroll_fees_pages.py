"""Member pages (project panel, request form prefilled with the maximum, fee note with PDF and objection),
the backend screens and the § 109a export — as member, advisor and finance, in German and English, and
from another cooperative / another member (404)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from payroll.models import FeeNote, PayeeProfile, PayoutItem, PayoutRun
from payroll.services import fees
from tests.payroll_fees_helpers import funded_project, payee_profile, request_fee

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(coop, make_member):
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    finance = make_member(coop, role="finance")
    project = funded_project(coop, owner, advisor)
    payee_profile(owner)
    return owner, advisor, finance, project


def _get(client, url, language):
    client.cookies["django_language"] = language
    return client.get(url)


@pytest.mark.parametrize(
    ("language", "title", "button"),
    [("en", "Payouts", "Request payout"), ("de", "Auszahlungen", "Auszahlung beantragen")],
)
def test_project_panel_lists_payouts_with_deadline_for_each_role(
    coop, setup, client_for, language, title, button
):
    owner, advisor, finance, project = setup
    note = fees.fee_note_approve(
        cooperative=coop,
        actor=advisor,
        fee_note=request_fee(coop, owner, project, net_amount=Decimal("300.00")),
    )
    pending = request_fee(coop, owner, project, net_amount=Decimal("100.00"))
    for person in (owner, advisor, finance):
        html = _get(client_for(person), f"/projects/{project.pk}/", language).content.decode()
        assert title in html and button in html
        assert note.number in html and f'data-fee-note="{pending.pk}"' in html
        assert f'data-deadline="{note.guarantee_deadline:%Y-%m-%d}"' in html


def test_request_form_is_prefilled_with_the_maximum_and_creates_a_fee_note(coop, setup, client_for):
    owner, _advisor, _finance, project = setup
    client = client_for(owner)
    page = _get(client, f"/projects/{project.pk}/payouts/request/", "en")
    assert page.status_code == 200
    assert 'value="2000.00"' in page.content.decode()
    too_much = client.post(
        f"/projects/{project.pk}/payouts/request/",
        {
            "payee": owner.pk,
            "service_period_start": "2026-05-01",
            "service_period_end": "2026-05-31",
            "description": "Design",
            "net_amount": "2000.01",
        },
    )
    assert too_much.status_code == 200 and "2000.00" in too_much.content.decode()
    done = client.post(
        f"/projects/{project.pk}/payouts/request/",
        {
            "payee": owner.pk,
            "service_period_start": "2026-05-01",
            "service_period_end": "2026-05-31",
            "description": "Design",
            "net_amount": "750.00",
        },
    )
    note = FeeNote.objects.for_cooperative(coop).get()
    assert done.status_code == 302 and done["Location"] == f"/payroll/fee-notes/{note.pk}/"
    assert note.net_amount == Decimal("750.00") and note.requested_by == owner


@pytest.mark.parametrize("language", ["en", "de"])
def test_fee_note_page_pdf_and_objection_by_the_payee(coop, setup, client_for, language):
    owner, advisor, finance, project = setup
    note = fees.fee_note_approve(cooperative=coop, actor=advisor, fee_note=request_fee(coop, owner, project))
    for person in (owner, advisor, finance):
        page = _get(client_for(person), f"/payroll/fee-notes/{note.pk}/", language)
        assert page.status_code == 200 and note.number in page.content.decode()
    payee_page = _get(client_for(owner), f"/payroll/fee-notes/{note.pk}/", language).content.decode()
    assert 'data-action="object"' in payee_page
    assert (
        'data-action="object"'
        not in _get(client_for(advisor), f"/payroll/fee-notes/{note.pk}/", language).content.decode()
    )
    pdf = client_for(owner).get(f"/payroll/fee-notes/{note.pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    client_for(owner).post(f"/payroll/fee-notes/{note.pk}/object/", {"reason": "wrong"})
    note.refresh_from_db()
    assert note.status == FeeNote.Status.OBJECTED
    # The cancelled payout keeps its row on the project page, without a deadline it no longer has.
    panel = _get(client_for(owner), f"/projects/{project.pk}/", language).content.decode()
    row = re.search(r'<tr data-payout-item="\d+">.*?</tr>', panel, re.S)
    assert row is not None and 'data-status="cancelled"' in row.group(0)
    assert re.search(r"data-deadline=\"[\d-]+\">–</td>", row.group(0))


def test_fee_note_pdf_carries_the_self_billing_contents(coop, setup):
    from payroll.documents import fee_note_pdf_html

    owner, advisor, _finance, project = setup
    note = fees.fee_note_approve(cooperative=coop, actor=advisor, fee_note=request_fee(coop, owner, project))
    note = (
        FeeNote.objects.for_cooperative(coop)
        .select_related("cooperative", "payee__user", "project")
        .get(pk=note.pk)
    )
    for language, words in (
        ("de", ("Gutschrift", "§ 6 Abs. 1 Z 27 UStG", "UID")),
        ("en", ("Gutschrift", "§ 6 Abs. 1 Z 27 UStG", "VAT id")),
    ):
        coop.language = language
        note.cooperative = coop
        html = fee_note_pdf_html(note)
        for word in (*words, note.number, coop.vat_id, "Neubaugasse", "12 345/6789"):
            assert word in html, (language, word)


def test_pages_of_another_cooperative_or_member_answer_404(coop, other_coop, setup, client_for, make_member):
    owner, advisor, _finance, project = setup
    note = fees.fee_note_approve(cooperative=coop, actor=advisor, fee_note=request_fee(coop, owner, project))
    for person in (make_member(other_coop, role="admin"), make_member(coop)):
        client = client_for(person)
        for url in (
            f"/payroll/fee-notes/{note.pk}/",
            f"/payroll/fee-notes/{note.pk}/pdf/",
            f"/projects/{project.pk}/payouts/request/",
        ):
            assert client.get(url).status_code == 404, (person, url)
        assert client.post(f"/payroll/fee-notes/{note.pk}/object/").status_code == 404


def test_backend_screens_and_the_109a_export(coop, setup, client_for):
    owner, advisor, finance, project = setup
    profile = PayeeProfile.objects.for_cooperative(coop).get(membership=owner)
    profile.social_insurance_number = "1234 010180"
    profile.save()
    note = fees.fee_note_approve(
        cooperative=coop, actor=advisor, fee_note=request_fee(coop, owner, project, report_109a=True)
    )
    unpaid = fees.fee_note_approve(
        cooperative=coop, actor=advisor, fee_note=request_fee(coop, owner, project, report_109a=True)
    )
    run = PayoutRun.objects.create(
        cooperative=coop,
        number="PR-1",
        status="confirmed",
        until=timezone.localdate(),
        execution_date=timezone.localdate(),
        message_id="M-1",
    )
    year = timezone.localdate().year
    PayoutItem.objects.for_cooperative(coop).filter(fee_note=note).update(
        status="paid", run=run, paid_at=timezone.localdate()
    )
    for person in (advisor, finance):
        client = client_for(person)
        assert (
            client.get("/admin/payroll/feenote/?status__exact=approved&report_109a__exact=1").status_code
            == 200
        )
        assert client.get(f"/admin/payroll/feenote/{note.pk}/change/").status_code == 200
        assert client.get("/admin/payroll/payoutitem/?status__exact=approved").status_code == 200
        item = PayoutItem.objects.for_cooperative(coop).get(fee_note=note)
        assert client.get(f"/admin/payroll/payoutitem/{item.pk}/change/").status_code == 200
    assert client_for(advisor).get(f"/admin/payroll/feenote/export-109a/?year={year}").status_code == 403
    export = client_for(finance).get(f"/admin/payroll/feenote/export-109a/?year={year}")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode()), delimiter=";"))
    assert [r["fee_note"] for r in rows] == [note.number]  # paid in the year; the unpaid one is not
    assert rows[0]["social_insurance_number"] == "1234 010180" and rows[0]["gross_amount"] == "1000.00"
    assert unpaid.number not in export.content.decode()
