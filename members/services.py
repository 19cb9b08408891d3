"""Writes for cooperatives, people and memberships; each checks the cooperative and leaves an audit row."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Invitation, User
from smartprod.core import capabilities
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.tenancy.models import Cooperative, Membership

INVITATION_DAYS = 14


def _require(
    *, cooperative: Cooperative, actor: Membership, capability: Callable[[Membership | None], bool]
) -> None:
    """The acting membership belongs to the cooperative and its role may do this (else 404 / 403)."""
    _same_cooperative(cooperative, actor)
    if actor.status != Membership.Status.ACTIVE or not capability(actor):
        raise NotAllowed(_("Your role in this cooperative may not do this."))


def _same_cooperative(cooperative: Cooperative, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.cooperative_id != cooperative.pk:
            # Never reveal that the object exists elsewhere.
            raise type(obj).DoesNotExist()


def user_create(
    *, email: str, password: str | None, first_name: str = "", last_name: str = "", verified: bool = False
) -> User:
    from allauth.account.models import EmailAddress

    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(_("A person with this e-mail address already exists."), conflict=True)
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, first_name=first_name, last_name=last_name
        )
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


def _next_member_number(cooperative: Cooperative) -> int:
    # The cooperative row is the lock: two approvals at once cannot take the same number.
    Cooperative.objects.select_for_update().filter(pk=cooperative.pk).get()
    top = Membership.objects.for_cooperative(cooperative).aggregate(top=Max("member_number"))["top"]
    return int(top or 0) + 1


@transaction.atomic
def membership_apply(
    *,
    cooperative: Cooperative,
    user: User,
    country: str = "AT",
    phone: str = "",
    motivation: str = "",
) -> Membership:
    """A signed-up person applies to join; staff decide. One application per person and cooperative."""
    existing = Membership.objects.for_cooperative(cooperative).filter(user=user).first()
    if existing is not None and existing.status != Membership.Status.REJECTED:
        raise ApplicationError(_("You have already applied to or joined this cooperative."), conflict=True)
    membership = existing or Membership(cooperative=cooperative, user=user)
    membership.role = Membership.Role.MEMBER
    membership.status = Membership.Status.APPLIED
    # Address, IBAN, tax and social insurance numbers are payout details (payroll's PayeeProfile) now.
    membership.country, membership.phone, membership.motivation = country, phone, motivation
    membership.applied_at = timezone.now()
    try:
        membership.full_clean(exclude=["cooperative", "user", "advisor", "decided_by"])
    except ValidationError as exc:
        raise ApplicationError(_("Please correct the application."), details=exc.message_dict) from exc
    membership.save()
    audit_log(cooperative=cooperative, actor=user, event="membership.applied", obj=membership)
    return membership


@transaction.atomic
def membership_approve(
    *, cooperative: Cooperative, actor: Membership, membership: Membership, advisor: Membership | None = None
) -> Membership:
    """Staff accept an application: the person becomes an active member with the next member number."""
    _same_cooperative(cooperative, membership, advisor)
    _require(cooperative=cooperative, actor=actor, capability=capabilities.can_approve_membership)
    membership = Membership.objects.for_cooperative(cooperative).select_for_update().get(pk=membership.pk)
    if membership.status != Membership.Status.APPLIED:
        raise ApplicationError(
            _("Only applications can be approved; this membership is %(status)s.")
            % {"status": membership.get_status_display()},
            conflict=True,
        )
    membership.member_number = _next_member_number(cooperative)
    membership.status = Membership.Status.ACTIVE
    membership.decided_at, membership.decided_by = timezone.now(), actor.user
    if advisor is not None:
        membership.advisor = advisor
    membership.save()
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="membership.approved",
        obj=membership,
        data={"member_number": membership.member_number},
    )
    transaction.on_commit(lambda: _mail_decision(membership, approved=True))
    return membership


@transaction.atomic
def membership_reject(
    *, cooperative: Cooperative, actor: Membership, membership: Membership, reason: str = ""
) -> Membership:
    _same_cooperative(cooperative, membership)
    _require(cooperative=cooperative, actor=actor, capability=capabilities.can_approve_membership)
    membership = Membership.objects.for_cooperative(cooperative).select_for_update().get(pk=membership.pk)
    if membership.status != Membership.Status.APPLIED:
        raise ApplicationError(_("Only applications can be rejected."), conflict=True)
    membership.status = Membership.Status.REJECTED
    membership.decided_at, membership.decided_by = timezone.now(), actor.user
    membership.save()
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="membership.rejected",
        obj=membership,
        data={"reason": reason},
    )
    transaction.on_commit(lambda: _mail_decision(membership, approved=False))
    return membership


def _mail_decision(membership: Membership, *, approved: bool) -> None:
    cooperative = membership.cooperative
    if approved:
        subject = _("Welcome to %(name)s") % {"name": cooperative.name}
        body = _("Your membership was approved. Your member number is %(number)s.") % {
            "number": membership.member_number
        }
    else:
        subject = _("Your application to %(name)s") % {"name": cooperative.name}
        body = _("We are sorry: your application was not accepted. Your advisor will contact you.")
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [membership.user.email])


@transaction.atomic
def invitation_create(
    *, cooperative: Cooperative, actor: Membership, email: str, role: str, base_url: str
) -> Invitation:
    """Invite someone by e-mail. Finance and admin roles can only be given by an admin."""
    _require(cooperative=cooperative, actor=actor, capability=capabilities.can_invite)
    if role not in Membership.Role.values:
        raise ApplicationError(_("Unknown role %(role)s.") % {"role": role})
    if not capabilities.can_invite(actor, role):
        raise NotAllowed(_("Only an administrator can invite staff."))
    email = email.strip().lower()
    if (
        Membership.objects.for_cooperative(cooperative)
        .filter(user__email__iexact=email, status=Membership.Status.ACTIVE)
        .exists()
    ):
        raise ApplicationError(_("%(email)s is already a member.") % {"email": email}, conflict=True)
    invitation = Invitation.objects.create(
        cooperative=cooperative,
        email=email,
        role=role,
        token=secrets.token_urlsafe(32),
        invited_by=actor.user,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="invitation.created",
        obj=invitation,
        data={"email": email, "role": role},
    )
    link = base_url.rstrip("/") + reverse("invitation_accept", args=[invitation.token])
    transaction.on_commit(
        lambda: send_mail(
            _("You are invited to %(name)s") % {"name": cooperative.name},
            _("%(who)s invites you to join %(name)s on SmartProduction. Accept here: %(link)s")
            % {"who": actor.user, "name": cooperative.name, "link": link},
            settings.DEFAULT_FROM_EMAIL,
            [email],
        )
    )
    return invitation


@transaction.atomic
def invitation_accept(*, cooperative: Cooperative, user: User, invitation: Invitation) -> Membership:
    _same_cooperative(cooperative, invitation)
    invitation = Invitation.objects.for_cooperative(cooperative).select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ApplicationError(_("This invitation has already been used."), conflict=True)
    if invitation.expires_at < timezone.now():
        raise ApplicationError(_("This invitation has expired; ask for a new one."), conflict=True)
    if invitation.email.lower() != user.email.lower():
        raise ApplicationError(_("This invitation was sent to another e-mail address."))
    membership = Membership.objects.for_cooperative(cooperative).select_for_update().filter(user=user).first()
    if membership is not None and membership.status == Membership.Status.ACTIVE:
        raise ApplicationError(_("You are already a member of this cooperative."), conflict=True)
    membership = membership or Membership(cooperative=cooperative, user=user)
    membership.role = invitation.role
    membership.status = Membership.Status.ACTIVE
    membership.member_number = membership.member_number or _next_member_number(cooperative)
    membership.decided_at, membership.decided_by = timezone.now(), invitation.invited_by
    membership.save()
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_log(
        cooperative=cooperative,
        actor=user,
        event="invitation.accepted",
        obj=membership,
        data={"invitation": invitation.pk, "role": invitation.role},
    )
    return membership
