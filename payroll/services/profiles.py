"""Writes of payee profiles: what the cooperative needs to pay a person, and the IBAN confirmation.

A changed IBAN blocks the payee's payouts until a finance person — never the payee, nor whoever changed
it — confirms it: the classic payroll-diversion fraud changes the account first (`confirmed_iban` keeps the
last confirmed one). Every change leaves an audit row; IBANs appear there and in notifications masked.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.at import vnr as at_vnr
from stdnum.eu import vat as eu_vat

from payroll.models import PayeeProfile
from payroll.selectors.profiles import may_see_payee_profile
from smartprod.core import capabilities
from smartprod.core.addresses import BUILDING_NUMBER_MAX, STREET_MAX
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.core.models import AuditEvent
from smartprod.core.notifications import notify
from smartprod.core.validators import normalize_vat_id, validate_bic, validate_iban, validate_vat_id
from smartprod.tenancy.models import Cooperative, Membership

IBAN_CHANGED = "payout.iban_changed"

# Limits of the pain.001.001.09 PostalAddress24 elements (ISO 20022): StrtNm 70, BldgNb 16, PstCd 16,
# TwnNm 35; Nm (the creditor's name) 140, of which SEPA banks keep 70.
LIMITS = {
    "account_holder": 70,
    "street": STREET_MAX,
    "building_number": BUILDING_NUMBER_MAX,
    "postcode": 16,
    "town": 35,
    "vat_id": 20,
    "tax_number": 40,
    "social_insurance_number": 40,
}
TEXT_FIELDS = (
    "account_holder",
    "iban",
    "bic",
    "street",
    "building_number",
    "postcode",
    "town",
    "country",
    "vat_status",
    "vat_id",
    "tax_number",
    "social_insurance_number",
)
EDITABLE = (*TEXT_FIELDS, "date_of_birth")
ADDRESS_FIELDS = ("street", "building_number", "postcode", "town", "country")
EU_COUNTRIES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES) - {"XI"}


def mask_iban(iban: str) -> str:
    """'AT61 **** 3201': enough to recognise an account, not enough to use it."""
    if not iban:
        return ""
    return f"{iban[:4]} **** {iban[-4:]}" if len(iban) > 8 else "****"


def _check_same(cooperative: Cooperative, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.cooperative_id != cooperative.pk:
            raise type(obj).DoesNotExist()  # never reveal another cooperative's object


def _vat_country(vat_id: str) -> str:
    country = vat_id[:2].upper()
    return "GR" if country == "EL" else country


def payee_profile_get_or_create(*, cooperative: Cooperative, membership: Membership) -> PayeeProfile:
    """The membership's profile, created empty (account holder = the person's name) on first use.

    Safe to call twice at once: the unique constraint keeps one profile, the loser reads the winner's.
    """
    _check_same(cooperative, membership)
    profile = PayeeProfile.objects.for_cooperative(cooperative).filter(membership=membership).first()
    if profile is not None:
        return profile
    try:
        with transaction.atomic():
            profile = PayeeProfile.objects.create(
                cooperative=cooperative,
                membership=membership,
                account_holder=membership.user.get_full_name()[: LIMITS["account_holder"]],
                country=membership.country or cooperative.country,
            )
            audit_log(
                cooperative=cooperative, actor=membership.user, event="payee_profile.created", obj=profile
            )
    except IntegrityError:
        return PayeeProfile.objects.for_cooperative(cooperative).get(membership=membership)
    return profile


def _normalized(field: str, value: Any) -> Any:
    if field == "date_of_birth":
        return value
    text = " ".join(str(value or "").split())
    if field in ("iban", "bic"):
        return text.replace(" ", "").upper()
    if field == "vat_id":
        return normalize_vat_id(text).upper() if text else ""
    if field == "country":
        return text.upper()
    if field == "social_insurance_number":
        return text.replace(" ", "")
    return text


def _validate(cooperative: Cooperative, profile: PayeeProfile) -> dict[str, list[str]]:
    """Every rule a profile's values must meet, as {field: [messages]} (empty: all fine)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field, limit in LIMITS.items():
        if len(getattr(profile, field)) > limit:
            add(field, _("At most %(limit)d characters.") % {"limit": limit})
    for field, validator in (("iban", validate_iban), ("bic", validate_bic)):
        value = getattr(profile, field)
        if value:
            try:
                validator(value)
            except ValidationError as exc:
                add(field, " ".join(exc.messages))
    try:
        profile.clean_fields(exclude=[f.name for f in profile._meta.fields if f.name not in ("country",)])
    except ValidationError as exc:
        for message in exc.message_dict.get("country", []):
            add("country", message)
    if profile.vat_status not in PayeeProfile.VatStatus.values:
        add("vat_status", _("Choose one of the VAT statuses offered."))
    if profile.vat_id:
        try:
            validate_vat_id(profile.vat_id)
        except ValidationError as exc:
            add("vat_id", " ".join(exc.messages))
    if profile.vat_status == PayeeProfile.VatStatus.REGISTERED and not profile.vat_id:
        add("vat_id", _("A VAT-registered business needs its VAT id (UID)."))
    if profile.vat_status == PayeeProfile.VatStatus.EU_REVERSE_CHARGE:
        if not profile.vat_id:
            add("vat_id", _("Reverse charge needs the VAT id (UID) of your business in another EU country."))
        elif "vat_id" not in errors:
            country = _vat_country(profile.vat_id)
            if country == cooperative.country or country not in EU_COUNTRIES:
                add(
                    "vat_id",
                    _("Reverse charge applies only to a business in another EU country than %(country)s.")
                    % {"country": cooperative.country},
                )
    number = profile.social_insurance_number
    # The Austrian social insurance number (Versicherungsnummer) has ten digits with a check digit; other
    # countries' numbers are kept as entered.
    if number and cooperative.country == "AT" and not at_vnr.is_valid(number):
        add("social_insurance_number", _("This is not a valid Austrian social insurance number (10 digits)."))
    if profile.date_of_birth is not None and profile.date_of_birth >= timezone.localdate():
        add("date_of_birth", _("The date of birth must be in the past."))
    return errors


