from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.validators import validate_bic, validate_iban, validate_vat_id
from smartprod.core import capabilities
from smartprod.core.models import CountryCodeField, TenantModel


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
    street = models.CharField(_("street"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = CountryCodeField(_("country"), default="AT")
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
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
    payout_guarantee_days = models.PositiveSmallIntegerField(_("payout guarantee period (days)"), default=14)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=14)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")
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


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("Users log in with their e-mail address; it is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with the e-mail address; acts in a cooperative only through a Membership."""

    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("platform staff"),
        default=False,
        help_text=_("Platform operators only; cooperative staff act through roles."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # The person's language for e-mails and notifications; empty: the cooperative's language.
    language = models.CharField(_("language"), max_length=2, blank=True, choices=Cooperative.Language.choices)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


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
        User, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPLIED)
    member_number = models.PositiveIntegerField(_("member number"), null=True, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryCodeField(_("country"), default="AT")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    tax_number = models.CharField(_("tax number"), max_length=40, blank=True)
    social_insurance_number = models.CharField(_("social insurance number"), max_length=40, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
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
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
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


class Invitation(TenantModel):
    """Staff invite a person by e-mail; the link lets them join with the given role."""

    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=10, choices=Membership.Role.choices, default="member")
    token = models.CharField(_("token"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("accepted by")
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"
