"""Payee data leaves Membership (payroll's PayeeProfile holds it now); the cooperative's address is structured.

- The cooperative is the debtor of every pain.001 file: banks reject unstructured addresses from
  15 November 2026, so street and building number are split (smartprod.core.addresses.split_street;
  a street it cannot split keeps its whole text in `street`) and the fields get pain.001's lengths. A longer
  value stops the migration with a message instead of being cut.
- `payout_guarantee_days` now counts working days; the values stay as they are.
- Membership's address, IBAN, tax and social insurance numbers and date of birth were copied into
  PayeeProfile by payroll 0002 (hence that dependency, the one place tenancy's migrations wait for an app).
"""

from django.db import migrations, models

from smartprod.core.addresses import split_street

LIMITS = {"street": 70, "postcode": 16, "city": 35}


def split_cooperative_streets(apps, schema_editor):
    Cooperative = apps.get_model("tenancy", "Cooperative")
    for cooperative in Cooperative.objects.all():
        street, number, ok = split_street(cooperative.street)
        if ok:
            cooperative.street, cooperative.building_number = street, number
        too_long = [f"{field} ({len(getattr(cooperative, field))} > {limit})" for field, limit in LIMITS.items()
                    if len(getattr(cooperative, field)) > limit]
        if too_long:
            raise RuntimeError(
                f"Cooperative {cooperative.pk} ({cooperative.name}): shorten {', '.join(too_long)} "
                "before migrating: pain.001 allows no more."
            )
        cooperative.save(update_fields=["street", "building_number"])


def join_cooperative_streets(apps, schema_editor):
    Cooperative = apps.get_model("tenancy", "Cooperative")
    for cooperative in Cooperative.objects.exclude(building_number=""):
        cooperative.street = f"{cooperative.street} {cooperative.building_number}"
        cooperative.save(update_fields=["street"])


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0001_initial"),
        ("payroll", "0002_payee_profiles_from_membership"),
    ]

    operations = [
        migrations.AddField(
            model_name="cooperative",
            name="building_number",
            field=models.CharField(blank=True, max_length=16, verbose_name="building number"),
        ),
        migrations.RunPython(split_cooperative_streets, join_cooperative_streets),
        migrations.AlterField(
            model_name="cooperative",
            name="street",
            field=models.CharField(max_length=70, verbose_name="street"),
        ),
        migrations.AlterField(
            model_name="cooperative",
            name="postcode",
            field=models.CharField(max_length=16, verbose_name="postcode"),
        ),
        migrations.AlterField(
            model_name="cooperative",
            name="city",
            field=models.CharField(max_length=35, verbose_name="town"),
        ),
        migrations.AlterField(
            model_name="cooperative",
            name="payout_guarantee_days",
            field=models.PositiveSmallIntegerField(
                default=14,
                help_text="Approved payouts are paid within this many working days (weekends and public "
                "holidays of the cooperative's country do not count).",
                verbose_name="payout guarantee period (working days)",
            ),
        ),
        migrations.RemoveField(model_name="membership", name="street"),
        migrations.RemoveField(model_name="membership", name="postcode"),
        migrations.RemoveField(model_name="membership", name="city"),
        migrations.RemoveField(model_name="membership", name="iban"),
        migrations.RemoveField(model_name="membership", name="tax_number"),
        migrations.RemoveField(model_name="membership", name="social_insurance_number"),
        migrations.RemoveField(model_name="membership", name="date_of_birth"),
    ]
