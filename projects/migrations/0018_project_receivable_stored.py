"""The stored receivable of each project, kept by the database (issue 12, budget at scale).

As migration 0015 for the budget balance: a statement-level trigger on journal lines upserts, per project
whose receivable lines the INSERT holds, the sum of their debit − credit into projects_projectreceivable, in
the posting's transaction, in ascending project id (the row's lock serializes two postings on one project's
receivables; the budget balances' trigger, named before this one, runs first on the same statement). The
guard of 0015 refuses every other write. The trigger is created before the existing sums are filled: creating
it locks the lines table against inserts until this migration commits.
"""

import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models

from smartprod.core.rls import EnableTenantRLS

FORWARD = """
CREATE FUNCTION ledger_keep_project_receivable() RETURNS trigger AS $$
BEGIN
  INSERT INTO projects_projectreceivable AS r (project_id, cooperative_id, receivable)
  SELECT n.project_id, n.cooperative_id, SUM(n.debit - n.credit)
    FROM new_lines n JOIN projects_account a ON a.id = n.account_id
   WHERE a.type = 'receivable' AND n.project_id IS NOT NULL
   GROUP BY n.project_id, n.cooperative_id
   ORDER BY n.project_id
  ON CONFLICT (project_id) DO UPDATE SET receivable = r.receivable + EXCLUDED.receivable;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER journalline_project_receivable AFTER INSERT ON projects_journalline
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_keep_project_receivable();

INSERT INTO projects_projectreceivable (project_id, cooperative_id, receivable)
SELECT l.project_id, l.cooperative_id, SUM(l.debit - l.credit)
  FROM projects_journalline l JOIN projects_account a ON a.id = l.account_id
 WHERE a.type = 'receivable' AND l.project_id IS NOT NULL
 GROUP BY l.project_id, l.cooperative_id;

CREATE TRIGGER projectreceivable_kept_by_ledger BEFORE INSERT OR UPDATE OR DELETE ON projects_projectreceivable
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_balance_write();
"""

BACKWARD = """
DROP TRIGGER projectreceivable_kept_by_ledger ON projects_projectreceivable;
DROP TRIGGER journalline_project_receivable ON projects_journalline;
DROP FUNCTION ledger_keep_project_receivable();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0017_journal_lines_project_account_covering'),
        ('tenancy', '0004_row_level_security'),
    ]

    operations = [
        migrations.CreateModel(
            name='ProjectReceivable',
            fields=[
                ('project', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, primary_key=True, related_name='stored_receivable', serialize=False, to='projects.project', verbose_name='project')),
                ('receivable', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=20, verbose_name='receivable')),
                ('cooperative', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative')),
            ],
            options={
                'verbose_name': 'project receivable',
                'verbose_name_plural': 'project receivables',
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        EnableTenantRLS("projects_projectreceivable"),
    ]
