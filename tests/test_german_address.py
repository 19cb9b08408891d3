"""One form of address in German: "Sie". allauth's own German says "Du"; the project's catalogue (first in
LOCALE_PATHS, which Django searches before any app's locale folder) gives its messages in "Sie"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from smartprod.tenancy.models import Cooperative
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DU = re.compile(
    r"\b(du|dich|dir|dein|deine|deinen|deinem|deiner|deines|hast|bist|gib|wähle|bestätige)\b", re.I
)

ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-bad-key/",
    "/accounts/password/reset/key/done/",
    "/accounts/confirm-email/",
    "/accounts/confirm-email/bad-key/",
    "/accounts/inactive/",
]
SIGNED_IN_PAGES = [
    "/accounts/logout/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/reauthenticate/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
]
TWO_FACTOR_PAGES = [
    "/accounts/2fa/",
    "/accounts/2fa/totp/deactivate/",
    "/accounts/2fa/recovery-codes/generate/",
    "/accounts/2fa/reauthenticate/",
]


@pytest.fixture
def german(coop: Cooperative) -> Cooperative:
    coop.language = "de"
    coop.save()
    return coop


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def informal(text: str) -> list[str]:
    return sorted({match.group(0) for match in DU.finditer(text)})


def _german_client(user: Any = None) -> Client:
    client = Client(HTTP_HOST="at.localhost")
    if user is not None:
        client.force_login(user)
    return client


def _check(client: Client, url: str) -> tuple[str, list[str]]:
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    assert response.headers["Content-Language"] == "de", url
    return url, informal(visible_text(response.content.decode()))


def test_allauth_pages_say_sie(german, make_member) -> None:
    member = make_member(german)
    finance = make_member(german, "finance")
    found = [_check(_german_client(), url) for url in ANONYMOUS_PAGES]
    found += [_check(_german_client(member.user), url) for url in SIGNED_IN_PAGES]
    found += [_check(_german_client(finance.user), url) for url in TWO_FACTOR_PAGES]

    assert [(url, words) for url, words in found if words] == []


def test_the_sie_texts_are_the_ones_shown(german, make_member) -> None:
    login = _german_client().get("/accounts/login/").content.decode()
    assert "Sie haben noch kein Konto?" in login
    reset = _german_client().get("/accounts/password/reset/").content.decode()
    assert "Geben Sie unten Ihre E-Mail-Adresse ein" in reset
    logout = _german_client(make_member(german).user).get("/accounts/logout/").content.decode()
    assert "Möchten Sie sich wirklich abmelden?" in logout


def test_allauth_mails_and_messages_say_sie(german, make_member) -> None:
    user = UserFactory(email="person@example.org")
    client = _german_client()
    client.post("/accounts/password/reset/", {"email": "person@example.org"})
    client.post(
        "/accounts/signup/",
        {"email": "new@example.org", "password1": "a-Long-passw0rd!", "password2": "a-Long-passw0rd!"},
    )
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert informal(message.subject + "\n" + message.body) == [], message.body
    assert "Sie erhalten diese E-Mail" in mail.outbox[0].body

    signed_in = _german_client(user)
    after = signed_in.post("/accounts/logout/", follow=True).content.decode()
    assert "Sie haben sich abgemeldet." in after
