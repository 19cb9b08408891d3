"""What the invoicing admin screens share: the acting membership, role checks, the action form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from smartprod.core import capabilities
from smartprod.core.admin_site import staff_role
from smartprod.core.errors import ApplicationError
from smartprod.tenancy.context import request_context
from smartprod.tenancy.models import Membership

ISSUER_ROLES = capabilities.APPROVER_ROLES


FINANCE_ROLES = capabilities.FINANCE_ROLES


def _actor(request: HttpRequest) -> Membership:
    membership: Membership | None = request_context(request).membership
    if membership is None:
        raise ApplicationError(str(_("Act from a cooperative you are a member of.")))
    return membership


def _role_in(request: HttpRequest, roles: tuple[str, ...]) -> bool:
    return staff_role(request) in roles


def _report(admin_view: admin.ModelAdmin[Any], request: HttpRequest, done: int, message: Any) -> None:
    if done:
        admin_view.message_user(request, message % {"count": done}, messages.SUCCESS)


def _run_each(model_admin: Any, request: HttpRequest, objects: Any, call: Any, done_message: Any) -> None:
    """Run a service for each object; report each refusal, then how many went through."""
    done = 0
    for obj in objects:
        try:
            call(obj)
            done += 1
        except ApplicationError as exc:
            model_admin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    _report(model_admin, request, done, done_message)


class ActionForm(forms.Form):
    """The forms of the actions that need more than a click; `apply` tells the second POST from the first."""

    apply = forms.CharField(widget=forms.HiddenInput, initial="1")
