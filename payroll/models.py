"""Payroll and guaranteed payouts: payee profiles, fee notes, payout items and payout runs.

The money flow (DESIGN.md "Payroll and guaranteed payouts"): a payee's fee note (self-employed), salary
(employed, the payroll engine) or approved expense becomes a **payout item** with a guarantee deadline;
a **payout run** claims the items due, writes one SEPA pain.001 file, is marked sent and confirmed (by
hand, by the bank's camt.053 debit entries or a pain.002 status report). Every change of an item's status
is kept in `PayoutItemEvent`, so a rejected or returned transfer never vanishes.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from smartprod.core.models import CountryCodeField, DocumentState, TenantModel
from smartprod.core.validators import validate_bic, validate_iban
from smartprod.tenancy.models import Membership


class PayoutPolicy(TenantModel):
    """A cooperative's payout rules (one row per cooperative; the defaults apply while there is none)."""

    fee_approval_threshold = models.DecimalField(
        _("second approver above (fee notes, payout requests)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Empty: one approver is enough (four eyes off)."),
    )
    run_approval_threshold = models.DecimalField(
        _("second approver above (payout run total)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Empty: a run's file can be downloaded without a second person."),
    )
    run_horizon_working_days = models.PositiveSmallIntegerField(
        _("daily run claims deadlines up to (working days ahead)"), default=3
    )

    class Meta:
        verbose_name = _("payout policy")
        verbose_name_plural = _("payout policies")
        constraints = [
            models.UniqueConstraint(fields=["cooperative"], name="payout_policy_one_per_cooperative")
        ]

    def __str__(self) -> str:
        return str(self.cooperative)


