"""Forced row-level security on this app's tenant tables (smartprod/core/rls.py, README "Security")."""

from django.db import migrations

from smartprod.core.rls import EnableTenantRLS


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0003_einvoice_contact_name"), ("core", "0011_row_level_security")]

    operations = [
        EnableTenantRLS("members_cooperative", column="id"),
        EnableTenantRLS("members_membership"),
    ]
