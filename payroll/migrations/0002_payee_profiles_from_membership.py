"""Payee data moves from `Membership` into the payroll-owned `PayeeProfile` (issue 9).

For each membership holding any of IBAN, street, postcode, city, tax number, social insurance number or
date of birth, a profile is created (once: a membership that has one already is skipped, so the migration
can run again after being migrated back):
- the IBAN is copied and counted as **confirmed**: it was entered before IBAN changes needed a finance
  person's confirmation and payouts may already have gone to it; blocking every existing payee until
  finance re-confirms each account would stop all payouts on the day of the update. Only a valid IBAN is
  confirmed (an invalid one is copied for the person to correct, and blocks until then).
- the one-line street is split into street and building number (`smartprod.core.addresses.split_street`);
  where that fails, or a part is longer than the SEPA fields allow, the address is flagged
  `address_needs_review` for the person to complete.
- city → town; tax and social insurance numbers, date of birth; account holder = the person's full name.
tenancy 0002 then removes the fields from `Membership`. Reversing copies the data back onto the memberships
(so a migration back and forth loses nothing) and leaves the profiles in place.
"""

from django.db import migrations
from django.db.models import Q
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from smartprod.core.addresses import split_street

POSTCODE_MAX, TOWN_MAX, TAX_MAX, HOLDER_MAX = 16, 35, 40, 70


def _valid_iban(value):
    try:
        IBAN(value)
    except SchwiftyException:
        return False
    return True


def profiles_from_memberships(apps, schema_editor):
    Membership = apps.get_model("tenancy", "Membership")
    PayeeProfile = apps.get_model("payroll", "PayeeProfile")
    db = schema_editor.connection.alias
    has_data = (
        ~Q(iban="")
        | ~Q(street="")
        | ~Q(postcode="")
        | ~Q(city="")
        | ~Q(tax_number="")
        | ~Q(social_insurance_number="")
        | Q(date_of_birth__isnull=False)
    )
    done = set(PayeeProfile.objects.using(db).values_list("membership_id", flat=True))
    memberships = (
        Membership.objects.using(db).filter(has_data).exclude(pk__in=done).select_related("user").order_by("id")
    )
    profiles = []
    for membership in memberships.iterator(chunk_size=500):
        iban = "".join(membership.iban.split()).upper()
        street, building_number, ok = split_street(membership.street)
        postcode, town = membership.postcode.strip(), " ".join(membership.city.split())
        needs_review = bool(membership.street.strip()) and not ok
        if len(postcode) > POSTCODE_MAX or len(town) > TOWN_MAX or len(street) > 70:
            needs_review = True  # cut to fit; the person checks what is left
        user = membership.user
        profiles.append(
            PayeeProfile(
                cooperative_id=membership.cooperative_id,
                membership_id=membership.pk,
                account_holder=f"{user.first_name} {user.last_name}".strip()[:HOLDER_MAX],
                iban=iban,
                # Existing IBANs count as confirmed (see the module docstring).
                confirmed_iban=iban if iban and _valid_iban(iban) else "",
                street=street[:70],
                building_number=building_number,
                postcode=postcode[:POSTCODE_MAX],
                town=town[:TOWN_MAX],
                country=membership.country or "AT",
                address_needs_review=needs_review,
                tax_number=membership.tax_number.strip()[:TAX_MAX],
                social_insurance_number=membership.social_insurance_number.replace(" ", "")[:TAX_MAX],
                date_of_birth=membership.date_of_birth,
            )
        )
    PayeeProfile.objects.using(db).bulk_create(profiles, batch_size=500, ignore_conflicts=True)


def memberships_from_profiles(apps, schema_editor):
    Membership = apps.get_model("tenancy", "Membership")
    PayeeProfile = apps.get_model("payroll", "PayeeProfile")
    db = schema_editor.connection.alias
    for profile in PayeeProfile.objects.using(db).order_by("id").iterator(chunk_size=500):
        Membership.objects.using(db).filter(pk=profile.membership_id).update(
            iban=profile.iban,
            street=f"{profile.street} {profile.building_number}".strip(),
            postcode=profile.postcode,
            city=profile.town,
            tax_number=profile.tax_number,
            social_insurance_number=profile.social_insurance_number,
            date_of_birth=profile.date_of_birth,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0001_initial"),
        ("payroll", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(profiles_from_memberships, memberships_from_profiles, elidable=False),
    ]
