"""The projects REST API: clients, projects and their review, documents, expenses, budget.

Every lookup is scoped to the request's cooperative and person: outsiders get 404, never 403.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import services
from projects.ledger import Posting, account_get, journal_post
from projects.models import Account, Client, Collaboration, Document, Expense, JournalLine, Project
from smartprod.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
NOT_A_PDF = b"Hello, I am a plain text file pretending to be a PDF.\n"
CLIENT_FIELDS = {
    "name": "Wiener Festwochen GesmbH",
    "kind": "business",
    "street": "Lehárgasse 11",
    "postcode": "1060",
    "city": "Wien",
    "country": "AT",
    "email": "buchhaltung@festwochen.example",
    "vat_id": "ATU12345675",
    "order_reference": "PO-2025-17",
    "buyer_reference": "",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def pdf(name: str = "contract.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def make_client(coop, actor) -> Client:
    return services.client_create(cooperative=coop, actor=actor, **CLIENT_FIELDS)


def make_project(coop, owner, client=None, **terms) -> Project:
    fields = {
        "title": "Festival poster series",
        "service_period_start": date(2025, 3, 1),
        "service_period_end": date(2025, 6, 30),
        "agreed_net_amount": Decimal("4800.00"),
        **terms,
    }
    return services.project_create(
        cooperative=coop, actor=owner, client=client or make_client(coop, owner), **fields
    )


def submit(coop, owner, project) -> Project:
    services.document_upload(cooperative=coop, actor=owner, project=project, kind="contract", upload=pdf())
    return services.project_submit(cooperative=coop, actor=owner, project=project)


def approve(coop, owner, advisor, project) -> Project:
    submit(coop, owner, project)
    return services.project_approve(cooperative=coop, actor=advisor, project=project)


def fund(coop, project, amount: str, key: str, on: date = date(2025, 1, 5)) -> None:
    """Credit the project's budget (as an invoice would), debit the bank."""
    journal_post(
        cooperative=coop,
        idempotency_key=key,
        date=on,
        description="Income",
        postings=[
            Posting(
                account_get(cooperative=coop, type=Account.Type.PROJECT_BUDGET, project=project),
                credit=Decimal(amount),
                kind=JournalLine.Kind.INCOME,
            ),
            Posting(account_get(cooperative=coop, type=Account.Type.BANK), debit=Decimal(amount)),
        ],
    )


def url(project_or_id, suffix: str = "") -> str:
    pk = getattr(project_or_id, "pk", project_or_id)
    return f"/api/projects/{pk}/{suffix}"


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


@pytest.fixture
def advisor(coop, make_member):
    return make_member(coop, role="advisor")


@pytest.fixture
def approved(coop, owner, advisor) -> Project:
    """An approved project with 1000.00 in its budget."""
    project = approve(coop, owner, advisor, make_project(coop, owner))
    fund(coop, project, "1000.00", key=f"test:fund:{project.pk}")
    return project


def submit_expense(coop, owner, project, amount: str = "120.00") -> Expense:
    return services.expense_submit(
        cooperative=coop,
        actor=owner,
        project=project,
        amount=Decimal(amount),
        vat_amount=Decimal("20.00"),
        date=date(2025, 4, 2),
        description="Printing proofs",
        receipt_upload=pdf("receipt.pdf"),
    )


# --- clients ----------------------------------------------------------------------------------------


