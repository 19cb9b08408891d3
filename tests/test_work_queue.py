"""Issue 13, item 2: the staff work queue — the start page of advisors, finance and admins.

Every kind of pending item is listed with its count, each role sees its kinds, another cooperative's items
never appear, the page costs the same number of queries for 1 and for many rows per kind, and members keep
their dashboard at `/` (and pay no query for the navigation's count).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from invoicing import services as invoice_services
from invoicing.models import BankEntry, BankStatement, Invoice
from payroll.models import PayoutRun
from projects import services as project_services
from projects.models import Project, ProjectStatusChange
from smartprod.core.work_queue import work_queue, work_queue_nav
from smartprod.tenancy.context import set_request_context
from smartprod.tenancy.models import Cooperative, Membership
from tests.invoicing_helpers import draft, issued
from tests.payroll_fees_helpers import funded_project, payee_profile, request_fee
from tests.payroll_helpers import payout_item
from tests.projects_helpers import make_project, pdf_upload, png_upload

pytestmark = pytest.mark.django_db

ADVISOR_KINDS = ["project.review", "expense.approval"]
FINANCE_KINDS = [
    "invoice.issue",
    "bank_entry.unmatched",
    "fee_note.approval",
    "payout_run.approval",
    "invoice.handed_over",
    "payout.deadline",
]
ALL_KINDS = ["project.review", "expense.approval", *FINANCE_KINDS]
PAGE_KINDS_IN_ORDER = [
    "project.review",
    "expense.approval",
    "invoice.issue",
    "bank_entry.unmatched",
    "fee_note.approval",
    "payout_run.approval",
    "invoice.handed_over",
    "payout.deadline",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pending_of_each_kind(coop: Cooperative, make_member, tag: str = "") -> dict[str, list[str]]:
    """One pending item of every kind, made through the services where there is one; returns each kind's
    expected action URLs."""
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    today = timezone.localdate()
    urls: dict[str, list[str]] = {}

    review = make_project(coop, owner, title=f"Waiting {tag}")
    project_services.document_upload(
        cooperative=coop, actor=owner, project=review, kind="contract", upload=pdf_upload()
    )
    project_services.project_submit(cooperative=coop, actor=owner, project=review)
    urls["project.review"] = [reverse("admin:projects_project_review", args=[review.pk])]

    payee_profile(owner)
    project = funded_project(coop, owner, advisor, amount="5000.00")
    expense = project_services.expense_submit(
        cooperative=coop,
        actor=owner,
        project=project,
        amount=Decimal("12.00"),
        vat_amount=Decimal("2.00"),
        date=today,
        description="Paint",
        receipt_upload=png_upload(),
    )
    urls["expense.approval"] = [reverse("admin:projects_expense_change", args=[expense.pk])]

    line = ("Stage design", "10", "100.00", "20" if coop.country == "AT" else "19")
    to_issue = draft(coop, owner, project, line)
    invoice_services.invoice_submit(cooperative=coop, actor=owner, invoice=to_issue)
    urls["invoice.issue"] = [reverse("admin:invoicing_invoice_change", args=[to_issue.pk])]

    handed = issued(coop, owner, advisor, project, line)
    Invoice.objects.for_cooperative(coop).filter(pk=handed.pk).update(
        dunning_level=3, handed_to_advisor_at=timezone.now() - timedelta(days=4)
    )
    urls["invoice.handed_over"] = [reverse("admin:invoicing_invoice_change", args=[handed.pk])]

    statement = BankStatement.objects.create(
        cooperative=coop,
        statement_id=f"STMT-{tag}-{owner.pk}",
        account_iban=coop.iban,
        file_sha256="0" * 64,
        imported_by=owner.user,
    )
    entry = BankEntry.objects.create(
        cooperative=coop,
        statement=statement,
        entry_reference=f"E-{tag}-{owner.pk}",
        amount=Decimal("55.00"),
        currency="EUR",
        is_credit=True,
        booking_date=today,
        debtor_name="Unknown payer",
        status=BankEntry.Status.UNMATCHED,
    )
    urls["bank_entry.unmatched"] = [reverse("admin:invoicing_bankentry_change", args=[entry.pk])]

    fee_note = request_fee(coop, owner, project)
    urls["fee_note.approval"] = [reverse("admin:payroll_feenote_change", args=[fee_note.pk])]

    run = PayoutRun.objects.create(
        cooperative=coop,
        number=f"PR-{tag}-{owner.pk}",
        status=PayoutRun.Status.PENDING_APPROVAL,
        until=today,
        execution_date=today,
        message_id=f"M-{tag}-{owner.pk}",
        total=Decimal("100.00"),
        item_count=1,
    )
    urls["payout_run.approval"] = [reverse("admin:payroll_payoutrun_change", args=[run.pk])]

    late = payout_item(coop, project, owner, deadline=today - timedelta(days=1))
    urls["payout.deadline"] = [reverse("admin:payroll_payoutitem_change", args=[late.pk])]
    return urls


def counts(cooperative: Cooperative, membership: Membership) -> dict[str, int]:
    return {g.kind: g.count for g in work_queue(cooperative=cooperative, membership=membership)}


def page_counts(html: str) -> dict[str, int]:
    return {
        kind: int(count)
        for kind, count in re.findall(
            r'<section class="card work-queue-group"[^>]*data-kind="([^"]+)" '
            r'data-count="(\d+)"',
            html,
        )
    }


def item_urls(html: str) -> set[str]:
    return set(re.findall(r'<td class="title"><a href="([^"]+)"', html))


# --- what is listed -------------------------------------------------------------------------------------


def test_the_queue_lists_every_kind_with_its_count(coop, make_member):
    pending_of_each_kind(coop, make_member, "a")
    admin = make_member(coop, role="admin")
    assert counts(coop, admin) == dict.fromkeys(ALL_KINDS, 1)
    pending_of_each_kind(coop, make_member, "b")
    assert counts(coop, admin) == dict.fromkeys(ALL_KINDS, 2)


def test_nothing_waiting_is_zero_for_every_kind_and_the_page_says_so(coop, make_member, client_for):
    admin = make_member(coop, role="admin")
    assert counts(coop, admin) == dict.fromkeys(ALL_KINDS, 0)
    html = client_for(admin).get("/").content.decode()
    assert page_counts(html) == dict.fromkeys(ALL_KINDS, 0)
    assert html.count('class="muted work-queue-empty"') == len(ALL_KINDS)


def test_handled_items_leave_the_queue(coop, make_member):
    pending_of_each_kind(coop, make_member)
    advisor = make_member(coop, role="advisor")
    finance = make_member(coop, role="finance")
    project = Project.objects.for_cooperative(coop).get(status="submitted")
    project_services.project_approve(cooperative=coop, actor=advisor, project=project)
    invoice = Invoice.objects.for_cooperative(coop).get(status="submitted")
    invoice_services.invoice_issue(cooperative=coop, actor=finance, invoice=invoice)
    assert counts(coop, advisor)["project.review"] == 0
    assert counts(coop, finance)["invoice.issue"] == 0


@pytest.mark.parametrize(
    ("role", "kinds"),
    [("advisor", ADVISOR_KINDS), ("finance", FINANCE_KINDS), ("admin", ALL_KINDS), ("member", [])],
)
def test_each_role_sees_its_kinds(coop, make_member, role, kinds):
    pending_of_each_kind(coop, make_member)
    assert counts(coop, make_member(coop, role=role)) == dict.fromkeys(kinds, 1)


def test_nobody_is_shown_what_they_may_not_decide(coop, make_member):
    """Four eyes: an advisor's own submitted project is not in their queue, but in another advisor's."""
    advisor, colleague = make_member(coop, role="advisor"), make_member(coop, role="advisor")
    own = make_project(coop, advisor)
    project_services.document_upload(
        cooperative=coop, actor=advisor, project=own, kind="contract", upload=pdf_upload()
    )
    project_services.project_submit(cooperative=coop, actor=advisor, project=own)
    assert counts(coop, advisor)["project.review"] == 0
    assert counts(coop, colleague)["project.review"] == 1


def test_projects_wait_oldest_first_with_their_age(coop, make_member):
    owner = make_member(coop)
    projects = []
    for title in ("Newer", "Older"):
        project = make_project(coop, owner, title=title)
        project_services.document_upload(
            cooperative=coop, actor=owner, project=project, kind="contract", upload=pdf_upload()
        )
        project_services.project_submit(cooperative=coop, actor=owner, project=project)
        projects.append(project)
    ProjectStatusChange.objects.for_cooperative(coop).filter(
        project=projects[1], to_status="submitted"
    ).update(created_at=timezone.now() - timedelta(days=6))
    (group,) = [
        g
        for g in work_queue(cooperative=coop, membership=make_member(coop, role="advisor"))
        if g.kind == "project.review"
    ]
    assert [(item.title, item.age_days) for item in group.items] == [("Older", 6), ("Newer", 0)]


def test_at_most_n_rows_per_kind_and_a_link_to_all(coop, make_member, client_for, settings):
    owner = make_member(coop)
    for n in range(3):
        project = make_project(coop, owner, title=f"P{n}")
        project_services.document_upload(
            cooperative=coop, actor=owner, project=project, kind="contract", upload=pdf_upload()
        )
        project_services.project_submit(cooperative=coop, actor=owner, project=project)
    advisor = make_member(coop, role="advisor")
    (group,) = [
        g for g in work_queue(cooperative=coop, membership=advisor, limit=2) if g.kind == "project.review"
    ]
    assert group.count == 3 and len(group.items) == 2 and group.more
    html = client_for(advisor).get("/").content.decode()
    assert "/admin/projects/project/?queue=review" in html


# --- pages ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize(
    ("role", "kinds"), [("advisor", ADVISOR_KINDS), ("finance", FINANCE_KINDS), ("admin", ALL_KINDS)]
)
def test_staff_start_page_is_the_work_queue(coop, make_member, client_for, role, kinds, language):
    expected = pending_of_each_kind(coop, make_member)
    client = client_for(make_member(coop, role=role))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for path in ("/", "/work-queue/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.templates[0].name == "members/work_queue.html"
        html = response.content.decode()
        assert page_counts(html) == dict.fromkeys(kinds, 1)
        assert item_urls(html) == {url for kind in kinds for url in expected[kind]}
        assert ("Arbeitsvorrat" if language == "de" else "Work queue") in html
        # The navigation's count is the page's total.
        assert re.search(
            rf'id="nav-work-queue">[^<]+<span class="badge nav-count" aria-hidden="true">{len(kinds)}<', html
        )
    # Their own projects stay reachable.
    assert 'href="/my-projects/"' in html
    response = client.get("/my-projects/")
    assert response.status_code == 200
    assert response.templates[0].name == "members/home.html"


@pytest.mark.parametrize("language", ["de", "en"])
def test_amounts_and_dates_are_in_the_readers_language(coop, make_member, client_for, language):
    pending_of_each_kind(coop, make_member)
    client = client_for(make_member(coop, role="finance"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get("/").content.decode()
    # The unmatched bank entry of 55.00 EUR; the payout run of 100.00 EUR.
    assert ("55,00 EUR" if language == "de" else "EUR 55.00") in html
    assert ("100,00 EUR" if language == "de" else "EUR 100.00") in html


def test_member_start_page_is_the_dashboard(coop, make_member, client_for):
    pending_of_each_kind(coop, make_member)
    member = make_member(coop)
    client = client_for(member)
    response = client.get("/")
    assert response.status_code == 200
    assert response.templates[0].name == "members/home.html"
    assert "nav-work-queue" not in response.content.decode()
    assert client.get("/work-queue/").status_code == 404


@pytest.mark.parametrize("role", ["advisor", "finance", "admin"])
def test_the_list_links_open_in_the_backend(coop, make_member, client_for, role):
    """Each role's filtered backend lists open for that role and hold exactly the rows the group counts."""
    pending_of_each_kind(coop, make_member)
    person = make_member(coop, role=role)
    client = client_for(person)
    for group in work_queue(cooperative=coop, membership=person):
        response = client.get(group.list_url)
        assert response.status_code == 200, group.list_url  # an invalid filter would redirect to ?e=1
        assert response.context["cl"].result_count == group.count, group.kind