@transaction.atomic
def payee_profile_update(
    *,
    cooperative: Cooperative,
    actor: Membership,
    profile: PayeeProfile,
    self_billing_agreement: bool | None = None,
    **changes: Any,
) -> PayeeProfile:
    """The person themself, or finance/admin, change payout details; only the fields passed change.

    Bad input changes nothing (400 with every field's reason). A new IBAN blocks the payee's payouts until
    finance confirms it, and finance is told. `self_billing_agreement` True records today's date, False
    withdraws it — only the person themself accepts or withdraws their agreement.
    """
    _check_same(cooperative, actor, profile)
    profile = PayeeProfile.objects.for_cooperative(cooperative).select_for_update().get(pk=profile.pk)
    membership = (
        Membership.objects.for_cooperative(cooperative).select_related("user").get(pk=profile.membership_id)
    )
    if not may_see_payee_profile(actor=actor, membership=membership):
        raise PayeeProfile.DoesNotExist()  # an advisor or another member: the profile does not exist for them
    own = actor.pk == profile.membership_id
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ApplicationError(_("%(field)s cannot be changed here.") % {"field": ", ".join(unknown)})
    if self_billing_agreement is not None and not own:
        raise NotAllowed(_("Only the payee themself accepts or withdraws the self-billing agreement."))

    old = {field: getattr(profile, field) for field in EDITABLE}
    old_agreement = profile.self_billing_accepted_on
    for field, value in changes.items():
        setattr(profile, field, _normalized(field, value))
    errors = _validate(cooperative, profile)
    if errors:
        raise ApplicationError(
            _("Please correct the payout details: %(fields)s.") % {"fields": ", ".join(sorted(errors))},
            details=errors,
        )
    if self_billing_agreement is True and profile.self_billing_accepted_on is None:
        profile.self_billing_accepted_on = timezone.localdate()
    elif self_billing_agreement is False:
        profile.self_billing_accepted_on = None
    changed = sorted(field for field in EDITABLE if getattr(profile, field) != old[field])
    # Whoever sends the address (changed or not) has looked at it: an automatic split is checked now.
    reviewed = profile.address_needs_review and any(field in changes for field in ADDRESS_FIELDS)
    if reviewed:
        profile.address_needs_review = False
    agreement_changed = profile.self_billing_accepted_on != old_agreement
    if not changed and not agreement_changed and not reviewed:
        return profile  # a repeated request: nothing to record
    profile.save()
    data: dict[str, Any] = {"fields": changed}
    if reviewed:
        data["address_reviewed"] = True
    if agreement_changed:
        data["self_billing_accepted_on"] = (
            profile.self_billing_accepted_on.isoformat() if profile.self_billing_accepted_on else None
        )
    if "iban" in changed:
        data["iban_old"], data["iban_new"] = mask_iban(old["iban"]), mask_iban(profile.iban)
    event = audit_log(
        cooperative=cooperative, actor=actor.user, event="payee_profile.updated", obj=profile, data=data
    )
    if "iban" in changed and profile.iban and profile.iban_blocked:
        _notify_iban_changed(cooperative, profile, membership, event)
    return profile


