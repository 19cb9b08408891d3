"""Joining a cooperative: signup, application, approval by staff, invitations."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from members import services
from members.models import User
from smartprod.core.errors import ApplicationError
from smartprod.core.models import AuditEvent
from smartprod.tenancy.models import Membership

pytestmark = pytest.mark.django_db

APPLICATION = {
    "country": "at",
    "phone": "+43 660 1234567",
    "motivation": "Photographer",
}


def test_signup_then_apply_creates_pending_membership(coop):
    client = Client(HTTP_HOST="at.localhost")
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.org", "password1": "a-Long-passw0rd!", "password2": "a-Long-passw0rd!"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    client.force_login(user)
    response = client.post("/join/", APPLICATION)
    assert response.status_code == 302
    membership = Membership.objects.for_cooperative(coop).get(user=user)
    assert membership.status == "applied"
    assert membership.member_number is None
    assert membership.country == "AT" and membership.motivation == "Photographer"
    # Payout details (address, IBAN, tax and SV numbers) are not asked here: the payee profile holds them.
    assert not hasattr(membership, "iban") and not hasattr(membership, "street")
    assert "reviewed" in client.get("/").content.decode()


def test_application_with_bad_country_shows_error_and_stores_nothing(coop, make_member):
    user = make_member(coop).user
    Membership.objects.for_cooperative(coop).filter(user=user).delete()
    client = Client(HTTP_HOST="at.localhost")
    client.force_login(user)
    response = client.post("/join/", {**APPLICATION, "country": "XX"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Photographer" in html  # what was typed is kept
    assert 'name="iban"' not in html and 'name="street"' not in html  # payout details live elsewhere
    assert not Membership.objects.for_cooperative(coop).filter(user=user).exists()


def test_applying_twice_is_refused(coop, make_member):
    user = make_member(coop).user
    with pytest.raises(ApplicationError):
        services.membership_apply(cooperative=coop, user=user)


def test_advisor_approves_with_next_member_number(coop, make_member, django_capture_on_commit_callbacks):
    advisor = make_member(coop, role="advisor", member_number=7)
    applicant = make_member(coop, status="applied", member_number=None)
    with django_capture_on_commit_callbacks(execute=True):
        approved = services.membership_approve(cooperative=coop, actor=advisor, membership=applicant)
    assert approved.status == "active"
    assert approved.member_number == 8
    assert AuditEvent.objects.for_cooperative(coop).filter(event="membership.approved").count() == 1
    assert mail.outbox[-1].to == [applicant.user.email]


def test_member_cannot_approve(coop, make_member):
    member = make_member(coop)
    applicant = make_member(coop, status="applied", member_number=None)
    with pytest.raises(ApplicationError):
        services.membership_approve(cooperative=coop, actor=member, membership=applicant)
    applicant.refresh_from_db()
    assert applicant.status == "applied"


def test_approving_other_cooperatives_application_is_not_found(coop, other_coop, make_member):
    advisor = make_member(coop, role="advisor")
    foreign = make_member(other_coop, status="applied", member_number=None)
    with pytest.raises(Membership.DoesNotExist):
        services.membership_approve(cooperative=coop, actor=advisor, membership=foreign)


def test_approval_through_admin_action(coop, make_member, client_for):
    advisor = make_member(coop, role="advisor")
    applicant = make_member(coop, status="applied", member_number=None)
    client = client_for(advisor)
    response = client.post(
        "/admin/tenancy/membership/", {"action": "approve", "_selected_action": [applicant.pk]}
    )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.status == "active"


def test_invitation_by_email_and_accept(coop, make_member, django_capture_on_commit_callbacks):
    admin = make_member(coop, role="admin")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            cooperative=coop,
            actor=admin,
            email="Guest@Example.org",
            role="advisor",
            base_url="http://at.localhost",
        )
    assert invitation.token in mail.outbox[-1].body
    guest = User.objects.create_user(email="guest@example.org", password="x-Long-passw0rd")
    client = Client(HTTP_HOST="at.localhost")
    client.force_login(guest)
    assert client.post(f"/invitations/{invitation.token}/").status_code == 302
    membership = Membership.objects.for_cooperative(coop).get(user=guest)
    assert (membership.role, membership.status) == ("advisor", "active")
    assert membership.member_number is not None
    with pytest.raises(ApplicationError):
        services.invitation_accept(cooperative=coop, user=guest, invitation=invitation)


def test_advisor_cannot_invite_staff(coop, make_member):
    advisor = make_member(coop, role="advisor")
    with pytest.raises(ApplicationError):
        services.invitation_create(
            cooperative=coop,
            actor=advisor,
            email="x@example.org",
            role="finance",
            base_url="http://at.localhost",
        )


def test_invitation_link_of_other_cooperative_is_404(coop, other_coop, make_member):
    admin = make_member(other_coop, role="admin")
    invitation = services.invitation_create(
        cooperative=other_coop,
        actor=admin,
        email="g@example.org",
        role="member",
        base_url="http://de.localhost",
    )
    user = User.objects.create_user(email="g@example.org", password="x-Long-passw0rd")
    client = Client(HTTP_HOST="at.localhost")
    client.force_login(user)
    assert client.get(f"/invitations/{invitation.token}/").status_code == 404


def test_seed_demo_is_idempotent(db):
    from django.core.management import call_command

    from smartprod.tenancy.models import Cooperative

    call_command("seed_demo", "--password", "pw-demo-123")
    counts = (
        Cooperative.objects.count(),
        User.objects.count(),
        Membership.objects.all_cooperatives().count(),
    )
    call_command("seed_demo", "--password", "pw-demo-123")
    assert (
        Cooperative.objects.count(),
        User.objects.count(),
        Membership.objects.all_cooperatives().count(),
    ) == counts
    assert counts == (2, 10, 10)
    assert User.objects.get(email="finance@smart-de.example").check_password("pw-demo-123")
