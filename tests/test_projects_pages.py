"""The member portal's project pages: who sees what, forms keeping input, uploads, dashboard, chart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects import services
from projects.charts import WIDTH, balance_chart
from projects.demo import minimal_pdf
from projects.ledger import Posting, account_get, journal_post
from projects.models import Account, Client, Collaboration, Document, Expense, JournalLine, Project

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
PDF = minimal_pdf("Werkvertrag")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "private"
    return Path(settings.MEDIA_ROOT)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def new_client(coop, actor, **overrides) -> Client:
    data = {
        "name": "Wiener Festwochen GesmbH",
        "kind": "business",
        "street": "Lehárgasse 11",
        "postcode": "1060",
        "city": "Wien",
        "country": "AT",
        "vat_id": "ATU63716919",
        **overrides,
    }
    return services.client_create(cooperative=coop, actor=actor, **data)


def new_project(coop, owner, client=None, **overrides) -> Project:
    data = {
        "client": client or new_client(coop, owner),
        "title": "Bühnenbild Sommerfestival",
        "service_period_start": date(2026, 9, 1),
        "service_period_end": date(2026, 12, 31),
        "agreed_net_amount": Decimal("12000.00"),
        **overrides,
    }
    return services.project_create(cooperative=coop, actor=owner, **data)


def upload_contract(coop, actor, project) -> Document:
    return services.document_upload(
        cooperative=coop,
        actor=actor,
        project=project,
        kind="contract",
        upload=SimpleUploadedFile("Vertrag.pdf", PDF, content_type="application/pdf"),
    )


def approve(coop, project, advisor) -> Project:
    owner = project.owner
    if not Document.objects.for_cooperative(coop).filter(project=project, kind="contract").exists():
        upload_contract(coop, owner, project)
    services.project_submit(cooperative=coop, actor=owner, project=project)
    return services.project_approve(cooperative=coop, actor=advisor, project=project)


def book_income(coop, project, net: Decimal, day: date) -> None:
    """What issuing an invoice posts (net N, 20 % VAT, 7.5 % contribution), straight through the ledger."""
    vat, contribution = net * Decimal("0.20"), net * Decimal("0.075")
    journal_post(
        cooperative=coop,
        idempotency_key=f"test-invoice:{project.pk}:{day}:{net}",
        date=day,
        description="Invoice",
        postings=[
            Posting(
                account_get(cooperative=coop, type=Account.Type.RECEIVABLE, client=project.client),
                debit=net + vat,
                kind=JournalLine.Kind.INCOME,
                project=project,
            ),
            Posting(
                account_get(cooperative=coop, type=Account.Type.VAT_PAYABLE), credit=vat, project=project
            ),
            Posting(
                account_get(cooperative=coop, type=Account.Type.CONTRIBUTION_INCOME),
                credit=contribution,
                kind=JournalLine.Kind.CONTRIBUTION,
                project=project,
            ),
            Posting(
                account_get(cooperative=coop, type=Account.Type.PROJECT_BUDGET, project=project),
                credit=net - contribution,
                kind=JournalLine.Kind.INCOME,
                description="Invoice 2026-0001",
            ),
        ],
    )


def text(response) -> str:
    return str(response.content.decode())


def field_block(html: str, name: str) -> str:
    """The markup of one form field: its wrapper, input and the errors shown next to it."""
    match = re.search(rf'<div class="field[^"]*">\s*<label for="id_{name}".*?</div>', html, re.S)
    assert match, f"no field {name}"
    return match.group(0)


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


@pytest.fixture
def advisor(coop, make_member):
    return make_member(coop, role="advisor")


# --- pages render ---------------------------------------------------------------------------------------


def test_every_page_renders_for_the_owner(coop, owner, advisor, client_for):
    project = new_project(coop, owner)
    document = upload_contract(coop, owner, project)
    approved = approve(coop, new_project(coop, owner, client=project.client, title="Musikvideo"), advisor)
    browser = client_for(owner)

    pages = [
        "/",
        "/clients/",
        "/clients/new/",
        f"/clients/{project.client_id}/edit/",
        "/projects/new/",
        f"/projects/{project.pk}/",
        f"/projects/{project.pk}/edit/",
        f"/projects/{project.pk}/documents/new/",
        f"/projects/{approved.pk}/",
        f"/projects/{approved.pk}/expenses/new/",
    ]
    for url in pages:
        response = browser.get(url)
        assert response.status_code == 200, url
    assert browser.get(f"/documents/{document.pk}/download/").status_code == 200

    home = text(browser.get("/"))
    assert "Bühnenbild Sommerfestival" in home and "Musikvideo" in home
    assert 'href="/projects/new/"' in home and 'href="/clients/"' in home
    assert 'data-status="approved"' in home and 'data-status="draft"' in home

    detail = text(browser.get(f"/projects/{project.pk}/"))
    assert 'data-status="draft"' in detail
    assert "Wiener Festwochen GesmbH" in detail and "Vertrag.pdf" in detail
    assert f'action="/projects/{project.pk}/submit/"' in detail
    assert f'href="/projects/{project.pk}/edit/"' in detail
    assert "No bookings yet" in detail and "<svg" not in detail  # no chart of nothing
    approved_page = text(browser.get(f"/projects/{approved.pk}/"))
    assert f'href="/projects/{approved.pk}/expenses/new/"' in approved_page
    assert f'action="/projects/{approved.pk}/close/"' in approved_page
    assert f'action="/projects/{approved.pk}/submit/"' not in approved_page
    assert f'href="/projects/{approved.pk}/edit/"' not in approved_page


def test_project_page_shows_budget_history_and_collaborators(coop, owner, advisor, make_member, client_for):
    colleague = make_member(coop)
    project = new_project(coop, owner, collaborators=[(colleague, "employed")])
    approve(coop, project, advisor)
    book_income(coop, project, Decimal("1000.00"), date(2026, 9, 30))
    book_income(coop, project, Decimal("2000.00"), date(2026, 10, 31))

    html = text(client_for(owner).get(f"/projects/{project.pk}/"))

    # 925.00 then 925.00 + 1,850.00 = 2,775.00 (coop language "en" in the test factory)
    assert re.search(r'data-figure="balance">.*?2,775\.00', html, re.S)
    assert re.search(r'data-figure="available">.*?2,775\.00', html, re.S)
    assert re.search(r'data-figure="receivable">.*?3,600\.00', html, re.S)
    assert "925.00" in html and "1,850.00" in html and "Invoice 2026-0001" in html
    assert str(colleague.user) in html and "Employed by the cooperative" in html
    assert "Draft" in html and "Submitted" in html and "Approved" in html  # the history
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg is not None
    assert len(ET.fromstring(svg.group(0)).findall(f"{SVG}circle")) == 2


def test_a_collaborator_sees_the_project_but_cannot_edit_it(coop, owner, make_member, client_for):
    colleague = make_member(coop)
    project = new_project(coop, owner, collaborators=[(colleague, "self_employed")])
    document = upload_contract(coop, owner, project)
    browser = client_for(colleague)

    assert "Bühnenbild Sommerfestival" in text(browser.get("/"))
    detail = browser.get(f"/projects/{project.pk}/")
    assert detail.status_code == 200
    assert f'href="/projects/{project.pk}/edit/"' not in text(detail)
    assert f'action="/projects/{project.pk}/submit/"' not in text(detail)
    assert browser.get(f"/documents/{document.pk}/download/").status_code == 200
    assert browser.get(f"/projects/{project.pk}/edit/").status_code == 404
    browser.post(f"/projects/{project.pk}/submit/")
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT


@pytest.mark.parametrize(
    ("same_cooperative", "role"),
    [
        (True, "member"),
        (False, "member"),
        (False, "advisor"),
        (False, "finance"),
        (False, "admin"),
    ],
)
def test_outsiders_get_404_everywhere(
    coop, other_coop, owner, make_member, client_for, same_cooperative, role
):
    project = new_project(coop, owner)
    document = upload_contract(coop, owner, project)
    outsider = make_member(coop if same_cooperative else other_coop, role=role)
    hosts = ["at.localhost"] if same_cooperative else ["de.localhost", "at.localhost"]
    for host in hosts:
        browser = client_for(outsider, host=host)
        for url in [
            f"/projects/{project.pk}/",
            f"/projects/{project.pk}/edit/",
            f"/projects/{project.pk}/documents/new/",
            f"/projects/{project.pk}/expenses/new/",
            f"/documents/{document.pk}/download/",
            f"/clients/{project.client_id}/edit/" if not same_cooperative else "/projects/0/",
        ]:
            assert browser.get(url).status_code == 404, (host, url)
        assert browser.post(f"/projects/{project.pk}/submit/").status_code == 404
        assert browser.post(f"/projects/{project.pk}/close/").status_code == 404
        assert "Bühnenbild" not in text(browser.get("/"))
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT


def test_staff_of_the_cooperative_see_the_project_but_have_no_edit_page(coop, owner, advisor, client_for):
    project = new_project(coop, owner)
    document = upload_contract(coop, owner, project)
    browser = client_for(advisor)
    assert browser.get(f"/projects/{project.pk}/").status_code == 200
    assert browser.get(f"/documents/{document.pk}/download/").status_code == 200
    assert browser.get(f"/projects/{project.pk}/edit/").status_code == 404


def test_pages_need_login_and_a_membership(coop, owner, client_for):
    from django.test import Client as Browser

    project = new_project(coop, owner)
    anonymous = Browser(HTTP_HOST="at.localhost")
    response = anonymous.get(f"/projects/{project.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    from tests.factories import UserFactory

    stranger = Browser(HTTP_HOST="at.localhost")
    stranger.force_login(UserFactory())
    assert stranger.get(f"/projects/{project.pk}/").status_code == 404
    assert stranger.get("/clients/").status_code == 404


# --- document download ----------------------------------------------------------------------------------


def test_download_is_an_attachment_with_the_stored_type_and_nosniff(coop, owner, client_for):
    project = new_project(coop, owner)
    document = upload_contract(coop, owner, project)

    response = client_for(owner).get(f"/documents/{document.pk}/download/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Vertrag.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF


# --- forms ----------------------------------------------------------------------------------------------


def project_post(client_id: int, **overrides) -> dict[str, str]:
    data = {
        "client": str(client_id),
        "title": "Corporate Video",
        "description": "Imagefilm, 3 Minuten",
        "service_period_start": "2026-09-01",
        "service_period_end": "2026-10-31",
        "agreed_net_amount": "6200.00",
        "vat_treatment": "standard",
        "exemption_text": "",
        "collab-TOTAL_FORMS": "2",
        "collab-INITIAL_FORMS": "0",
        "collab-MIN_NUM_FORMS": "0",
        "collab-MAX_NUM_FORMS": "50",
        "collab-0-membership": "",
        "collab-0-employment": "self_employed",
        "collab-1-membership": "",
        "collab-1-employment": "self_employed",
    }
    data.update(overrides)
    return data


def test_create_project_with_a_collaborator(coop, owner, make_member, client_for):
    colleague = make_member(coop)
    client = new_client(coop, owner)
    response = client_for(owner).post(
        "/projects/new/",
        project_post(
            client.pk, **{"collab-0-membership": str(colleague.pk), "collab-0-employment": "employed"}
        ),
        follow=True,
    )
    project = Project.objects.for_cooperative(coop).get()
    assert response.redirect_chain[-1][0] == f"/projects/{project.pk}/"
    assert project.owner == owner and project.agreed_net_amount == Decimal("6200.00")
    collaboration = Collaboration.objects.for_cooperative(coop).get(project=project)
    assert (collaboration.membership, collaboration.employment) == (colleague, "employed")
    assert "Project created" in text(response)


def test_project_form_keeps_typed_values_on_form_error(coop, owner, client_for):
    client = new_client(coop, owner)
    response = client_for(owner).post(
        "/projects/new/", project_post(client.pk, service_period_end="2026-08-01", agreed_net_amount="-5")
    )
    assert response.status_code == 200
    html = text(response)
    assert 'value="Corporate Video"' in html
    assert "Imagefilm, 3 Minuten" in html
    assert 'value="2026-09-01"' in html and 'value="2026-08-01"' in html
    assert 'value="-5"' in html
    assert "Must not be before the start." in field_block(html, "service_period_end")
    assert "amounts cannot be negative" in field_block(html, "agreed_net_amount")
    assert not Project.objects.for_cooperative(coop).exists()


def test_project_form_puts_service_errors_next_to_the_field(coop, owner, client_for):
    client = new_client(coop, owner, name="Julia Berger", kind="consumer", vat_id="")
    response = client_for(owner).post(
        "/projects/new/", project_post(client.pk, vat_treatment="reverse_charge", title="Hochzeit")
    )
    assert response.status_code == 200
    html = text(response)
    assert "Not a business in another EU country with a valid VAT id." in field_block(html, "client")
    assert "Reverse charge applies only to a business in another EU country" in html
    assert 'value="Hochzeit"' in html
    assert re.search(r'<option value="reverse_charge" selected>', html)
    assert not Project.objects.for_cooperative(coop).exists()


def test_project_form_offers_only_this_cooperatives_clients_and_members(
    coop, other_coop, owner, make_member, client_for
):
    foreign_member = make_member(other_coop)
    foreign_client = new_client(other_coop, foreign_member, name="Berliner Ensemble GmbH")
    mine = new_client(coop, owner)
    browser = client_for(owner)
    html = text(browser.get("/projects/new/"))
    assert "Berliner Ensemble" not in html and str(foreign_member.user) not in html

    response = browser.post("/projects/new/", project_post(foreign_client.pk))
    assert "Select a valid choice" in field_block(text(response), "client")
    response = browser.post(
        "/projects/new/", project_post(mine.pk, **{"collab-0-membership": str(foreign_member.pk)})
    )
    assert "Select a valid choice" in text(response)
    assert not Project.objects.for_cooperative(coop).exists()
    assert not Project.objects.for_cooperative(other_coop).exists()


def test_edit_project_changes_terms_and_collaborators(coop, owner, make_member, client_for):
    first, second = make_member(coop), make_member(coop)
    project = new_project(coop, owner, collaborators=[(first, "employed")])
    data = project_post(
        project.client_id,
        title="Bühnenbild Sommerfestival, 2. Teil",
        **{
            "collab-TOTAL_FORMS": "3",
            "collab-INITIAL_FORMS": "1",
            "collab-0-membership": "",  # removes `first`
            "collab-0-employment": "employed",
            "collab-1-membership": str(second.pk),
            "collab-1-employment": "self_employed",
            "collab-2-membership": "",
            "collab-2-employment": "self_employed",
        },
    )
    response = client_for(owner).post(f"/projects/{project.pk}/edit/", data)
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "Bühnenbild Sommerfestival, 2. Teil"
    assert [(c.membership, c.employment) for c in Collaboration.objects.for_cooperative(coop)] == [
        (second, "self_employed")
    ]


def test_submitted_project_cannot_be_edited(coop, owner, client_for):
    project = new_project(coop, owner)
    upload_contract(coop, owner, project)
    services.project_submit(cooperative=coop, actor=owner, project=project)
    browser = client_for(owner)
    response = browser.get(f"/projects/{project.pk}/edit/", follow=True)
    assert response.redirect_chain[-1][0] == f"/projects/{project.pk}/"
    assert "cannot be edited" in text(response)
    browser.post(f"/projects/{project.pk}/edit/", project_post(project.client_id, title="Changed"))
    project.refresh_from_db()
    assert project.title == "Bühnenbild Sommerfestival"


def test_client_form_keeps_typed_values_and_shows_the_vat_id_error(coop, owner, client_for):
    data = {
        "name": "Studio Nord GmbH",
        "kind": "business",
        "street": "Schanzenstraße 20",
        "postcode": "20357",
        "city": "Hamburg",
        "country": "de",
        "email": "ap@studionord.example",
        "vat_id": "DE000",
        "order_reference": "",
        "buyer_reference": "",
    }
    response = client_for(owner).post("/clients/new/", data)
    assert response.status_code == 200
    html = text(response)
    assert 'value="Studio Nord GmbH"' in html and 'value="Schanzenstraße 20"' in html
    assert 'value="DE000"' in html
    assert 'class="errorlist' in field_block(html, "vat_id")
    assert not Client.objects.for_cooperative(coop).exists()

    data["vat_id"] = "DE136695976"
    response = client_for(owner).post("/clients/new/?then=project", data)
    client = Client.objects.for_cooperative(coop).get()
    assert response["Location"] == f"/projects/new/?client={client.pk}"
    assert client.country == "DE"
    assert f'<option value="{client.pk}" selected>' in text(client_for(owner).get(response["Location"]))


def test_client_edit_saves(coop, owner, client_for):
    client = new_client(coop, owner)
    data = {**{k: getattr(client, k) for k in ("name", "kind", "street", "postcode", "city", "country")}}
    data.update(city="Wien-Mariahilf", email="", vat_id=client.vat_id, order_reference="", buyer_reference="")
    response = client_for(owner).post(f"/clients/{client.pk}/edit/", data)
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.city == "Wien-Mariahilf"


# --- uploads --------------------------------------------------------------------------------------------


def test_upload_a_contract(coop, owner, client_for, _private_media):
    project = new_project(coop, owner)
    response = client_for(owner).post(
        f"/projects/{project.pk}/documents/new/",
        {"kind": "contract", "file": SimpleUploadedFile("Werkvertrag.pdf", PDF, "application/pdf")},
        follow=True,
    )
    document = Document.objects.for_cooperative(coop).get()
    assert (document.kind, document.original_name, document.size) == ("contract", "Werkvertrag.pdf", len(PDF))
    assert "Werkvertrag.pdf" in text(response)
    assert len(stored_files(_private_media)) == 1


def test_oversized_upload_is_refused_and_nothing_stored(coop, owner, client_for, settings, _private_media):
    settings.DOCUMENT_MAX_BYTES = 2048
    project = new_project(coop, owner)
    big = PDF + b"%" + b"x" * 4096 + b"\n"
    response = client_for(owner).post(
        f"/projects/{project.pk}/documents/new/",
        {"kind": "contract", "file": SimpleUploadedFile("Vertrag.pdf", big, "application/pdf")},
    )
    assert response.status_code == 200
    html = text(response)
    assert "The file is too large" in html
    assert "Too large." in field_block(html, "file")
    assert not Document.objects.for_cooperative(coop).exists()
    assert stored_files(_private_media) == []


def test_pdf_name_with_other_bytes_is_refused_and_nothing_stored(coop, owner, client_for, _private_media):
    project = new_project(coop, owner)
    response = client_for(owner).post(
        f"/projects/{project.pk}/documents/new/",
        {
            "kind": "contract",
            "file": SimpleUploadedFile(
                "Vertrag.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"
            ),
        },
    )
    assert response.status_code == 200
    html = text(response)
    assert "Only PDF, PNG and JPEG files are accepted" in html
    assert "Not a PDF, PNG or JPEG file." in field_block(html, "file")
    assert 'value="contract" selected' in html
    assert not Document.objects.for_cooperative(coop).exists()
    assert stored_files(_private_media) == []


# --- expenses -------------------------------------------------------------------------------------------


def expense_post(**overrides):
    data = {
        "amount": "120.00",
        "vat_amount": "20.00",
        "date": str(timezone.localdate() - timedelta(days=1)),
        "description": "Farben und Leinwand",
        "receipt": SimpleUploadedFile("Beleg.pdf", PDF, "application/pdf"),
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "-120.00", "Enter an amount above 0."),
        ("vat_amount", "-1.00", "amounts cannot be negative"),
    ],
)
def test_negative_expense_amounts_are_refused(coop, owner, advisor, client_for, field, value, message):
    project = approve(coop, new_project(coop, owner), advisor)
    book_income(coop, project, Decimal("1000.00"), date(2026, 1, 2))
    response = client_for(owner).post(f"/projects/{project.pk}/expenses/new/", expense_post(**{field: value}))
    assert response.status_code == 200
    html = text(response)
    assert message in field_block(html, field)
    assert f'value="{value}"' in html and 'value="Farben und Leinwand"' in html
    assert not Expense.objects.for_cooperative(coop).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "١٢٠", "Enter a number with the digits 0-9 and a dot"),
        ("vat_amount", "２０", "Enter a number with the digits 0-9 and a dot"),
        ("date", "0001-04-02", "Enter a date between 2000-01-01 and"),
    ],
)
def test_loose_expense_inputs_are_refused(coop, owner, advisor, client_for, field, value, message):
    """Issue 11, finding 8: non-ASCII digits and a receipt dated in year 1 are refused on the form too."""
    project = approve(coop, new_project(coop, owner), advisor)
    book_income(coop, project, Decimal("1000.00"), date(2026, 1, 2))
    response = client_for(owner).post(f"/projects/{project.pk}/expenses/new/", expense_post(**{field: value}))
    assert response.status_code == 200
    assert message in field_block(text(response), field)
    assert not Expense.objects.for_cooperative(coop).exists()


def test_expense_above_the_available_budget_is_refused_by_the_service(coop, owner, advisor, client_for):
    project = approve(coop, new_project(coop, owner), advisor)
    response = client_for(owner).post(f"/projects/{project.pk}/expenses/new/", expense_post())
    html = text(response)
    assert "Above the available budget." in field_block(html, "amount")
    assert not Expense.objects.for_cooperative(coop).exists()
    assert not Document.objects.for_cooperative(coop).filter(kind="receipt").exists()


def test_expense_is_submitted_and_listed(coop, owner, advisor, client_for):
    project = approve(coop, new_project(coop, owner), advisor)
    book_income(coop, project, Decimal("1000.00"), date(2026, 1, 2))
    response = client_for(owner).post(f"/projects/{project.pk}/expenses/new/", expense_post(), follow=True)
    expense = Expense.objects.for_cooperative(coop).get()
    assert (expense.amount, expense.vat_amount, expense.status) == (
        Decimal("120.00"),
        Decimal("20.00"),
        "submitted",
    )
    html = text(response)
    assert "Farben und Leinwand" in html and 'data-status="submitted"' in html
    assert re.search(r'data-figure="pending">.*?120\.00', html, re.S)
    assert re.search(r'data-figure="available">.*?805\.00', html, re.S)  # 925.00 − 120.00


def test_expense_page_is_not_offered_before_approval(coop, owner, client_for):
    project = new_project(coop, owner)
    response = client_for(owner).get(f"/projects/{project.pk}/expenses/new/", follow=True)
    assert response.redirect_chain[-1][0] == f"/projects/{project.pk}/"
    assert "approved projects" in text(response)


# --- actions --------------------------------------------------------------------------------------------


def test_submit_and_close(coop, owner, advisor, client_for):
    project = new_project(coop, owner)
    upload_contract(coop, owner, project)
    browser = client_for(owner)
    assert browser.get(f"/projects/{project.pk}/submit/").status_code == 405

    response = browser.post(f"/projects/{project.pk}/submit/", follow=True)
    project.refresh_from_db()
    assert project.status == "submitted"
    assert "Project submitted for review" in text(response)

    response = browser.post(f"/projects/{project.pk}/submit/", follow=True)
    assert "cannot be submitted" in text(response)

    services.project_approve(cooperative=coop, actor=advisor, project=project)
    response = browser.post(f"/projects/{project.pk}/close/", {"comment": "Fertig."}, follow=True)
    project.refresh_from_db()
    assert project.status == "closed"
    assert "Project closed" in text(response) and "Fertig." in text(response)


# --- dashboard ------------------------------------------------------------------------------------------


def bulk_projects(coop, owner, client, count: int) -> None:
    Project.objects.bulk_create(
        Project(
            cooperative=coop,
            owner=owner,
            client=client,
            title=f"Projekt {n}",
            service_period_start=date(2026, 1, 1),
            service_period_end=date(2026, 12, 31),
            agreed_net_amount=Decimal("100.00"),
            status=Project.Status.APPROVED if n % 2 else Project.Status.DRAFT,
        )
        for n in range(count)
    )


def dashboard_queries(browser) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = browser.get("/")
    assert response.status_code == 200
    return len(queries), text(response)


def test_dashboard_query_count_does_not_grow_with_projects(coop, owner, advisor, make_member, client_for):
    colleague = make_member(coop)
    client = new_client(coop, owner)
    shared = approve(
        coop, new_project(coop, colleague, client=client, collaborators=[(owner, "employed")]), advisor
    )
    book_income(coop, shared, Decimal("1000.00"), date(2026, 3, 1))
    bulk_projects(coop, owner, client, 4)
    browser = client_for(owner)
    browser.get("/")  # warm up: session, content types

    few, html = dashboard_queries(browser)
    assert html.count("<tr data-project=") == 5
    assert "925.00" not in html  # the shared project is the colleague's budget, listed apart

    bulk_projects(coop, owner, client, 195)
    many, html = dashboard_queries(browser)
    assert html.count("<tr data-project=") == 200
    assert many == few


def test_dashboard_shows_only_my_projects(coop, owner, make_member, client_for):
    other = make_member(coop)
    new_project(coop, other, title="Fremdes Projekt")
    new_project(coop, owner, title="Mein Projekt")
    html = text(client_for(owner).get("/"))
    assert "Mein Projekt" in html and "Fremdes Projekt" not in html


# --- chart ----------------------------------------------------------------------------------------------


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def test_chart_with_no_points_is_valid_svg():
    root = parse(balance_chart([]))
    assert root.find(f"{SVG}path") is None
    assert "No bookings yet" in "".join(root.itertext())


def test_chart_with_one_point_is_a_visible_step():
    root = parse(balance_chart([(date(2026, 3, 1), Decimal("925.00"))]))
    path = root.find(f"{SVG}path")
    assert path is not None
    d = path.get("d", "")
    assert d.startswith("M") and "V" in d and "H" in d
    assert len(root.findall(f"{SVG}circle")) == 1


def test_chart_with_many_points_and_negative_balances():
    start = date(2026, 1, 1)
    points = [(start + timedelta(days=7 * n), Decimal(n * 137 - 900)) for n in range(40)]
    points.append((points[-1][0], Decimal("-12.34")))  # two bookings on one day: the day ends on the last
    root = parse(balance_chart(points, until=date(2027, 1, 1)))
    assert len(root.findall(f"{SVG}circle")) == 40
    labels = [t.text or "" for t in root.findall(f"{SVG}text")]
    assert any(label.startswith("-") for label in labels)  # the axis goes below zero
    assert root.find(f"{SVG}line[@class='chart-zero']") is not None
    for number in re.findall(r"-?\d+(?:\.\d+)?", root.find(f"{SVG}path").get("d", "")):
        assert 0 <= Decimal(number) <= WIDTH


def test_chart_escapes_every_text():
    hostile = '<script>alert("x")</script> & Co'
    svg = balance_chart(
        [(date(2026, 1, 1), Decimal("5.00"))],
        title=hostile,
        amount_label=lambda value: f"{value} <b>",
        date_label=lambda day: f"{day} & </text>",
    )
    root = parse(svg)
    assert "<script>" not in svg
    assert root.find(f"{SVG}title").text == hostile
    assert any("& </text>" in (t.text or "") for t in root.iter(f"{SVG}text"))


def test_collaborator_refusal_is_in_the_error_summary_linked_to_the_collaborators(
    coop, owner, make_member, client_for, monkeypatch
):
    """What the service refuses about the collaborators as a whole (details["collaborators"]) is summarised at
    the top of the form with the field errors, linked to the collaborators' fieldset. (The form's choices
    already keep the owner out, so the service's refusal is raised here by hand.)"""
    from projects import services as project_services
    from smartprod.core.errors import ApplicationError

    def refuse(**_kwargs):
        raise ApplicationError(
            "Refused.", details={"collaborators": ["Remove yourself from the collaborators."]}
        )

    monkeypatch.setattr(project_services, "project_create", refuse)
    colleague = make_member(coop)
    client = new_client(coop, owner)
    response = client_for(owner).post(
        "/projects/new/", project_post(client.pk, **{"collab-0-membership": str(colleague.pk)})
    )
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('id="form-errors"')
    summary = html[start : html.index("</div>", start)]
    assert 'href="#collaborators"' in summary
    assert "Remove yourself from the collaborators." in summary
    assert 'id="collaborators"' in html
    assert not Project.objects.for_cooperative(coop).exists()
