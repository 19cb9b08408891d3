"""Forced row-level security on this app's tenant tables (smartprod/core/rls.py, README "Security")."""

from django.db import migrations

from smartprod.core.rls import EnableTenantRLS, RevokeAppWrites


class Migration(migrations.Migration):
    dependencies = [("projects", "0013_client_public_sector"), ("core", "0011_row_level_security")]

    operations = [
        EnableTenantRLS("projects_account"),
        EnableTenantRLS("projects_client"),
        EnableTenantRLS("projects_collaboration"),
        EnableTenantRLS("projects_document"),
        EnableTenantRLS("projects_expense"),
        EnableTenantRLS("projects_journalentry"),
        EnableTenantRLS("projects_journalline"),
        EnableTenantRLS("projects_project"),
        EnableTenantRLS("projects_projectstatuschange"),
        RevokeAppWrites("projects_journalentry", "projects_journalline"),
    ]
