"""Forced row-level security on this app's tenant tables (smartprod/core/rls.py, README "Security")."""

from django.db import migrations

from smartprod.core.rls import EnableTenantRLS


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0002_payee_data_in_payroll_structured_address"), ("core", "0008_row_level_security")]

    operations = [
        EnableTenantRLS("members_cooperative", column="id"),
        EnableTenantRLS("members_membership"),
    ]
