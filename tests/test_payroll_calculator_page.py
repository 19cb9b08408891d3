"""The salary calculator page (`/payroll/calculator/`): gross → net and employer cost, nothing saved."""

from __future__ import annotations

from typing import Any

from django.test import Client

from smartprod.tenancy.models import Cooperative

URL = "/payroll/calculator/"


def test_a_member_finds_the_calculator_in_the_menu_and_gets_net_and_cost(
    coop: Cooperative, make_member: Any, client_for: Any
) -> None:
    client = client_for(make_member(coop))
    empty = client.get(URL)
    assert empty.status_code == 200
    assert f'href="{URL}"' in empty.content.decode()  # the menu links it
    assert 'id="calculator-result"' not in empty.content.decode()

    page = client.get(URL, {"gross": "3060.00", "month": "2026-03", "municipality": "Wien"}).content.decode()
    # hand-computed in tests/test_payroll_calc.py (Vienna 2026)
    assert 'data-net="2203.14"' in page and 'data-cost="4640.76"' in page
    assert 'data-line="levy.ubahn"' in page


def test_staff_use_it_too_and_germans_read_it_in_german(
    coop: Cooperative, make_member: Any, client_for: Any
) -> None:
    client = client_for(make_member(coop, role="advisor"))
    client.cookies["django_language"] = "de"
    page = client.get(URL, {"gross": "3060.00", "month": "2026-03"}).content.decode()
    assert 'data-net="2208.49"' in page
    assert "Krankenversicherung" in page and "Gehaltsrechner" in page


def test_bad_input_is_explained_and_nothing_is_computed(
    coop: Cooperative, make_member: Any, client_for: Any
) -> None:
    client = client_for(make_member(coop))
    bad_gross = client.get(URL, {"gross": "3.060,00", "month": "2026-03"}).content.decode()
    assert "Enter an amount with the digits 0-9 and a dot" in bad_gross
    assert 'id="calculator-result"' not in bad_gross
    bad_month = client.get(URL, {"gross": "3060.00", "month": "03/2026"}).content.decode()
    assert "Enter the month as YYYY-MM" in bad_month
    no_rules = client.get(URL, {"gross": "3060.00", "month": "2027-01"}).content.decode()
    assert "No payroll rules for AT 2027." in no_rules and 'id="calculator-result"' not in no_rules


def test_a_german_cooperative_is_told_it_has_no_rules(
    other_coop: Cooperative, make_member: Any, client_for: Any
) -> None:
    page = client_for(make_member(other_coop)).get(URL, {"gross": "3060.00", "month": "2026-03"})
    assert page.status_code == 200
    assert "No payroll rules for DE 2026." in page.content.decode()


def test_only_people_of_the_cooperative(
    coop: Cooperative, other_coop: Cooperative, make_member: Any, client_for: Any
) -> None:
    outsider = client_for(make_member(other_coop), host="at.localhost")
    assert outsider.get(URL, {"gross": "3060.00", "month": "2026-03"}).status_code == 404
    anonymous = Client(HTTP_HOST="at.localhost").get(URL)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
