"""The gapless number counters now belong to the kernel (core 0006_number_counter), rows and all.

The table is renamed, not copied: every cooperative's invoice and credit-note series continue where
they stand (the next invoice of 2026 follows the last one). The series column widens for names such as
"payout_run" and "fee_note".
"""

from django.db import migrations

FORWARD = """
ALTER TABLE invoicing_numbercounter RENAME TO core_numbercounter;
ALTER TABLE core_numbercounter RENAME COLUMN kind TO series;
ALTER TABLE core_numbercounter ALTER COLUMN series TYPE varchar(40);
"""

BACKWARD = """
ALTER TABLE core_numbercounter ALTER COLUMN series TYPE varchar(12);
ALTER TABLE core_numbercounter RENAME COLUMN series TO kind;
ALTER TABLE core_numbercounter RENAME TO invoicing_numbercounter;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0009_vat_treatments"),
        ("core", "0006_number_counter"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="NumberCounter")],
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
        ),
    ]
