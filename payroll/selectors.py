"""Reads of payroll: payee readiness, payout runs and their attempts (always cooperative first)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from members.models import Cooperative, Membership
from payroll.models import PayeeProfile, PayoutRun, PayoutRunItem


def _profile_block_reason(profile: PayeeProfile | None) -> str | None:
    if profile is None:
        return _("There is no payee profile (bank account and address).")
    if not profile.iban:
        return _("The payee profile has no IBAN.")
    if profile.iban_blocked:
        return _("The IBAN was changed and finance has not confirmed it yet.")
    if (
        profile.address_needs_review
        or not profile.street.strip()
        or not profile.postcode.strip()
        or not profile.town.strip()
        or not profile.country
    ):
        return _("The postal address is incomplete (street, postcode, town, country).")
    return None


# Local version until the `profile` branch's `payee_is_blocked` is merged (same contract).
def payee_is_blocked(cooperative: Cooperative, membership: Membership) -> str | None:
    """Why no payout may leave for this payee now (None: nothing blocks it)."""
    profile = PayeeProfile.objects.for_cooperative(cooperative).filter(membership=membership).first()
    return _profile_block_reason(profile)


def payee_block_reasons(*, cooperative: Cooperative, membership_ids: Iterable[int]) -> dict[int, str]:
    """`payee_is_blocked` for many payees in one query: {membership id: reason} of those blocked."""
    wanted = set(membership_ids)
    profiles = {
        profile.membership_id: profile
        for profile in PayeeProfile.objects.for_cooperative(cooperative).filter(membership_id__in=wanted)
    }
    reasons: dict[int, str] = {}
    for membership_id in wanted:
        reason = _profile_block_reason(profiles.get(membership_id))
        if reason is not None:
            reasons[membership_id] = reason
    return reasons


def payout_run_list(*, cooperative: Cooperative) -> QuerySet[PayoutRun]:
    return PayoutRun.objects.for_cooperative(cooperative).select_related(
        "started_by__user", "approved_by__user", "sent_by__user"
    )


def payout_run_get(*, cooperative: Cooperative, run_id: int) -> PayoutRun:
    """A run of the cooperative; another cooperative's run raises DoesNotExist (404)."""
    return payout_run_list(cooperative=cooperative).get(pk=run_id)


def payout_run_attempts(*, cooperative: Cooperative, run: PayoutRun) -> QuerySet[PayoutRunItem]:
    return (
        PayoutRunItem.objects.for_cooperative(cooperative)
        .filter(run=run)
        .select_related("item__payee__user", "item__project")
        .order_by("id")
    )