# --- isolation ------------------------------------------------------------------------------------------


def test_other_cooperatives_items_never_appear(coop, other_coop, make_member, client_for):
    ours = pending_of_each_kind(coop, make_member, "ours")
    theirs = pending_of_each_kind(other_coop, make_member, "theirs")
    for cooperative, expected in ((coop, ours), (other_coop, theirs)):
        admin = make_member(cooperative, role="admin")
        assert counts(cooperative, admin) == dict.fromkeys(ALL_KINDS, 1)
        html = client_for(admin).get("/").content.decode()
        assert page_counts(html) == dict.fromkeys(ALL_KINDS, 1)
        assert item_urls(html) == {url for urls in expected.values() for url in urls}


@pytest.mark.parametrize("role", ["member", "advisor", "finance", "admin"])
def test_other_cooperatives_people_get_404(coop, other_coop, make_member, client_for, role):
    outsider = make_member(other_coop, role=role)
    client = client_for(outsider, host="at.localhost")
    assert client.get("/work-queue/").status_code == 404
    response = client.get("/")  # no membership here: the "apply" page, no queue
    assert "work-queue-group" not in response.content.decode()


# --- cost -----------------------------------------------------------------------------------------------

# The request (session, user, cooperative, membership, two-factor check), the bell, and one query per kind
# (rows with their total: COUNT(*) OVER ()). The navigation's count is the page's total, not counted again.
PAGE_QUERIES = {"advisor": 6 + 2, "finance": 6 + 6, "admin": 6 + 8}


