"""Store a hash of each journal entry's lines, so a replayed idempotency key with other lines is refused.

Existing entries are backfilled from their lines. Posted entries are immutable (trigger
journalentry_immutable, migration 0002), so the trigger is switched off for the backfill only, inside
this migration's transaction.
"""

import hashlib
from decimal import Decimal

from django.db import migrations, models


def _lines_hash(lines):
    # Frozen copy of projects.ledger.lines_hash: "account:D|C:amount" rows, sorted, sha256.
    rows = sorted(
        f"{account_id}:D:{Decimal(debit).quantize(Decimal('0.01'))}"
        if debit
        else f"{account_id}:C:{Decimal(credit).quantize(Decimal('0.01'))}"
        for account_id, debit, credit in lines
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def backfill(apps, schema_editor):
    JournalLine = apps.get_model("projects", "JournalLine")
    lines: dict[int, list[tuple[int, Decimal, Decimal]]] = {}
    rows = JournalLine.objects.order_by().values_list("entry_id", "account_id", "debit", "credit")
    for entry_id, account_id, debit, credit in rows.iterator(chunk_size=5000):
        lines.setdefault(entry_id, []).append((account_id, debit, credit))
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE projects_journalentry SET lines_hash = %s WHERE id = %s",
            [(_lines_hash(entry_lines), entry_id) for entry_id, entry_lines in lines.items()],
        )


class Migration(migrations.Migration):
    dependencies = [("projects", "0005_client_reminder_fees_agreed")]

    operations = [
        migrations.AddField(
            model_name="journalentry",
            name="lines_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="lines hash"),
            preserve_default=False,
        ),
        migrations.RunSQL(
            "ALTER TABLE projects_journalentry DISABLE TRIGGER journalentry_immutable",
            "ALTER TABLE projects_journalentry ENABLE TRIGGER journalentry_immutable",
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunSQL(
            "ALTER TABLE projects_journalentry ENABLE TRIGGER journalentry_immutable",
            "ALTER TABLE projects_journalentry DISABLE TRIGGER journalentry_immutable",
        ),
    ]
