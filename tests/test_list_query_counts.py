"""Every API list: exact query counts, the same for 10 and for 1,000 rows, and the lean presentation
(smartprod.core.rows) equal field for field to the output serializer it stands for.

A count that grows with the rows is an N+1: a page of 500 would cost 500 queries. Each number is what the
list needs today, through token authentication as API clients call it: 3 for the request (the
cooperative of the host; the token with its user; the person's memberships), then the list's own
queries. A change that adds a query has to change the number — and say why.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Model, Prefetch
from django.db.models.base import ModelState
from django.utils import timezone, translation
from rest_framework.test import APIClient

from invoicing.models import Invoice
from invoicing.selectors import invoice_list_visible
from invoicing.serializers import InvoiceOutputSerializer
from invoicing.services.credit import credit_note_issue
from invoicing.services.payments import payment_record
from payroll.apis.runs import RunOutputSerializer
from payroll.models import FeeNote, PayoutItem, PayoutRun
from payroll.serializers import FeeNoteOutputSerializer, PayoutItemOutputSerializer
from payroll.services.runs import payout_run_start
from projects import services as project_services
from projects.models import Client, Collaboration, Document, Expense, Project
from projects.selectors import project_list_visible
from projects.serializers import (
    ClientOutputSerializer,
    DocumentOutputSerializer,
    ExpenseOutputSerializer,
    ProjectListOutputSerializer,
    ProjectOutputSerializer,
)
from smartprod.core.rows import present_rows
from smartprod.core.tokens import api_token_create
from smartprod.tenancy.models import Membership
from tests.invoicing_helpers import draft, issued
from tests.payroll_fees_helpers import funded_project, payee_profile, request_fee
from tests.payroll_helpers import bulk_payout_items
from tests.payroll_helpers import payee_profile as run_payee_profile
from tests.projects_helpers import approved_project, fund, png_upload

pytestmark = pytest.mark.django_db

SIZES = [10, 1_000]
# The host's cooperative; the token with its person and their memberships, one statement (fingerprint; the
# one in the host's cooperative is taken from them). With the host cache on (production) the first is read
# once a process.
REQUEST = 2
CLIENTS = REQUEST + 2  # count, page
PROJECTS = REQUEST + 1  # count and page in one statement (client, owner, advisor, collaborators in it)
DOCUMENTS = REQUEST + 3  # the project, count, page
EXPENSES = REQUEST + 3  # the project, count, page (receipt and submitter joined)
INVOICES = REQUEST + 1  # count and page in one statement (client joined)
FEE_NOTES = REQUEST + 3  # the project, count, page
PAYOUTS = REQUEST + 2  # count, page
PAYOUT_RUNS = REQUEST + 3  # + the finance person's two-factor check; count, page


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def token_client(membership: Membership) -> APIClient:
    key = api_token_create(user=membership.user)
    return APIClient(HTTP_HOST=membership.cooperative.hosts[0], HTTP_AUTHORIZATION=f"Token {key}")


def clone(obj: Model, n: int, **vary: Callable[[int], Any]) -> None:
    """n copies of a row made by the services, inserted at once (only what must differ varies)."""
    copies = []
    for i in range(n):
        twin = copy.copy(obj)
        twin._state = ModelState()
        twin.pk = None
        for field, value in vary.items():
            setattr(twin, field, value(i))
        copies.append(twin)
    type(obj).objects.bulk_create(copies, batch_size=500)


def page(api: APIClient, url: str, queries: int, assert_queries: Any) -> dict[str, Any]:
    api.get(url)  # warm up per-process caches (content types, the row plans)
    with assert_queries(queries):
        response = api.get(url, {"limit": 500})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def people(coop, make_member):
    return make_member(coop), make_member(coop, role="advisor"), make_member(coop, role="finance")


@pytest.mark.parametrize("n", SIZES)
def test_clients_list_query_count(coop, people, n, django_assert_num_queries):
    owner, _advisor, _finance = people
    client = project_services.client_create(
        cooperative=coop, actor=owner, name="ACME GmbH", street="Ring 1", postcode="1010", city="Wien"
    )
    clone(client, n - 1, name=lambda i: f"Client {i}")

    body = page(token_client(owner), "/api/clients/", CLIENTS, django_assert_num_queries)

    assert body["count"] == n
    assert len(body["results"]) == min(n, 500)


@pytest.mark.parametrize("n", SIZES)
def test_projects_list_query_count(coop, people, make_member, n, django_assert_num_queries):
    owner, advisor, _finance = people
    colleague = make_member(coop)
    project = approved_project(coop, owner, advisor, collaborators=[(colleague, "employed")])
    clone(project, n - 1, title=lambda i: f"Project {i}")
    Collaboration.objects.bulk_create(
        Collaboration(cooperative=coop, project=p, membership=colleague, employment="self_employed")
        for p in Project.objects.for_cooperative(coop).exclude(pk=project.pk)
    )

    body = page(token_client(owner), "/api/projects/", PROJECTS, django_assert_num_queries)

    assert body["count"] == n
    assert len(body["results"]) == min(n, 500)
    assert all(row["collaborators"][0]["membership"] == colleague.pk for row in body["results"])
    assert all(row["advisor"]["id"] == advisor.pk for row in body["results"])


@pytest.mark.parametrize("n", SIZES)
def test_project_documents_list_query_count(coop, people, n, django_assert_num_queries):
    owner, advisor, _finance = people
    project = approved_project(coop, owner, advisor)  # its contract is the first document
    clone(Document.objects.for_cooperative(coop).get(project=project), n - 1)

    url = f"/api/projects/{project.pk}/documents/"
    body = page(token_client(owner), url, DOCUMENTS, django_assert_num_queries)

    assert body["count"] == n


@pytest.mark.parametrize("n", SIZES)
def test_project_expenses_list_query_count(coop, people, n, django_assert_num_queries):
    owner, advisor, _finance = people
    project = approved_project(coop, owner, advisor)
    fund(coop, project, "1000.00")
    expense = project_services.expense_submit(
        cooperative=coop,
        actor=owner,
        project=project,
        amount=Decimal("12.00"),
        vat_amount=Decimal("2.00"),
        date=date(2026, 5, 4),
        description="Paint",
        receipt_upload=png_upload(),
    )
    clone(expense, n - 1)

    url = f"/api/projects/{project.pk}/expenses/"
    body = page(token_client(owner), url, EXPENSES, django_assert_num_queries)

    assert body["count"] == n
    assert all(row["receipt"]["id"] == expense.receipt_id for row in body["results"])
    assert all(row["submitted_by"]["id"] == owner.pk for row in body["results"])


@pytest.mark.parametrize("n", SIZES)
def test_invoices_list_query_count(coop, people, n, django_assert_num_queries):
    owner, advisor, _finance = people
    project = approved_project(coop, owner, advisor)
    clone(draft(coop, owner, project), n - 1)

    body = page(token_client(owner), "/api/invoices/", INVOICES, django_assert_num_queries)

    assert body["count"] == n
    assert all(row["client"] == {"id": project.client_id, "name": "ACME GmbH"} for row in body["results"])


@pytest.mark.parametrize("n", SIZES)
def test_project_fee_notes_list_query_count(coop, people, n, django_assert_num_queries):
    owner, advisor, _finance = people
    payee_profile(owner)
    project = funded_project(coop, owner, advisor)
    clone(request_fee(coop, owner, project, net_amount=Decimal("1.00")), n - 1)

    url = f"/api/projects/{project.pk}/fee-notes/"
    body = page(token_client(owner), url, FEE_NOTES, django_assert_num_queries)

    assert body["count"] == n


@pytest.mark.parametrize("n", SIZES)
def test_payouts_list_query_count(coop, people, n, django_assert_num_queries):
    owner, advisor, _finance = people
    project = approved_project(coop, owner, advisor)
    bulk_payout_items(coop, project, [owner], n)

    body = page(token_client(owner), "/api/payouts/", PAYOUTS, django_assert_num_queries)

    assert body["count"] == n


@pytest.mark.parametrize("n", SIZES)
def test_payout_runs_list_query_count(coop, people, n, django_assert_num_queries):
    owner, advisor, finance = people
    run_payee_profile(coop, owner)
    project = approved_project(coop, owner, advisor)
    bulk_payout_items(coop, project, [owner], 1)
    run = payout_run_start(cooperative=coop, actor=finance, until=date(2026, 12, 31))
    assert run is not None
    clone(run, n - 1, number=lambda i: f"{run.number}-{i}", message_id=lambda i: f"{run.message_id}-{i}")

    body = page(token_client(finance), "/api/payout-runs/", PAYOUT_RUNS, django_assert_num_queries)

    assert body["count"] == n


def test_lean_rows_equal_the_serializers(coop, people, make_member):
    """The same JSON as DRF's serializers give, for a row of every list (dates, money, labels, nesting)."""
    owner, advisor, finance = people
    colleague, second = make_member(coop), make_member(coop)
    payee_profile(owner)
    project = funded_project(coop, owner, advisor)
    # Two collaborators: the list groups them per project, in the order they were added.
    other = approved_project(
        coop, owner, advisor, collaborators=[(colleague, "employed"), (second, "self_employed")]
    )
    project_services.expense_submit(
        cooperative=coop,
        actor=owner,
        project=project,
        amount=Decimal("12.30"),
        vat_amount=Decimal("2.05"),
        date=date(2026, 5, 4),
        description="Paint",
        receipt_upload=png_upload(),
    )
    draft(coop, owner, project)
    request_fee(coop, owner, project, net_amount=Decimal("1.50"))
    bulk_payout_items(coop, other, [owner], 2)
    run_payee_profile(coop, colleague)
    cases: list[tuple[Any, Any]] = [
        (ClientOutputSerializer, Client.objects.for_cooperative(coop)),
        (
            ProjectOutputSerializer,
            Project.objects.for_cooperative(coop).select_related("client", "owner__user", "advisor__user"),
        ),
        (DocumentOutputSerializer, Document.objects.for_cooperative(coop)),
        (ExpenseOutputSerializer, Expense.objects.for_cooperative(coop).select_related("receipt")),
        (InvoiceOutputSerializer, Invoice.objects.for_cooperative(coop).select_related("client")),
        (FeeNoteOutputSerializer, FeeNote.objects.for_cooperative(coop)),
        (PayoutItemOutputSerializer, PayoutItem.objects.for_cooperative(coop)),
    ]
    run = payout_run_start(cooperative=coop, actor=finance, until=date(2026, 12, 31))
    assert run is not None
    cases.append((RunOutputSerializer, PayoutRun.objects.for_cooperative(coop)))

    for serializer, rows in cases:
        rows = list(rows)
        assert rows, serializer
        lean = json.loads(json.dumps(present_rows(serializer, rows)))
        drf = json.loads(json.dumps(serializer(rows, many=True).data))
        assert lean == drf, serializer.__name__
    assert any(row["status_label"] for row in present_rows(ProjectOutputSerializer, cases[1][1]))
    # The list's serializer (collaborators prefetched into a plain list) gives the detail shape's rows.
    listed = Project.objects.for_cooperative(coop).prefetch_related(
        Prefetch("collaborations", Collaboration.objects.for_cooperative(coop), to_attr="collaborator_list")
    )
    rows = json.loads(json.dumps(present_rows(ProjectListOutputSerializer, listed)))
    assert rows == json.loads(json.dumps(ProjectOutputSerializer(list(listed), many=True).data))
    assert any(row["collaborators"] for row in rows)


