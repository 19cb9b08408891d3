
import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import smartprod.core.models
import smartprod.core.validators
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The tables were created by members' migrations; this one only takes them over.
        ('members', '0004_user_language'),
    ]

    operations = [
        # The tables stay where they are (members_cooperative, members_membership): only Django's picture
        # of which app owns the models changes (issue 7). Nothing is written to the database here.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Cooperative',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120, verbose_name='name')),
                        ('slug', models.SlugField(unique=True, verbose_name='slug')),
                        ('hosts', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=255), blank=True, default=list, help_text='Host names this cooperative answers on, e.g. at.smartprod.example', size=None, verbose_name='host names')),
                        ('legal_name', models.CharField(max_length=200, verbose_name='legal name')),
                        ('street', models.CharField(max_length=200, verbose_name='street')),
                        ('postcode', models.CharField(max_length=20, verbose_name='postcode')),
                        ('city', models.CharField(max_length=100, verbose_name='city')),
                        ('country', smartprod.core.models.CountryCodeField(default='AT', max_length=2, verbose_name='country')),
                        ('email', models.EmailField(blank=True, max_length=254, verbose_name='e-mail')),
                        ('phone', models.CharField(blank=True, max_length=40, verbose_name='phone')),
                        ('website', models.URLField(blank=True, verbose_name='website')),
                        ('vat_id', models.CharField(max_length=20, validators=[smartprod.core.validators.validate_vat_id], verbose_name='VAT id (UID)')),
                        ('register_number', models.CharField(blank=True, max_length=40, verbose_name='company register number')),
                        ('register_court', models.CharField(blank=True, max_length=100, verbose_name='register court')),
                        ('iban', models.CharField(max_length=34, validators=[smartprod.core.validators.validate_iban], verbose_name='IBAN')),
                        ('bic', models.CharField(max_length=11, validators=[smartprod.core.validators.validate_bic], verbose_name='BIC')),
                        ('bank_name', models.CharField(blank=True, max_length=100, verbose_name='bank')),
                        ('logo', models.ImageField(blank=True, upload_to='cooperatives/logos/', verbose_name='logo')),
                        ('currency', models.CharField(default='EUR', max_length=3, verbose_name='currency')),
                        ('language', models.CharField(choices=[('de', 'German'), ('en', 'English')], default='de', max_length=2, verbose_name='language')),
                        ('contribution_rate', models.DecimalField(decimal_places=2, default=Decimal('7.50'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='contribution rate (%)')),
                        ('payout_guarantee_days', models.PositiveSmallIntegerField(default=14, verbose_name='payout guarantee period (days)')),
                        ('payment_terms_days', models.PositiveSmallIntegerField(default=14, verbose_name='payment terms (days)')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                    ],
                    options={
                        'verbose_name': 'cooperative',
                        'verbose_name_plural': 'cooperatives',
                        'db_table': 'members_cooperative',
                        'ordering': ['name'],
                        'indexes': [django.contrib.postgres.indexes.GinIndex(fields=['hosts'], name='cooperative_hosts_gin')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('contribution_rate__gte', 0), ('contribution_rate__lte', 100)), name='cooperative_contribution_rate_0_100')],
                    },
                ),
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('member', 'Member'), ('advisor', 'Advisor'), ('finance', 'Finance'), ('admin', 'Administrator')], default='member', max_length=10, verbose_name='role')),
                        ('status', models.CharField(choices=[('applied', 'Applied'), ('active', 'Active'), ('rejected', 'Rejected'), ('ended', 'Ended')], default='applied', max_length=10, verbose_name='status')),
                        ('member_number', models.PositiveIntegerField(blank=True, null=True, verbose_name='member number')),
                        ('street', models.CharField(blank=True, max_length=200, verbose_name='street')),
                        ('postcode', models.CharField(blank=True, max_length=20, verbose_name='postcode')),
                        ('city', models.CharField(blank=True, max_length=100, verbose_name='city')),
                        ('country', smartprod.core.models.CountryCodeField(default='AT', max_length=2, verbose_name='country')),
                        ('phone', models.CharField(blank=True, max_length=40, verbose_name='phone')),
                        ('iban', models.CharField(blank=True, max_length=34, validators=[smartprod.core.validators.validate_iban], verbose_name='IBAN')),
                        ('tax_number', models.CharField(blank=True, max_length=40, verbose_name='tax number')),
                        ('social_insurance_number', models.CharField(blank=True, max_length=40, verbose_name='social insurance number')),
                        ('date_of_birth', models.DateField(blank=True, null=True, verbose_name='date of birth')),
                        ('motivation', models.TextField(blank=True, verbose_name='what do you do?')),
                        ('applied_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='applied at')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                        ('advisor', models.ForeignKey(blank=True, limit_choices_to={'role__in': ['advisor', 'admin']}, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='advised_members', to='tenancy.membership', verbose_name='advisor')),
                        ('cooperative', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.cooperative', verbose_name='cooperative')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='memberships', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                    ],
                    options={
                        'verbose_name': 'membership',
                        'verbose_name_plural': 'memberships',
                        'db_table': 'members_membership',
                        'ordering': ['cooperative', 'member_number', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('cooperative', 'user'), name='membership_one_per_user'), models.UniqueConstraint(condition=models.Q(('member_number__isnull', False)), fields=('cooperative', 'member_number'), name='membership_member_number_unique'), models.CheckConstraint(condition=models.Q(('status', 'applied'), ('status', 'rejected'), ('member_number__isnull', False), _connector='OR'), name='membership_active_has_number')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