@pytest.mark.parametrize("role", ["advisor", "finance", "admin"])
def test_the_page_costs_the_same_for_one_and_many_rows(
    coop, make_member, client_for, django_assert_num_queries, role
):
    pending_of_each_kind(coop, make_member, "1")
    client = client_for(make_member(coop, role=role))
    with django_assert_num_queries(PAGE_QUERIES[role]):
        assert client.get("/").status_code == 200
    for n in range(2, 5):
        pending_of_each_kind(coop, make_member, str(n))
    with django_assert_num_queries(PAGE_QUERIES[role]):
        html = client.get("/").content.decode()
    assert set(page_counts(html).values()) == {4}


def test_the_navigation_count_costs_members_nothing_and_staff_one_query_per_kind(
    coop, make_member, django_assert_num_queries
):
    pending_of_each_kind(coop, make_member)

    def request_of(membership: Membership):
        request = RequestFactory().get("/", HTTP_HOST="at.localhost")
        request.user = membership.user
        set_request_context(request, cooperative=coop, membership=membership)
        return request

    member, finance = request_of(make_member(coop)), request_of(make_member(coop, role="finance"))
    with django_assert_num_queries(0):
        assert work_queue_nav(member) == {}
        lazy = work_queue_nav(finance)["work_queue_count"]
    with django_assert_num_queries(len(FINANCE_KINDS)):
        assert lazy() == len(FINANCE_KINDS)


