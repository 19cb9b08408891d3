"""Forced row-level security on this app's tenant tables (smartprod/core/rls.py, README "Security")."""

from django.db import migrations

from smartprod.core.rls import EnableTenantRLS


class Migration(migrations.Migration):
    dependencies = [("payroll", "0006_payroll_runs_and_payslips"), ("core", "0011_row_level_security")]

    operations = [
        EnableTenantRLS("payroll_feenote"),
        EnableTenantRLS("payroll_payeeprofile"),
        EnableTenantRLS("payroll_payoutitem"),
        EnableTenantRLS("payroll_payoutitemevent"),
        EnableTenantRLS("payroll_payoutpolicy"),
        EnableTenantRLS("payroll_payoutrun"),
        EnableTenantRLS("payroll_payoutrunitem"),
        EnableTenantRLS("payroll_payrollsettings"),
        EnableTenantRLS("payroll_municipality"),
        EnableTenantRLS("payroll_employment"),
        EnableTenantRLS("payroll_salary"),
        EnableTenantRLS("payroll_payrollrun"),
        EnableTenantRLS("payroll_payslip"),
        EnableTenantRLS("payroll_employerliability"),
    ]