def test_client_create_returns_client_and_list_shows_it(coop, other_coop, owner, make_member, api_for):
    api = api_for(owner)

    response = api.post("/api/clients/", CLIENT_FIELDS, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in CLIENT_FIELDS} == CLIENT_FIELDS
    listed = api.get("/api/clients/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["id"] == body["id"]
    assert api_for(make_member(other_coop)).get("/api/clients/").json()["count"] == 0


def test_client_create_with_missing_and_invalid_fields_is_refused(coop, owner, api_for):
    response = api_for(owner).post(
        "/api/clients/", {**CLIENT_FIELDS, "name": "", "email": "not-an-email"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body["details"]) == {"name", "email"}
    assert "name:" in body["detail"]
    assert Client.objects.for_cooperative(coop).count() == 0


# --- projects ---------------------------------------------------------------------------------------


def test_project_create_returns_draft_with_client_owner_and_collaborators(coop, owner, make_member, api_for):
    client = make_client(coop, owner)
    colleague = make_member(coop)

    response = api_for(owner).post(
        "/api/projects/",
        {
            "client": client.pk,
            "title": "Festival poster series",
            "description": "Six posters, two rounds of corrections",
            "service_period_start": "2025-03-01",
            "service_period_end": "2025-06-30",
            "agreed_net_amount": "4800.50",
            "vat_treatment": "standard",
            "collaborators": [{"membership": colleague.pk, "employment": "self_employed"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["client"] == {"id": client.pk, "name": client.name}
    assert body["owner"] == {"id": owner.pk, "name": str(owner.user)}
    assert body["agreed_net_amount"] == "4800.50"
    assert body["service_period_start"] == "2025-03-01"
    assert body["collaborators"] == [
        {"membership": colleague.pk, "name": str(colleague.user), "employment": "self_employed"}
    ]
    assert [h["to_status"] for h in body["history"]] == ["draft"]
    project = Project.objects.for_cooperative(coop).get(pk=body["id"])
    assert project.owner == owner
    assert project.agreed_net_amount == Decimal("4800.50")


def test_project_create_with_another_cooperatives_client_or_member_is_refused(
    coop, other_coop, owner, make_member, api_for
):
    foreign_owner = make_member(other_coop)
    foreign_client = make_client(other_coop, foreign_owner)
    own_client = make_client(coop, owner)
    base = {
        "title": "X",
        "service_period_start": "2025-03-01",
        "service_period_end": "2025-03-31",
        "agreed_net_amount": "100.00",
    }
    api = api_for(owner)

    by_client = api.post("/api/projects/", {**base, "client": foreign_client.pk}, format="json")
    by_member = api.post(
        "/api/projects/",
        {
            **base,
            "client": own_client.pk,
            "collaborators": [{"membership": foreign_owner.pk, "employment": "employed"}],
        },
        format="json",
    )

    assert by_client.status_code == 400
    assert by_client.json()["details"] == {"client": [f"There is no client {foreign_client.pk}."]}
    assert by_member.status_code == 400
    assert list(by_member.json()["details"]) == ["collaborators"]
    assert Project.objects.for_cooperative(coop).count() == 0


def test_project_create_with_period_ending_before_start_is_refused(coop, owner, api_for):
    client = make_client(coop, owner)

    response = api_for(owner).post(
        "/api/projects/",
        {
            "client": client.pk,
            "title": "Backwards",
            "service_period_start": "2025-06-30",
            "service_period_end": "2025-03-01",
            "agreed_net_amount": "100.00",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "The service period ends before it starts."
    assert Project.objects.for_cooperative(coop).count() == 0


def test_project_list_shows_members_own_and_collaborations_and_staff_everything(
    coop, owner, advisor, make_member, api_for
):
    colleague = make_member(coop)
    stranger = make_member(coop)
    mine = make_project(coop, owner)
    shared = make_project(coop, stranger, collaborators=[(owner, "employed")])
    theirs = make_project(coop, stranger)

    def ids(membership) -> set[int]:
        body = api_for(membership).get("/api/projects/").json()
        assert body["count"] == len(body["results"])
        return {p["id"] for p in body["results"]}

    assert ids(owner) == {mine.pk, shared.pk}
    assert ids(colleague) == set()
    assert ids(stranger) == {shared.pk, theirs.pk}
    assert ids(advisor) == {mine.pk, shared.pk, theirs.pk}


def test_project_get_returns_detail_for_owner_collaborator_and_staff(
    coop, owner, advisor, make_member, api_for
):
    colleague = make_member(coop)
    project = make_project(coop, owner, collaborators=[(colleague, "self_employed")])

    for person in (owner, colleague, advisor, make_member(coop, role="finance")):
        response = api_for(person).get(url(project))
        assert response.status_code == 200
        assert response.json()["id"] == project.pk
        assert response.json()["title"] == "Festival poster series"


def test_project_patch_changes_terms_and_collaborators_while_draft(coop, owner, make_member, api_for):
    colleague = make_member(coop)
    project = make_project(coop, owner)

    response = api_for(owner).patch(
        url(project),
        {
            "title": "Poster series (revised)",
            "agreed_net_amount": "5200.00",
            "collaborators": [{"membership": colleague.pk, "employment": "employed"}],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Poster series (revised)"
    assert response.json()["agreed_net_amount"] == "5200.00"
    project.refresh_from_db()
    assert project.agreed_net_amount == Decimal("5200.00")
    assert project.service_period_start == date(2025, 3, 1)  # not sent, not changed
    assert list(
        Collaboration.objects.for_cooperative(coop)
        .filter(project=project)
        .values_list("membership", flat=True)
    ) == [colleague.pk]


def test_project_patch_by_staff_who_is_not_the_owner_is_refused(coop, owner, advisor, api_for):
    project = make_project(coop, owner)

    response = api_for(advisor).patch(url(project), {"title": "Hijacked"}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "Only the project's owner can edit it."
    project.refresh_from_db()
    assert project.title == "Festival poster series"


def test_full_workflow_create_upload_submit_approve_gives_empty_budget(coop, owner, advisor, api_for):
    api = api_for(owner)
    client_id = api.post("/api/clients/", CLIENT_FIELDS, format="json").json()["id"]
    created = api.post(
        "/api/projects/",
        {
            "client": client_id,
            "title": "Stage design",
            "service_period_start": "2025-05-01",
            "service_period_end": "2025-05-31",
            "agreed_net_amount": "2500.00",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    project_id = created.json()["id"]

    uploaded = api.post(
        url(project_id, "documents/"), {"kind": "contract", "file": pdf()}, format="multipart"
    )
    assert uploaded.status_code == 201, uploaded.json()
    submitted = api.post(url(project_id, "submit/"))
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["status"] == "submitted"
    approved = api_for(advisor).post(url(project_id, "approve/"), {"comment": "Fine."}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert approved.json()["advisor"] == {"id": advisor.pk, "name": str(advisor.user)}
    assert [(h["from_status"], h["to_status"], h["comment"]) for h in approved.json()["history"]] == [
        ("", "draft", ""),
        ("draft", "submitted", ""),
        ("submitted", "approved", "Fine."),
    ]

    budget = api.get(url(project_id, "budget/"))

    assert budget.status_code == 200
    assert budget.json() == {
        "currency": "EUR",
        "balance": "0.00",
        "receivable": "0.00",
        "available": "0.00",
        "pending": "0.00",
        "lines": [],
        "next": None,
    }


def test_request_changes_then_resubmit_then_reject(coop, owner, advisor, api_for):
    project = make_project(coop, owner)
    submit(coop, owner, project)
    reviewer, member = api_for(advisor), api_for(owner)

    sent_back = reviewer.post(
        url(project, "request-changes/"), {"comment": "Add the fee table."}, format="json"
    )
    assert sent_back.status_code == 200, sent_back.json()
    assert sent_back.json()["status"] == "changes_requested"
    assert member.patch(url(project), {"description": "Fee table added"}, format="json").status_code == 200
    assert member.post(url(project, "submit/")).json()["status"] == "submitted"

    rejected = reviewer.post(url(project, "reject/"), {"comment": "Not a fit."}, format="json")

    assert rejected.status_code == 200, rejected.json()
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["history"][-1]["comment"] == "Not a fit."


# --- refused transitions ----------------------------------------------------------------------------


def test_approve_a_draft_is_a_conflict(coop, owner, advisor, api_for):
    project = make_project(coop, owner)

    response = api_for(advisor).post(url(project, "approve/"))

    assert response.status_code == 409
    assert response.json()["detail"] == "This project is draft: it cannot be approved."
    project.refresh_from_db()
    assert project.status == "draft"


def test_approve_without_contract_is_a_conflict(coop, owner, advisor, api_for):
    project = make_project(coop, owner)
    # Submitted before submitting required a contract (today the submit is refused without one).
    Project.objects.for_cooperative(coop).filter(pk=project.pk).update(status=Project.Status.SUBMITTED)

    response = api_for(advisor).post(url(project, "approve/"))

    assert response.status_code == 409
    assert "contract document" in response.json()["detail"]


@pytest.mark.parametrize("action", ["approve/", "reject/", "request-changes/"])
def test_member_reviewing_their_own_project_is_forbidden(coop, owner, action, api_for):
    project = make_project(coop, owner)
    submit(coop, owner, project)

    response = api_for(owner).post(url(project, action), {"comment": "Looks great"}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == "Your role in this cooperative may not do this."
    project.refresh_from_db()
    assert project.status == "submitted"


def test_advisor_approving_their_own_project_is_refused_four_eyes(coop, advisor, api_for):
    project = make_project(coop, advisor)
    submit(coop, advisor, project)

    response = api_for(advisor).post(url(project, "approve/"))

    assert response.status_code == 400
    assert response.json()["detail"] == "You may not approve this project."
    project.refresh_from_db()
    assert project.status == "submitted"


@pytest.mark.parametrize("body", [{}, {"comment": "   "}])
def test_reject_without_comment_is_refused(coop, owner, advisor, api_for, body):
    project = make_project(coop, owner)
    submit(coop, owner, project)

    response = api_for(advisor).post(url(project, "reject/"), body, format="json")

    assert response.status_code == 400
    assert list(response.json()["details"]) == ["comment"]
    project.refresh_from_db()
    assert project.status == "submitted"


def test_patch_an_approved_project_is_a_conflict(coop, owner, approved, api_for):
    response = api_for(owner).patch(url(approved), {"agreed_net_amount": "9999.00"}, format="json")

    assert response.status_code == 409
    assert "cannot be edited; its terms change only through a new review" in response.json()["detail"]
    approved.refresh_from_db()
    assert approved.agreed_net_amount == Decimal("4800.00")


# --- documents --------------------------------------------------------------------------------------


def test_document_upload_returns_metadata_and_list_shows_it(coop, owner, api_for, media):
    project = make_project(coop, owner)
    api = api_for(owner)

    response = api.post(
        url(project, "documents/"), {"kind": "contract", "file": pdf("Vertrag 2025.pdf")}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    document = Document.objects.for_cooperative(coop).get()
    assert body["id"] == document.pk
    assert body["kind"] == "contract"
    assert body["original_name"] == "Vertrag 2025.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF)
    assert body["download_url"] == f"/documents/{document.pk}/download/"
    assert body["uploaded_at"]
    assert len(stored_files(media)) == 1
    listed = api.get(url(project, "documents/")).json()
    assert [d["id"] for d in listed["results"]] == [document.pk]


def test_oversized_upload_is_refused_and_nothing_stored(coop, owner, api_for, media, settings):
    settings.DOCUMENT_MAX_BYTES = 64
    project = make_project(coop, owner)

    response = api_for(owner).post(
        url(project, "documents/"),
        {"kind": "contract", "file": pdf(content=PDF + b"0" * 200)},
        format="multipart",
    )

    assert response.status_code == 400
    assert "too large" in response.json()["detail"]
    assert response.json()["details"] == {"file": ["Too large."]}
    assert Document.objects.for_cooperative(coop).count() == 0
    assert stored_files(media) == []


def test_upload_named_pdf_whose_bytes_are_not_pdf_is_refused(coop, owner, api_for, media):
    project = make_project(coop, owner)

    response = api_for(owner).post(
        url(project, "documents/"), {"kind": "contract", "file": pdf("x.pdf", NOT_A_PDF)}, format="multipart"
    )

    assert response.status_code == 400
    assert "Only PDF, PNG and JPEG files are accepted" in response.json()["detail"]
    assert "whatever its name says" in response.json()["detail"]
    assert Document.objects.for_cooperative(coop).count() == 0
    assert stored_files(media) == []


def test_upload_without_file_or_with_unknown_kind_is_refused(coop, owner, api_for):
    project = make_project(coop, owner)

    response = api_for(owner).post(url(project, "documents/"), {"kind": "selfie"}, format="multipart")

    assert response.status_code == 400
    assert set(response.json()["details"]) == {"kind", "file"}
    assert Document.objects.for_cooperative(coop).count() == 0


# --- expenses ---------------------------------------------------------------------------------------


def test_expense_submit_with_receipt_file_then_approve_moves_budget(
    coop, owner, advisor, approved, api_for, media
):
    api = api_for(owner)

    response = api.post(
        url(approved, "expenses/"),
        {
            "amount": "120.00",
            "vat_amount": "20.00",
            "date": "2025-04-02",
            "description": "Printing proofs",
            "receipt": pdf("receipt.pdf"),
        },
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    expense = Expense.objects.for_cooperative(coop).get()
    assert body["id"] == expense.pk
    assert (body["amount"], body["vat_amount"], body["date"], body["status"]) == (
        "120.00",
        "20.00",
        "2025-04-02",
        "submitted",
    )
    assert body["receipt"]["original_name"] == "receipt.pdf"
    assert body["receipt"]["download_url"] == f"/documents/{expense.receipt_id}/download/"
    assert expense.amount == Decimal("120.00")
    budget = api.get(url(approved, "budget/")).json()
    assert (budget["balance"], budget["pending"], budget["available"]) == ("1000.00", "120.00", "880.00")
    assert [e["id"] for e in api.get(url(approved, "expenses/")).json()["results"]] == [expense.pk]

    decided = api_for(advisor).post(f"/api/expenses/{expense.pk}/approve/", {"comment": "ok"}, format="json")

    assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == "approved"
    assert decided.json()["decision_comment"] == "ok"
    budget = api.get(url(approved, "budget/")).json()
    assert (budget["balance"], budget["pending"], budget["available"]) == ("880.00", "0.00", "880.00")
    assert [(line["kind"], line["amount"], line["balance"]) for line in budget["lines"]] == [
        ("income", "1000.00", "1000.00"),
        ("expense", "-120.00", "880.00"),
    ]


def test_expense_submit_as_json_with_an_uploaded_receipt_document(coop, owner, approved, api_for):
    receipt = services.document_upload(
        cooperative=coop, actor=owner, project=approved, kind="receipt", upload=pdf("r.pdf")
    )

    response = api_for(owner).post(
        url(approved, "expenses/"),
        {
            "amount": "49.90",
            "date": "2025-04-03",
            "description": "Train ticket",
            "receipt_document": receipt.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["vat_amount"] == "0.00"
    assert response.json()["receipt"]["id"] == receipt.pk
    assert Expense.objects.for_cooperative(coop).get().receipt == receipt


def test_expense_naming_another_projects_document_is_refused(coop, owner, approved, api_for):
    other = make_project(coop, owner)
    foreign_doc = services.document_upload(
        cooperative=coop, actor=owner, project=other, kind="receipt", upload=pdf("r.pdf")
    )

    response = api_for(owner).post(
        url(approved, "expenses/"),
        {"amount": "10.00", "date": "2025-04-03", "description": "X", "receipt_document": foreign_doc.pk},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["details"]) == ["receipt_document"]
    assert Expense.objects.for_cooperative(coop).count() == 0


def test_expense_reject_needs_a_comment_and_records_it(coop, owner, advisor, approved, api_for):
    expense = submit_expense(coop, owner, approved)
    reviewer = api_for(advisor)

    missing = reviewer.post(f"/api/expenses/{expense.pk}/reject/", {"comment": ""}, format="json")
    rejected = reviewer.post(
        f"/api/expenses/{expense.pk}/reject/", {"comment": "No receipt date"}, format="json"
    )

    assert missing.status_code == 400
    assert missing.json()["detail"] == "Please say why, in a comment."
    assert rejected.status_code == 200, rejected.json()
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_comment"] == "No receipt date"


def test_expense_approve_by_finance_works_and_twice_is_a_conflict(
    coop, owner, approved, make_member, api_for
):
    expense = submit_expense(coop, owner, approved)
    finance = api_for(make_member(coop, role="finance"))

    first = finance.post(f"/api/expenses/{expense.pk}/approve/")
    again = finance.post(f"/api/expenses/{expense.pk}/approve/")

    assert first.status_code == 200, first.json()
    assert again.status_code == 409
    assert again.json()["detail"] == "This expense is already approved."
    assert JournalLine.objects.for_cooperative(coop).filter(kind="expense").count() == 2


def test_expense_approve_by_finance_without_two_factor_is_forbidden(
    coop, owner, approved, make_member, api_for
):
    expense = submit_expense(coop, owner, approved)

    response = api_for(make_member(coop, role="finance", totp=False)).post(
        f"/api/expenses/{expense.pk}/approve/"
    )

    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]
    expense.refresh_from_db()
    assert expense.status == "submitted"


def test_expense_approve_by_the_submitting_member_is_forbidden(coop, owner, approved, api_for):
    expense = submit_expense(coop, owner, approved)

    response = api_for(owner).post(f"/api/expenses/{expense.pk}/approve/")

    assert response.status_code == 403
    expense.refresh_from_db()
    assert expense.status == "submitted"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5.00", "The amount must not be negative."),
        ("12,50", 'Enter an amount as a decimal number with a dot, e.g. "12.50".'),
        ("12.505", "An amount has at most two decimal places (cents)."),
        ("", 'Enter an amount as a decimal number with a dot, e.g. "12.50".'),
        (12.5, 'Send amounts as decimal strings, e.g. "12.50", not as JSON numbers.'),
    ],
)
def test_expense_with_malformed_or_negative_amount_is_refused_and_nothing_stored(
    coop, owner, approved, api_for, media, amount, message
):
    files_before = stored_files(media)
    documents_before = Document.objects.for_cooperative(coop).count()

    response = api_for(owner).post(
        url(approved, "expenses/"),
        {"amount": amount, "date": "2025-04-02", "description": "Paint"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["details"] == {"amount": [message]}
    assert response.json()["detail"] == f"amount: {message}"
    assert Expense.objects.for_cooperative(coop).count() == 0
    assert Document.objects.for_cooperative(coop).count() == documents_before
    assert stored_files(media) == files_before


def test_expense_with_negative_amount_in_multipart_is_refused_before_the_receipt_is_stored(
    coop, owner, approved, api_for, media
):
    files_before = stored_files(media)
    documents_before = Document.objects.for_cooperative(coop).count()

    response = api_for(owner).post(
        url(approved, "expenses/"),
        {"amount": "-5.00", "date": "2025-04-02", "description": "Paint", "receipt": pdf("r.pdf")},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["details"] == {"amount": ["The amount must not be negative."]}
    assert Expense.objects.for_cooperative(coop).count() == 0
    assert Document.objects.for_cooperative(coop).count() == documents_before
    assert stored_files(media) == files_before


def test_expense_above_available_budget_is_a_conflict_and_nothing_stored(
    coop, owner, approved, api_for, media
):
    submit_expense(coop, owner, approved, amount="900.00")  # 100.00 left available
    files_before = stored_files(media)
    documents_before = Document.objects.for_cooperative(coop).count()
    audit_before = AuditEvent.objects.for_cooperative(coop).count()

    response = api_for(owner).post(
        url(approved, "expenses/"),
        {"amount": "100.01", "date": "2025-04-02", "description": "Lights", "receipt": pdf("r.pdf")},
        format="multipart",
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "The expense (100.01) is more than the available budget (100.00)."
    assert response.json()["details"] == {"amount": ["Above the available budget."]}
    assert Expense.objects.for_cooperative(coop).count() == 1
    assert Document.objects.for_cooperative(coop).count() == documents_before
    assert AuditEvent.objects.for_cooperative(coop).count() == audit_before
    assert stored_files(media) == files_before


def test_expense_on_a_draft_project_is_a_conflict(coop, owner, api_for):
    project = make_project(coop, owner)

    response = api_for(owner).post(
        url(project, "expenses/"),
        {"amount": "10.00", "date": "2025-04-02", "description": "Paint", "receipt": pdf("r.pdf")},
        format="multipart",
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "Expenses can only be claimed on approved projects."
    assert Expense.objects.for_cooperative(coop).count() == 0


# --- isolation: 404 for everyone who may not see the object ----------------------------------------

OUTSIDERS = [
    ("same coop", "member"),
    ("other coop", "member"),
    ("other coop", "advisor"),
    ("other coop", "finance"),
    ("other coop", "admin"),
]
REQUESTS = [
    ("get", "project"),
    ("patch", "project"),
    ("get", "budget/"),
    ("get", "documents/"),
    ("post", "documents/"),
    ("get", "expenses/"),
    ("post", "expenses/"),
    ("post", "submit/"),
    ("post", "approve/"),
    ("post", "reject/"),
    ("post", "request-changes/"),
    ("post", "expense approve"),
    ("post", "expense reject"),
]


@pytest.mark.parametrize(("where", "role"), OUTSIDERS, ids=[f"{w}-{r}" for w, r in OUTSIDERS])
@pytest.mark.parametrize(("method", "target"), REQUESTS, ids=[f"{m}-{t}" for m, t in REQUESTS])
def test_outsiders_get_404(
    coop, other_coop, owner, approved, make_member, api_for, where, role, method, target
):
    expense = submit_expense(coop, owner, approved)
    submitted = make_project(coop, owner)
    submit(coop, owner, submitted)
    outsider = make_member(coop if where == "same coop" else other_coop, role=role)
    project = submitted if target in ("submit/", "approve/", "reject/", "request-changes/") else approved
    if target == "project":
        path = url(project)
    elif target.startswith("expense "):
        path = f"/api/expenses/{expense.pk}/{target.split()[1]}/"
    else:
        path = url(project, target)
    body = {"comment": "x", "kind": "other", "title": "Mine now", "amount": "1.00"}

    response = getattr(api_for(outsider), method)(path, body, format="json")

    assert response.status_code == 404, (path, response.json())
    assert response.json() == {"detail": "Not found."}
    approved.refresh_from_db()
    submitted.refresh_from_db()
    expense.refresh_from_db()
    assert (approved.status, approved.title, submitted.status, expense.status) == (
        "approved",
        "Festival poster series",
        "submitted",
        "submitted",
    )
    assert Expense.objects.for_cooperative(coop).count() == 1


def test_outsider_on_another_cooperatives_host_is_refused_without_revealing_anything(
    coop, other_coop, owner, approved, make_member, api_for
):
    """On a host where the person has no membership, every id answers alike: no existence leak."""
    foreign = make_member(other_coop, role="admin")
    api = api_for(foreign, host="at.localhost")

    existing = api.get(url(approved))
    missing = api.get(url(approved.pk + 10_000))

    assert existing.status_code == missing.status_code == 403
    assert existing.json() == missing.json()


# --- query counts -----------------------------------------------------------------------------------


def count_queries(api, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_budget_query_count_is_the_same_for_5_and_200_lines(coop, owner, approved, api_for):
    api = api_for(owner)
    for i in range(4):  # with the fixture's funding: 5 lines
        fund(coop, approved, "1.00", key=f"test:line:{i}", on=date(2025, 2, 1))
    api.get(url(approved, "budget/"))  # warm up per-process caches
    few = count_queries(api, url(approved, "budget/"))
    for i in range(4, 199):
        fund(coop, approved, "1.00", key=f"test:line:{i}", on=date(2025, 2, 1))

    many = count_queries(api, url(approved, "budget/"))

    body = api.get(url(approved, "budget/")).json()
    assert len(body["lines"]) == 100  # the newest page; `next` has the older ones
    assert body["next"] is not None
    assert body["balance"] == body["lines"][-1]["balance"] == "1199.00"
    assert many == few


def test_budget_is_answered_only_to_whom_may_see_the_project_in_one_query(
    coop, other_coop, owner, advisor, approved, make_member, api_for
):
    """The budget checks who may see the project in its own statement (projects.budget `visible_to`): the
    owner, a collaborator and staff get it; another member and another cooperative's people a 404."""
    from tests.test_list_query_counts import REQUEST, token_client

    colleague, stranger = make_member(coop), make_member(coop)
    Collaboration.objects.create(
        cooperative=coop, project=approved, membership=colleague, employment="employed"
    )
    finance = make_member(coop, role="finance")
    path = url(approved, "budget/")
    for person in (owner, colleague, advisor, finance):
        response = api_for(person).get(path)
        assert (response.status_code, response.json()["balance"]) == (200, "1000.00"), person.role
    assert api_for(stranger).get(path).status_code == 404
    assert api_for(make_member(other_coop, role="admin")).get(path).status_code == 404
    assert api_for(owner).get(url(999_999_999, "budget/")).status_code == 404
    api = token_client(owner)
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(path).status_code == 200
    assert len(ctx.captured_queries) == REQUEST + 1  # the budget, visibility included: one statement


def test_budget_answer_is_byte_for_byte_the_serializers(coop, owner, approved, api_for):
    """The endpoint presents its lines with the lean rows (projects.apis.budget_data): the bytes are those
    of BudgetOutputSerializer rendered by DRF — lines with both signs, cents, labels, `next`."""
    from rest_framework.renderers import JSONRenderer

    from projects.budget import project_budget
    from projects.serializers import BudgetOutputSerializer

    for i in range(4):
        fund(coop, approved, f"{i}.05", key=f"test:bytes:{i}", on=date(2025, 2, 1 + i))
    response = api_for(owner).get(url(approved, "budget/") + "?limit=3")
    assert response.status_code == 200
    budget = project_budget(cooperative=coop, project=approved, limit=3)
    expected = BudgetOutputSerializer(budget, context={"request": response.wsgi_request}).data
    assert len(expected["lines"]) == 3 and expected["next"] is not None
    assert response.content == JSONRenderer().render(expected)


def test_project_list_query_count_is_the_same_for_5_and_200_projects(coop, owner, make_member, api_for):
    colleague = make_member(coop)
    client = make_client(coop, owner)

    def add(n: int) -> None:
        projects = Project.objects.bulk_create(
            Project(
                cooperative=coop,
                owner=owner,
                client=client,
                title=f"Project {i}",
                service_period_start=date(2025, 1, 1),
                service_period_end=date(2025, 12, 31),
                agreed_net_amount=Decimal("100.00"),
                advisor=None,
            )
            for i in range(n)
        )
        Collaboration.objects.bulk_create(
            Collaboration(cooperative=coop, project=p, membership=colleague, employment="employed")
            for p in projects
        )

    api = api_for(owner)
    add(5)
    api.get("/api/projects/")  # warm up per-process caches
    few = count_queries(api, "/api/projects/?limit=500")
    add(195)

    many = count_queries(api, "/api/projects/?limit=500")

    body = api.get("/api/projects/?limit=500").json()
    assert body["count"] == len(body["results"]) == 200
    assert body["results"][0]["collaborators"][0]["membership"] == colleague.pk
    assert many == few


# --- schema -----------------------------------------------------------------------------------------


def test_schema_documents_request_and_response_bodies(coop, owner, api_for):
    schema = api_for(owner).get("/api/schema/", {"format": "json"}).json()

    paths = schema["paths"]
    for path in (
        "/api/clients/",
        "/api/projects/",
        "/api/projects/{project_id}/",
        "/api/projects/{project_id}/submit/",
        "/api/projects/{project_id}/approve/",
        "/api/projects/{project_id}/reject/",
        "/api/projects/{project_id}/request-changes/",
        "/api/projects/{project_id}/documents/",
        "/api/projects/{project_id}/expenses/",
        "/api/projects/{project_id}/budget/",
        "/api/expenses/{expense_id}/approve/",
        "/api/expenses/{expense_id}/reject/",
    ):
        assert path in paths, path
    upload = paths["/api/projects/{project_id}/documents/"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    components = schema["components"]["schemas"]
    assert components["ExpenseInput"]["properties"]["receipt"]["format"] == "binary"
    assert components["DocumentInput"]["properties"]["file"]["format"] == "binary"
    assert set(components["BudgetOutput"]["properties"]) >= {
        "currency",
        "balance",
        "receivable",
        "available",
        "pending",
        "lines",
    }