class PayeeProfile(TenantModel):
    """What the cooperative needs to pay a person: bank account, structured address, tax and VAT status.

    Only the person, finance and admins see it. A changed IBAN blocks the payee's payouts until a finance
    person confirms it (`confirmed_iban`): the classic payroll-diversion fraud changes the account first.
    """

    class VatStatus(models.TextChoices):
        SMALL_BUSINESS = "small_business", _("Small business, VAT exempt")
        REGISTERED = "registered", _("VAT-registered")
        EU_REVERSE_CHARGE = "eu_reverse_charge", _("Business in another EU country (reverse charge)")

    membership = models.OneToOneField(
        Membership, on_delete=models.PROTECT, related_name="payee_profile", verbose_name=_("person")
    )
    account_holder = models.CharField(_("account holder"), max_length=70, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    confirmed_iban = models.CharField(_("confirmed IBAN"), max_length=34, blank=True, editable=False)
    iban_confirmed_at = models.DateTimeField(_("IBAN confirmed at"), null=True, blank=True, editable=False)
    iban_confirmed_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("IBAN confirmed by"),
    )
    street = models.CharField(_("street"), max_length=70, blank=True)
    building_number = models.CharField(_("building number"), max_length=16, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    town = models.CharField(_("town"), max_length=35, blank=True)
    country = CountryCodeField(_("country"), default="AT")
    address_needs_review = models.BooleanField(
        _("address needs completing"),
        default=False,
        help_text=_("Set when the address could not be split into street and building number automatically."),
    )
    vat_status = models.CharField(
        _("VAT status"), max_length=20, choices=VatStatus.choices, default=VatStatus.SMALL_BUSINESS
    )
    vat_id = models.CharField(_("VAT id (UID)"), max_length=20, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=40, blank=True)
    self_billing_accepted_on = models.DateField(
        _("self-billing agreement accepted on"), null=True, blank=True
    )
    social_insurance_number = models.CharField(_("social insurance number"), max_length=40, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payee profile")
        verbose_name_plural = _("payee profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "membership"], name="payee_profile_one_per_membership"
            )
        ]

    def __str__(self) -> str:
        return str(self.membership)

    @property
    def iban_blocked(self) -> bool:
        """No IBAN, or one nobody in finance has confirmed yet: no payout leaves for this payee."""
        return not self.iban or self.iban != self.confirmed_iban


class FeeNote(DocumentState, TenantModel):
    """A self-employed payee's fee (Honorarnote), issued by the cooperative on the payee's behalf.

    Self-billing (Gutschrift in the sense of § 11 Abs. 7 UStG): it needs the payee's prior agreement, is
    sent to the payee, and an objection by the payee reverses it. Numbered gaplessly when approved.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        OBJECTED = "objected", _("Objected by the payee")

    class VatTreatment(models.TextChoices):
        SMALL_BUSINESS = "small_business", _("Small business, no VAT")
        DOMESTIC = "domestic", _("VAT charged")
        REVERSE_CHARGE = "reverse_charge", _("Reverse charge")

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="fee_notes", verbose_name=_("project")
    )
    payee = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="fee_notes", verbose_name=_("payee")
    )
    number = models.CharField(_("number"), max_length=30, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    service_period_start = models.DateField(_("service from"))
    service_period_end = models.DateField(_("service until"))
    description = models.TextField(_("description"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    net_amount = models.DecimalField(_("net amount"), max_digits=12, decimal_places=2)
    vat_treatment = models.CharField(_("VAT treatment"), max_length=20, choices=VatTreatment.choices)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal(0))
    vat_amount = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2, default=Decimal(0))
    gross_amount = models.DecimalField(_("gross amount"), max_digits=12, decimal_places=2)
    report_109a = models.BooleanField(
        _("report under § 109a EStG"),
        default=False,
        help_text=_("Fees for activities the cooperative must report to the tax office (e.g. lecturers)."),
    )
    requested_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    first_approved_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first approval by"),
    )
    first_approved_at = models.DateTimeField(_("first approval at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    guarantee_deadline = models.DateField(_("guarantee deadline"), null=True, blank=True)
    journal_entry = models.OneToOneField(
        "projects.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("journal entry"),
    )
    # The document (kernel documents: render → store → send once → sweep).
    pdf = models.FileField(_("PDF"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("fee note")
        verbose_name_plural = _("fee notes")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "number"], condition=~Q(number=""), name="fee_note_number_unique"
            ),
            models.CheckConstraint(condition=Q(net_amount__gt=0), name="fee_note_net_positive"),
            models.CheckConstraint(
                condition=Q(gross_amount=models.F("net_amount") + models.F("vat_amount")),
                name="fee_note_gross_is_net_plus_vat",
            ),
            models.CheckConstraint(
                condition=Q(service_period_end__gte=models.F("service_period_start")),
                name="fee_note_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "rejected"]) | ~Q(number=""),
                name="fee_note_approved_has_number",
            ),
        ]
        indexes = [models.Index(fields=["cooperative", "status"], name="fee_note_coop_status")]

    def __str__(self) -> str:
        return self.number or _("Fee note request #%(id)s") % {"id": self.pk}


class PayoutItem(TenantModel):
    """One amount the cooperative owes a payee and pays in a run: a fee, a salary or an expense refund.

    `run` is the run currently holding the item (claimed, sent); the history of every attempt is in
    `PayoutRunItem` (one row per item and run, with the attempt's EndToEndId) and `PayoutItemEvent`.
    """

    class Kind(models.TextChoices):
        FEE = "fee", _("Fee")
        SALARY = "salary", _("Salary")
        EXPENSE = "expense", _("Expense reimbursement")

    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        IN_RUN = "in_run", _("In a payout run")
        SENT = "sent", _("Sent to the bank")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    payee = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="payout_items", verbose_name=_("payee")
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="payout_items", verbose_name=_("project")
    )
    fee_note = models.OneToOneField(
        FeeNote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout_item",
        verbose_name=_("fee note"),
    )
    expense = models.OneToOneField(
        "projects.Expense",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout_item",
        verbose_name=_("expense"),
    )
    payslip = models.OneToOneField(
        "Payslip",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout_item",
        verbose_name=_("payslip"),
    )
    description = models.CharField(_("description"), max_length=140)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPROVED)
    approved_at = models.DateTimeField(_("approved at"))
    guarantee_deadline = models.DateField(_("guarantee deadline"))
    run = models.ForeignKey(
        "PayoutRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("payout run"),
    )
    attempt_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    paid_at = models.DateField(_("paid on"), null=True, blank=True)
    last_alarm_on = models.DateField(_("last deadline alarm on"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payout item")
        verbose_name_plural = _("payout items")
        ordering = ["guarantee_deadline", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_item_amount_positive"),
            models.CheckConstraint(
                # A cancelled item (objected fee note) was cancelled while waiting for a run: it holds none.
                condition=Q(status__in=["approved", "cancelled"], run__isnull=True)
                | (~Q(status__in=["approved", "cancelled"]) & Q(run__isnull=False)),
                name="payout_item_run_matches_status",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="fee")
                    & Q(fee_note__isnull=False)
                    & Q(expense__isnull=True)
                    & Q(payslip__isnull=True)
                )
                | (
                    Q(kind="expense")
                    & Q(expense__isnull=False)
                    & Q(fee_note__isnull=True)
                    & Q(payslip__isnull=True)
                )
                | (
                    Q(kind="salary")
                    & Q(payslip__isnull=False)
                    & Q(fee_note__isnull=True)
                    & Q(expense__isnull=True)
                ),
                name="payout_item_source_matches_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["cooperative", "guarantee_deadline"],
                condition=Q(status="approved"),
                name="payout_item_due",
            ),
            models.Index(fields=["cooperative", "payee", "status"], name="payout_item_payee_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} — {self.payee}"


class PayoutItemEvent(TenantModel):
    """The history of a payout item: approved, claimed, sent, paid, rejected or returned (with the reason)."""

    item = models.ForeignKey(
        PayoutItem, on_delete=models.CASCADE, related_name="events", verbose_name=_("item")
    )
    from_status = models.CharField(_("from"), max_length=10, choices=PayoutItem.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=PayoutItem.Status.choices)
    run = models.ForeignKey(
        "PayoutRun", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("run")
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payout item event")
        verbose_name_plural = _("payout item events")
        ordering = ["item", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_status or '—'} → {self.to_status}"


class PayoutRun(TenantModel):
    """One batch of transfers: claims the due items, writes one pain.001 file, is sent and confirmed."""

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Waiting for a second approval")
        READY = "ready", _("Ready to download")
        SENT = "sent", _("Sent to the bank")
        CONFIRMED = "confirmed", _("Confirmed")

    number = models.CharField(_("number"), max_length=30)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    until = models.DateField(_("deadlines up to"))
    execution_date = models.DateField(_("requested execution date"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal(0))
    item_count = models.PositiveIntegerField(_("items"), default=0)
    message_id = models.CharField(_("message id"), max_length=35)
    started_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    sepa_xml = models.BinaryField(_("SEPA file"), blank=True, editable=False, default=b"")

    class Meta:
        verbose_name = _("payout run")
        verbose_name_plural = _("payout runs")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "number"], name="payout_run_number_unique"),
            models.UniqueConstraint(
                fields=["cooperative", "message_id"], name="payout_run_message_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class PayoutRunItem(TenantModel):
    """One attempt to pay an item in a run: the item ↔ run claim, with the attempt's own EndToEndId.

    An item is in at most one live attempt (the partial unique constraint): two runs at once, a retried task
    or a worker killed mid-run can never put it into two. A rejected or returned attempt stays here as history
    and the item may be claimed again, with a new EndToEndId.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        REJECTED = "rejected", _("Rejected by the bank")
        RETURNED = "returned", _("Returned by the bank")

    run = models.ForeignKey(
        PayoutRun, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("run")
    )
    item = models.ForeignKey(
        PayoutItem, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("item")
    )
    end_to_end_id = models.CharField(_("EndToEndId"), max_length=35)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    journal_entry = models.OneToOneField(
        "projects.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("journal entry"),
    )

    class Meta:
        verbose_name = _("payout attempt")
        verbose_name_plural = _("payout attempts")
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "item"], name="payout_run_item_once_per_run"),
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(outcome__in=["pending", "paid"]),
                name="payout_run_item_one_live_attempt",
            ),
            models.UniqueConstraint(
                fields=["cooperative", "end_to_end_id"], name="payout_run_item_e2e_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.end_to_end_id


# --- Payroll (employed payees) -------------------------------------------------------------------------
# Reference data (PayrollRules, CollectiveAgreement) is shared by every cooperative and edited only by
# platform operators; everything else is per cooperative.


class PayrollRules(models.Model):
    """A country's payroll rules for one calendar year: rates, thresholds, tax brackets — as data.

    `rules` holds the figures (decimal strings) in the shape `payroll.calc` reads; `source` says where each
    figure comes from (ÖGK "Beitragsrechtliche Werte", the BGBl, WKO …). A month without rules is refused.
    """

    country = CountryCodeField(_("country"))
    year = models.PositiveSmallIntegerField(_("year"))
    rules = models.JSONField(_("rules"))
    source = models.TextField(_("sources"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payroll rules")
        verbose_name_plural = _("payroll rules")
        ordering = ["country", "-year"]
        constraints = [models.UniqueConstraint(fields=["country", "year"], name="payroll_rules_country_year")]

    def __str__(self) -> str:
        return f"{self.country} {self.year}"


class CollectiveAgreement(models.Model):
    """A collective agreement (Kollektivvertrag): minimum monthly pay per salary group, 13th/14th salary.

    `minimum_pay` maps a salary group code to the minimum monthly gross for `full_time_hours` a week
    (part-time: pro rata). Reference data, like the payroll rules.
    """

    country = CountryCodeField(_("country"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    full_time_hours = models.DecimalField(_("full-time hours a week"), max_digits=4, decimal_places=1)
    minimum_pay = models.JSONField(_("minimum monthly pay per salary group"))
    special_payments = models.BooleanField(
        _("13th and 14th salary"), default=True, help_text=_("Paid with the June and November payroll.")
    )
    source = models.TextField(_("source"))

    class Meta:
        verbose_name = _("collective agreement")
        verbose_name_plural = _("collective agreements")
        ordering = ["country", "code", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["country", "code", "year"], name="collective_agreement_code_year")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year}"


class FederalState(models.TextChoices):
    """Austria's federal states (the employer's levy DZ differs by state; Vienna adds the U-Bahn levy)."""

    BURGENLAND = "Burgenland", "Burgenland"
    KAERNTEN = "Kärnten", "Kärnten"
    NIEDEROESTERREICH = "Niederösterreich", "Niederösterreich"
    OBEROESTERREICH = "Oberösterreich", "Oberösterreich"
    SALZBURG = "Salzburg", "Salzburg"
    STEIERMARK = "Steiermark", "Steiermark"
    TIROL = "Tirol", "Tirol"
    VORARLBERG = "Vorarlberg", "Vorarlberg"
    WIEN = "Wien", "Wien"


class PayrollSettings(TenantModel):
    """A cooperative's employer data: its state, collective agreement, payday and the accounts it pays to."""

    class Payday(models.TextChoices):
        LAST_WORKING_DAY = "last_working_day", _("Last working day of the month")
        LAST_DAY = "last_day", _("Last day of the month")

    federal_state = models.CharField(
        _("federal state"), max_length=20, choices=FederalState.choices, default=FederalState.WIEN
    )
    collective_agreement_code = models.SlugField(_("collective agreement"), max_length=40, blank=True)
    payday = models.CharField(
        _("payday"), max_length=20, choices=Payday.choices, default=Payday.LAST_WORKING_DAY
    )
    employer_account_number = models.CharField(
        _("employer account number at the health insurer"), max_length=20, blank=True
    )
    health_insurer_iban = models.CharField(
        _("health insurer IBAN"), max_length=34, blank=True, validators=[validate_iban]
    )
    health_insurer_bic = models.CharField(
        _("health insurer BIC"), max_length=11, blank=True, validators=[validate_bic]
    )
    health_insurer_reference = models.CharField(
        _("payment reference at the health insurer"), max_length=35, blank=True
    )
    tax_office_iban = models.CharField(
        _("tax office IBAN"), max_length=34, blank=True, validators=[validate_iban]
    )
    tax_office_bic = models.CharField(
        _("tax office BIC"), max_length=11, blank=True, validators=[validate_bic]
    )
    tax_office_reference = models.CharField(_("tax number at the tax office"), max_length=35, blank=True)

    class Meta:
        verbose_name = _("payroll settings")
        verbose_name_plural = _("payroll settings")
        constraints = [
            models.UniqueConstraint(fields=["cooperative"], name="payroll_settings_one_per_cooperative")
        ]

    def __str__(self) -> str:
        return str(self.cooperative)


class Municipality(TenantModel):
    """A municipality the cooperative owes Kommunalsteuer to, with its account (per cooperative)."""

    name = models.CharField(_("municipality"), max_length=100)
    federal_state = models.CharField(_("federal state"), max_length=20, choices=FederalState.choices)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    payment_reference = models.CharField(_("payment reference"), max_length=35, blank=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "name"], name="municipality_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Employment(TenantModel):
    """A payee employed by the cooperative on one project for a period (short contracts are the norm).

    Created by an advisor or finance person (that is the approval); it must start after the day it is
    created — the cooperative registers the person with the health insurer before work starts.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="employments", verbose_name=_("project")
    )
    payee = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="employments", verbose_name=_("employee")
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    weekly_hours = models.DecimalField(
        _("hours a week"), max_digits=4, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )
    occupation = models.CharField(_("occupation"), max_length=100)
    salary_group = models.CharField(_("salary group"), max_length=40, blank=True)
    municipality = models.CharField(_("municipality"), max_length=100)
    federal_state = models.CharField(_("federal state"), max_length=20, choices=FederalState.choices)
    has_other_employments = models.BooleanField(_("has other employments"), default=False)
    created_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("approved by")
    )
    created_at = models.DateTimeField(_("approved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        ordering = ["-start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="employment_end_after_start")
        ]
        indexes = [models.Index(fields=["cooperative", "payee", "start"], name="employment_payee_start")]

    def __str__(self) -> str:
        return f"{self.payee} — {self.occupation} ({self.start} – {self.end})"


class Salary(TenantModel):
    """A salary a member requested for one month of an employment; approved at once when the budget holds.

    `month` is the first day of the month. The figures are the computation at approval time (the payslip
    computes again with the year-to-date figures; the budget check uses `employer_cost_total`).
    """

    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        IN_PAYSLIP = "in_payslip", _("In a payslip")
        CANCELLED = "cancelled", _("Cancelled")

    employment = models.ForeignKey(
        Employment, on_delete=models.PROTECT, related_name="salaries", verbose_name=_("employment")
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="salaries", verbose_name=_("project")
    )
    payee = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="salaries", verbose_name=_("employee")
    )
    month = models.DateField(_("month"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    gross = models.DecimalField(_("gross"), max_digits=12, decimal_places=2)
    employee_social_insurance = models.DecimalField(
        _("employee social insurance"), max_digits=12, decimal_places=2
    )
    wage_tax = models.DecimalField(_("wage tax"), max_digits=12, decimal_places=2)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    employer_cost_total = models.DecimalField(_("total employer cost"), max_digits=12, decimal_places=2)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.APPROVED)
    requested_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    approved_at = models.DateTimeField(_("approved at"))

    class Meta:
        verbose_name = _("salary")
        verbose_name_plural = _("salaries")
        ordering = ["-month", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(gross__gt=0), name="salary_gross_positive"),
            models.CheckConstraint(condition=Q(month__day=1), name="salary_month_first_day"),
            models.UniqueConstraint(
                fields=["employment", "month"],
                condition=~Q(status="cancelled"),
                name="salary_once_per_employment_month",
            ),
        ]
        indexes = [models.Index(fields=["cooperative", "month", "status"], name="salary_month_status")]

    def __str__(self) -> str:
        return f"{self.payee} {self.month:%Y-%m} {self.gross} {self.currency}"


class PayrollRun(TenantModel):
    """Finance ran the payroll for a month: the payslips it created (a re-run creates only what is new)."""

    month = models.DateField(_("month"))
    created_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("run by")
    )
    created_at = models.DateTimeField(_("run at"), auto_now_add=True)
    payslip_count = models.PositiveIntegerField(_("payslips"), default=0)
    employer_cost_total = models.DecimalField(
        _("total employer cost"), max_digits=14, decimal_places=2, default=Decimal(0)
    )

    class Meta:
        verbose_name = _("payroll run")
        verbose_name_plural = _("payroll runs")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(month__day=1), name="payroll_run_month_first_day")]

    def __str__(self) -> str:
        return (
            f"{self.month:%Y-%m} ({self.created_at:%Y-%m-%d %H:%M})"
            if self.created_at
            else f"{self.month:%Y-%m}"
        )


class Payslip(DocumentState, TenantModel):
    """One employee's pay for one month of an employment: the figures of `payroll.calc` at the run, frozen.

    Once only per employment and month (a re-run finds it: "exists"). A correction is a **reversal** payslip
    (`kind` reversal, `reverses` the original, every amount negated) with the reversed ledger entry — never
    an edit. Amounts of a regular payslip are positive; `lines` keep every line of the computation.
    """

    class Kind(models.TextChoices):
        REGULAR = "regular", _("Payslip")
        REVERSAL = "reversal", _("Reversal")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    salary = models.OneToOneField(
        Salary,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payslip",
        verbose_name=_("salary"),
    )
    employment = models.ForeignKey(
        Employment, on_delete=models.PROTECT, related_name="payslips", verbose_name=_("employment")
    )
    payee = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="payslips", verbose_name=_("employee")
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="payslips", verbose_name=_("project")
    )
    month = models.DateField(_("month"))
    run = models.ForeignKey(
        PayrollRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payslips",
        verbose_name=_("run"),
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    payroll_days = models.PositiveSmallIntegerField(_("payroll days"), default=30)
    gross = models.DecimalField(_("gross"), max_digits=12, decimal_places=2)
    special_gross = models.DecimalField(
        _("13th/14th salary"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    employee_social_insurance = models.DecimalField(
        _("employee social insurance"), max_digits=12, decimal_places=2
    )
    wage_tax = models.DecimalField(_("wage tax"), max_digits=12, decimal_places=2)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    employer_social_insurance = models.DecimalField(
        _("employer social insurance"), max_digits=12, decimal_places=2
    )
    levy_db = models.DecimalField("DB", max_digits=12, decimal_places=2, default=Decimal(0))
    levy_dz = models.DecimalField("DZ", max_digits=12, decimal_places=2, default=Decimal(0))
    levy_kommunalsteuer = models.DecimalField(
        _("municipal tax"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    levy_bv = models.DecimalField(
        _("employee provision fund (BV)"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    levy_ubahn = models.DecimalField(
        _("Vienna employer levy (U-Bahn)"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    special_accrual = models.DecimalField(
        _("accrued 13th/14th salary"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    special_cost = models.DecimalField(
        _("cost of the 13th/14th salary paid"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    employer_cost_total = models.DecimalField(_("total employer cost"), max_digits=12, decimal_places=2)
    marginal = models.BooleanField(_("marginal employment"), default=False)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    federal_state = models.CharField(
        _("federal state"), max_length=20, choices=FederalState.choices, blank=True
    )
    lines = models.JSONField(_("lines"), default=list)
    year_to_date = models.JSONField(_("year to date"), default=dict)
    journal_entry = models.OneToOneField(
        "projects.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("journal entry"),
    )
    created_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Set once, when a reversal payslip cancels this one (its figures never change).
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True, editable=False)
    # The document (kernel documents: render → store → send once → sweep).
    pdf = models.FileField(_("PDF"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("payslip")
        verbose_name_plural = _("payslips")
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["employment", "month"],
                condition=Q(kind="regular", reversed_at__isnull=True),
                name="payslip_once_per_employment_month",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="payslip_month_first_day"),
            models.CheckConstraint(
                condition=(Q(kind="regular") & Q(reverses__isnull=True) & Q(salary__isnull=False))
                | (Q(kind="reversal") & Q(reverses__isnull=False) & Q(salary__isnull=True)),
                name="payslip_kind_matches_source",
            ),
        ]
        indexes = [
            models.Index(fields=["cooperative", "month"], name="payslip_coop_month"),
            models.Index(fields=["cooperative", "payee", "month"], name="payslip_coop_payee_month"),
        ]

    def __str__(self) -> str:
        label = _("Payslip") if self.kind == self.Kind.REGULAR else _("Reversal")
        return f"{label} {self.month:%Y-%m} — {self.payee}"

    @property
    def levies_total(self) -> Decimal:
        return self.levy_db + self.levy_dz + self.levy_kommunalsteuer + self.levy_bv + self.levy_ubahn


class EmployerLiability(TenantModel):
    """What the employer owes one creditor from one payroll run (or one reversal): the health insurer (ÖGK:
    social insurance + BV), the tax office (wage tax, DB, DZ) or a municipality (Kommunalsteuer; Vienna:
    + U-Bahn levy). Due the 15th of the following month; paid by a payout run (`payout_run`, set once,
    under a row lock), booked when that run is confirmed. A reversal's liability is negative and nets
    with the others of the creditor in the next run.
    """

    class Creditor(models.TextChoices):
        HEALTH_INSURER = "health_insurer", _("Health insurer (ÖGK)")
        TAX_OFFICE = "tax_office", _("Tax office")
        MUNICIPALITY = "municipality", _("Municipality")

    month = models.DateField(_("month"))
    creditor = models.CharField(_("creditor"), max_length=20, choices=Creditor.choices)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    payroll_run = models.ForeignKey(
        PayrollRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="liabilities",
        verbose_name=_("payroll run"),
    )
    reversal = models.ForeignKey(
        Payslip,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reversal"),
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    # Per ledger account type: how much of `amount` clears which payable account when paid.
    accounts = models.JSONField(_("per account"), default=dict)
    due_date = models.DateField(_("due on"))
    payout_run = models.ForeignKey(
        PayoutRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="liabilities",
        verbose_name=_("payout run"),
    )
    end_to_end_id = models.CharField(_("EndToEndId"), max_length=35, blank=True)
    paid_at = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        verbose_name = _("employer liability")
        verbose_name_plural = _("employer liabilities")
        ordering = ["-month", "creditor", "municipality", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payroll_run", "creditor", "municipality"],
                condition=Q(payroll_run__isnull=False),
                name="employer_liability_once_per_run",
            ),
            models.UniqueConstraint(
                fields=["reversal", "creditor", "municipality"],
                condition=Q(reversal__isnull=False),
                name="employer_liability_once_per_reversal",
            ),
            models.CheckConstraint(
                condition=Q(payroll_run__isnull=False) | Q(reversal__isnull=False),
                name="employer_liability_has_source",
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True) | Q(payout_run__isnull=False),
                name="employer_liability_paid_in_run",
            ),
        ]
        indexes = [models.Index(fields=["cooperative", "month"], name="employer_liability_month")]

    def __str__(self) -> str:
        who = (
            self.municipality if self.creditor == self.Creditor.MUNICIPALITY else self.get_creditor_display()
        )
        return f"{self.month:%Y-%m} {who} {self.amount}"
