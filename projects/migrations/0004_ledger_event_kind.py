"""Ledger lines name their business event and document (invoice number, …): the text is rendered in the
reader's language. Posted lines are immutable, so lines from before keep their stored description."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0003_labels_de'),
    ]

    operations = [
        migrations.AddField(
            model_name='journalline',
            name='event',
            field=models.CharField(blank=True, choices=[('', '(not recorded)'), ('invoice', 'Invoice'), ('credit_note', 'Credit note'), ('payment', 'Payment'), ('write_off', 'Write-off'), ('vat_correction', 'VAT correction'), ('expense', 'Expense')], default='', max_length=20, verbose_name='event'),
        ),
        migrations.AddField(
            model_name='journalline',
            name='reference',
            field=models.CharField(blank=True, max_length=200, verbose_name='reference'),
        ),
    ]
