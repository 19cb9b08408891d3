"""Login, two-factor enforcement for money roles, rate limits, API tokens."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.test import Client
from rest_framework.test import APIClient

from smartprod.core.tokens import api_token_create
from tests.factories import totp_code

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def test_login_with_email_and_password_reaches_home(coop, make_member):
    membership = make_member(coop)
    client = Client(HTTP_HOST="at.localhost")
    response = client.post("/accounts/login/", {"login": membership.user.email, "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert membership.user.first_name in home.content.decode()


def test_wrong_password_is_refused(coop, make_member):
    membership = make_member(coop)
    client = Client(HTTP_HOST="at.localhost")
    response = client.post("/accounts/login/", {"login": membership.user.email, "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_attempts_are_rate_limited(coop, make_member):
    membership = make_member(coop)
    client = Client(HTTP_HOST="at.localhost")
    for _ in range(5):
        client.post("/accounts/login/", {"login": membership.user.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"login": membership.user.email, "password": PASSWORD})
    # Even the right password is refused while the address is locked out.
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_finance_without_two_factor_is_sent_to_totp_setup(coop, make_member, client_for):
    finance = make_member(coop, role="finance", totp=False)
    response = client_for(finance).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].endswith("/accounts/2fa/totp/activate/")


def test_finance_with_two_factor_reaches_backend(coop, make_member, client_for):
    finance = make_member(coop, role="finance", totp=True)
    assert client_for(finance).get("/admin/").status_code == 200


def test_advisor_with_two_factor_reaches_backend(coop, make_member, client_for):
    advisor = make_member(coop, role="advisor")
    assert client_for(advisor).get("/admin/").status_code == 200


@pytest.mark.parametrize("role", ["advisor", "finance", "admin"])
@pytest.mark.parametrize("path", ["/", "/clients/", "/admin/", "/payout-details/"])
def test_staff_without_two_factor_see_no_page(coop, make_member, client_for, role, path):
    """Issue 11, finding 4: no staff visibility at all — reads included — until TOTP is on."""
    staff = make_member(coop, role=role, totp=False)
    response = client_for(staff).get(path)
    assert response.status_code == 302
    assert response["Location"].endswith("/accounts/2fa/totp/activate/")


@pytest.mark.parametrize("path", ["/api/me/", "/api/invoices/", "/api/projects/", "/api/clients/"])
def test_staff_without_two_factor_get_no_api_answer_in_a_session(coop, make_member, client_for, path):
    advisor = make_member(coop, role="advisor", totp=False)
    response = client_for(advisor).get(path)
    assert response.status_code == 403
    assert response.json()["two_factor_required"] is True


def test_staff_without_two_factor_reach_the_setup_and_log_out(coop, make_member, client_for):
    finance = make_member(coop, role="finance", totp=False)
    client = client_for(finance)
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200 or "/accounts/reauthenticate/" in setup["Location"]
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_token_of_staff_without_two_factor_answers_nothing(coop, make_member):
    """A token issued before the role needed two-factor (or before TOTP was removed) reads nothing."""
    finance = make_member(coop, role="finance", totp=False)
    token = api_token_create(user=finance.user)
    api = APIClient(HTTP_HOST="at.localhost")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    for path in ("/api/me/", "/api/invoices/", "/api/projects/"):
        response = api.get(path)
        assert response.status_code in (401, 403), path
        assert "two-factor" in response.json()["detail"]


@pytest.mark.parametrize("role", ["advisor", "finance", "admin"])
def test_token_endpoint_refuses_staff_without_two_factor(coop, make_member, role):
    staff = make_member(coop, role=role, totp=False)
    response = APIClient(HTTP_HOST="at.localhost").post(
        "/api/auth/token/", {"email": staff.user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["two_factor_required"] is True
    assert "two-factor" in response.json()["detail"]


def test_member_cannot_reach_backend(coop, make_member, client_for):
    member = make_member(coop)
    response = client_for(member).get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "no access to the backend" in response.content.decode()


def test_anonymous_admin_goes_to_allauth_login(coop):
    response = Client(HTTP_HOST="at.localhost").get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")


def test_totp_user_login_asks_for_code(coop, make_member):
    finance = make_member(coop, role="finance", totp=True)
    client = Client(HTTP_HOST="at.localhost")
    response = client.post("/accounts/login/", {"login": finance.user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "2fa/authenticate" in response["Location"]
    assert "_auth_user_id" not in client.session
    client.post(response["Location"], {"code": totp_code()})
    assert client.session["_auth_user_id"] == str(finance.user.pk)


def test_api_token_with_password(coop, make_member):
    member = make_member(coop)
    client = APIClient(HTTP_HOST="at.localhost")
    response = client.post(
        "/api/auth/token/", {"email": member.user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    me = APIClient(HTTP_HOST="at.localhost")
    me.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = me.get("/api/me/").json()
    assert body == {
        "email": member.user.email,
        "cooperative": {"id": coop.pk, "slug": "at", "name": "Smart Austria", "currency": "EUR"},
        "role": "member",
        "member_number": member.member_number,
        "membership_id": member.pk,
    }


def test_api_token_requires_otp_for_two_factor_users(coop, make_member):
    finance = make_member(coop, role="finance", totp=True)
    client = APIClient(HTTP_HOST="at.localhost")
    without = client.post(
        "/api/auth/token/", {"email": finance.user.email, "password": PASSWORD}, format="json"
    )
    assert without.status_code == 400
    assert without.json()["otp_required"] is True
    wrong = client.post(
        "/api/auth/token/",
        {"email": finance.user.email, "password": PASSWORD, "otp": "000000"},
        format="json",
    )
    assert wrong.status_code == 400
    right = client.post(
        "/api/auth/token/",
        {"email": finance.user.email, "password": PASSWORD, "otp": totp_code()},
        format="json",
    )
    assert right.status_code == 200
    assert right.json()["token"]


def test_api_token_wrong_password_rate_limited(coop, make_member):
    member = make_member(coop)
    client = APIClient(HTTP_HOST="at.localhost")
    codes = [
        client.post(
            "/api/auth/token/", {"email": member.user.email, "password": "bad"}, format="json"
        ).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [400] * 5
    assert codes[5] == 429
    assert (
        client.post(
            "/api/auth/token/", {"email": member.user.email, "password": PASSWORD}, format="json"
        ).status_code
        == 429
    )


def test_api_requires_authentication(coop):
    assert APIClient(HTTP_HOST="at.localhost").get("/api/me/").status_code in (401, 403)


def test_api_schema_and_docs_served_offline(coop):
    client = Client(HTTP_HOST="at.localhost")
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/auth/token/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()


def _form_login(host: str, email: str, password: str) -> Client:
    client = Client(HTTP_HOST=host)
    client.post("/accounts/login/", {"login": email, "password": password})
    return client


def _token(host: str, email: str, password: str):
    return APIClient(HTTP_HOST=host).post(
        "/api/auth/token/", {"email": email, "password": password}, format="json"
    )


def test_failed_logins_lock_the_address_on_every_host_and_the_token_endpoint(coop, other_coop, make_member):
    """Issue 11, finding 3: the counter is keyed on the normalised e-mail alone, not on host + e-mail."""
    email = make_member(coop).user.email
    for _ in range(5):
        _form_login("at.localhost", f"  {email.upper()} ", "wrong")

    assert "_auth_user_id" not in _form_login("de.localhost", email, PASSWORD).session
    assert "_auth_user_id" not in _form_login("at.localhost", email, PASSWORD).session
    locked = _token("de.localhost", email, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.json()["detail"]

    real_time = time.time()
    with mock.patch("time.time", return_value=real_time + 301):  # the lock period (5/300s) is over
        assert "_auth_user_id" in _form_login("de.localhost", email, PASSWORD).session
        assert _token("at.localhost", email, PASSWORD).status_code == 200


def test_failed_token_requests_lock_the_login_form_on_every_host(coop, other_coop, make_member):
    email = make_member(coop).user.email
    assert [_token("de.localhost", email, "wrong").status_code for _ in range(5)] == [400] * 5

    assert _token("at.localhost", email.upper(), PASSWORD).status_code == 429
    assert "_auth_user_id" not in _form_login("at.localhost", email, PASSWORD).session
    assert "_auth_user_id" not in _form_login("de.localhost", email, PASSWORD).session

    real_time = time.time()
    with mock.patch("time.time", return_value=real_time + 301):
        assert "_auth_user_id" in _form_login("at.localhost", email, PASSWORD).session
