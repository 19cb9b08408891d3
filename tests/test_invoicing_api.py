"""The invoicing REST API: drafts, four-eyes issue, PDF, payments, credit notes, write-offs, dunning blocks,
the camt.053 import — and that nobody outside an invoice's project learns it exists (404, never 403).
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from invoicing import services
from invoicing.lib.camt import build_camt053
from invoicing.models import BankEntry, Invoice, InvoiceLine, Payment, WriteOff
from projects import services as project_services
from projects.models import JournalEntry
from smartprod.core.models import NumberCounter
from tests.invoicing_helpers import draft, issued
from tests.projects_helpers import approved_project

pytestmark = pytest.mark.django_db

LINES = [
    {"description": "Bühnenbild Entwurf", "quantity": "10", "unit_price": "100.00", "vat_rate": "20"},
    {"description": "Fahrtkosten", "quantity": "1", "unit": "LS", "unit_price": "50.00", "vat_rate": "20"},
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


@pytest.fixture
def advisor(coop, make_member):
    return make_member(coop, role="advisor")


@pytest.fixture
def finance(coop, make_member):
    return make_member(coop, role="finance")


@pytest.fixture
def project(coop, owner, advisor):
    return approved_project(coop, owner, advisor)


def url(invoice_or_id, suffix: str = "") -> str:
    pk = getattr(invoice_or_id, "pk", invoice_or_id)
    return f"/api/invoices/{pk}/{suffix}"


def today() -> date:
    return timezone.localdate()


def create_body(project, **overrides) -> dict[str, Any]:
    return {"project": project.pk, "lines": LINES, "service_date": "2026-04-30", **overrides}


# --- the happy path -------------------------------------------------------------------------------------


def test_draft_submit_issue_and_pay_in_two_parts(coop, owner, advisor, finance, project, api_for):
    member_api, advisor_api, finance_api = api_for(owner), api_for(advisor), api_for(finance)

    created = member_api.post("/api/invoices/", create_body(project, order_reference="PO-7"), format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["kind"], body["number"], body["dunning_level"]) == (
        "draft",
        "invoice",
        None,
        0,
    )
    assert (body["net_total"], body["vat_total"], body["gross_total"]) == ("1050.00", "210.00", "1260.00")
    assert body["open_amount"] == "0.00"  # nothing is owed before the invoice is issued
    assert body["project"] == project.pk
    assert body["client"] == {"id": project.client_id, "name": "ACME GmbH"}
    assert body["order_reference"] == "PO-7"
    assert [
        (x["description"], x["quantity"], x["unit"], x["net_amount"], x["vat_amount"]) for x in body["lines"]
    ] == [
        ("Bühnenbild Entwurf", "10.000", "C62", "1000.00", "200.00"),
        ("Fahrtkosten", "1.000", "LS", "50.00", "10.00"),
    ]
    assert body["vat_breakdown"] == [{"category": "S", "rate": "20.00", "basis": "1050.00", "vat": "210.00"}]
    invoice_id = body["id"]

    submitted = member_api.post(url(invoice_id, "submit/"))
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"

    issued_ = advisor_api.post(url(invoice_id, "issue/"))

    assert issued_.status_code == 200, issued_.json()
    body = issued_.json()
    assert body["number"] == f"{today().year}-00001"
    assert body["status"] == "issued"
    assert body["issue_date"] == today().isoformat()
    assert body["due_date"] == (today() + timedelta(days=coop.payment_terms_days)).isoformat()
    assert body["open_amount"] == body["gross_total"] == "1260.00"
    assert body["rf_reference"].startswith("RF")
    assert body["dunning_level"] == 0 and body["dunning_blocked"] is False

    first = finance_api.post(
        url(invoice_id, "payments/"), {"amount": "500.00", "date": today().isoformat()}, format="json"
    )

    assert first.status_code == 201, first.json()
    assert (first.json()["amount"], first.json()["source"]) == ("500.00", "manual")
    detail = member_api.get(url(invoice_id)).json()
    assert (detail["status"], detail["paid_total"], detail["open_amount"]) == (
        "partially_paid",
        "500.00",
        "760.00",
    )

    rest = finance_api.post(
        url(invoice_id, "payments/"), {"amount": "760.00", "date": today().isoformat()}, format="json"
    )

    assert rest.status_code == 201, rest.json()
    detail = member_api.get(url(invoice_id)).json()
    assert (detail["status"], detail["paid_total"], detail["open_amount"]) == ("paid", "1260.00", "0.00")
    payments = member_api.get(url(invoice_id, "payments/")).json()
    assert [(p["amount"], p["date"]) for p in payments] == [
        ("500.00", today().isoformat()),
        ("760.00", today().isoformat()),
    ]


def test_list_shows_own_invoices_to_the_member_and_all_to_staff(
    coop, owner, advisor, project, make_member, api_for
):
    other_member = make_member(coop)
    other_project = approved_project(coop, other_member, advisor, title="Other")
    mine = draft(coop, owner, project)
    theirs = draft(coop, other_member, other_project)

    own = api_for(owner).get("/api/invoices/").json()
    everything = api_for(advisor).get("/api/invoices/").json()
    filtered = api_for(advisor).get(f"/api/invoices/?project={other_project.pk}&status=draft").json()

    assert [i["id"] for i in own["results"]] == [mine.pk]
    assert {i["id"] for i in everything["results"]} == {mine.pk, theirs.pk}
    assert [i["id"] for i in filtered["results"]] == [theirs.pk]


def test_a_collaborator_sees_the_invoice_but_cannot_change_it(coop, owner, advisor, make_member, api_for):
    colleague = make_member(coop)
    project = approved_project(coop, owner, advisor, collaborators=[(colleague, "employed")])
    invoice = draft(coop, owner, project)
    api = api_for(colleague)

    assert api.get(url(invoice)).status_code == 200
    response = api.patch(url(invoice), {"note": "mine"}, format="json")

    assert response.status_code == 403  # a permission refusal
    assert "owner" in response.json()["detail"]
    invoice.refresh_from_db()
    assert invoice.note == ""


def test_patch_replaces_lines_and_recomputes_totals_and_a_submitted_invoice_goes_back_to_draft(
    coop, owner, project, api_for
):
    invoice = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    new_lines = [
        {"description": "Konzept", "quantity": "2.5", "unit": "HUR", "unit_price": "80.00", "vat_rate": "13"}
    ]

    response = api_for(owner).patch(url(invoice), {"lines": new_lines, "note": "Danke!"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["note"]) == ("draft", "Danke!")
    assert (body["net_total"], body["vat_total"], body["gross_total"]) == ("200.00", "26.00", "226.00")
    assert [(x["quantity"], x["unit"], x["vat_rate"]) for x in body["lines"]] == [("2.500", "HUR", "13.00")]


def test_patch_of_an_issued_invoice_is_a_conflict(coop, owner, advisor, project, api_for):
    invoice = issued(coop, owner, advisor, project)

    response = api_for(owner).patch(url(invoice), {"note": "changed"}, format="json")

    assert response.status_code == 409
    assert "credit note" in response.json()["detail"]


def test_patch_cannot_move_an_invoice_to_another_project(coop, owner, advisor, project, api_for):
    invoice = draft(coop, owner, project)
    other = approved_project(coop, owner, advisor, title="Other")

    response = api_for(owner).patch(url(invoice), {"project": other.pk}, format="json")

    assert response.status_code == 400
    assert "project" in response.json()["detail"]
    invoice.refresh_from_db()
    assert invoice.project_id == project.pk


def test_service_period_instead_of_a_date(coop, owner, project, api_for):
    body = create_body(
        project, service_date=None, service_period_start="2026-03-01", service_period_end="2026-04-30"
    )

    response = api_for(owner).post("/api/invoices/", body, format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["service_period_start"], response.json()["service_period_end"]) == (
        "2026-03-01",
        "2026-04-30",
    )


# --- credit notes, write-offs, dunning blocks -----------------------------------------------------------


def test_full_credit_note_cancels_the_invoice(coop, owner, advisor, project, api_for):
    invoice = issued(coop, owner, advisor, project)

    response = api_for(advisor).post(
        url(invoice, "credit-note/"), {"reason": "Auftrag storniert"}, format="json"
    )

    assert response.status_code == 201, response.json()
    note = response.json()
    assert (note["kind"], note["original"], note["gross_total"]) == ("credit_note", invoice.pk, "1200.00")
    assert note["number"] == f"GS-{today().year}-00001"
    original = api_for(owner).get(url(invoice)).json()
    assert (original["status"], original["open_amount"]) == ("cancelled", "0.00")
    assert original["credit_notes"][0]["id"] == note["id"]


def test_partial_credit_note_with_lines(coop, owner, advisor, project, api_for):
    invoice = issued(coop, owner, advisor, project)
    lines = [{"description": "Nachlass", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}]

    response = api_for(advisor).post(
        url(invoice, "credit-note/"), {"reason": "Nachlass", "lines": lines}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["gross_total"] == "120.00"
    assert api_for(owner).get(url(invoice)).json()["open_amount"] == "1080.00"


def test_a_member_cannot_credit_write_off_block_or_record_payments(coop, owner, advisor, project, api_for):
    invoice = issued(coop, owner, advisor, project)
    api = api_for(owner)

    answers = [
        api.post(url(invoice, "credit-note/"), {"reason": "x"}, format="json").status_code,
        api.post(url(invoice, "write-off/"), {"reason": "x"}, format="json").status_code,
        api.post(url(invoice, "dunning-block/"), {"reason": "x"}, format="json").status_code,
        api.post(
            url(invoice, "payments/"), {"amount": "1.00", "date": today().isoformat()}, format="json"
        ).status_code,
    ]

    assert answers == [403, 403, 403, 403]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.dunning_blocked, invoice.paid_total) == ("issued", False, Decimal("0.00"))
    assert not Invoice.objects.for_cooperative(coop).filter(kind="credit_note").exists()


def test_write_off_by_finance_and_not_by_an_advisor(coop, owner, advisor, finance, project, api_for):
    invoice = issued(coop, owner, advisor, project)

    refused = api_for(advisor).post(url(invoice, "write-off/"), {"reason": "Kunde insolvent"}, format="json")
    done = api_for(finance).post(url(invoice, "write-off/"), {"reason": "Kunde insolvent"}, format="json")

    assert refused.status_code == 403
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["written_off_total"], done.json()["open_amount"]) == (
        "written_off",
        "1200.00",
        "0.00",
    )
    assert WriteOff.objects.for_cooperative(coop).get().reason == "Kunde insolvent"


def test_write_off_without_reason_is_refused(coop, owner, advisor, finance, project, api_for):
    invoice = issued(coop, owner, advisor, project)

    response = api_for(finance).post(url(invoice, "write-off/"), {"reason": " "}, format="json")

    assert response.status_code == 400
    assert response.json()["details"] == {"reason": ["Required."]}
    assert not WriteOff.objects.for_cooperative(coop).exists()


def test_dunning_block_needs_a_reason_and_can_be_lifted(coop, owner, advisor, project, api_for):
    invoice = issued(coop, owner, advisor, project)
    api = api_for(advisor)

    no_reason = api.post(url(invoice, "dunning-block/"), {}, format="json")
    blocked = api.post(url(invoice, "dunning-block/"), {"reason": "Kunde bestreitet Leistung"}, format="json")
    blocked_body = blocked.json()
    lifted = api.post(url(invoice, "dunning-block/"), {"blocked": False}, format="json")

    assert no_reason.status_code == 400
    assert blocked.status_code == 200
    assert (blocked_body["dunning_blocked"], blocked_body["dunning_block_reason"]) == (
        True,
        "Kunde bestreitet Leistung",
    )
    assert (lifted.json()["dunning_blocked"], lifted.json()["dunning_block_reason"]) == (False, "")


# --- the PDF --------------------------------------------------------------------------------------------


def test_pdf_is_a_conflict_until_rendered_then_an_attachment(
    coop, owner, advisor, project, api_for, django_capture_on_commit_callbacks
):
    invoice = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    api = api_for(owner)

    before = api.get(url(invoice, "pdf/"), HTTP_ACCEPT="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):  # the render task runs after the commit
        assert api_for(advisor).post(url(invoice, "issue/")).status_code == 200
    after = api.get(url(invoice, "pdf/"))

    assert before.status_code == 409
    assert before["Content-Type"] == "application/json"
    assert before.json()["detail"]
    assert after.status_code == 200
    assert after["Content-Type"] == "application/pdf"
    assert after["Content-Disposition"] == f'attachment; filename="Rechnung-{today().year}-00001.pdf"'
    assert after["X-Content-Type-Options"] == "nosniff"
    assert after.content.startswith(b"%PDF")
    detail = api.get(url(invoice)).json()
    assert detail["pdf_rendered_at"] is not None
    assert detail["pdf_url"] == url(invoice, "pdf/")


# --- bad input: refused with a clear message, nothing stored --------------------------------------------


def test_negative_quantity_is_refused(coop, owner, project, api_for):
    lines = [{**LINES[0], "quantity": "-2"}]

    response = api_for(owner).post("/api/invoices/", create_body(project, lines=lines), format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "Line 1: the quantity must be positive."
    assert response.json()["details"] == {"quantity": ["Must be above 0."]}
    assert not Invoice.objects.for_cooperative(coop).exists()


def test_unknown_vat_rate_is_refused(coop, owner, project, api_for):
    lines = [{**LINES[0], "vat_rate": "99"}]

    response = api_for(owner).post("/api/invoices/", create_body(project, lines=lines), format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Unknown VAT rate 99 for a service on 2026-04-30")
    assert "20 %" in response.json()["detail"]
    assert not Invoice.objects.for_cooperative(coop).exists()
    assert not InvoiceLine.objects.for_cooperative(coop).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"unit_price": "12,50"}, "unit_price"),
        ({"unit_price": 12.5}, "unit_price"),
        ({"quantity": "zwei"}, "quantity"),
        ({"description": ""}, "description"),
    ],
    ids=["comma", "float", "words", "no-description"],
)
def test_malformed_line_is_refused(coop, owner, project, api_for, change, field):
    lines = [{**LINES[0], **change}]

    response = api_for(owner).post("/api/invoices/", create_body(project, lines=lines), format="json")

    assert response.status_code == 400
    assert "lines" in response.json()["details"], response.json()
    assert field in response.json()["detail"]
    assert not Invoice.objects.for_cooperative(coop).exists()


def test_draft_without_service_date_or_lines_is_refused(coop, owner, project, api_for):
    api = api_for(owner)

    no_date = api.post("/api/invoices/", create_body(project, service_date=None), format="json")
    no_lines = api.post("/api/invoices/", create_body(project, lines=[]), format="json")

    assert no_date.status_code == no_lines.status_code == 400
    assert no_date.json()["detail"] == "Give the date of service or the service period."
    assert no_lines.json()["detail"] == "An invoice needs at least one line."
    assert not Invoice.objects.for_cooperative(coop).exists()


def test_draft_for_a_project_that_is_not_approved_is_a_conflict(coop, owner, api_for):
    from tests.projects_helpers import make_project

    unapproved = make_project(coop, owner)

    response = api_for(owner).post("/api/invoices/", create_body(unapproved), format="json")

    assert response.status_code == 409
    assert "approved" in response.json()["detail"]
    assert not Invoice.objects.for_cooperative(coop).exists()


def test_draft_for_a_project_of_another_cooperative_is_refused(coop, other_coop, owner, make_member, api_for):
    foreign_owner = make_member(other_coop)
    foreign = approved_project(other_coop, foreign_owner, make_member(other_coop, role="advisor"))

    response = api_for(owner).post("/api/invoices/", create_body(foreign), format="json")

    assert response.status_code == 400
    assert response.json()["details"] == {"project": ["There is no such project of yours."]}
    assert not Invoice.objects.all_cooperatives().exists()


def test_issuing_an_invoice_of_a_closed_project_is_a_conflict(coop, owner, advisor, project, api_for):
    invoice = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    project_services.project_close(cooperative=coop, actor=owner, project=project)

    response = api_for(advisor).post(url(invoice, "issue/"))

    assert response.status_code == 409
    assert (
        response.json()["detail"]
        == "Only invoices of approved projects can be issued; the project is closed."
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("submitted", None)
    assert not NumberCounter.objects.for_cooperative(coop).filter(last_number__gt=0).exists()


def test_a_member_issuing_is_refused(coop, owner, project, api_for):
    invoice = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)

    response = api_for(owner).post(url(invoice, "issue/"))

    assert response.status_code == 403  # a permission refusal, not bad input
    assert response.json()["detail"] == "An advisor or a finance person issues invoices."
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("submitted", None)


def test_issuing_a_draft_that_was_not_submitted_is_a_conflict(coop, owner, advisor, project, api_for):
    invoice = draft(coop, owner, project)

    response = api_for(advisor).post(url(invoice, "issue/"))

    assert response.status_code == 409
    assert response.json()["detail"] == "The member submits the draft first."


def test_issuing_twice_is_a_conflict(coop, owner, advisor, project, api_for):
    invoice = issued(coop, owner, advisor, project)

    response = api_for(advisor).post(url(invoice, "issue/"))

    assert response.status_code == 409
    assert response.json()["detail"] == f"This invoice is already issued ({invoice.number})."
    assert NumberCounter.objects.for_cooperative(coop).get(series="invoice").last_number == 1


def test_finance_without_two_factor_cannot_issue(coop, owner, project, make_member, api_for):
    invoice = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    finance = make_member(coop, role="finance", totp=False)

    response = api_for(finance).post(url(invoice, "issue/"))

    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]
    invoice.refresh_from_db()
    assert invoice.status == "submitted"


def test_paying_more_than_open_needs_allow_overpayment(coop, owner, advisor, finance, project, api_for):
    invoice = issued(coop, owner, advisor, project)
    api = api_for(finance)
    body = {"amount": "1300.00", "date": today().isoformat()}

    refused = api.post(url(invoice, "payments/"), body, format="json")

    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        "The payment (1300.00) is more than the open amount (1200.00)."
    )
    assert not Payment.objects.for_cooperative(coop).exists()

    allowed = api.post(url(invoice, "payments/"), {**body, "allow_overpayment": True}, format="json")

    assert allowed.status_code == 201
    detail = api.get(url(invoice)).json()
    assert (detail["status"], detail["open_amount"]) == ("paid", "-100.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("12,50", 'Enter an amount as a decimal number with a dot, e.g. "12.50".'),
        (12.5, 'Send amounts as decimal strings, e.g. "12.50", not as JSON numbers.'),
        ("-5.00", "The amount must not be negative."),
        ("1.005", "An amount has at most two decimal places (cents)."),
    ],
    ids=["comma", "float", "negative", "fractions-of-cents"],
)
def test_malformed_payment_amount_is_refused(
    coop, owner, advisor, finance, project, api_for, amount, message
):
    invoice = issued(coop, owner, advisor, project)

    response = api_for(finance).post(
        url(invoice, "payments/"), {"amount": amount, "date": today().isoformat()}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["details"] == {"amount": [message]}
    assert not Payment.objects.for_cooperative(coop).exists()
    invoice.refresh_from_db()
    assert invoice.paid_total == Decimal("0.00")


def test_payment_on_a_draft_is_a_conflict(coop, owner, finance, project, api_for):
    invoice = draft(coop, owner, project)

    response = api_for(finance).post(
        url(invoice, "payments/"), {"amount": "10.00", "date": today().isoformat()}, format="json"
    )

    assert response.status_code == 409
    assert not Payment.objects.for_cooperative(coop).exists()


# --- isolation: 404 for everyone who may not see the invoice --------------------------------------------

OUTSIDERS = [
    ("same coop", "member"),
    ("other coop", "member"),
    ("other coop", "advisor"),
    ("other coop", "finance"),
    ("other coop", "admin"),
]
REQUESTS = [
    ("get", ""),
    ("patch", ""),
    ("post", "submit/"),
    ("post", "issue/"),
    ("get", "pdf/"),
    ("get", "payments/"),
    ("post", "payments/"),
    ("post", "credit-note/"),
    ("post", "write-off/"),
    ("post", "dunning-block/"),
]


@pytest.mark.parametrize(("where", "role"), OUTSIDERS, ids=[f"{w}-{r}" for w, r in OUTSIDERS])
@pytest.mark.parametrize(("method", "suffix"), REQUESTS, ids=[f"{m}-{s or 'detail'}" for m, s in REQUESTS])
def test_outsiders_get_404_on_every_invoice_endpoint(
    coop, other_coop, owner, advisor, project, make_member, api_for, where, role, method, suffix
):
    invoice = issued(coop, owner, advisor, project)
    submitted = draft(coop, owner, project)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=submitted)
    target = submitted if suffix in ("", "submit/", "issue/") else invoice
    outsider = make_member(coop if where == "same coop" else other_coop, role=role)
    body = {"note": "mine", "amount": "10.00", "date": today().isoformat(), "reason": "x", "blocked": True}

    response = getattr(api_for(outsider), method)(url(target, suffix), body, format="json")

    assert response.status_code == 404, (url(target, suffix), response.content)
    assert response.json() == {"detail": "Not found."}
    invoice.refresh_from_db()
    submitted.refresh_from_db()
    assert (invoice.status, invoice.paid_total, invoice.dunning_blocked) == ("issued", Decimal("0.00"), False)
    assert (submitted.status, submitted.note, submitted.number) == ("submitted", "", None)
    assert Invoice.objects.for_cooperative(coop).count() == 2


def test_outsider_on_another_cooperatives_host_learns_nothing(
    coop, other_coop, owner, advisor, project, make_member, api_for
):
    invoice = issued(coop, owner, advisor, project)
    api = api_for(make_member(other_coop, role="admin"), host="at.localhost")

    existing, missing = api.get(url(invoice)), api.get(url(invoice.pk + 10_000))

    assert existing.status_code == missing.status_code == 403
    assert existing.json() == missing.json()


def test_unknown_invoice_is_404(coop, owner, api_for):
    assert api_for(owner).get(url(999_999)).status_code == 404


# --- bank statements ------------------------------------------------------------------------------------


def camt(iban: str, *entries: dict[str, Any], statement_id: str = "STMT-1") -> bytes:
    return build_camt053(account_iban=iban, statement_id=statement_id, entries=list(entries))


def upload(api, data: bytes, name: str = "statement.xml"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.post(
        "/api/bank-statements/",
        {"file": SimpleUploadedFile(name, data, content_type="application/xml")},
        format="multipart",
    )


def test_bank_import_books_the_matched_payment_and_lists_the_rest(
    coop, owner, advisor, finance, project, api_for
):
    invoice = issued(coop, owner, advisor, project)
    data = camt(
        coop.iban,
        {
            "amount": Decimal("1200.00"),
            "structured_reference": invoice.rf_reference,
            "debtor_name": "ACME GmbH",
            "booking_date": today(),
        },
        {
            "amount": Decimal("33.00"),
            "remittance": "Spende",
            "debtor_name": "Unbekannt",
            "booking_date": today(),
        },
        {"amount": Decimal("9.90"), "credit": False, "remittance": "Kontogebühr", "booking_date": today()},
    )

    response = upload(api_for(finance), data)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["statement"]["statement_id"] == "STMT-1"
    assert [(e["amount"], e["status"], e["invoice"]) for e in body["matched"]] == [
        ("1200.00", "matched", invoice.pk)
    ]
    assert [(e["amount"], e["debtor_name"]) for e in body["unmatched"]] == [("33.00", "Unbekannt")]
    assert (body["ignored"], body["duplicates"]) == (1, 0)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total) == ("paid", Decimal("1200.00"))

    again = upload(api_for(finance), data)

    assert again.status_code == 201
    assert (again.json()["matched"], again.json()["duplicates"]) == ([], 3)
    assert Payment.objects.for_cooperative(coop).count() == 1


def test_bank_import_needs_finance(coop, advisor, api_for):
    response = upload(api_for(advisor), camt(coop.iban, {"amount": Decimal("1.00")}))

    assert response.status_code == 403
    assert not BankEntry.objects.all_cooperatives().exists()


def test_bank_import_of_a_file_that_is_not_camt_is_refused(coop, finance, api_for):
    response = upload(api_for(finance), b"<html>not a statement</html>")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("The bank statement cannot be read")
    assert not BankEntry.objects.all_cooperatives().exists()


def test_another_cooperatives_finance_cannot_book_against_this_cooperatives_invoices(
    coop, other_coop, owner, advisor, project, make_member, api_for
):
    invoice = issued(coop, owner, advisor, project)
    foreign_finance = api_for(make_member(other_coop, role="finance"))
    paying = {
        "amount": Decimal("1200.00"),
        "structured_reference": invoice.rf_reference,
        "remittance": invoice.number,
    }

    own_account = upload(foreign_finance, camt(other_coop.iban, paying))
    our_account = upload(foreign_finance, camt(coop.iban, paying, statement_id="STMT-2"))

    assert own_account.status_code == 201
    assert own_account.json()["matched"] == []
    assert [e["amount"] for e in own_account.json()["unmatched"]] == ["1200.00"]
    assert our_account.status_code == 400
    assert "not of this cooperative's account" in our_account.json()["detail"]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total) == ("issued", Decimal("0.00"))
    assert not Payment.objects.all_cooperatives().exists()
    assert not BankEntry.objects.for_cooperative(coop).exists()


# --- query counts and schema ----------------------------------------------------------------------------


def count_queries(api, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_and_detail_query_counts_do_not_grow_with_invoices_or_lines(
    coop, owner, advisor, project, api_for
):
    api = api_for(owner)
    first = draft(coop, owner, project)
    api.get("/api/invoices/")  # warm up per-process caches
    few = count_queries(api, "/api/invoices/")
    one_line = count_queries(api, url(first))
    for _ in range(5):
        draft(coop, owner, project)
    many_lines = draft(coop, owner, project, *[(f"Line {i}", "1", "10.00", "20") for i in range(12)])

    many = count_queries(api, "/api/invoices/")
    twelve_lines = count_queries(api, url(many_lines))

    assert api.get("/api/invoices/").json()["count"] == 7
    assert many == few
    assert twelve_lines == one_line


def test_schema_documents_the_invoice_endpoints(coop, owner, api_for):
    schema = api_for(owner).get("/api/schema/", {"format": "json"}).json()

    for path in (
        "/api/invoices/",
        "/api/invoices/{invoice_id}/",
        "/api/invoices/{invoice_id}/submit/",
        "/api/invoices/{invoice_id}/issue/",
        "/api/invoices/{invoice_id}/pdf/",
        "/api/invoices/{invoice_id}/payments/",
        "/api/invoices/{invoice_id}/credit-note/",
        "/api/invoices/{invoice_id}/write-off/",
        "/api/invoices/{invoice_id}/dunning-block/",
        "/api/bank-statements/",
    ):
        assert path in schema["paths"], path
    assert (
        "application/pdf"
        in schema["paths"]["/api/invoices/{invoice_id}/pdf/"]["get"]["responses"]["200"]["content"]
    )
    assert "requestBody" in schema["paths"]["/api/invoices/{invoice_id}/payments/"]["post"]


# --- Idempotency-Key: a retried payment books once --------------------------------------------------------


def test_payment_replayed_with_the_same_key_and_body_answers_the_same_payment(
    coop, owner, advisor, finance, project, api_for
):
    invoice = issued(coop, owner, advisor, project)
    api = api_for(finance)
    body = {"amount": "500.00", "date": today().isoformat()}

    first = api.post(url(invoice, "payments/"), body, format="json", HTTP_IDEMPOTENCY_KEY="pay-7f3a")
    again = api.post(url(invoice, "payments/"), body, format="json", HTTP_IDEMPOTENCY_KEY="pay-7f3a")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Payment.objects.for_cooperative(coop).count() == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total) == ("partially_paid", Decimal("500.00"))


def test_payment_replay_of_a_settling_payment_answers_it_not_more_than_open(
    coop, owner, advisor, finance, project, api_for
):
    invoice = issued(coop, owner, advisor, project)
    api = api_for(finance)
    body = {"amount": "1200.00", "date": today().isoformat()}

    first = api.post(url(invoice, "payments/"), body, format="json", HTTP_IDEMPOTENCY_KEY="settle")
    again = api.post(url(invoice, "payments/"), body, format="json", HTTP_IDEMPOTENCY_KEY="settle")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_total) == ("paid", Decimal("1200.00"))


@pytest.mark.parametrize(
    "other",
    [{"amount": "500.01"}, {"date": "2026-01-02"}, {"allow_overpayment": True}, {"invoice": "other"}],
    ids=["amount", "date", "overpayment flag", "invoice"],
)
def test_payment_with_a_used_key_and_another_body_is_a_conflict(
    coop, owner, advisor, finance, project, api_for, other
):
    invoice, second = issued(coop, owner, advisor, project), issued(coop, owner, advisor, project)
    api = api_for(finance)
    body = {"amount": "500.00", "date": today().isoformat()}
    api.post(url(invoice, "payments/"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    target = second if other.pop("invoice", None) else invoice
    response = api.post(
        url(target, "payments/"), {**body, **other}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This idempotency key was already used for another request; send a new key.",
        "details": {"Idempotency-Key": ["Already used for another request."]},
    }
    assert Payment.objects.for_cooperative(coop).count() == 1
    assert Payment.objects.for_cooperative(coop).get().amount == Decimal("500.00")


def test_payment_without_a_key_books_each_post_and_keys_are_per_cooperative(
    coop, other_coop, owner, advisor, finance, project, api_for, make_member
):
    invoice = issued(coop, owner, advisor, project)
    api = api_for(finance)
    body = {"amount": "100.00", "date": today().isoformat()}

    assert api.post(url(invoice, "payments/"), body, format="json").status_code == 201
    assert api.post(url(invoice, "payments/"), body, format="json").status_code == 201  # two real payments
    theirs_owner, theirs_advisor = make_member(other_coop), make_member(other_coop, role="advisor")
    their_project = approved_project(other_coop, theirs_owner, theirs_advisor)
    theirs = issued(other_coop, theirs_owner, theirs_advisor, their_project, ("Set", "1", "500.00", "19"))
    their_api = api_for(make_member(other_coop, role="finance"))
    mine = api.post(url(invoice, "payments/"), body, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    their = their_api.post(url(theirs, "payments/"), body, format="json", HTTP_IDEMPOTENCY_KEY="shared")

    assert (mine.status_code, their.status_code) == (201, 201)
    assert Payment.objects.for_cooperative(coop).count() == 3
    assert Payment.objects.for_cooperative(other_coop).count() == 1


@pytest.mark.parametrize("key", ["x" * 256, "tab\there"], ids=["too long", "not printable"])
def test_a_malformed_idempotency_key_is_refused(coop, owner, advisor, finance, project, api_for, key):
    invoice = issued(coop, owner, advisor, project)

    response = api_for(finance).post(
        url(invoice, "payments/"),
        {"amount": "1.00", "date": today().isoformat()},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )

    assert response.status_code == 400
    assert response.json()["details"] == {
        "Idempotency-Key": ["The Idempotency-Key must be at most 255 printable characters."]
    }
    assert not Payment.objects.for_cooperative(coop).exists()


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_identical_payment_posts_with_one_key_book_once(
    coop, owner, advisor, finance, project, api_for
):
    invoice = issued(coop, owner, advisor, project)
    clients = [api_for(finance) for _ in range(10)]
    body = {"amount": "120.00", "date": today().isoformat()}
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, Any]] = []
    errors: list[BaseException] = []

    def post(client: Any) -> None:
        try:
            barrier.wait(timeout=30)
            response = client.post(
                url(invoice, "payments/"), body, format="json", HTTP_IDEMPOTENCY_KEY="double-click"
            )
            answers.append((response.status_code, response.json()))
        except BaseException as exc:  # surfaced by the asserts below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert [code for code, _ in answers] == [201] * 10
    assert len({body["id"] for _, body in answers}) == 1
    assert Payment.objects.for_cooperative(coop).count() == 1
    assert (
        JournalEntry.objects.for_cooperative(coop).filter(idempotency_key__startswith="payment:").count() == 1
    )
    invoice.refresh_from_db()
    assert (invoice.paid_total, invoice.status) == (Decimal("120.00"), "partially_paid")


def test_schema_documents_the_idempotency_key_header(coop, owner, api_for):
    schema = api_for(owner).get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/invoices/{invoice_id}/payments/"]["post"]
    header = next(p for p in operation["parameters"] if p["in"] == "header")
    assert (header["name"], header.get("required", False), header["schema"]) == (
        "Idempotency-Key",
        False,
        {"type": "string"},
    )
    assert "409" in operation["responses"]
