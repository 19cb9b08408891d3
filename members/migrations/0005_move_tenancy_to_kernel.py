"""Cooperative and Membership move to the tenancy kernel (smartprod.tenancy) with their tables and rows."""

import django.db.models.deletion
from django.db import migrations, models


MOVED = ("cooperative", "membership")


def _relabel(apps, schema_editor, old, new):
    """Content types follow the models, so permissions and admin log entries keep pointing at them."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        # A content type created for the new label (e.g. by a run that only had the new code) yields to the
        # old row, which permissions and log entries already reference.
        old_row = ContentType.objects.using(db).filter(app_label=old, model=model).first()
        if old_row is None:
            continue
        ContentType.objects.using(db).filter(app_label=new, model=model).delete()
        old_row.app_label = new
        old_row.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, "members", "tenancy")


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, "tenancy", "members")


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0007_tenancy_in_kernel'),
        ('invoicing', '0012_tenancy_in_kernel'),
        ('members', '0004_user_language'),
        ('projects', '0009_tenancy_in_kernel'),
        ('tenancy', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        # The tables stay where they are (members_cooperative, members_membership): only Django's picture
        # of which app owns the models changes (issue 7). Nothing is written to the database here.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='membership',
                    name='cooperative',
                ),
                migrations.AlterField(
                    model_name='invitation',
                    name='cooperative',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative'),
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='advisor',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='decided_by',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='Cooperative',
                ),
                migrations.DeleteModel(
                    name='Membership',
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
