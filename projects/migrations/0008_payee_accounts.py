"""Payouts payable per payee, and account types as registered data (issue 7).

- `Account.payee`: a payee's (membership's) sub-account of payouts payable, one per type and payee.
- `Account.type` takes its choices from `projects.account_types` (a callable): a new type an app
  registers needs no migration here.
- The pooled "payouts payable" balance of approved expenses moves onto the payees' sub-accounts: per
  approved expense, one new entry reverses its pooled line and posts it again on the submitter's
  sub-account (idempotency key `payee-account:expense:<id>`). Posted rows are never edited (the ledger's
  triggers refuse it); budgets do not change. Lines not from an expense stay on the pooled account.
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

import projects.account_types

PAYABLE, CODE, NAME = "payouts_payable", "3300", "Payouts payable"


def move_pooled_payables(apps, schema_editor):
    Account = apps.get_model("projects", "Account")
    Expense = apps.get_model("projects", "Expense")
    JournalEntry = apps.get_model("projects", "JournalEntry")
    JournalLine = apps.get_model("projects", "JournalLine")
    Membership = apps.get_model("members", "Membership")
    db = schema_editor.connection.alias
    today = timezone.localdate()
    pooled_lines = (
        JournalLine.objects.using(db)
        .filter(account__type=PAYABLE, account__payee__isnull=True, credit__gt=0)
        .values_list("entry_id", "account_id", "credit")
    )
    by_entry = defaultdict(list)
    for entry_id, account_id, credit in pooled_lines:
        by_entry[entry_id].append((account_id, credit))
    if not by_entry:
        return
    expenses = (
        Expense.objects.using(db)
        .filter(status="approved", journal_entry_id__in=list(by_entry))
        .order_by("cooperative_id", "id")
    )
    done = set(
        JournalEntry.objects.using(db)
        .filter(idempotency_key__startswith="payee-account:expense:")
        .values_list("cooperative_id", "idempotency_key")
    )
    payee_accounts = {}
    for expense in expenses:
        account = payee_accounts.get(expense.submitted_by_id)
        if account is None:
            payee = Membership.objects.using(db).select_related("user").get(pk=expense.submitted_by_id)
            person = f"{payee.user.first_name} {payee.user.last_name}".strip() or payee.user.email
            code = f"{CODE}-{payee.pk}"
            accounts = Account.objects.using(db).filter(cooperative_id=expense.cooperative_id)
            # By code too: a sub-account left behind by an earlier run that was migrated back.
            account = (
                accounts.filter(type=PAYABLE, payee_id=payee.pk).first() or accounts.filter(code=code).first()
            )
            if account is None:
                account = accounts.create(
                    cooperative_id=expense.cooperative_id,
                    type=PAYABLE,
                    payee_id=payee.pk,
                    code=code,
                    name=f"{NAME}: {person}"[:200],
                )
            elif account.payee_id is None:
                account.payee_id = payee.pk
                account.save(update_fields=["payee"])
            payee_accounts[expense.submitted_by_id] = account
        key = f"payee-account:expense:{expense.pk}"
        if (expense.cooperative_id, key) in done:
            continue
        entry = JournalEntry.objects.using(db).create(
            cooperative_id=expense.cooperative_id,
            idempotency_key=key,
            date=today,
            description=f"Payouts payable to the payee's account: {expense.description}"[:300],
            source_type="projects.Expense",
            source_id=str(expense.pk),
        )
        lines = []
        for pooled_account_id, amount in by_entry[expense.journal_entry_id]:
            common = {
                "cooperative_id": expense.cooperative_id,
                "entry": entry,
                "kind": "correction",
                "event": "expense",
                "reference": expense.description[:200],
                "project_id": expense.project_id,
                "date": today,
            }
            lines.append(
                JournalLine(
                    account_id=pooled_account_id,
                    debit=amount,
                    description=f"Reversal: {expense.description}"[:300],
                    **common,
                )
            )
            lines.append(
                JournalLine(account=account, credit=amount, description=expense.description[:300], **common)
            )
        JournalLine.objects.using(db).bulk_create(lines)
    # Check the new entries (balance, foreign keys) now: the schema editor still creates this migration's
    # indexes on projects_account at the end, which PostgreSQL refuses while trigger events are pending.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0004_user_language"),
        ("projects", "0007_country_choices"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="payee",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="members.membership",
                verbose_name="payee",
            ),
        ),
        migrations.AlterField(
            model_name="account",
            name="type",
            field=models.CharField(
                choices=projects.account_types.account_type_choices, max_length=30, verbose_name="type"
            ),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(
                condition=models.Q(("payee__isnull", False)),
                fields=("cooperative", "type", "payee"),
                name="account_one_per_type_and_payee",
            ),
        ),
        # Reversing leaves the moved balances where they are: they are posted entries, never deleted.
        migrations.RunPython(move_pooled_payables, migrations.RunPython.noop),
    ]
