"""The gapless number counters move from invoicing to the kernel (issue 7), rows and all.

State only here: the model is declared in `core`; invoicing's 0010_number_counter_to_core renames the
table it created (invoicing_numbercounter → core_numbercounter, column kind → series) and drops its own
declaration, so no row is lost or renumbered and the kernel's migrations need not depend on invoicing.
A later core migration changing this table depends on invoicing 0010.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_idempotency"),
        ("members", "0002_labels_de"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="NumberCounter",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("series", models.CharField(max_length=40, verbose_name="series")),
                        ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                        ("last_number", models.PositiveIntegerField(default=0, verbose_name="last number")),
                        (
                            "cooperative",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="members.cooperative",
                                verbose_name="cooperative",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "number counter",
                        "verbose_name_plural": "number counters",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("cooperative", "series", "year"), name="counter_once"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
