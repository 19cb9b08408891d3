"""Forced row-level security on this app's tenant tables (smartprod/core/rls.py, README "Security")."""

from django.db import migrations

from smartprod.core.rls import EnableTenantRLS


class Migration(migrations.Migration):
    dependencies = [("payroll", "0003_payout_items_for_approved_expenses"), ("core", "0008_row_level_security")]

    operations = [
        EnableTenantRLS("payroll_feenote"),
        EnableTenantRLS("payroll_payeeprofile"),
        EnableTenantRLS("payroll_payoutitem"),
        EnableTenantRLS("payroll_payoutitemevent"),
        EnableTenantRLS("payroll_payoutpolicy"),
        EnableTenantRLS("payroll_payoutrun"),
        EnableTenantRLS("payroll_payoutrunitem"),
    ]
