
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0008_payee_accounts'),
        ('tenancy', '0001_initial'),
    ]

    operations = [
        # The tables stay where they are (members_cooperative, members_membership): only Django's picture
        # of which app owns the models changes (issue 7). Nothing is written to the database here.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='account',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='account',
                    name='payee',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.membership', verbose_name='payee'),
                ),
                migrations.AlterField(
                    model_name='client',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='collaboration',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='collaboration',
                    name='membership',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.membership', verbose_name='member'),
                ),
                migrations.AlterField(
                    model_name='document',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='expense',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='expense',
                    name='submitted_by',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.membership', verbose_name='submitted by'),
                ),
                migrations.AlterField(
                    model_name='journalentry',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='journalline',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='project',
                    name='advisor',
                    field=models.ForeignKey(blank=True, limit_choices_to={'role__in': ['advisor', 'admin']}, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='advised_projects', to='tenancy.membership', verbose_name='advisor'),
                ),
                migrations.AlterField(
                    model_name='project',
                    name='collaborators',
                    field=models.ManyToManyField(blank=True, related_name='collaborations', through='projects.Collaboration', to='tenancy.membership', verbose_name='collaborators'),
                ),
                migrations.AlterField(
                    model_name='project',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.AlterField(
                    model_name='project',
                    name='owner',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='owned_projects', to='tenancy.membership', verbose_name='owner'),
                ),
                migrations.AlterField(
                    model_name='projectstatuschange',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
            ],
            database_operations=[],
        ),
    ]
