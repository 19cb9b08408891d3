"""Issue 11, finding 2: control characters and bidi overrides never reach a document; a document that
cannot be built takes no number; a retried credit-note request makes one credit note."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from invoicing import services
from invoicing.models import Invoice, InvoiceLine
from projects.models import JournalEntry
from smartprod.core.errors import ApplicationError
from smartprod.core.models import NumberCounter
from smartprod.core.validators import validate_document_text
from tests.invoicing_helpers import draft, issued
from tests.projects_helpers import approved_project

pytestmark = pytest.mark.django_db

UNSAFE = [
    "\x07",
    "\x0b",
    "\x1b",
    "\x00",
    "\ufffe",
    "\uffff",
    "\ud800",
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
]
SAFE = ["Tab\there", "line\nbreak\r\n", "Bühnenbild — Entwurf €", "日本語", "emoji 🎭", "\u200f"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


@pytest.fixture
def advisor(coop, make_member):
    return make_member(coop, role="advisor")


@pytest.fixture
def project(coop, owner, advisor):
    return approved_project(coop, owner, advisor)


@pytest.mark.parametrize("character", UNSAFE)
def test_validator_refuses_xml_invalid_and_bidi_characters(character):
    with pytest.raises(ValidationError, match="control character"):
        validate_document_text(f"Design{character}work")


@pytest.mark.parametrize("text", SAFE)
def test_validator_keeps_ordinary_text(text):
    validate_document_text(text)


@pytest.mark.parametrize("character", ["\x07", "\x0b", "\x1b", "\ufffe", "\u202e", "\u2066"])
def test_api_refuses_a_line_description_with_a_control_character(coop, owner, project, api_for, character):
    body = {
        "project": project.pk,
        "service_date": "2026-04-30",
        "lines": [
            {"description": f"Design{character}", "quantity": "1", "unit_price": "10.00", "vat_rate": "20"}
        ],
    }
    response = api_for(owner).post("/api/invoices/", body, format="json")
    assert response.status_code == 400
    assert "lines.0.description" in response.json()["details"]
    assert not Invoice.objects.for_cooperative(coop).exists()


def test_api_refuses_a_credit_note_reason_with_a_control_character(coop, owner, advisor, project, api_for):
    invoice = issued(coop, owner, advisor, project)
    response = api_for(advisor).post(
        f"/api/invoices/{invoice.pk}/credit-note/", {"reason": "Storno\x1b[31m"}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["details"]
    assert not Invoice.objects.for_cooperative(coop).filter(kind=Invoice.Kind.CREDIT_NOTE).exists()


@pytest.mark.parametrize("path", ["/clients/new/", "/admin/projects/client/add/"])
def test_forms_refuse_a_control_character(coop, advisor, client_for, path):
    response = client_for(advisor).post(path, {"name": "ACME\u202eGmbH", "kind": "business"})
    assert response.status_code == 400
    assert "U+202E" in response.content.decode()


def test_a_password_may_hold_any_character(coop, make_member):
    from django.test import Client

    member = make_member(coop)
    response = Client(HTTP_HOST="at.localhost").post(
        "/accounts/login/", {"login": member.user.email, "password": "wrong\x07"}
    )
    assert response.status_code == 200  # the login form's own answer, not the 400 of the text check


def test_issue_of_a_document_that_cannot_be_built_takes_no_number(coop, owner, advisor, project):
    """Text stored before the check (or by code) cannot reach the number: the XML is built in the issue."""
    invoice = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    InvoiceLine.objects.for_cooperative(coop).filter(invoice=invoice).update(description="Design\x07")
    with pytest.raises(ApplicationError, match="EN 16931"):
        services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == (Invoice.Status.SUBMITTED, None)
    assert all(counter.last_number == 0 for counter in NumberCounter.objects.for_cooperative(coop))
    assert not JournalEntry.objects.for_cooperative(coop).exists()


def test_issue_refuses_a_bidi_override_already_stored(coop, owner, advisor, project):
    invoice = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    InvoiceLine.objects.for_cooperative(coop).filter(invoice=invoice).update(description="Design\u202eEVIL")
    with pytest.raises(ApplicationError, match="U\\+202E"):
        services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.number is None


def test_a_retried_credit_note_request_makes_one_credit_note(coop, owner, advisor, project, api_for):
    invoice = issued(coop, owner, advisor, project)
    api = api_for(advisor)
    headers = {"HTTP_IDEMPOTENCY_KEY": "4b1c7a58-credit-1"}
    body = {"reason": "Auftrag storniert"}
    first = api.post(f"/api/invoices/{invoice.pk}/credit-note/", body, format="json", **headers)
    again = api.post(f"/api/invoices/{invoice.pk}/credit-note/", body, format="json", **headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert Invoice.objects.for_cooperative(coop).filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1
    other = api.post(
        f"/api/invoices/{invoice.pk}/credit-note/", {"reason": "anders"}, format="json", **headers
    )
    assert other.status_code == 409