def test_staff_see_their_count_in_the_navigation_of_other_pages(coop, make_member, client_for):
    pending_of_each_kind(coop, make_member)
    html = client_for(make_member(coop, role="advisor")).get("/notifications/").content.decode()
    assert re.search(r'id="nav-work-queue">[^<]+<span class="badge nav-count" aria-hidden="true">2<', html)


def test_payouts_due_within_three_working_days_or_late_are_listed(coop, make_member):
    from smartprod.core.workdays import add_working_days

    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    project = funded_project(coop, owner, advisor, amount="5000.00")
    today = timezone.localdate()
    late = payout_item(coop, project, owner, deadline=today - timedelta(days=3))
    near = payout_item(coop, project, owner, deadline=add_working_days(today, 3, coop.country))
    payout_item(coop, project, owner, deadline=add_working_days(today, 4, coop.country))
    (group,) = [
        g
        for g in work_queue(cooperative=coop, membership=make_member(coop, role="finance"))
        if g.kind == "payout.deadline"
    ]
    assert group.count == 2
    assert [item.url for item in group.items] == [
        reverse("admin:payroll_payoutitem_change", args=[late.pk]),
        reverse("admin:payroll_payoutitem_change", args=[near.pk]),
    ]


def test_rows_name_the_project_and_document_not_a_draft_number(coop, make_member):
    pending_of_each_kind(coop, make_member)
    titles = {
        g.kind: g.items[0].title
        for g in work_queue(cooperative=coop, membership=make_member(coop, role="admin"))
    }
    handed = Invoice.objects.for_cooperative(coop).exclude(handed_to_advisor_at=None).get()
    assert titles["invoice.issue"] == "Invoice · Stage design"
    assert titles["invoice.handed_over"] == f"{handed.number} · Stage design"
    assert titles["fee_note.approval"] == "Stage design: Stage design, May"
