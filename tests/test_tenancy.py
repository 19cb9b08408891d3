"""The tenancy kernel: host resolution, fail-closed queries, 404 (never 403) across cooperatives."""

from __future__ import annotations

import pytest
from django.test import Client

from smartprod.core.audit import audit_log
from smartprod.core.errors import TenantScopeError
from smartprod.core.models import AuditEvent
from smartprod.tenancy.models import Membership

pytestmark = pytest.mark.django_db


def test_query_without_cooperative_raises(coop, make_member):
    make_member(coop)
    with pytest.raises(TenantScopeError):
        list(Membership.objects.all())
    with pytest.raises(TenantScopeError):
        Membership.objects.filter(role="member").count()
    with pytest.raises(TenantScopeError):
        Membership.objects.filter(role="member").exists()
    with pytest.raises(TenantScopeError):
        Membership.objects.get(pk=1)
    with pytest.raises(TenantScopeError):
        Membership.objects.filter(role="member").update(role="admin")
    with pytest.raises(TenantScopeError):
        Membership.objects.all().delete()


def test_or_with_cooperative_does_not_count_as_scoped(coop, make_member):
    from django.db.models import Q

    make_member(coop)
    with pytest.raises(TenantScopeError):
        list(Membership.objects.filter(Q(cooperative=coop) | Q(role="member")))


def test_scoped_query_returns_only_own_rows(coop, other_coop, make_member):
    mine = make_member(coop)
    make_member(other_coop)
    assert list(Membership.objects.for_cooperative(coop)) == [mine]
    assert Membership.objects.for_cooperative(coop).count() == 1
    assert Membership.objects.all_cooperatives().count() == 2


def test_reverse_relation_of_scoped_object_is_allowed(coop, make_member):
    membership = make_member(coop)
    audit_log(cooperative=coop, actor=membership.user, event="x", obj=membership)
    assert AuditEvent.objects.for_cooperative(coop).get().object_id == str(membership.pk)


def test_tenant_resolved_from_host(coop, other_coop, make_member):
    membership = make_member(coop)
    make_member(other_coop, user=membership.user)
    client = Client(HTTP_HOST="de.localhost")
    client.force_login(membership.user)
    assert client.get("/api/me/").json()["cooperative"]["slug"] == "de"
    client = Client(HTTP_HOST="at.localhost")
    client.force_login(membership.user)
    assert client.get("/api/me/").json()["cooperative"]["slug"] == "at"


def test_unknown_host_falls_back_to_only_membership(coop, make_member, settings):
    settings.ALLOWED_HOSTS = ["*"]
    membership = make_member(coop)
    client = Client(HTTP_HOST="elsewhere.example")
    client.force_login(membership.user)
    body = client.get("/api/me/").json()
    assert body["cooperative"]["slug"] == "at"
    assert body["role"] == "member"


def test_unknown_host_with_two_memberships_resolves_nothing(coop, other_coop, make_member, settings):
    settings.ALLOWED_HOSTS = ["*"]
    membership = make_member(coop)
    make_member(other_coop, user=membership.user)
    client = Client(HTTP_HOST="elsewhere.example")
    client.force_login(membership.user)
    assert client.get("/api/me/").json()["cooperative"] is None


def test_member_of_other_cooperative_is_not_a_member_here(coop, other_coop, make_member, client_for):
    outsider = make_member(other_coop)
    client = client_for(outsider, host="at.localhost")
    body = client.get("/api/me/").json()
    assert body["cooperative"]["slug"] == "at"
    assert body["role"] is None


def test_admin_membership_page_of_other_cooperative_is_404(coop, other_coop, make_member, client_for):
    advisor = make_member(coop, role="advisor")
    foreign = make_member(other_coop)
    client = client_for(advisor)
    response = client.get(f"/admin/tenancy/membership/{foreign.pk}/change/")
    assert response.status_code == 404
    assert str(foreign.user) not in response.content.decode()
    listing = client.get("/admin/tenancy/membership/").content.decode()
    assert str(advisor.user) in listing
    assert str(foreign.user) not in listing


def test_admin_foreign_key_choices_limited_to_cooperative(coop, other_coop, make_member, client_for):
    import re

    admin = make_member(coop, role="admin")
    member = make_member(coop)
    foreign_advisor = make_member(other_coop, role="advisor")
    client = client_for(admin)
    page = client.get(f"/admin/tenancy/membership/{member.pk}/change/").content.decode()
    select = re.search(r'<select name="advisor".*?</select>', page, re.S)
    assert select is not None
    choices = set(re.findall(r'<option value="(\d+)"', select.group(0)))
    assert str(admin.pk) in choices
    assert str(foreign_advisor.pk) not in choices


def test_audit_events_of_other_cooperative_invisible_in_admin(coop, other_coop, make_member, client_for):
    admin = make_member(coop, role="admin")
    foreign = make_member(other_coop)
    audit_log(cooperative=other_coop, actor=foreign.user, event="secret.event", obj=foreign)
    audit_log(cooperative=coop, actor=admin.user, event="own.event", obj=admin)
    page = client_for(admin).get("/admin/core/auditevent/").content.decode()
    assert "own.event" in page
    assert "secret.event" not in page


