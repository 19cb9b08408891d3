"""Loose inputs that were accepted (issue 11, finding 8): non-ASCII digits as money, compact dates, dates
in year 1, 10,000 invoice lines, a 5 MB note. Each is refused with a 400 naming the field; nothing is
written."""

from __future__ import annotations

from typing import Any

import pytest

from invoicing.models import Invoice
from projects.models import Expense
from tests.projects_helpers import approved_project

pytestmark = pytest.mark.django_db

LINE = {"description": "Stage design", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}
LOOSE_NUMBERS = ["١", "１", "1\xa0", "٣.٥٠", "1e2", "+1", " 1"]


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


@pytest.fixture
def project(coop, owner, make_member):
    return approved_project(coop, owner, make_member(coop, role="advisor"))


def _invoice(api: Any, project: Any, line: dict[str, Any] | None = None, **body: Any) -> Any:
    data = {"project": project.pk, "lines": [line or LINE], "service_date": "2026-04-30", **body}
    return api.post("/api/invoices/", data, format="json")


def test_a_plain_invoice_is_still_accepted(coop, owner, project, api_for):
    response = _invoice(api_for(owner), project, {**LINE, "unit_price": "1", "quantity": "2"})
    assert response.status_code == 201, response.json()
    assert response.json()["net_total"] == "2.00"


@pytest.mark.parametrize("value", LOOSE_NUMBERS)
@pytest.mark.parametrize("field", ["unit_price", "quantity"])
def test_money_and_quantities_take_ascii_digits_only(coop, owner, project, api_for, field, value):
    response = _invoice(api_for(owner), project, {**LINE, field: value})

    assert response.status_code == 400, response.json()
    errors = response.json()["details"]["lines"]["0"]
    assert list(errors) == [field]
    assert "decimal number with a dot" in errors[field][0]
    assert not Invoice.objects.for_cooperative(coop).exists()


@pytest.mark.parametrize("value", ["20261101", "2026-11-1", "٢٠٢٦-١١-٠١", "2026-11-01T00:00", "0001-01-01"])
def test_dates_are_iso_only_and_plausible(coop, owner, project, api_for, value):
    response = _invoice(api_for(owner), project, service_date=value)

    assert response.status_code == 400, response.json()
    message = response.json()["details"]["service_date"][0]
    assert "YYYY-MM-DD" in message or "between 2000-01-01 and" in message
    assert not Invoice.objects.for_cooperative(coop).exists()


@pytest.mark.parametrize("value", ["0001-04-02", "1999-12-31", "2099-01-01", "20250402", "2025-4-2x"])
def test_expense_dates_in_year_one_or_far_ahead_are_refused(coop, owner, project, api_for, value):
    response = api_for(owner).post(
        f"/api/projects/{project.pk}/expenses/",
        {"amount": "12.00", "date": value, "description": "Paper"},
        format="json",
    )

    assert response.status_code == 400, response.json()
    assert list(response.json()["details"]) == ["date"]
    assert not Expense.objects.for_cooperative(coop).exists()


def test_expense_amount_in_arabic_digits_is_refused(coop, owner, project, api_for):
    response = api_for(owner).post(
        f"/api/projects/{project.pk}/expenses/",
        {"amount": "١٢", "date": "2026-04-02", "description": "Paper"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["amount"]


def test_an_invoice_has_at_most_500_lines(coop, owner, project, api_for):
    api = api_for(owner)
    response = api.post(
        "/api/invoices/",
        {"project": project.pk, "lines": [LINE] * 501, "service_date": "2026-04-30"},
        format="json",
    )

    assert response.status_code == 400
    assert "500" in str(response.json()["details"]["lines"])
    assert not Invoice.objects.for_cooperative(coop).exists()


def test_a_note_has_at_most_10000_characters(coop, owner, project, api_for):
    api = api_for(owner)
    too_long = _invoice(api, project, note="x" * 10_001)
    assert too_long.status_code == 400
    assert "10000" in str(too_long.json()["details"]["note"])
    assert not Invoice.objects.for_cooperative(coop).exists()

    assert _invoice(api, project, note="x" * 10_000).status_code == 201


@pytest.mark.parametrize("value", ["١٠٠", "１００", "100\xa0"])
def test_the_invoice_form_takes_ascii_digits_only(coop, owner, project, client_for, value):
    from tests.test_invoicing_pages import form_data

    response = client_for(owner).post(
        f"/projects/{project.pk}/invoices/new/", form_data(**{"lines-0-unit_price": value})
    )

    assert response.status_code == 200
    assert "Enter a number with the digits 0-9 and a dot" in response.content.decode()
    assert not Invoice.objects.for_cooperative(coop).exists()


def test_the_invoice_form_refuses_a_service_date_in_year_one(coop, owner, project, client_for):
    from tests.test_invoicing_pages import form_data

    response = client_for(owner).post(
        f"/projects/{project.pk}/invoices/new/", form_data(service_date="0001-04-30")
    )

    assert response.status_code == 200
    assert "Enter a date between 2000-01-01 and" in response.content.decode()
    assert not Invoice.objects.for_cooperative(coop).exists()
