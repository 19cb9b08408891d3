"""Forced row-level security on this app's tenant tables (smartprod/core/rls.py, README "Security")."""

from django.db import migrations

from smartprod.core.rls import EnableTenantRLS


class Migration(migrations.Migration):
    dependencies = [("members", "0005_move_tenancy_to_kernel"), ("core", "0011_row_level_security")]

    operations = [
        EnableTenantRLS("members_invitation"),
    ]
