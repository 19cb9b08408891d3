"""Demo payout details for `seed_demo`: member@ and member2@ of each cooperative can be paid at once.

Self-employed small businesses with a confirmed IBAN (valid test IBANs of the cooperative's country), a
structured address and the self-billing agreement accepted. Entered through the services (the person
enters, a finance person confirms), so the demo has the same audit trail as real data. Idempotent.
"""

from __future__ import annotations

from typing import Any

from payroll.models import PayeeProfile
from payroll.selectors.profiles import payee_profile_of
from payroll.services.profiles import payee_iban_confirm, payee_profile_get_or_create, payee_profile_update
from smartprod.tenancy.models import Cooperative, Membership

DEMO_PAYEES: dict[str, dict[str, dict[str, str]]] = {
    "AT": {
        "member": {
            "iban": "AT483200000012345864",
            "street": "Neubaugasse",
            "building_number": "12/4",
            "postcode": "1070",
            "town": "Wien",
        },
        "member2": {
            "iban": "AT022050302101023600",
            "street": "Lerchenfelder Straße",
            "building_number": "3/7",
            "postcode": "1070",
            "town": "Wien",
        },
    },
    "DE": {
        "member": {
            "iban": "DE02120300000000202051",
            "street": "Torstraße",
            "building_number": "101",
            "postcode": "10119",
            "town": "Berlin",
        },
        "member2": {
            "iban": "DE02100100100006820101",
            "street": "Kastanienallee",
            "building_number": "7",
            "postcode": "10435",
            "town": "Berlin",
        },
    },
}


def seed_payee_profiles(*, cooperative: Cooperative, stdout: Any) -> None:
    payees = DEMO_PAYEES.get(cooperative.country, DEMO_PAYEES["AT"])
    people = Membership.objects.for_cooperative(cooperative).select_related("user")
    finance = people.filter(role="finance", status="active").order_by("id").first()
    for local, data in payees.items():
        membership = people.filter(user__email=f"{local}@{cooperative.slug}.example").first()
        if membership is None:
            continue
        existing = payee_profile_of(cooperative=cooperative, membership=membership)
        if existing is not None and existing.iban and not existing.iban_blocked:
            continue  # complete already (or changed by hand since): keep it
        profile = payee_profile_get_or_create(cooperative=cooperative, membership=membership)
        profile = payee_profile_update(
            cooperative=cooperative,
            actor=membership,
            profile=profile,
            self_billing_agreement=True,
            account_holder=membership.user.get_full_name(),
            country=cooperative.country,
            vat_status=PayeeProfile.VatStatus.SMALL_BUSINESS,
            **data,
        )
        if finance is not None:
            payee_iban_confirm(cooperative=cooperative, actor=finance, profile=profile)
        stdout.write(f"payout details of {membership.user.email}")
