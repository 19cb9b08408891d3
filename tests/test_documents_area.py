"""The documents area (issue 13, item 3): `/documents/` and `GET /api/documents/`.

One list of every document that concerns the person — the documents, invoices, credit notes and dunning
letters of the projects they own or collaborate on, and their own fee notes and payslips — newest first,
filterable by project and kind, searchable by name or number; each row links to its app's access-checked
download. Staff get the same personal view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from invoicing.models import DunningNotice, Invoice
from invoicing.services.credit import credit_note_issue
from payroll.models import FeeNote, Payslip
from projects import services as project_services
from projects.demo import minimal_pdf
from projects.models import Collaboration, Document, Project
from smartprod.core.tokens import api_token_create
from smartprod.tenancy.models import Cooperative, Membership
from tests.invoicing_helpers import issued
from tests.payroll_helpers import _fee_note, bulk_payslips
from tests.projects_helpers import approved_project, make_project, pdf_upload, png_upload

ALL_ROLES = ["member", "advisor", "finance", "admin"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class World:
    coop: Cooperative
    owner: Membership
    collaborator: Membership
    outsider: Membership
    advisor: Membership
    finance: Membership
    project: Project
    outsider_project: Project
    contract: Document
    receipt: Document
    invoice: Invoice
    credit_note: Invoice
    notice: DunningNotice
    fee_note: FeeNote
    payslip: Payslip


def _dunning_notice(coop: Cooperative, invoice: Invoice) -> DunningNotice:
    name = default_storage.save(
        f"coop-{coop.pk}/dunning/{invoice.number}-1.pdf", ContentFile(minimal_pdf("reminder"))
    )
    return DunningNotice.objects.create(
        cooperative=coop,
        invoice=invoice,
        level=1,
        as_of=invoice.issue_date + timedelta(days=21),
        open_principal=Decimal("1200.00"),
        total_claimed=Decimal("1200.00"),
        pdf=name,
    )


@pytest.fixture
def world(coop, make_member) -> World:
    owner, collaborator, outsider = make_member(coop), make_member(coop), make_member(coop)
    advisor, finance = make_member(coop, "advisor"), make_member(coop, "finance")
    project = approved_project(
        coop,
        owner,
        advisor,
        title="Stage design",
        collaborators=[(collaborator, Collaboration.Employment.EMPLOYED)],
    )
    contract = Document.objects.for_cooperative(coop).get(project=project, kind="contract")
    receipt = project_services.document_upload(
        cooperative=coop, actor=owner, project=project, kind="receipt", upload=png_upload("Taxi-Beleg.png")
    )
    invoice = issued(coop, owner, finance, project, on=date(2026, 5, 4))
    credit_note = credit_note_issue(
        cooperative=coop, actor=finance, invoice=invoice, reason="Cancelled", on=date(2026, 5, 6)
    )
    outsider_project = make_project(coop, outsider, title="Other show")
    project_services.document_upload(
        cooperative=coop,
        actor=outsider,
        project=outsider_project,
        kind="contract",
        upload=pdf_upload("Fremdvertrag.pdf"),
    )
    (payslip_id,) = bulk_payslips(coop, project, [collaborator], 1)
    return World(
        coop=coop,
        owner=owner,
        collaborator=collaborator,
        outsider=outsider,
        advisor=advisor,
        finance=finance,
        project=project,
        outsider_project=outsider_project,
        contract=contract,
        receipt=receipt,
        invoice=invoice,
        credit_note=credit_note,
        notice=_dunning_notice(coop, invoice),
        fee_note=_fee_note(coop, project, collaborator, Decimal("100.00")),
        payslip=Payslip.objects.for_cooperative(coop).get(pk=payslip_id),
    )


def _list(api_for: Any, membership: Membership, **params: Any) -> list[dict[str, Any]]:
    response = api_for(membership).get("/api/documents/", params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    results: list[dict[str, Any]] = body["results"]
    return results


def _names(rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(row["kind"], row["name"]) for row in rows}


def _project_documents(w: World) -> set[tuple[str, str]]:
    return {
        ("contract", w.contract.original_name),
        ("receipt", "Taxi-Beleg.png"),
        ("invoice", str(w.invoice.number)),
        ("credit_note", str(w.credit_note.number)),
        ("dunning_letter", f"{w.invoice.number}-1.pdf"),
    }


# --- who sees what --------------------------------------------------------------------------------


def test_owner_sees_the_projects_documents_but_not_a_collaborators_pay(world, api_for):
    rows = _list(api_for, world.owner)
    assert _names(rows) == _project_documents(world)
    by_kind = {row["kind"]: row for row in rows}
    assert by_kind["invoice"] == {
        "kind": "invoice",
        "kind_label": "Invoice",
        "name": world.invoice.number,
        "number": world.invoice.number,
        "project_id": world.project.pk,
        "project_title": "Stage design",
        "date": "2026-05-04",
        "url": f"/invoices/{world.invoice.pk}/pdf/",
    }
    assert by_kind["contract"]["url"] == f"/documents/{world.contract.pk}/download/"
    assert by_kind["dunning_letter"]["url"] == f"/dunning-letters/{world.notice.pk}/pdf/"
    assert by_kind["dunning_letter"]["number"] == world.invoice.number


def test_collaborator_sees_project_documents_and_only_their_own_fee_notes_and_payslips(world, api_for):
    rows = _list(api_for, world.collaborator)
    assert _names(rows) == _project_documents(world) | {
        ("fee_note", world.fee_note.number),
        ("payslip", f"payslip-2026-11-{world.payslip.pk}.pdf"),
    }
    urls = {row["kind"]: row["url"] for row in rows}
    assert urls["fee_note"] == f"/payroll/fee-notes/{world.fee_note.pk}/pdf/"
    assert urls["payslip"] == f"/payslips/{world.payslip.pk}/pdf/"


def test_a_member_not_on_the_project_sees_nothing_of_it(world, api_for):
    assert _names(_list(api_for, world.outsider)) == {("contract", "Fremdvertrag.pdf")}


@pytest.mark.parametrize("role", ["advisor", "finance"])
def test_staff_see_their_personal_documents_only(world, api_for, role):
    staff = world.advisor if role == "advisor" else world.finance
    assert _list(api_for, staff) == []  # they reach the cooperative's documents through the backend
    (payslip_id,) = bulk_payslips(world.coop, world.project, [staff], 1)
    assert _names(_list(api_for, staff)) == {("payslip", f"payslip-2026-11-{payslip_id}.pdf")}


def test_newest_first(world, api_for):
    dates = [row["date"] for row in _list(api_for, world.owner)]
    assert dates == sorted(dates, reverse=True)
    kinds = [row["kind"] for row in _list(api_for, world.owner)]
    assert kinds.index("dunning_letter") < kinds.index("credit_note") < kinds.index("invoice")


def test_unissued_invoices_requested_fee_notes_and_unsent_letters_are_not_documents(world, api_for):
    from tests.invoicing_helpers import draft

    draft(world.coop, world.owner, world.project)
    FeeNote.objects.for_cooperative(world.coop).filter(pk=world.fee_note.pk).update(
        status=FeeNote.Status.REJECTED
    )
    DunningNotice.objects.for_cooperative(world.coop).filter(pk=world.notice.pk).update(pdf="")
    kinds = [row["kind"] for row in _list(api_for, world.collaborator)]
    assert sorted(kinds) == ["contract", "credit_note", "invoice", "payslip", "receipt"]


# --- filters and search ---------------------------------------------------------------------------


def test_filter_by_kind(world, api_for):
    assert _names(_list(api_for, world.owner, kind="invoice")) == {("invoice", world.invoice.number)}
    assert _names(_list(api_for, world.collaborator, kind="payslip")) == {
        ("payslip", f"payslip-2026-11-{world.payslip.pk}.pdf")
    }
    assert _list(api_for, world.owner, kind="fee_note") == []


def test_filter_by_project(world, api_for, make_member):
    assert len(_list(api_for, world.owner, project=world.project.pk)) == 5
    # Another person's project filters to nothing (and does not tell whether it exists).
    assert _list(api_for, world.owner, project=world.outsider_project.pk) == []
    assert _list(api_for, world.owner, project=999_999) == []


def test_search_by_name_and_number(world, api_for):
    assert _names(_list(api_for, world.owner, q="taxi")) == {("receipt", "Taxi-Beleg.png")}
    # An invoice's number finds the invoice and its dunning letter (which carries the invoice's number).
    found = {row["kind"] for row in _list(api_for, world.owner, q=world.invoice.number)}
    assert {"invoice", "dunning_letter"} <= found and not {"contract", "receipt"} & found
    assert _names(_list(api_for, world.owner, q=world.credit_note.number)) == {
        ("credit_note", world.credit_note.number)
    }
    assert _names(_list(api_for, world.owner, q="taxi", kind="contract")) == set()


@pytest.mark.parametrize(
    "params",
    [{"kind": "secret"}, {"project": "abc"}, {"project": "0"}, {"q": "x" * 101}, {"limit": "0"}],
)
def test_bad_filters_answer_400(world, api_for, params):
    assert api_for(world.owner).get("/api/documents/", params).status_code == 400


def test_pagination(world, api_for):
    response = api_for(world.owner).get("/api/documents/", {"limit": 2})
    body = response.json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"]
    rest = api_for(world.owner).get("/api/documents/", {"limit": 2, "offset": 2}).json()["results"]
    last = api_for(world.owner).get("/api/documents/", {"limit": 2, "offset": 4}).json()["results"]
    seen = [row["url"] for row in body["results"] + rest + last]
    assert len(seen) == len(set(seen)) == 5


# --- downloads and the other cooperative ----------------------------------------------------------


def test_downloads_are_access_checked(world, api_for, client_for):
    owner_rows = {row["kind"]: row["url"] for row in _list(api_for, world.owner)}
    collaborator_rows = {row["kind"]: row["url"] for row in _list(api_for, world.collaborator)}
    owner = client_for(world.owner)
    for kind in ("contract", "receipt", "dunning_letter"):
        response = owner.get(owner_rows[kind])
        assert response.status_code == 200, kind
        assert response["Cache-Control"] == "private, no-store"
    assert owner.get(owner_rows["dunning_letter"])["Content-Type"] == "application/pdf"
    # A payslip is the employee's alone: the project's owner gets 404 (a fee note the owner may open, as
    # on the project's page, but the documents area lists it only to its payee).
    assert owner.get(collaborator_rows["payslip"]).status_code == 404
    outsider = client_for(world.outsider)
    for url in collaborator_rows.values():
        assert outsider.get(url).status_code == 404, url


def test_other_cooperative_gets_nothing_and_404(world, api_for, client_for, other_coop, make_member):
    foreigner = make_member(other_coop)
    assert _list(api_for, foreigner) == []
    urls = [row["url"] for row in _list(api_for, world.collaborator)]
    client = client_for(foreigner)
    for url in urls:
        assert client.get(url).status_code == 404, url
    page = client.get("/documents/", {"project": world.project.pk})
    assert page.status_code == 200 and world.contract.original_name not in page.content.decode()
    # Signed in with a membership of the other cooperative, on this cooperative's host: no access.
    assert client_for(foreigner, host="at.localhost").get("/documents/").status_code in (403, 404)
    assert api_for(foreigner, host="at.localhost").get("/api/documents/").status_code in (403, 404)


def test_dunning_letter_download_of_another_cooperative_is_404(world, client_for, other_coop, make_member):
    foreign_admin = make_member(other_coop, "admin")
    assert client_for(foreign_admin).get(f"/dunning-letters/{world.notice.pk}/pdf/").status_code == 404
    assert client_for(world.advisor).get(f"/dunning-letters/{world.notice.pk}/pdf/").status_code == 200
    DunningNotice.objects.for_cooperative(world.coop).filter(pk=world.notice.pk).update(pdf="")
    assert client_for(world.owner).get(f"/dunning-letters/{world.notice.pk}/pdf/").status_code == 404


def test_signed_out_people_are_sent_to_sign_in(world, client):
    response = client.get("/documents/", HTTP_HOST="at.localhost")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/documents/", HTTP_HOST="at.localhost").status_code in (401, 403)


# --- the page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("role", ALL_ROLES)
def test_page_opens_for_every_role_in_both_languages(world, make_member, client_for, role, language):
    person = world.collaborator if role == "member" else make_member(world.coop, role)
    if role != "member":
        Collaboration.objects.create(
            cooperative=world.coop,
            project=world.project,
            membership=person,
            employment=Collaboration.Employment.SELF_EMPLOYED,
        )
    client = client_for(person)
    client.cookies["django_language"] = language
    response = client.get("/documents/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert ("<h1>Dokumente</h1>" if language == "de" else "<h1>Documents</h1>") in page
    assert ("Rechnung" if language == "de" else "Invoice") in page
    assert f'href="/documents/{world.contract.pk}/download/"' in page
    assert f'href="/invoices/{world.invoice.pk}/pdf/"' in page
    assert 'href="/documents/"' in page  # the nav link
    assert (f"/payslips/{world.payslip.pk}/pdf/" in page) is (role == "member")


def test_page_filters_search_and_errors(world, client_for):
    client = client_for(world.owner)
    page = client.get("/documents/", {"kind": "receipt"}).content.decode()
    assert "Taxi-Beleg.png" in page and world.contract.original_name not in page
    page = client.get("/documents/", {"q": world.invoice.number}).content.decode()
    assert f"/invoices/{world.invoice.pk}/pdf/" in page and "Taxi-Beleg.png" not in page
    option = f'<option value="{world.project.pk}">Stage design</option>'
    assert option in client.get("/documents/").content.decode()
    page = client.get("/documents/", {"project": world.outsider_project.pk}).content.decode()
    assert 'id="filter-errors"' in page and "Fremdvertrag.pdf" not in page
    page = client.get("/documents/", {"q": "nothing-like-this"}).content.decode()
    assert 'id="no-documents"' in page


def test_page_is_paginated_server_side(world, client_for, monkeypatch):
    from smartprod.core import documents_area_views

    monkeypatch.setattr(documents_area_views, "PAGE_SIZE", 2)
    client = client_for(world.owner)
    first = client.get("/documents/", {"kind": ""}).content.decode()
    assert first.count('class="document"') == 2 and "page=2" in first
    third = client.get("/documents/", {"page": 3, "q": ""}).content.decode()
    assert third.count('class="document"') == 1


# --- cost -----------------------------------------------------------------------------------------


REQUEST = 2  # as in tests/test_list_query_counts.py: the host's cooperative; the token, person, memberships
DOCUMENTS = REQUEST + 2  # count, page: one UNION ALL of every source each, however many rows


def _token_client(membership: Membership) -> APIClient:
    key = api_token_create(user=membership.user)
    return APIClient(HTTP_HOST=membership.cooperative.hosts[0], HTTP_AUTHORIZATION=f"Token {key}")


def _page_with_exact_queries(membership: Membership, assert_queries: Any) -> list[dict[str, Any]]:
    api = _token_client(membership)
    api.get("/api/documents/")  # warm up per-process caches (content types, the row plans)
    with CaptureQueriesContext(connection) as captured, assert_queries(DOCUMENTS):
        response = api.get("/api/documents/", {"limit": 500})
    assert response.status_code == 200
    documents_sql = [q["sql"] for q in captured.captured_queries if "d_kind" in q["sql"]]
    assert len(documents_sql) == 2 and all(sql.count("UNION ALL") == 4 for sql in documents_sql)
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_query_count_is_exact_and_does_not_grow_with_the_rows(world, django_assert_num_queries):
    assert len(_page_with_exact_queries(world.collaborator, django_assert_num_queries)) == 7
    for n in range(5):
        project_services.document_upload(
            cooperative=world.coop,
            actor=world.owner,
            project=world.project,
            kind="other",
            upload=pdf_upload(f"Notes-{n}.pdf"),
        )
    bulk_payslips(world.coop, world.project, [world.collaborator], 30)
    assert len(_page_with_exact_queries(world.collaborator, django_assert_num_queries)) == 42


def test_page_query_count_does_not_grow_with_the_rows(world, client_for):
    client = client_for(world.collaborator)
    client.get("/documents/")  # warm up

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/documents/").status_code == 200
        return len(captured)

    few = count()
    bulk_payslips(world.coop, world.project, [world.collaborator], 30)
    assert count() == few
