"""Request hygiene before any view runs."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

from smartprod.core.validators import unsafe_character

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectNulMiddleware:
    """A NUL character in the query string answers 400; so does a form field with a character no document
    may carry (control characters XML cannot hold, bidi overrides: `validators.validate_document_text`) —
    every form, the backend's included, feeds invoices, letters and XML files. JSON bodies are checked by
    the kernel JSON parser with the same validator; passwords are left alone.

    PostgreSQL text cannot hold NUL, so `?status=%00` reached the database driver as a ValueError and
    answered 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return HttpResponseBadRequest(
                    _("The address contains a NUL character."), content_type="text/plain"
                )
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            for key, values in request.POST.lists():
                if "password" in key:
                    continue
                for value in values:
                    character = unsafe_character(key) or unsafe_character(value)
                    if character is not None:
                        return HttpResponseBadRequest(
                            _(
                                "The field “%(field)s” contains the invisible control character "
                                "%(character)s; remove it and send the form again."
                            )
                            % {"field": key[:100], "character": character},
                            content_type="text/plain; charset=utf-8",
                        )
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Sends `settings.CONTENT_SECURITY_POLICY` with every response that has none yet.

    Scripts only from our own origin — no inline scripts or event-handler attributes anywhere (pages,
    backend, API docs: served split, its set-up script from its own URL) — so injected markup cannot run.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy:
            response.headers.setdefault("Content-Security-Policy", policy)
        return response
