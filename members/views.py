from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from members import selectors, services
from members.forms import MembershipApplicationForm
from members.models import Invitation, User
from smartprod.core import capabilities
from smartprod.core.errors import ApplicationError
from smartprod.core.models import ApiToken
from smartprod.core.tokens import api_token_list, api_token_revoke
from smartprod.core.work_queue import ROWS_PER_KIND, work_queue, work_queue_total
from smartprod.tenancy.context import current_cooperative, request_context, require_membership


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind `login_required`: its user is a signed-in person (django-stubs' pattern)."""

    user: User


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The start page: staff (advisor, finance, admin) get their work queue, members their dashboard."""
    if capabilities.is_staff(request_context(request).membership):
        return work_queue_page(request)
    return my_projects(request)


@login_required
def my_projects(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member dashboard, at a stable address also for staff who have projects of their own."""
    membership = request_context(request).membership
    if membership is None:
        cooperative = request_context(request).cooperative
        pending = (
            selectors.membership_for_user(cooperative=cooperative, user=request.user)
            if cooperative is not None
            else None
        )
        return render(request, "members/no_membership.html", {"pending": pending})
    from members.dashboard import dashboard_context

    return render(request, "members/home.html", dashboard_context(request, membership))


@login_required
def work_queue_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What waits for this staff person's action, grouped by kind; members and outsiders get 404."""
    cooperative, membership = require_membership(request)
    if not capabilities.is_staff(membership):
        raise Http404
    groups = work_queue(cooperative=cooperative, membership=membership, limit=ROWS_PER_KIND)
    total = work_queue_total(groups)
    return render(
        request,
        "members/work_queue.html",
        {
            "groups": groups,
            "total": total,
            "work_queue_count": total,  # the navigation's count: already known, not counted again
            "rows_per_kind": ROWS_PER_KIND,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def membership_apply(request: AuthenticatedHttpRequest) -> HttpResponse:
    cooperative = current_cooperative(request)
    form = MembershipApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_apply(cooperative=cooperative, user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            for field, errors in exc.details.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Thank you! Your application is with our advisors."))
            return redirect("home")
    return render(request, "members/apply.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    cooperative = current_cooperative(request)
    try:
        invitation = selectors.invitation_by_token(cooperative=cooperative, token=token)
    except Invitation.DoesNotExist as exc:
        raise Http404 from exc
    if request.method == "POST":
        try:
            services.invitation_accept(cooperative=cooperative, user=request.user, invitation=invitation)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Welcome to %(name)s!") % {"name": cooperative.name})
            return redirect("home")
    return render(request, "members/invitation.html", {"invitation": invitation})


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The account's API tokens (a section of the account settings): list and revoke."""
    if request.method == "POST":
        try:
            api_token_revoke(user=request.user, token_id=int(request.POST.get("token_id", "")))
        except (ValueError, ApiToken.DoesNotExist) as exc:
            raise Http404 from exc
        messages.success(request, _("The token was revoked."))
        return redirect("api_tokens")
    return render(
        request,
        "members/api_tokens.html",
        {"tokens": api_token_list(user=request.user), "lifetime_days": settings.API_TOKEN_LIFETIME_DAYS},
    )
