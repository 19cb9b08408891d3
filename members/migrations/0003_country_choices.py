"""Countries become ISO 3166-1 alpha-2 choices. Existing values are upper-cased where that makes a valid
code; values that are no country are kept as they are (no data lost), reported by `migrate` and flagged in
the audit log (event "country.invalid") for staff to correct."""

import sys

from django.db import migrations

import smartprod.core.models


def uppercase_valid_codes(apps, schema_editor):
    from django_countries import countries

    valid = set(countries.countries)
    audit = apps.get_model("core", "AuditEvent")
    for name in ("Cooperative", "Membership"):
        model = apps.get_model("members", name)
        for pk, code, cooperative_id in model.objects.values_list(
            "pk", "country", "pk" if name == "Cooperative" else "cooperative_id"
        ):
            fixed = (code or "").strip().upper()
            if fixed in valid:
                if fixed != code:
                    model.objects.filter(pk=pk).update(country=fixed)
                continue
            sys.stdout.write(f"\n  members.{name} {pk}: country {code!r} is no ISO 3166 code; kept, flagged")
            audit.objects.create(
                cooperative_id=cooperative_id,
                event="country.invalid",
                object_type=f"members.{name}",
                object_id=str(pk),
                data={"country": code},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_labels_de"),
        ("core", "0003_labels_de"),
    ]

    operations = [
        migrations.RunPython(uppercase_valid_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="cooperative",
            name="country",
            field=smartprod.core.models.CountryCodeField(default="AT", max_length=2, verbose_name="country"),
        ),
        migrations.AlterField(
            model_name="membership",
            name="country",
            field=smartprod.core.models.CountryCodeField(default="AT", max_length=2, verbose_name="country"),
        ),
    ]