def test_superuser_sees_every_cooperative_in_the_admin(coop, other_coop, make_member):
    from tests.factories import UserFactory, enable_totp

    mine, foreign = make_member(coop), make_member(other_coop)
    root = UserFactory(is_superuser=True, is_staff=True)
    enable_totp(root)
    client = Client(HTTP_HOST="at.localhost")
    client.force_login(root)
    listing = client.get("/admin/tenancy/membership/").content.decode()
    assert str(mine.user) in listing
    assert str(foreign.user) in listing
    assert client.get(f"/admin/tenancy/membership/{foreign.pk}/change/").status_code == 200


def test_superuser_without_two_factor_is_sent_to_set_it_up(coop):
    from tests.factories import UserFactory

    root = UserFactory(is_superuser=True, is_staff=True)
    client = Client(HTTP_HOST="at.localhost")
    client.force_login(root)
    assert client.get("/admin/").headers["Location"].endswith("/accounts/2fa/totp/activate/")


def test_superuser_without_membership_approves_in_the_admin_as_an_administrator(
    coop, other_coop, make_member
):
    from tests.factories import UserFactory, enable_totp

    applicant = make_member(other_coop, status="applied", member_number=None)
    root = UserFactory(is_superuser=True, is_staff=True)
    enable_totp(root)
    client = Client(HTTP_HOST="at.localhost")
    client.force_login(root)
    response = client.post(
        "/admin/tenancy/membership/", {"action": "approve", "_selected_action": [applicant.pk]}
    )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert (applicant.status, applicant.decided_by) == ("active", root)
    # Built at the edge, never saved: the superuser did not become a member.
    assert not Membership.objects.all_cooperatives().filter(user=root).exists()
    event = AuditEvent.objects.for_cooperative(other_coop).get(event="membership.approved")
    assert event.actor == root


def test_request_context_is_typed_and_absent_context_answers_404(coop, make_member, rf):
    from django.http import Http404

    from smartprod.tenancy.context import (
        RequestContext,
        current_cooperative,
        current_membership,
        request_context,
        set_request_context,
    )
    from smartprod.tenancy.middleware import tenant_context

    request = rf.get("/")
    assert request_context(request) == RequestContext(cooperative=None, membership=None)
    with pytest.raises(Http404):
        current_cooperative(request)
    with pytest.raises(Http404):
        current_membership(request)
    advisor = make_member(coop, role="advisor")
    set_request_context(request, cooperative=coop, membership=advisor)
    assert (current_cooperative(request), current_membership(request)) == (coop, advisor)
    assert not hasattr(request, "cooperative") and not hasattr(request, "membership")
    assert tenant_context(request) == {"cooperative": coop, "membership": advisor, "is_staff_role": True}


def test_middleware_sets_the_request_context(coop, make_member, client_for):
    membership = make_member(coop)
    response = client_for(membership).get("/")
    from smartprod.tenancy.context import request_context

    context = request_context(response.wsgi_request)
    assert (context.cooperative, context.membership) == (coop, membership)
    assert response.context["cooperative"] == coop


def test_host_cache_reads_the_cooperative_once_and_forgets_it_on_save(
    coop, other_coop, make_member, settings, django_assert_num_queries
):
    """Production keeps a host's cooperative per process (settings.TENANT_HOST_CACHE_SECONDS): a token
    request then reads no cooperative; saving or deleting any cooperative forgets every host at once."""
    from rest_framework.test import APIClient

    from smartprod.core.tokens import api_token_create
    from smartprod.tenancy import middleware

    settings.TENANT_HOST_CACHE_SECONDS = 60
    middleware.forget_hosts()
    membership = make_member(coop)
    api = APIClient(
        HTTP_HOST="at.localhost", HTTP_AUTHORIZATION=f"Token {api_token_create(user=membership.user)}"
    )
    with django_assert_num_queries(2):  # the host's cooperative; the token, its person, the memberships
        assert api.get("/api/me/").json()["cooperative"]["slug"] == "at"
    with django_assert_num_queries(1):  # the cooperative from the cache
        first = api.get("/api/me/")
    assert first.json()["cooperative"]["slug"] == "at"
    # Each request has its own instance: a change to one request's cooperative reaches no other.
    from smartprod.tenancy.context import request_context

    second = api.get("/api/me/")
    assert request_context(first.wsgi_request).cooperative == request_context(second.wsgi_request).cooperative
    assert (
        request_context(first.wsgi_request).cooperative
        is not request_context(second.wsgi_request).cooperative
    )
    request_context(first.wsgi_request).cooperative.hosts.append("changed.example")  # a list: copied
    assert request_context(api.get("/api/me/").wsgi_request).cooperative.hosts == ["at.localhost"]
    coop.name = "Renamed"
    coop.save()
    with django_assert_num_queries(2):  # forgotten on save: read again
        assert api.get("/api/me/").json()["cooperative"]["name"] == "Renamed"
    # Another cooperative taking the host (the first one deactivated) is found after the save.
    coop.is_active = False
    coop.hosts = []
    coop.save()
    other_coop.hosts = ["at.localhost"]
    other_coop.save()
    moved = request_context(api.get("/api/me/").wsgi_request)
    assert (moved.cooperative, moved.membership) == (other_coop, None)  # no membership in that one
    middleware.forget_hosts()
