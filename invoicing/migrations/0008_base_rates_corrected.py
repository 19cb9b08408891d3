"""The Austrian base rate table rebuilt from the OeNB's published series (invoicing/reference_data.py).

Deletes the six rows that were derived as "ECB MRO − 0.62" on dates when the base rate did not change
(2023-05-10, 2023-08-02, 2024-06-12, 2024-10-23, 2025-02-05, 2025-04-23) and sets every other row to the
published value. Dunning notices are not touched: interest claimed in letters already created stays as it
was claimed.
"""

from django.db import migrations


def correct(apps, schema_editor):
    from invoicing.reference_data import correct_base_rates

    correct_base_rates(apps.get_model("invoicing", "BaseRate"))


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0007_dunning_notice_fee_detail")]

    operations = [migrations.RunPython(correct, migrations.RunPython.noop)]
