"""Client countries become ISO 3166-1 alpha-2 choices. Existing values are upper-cased where that makes a
valid code; values that are no country are kept as they are (no data lost), reported by `migrate` and
flagged in the audit log (event "country.invalid") for staff to correct."""

import sys

from django.db import migrations

import smartprod.core.models


def uppercase_valid_codes(apps, schema_editor):
    from django_countries import countries

    valid = set(countries.countries)
    audit = apps.get_model("core", "AuditEvent")
    client = apps.get_model("projects", "Client")
    for pk, code, cooperative_id in client.objects.values_list("pk", "country", "cooperative_id"):
        fixed = (code or "").strip().upper()
        if fixed in valid:
            if fixed != code:
                client.objects.filter(pk=pk).update(country=fixed)
            continue
        sys.stdout.write(f"\n  projects.Client {pk}: country {code!r} is no ISO 3166 code; kept, flagged")
        audit.objects.create(
            cooperative_id=cooperative_id,
            event="country.invalid",
            object_type="projects.Client",
            object_id=str(pk),
            data={"country": code},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0006_journal_lines_hash"),
        ("core", "0003_labels_de"),
    ]

    operations = [
        migrations.RunPython(uppercase_valid_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="client",
            name="country",
            field=smartprod.core.models.CountryCodeField(default="AT", max_length=2, verbose_name="country"),
        ),
    ]
