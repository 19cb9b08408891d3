"""Every tenant policy reads the scope's settings once per statement (smartprod.core.rls.policy_expression).

The condition is unchanged — the row is the scope's cooperative's, or the scope is the platform's — but each
setting is now a scalar subquery, which PostgreSQL evaluates once per statement instead of for every row it
reads. Depends on the newest migration of every app with tenant tables, so all their policies exist; tables
created later get the new form from EnableTenantRLS itself.
"""

from django.db import migrations

from smartprod.core.rls import TenantPoliciesReadSettingsOnce


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0011_row_level_security"),
        ("tenancy", "0004_row_level_security"),
        ("members", "0006_row_level_security"),
        ("projects", "0017_journal_lines_project_account_covering"),
        ("invoicing", "0015_newest_first_indexes"),
        ("payroll", "0007_row_level_security"),
    ]

    operations = [TenantPoliciesReadSettingsOnce()]
