"""Per client: were reminder fees agreed (consumers owe them only then)? Off by default."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0004_ledger_event_kind'),
    ]

    operations = [
        migrations.AddField(
            model_name='client',
            name='reminder_fees_agreed',
            field=models.BooleanField(default=False, help_text='Consumers only: the contract says that reminder fees are charged.', verbose_name='reminder fees agreed'),
        ),
    ]
