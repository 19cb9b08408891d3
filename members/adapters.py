from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from smartprod.tenancy.context import request_context


def login_attempts_key(email: str) -> str:
    """The key of the failed-login counter: the normalised e-mail address alone.

    allauth keys it on the site's domain too, which here is the request's host, so five wrong passwords
    on one cooperative's host did not lock the address on the next host name. The login form, the
    backend's login (which is the same form) and the API token endpoint all count on this key.
    """
    return f"login:{email.strip().lower()}"


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # A new person on a cooperative's host goes straight on to the membership application.
        return "/join/" if request_context(request).cooperative is not None else "/"

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        return login_attempts_key(str(credentials.get("email", credentials.get("username", ""))))

    def is_safe_url(self, url: str) -> bool:
        """Only a path on the request's own host: allauth also allows every host in ALLOWED_HOSTS, and
        `?next=https://de.example/…` on Austria's login page would lead to another cooperative's host."""
        request = self.request
        return bool(
            url
            and url_has_allowed_host_and_scheme(
                url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
        )
