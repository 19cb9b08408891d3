"""Inputs that answered 500 (issue 11, finding 6): huge limits or offsets, NUL in a filter, deep JSON."""

from __future__ import annotations

import json

import pytest

from tests.projects_helpers import make_client


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


@pytest.mark.parametrize(
    "query",
    ["limit=" + "9" * 20, "offset=" + "9" * 20, "limit=0", "limit=-1", "limit=501", "limit=１", "offset=1.5"],
)
def test_out_of_range_paging_answers_400_with_the_bounds(coop, owner, api_for, query):
    response = api_for(owner).get(f"/api/clients/?{query}")
    assert response.status_code == 400, response.content
    assert "whole number" in response.content.decode()


def test_paging_within_bounds_still_pages(coop, owner, api_for):
    for name in ("A", "B", "C"):
        make_client(coop, owner, name=f"Client {name}")
    response = api_for(owner).get("/api/clients/?limit=2&offset=1")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["previous"] is not None


def test_a_nul_character_in_the_query_answers_400_not_500(coop, owner, api_for):
    response = api_for(owner).get("/api/projects/?status=%00")
    assert response.status_code == 400
    assert api_for(owner).get("/api/projects/?st%00atus=x").status_code == 400


@pytest.mark.parametrize("depth", [33, 10_000])
def test_deeply_nested_json_answers_400(coop, owner, api_for, depth):
    body = "[" * depth + "]" * depth
    response = api_for(owner).post("/api/clients/", data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "nested deeper" in response.content.decode()


def test_json_of_ordinary_depth_is_parsed(coop, owner, api_for):
    response = api_for(owner).post(
        "/api/clients/", data=json.dumps({"name": ""}), content_type="application/json"
    )
    assert response.status_code == 400 and "nested" not in response.content.decode()
