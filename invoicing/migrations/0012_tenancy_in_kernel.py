
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('invoicing', '0011_bank_entry_booked_elsewhere'),
        ('tenancy', '0001_initial'),
    ]

    operations = [
        # The tables stay where they are (members_cooperative, members_membership): only Django's picture
        # of which app owns the models changes (issue 7). Nothing is written to the database here.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='bankentry',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='bankstatement',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='dunninglevel',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='dunningnotice',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='exemptionnote',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='invoice',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='invoiceline',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='invoicingsettings',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='payment',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='writeoff',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
            ],
            database_operations=[],
        ),
    ]
