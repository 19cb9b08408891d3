from __future__ import annotations

from django.db.models import QuerySet

from members.models import Invitation, User
from smartprod.tenancy.models import Cooperative, Membership


def cooperative_for_host(*, host: str) -> Cooperative | None:
    return Cooperative.objects.filter(hosts__contains=[host.lower()], is_active=True).first()


def membership_for_user(*, cooperative: Cooperative, user: User) -> Membership | None:
    return Membership.objects.for_cooperative(cooperative).filter(user=user).first()


def membership_list(*, cooperative: Cooperative, status: str | None = None) -> QuerySet[Membership]:
    qs = Membership.objects.for_cooperative(cooperative).select_related("user", "advisor__user")
    return qs.filter(status=status) if status else qs


def membership_get(*, cooperative: Cooperative, membership_id: int) -> Membership:
    """Raises Membership.DoesNotExist (-> 404) for another cooperative's membership."""
    return Membership.objects.for_cooperative(cooperative).select_related("user").get(pk=membership_id)


def invitation_by_token(*, cooperative: Cooperative, token: str) -> Invitation:
    return Invitation.objects.for_cooperative(cooperative).get(token=token)
