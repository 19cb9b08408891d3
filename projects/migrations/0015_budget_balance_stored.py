"""The stored balance of each project budget account, kept by the database (issue 12, budget at scale).

A statement-level trigger on journal lines upserts, per budget account touched by the INSERT, the sum of
the new lines' credit − debit into projects_budgetbalance, in the posting's transaction. The upsert holds
the balance row's lock until commit, so two transactions posting to one budget follow each other and the
second adds to what the first committed (READ COMMITTED re-reads the row). Accounts are taken in ascending
id, so an entry touching two budgets cannot deadlock with another touching the same two. Whatever inserts
lines — `journal_post`, a migration, a bulk loader in tests — keeps the balance; nothing else may write it.

The trigger is created before the existing balances are filled: creating it locks the lines table against
inserts until this migration commits, so no posting falls between the fill and the trigger.
"""

import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models

from smartprod.core.rls import EnableTenantRLS

FORWARD = """
CREATE FUNCTION ledger_keep_budget_balance() RETURNS trigger AS $$
BEGIN
  INSERT INTO projects_budgetbalance AS b (account_id, cooperative_id, project_id, balance)
  SELECT a.id, a.cooperative_id, a.project_id, SUM(n.credit - n.debit)
    FROM new_lines n JOIN projects_account a ON a.id = n.account_id
   WHERE a.type = 'project_budget'
   GROUP BY a.id, a.cooperative_id, a.project_id
   ORDER BY a.id
  ON CONFLICT (account_id) DO UPDATE SET balance = b.balance + EXCLUDED.balance;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER journalline_budget_balance AFTER INSERT ON projects_journalline
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_keep_budget_balance();

INSERT INTO projects_budgetbalance (account_id, cooperative_id, project_id, balance)
SELECT a.id, a.cooperative_id, a.project_id, COALESCE(SUM(l.credit - l.debit), 0)
  FROM projects_account a LEFT JOIN projects_journalline l ON l.account_id = a.id
 WHERE a.type = 'project_budget'
 GROUP BY a.id, a.cooperative_id, a.project_id;

-- Only the trigger above (nested: depth 2) writes the stored balances.
CREATE FUNCTION ledger_refuse_balance_write() RETURNS trigger AS $$
BEGIN
  IF pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'budget balances are kept by the ledger: % on % refused', TG_OP, TG_TABLE_NAME
      USING ERRCODE = '23000';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER budgetbalance_kept_by_ledger BEFORE INSERT OR UPDATE OR DELETE ON projects_budgetbalance
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_balance_write();
"""

BACKWARD = """
DROP TRIGGER budgetbalance_kept_by_ledger ON projects_budgetbalance;
DROP FUNCTION ledger_refuse_balance_write();
DROP TRIGGER journalline_budget_balance ON projects_journalline;
DROP FUNCTION ledger_keep_budget_balance();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0014_row_level_security"),
        ("tenancy", "0004_row_level_security"),
    ]

    operations = [
        migrations.CreateModel(
            name="BudgetBalance",
            fields=[
                (
                    "account",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="stored_balance",
                        serialize=False,
                        to="projects.account",
                        verbose_name="account",
                    ),
                ),
                (
                    "balance",
                    models.DecimalField(
                        decimal_places=2, default=Decimal("0.00"), max_digits=20, verbose_name="balance"
                    ),
                ),
                (
                    "cooperative",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tenancy.cooperative",
                        verbose_name="cooperative",
                    ),
                ),
                (
                    "project",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="projects.project",
                        verbose_name="project",
                    ),
                ),
            ],
            options={
                "verbose_name": "budget balance",
                "verbose_name_plural": "budget balances",
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        EnableTenantRLS("projects_budgetbalance"),
    ]