@pytest.mark.parametrize(("language", "zone"), [("en", "Europe/Vienna"), ("de", "UTC")])
def test_lists_read_as_values_equal_the_serializers(coop, people, make_member, language, zone):
    """The projects and invoices lists (read as values: projects.listing, invoicing.listing) give the JSON
    DRF's serializers give for the same rows: with and without an advisor, collaborators, an issued, a
    partly paid, a credit-noted and a rendered invoice, for a member and for staff, in the language and
    the time zone that are active."""
    owner, advisor, finance = people
    colleague = make_member(coop, user__first_name="  Ada ", user__last_name="")
    with_advisor = approved_project(coop, owner, advisor, collaborators=[(colleague, "employed")])
    project_services.project_create(
        cooperative=coop,
        actor=colleague,
        client=with_advisor.client,
        title="Own draft",
        service_period_start=date(2026, 1, 1),
        service_period_end=date(2026, 2, 1),
        agreed_net_amount=Decimal("10.50"),
        collaborators=[(owner, "self_employed"), (finance, "employed")],
    )
    draft(coop, owner, with_advisor)
    paid = issued(coop, owner, advisor, with_advisor)
    payment_record(cooperative=coop, actor=finance, invoice=paid, amount="100.00", date=date(2026, 5, 2))
    credited = issued(coop, owner, advisor, with_advisor)
    credit_note_issue(cooperative=coop, actor=advisor, invoice=credited, reason="Wrong amount")
    Invoice.objects.for_cooperative(coop).filter(pk=paid.pk).update(
        pdf="invoices/paid.pdf", pdf_rendered_at=datetime(2026, 5, 3, 9, 30, 0, 120, tzinfo=UTC)
    )
    assert Project.objects.for_cooperative(coop).filter(advisor=None).exists()

    def lean(who: Membership, url: str, **filters: Any) -> list[dict[str, Any]]:
        api = token_client(who)
        api.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = api.get(url, {"limit": 500, **filters})
        assert response.status_code == 200, response.content
        assert response["Content-Language"] == language
        return response.json()["results"]  # type: ignore[no-any-return]

    with translation.override(language), timezone.override(zone):
        for who in (owner, colleague, finance):
            projects = list(
                project_list_visible(cooperative=coop, membership=who).prefetch_related(
                    Prefetch(
                        "collaborations",
                        Collaboration.objects.for_cooperative(coop).order_by("pk"),
                        to_attr="collaborator_list",
                    )
                )
            )
            drf = json.loads(json.dumps(ProjectListOutputSerializer(projects, many=True).data))
            assert lean(who, "/api/projects/") == drf, who.role
            invoices = list(invoice_list_visible(cooperative=coop, membership=who))
            drf = json.loads(json.dumps(InvoiceOutputSerializer(invoices, many=True).data))
            assert lean(who, "/api/invoices/") == drf, who.role
        filtered = list(invoice_list_visible(cooperative=coop, membership=finance).filter(status="issued"))
        drf = json.loads(json.dumps(InvoiceOutputSerializer(filtered, many=True).data))
        assert lean(finance, "/api/invoices/", project=with_advisor.pk, status="issued") == drf
        rows = lean(finance, "/api/invoices/")
        shown = lean(finance, "/api/projects/")

    assert {row["status"] for row in rows} == {"draft", "partially_paid", "cancelled", "issued"}
    assert any(row["pdf_url"] for row in rows) and any(row["original"] for row in rows)
    assert {row["advisor"] is None for row in shown} == {True, False}
    assert any(row["collaborators"] for row in shown)
    assert any(person["name"] == "Ada" for row in shown for person in row["collaborators"])
    assert {"en": "Approved", "de": "Genehmigt"}[language] in {row["status_label"] for row in shown}
    rendered = {"UTC": "2026-05-03T09:30:00.000120Z", "Europe/Vienna": "2026-05-03T11:30:00.000120+02:00"}
    assert rendered[zone] in {row["pdf_rendered_at"] for row in rows}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", Invoice.Kind.values)
