from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from members import selectors, services
from members.forms import MembershipApplicationForm
from members.models import Invitation
from smartprod.core.errors import ApplicationError


def _cooperative_or_404(request: HttpRequest):  # type: ignore[no-untyped-def]
    cooperative = request.cooperative  # type: ignore[attr-defined]
    if cooperative is None:
        raise Http404(_("No cooperative answers on this address."))
    return cooperative


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    if membership is None:
        cooperative = request.cooperative  # type: ignore[attr-defined]
        pending = (
            selectors.membership_for_user(cooperative=cooperative, user=request.user)  # type: ignore[arg-type]
            if cooperative is not None
            else None
        )
        return render(request, "members/no_membership.html", {"pending": pending})
    from members.dashboard import dashboard_context

    return render(request, "members/home.html", dashboard_context(request, membership))


@login_required
@require_http_methods(["GET", "POST"])
def membership_apply(request: HttpRequest) -> HttpResponse:
    cooperative = _cooperative_or_404(request)
    form = MembershipApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_apply(cooperative=cooperative, user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
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
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    cooperative = _cooperative_or_404(request)
    try:
        invitation = selectors.invitation_by_token(cooperative=cooperative, token=token)
    except Invitation.DoesNotExist as exc:
        raise Http404 from exc
    if request.method == "POST":
        try:
            services.invitation_accept(cooperative=cooperative, user=request.user, invitation=invitation)  # type: ignore[arg-type]
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Welcome to %(name)s!") % {"name": cooperative.name})
            return redirect("home")
    return render(request, "members/invitation.html", {"invitation": invitation})
