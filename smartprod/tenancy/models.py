"""The tenancy kernel: the tenant (`Cooperative`) and a person's place in it (`Membership`: role, status).

Moved here from `members` with their tables and rows (issue 7) so that every app, the kernel included,
imports them from below. The user model stays in `members`; this module names it only through
`settings.AUTH_USER_MODEL`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smartprod.core import capabilities
from smartprod.core.models import CountryCodeField, TenantModel
from smartprod.core.validators import validate_bic, validate_iban, validate_vat_id


class Cooperative(models.Model):
    """The tenant. Everything a cooperative owns points here; no person of one sees another's rows."""

    class Language(models.TextChoices):
        GERMAN = "de", _("German")
        ENGLISH = "en", _("English")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    hosts = ArrayField(
        models.CharField(max_length=255),
        default=list,
        blank=True,
        help_text=_("Host names this cooperative answers on, e.g. at.smartprod.example"),
        verbose_name=_("host names"),
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    # Structured, as banks require in pain.001 from November 2026 (the cooperative is the debtor there).
    street = models.CharField(_("street"), max_length=70)
    building_number = models.CharField(_("building number"), max_length=16, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16)
    city = models.CharField(_("town"), max_length=35)
    country = CountryCodeField(_("country"), default="AT")
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # XRechnung BR-DE-2: the seller's contact (BT-41 name, BT-42 phone, BT-43 e-mail) — the name here,
    # phone and e-mail above.
    einvoice_contact_name = models.CharField(
        _("contact for e-invoices"),
        max_length=120,
        blank=True,
        help_text=_(
            "Person or department public clients can ask about an invoice (XRechnung seller contact)."
        ),
    )
    website = models.URLField(_("website"), blank=True)
    vat_id = models.CharField(_("VAT id (UID)"), max_length=20, validators=[validate_vat_id])
    register_number = models.CharField(_("company register number"), max_length=40, blank=True)
    register_court = models.CharField(_("register court"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, validators=[validate_bic])
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    logo = models.ImageField(_("logo"), upload_to="cooperatives/logos/", blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.GERMAN
    )
    contribution_rate = models.DecimalField(
        _("contribution rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("7.50"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    payout_guarantee_days = models.PositiveSmallIntegerField(
        _("payout guarantee period (working days)"),
        default=14,
        help_text=_(
            "Approved payouts are paid within this many working days (weekends and public holidays "
            "of the cooperative's country do not count)."
        ),
    )
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=14)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")
        db_table = "members_cooperative"  # the table it had in members: rows and ids kept (issue 7)
        ordering = ["name"]
        indexes = [GinIndex(fields=["hosts"], name="cooperative_hosts_gin")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contribution_rate__gte=0, contribution_rate__lte=100),
                name="cooperative_contribution_rate_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def street_line(self) -> str:
        """Street and building number as one line, for letters and documents."""
        return f"{self.street} {self.building_number}".strip()


class Membership(TenantModel):
    """A user's place in one cooperative: role, status and the member's personal data."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        ADVISOR = "advisor", _("Advisor")
        FINANCE = "finance", _("Finance")
        ADMIN = "admin", _("Administrator")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        ACTIVE = "active", _("Active")
        REJECTED = "rejected", _("Rejected")
        ENDED = "ended", _("Ended")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPLIED)
    member_number = models.PositiveIntegerField(_("member number"), null=True, blank=True)
    # Address, bank account, tax and social insurance numbers are payee data: payroll's PayeeProfile.
    country = CountryCodeField(_("country"), default="AT")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    advisor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="advised_members",
        verbose_name=_("advisor"),
        limit_choices_to={"role__in": ["advisor", "admin"]},
    )
    motivation = models.TextField(_("what do you do?"), blank=True)
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        db_table = "members_membership"  # the table it had in members: rows and ids kept (issue 7)
        ordering = ["cooperative", "member_number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "user"], name="membership_one_per_user"),
            models.UniqueConstraint(
                fields=["cooperative", "member_number"],
                name="membership_member_number_unique",
                condition=models.Q(member_number__isnull=False),
            ),
            models.CheckConstraint(
                condition=models.Q(status="applied")
                | models.Q(status="rejected")
                | models.Q(member_number__isnull=False),
                name="membership_active_has_number",
            ),
        ]

    def __str__(self) -> str:
        number = f"#{self.member_number} " if self.member_number else ""
        return f"{number}{self.user} ({self.get_role_display()})"

    @property
    def is_staff_role(self) -> bool:
        return capabilities.is_staff(self)
