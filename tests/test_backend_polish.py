"""The backend as staff read it (issue 13, item 6): the cooperative's name on every page, amounts as
"1.234,56 €", a submitted invoice named by its client and day (not "draft #17"), and a review decision
that nobody has chosen in advance."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from invoicing import services
from invoicing.models import Invoice
from projects.models import Project
from tests.invoicing_helpers import draft, issued
from tests.payroll_helpers import payee_profile, payout_item
from tests.projects_helpers import approved_project, make_project, pdf_upload

pytestmark = pytest.mark.django_db

STAFF = ("advisor", "finance", "admin")


@pytest.fixture
def world(coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    people = {
        "advisor": advisor,
        "finance": make_member(coop, role="finance"),
        "admin": make_member(coop, role="admin"),
    }
    project = approved_project(coop, owner, advisor, agreed_net_amount=Decimal("12345.67"))
    # 1,028.80 net + 20 % VAT = 1,234.56 gross.
    invoice = issued(coop, owner, advisor, project, ("Design", "1", "1028.80", "20"), on=date(2026, 5, 4))
    services.payment_record(
        cooperative=coop, actor=people["finance"], invoice=invoice, amount="1034.56", date=date(2026, 5, 20)
    )
    submitted = draft(coop, owner, project, ("Workshop", "1", "500.00", "20"))
    services.invoice_submit(cooperative=coop, actor=owner, invoice=submitted)
    payee_profile(coop, owner)
    item = payout_item(coop, project, owner, "876.54")
    return coop, owner, people, project, invoice, submitted, item


def page(browser, url: str, language: str) -> str:
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = browser.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return re.sub(r"\s+", " ", response.content.decode())


AMOUNTS = {
    "de": {
        "gross": "1.234,56 €",
        "net": "12.345,67 €",
        "payout": "876,54 €",
        "paid": "1.034,56 €",
        "open": "200,00 €",
    },
    "en": {
        "gross": "€1,234.56",
        "net": "€12,345.67",
        "payout": "€876.54",
        "paid": "€1,034.56",
        "open": "€200.00",
    },
}


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("role", STAFF)
def test_changelists_show_amounts_with_separators_and_currency(world, client_for, role, language):
    coop, _owner, people, _project, invoice, _submitted, _item = world
    browser = client_for(people[role])
    invoices = page(browser, reverse("admin:invoicing_invoice_changelist"), language)
    assert AMOUNTS[language]["gross"] in invoices
    assert "1234,56" not in invoices and "1234.56" not in invoices
    projects = page(browser, reverse("admin:projects_project_changelist"), language)
    assert AMOUNTS[language]["net"] in projects
    detail = page(browser, reverse("admin:invoicing_invoice_change", args=[invoice.pk]), language)
    assert AMOUNTS[language]["gross"] in detail
    assert AMOUNTS[language]["paid"] in detail  # the payments inline and the paid total
    assert AMOUNTS[language]["open"] in detail and AMOUNTS[language]["open"] in invoices
    # Branded with the cooperative's name, in the header and the browser tab.
    assert f'<div id="site-name"><a href="/admin/">{coop.name}</a></div>' in invoices
    assert re.search(rf"<title>[^<]*{coop.name}[^<]*</title>", invoices)
    assert "SmartProduction" not in re.search(r"<title>[^<]*</title>", invoices).group(0)


@pytest.mark.parametrize("language", ["de", "en"])
def test_payout_items_list_formats_amounts(world, client_for, language):
    _coop, _owner, people, _project, _invoice, _submitted, _item = world
    for role in ("finance", "admin"):
        items = page(client_for(people[role]), reverse("admin:payroll_payoutitem_changelist"), language)
        assert AMOUNTS[language]["payout"] in items


@pytest.mark.parametrize(
    ("language", "expected", "wrong"),
    [
        ("de", "Rechnung an {client}, eingereicht am", "Entwurf #"),
        ("en", "Invoice to {client}, submitted", "draft #"),
    ],
)
def test_submitted_invoice_is_named_by_client_and_day(world, client_for, language, expected, wrong):
    _coop, _owner, people, project, invoice, submitted, _item = world
    html = page(client_for(people["advisor"]), reverse("admin:invoicing_invoice_changelist"), language)
    assert expected.format(client=project.client.name) in html
    assert wrong not in html
    assert invoice.number in html
    labels = re.findall(r'<th class="field-number_or_draft"><a href="[^"]*">([^<]*)</a></th>', html)
    assert len(labels) == 2 and invoice.number in labels
    (other,) = (label for label in labels if label != invoice.number)
    assert other.startswith(expected.format(client=project.client.name)) and f"#{submitted.pk}" not in other


def test_invoice_str_names_its_state_not_its_id(world):
    _coop, _owner, _people, _project, invoice, submitted, _item = world
    submitted.refresh_from_db()
    assert str(invoice) == invoice.number
    assert str(submitted).startswith("Invoice, submitted ")
    assert f"#{submitted.pk}" not in str(submitted) and "draft no." not in str(submitted)


def _submitted_project(coop, owner) -> Project:
    from projects import services as project_services

    project = make_project(coop, owner)
    project_services.document_upload(
        cooperative=coop, actor=owner, project=project, kind="contract", upload=pdf_upload()
    )
    return project_services.project_submit(cooperative=coop, actor=owner, project=project)


@pytest.mark.parametrize("language", ["de", "en"])
def test_review_form_has_no_preselected_decision(coop, make_member, client_for, language):
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    project = _submitted_project(coop, owner)
    html = page(client_for(advisor), reverse("admin:projects_project_review", args=[project.pk]), language)
    radios = re.findall(r'<input type="radio" name="decision"[^>]*>', html)
    assert len(radios) == 3
    assert not any("checked" in radio for radio in radios)
    assert "<select" not in html


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("de", "Wählen Sie eine Entscheidung: genehmigen, Änderungen anfordern oder ablehnen."),
        ("en", "Choose a decision: approve, ask for changes or reject."),
    ],
)
def test_review_without_a_decision_is_refused(coop, make_member, client_for, language, message):
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    project = _submitted_project(coop, owner)
    browser = client_for(advisor)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse("admin:projects_project_review", args=[project.pk])
    response = browser.post(url, {"comment": "", "save_decision": "1"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Project.objects.for_cooperative(coop).get(pk=project.pk).status == Project.Status.SUBMITTED


def test_backend_is_not_open_to_another_cooperatives_staff(world, other_coop, make_member, client_for):
    _coop, _owner, _people, _project, invoice, _submitted, _item = world
    stranger = client_for(make_member(other_coop, role="admin"))
    assert stranger.get(reverse("admin:invoicing_invoice_change", args=[invoice.pk])).status_code == 404
    html = page(stranger, reverse("admin:invoicing_invoice_changelist"), "de")
    assert other_coop.name in html and "1.234,56 €" not in html
    assert Invoice.objects.for_cooperative(other_coop).count() == 0


@pytest.mark.parametrize(
    ("language", "expected", "wrong"),
    [("de", "Rechnung, eingereicht am", "Entwurf #"), ("en", "Invoice, submitted", "Draft #")],
)
def test_member_project_page_names_a_submitted_invoice_by_its_day(
    world, client_for, language, expected, wrong
):
    """The member's invoice panel said "Entwurf #17" too: it names the document the same way."""
    _coop, owner, _people, project, invoice, submitted, _item = world
    html = page(client_for(owner), reverse("project_detail", args=[project.pk]), language)
    assert expected in html and wrong not in html
    assert invoice.number in html
    assert f"#{submitted.pk}<" not in html
