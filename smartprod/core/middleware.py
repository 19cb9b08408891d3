"""Request hygiene before any view runs."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _


class RejectNulMiddleware:
    """A NUL character in the query string answers 400.

    PostgreSQL text cannot hold NUL, so `?status=%00` reached the database driver as a ValueError and
    answered 500. Form fields and JSON bodies are checked by Django's and DRF's own validators.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return HttpResponseBadRequest(
                    _("The address contains a NUL character."), content_type="text/plain"
                )
        return self.get_response(request)
