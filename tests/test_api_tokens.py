"""Issue 11, finding 5: API tokens expire, are stored hashed, listed and revoked by their owner, and die
with a password change or reset and a role change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from smartprod.core.models import ApiToken
from smartprod.core.tokens import api_token_create
from tests.factories import totp_code

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def _obtain(email: str, host: str = "at.localhost", **extra: str) -> str:
    response = APIClient(HTTP_HOST=host).post(
        "/api/auth/token/", {"email": email, "password": PASSWORD, **extra}, format="json"
    )
    assert response.status_code == 200, response.content
    token: str = response.json()["token"]
    return token


def _api(token: str, host: str = "at.localhost") -> APIClient:
    client = APIClient(HTTP_HOST=host)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_token_is_stored_hashed_and_new_per_request(coop, make_member):
    member = make_member(coop)
    first, second = _obtain(member.user.email), _obtain(member.user.email)
    assert first != second
    assert not ApiToken.objects.filter(key_hash=first).exists()
    assert not ApiToken.objects.filter(prefix=first).exists()  # only 8 characters are kept
    assert _api(first).get("/api/me/").status_code == 200


def test_token_expires_after_the_lifetime(coop, make_member, settings):
    settings.API_TOKEN_LIFETIME_DAYS = 30
    member = make_member(coop)
    token = _obtain(member.user.email)
    row = ApiToken.objects.get(user=member.user)
    assert timedelta(days=29, hours=23) < row.expires_at - timezone.now() <= timedelta(days=30)
    assert _api(token).get("/api/me/").status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _api(token).get("/api/me/")
    assert response.status_code in (401, 403)
    assert "expired" in response.json()["detail"]


def test_unknown_token_refused(coop, make_member):
    assert _api("0" * 40).get("/api/me/").status_code in (401, 403)


def test_list_and_revoke_own_tokens(coop, make_member):
    member = make_member(coop)
    other = make_member(coop)
    token = _obtain(member.user.email)
    _obtain(member.user.email)
    foreign = api_token_create(user=other.user)
    listed = _api(token).get("/api/auth/tokens/").json()
    assert len(listed) == 2
    assert {"id", "prefix", "created_at", "expires_at"} == set(listed[0])
    assert token[:8] in {row["prefix"] for row in listed}
    assert all(token not in str(row) for row in listed)
    # Another person's token: 404, untouched.
    foreign_id = ApiToken.objects.get(user=other.user).pk
    assert _api(token).delete(f"/api/auth/tokens/{foreign_id}/").status_code == 404
    assert _api(foreign).get("/api/me/").status_code == 200
    own = ApiToken.objects.get(user=member.user, prefix=token[:8]).pk
    assert _api(token).delete(f"/api/auth/tokens/{own}/").status_code == 204
    assert _api(token).get("/api/me/").status_code in (401, 403)


def test_tokens_page_lists_and_revokes(coop, make_member, client_for):
    member = make_member(coop)
    other = make_member(coop)
    token = api_token_create(user=member.user)
    api_token_create(user=other.user)
    client = client_for(member)
    page = client.get("/account/tokens/").content.decode()
    assert token[:8] in page
    assert token not in page
    foreign_id = ApiToken.objects.get(user=other.user).pk
    assert client.post("/account/tokens/", {"token_id": foreign_id}).status_code == 404
    own = ApiToken.objects.get(user=member.user).pk
    assert client.post("/account/tokens/", {"token_id": own}).status_code == 302
    assert not ApiToken.objects.filter(user=member.user).exists()
    assert ApiToken.objects.filter(user=other.user).exists()


def test_password_change_revokes_all_tokens(coop, make_member, client_for):
    member = make_member(coop)
    token = _obtain(member.user.email)
    client = client_for(member)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a new long passphrase 42",
            "password2": "a new long passphrase 42",
        },
    )
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=member.user).exists()
    assert _api(token).get("/api/me/").status_code in (401, 403)


def test_password_set_by_any_path_refuses_the_token(coop, make_member):
    member = make_member(coop)
    token = _obtain(member.user.email)
    member.user.set_password("changed in the backend 99")
    member.user.save()
    response = _api(token).get("/api/me/")
    assert response.status_code in (401, 403)
    assert "revoked" in response.json()["detail"]
    assert not ApiToken.objects.filter(user=member.user).exists()


def test_password_reset_revokes_tokens(coop, make_member):
    from allauth.account.signals import password_reset

    member = make_member(coop)
    api_token_create(user=member.user)
    password_reset.send(sender=type(member.user), request=None, user=member.user)
    assert not ApiToken.objects.filter(user=member.user).exists()


def test_role_change_revokes_tokens(coop, make_member):
    member = make_member(coop)
    token = _obtain(member.user.email)
    member.role = "advisor"
    member.save()
    response = _api(token).get("/api/me/")
    assert response.status_code in (401, 403)
    assert "revoked" in response.json()["detail"]


def test_staff_token_with_totp_works(coop, make_member):
    finance = make_member(coop, role="finance")
    token = _obtain(finance.user.email, otp=totp_code())
    assert _api(token).get("/api/me/").json()["role"] == "finance"


def test_tokens_page_requires_login(coop):
    assert Client(HTTP_HOST="at.localhost").get("/account/tokens/").status_code == 302


def test_one_statement_reads_the_memberships_of_every_cooperative(coop, other_coop, make_member):
    """The token, its person and the memberships are one statement (smartprod.core.tokens): the host picks
    its cooperative's membership from them, and a role change in another cooperative still revokes."""
    from smartprod.core.tokens import api_token_check
    from tests.factories import MembershipFactory

    member = make_member(coop)
    elsewhere = MembershipFactory(cooperative=other_coop, user=member.user, role="member")
    token = _obtain(member.user.email)
    checked, reason = api_token_check(token)
    assert reason == "" and checked is not None
    assert [m.pk for m in checked.memberships] == sorted([member.pk, elsewhere.pk])
    assert all(m.user is checked.user for m in checked.memberships)
    assert _api(token).get("/api/me/").json()["membership_id"] == member.pk
    assert _api(token, host="de.localhost").get("/api/me/").json()["membership_id"] == elsewhere.pk
    elsewhere.status = "ended"
    elsewhere.save()
    response = _api(token).get("/api/me/")
    assert response.status_code in (401, 403) and "revoked" in response.json()["detail"]


def test_a_person_without_memberships_keeps_a_valid_token(coop, make_member):
    """The memberships are LEFT JOINed: a person with none still has a valid token (not "unknown")."""
    from smartprod.core.tokens import api_token_check
    from tests.factories import UserFactory

    user = UserFactory()
    key = api_token_create(user=user)
    checked, reason = api_token_check(key)
    assert (reason, checked.memberships if checked else None) == ("", [])
    assert checked is not None and checked.user.pk == user.pk
    assert api_token_check("0" * 40) == (None, "unknown")
