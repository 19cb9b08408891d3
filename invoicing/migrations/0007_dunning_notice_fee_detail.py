"""Dunning notices list each letter's reminder fee (fee_detail); the default letter texts get placeholders
for the salutation ({salutation}) and for what the total consists of ({composition}).

Stored texts of existing dunning levels are changed only where they still contain the old default
wording (a cooperative's own texts stay as they are).
"""

from django.db import migrations, models


# (old default wording, its replacement) — frozen here: the texts in invoicing/dunning.py move on.
REPLACEMENTS = [
    ("Sehr geehrte Damen und Herren,\n", "{salutation}\n"),
    ("Dear Sir or Madam,\n", "{salutation}\n"),
    (
        "Für diese Mahnung berechnen wir eine Mahngebühr von {fee}. Wir ersuchen Sie",
        "{composition} Wir ersuchen Sie",
    ),
    ("We charge a reminder fee of {fee} for this notice. Please transfer", "{composition} Please transfer"),
    (
        "Der Betrag umfasst den offenen Rechnungsbetrag, die Mahngebühr, die gesetzlichen Verzugszinsen und "
        "gegebenenfalls Pauschalen; die Aufstellung finden Sie unten.",
        "{composition}",
    ),
    (
        "The total consists of the open invoice amount, the reminder fee, statutory default interest and, "
        "where applicable, flat-rate recovery costs; please see the statement below.",
        "{composition}",
    ),
]


def use_placeholders(apps, schema_editor):
    DunningLevel = apps.get_model("invoicing", "DunningLevel")
    manager = DunningLevel.objects
    # Every cooperative's levels: the explicit cross-tenant escape hatch of the tenant manager.
    levels = manager.all_cooperatives() if hasattr(manager, "all_cooperatives") else manager.all()
    for level in levels:
        changed = False
        for field in ("text_de", "text_en"):
            text = getattr(level, field)
            for old, new in REPLACEMENTS:
                if old in text:
                    text = text.replace(old, new, 1)
                    changed = True
            setattr(level, field, text)
        if changed:
            level.save(update_fields=["text_de", "text_en"])


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0006_bank_returns"),
    ]

    operations = [
        migrations.RunPython(use_placeholders, migrations.RunPython.noop),
        migrations.AddField(
            model_name="dunningnotice",
            name="fee_detail",
            field=models.JSONField(blank=True, default=list, verbose_name="reminder fees"),
        ),
    ]