@pytest.mark.parametrize("status", Invoice.Status.values)
def test_open_amount_in_sql_is_the_models_rule(kind, status):
    """The invoices list reads `open_amount` from the database (Invoice.open_amount_sql): for every kind and
    status, with nothing paid, part paid, credited, written off and overpaid, it is the property's value,
    written as the API writes it ("12.30", "-5.00")."""
    query = Invoice.objects.all().query
    expression = Invoice.open_amount_sql().resolve_expression(query)
    expression_sql, expression_params = expression.as_sql(query.get_compiler(using="default"), connection)
    amounts = [
        ("120.00", "0.00", "0.00", "0.00"),
        ("120.00", "20.50", "0.00", "0.00"),
        ("120.00", "20.00", "100.00", "0.00"),
        ("120.00", "0.00", "0.00", "120.00"),
        ("120.00", "125.00", "0.00", "0.00"),
    ]
    for gross, paid, credited, written_off in amounts:
        invoice = Invoice(
            kind=kind,
            status=status,
            gross_total=Decimal(gross),
            paid_total=Decimal(paid),
            credited_total=Decimal(credited),
            written_off_total=Decimal(written_off),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ({expression_sql})::text FROM (VALUES (%s, %s, %s::numeric(20, 2), "
                "%s::numeric(20, 2), %s::numeric(20, 2), %s::numeric(20, 2))) "
                'AS "invoicing_invoice" ("kind", "status", "gross_total", "paid_total", "credited_total", '
                '"written_off_total")',
                [*expression_params, kind, status, gross, paid, credited, written_off],
            )
            (shown,) = cursor.fetchone()
        assert shown == f"{invoice.open_amount:f}", (gross, paid, credited, written_off)


def test_lists_read_as_values_page_past_the_end(coop, people):
    """An offset past the last row answers the count and no rows, as DRF's LimitOffset does."""
    owner, advisor, _finance = people
    approved_project(coop, owner, advisor)

    body = token_client(owner).get("/api/projects/", {"offset": 5}).json()

    assert body == {
        "count": 1,
        "next": None,
        "previous": f"http://{coop.hosts[0]}/api/projects/?limit=100",  # DRF: offset 0 is left out
        "results": [],
    }


def test_the_invoices_first_page_along_the_order_equals_the_chosen_keys(coop, people):
    """The invoices' first page is read along the list's order (invoicing.listing, first_page_along_order),
    deeper pages choose their keys first: both give the same rows in the same order, and the pages
    put together are the whole list, newest first."""
    from invoicing.listing import _statement

    owner, advisor, _finance = people
    project = approved_project(coop, owner, advisor)
    for _ in range(4):
        issued(coop, owner, advisor, project)
        draft(coop, owner, project)
    statement = _statement(owner.role, False, False)
    assert statement.along_order is not None
    values = {"cooperative": coop.pk, "membership": owner.pk, "project": None, "status": "", "offset": 0}
    for limit in (1, 3, 8, 20):
        along = statement.along_order.execute({**values, "limit": limit})
        chosen = statement.chosen_first.execute({**values, "limit": limit})
        assert along == chosen and len(along) == min(limit, 8)

    api = token_client(owner)
    pages = [api.get("/api/invoices/", {"limit": 3, "offset": offset}).json() for offset in (0, 3, 6)]
    ids = [row["id"] for page in pages for row in page["results"]]
    newest_first = list(invoice_list_visible(cooperative=coop, membership=owner).values_list("pk", flat=True))
    assert ids == newest_first and len(ids) == 8 and {page["count"] for page in pages} == {8}


@pytest.mark.django_db(transaction=True)
def test_lists_read_as_values_prepare_again_when_the_session_lost_its_statements(coop, people):
    """The lists run prepared statements (smartprod.core.rows.Statement); a session that lost them (DISCARD
    ALL, a pooler handing over another session) prepares them again instead of answering 500."""
    owner, advisor, _finance = people
    approved_project(coop, owner, advisor)
    api = token_client(owner)
    assert api.get("/api/projects/").json()["count"] == 1

    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    response = api.get("/api/projects/")

    assert response.status_code == 200
    assert response.json()["count"] == 1


# --- portal pages: one page of rows, the same queries for 10 and 1,000 ---------------------------------

CLIENTS_PAGE_QUERIES = 7  # session, user, cooperative, membership, the bell's unread count; count, page
PROJECT_PAGE_QUERIES = 23  # the whole page (+ the bell, the employments, salaries and payslips panels);
# the invoices panel: count, page, payments, notices, open total


@pytest.mark.parametrize("n", SIZES)
def test_clients_page_is_paged_with_a_fixed_query_count(
    coop, people, client_for, n, django_assert_num_queries
):
    owner, _advisor, _finance = people
    client = project_services.client_create(
        cooperative=coop, actor=owner, name="ACME GmbH", street="Ring 1", postcode="1010", city="Wien"
    )
    clone(client, n - 1, name=lambda i: f"Client {i:04}")
    browser = client_for(owner)
    browser.get("/clients/")

    with django_assert_num_queries(CLIENTS_PAGE_QUERIES):
        response = browser.get("/clients/", {"page": 2})

    html = response.content.decode()
    assert html.count("/edit/") == min(n, 50)  # page 2 of 20, or the only page
    assert ('rel="prev"' in html) == (n > 50)


@pytest.mark.parametrize("n", SIZES)
def test_project_page_pages_its_invoices_with_a_fixed_query_count(
    coop, people, client_for, n, django_assert_num_queries
):
    owner, advisor, _finance = people
    project = approved_project(coop, owner, advisor)
    clone(draft(coop, owner, project), n - 1)
    browser = client_for(owner)
    browser.get(f"/projects/{project.pk}/")

    with django_assert_num_queries(PROJECT_PAGE_QUERIES):
        response = browser.get(f"/projects/{project.pk}/")

    html = response.content.decode()
    assert html.count("data-invoice=") == min(n, 50)
    assert ('data-pager="invoices"' in html) == (n > 50)


def test_the_benchmark_floor_path_is_not_part_of_the_app(coop, people, client_for):
    """bench/wsgi_baseline.py serves `SELECT 1` on this path only in the benchmark's own WSGI module."""
    owner, _advisor, _finance = people

    assert client_for(owner).get("/__bench__/one-query/").status_code == 404
