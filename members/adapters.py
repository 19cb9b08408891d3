from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        # A new person on a cooperative's host goes straight on to the membership application.
        return "/join/" if getattr(request, "cooperative", None) is not None else "/"
