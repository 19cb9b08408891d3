"""Issue 8 #18: ledger texts in the reader's language, quantities without trailing zeros, status labels."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from invoicing.documents import invoice_pdf_html
from invoicing.models import Invoice
from projects.budget import project_budget
from projects.ledger import Posting, account_get, journal_line_text, journal_post
from projects.models import Account, JournalLine, ProjectStatusChange
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project


@pytest.fixture
def people(coop, make_member):
    return make_member(coop), make_member(coop, "advisor")


def test_budget_lines_are_rendered_in_the_readers_language(coop, people):
    owner, advisor = people
    project = approved_project(coop, owner, advisor)
    with translation.override("de"):  # posted while German is active: nothing German is stored
        invoice = issued(
            coop, owner, advisor, project, ("Stage design", "1", "1000.00", "20"), on=date(2026, 5, 18)
        )

    lines = JournalLine.objects.for_cooperative(coop).filter(account__type=Account.Type.PROJECT_BUDGET)
    assert sorted((line.event, line.reference, line.kind) for line in lines) == [
        ("invoice", invoice.number, "contribution"),
        ("invoice", invoice.number, "income"),
    ]
    with translation.override("de"):
        german = [line.description for line in project_budget(cooperative=coop, project=project).lines]
    with translation.override("en"):
        english = [line.description for line in project_budget(cooperative=coop, project=project).lines]
    assert german == ["Rechnung 2026-00001", "Rechnung 2026-00001: Kostenbeitrag"]
    assert english == ["Invoice 2026-00001", "Invoice 2026-00001: Contribution"]


def test_lines_posted_before_events_existed_keep_their_text(coop, people):
    owner, advisor = people
    project = approved_project(coop, owner, advisor)
    budget = account_get(cooperative=coop, type=Account.Type.PROJECT_BUDGET, project=project)
    bank = account_get(cooperative=coop, type=Account.Type.BANK)
    journal_post(
        cooperative=coop,
        idempotency_key="old:1",
        date=date(2026, 1, 2),
        description="Invoice 2025-00007: contribution",
        postings=[Posting(bank, debit=Decimal("5.00")), Posting(budget, credit=Decimal("5.00"))],
    )

    with translation.override("de"):
        lines = project_budget(cooperative=coop, project=project).lines

    assert [line.description for line in lines] == ["Invoice 2025-00007: contribution"]
    assert journal_line_text(event="", reference="", kind="other", description="as posted") == "as posted"


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("en", Decimal("8.500"), "8.5"),
        ("de", Decimal("8.500"), "8,5"),
        ("en", Decimal("10.000"), "10"),
        ("de", Decimal("1250.250"), "1.250,25"),
        ("en", Decimal("1250.250"), "1,250.25"),
        ("de", Decimal("0.125"), "0,125"),
    ],
)
def test_quantity_filter_drops_trailing_zeros_in_the_locale(language, value, expected):
    with translation.override(language), override_settings(USE_THOUSAND_SEPARATOR=False):
        rendered = Template("{% load numbers %}{{ q|quantity }}").render(Context({"q": value}))

    assert rendered == expected


def test_invoice_page_shows_8_5_hours(coop, people, client_for):
    owner, advisor = people
    project = approved_project(coop, owner, advisor)
    invoice = issued(coop, owner, advisor, project, ("Workshop", "8.5", "100.00", "20"), on=date(2026, 5, 18))
    assert Invoice.objects.for_cooperative(coop).get(pk=invoice.pk).lines.get().quantity == Decimal("8.500")
    page = client_for(owner)

    english = page.get(reverse("invoice_detail", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="en").content
    coop.language = "de"
    coop.save(update_fields=["language"])
    german = page.get(reverse("invoice_detail", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="de").content

    assert b"8.500" not in english and b"8,500" not in german
    assert b'data-label="Quantity">8.5 ' in english or b">8.5 " in english
    assert b">8,5 " in german


def test_status_history_shows_labels(coop, people, client_for):
    owner, advisor = people
    project = approved_project(coop, owner, advisor)
    first = (
        ProjectStatusChange.objects.for_cooperative(coop)
        .filter(project=project, from_status="draft")
        .order_by("created_at", "id")
        .first()
    )
    assert first is not None
    coop.language = "de"
    coop.save(update_fields=["language"])

    with translation.override("de"):
        text = str(first)
    with translation.override("en"):
        english = str(first)
    page = client_for(advisor).get(
        reverse("admin:projects_project_review", args=[project.pk]), HTTP_ACCEPT_LANGUAGE="de"
    )

    assert text == "Entwurf → Eingereicht"
    assert english == "Draft → Submitted"
    assert page.status_code == 200
    assert "Entwurf → Eingereicht" in page.content.decode()
    assert "draft → submitted" not in page.content.decode()


def test_invoice_pdf_html_shows_8_5_in_the_documents_language(coop, people):
    owner, advisor = people
    coop.language = "de"
    coop.save(update_fields=["language"])
    project = approved_project(coop, owner, advisor)
    invoice = issued(coop, owner, advisor, project, ("Workshop", "8.5", "100.00", "20"), on=date(2026, 5, 18))

    html = invoice_pdf_html(Invoice.objects.for_cooperative(coop).get(pk=invoice.pk))

    assert '<td class="num">8,5&#160;' in html  # the quantity, then its unit in the same cell
    assert "8,500" not in html
