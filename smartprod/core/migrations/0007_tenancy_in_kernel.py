
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_number_counter'),
        ('tenancy', '0001_initial'),
    ]

    operations = [
        # The tables stay where they are (members_cooperative, members_membership): only Django's picture
        # of which app owns the models changes (issue 7). Nothing is written to the database here.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='auditevent',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='idempotencyrecord',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='notification',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='numbercounter',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
            ],
            database_operations=[],
        ),
    ]
