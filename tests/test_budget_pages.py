"""The budget's lines in pages: the newest page, running balances from SQL, `next` for older lines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from projects.budget import project_budget
from tests.ledger_bulk import bulk_budget_lines, expected_balances
from tests.projects_helpers import approved_project

# The budget API's queries, whatever the number of lines: session, user, host and membership (middleware),
# then one statement for who may see the project, the figures and the page of lines.
BUDGET_QUERIES = 5


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


@pytest.fixture
def advisor(coop, make_member):
    return make_member(coop, role="advisor")


@pytest.fixture
def project(coop, owner, advisor):
    return approved_project(coop, owner, advisor)


def url(project, query: str = "") -> str:
    return f"/api/projects/{project.pk}/budget/{query}"


@pytest.mark.parametrize("count", [10, 1_000])
def test_budget_api_query_count_is_the_same_for_10_and_1000_lines(
    coop, owner, project, api_for, count, django_assert_num_queries
):
    bulk_budget_lines(coop, project, count)
    api = api_for(owner)
    api.get(url(project))  # warm up per-process caches (content types, site)

    with django_assert_num_queries(BUDGET_QUERIES):
        body = api.get(url(project)).json()

    assert len(body["lines"]) == min(count, 100)
    assert body["balance"] == body["lines"][-1]["balance"] == str(expected_balances(count)[-1])


def test_pages_continue_each_other_to_the_cent_and_the_last_has_no_next(coop, owner, project, api_for):
    bulk_budget_lines(coop, project, 250)
    expected = [str(b) for b in expected_balances(250)]
    api = api_for(owner)

    first = api.get(url(project, "?limit=100")).json()
    assert [line["balance"] for line in first["lines"]] == expected[150:]
    assert first["next"] == f"http://{coop.hosts[0]}/api/projects/{project.pk}/budget/?limit=100&offset=100"

    second = api.get(first["next"]).json()
    assert [line["balance"] for line in second["lines"]] == expected[50:150]
    # Page 2's newest balance plus page 1's oldest amount is page 1's oldest balance.
    assert Decimal(second["lines"][-1]["balance"]) + Decimal(first["lines"][0]["amount"]) == Decimal(
        first["lines"][0]["balance"]
    )
    assert second["balance"] == first["balance"]  # the figures are the account's, on every page

    last = api.get(second["next"]).json()
    assert [line["balance"] for line in last["lines"]] == expected[:50]
    assert last["next"] is None


def test_a_page_exactly_at_the_end_has_no_next(coop, owner, project, api_for):
    bulk_budget_lines(coop, project, 10)
    body = api_for(owner).get(url(project, "?limit=10")).json()
    assert len(body["lines"]) == 10
    assert body["next"] is None


@pytest.mark.parametrize("query", ["?limit=0", "?limit=501", "?limit=x", "?offset=-1", "?offset=1e3"])
def test_unbounded_limit_or_offset_is_a_400(coop, owner, project, api_for, query):
    response = api_for(owner).get(url(project, query))
    assert response.status_code == 400, response.content
    assert "A whole number from" in response.content.decode()


def test_the_service_refuses_an_unbounded_limit(coop, project):
    with pytest.raises(ValueError):
        project_budget(cooperative=coop, project=project, limit=501)


def test_project_page_shows_the_newest_lines_and_links_older_bookings(
    coop, owner, project, client_for, other_coop, make_member
):
    bulk_budget_lines(coop, project, 130)
    expected = expected_balances(130)
    web = client_for(owner)

    page = web.get(f"/projects/{project.pk}/")
    assert page.status_code == 200
    budget = page.context["budget"]
    assert [line.balance for line in budget.lines] == expected[30:]
    assert b'href="?lines=100#budget" rel="next" data-link="older-bookings"' in page.content

    older = web.get(f"/projects/{project.pk}/?lines=100")
    assert [line.balance for line in older.context["budget"].lines] == expected[:30]
    assert b'data-link="older-bookings"' not in older.content  # no older page
    assert b'data-link="newest-bookings"' in older.content

    assert web.get(f"/projects/{project.pk}/?lines=junk").context["budget"].lines == budget.lines
    stranger = client_for(make_member(other_coop))
    assert stranger.get(f"/projects/{project.pk}/?lines=100").status_code == 404
