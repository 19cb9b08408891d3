"""The budget page a member understands (issue 13, item 5): each contribution line with its own rate, net and
gross labelled, the client's payments and a write-off as events that do not change the budget, and the
guarantee explained — in German and English, for every role that sees the project, never to another
cooperative."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings

from invoicing import services
from projects.budget import project_budget
from tests.invoicing_helpers import issued
from tests.projects_helpers import approved_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    finance, admin = make_member(coop, role="finance"), make_member(coop, role="admin")
    project = approved_project(coop, owner, advisor)
    # Issued at 7.5 %: the rate stays the invoice's, whatever the setting says later.
    invoice = issued(coop, owner, advisor, project, ("Design", "1", "1000.00", "20"), on=date(2026, 5, 4))
    services.payment_record(
        cooperative=coop, actor=finance, invoice=invoice, amount="600.00", date=date(2026, 5, 20)
    )
    services.invoice_write_off(
        cooperative=coop, actor=finance, invoice=invoice, reason="insolvent", on=date(2026, 9, 1)
    )
    coop.contribution_rate = Decimal("10.00")
    coop.save(update_fields=["contribution_rate"])
    return coop, {"member": owner, "advisor": advisor, "finance": finance, "admin": admin}, project, invoice


def in_language(browser, language: str):
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return browser


def text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_budget_lines_carry_the_rate_of_their_invoice_not_todays_setting(world):
    coop, _people, project, _invoice = world
    budget = project_budget(cooperative=coop, project=project)
    contribution = [line for line in budget.lines if line.kind == "contribution"]
    assert [(line.amount, line.rate) for line in contribution] == [(Decimal("-75.00"), Decimal("7.50"))]
    assert all(line.rate is None for line in budget.lines if line.kind != "contribution")
    assert budget.events is None  # the API's call does not read them


def test_events_are_the_clients_side_and_leave_the_budget_alone(world):
    coop, _people, project, invoice = world
    budget = project_budget(cooperative=coop, project=project, with_events=True)
    assert budget.balance == Decimal("925.00")  # 1000 net − 7.5 %: payment and write-off changed nothing
    assert budget.events is not None
    assert [(e.kind, e.date, e.gross, e.open_after) for e in budget.events] == [
        ("write_off", date(2026, 9, 1), Decimal("600.00"), Decimal("0.00")),
        ("partial_payment", date(2026, 5, 20), Decimal("600.00"), Decimal("600.00")),
        ("invoice", date(2026, 5, 4), Decimal("1200.00"), Decimal("1200.00")),
    ]
    assert {e.invoice for e in budget.events} == {invoice.number}


def test_full_payment_is_not_called_partial(coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    finance = make_member(coop, role="finance")
    project = approved_project(coop, owner, advisor)
    invoice = issued(coop, owner, advisor, project, ("Design", "1", "100.00", "20"), on=date(2026, 5, 4))
    for amount, day in (("20.00", 10), ("100.00", 20)):
        services.payment_record(
            cooperative=coop, actor=finance, invoice=invoice, amount=amount, date=date(2026, 5, day)
        )
    events = project_budget(cooperative=coop, project=project, with_events=True).events
    assert [(e.kind, e.open_after) for e in events or []] == [
        ("payment", Decimal("0.00")),
        ("partial_payment", Decimal("100.00")),
        ("invoice", Decimal("120.00")),
    ]


GERMAN = [
    "7,5 % Kostenbeitrag",
    "Einnahme (netto)",
    "Betrag (netto)",
    "Teilzahlung von 600,00 € für Rechnung {number} erhalten; 600,00 € sind noch offen.",
    "Rechnung {number} ausgestellt: Die Kundin oder der Kunde schuldet 1.200,00 € (brutto).",
    "Rechnung {number} abgeschrieben",
    "das Budget wird nicht verringert",
    "garantiert",
    "Was bedeutet „zur Auszahlung verfügbar“?",
]
ENGLISH = [
    "7.5 % contribution",
    "Income (net)",
    "Amount (net)",
    "Partial payment of €600.00 received for invoice {number}; €600.00 still open.",
    "Invoice {number} issued: the client owes €1,200.00 (gross).",
    "Invoice {number} written off",
    "the budget is not reduced",
    "guarantees the money",
    "What does “available to pay out” mean?",
]


@pytest.mark.parametrize("role", ["member", "advisor", "finance", "admin"])
@pytest.mark.parametrize(("language", "expected"), [("de", GERMAN), ("en", ENGLISH)])
def test_budget_page_explains_rate_events_and_guarantee(world, client_for, role, language, expected):
    _coop, people, project, invoice = world
    browser = in_language(client_for(people[role]), language)
    html = text(browser.get(f"/projects/{project.pk}/"))
    assert f'<html lang="{language}"' in html
    for phrase in expected:
        assert phrase.format(number=invoice.number) in html, phrase
    assert "10 % Kostenbeitrag" not in html and "10 % contribution" not in html
    assert html.count('data-event="') == 3
    assert '<details data-explain="available">' in html and '<details data-explain="guarantee">' in html


def test_budget_page_is_not_shown_to_another_cooperative(world, other_coop, make_member, client_for):
    _coop, _people, project, _invoice = world
    for role in ("member", "advisor", "finance", "admin"):
        stranger = make_member(other_coop, role=role)
        assert client_for(stranger).get(f"/projects/{project.pk}/").status_code == 404


def test_budget_api_shape_is_unchanged(world, api_for):
    _coop, people, project, _invoice = world
    body = api_for(people["member"]).get(f"/api/projects/{project.pk}/budget/").json()
    assert set(body) == {"currency", "balance", "receivable", "available", "pending", "lines", "next"}
    assert {key for line in body["lines"] for key in line} == {
        "date",
        "kind",
        "kind_label",
        "description",
        "amount",
        "balance",
    }
