"""`GET /api/payroll/preview/`: gross → net for a month without saving, for any person of the cooperative."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from payroll.models import Municipality, PayrollSettings
from smartprod.tenancy.models import Cooperative, Membership

URL = "/api/payroll/preview/"


@pytest.fixture
def api(coop: Cooperative, make_member: Any, api_for: Callable[..., APIClient]) -> APIClient:
    return api_for(make_member(coop))


def test_a_member_sees_gross_to_net_outside_vienna_by_default(api: APIClient) -> None:
    response = api.get(URL, {"gross": "3060.00", "month": "2026-03"})

    assert response.status_code == 200, response.content
    body = response.json()
    # hand-computed in tests/test_payroll_calc.py (mid income 2026, Niederösterreich)
    assert {k: body[k] for k in ("gross", "employee_social_insurance", "wage_tax", "net")} == {
        "gross": "3060.00",
        "employee_social_insurance": "552.94",
        "wage_tax": "298.57",
        "net": "2208.49",
    }
    assert body["federal_state"] == "Niederösterreich" and body["month"] == "2026-03"
    assert body["levies"]["ubahn"] == "0.00"
    kv = next(line for line in body["lines"] if line["code"] == "sv.kv" and line["side"] == "employee")
    assert kv == {
        "code": "sv.kv",
        "label": "Health insurance",
        "side": "employee",
        "base": "3060.00",
        "rate": "3.87",
        "amount": "118.42",
    }


def test_vienna_as_municipality(api: APIClient) -> None:
    body = api.get(URL, {"gross": "3060.00", "month": "2026-03", "municipality": "Wien"}).json()
    assert (body["federal_state"], body["net"], body["employer_cost_total"]) == ("Wien", "2203.14", "4640.76")
    assert body["levies"]["ubahn"] == "10.00"


@pytest.mark.parametrize(
    ("own_state", "municipality", "expected"),
    [
        ("Tirol", "", "Tirol"),
        ("Wien", "", "Niederösterreich"),  # without a municipality: outside Vienna
        ("Wien", "Graz", "Steiermark"),  # a municipality the cooperative keeps
        ("Salzburg", "wien", "Wien"),
    ],
)
def test_the_federal_state_comes_from_the_municipality_or_the_cooperative(
    api: APIClient, coop: Cooperative, own_state: str, municipality: str, expected: str
) -> None:
    PayrollSettings.objects.create(cooperative=coop, federal_state=own_state)
    Municipality.objects.create(cooperative=coop, name="Graz", federal_state="Steiermark")
    params = {"gross": "3060.00", "month": "2026-03", "municipality": municipality}
    assert api.get(URL, params).json()["federal_state"] == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"gross": "3.060,00", "month": "2026-03"}, "gross"),
        ({"gross": "３０６０.００", "month": "2026-03"}, "gross"),  # full-width digits
        ({"gross": "-1.00", "month": "2026-03"}, "gross"),
        ({"month": "2026-03"}, "gross"),
        ({"gross": "3060.00", "month": "2026-3"}, "month"),
        ({"gross": "3060.00", "month": "2026-13"}, "month"),
        ({"gross": "3060.00", "month": "２０２６-03"}, "month"),
        ({"gross": "3060.00"}, "month"),
    ],
)
def test_bad_input_answers_400_naming_the_field(api: APIClient, params: dict[str, str], field: str) -> None:
    response = api.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["details"]


def test_a_month_without_rules_is_refused(api: APIClient) -> None:
    response = api.get(URL, {"gross": "3060.00", "month": "2027-01"})
    assert response.status_code == 400
    assert response.json()["detail"] == "No payroll rules for AT 2027."


def test_a_german_cooperative_has_no_payroll_rules(
    other_coop: Cooperative, make_member: Any, api_for: Callable[..., APIClient]
) -> None:
    response = api_for(make_member(other_coop, role="advisor")).get(
        URL, {"gross": "3060.00", "month": "2026-03"}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "No payroll rules for DE 2026."


@pytest.mark.parametrize("role", ["advisor", "finance", "admin"])
def test_staff_may_preview_too(coop: Cooperative, make_member: Any, api_for: Any, role: str) -> None:
    response = api_for(make_member(coop, role=role)).get(URL, {"gross": "500.00", "month": "2025-05"})
    assert response.status_code == 200
    assert response.json()["marginal"] is True


def test_no_preview_in_another_cooperative_or_anonymously(
    coop: Cooperative, other_coop: Cooperative, make_member: Any, api_for: Callable[..., APIClient]
) -> None:
    outsider: Membership = make_member(other_coop)
    on_foreign_host = api_for(outsider, host="at.localhost").get(
        URL, {"gross": "3060.00", "month": "2026-03"}
    )
    assert on_foreign_host.status_code in (403, 404)
    assert "net" not in on_foreign_host.json()
    anonymous = APIClient(HTTP_HOST="at.localhost").get(URL, {"gross": "3060.00", "month": "2026-03"})
    assert anonymous.status_code in (401, 403)
