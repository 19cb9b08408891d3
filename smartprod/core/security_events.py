"""Security notifications to the person themselves: a sign-in from a new device, two-factor changes.

allauth signals the events; the receivers record one notification per event in each cooperative the person
is active in (security kinds: they cannot be turned off). A device is known by a random cookie set at its
first sign-in (a hash of the browser's user agent where no response is at hand).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smartprod.core.models import KnownDevice
from smartprod.core.notifications import NotificationKind, notification_kinds, notify
from smartprod.core.rls import platform_scope, tenant_scope

DEVICE_COOKIE = "sp_device"
DEVICE_COOKIE_AGE = 60 * 60 * 24 * 400  # the longest lifetime browsers keep (RFC 6265bis: 400 days)

NEW_DEVICE = NotificationKind(
    "account.new_device",
    _("New sign-in to your account"),
    _(
        "Your account was signed in from a device not seen before (%(device)s) on %(when)s. If this was not "
        "you, change your password now and tell your cooperative."
    ),
    security=True,
)
MFA_ADDED = NotificationKind(
    "account.mfa_added",
    _("Two-factor authentication added"),
    _(
        "A two-factor method (%(method)s) was added to your account on %(when)s. If this was not you, "
        "change your password now and tell your cooperative."
    ),
    security=True,
)
MFA_REMOVED = NotificationKind(
    "account.mfa_removed",
    _("Two-factor authentication removed"),
    _(
        "A two-factor method (%(method)s) was removed from your account on %(when)s. If this was not you, "
        "change your password now and tell your cooperative."
    ),
    security=True,
)


def _cooperatives(request: HttpRequest | None, user: Any) -> list[Any]:
    """Where to tell the person: the cooperative of the request's host if they are active there, else every
    cooperative they are active in."""
    from smartprod.tenancy.models import Membership

    with platform_scope("security notice: the person's cooperatives", level=logging.DEBUG):
        memberships = list(
            Membership.objects.all_cooperatives()
            .filter(user=user, status=Membership.Status.ACTIVE)
            .select_related("cooperative")
        )
    host = request.get_host().split(":")[0].lower() if request is not None else ""
    here = [m.cooperative for m in memberships if host and host in (m.cooperative.hosts or [])]
    return here or [m.cooperative for m in memberships]


def _when() -> str:
    return timezone.localtime().strftime("%d.%m.%Y %H:%M")


def device_signed_in(*, request: HttpRequest | None, response: Any, user: Any) -> bool:
    """Remember the device; its first sign-in (not the person's very first) notifies them. True if new."""
    token = request.COOKIES.get(DEVICE_COOKIE, "") if request is not None else ""
    user_agent = (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300]
    if not token and request is not None and response is not None:
        token = secrets.token_urlsafe(24)
        response.set_cookie(
            DEVICE_COOKIE,
            token,
            max_age=DEVICE_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    fingerprint = hashlib.sha256((token or f"ua:{user_agent}").encode()).hexdigest()
    with transaction.atomic():
        had_devices = KnownDevice.objects.filter(user=user).exists()
        try:
            with transaction.atomic():
                KnownDevice.objects.create(user=user, fingerprint=fingerprint, user_agent=user_agent)
        except IntegrityError:
            KnownDevice.objects.filter(user=user, fingerprint=fingerprint).update(last_seen_at=timezone.now())
            return False
        if not had_devices:
            return True  # the person's first device (their sign-up): nothing to warn about
        for cooperative in _cooperatives(request, user):
            with tenant_scope(cooperative):
                notify(
                    cooperative=cooperative,
                    kind=NEW_DEVICE.code,
                    event=f"{NEW_DEVICE.code}:{user.pk}:{fingerprint[:32]}",
                    recipients=[user],
                    params={"device": user_agent[:120] or "?", "when": _when()},
                    link="/accounts/2fa/",
                )
    return True


def _mfa_changed(kind: NotificationKind, request: HttpRequest | None, user: Any, authenticator: Any) -> None:
    method = str(authenticator.get_type_display()) if hasattr(authenticator, "get_type_display") else "?"
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    for cooperative in _cooperatives(request, user):
        with tenant_scope(cooperative):
            notify(
                cooperative=cooperative,
                kind=kind.code,
                event=f"{kind.code}:{user.pk}:{authenticator.pk}:{stamp}",
                recipients=[user],
                params={"method": method, "when": _when()},
                link="/accounts/2fa/",
            )


def _on_login(sender: Any, request: HttpRequest, user: Any, response: Any = None, **kwargs: Any) -> None:
    device_signed_in(request=request, response=response, user=user)


def _on_authenticator_added(
    sender: Any, request: Any = None, user: Any = None, authenticator: Any = None, **kwargs: Any
) -> None:
    _mfa_changed(MFA_ADDED, request, user, authenticator)


def _on_authenticator_removed(
    sender: Any, request: Any = None, user: Any = None, authenticator: Any = None, **kwargs: Any
) -> None:
    _mfa_changed(MFA_REMOVED, request, user, authenticator)


def register() -> None:
    from allauth.account.signals import user_logged_in
    from allauth.mfa.signals import authenticator_added, authenticator_removed

    for kind in (NEW_DEVICE, MFA_ADDED, MFA_REMOVED):
        notification_kinds.register(kind)
    user_logged_in.connect(_on_login, dispatch_uid="core.security_events.login")
    authenticator_added.connect(_on_authenticator_added, dispatch_uid="core.security_events.mfa_added")
    authenticator_removed.connect(_on_authenticator_removed, dispatch_uid="core.security_events.mfa_removed")
