"""Issue 11, finding 9: `?next=` stays on the request's host, the API schema and docs need a login in
production, and every page carries a Content-Security-Policy that the pages and the backend satisfy."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


@pytest.mark.parametrize(
    "target",
    [
        "http://de.localhost/",
        "//de.localhost/admin/",
        "https://evil.example/",
        "http://at.localhost:1@de.localhost/",
    ],
)
def test_login_next_never_leads_to_another_host(coop, other_coop, make_member, target):
    member = make_member(coop)
    response = Client(HTTP_HOST="at.localhost").post(
        f"/accounts/login/?next={target}", {"login": member.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "de.localhost" not in response["Location"]
    assert "evil.example" not in response["Location"]


def test_login_next_on_the_same_host_is_followed(coop, make_member):
    member = make_member(coop)
    response = Client(HTTP_HOST="at.localhost").post(
        "/accounts/login/?next=/clients/", {"login": member.user.email, "password": PASSWORD}
    )
    assert response["Location"] == "/clients/"


def test_backend_login_redirect_drops_a_foreign_next(coop):
    response = Client(HTTP_HOST="at.localhost").get("/admin/login/?next=http://de.localhost/admin/")
    assert response.status_code == 302
    assert "de.localhost" not in response["Location"]


def test_schema_and_docs_need_a_login_in_production(coop, make_member, settings):
    settings.API_DOCS_PUBLIC = False
    anonymous = APIClient(HTTP_HOST="at.localhost")
    assert anonymous.get("/api/schema/").status_code in (401, 403)
    assert anonymous.get("/api/docs/").status_code in (401, 403)
    member = APIClient(HTTP_HOST="at.localhost")
    member.force_login(make_member(coop).user)
    assert member.get("/api/schema/").status_code == 200
    assert member.get("/api/docs/").status_code == 200


def test_production_settings_close_the_docs():
    from pathlib import Path

    production = (Path(__file__).parent.parent / "smartprod/settings/production.py").read_text()
    assert 'API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)' in production


def _csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def _no_inline_script(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler"


def test_pages_send_a_policy_without_inline_scripts(coop, make_member, client_for):
    response = client_for(make_member(coop)).get("/")
    policy = _csp(response)
    assert policy["script-src"] == "script-src 'self'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == "object-src 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    _no_inline_script(response.content.decode())
    login = Client(HTTP_HOST="at.localhost").get("/accounts/login/")
    assert "Content-Security-Policy" in login
    _no_inline_script(login.content.decode())


def test_invoice_form_script_is_a_file(coop, make_member, client_for):
    from tests.projects_helpers import approved_project

    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    project = approved_project(coop, owner, advisor)
    page = client_for(owner).get(f"/projects/{project.pk}/invoices/new/").content.decode()
    assert "js/invoice_form.js" in page
    _no_inline_script(page)


@pytest.mark.parametrize(
    "path",
    ["/admin/", "/admin/projects/project/", "/admin/projects/client/add/", "/admin/invoicing/invoice/"],
)
def test_backend_pages_render_under_the_policy_without_inline_scripts(coop, make_member, client_for, path):
    response = client_for(make_member(coop, role="admin")).get(path)
    assert response.status_code == 200
    assert _csp(response)["script-src"] == "script-src 'self'"
    _no_inline_script(response.content.decode())


def test_api_docs_load_their_script_from_a_url(coop):
    client = Client(HTTP_HOST="at.localhost")
    page = client.get("/api/docs/")
    html = page.content.decode()
    _no_inline_script(html)
    script = re.search(r'<script src="([^"]*script[^"]*)"', html)
    assert script is not None
    answer = client.get(script.group(1).replace("&amp;", "&"))
    assert answer.status_code == 200
    assert "SwaggerUIBundle" in answer.content.decode()
