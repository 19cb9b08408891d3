"""Forced row-level security on this app's tenant tables (smartprod/core/rls.py, README "Security")."""

from django.db import migrations

from smartprod.core.rls import EnableTenantRLS, GrantAppPrivileges, RevokeAppWrites


class Migration(migrations.Migration):
    dependencies = [("core", "0010_known_devices"), ("invoicing", "0010_number_counter_to_core")]

    operations = [
        GrantAppPrivileges(),
        EnableTenantRLS("core_auditevent"),
        EnableTenantRLS("core_idempotencyrecord"),
        EnableTenantRLS("core_notification"),
        EnableTenantRLS("core_notificationpreference"),
        EnableTenantRLS("core_numbercounter"),
        RevokeAppWrites("core_auditevent"),
    ]
