"""The bell, the notification list and each person's e-mail choices (pages), and the notifications API.

Thin: every read and write goes through smartprod.core.notifications. A person sees only their own rows in
the request's cooperative; anyone else's id answers 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render as render_page
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from smartprod.core.api import PAGE_PARAMETERS, CooperativeMixin, page_of, paginated
from smartprod.core.errors import ApplicationError
from smartprod.core.models import EmailChoice, Notification
from smartprod.core.notifications import (
    email_choices,
    kind_label,
    notification_get,
    notification_kinds,
    notification_list,
    notification_mark_read,
    notification_preferences_set,
    notification_unread_count,
    render,
)
from smartprod.tenancy.context import request_context, require_membership

PAGE_SIZE = 30


def _text(notification: Notification) -> str:
    """The notification's text in the reader's current language (a kind no longer registered: its code)."""
    try:
        return render(notification, language=_current_language())[1]
    except ApplicationError:
        return notification.kind


def _current_language() -> str:
    from django.utils.translation import get_language

    return get_language() or "en"


def _safe_link(request: HttpRequest, link: str) -> str:
    return link if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}) else ""


def _own(cooperative: Any, membership: Any, notification_id: int) -> Notification:
    try:
        return notification_get(
            cooperative=cooperative, user=membership.user, notification_id=notification_id
        )
    except Notification.DoesNotExist:
        raise Http404(_("No such notification.")) from None


# --- the bell: one count query per page -------------------------------------------------------------------


def notification_bell(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: the person's unread count in the request's cooperative (one query)."""
    context = request_context(request)
    user = getattr(request, "user", None)
    if context.cooperative is None or context.membership is None or user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": notification_unread_count(cooperative=context.cooperative, user=user)}


# --- pages ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def notification_list_page(request: HttpRequest) -> HttpResponse:
    cooperative, membership = require_membership(request)
    page = Paginator(notification_list(cooperative=cooperative, user=membership.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        {"notification": n, "text": _text(n), "has_link": bool(_safe_link(request, n.link))}
        for n in page.object_list
    ]
    return render_page(request, "notifications/list.html", {"page": page, "rows": rows})


@login_required
@require_http_methods(["GET"])
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link; opening it marks it read."""
    cooperative, membership = require_membership(request)
    notification = _own(cooperative, membership, notification_id)
    notification_mark_read(cooperative=cooperative, user=membership.user, ids=[notification.pk])
    return HttpResponseRedirect(_safe_link(request, notification.link) or reverse("notification_list"))


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    cooperative, membership = require_membership(request)
    notification = _own(cooperative, membership, notification_id)
    notification_mark_read(cooperative=cooperative, user=membership.user, ids=[notification.pk])
    return HttpResponseRedirect(reverse("notification_list"))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    cooperative, membership = require_membership(request)
    count = notification_mark_read(cooperative=cooperative, user=membership.user)
    messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
    return HttpResponseRedirect(reverse("notification_list"))


class NotificationSettingsForm(forms.Form):
    """One choice per registered kind; security-relevant kinds are shown but cannot be changed."""

    def __init__(self, *args: Any, choices: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.security_fields: list[str] = []
        for kind in sorted(notification_kinds, key=lambda k: (k.security, k.code)):
            field = forms.ChoiceField(
                label=kind_label(kind),
                choices=EmailChoice.choices,
                initial=choices.get(kind.code, EmailChoice.IMMEDIATELY),
                disabled=kind.security,
                help_text=_("Security notice: always sent by e-mail.") if kind.security else "",
            )
            self.fields[kind.code] = field
            if kind.security:
                self.security_fields.append(kind.code)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings_page(request: HttpRequest) -> HttpResponse:
    cooperative, membership = require_membership(request)
    current = email_choices(cooperative=cooperative, user=membership.user)
    form = NotificationSettingsForm(request.POST or None, choices=current)
    if request.method == "POST" and form.is_valid():
        chosen = {
            code: value for code, value in form.cleaned_data.items() if code not in form.security_fields
        }
        try:
            notification_preferences_set(cooperative=cooperative, user=membership.user, choices=chosen)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return HttpResponseRedirect(reverse("notification_settings"))
    return render_page(request, "notifications/settings.html", {"form": form})


# --- API ------------------------------------------------------------------------------------------


class NotificationOutputSerializer(serializers.Serializer[Notification]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.SerializerMethodField()
    url = serializers.CharField(source="link")
    created = serializers.DateTimeField(source="created_at")
    read = serializers.SerializerMethodField()

    def get_text(self, obj: Notification) -> str:
        return _text(obj)

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class NotificationListApi(APIView, CooperativeMixin):
    @extend_schema(
        operation_id="notifications_list",
        tags=["notifications"],
        parameters=PAGE_PARAMETERS,
        responses=page_of("NotificationPage", NotificationOutputSerializer),
    )
    def get(self, request: Request) -> Response:
        queryset = notification_list(cooperative=self.cooperative, user=self.membership.user)
        return paginated(request, self, queryset, NotificationOutputSerializer)


class NotificationReadApi(APIView, CooperativeMixin):
    @extend_schema(tags=["notifications"], request=None, responses={200: NotificationOutputSerializer})
    def post(self, request: Request, notification_id: int) -> Response:
        user = self.membership.user
        notification = notification_get(
            cooperative=self.cooperative, user=user, notification_id=notification_id
        )
        notification_mark_read(cooperative=self.cooperative, user=user, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadAllApi(APIView, CooperativeMixin):
    @extend_schema(
        tags=["notifications"],
        request=None,
        responses={200: inline_serializer("NotificationsMarkedRead", {"marked": serializers.IntegerField()})},
    )
    def post(self, request: Request) -> Response:
        count = notification_mark_read(cooperative=self.cooperative, user=self.membership.user)
        return Response({"marked": count})
