"""Forced row-level security on this app's tenant tables (smartprod/core/rls.py, README "Security")."""

from django.db import migrations

from smartprod.core.rls import EnableTenantRLS


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0013_einvoice_formats"), ("core", "0011_row_level_security")]

    operations = [
        EnableTenantRLS("invoicing_bankentry"),
        EnableTenantRLS("invoicing_bankstatement"),
        EnableTenantRLS("invoicing_dunninglevel"),
        EnableTenantRLS("invoicing_dunningnotice"),
        EnableTenantRLS("invoicing_exemptionnote"),
        EnableTenantRLS("invoicing_invoice"),
        EnableTenantRLS("invoicing_invoiceline"),
        EnableTenantRLS("invoicing_invoicingsettings"),
        EnableTenantRLS("invoicing_payment"),
        EnableTenantRLS("invoicing_writeoff"),
    ]