def _notify_iban_changed(
    cooperative: Cooperative, profile: PayeeProfile, membership: Membership, event: AuditEvent
) -> None:
    finance = (
        Membership.objects.for_cooperative(cooperative)
        .filter(status=Membership.Status.ACTIVE, role__in=capabilities.FINANCE_ROLES)
        .select_related("user")
    )
    notify(
        cooperative=cooperative,
        kind=IBAN_CHANGED,
        event=f"{IBAN_CHANGED}:{profile.pk}:{event.pk}",
        recipients=[person.user for person in finance],
        params={"name": str(membership.user), "iban": mask_iban(profile.iban)},
        link=reverse("admin:payroll_payeeprofile_change", args=[profile.pk]),
    )


def _last_iban_change_by(cooperative: Cooperative, profile: PayeeProfile) -> int | None:
    """The user who last changed this profile's IBAN (from the audit log), or None."""
    events = AuditEvent.objects.for_cooperative(cooperative).filter(
        event="payee_profile.updated",
        object_type=PayeeProfile._meta.label,
        object_id=str(profile.pk),
        data__fields__contains=["iban"],
    )
    last = events.order_by("-created_at", "-id").values_list("actor_id", flat=True).first()
    return int(last) if last is not None else None


@transaction.atomic
def payee_iban_confirm(*, cooperative: Cooperative, actor: Membership, profile: PayeeProfile) -> PayeeProfile:
    """Finance or an admin confirms a payee's current IBAN (after checking it with the person on a known
    channel); the payee's payouts flow again. Never the payee themself, nor whoever entered the IBAN.
    Confirming an IBAN already confirmed changes nothing (a request may arrive twice)."""
    _check_same(cooperative, actor, profile)
    if not capabilities.can_run_payouts(actor):
        raise NotAllowed(_("Only finance or an administrator confirms an IBAN."))
    profile = PayeeProfile.objects.for_cooperative(cooperative).select_for_update().get(pk=profile.pk)
    if profile.membership_id == actor.pk:
        raise NotAllowed(_("You cannot confirm your own IBAN: another finance person has to."))
    if not profile.iban:
        raise ApplicationError(_("There is no IBAN to confirm."), conflict=True)
    if not profile.iban_blocked:
        return profile
    if _last_iban_change_by(cooperative, profile) == actor.user_id:
        raise NotAllowed(_("You entered this IBAN yourself: another finance person has to confirm it."))
    profile.confirmed_iban = profile.iban
    profile.iban_confirmed_at = timezone.now()
    profile.iban_confirmed_by = actor
    profile.save(update_fields=["confirmed_iban", "iban_confirmed_at", "iban_confirmed_by", "updated_at"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="payee_profile.iban_confirmed",
        obj=profile,
        data={"iban": mask_iban(profile.iban)},
    )
    return profile
