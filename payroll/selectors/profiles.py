"""Reads of payee profiles: who may see one, and whether a payee can be paid now.

Only the person, finance and admins see a profile; for anyone else it does not exist (404).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from payroll.models import PayeeProfile
from smartprod.core import capabilities
from smartprod.tenancy.models import Cooperative, Membership


def may_see_payee_profile(*, actor: Membership | None, membership: Membership) -> bool:
    """The person themself, finance and admins (never an advisor or another member)."""
    if actor is None or actor.cooperative_id != membership.cooperative_id:
        return False
    return actor.pk == membership.pk or capabilities.can_run_payouts(actor)


def payee_profile_list(*, cooperative: Cooperative, actor: Membership | None) -> QuerySet[PayeeProfile]:
    """The profiles `actor` may see: all of the cooperative's for finance and admins, else only their own."""
    profiles = PayeeProfile.objects.for_cooperative(cooperative).select_related("membership__user")
    if actor is None or actor.cooperative_id != cooperative.pk:
        return profiles.none()
    if capabilities.can_run_payouts(actor):
        return profiles
    return profiles.filter(membership=actor)


def payee_profile_of(*, cooperative: Cooperative, membership: Membership) -> PayeeProfile | None:
    """The membership's profile, or None while the person has not entered any payout details."""
    return PayeeProfile.objects.for_cooperative(cooperative).filter(membership=membership).first()


def address_complete(profile: PayeeProfile) -> bool:
    """What a structured pain.001 creditor address needs here: street, postcode, town and country, and no
    address still waiting to be checked after the automatic split (the building number may be empty:
    some addresses have none)."""
    return bool(
        profile.street.strip()
        and profile.postcode.strip()
        and profile.town.strip()
        and profile.country
        and not profile.address_needs_review
    )


def blocked_reason(profile: PayeeProfile | None) -> str | None:
    """Why no payout may leave for this payee now, or None (see `payee_is_blocked`)."""
    if profile is None:
        return _("No payout details entered yet.")
    if not profile.iban:
        return _("No IBAN entered yet.")
    if profile.iban_blocked:
        return _("The IBAN was changed and waits for confirmation by finance.")
    if not address_complete(profile):
        return _("The postal address is incomplete.")
    return None


def payee_is_blocked(cooperative: Cooperative, membership: Membership) -> str | None:
    """The reason why `membership` cannot be paid now (no profile, no IBAN, IBAN not confirmed, address
    incomplete), or None. Payout runs skip a blocked payee's items and leave them approved."""
    if membership.cooperative_id != cooperative.pk:
        raise Membership.DoesNotExist()
    return blocked_reason(payee_profile_of(cooperative=cooperative, membership=membership))


def payees_blocked(cooperative: Cooperative, membership_ids: Iterable[int]) -> dict[int, str]:
    """`payee_is_blocked` for many payees in one query: {membership id: reason} of the blocked ones."""
    ids = set(membership_ids)
    profiles = {
        profile.membership_id: profile
        for profile in PayeeProfile.objects.for_cooperative(cooperative).filter(membership_id__in=ids)
    }
    reasons = {pk: blocked_reason(profiles.get(pk)) for pk in ids}
    return {pk: reason for pk, reason in reasons.items() if reason is not None}


def payee_profile_missing(profile: PayeeProfile | None, *, employment: str) -> list[str]:
    """What a payee still has to enter for this kind of pay (a `Collaboration.Employment` value): the
    self-billing agreement for fees (self-employed); social insurance number and date of birth for
    salaries (employed)."""
    missing: list[str] = []
    if employment == "self_employed" and (profile is None or profile.self_billing_accepted_on is None):
        missing.append(_("the self-billing agreement"))
    if employment == "employed":
        if profile is None or not profile.social_insurance_number:
            missing.append(_("the social insurance number"))
        if profile is None or profile.date_of_birth is None:
            missing.append(_("the date of birth"))
    return missing
