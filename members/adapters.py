from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from smartprod.tenancy.context import request_context


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # A new person on a cooperative's host goes straight on to the membership application.
        return "/join/" if request_context(request).cooperative is not None else "/"
