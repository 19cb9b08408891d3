"""The page skeleton and the form error summary, as the server renders them (the browser tests run axe-core
on the same pages: tests/browser/test_accessibility.py)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "skip_text"), [("de", "Zum Inhalt springen"), ("en", "Skip to content")]
)
def test_every_page_starts_with_a_skip_link_to_the_main_content(
    coop, make_member, client_for, language, skip_text
):
    client = client_for(make_member(coop))
    client.cookies["django_language"] = language

    html = client.get("/").content.decode()

    body = html[html.index("<body") :]
    first_focusable = re.search(r"<(a|button|input|select|textarea|summary)\b[^>]*>", body)
    assert first_focusable is not None
    assert first_focusable.group(0) == '<a class="skip-link" href="#main">'
    assert body[first_focusable.end() :].startswith(f"{skip_text}</a>")
    assert html.count('id="main"') == 1
    assert '<main class="container" id="main" tabindex="-1">' in html


def test_login_page_has_the_skip_link_too(client):
    html = client.get("/accounts/login/", HTTP_HOST="localhost").content.decode()

    assert '<a class="skip-link" href="#main">' in html
    assert 'id="main"' in html


@pytest.mark.parametrize(
    ("language", "title"),
    [("de", "Bitte korrigieren Sie Folgendes:"), ("en", "Please correct the following:")],
)
def test_form_errors_are_summarised_once_and_link_to_their_fields(
    coop, make_member, client_for, language, title
):
    client = client_for(make_member(coop))
    client.cookies["django_language"] = language

    response = client.post("/clients/new/", {"name": "", "kind": "business", "country": "AT", "street": ""})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('role="alert"') == 1
    assert html.count(title) == 1
    summary = html[html.index('id="form-errors"') : html.index("</div>", html.index('id="form-errors"'))]
    assert 'href="#id_name"' in summary
    assert 'href="#id_street"' in summary
    # The field says it is wrong, and which message describes it; the message carries that id.
    name_input = re.search(r'<input[^>]*\bid="id_name"[^>]*>', html)
    assert name_input is not None
    assert 'aria-invalid="true"' in name_input.group(0)
    assert 'aria-describedby="id_name_error"' in name_input.group(0)
    assert 'id="id_name_error"' in html


def test_a_valid_form_has_no_error_summary(coop, make_member, client_for):
    client = client_for(make_member(coop))

    html = client.get("/clients/new/").content.decode()

    assert 'id="form-errors"' not in html
    assert "aria-invalid" not in html
