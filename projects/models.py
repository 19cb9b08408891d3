from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from projects.account_types import account_type_choices
from smartprod.core.models import CountryCodeField, TenantModel, money_field
from smartprod.core.validators import validate_vat_id
from smartprod.tenancy.models import Membership


class Client(TenantModel):
    """A client (Auftraggeber*in) the cooperative contracts with; shared by the cooperative's projects."""

    class Kind(models.TextChoices):
        BUSINESS = "business", _("Business")
        CONSUMER = "consumer", _("Consumer")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BUSINESS)
    street = models.CharField(_("street"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = CountryCodeField(_("country"), default="AT")
    email = models.EmailField(_("e-mail"), blank=True)
    vat_id = models.CharField(_("VAT id (UID)"), max_length=20, blank=True, validators=[validate_vat_id])
    order_reference = models.CharField(_("order reference"), max_length=100, blank=True)
    buyer_reference = models.CharField(
        _("buyer reference"),
        max_length=100,
        blank=True,
        help_text=_("Public clients (Leitweg-ID, Auftragsreferenz) reject e-invoices without it."),
    )
    # Public bodies take structured e-invoices only: Austrian federal bodies through e-rechnung.gv.at
    # (ebInterface, with the order reference and the supplier number they assigned; § 5 IKT-Konsolidierungs-
    # gesetz), German ones XRechnung with the Leitweg-ID as buyer reference (§ 5 E-Rechnungsverordnung).
    # See invoicing/public_sector.py for the sources.
    public_sector = models.BooleanField(
        _("public sector"),
        default=False,
        help_text=_(
            "A public body: Austrian clients get ebInterface (upload to e-rechnung.gv.at), German clients "
            "XRechnung."
        ),
    )
    supplier_number = models.CharField(
        _("supplier number"),
        max_length=35,
        blank=True,
        help_text=_(
            "The number the public body assigned to the cooperative as its supplier (Lieferantennummer)."
        ),
    )
    # A consumer owes reminder fees (Mahnspesen) only when the contract agreed them; otherwise only actual
    # costs such as postage (derstandard.at 2000082377406 citing ASB Schuldnerberatung; zpo.at "Welche
    # Mahngebühren sind zulässig?"), and agreed costs must stay proportionate to the claim (§ 1333 (2) ABGB).
    # Off unless set. Businesses are covered by the € 40 flat fee of § 458 UGB instead.
    reminder_fees_agreed = models.BooleanField(
        _("reminder fees agreed"),
        default=False,
        help_text=_("Consumers only: the contract says that reminder fees are charged."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def address_lines(self) -> list[str]:
        return [self.street, f"{self.postcode} {self.city}", self.country]


class Employment(models.TextChoices):
    """How a person is paid from a project: employed by the cooperative (payroll) or self-employed (fees)."""

    EMPLOYED = "employed", _("Employed by the cooperative")
    SELF_EMPLOYED = "self_employed", _("Self-employed")


class Project(TenantModel):
    """A client contract (Auftrag) a member brings into the cooperative."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CLOSED = "closed", _("Closed")

    class VatTreatment(models.TextChoices):
        STANDARD = "standard", _("Standard rate")
        REDUCED = "reduced", _("Reduced rate")
        REVERSE_CHARGE = "reverse_charge", _("Reverse charge")
        EXEMPT = "exempt", _("Exempt")

    owner = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="owned_projects", verbose_name=_("owner")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="projects", verbose_name=_("client")
    )
    owner_employment = models.CharField(
        _("owner's employment"),
        max_length=15,
        choices=Employment.choices,
        default=Employment.SELF_EMPLOYED,
        help_text=_("How the owner is paid from this project: employed by the cooperative or self-employed."),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    service_period_start = models.DateField(_("service from"))
    service_period_end = models.DateField(_("service until"))
    agreed_net_amount = money_field(_("agreed net amount"), validators=[MinValueValidator(Decimal("0.00"))])
    vat_treatment = models.CharField(
        _("VAT treatment"), max_length=20, choices=VatTreatment.choices, default=VatTreatment.STANDARD
    )
    exemption_text = models.CharField(_("legal text for the exemption"), max_length=300, blank=True)
    advisor = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="advised_projects",
        verbose_name=_("advisor"),
        limit_choices_to={"role__in": ["advisor", "admin"]},
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    collaborators = models.ManyToManyField(
        Membership,
        through="Collaboration",
        related_name="collaborations",
        blank=True,
        verbose_name=_("collaborators"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["cooperative", "status"]),
            # The lists' order (newest first): a page reads its rows along it and stops (issue 12).
            models.Index(fields=["cooperative", "-created_at", "-id"], name="project_newest_first"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(agreed_net_amount__gte=0), name="project_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(service_period_end__gte=F("service_period_start")), name="project_period_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(vat_treatment="exempt") | ~Q(exemption_text=""), name="project_exempt_has_text"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.CHANGES_REQUESTED)


class Collaboration(TenantModel):
    Employment = Employment

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="collaborations", verbose_name=_("project")
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    employment = models.CharField(_("employment"), max_length=15, choices=Employment.choices)

    class Meta:
        verbose_name = _("collaborator")
        verbose_name_plural = _("collaborators")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "project", "membership"], name="collaboration_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} ({self.get_employment_display()})"


class ProjectStatusChange(TenantModel):
    """The review history: who moved the project from which status to which, when, and why."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="history", verbose_name=_("project")
    )
    from_status = models.CharField(
        _("from status"), max_length=20, choices=Project.Status.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=20, choices=Project.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return (
            f"{self.get_from_status_display() if self.from_status else '∅'} → {self.get_to_status_display()}"
        )


def document_path(instance: Document, filename: str) -> str:
    # Never trust the uploaded name for the path; keep only a sniffed extension.
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"coop-{instance.cooperative_id}/projects/{instance.project_id}/{uuid.uuid4().hex}{suffix}"


class Document(TenantModel):
    class Kind(models.TextChoices):
        CONTRACT = "contract", _("Contract")
        RECEIPT = "receipt", _("Receipt")
        OTHER = "other", _("Other")

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="documents", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(_("file"), upload_to=document_path, max_length=300)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


class Expense(TenantModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="expenses", verbose_name=_("project")
    )
    submitted_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    amount = money_field(_("amount (incl. VAT)"))
    vat_amount = money_field(_("of which VAT"), default=Decimal("0.00"))
    vat_deductible = models.BooleanField(
        _("VAT deducted as input VAT"),
        default=False,
        help_text=_("Set by finance on approval: the budget carries the amount without the VAT."),
    )
    receipt_addressed_to_cooperative = models.BooleanField(
        _("receipt addressed to the cooperative"), default=False
    )
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=300)
    receipt = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("receipt")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    journal_entry = models.OneToOneField(
        "projects.JournalEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("journal entry"),
    )

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive"),
            models.CheckConstraint(
                condition=Q(vat_amount__gte=0) & Q(vat_amount__lte=F("amount")),
                name="expense_vat_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.amount})"


# --- The double-entry ledger ------------------------------------------------------------------------


class Account(TenantModel):
    """An account of the cooperative's ledger. Balance = debits − credits (negative: a credit balance)."""

    class Type(models.TextChoices):
        """The ledger's own types, named for its code. The column is not limited to them: apps register
        more in `projects.account_types` (the field's choices come from there, no migration needed)."""

        BANK = "bank", _("Bank")
        RECEIVABLE = "receivable", _("Receivables")
        VAT_PAYABLE = "vat_payable", _("VAT payable")
        CONTRIBUTION_INCOME = "contribution_income", _("Contribution income")
        GUARANTEE_FUND = "guarantee_fund", _("Guarantee fund (defaults)")
        PAYOUTS_PAYABLE = "payouts_payable", _("Payouts payable")
        WAGE_TAX_PAYABLE = "wage_tax_payable", _("Wage tax payable")
        SOCIAL_INSURANCE_PAYABLE = "social_insurance_payable", _("Social insurance payable")
        DUNNING_INCOME = "dunning_income", _("Dunning fees and interest")
        PROJECT_BUDGET = "project_budget", _("Project budget")

    type = models.CharField(_("type"), max_length=30, choices=account_type_choices)
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    project = models.OneToOneField(
        Project,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="budget_account",
        verbose_name=_("project"),
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("client")
    )
    # A payee's sub-account (payouts payable per membership), as receivables are kept per client.
    payee = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("payee")
    )

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "code"], name="account_code_unique"),
            models.CheckConstraint(
                condition=(Q(type="project_budget") & Q(project__isnull=False))
                | (~Q(type="project_budget") & Q(project__isnull=True)),
                name="account_budget_has_project",
            ),
            models.UniqueConstraint(
                fields=["cooperative", "client"],
                condition=Q(type="receivable"),
                name="account_one_receivable_per_client",
            ),
            models.UniqueConstraint(
                fields=["cooperative", "type", "payee"],
                condition=Q(payee__isnull=False),
                name="account_one_per_type_and_payee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class JournalEntry(TenantModel):
    """A balanced, immutable posting of one business event. Mistakes are reversed, never edited."""

    idempotency_key = models.CharField(_("idempotency key"), max_length=120)
    # sha256 of the lines (account, side, amount; sorted): a replay of the key must bring the same lines.
    lines_hash = models.CharField(_("lines hash"), max_length=64, editable=False)
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=300)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    source_type = models.CharField(_("source type"), max_length=80, blank=True)
    source_id = models.CharField(_("source ID"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "idempotency_key"], name="journal_entry_idempotent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.description}"


class JournalLine(TenantModel):
    class Kind(models.TextChoices):
        INCOME = "income", _("Income")
        CONTRIBUTION = "contribution", _("Contribution")
        EXPENSE = "expense", _("Expense")
        FEE = "fee", _("Fee")
        SALARY = "salary", _("Salary")
        CORRECTION = "correction", _("Correction")
        OTHER = "other", _("Other")

    class Event(models.TextChoices):
        """The business event a line belongs to; with `reference` its text is rendered in the reader's
        language (see `journal_line_text`). Lines posted before events existed have only `description`."""

        NONE = "", _("(not recorded)")
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")
        PAYMENT = "payment", _("Payment")
        WRITE_OFF = "write_off", _("Write-off")
        VAT_CORRECTION = "vat_correction", _("VAT correction")
        EXPENSE = "expense", _("Expense")
        FEE_NOTE = "fee_note", _("Fee note")

    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, related_name="lines", verbose_name=_("journal entry")
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="lines", verbose_name=_("account")
    )
    debit = money_field(_("debit"), default=Decimal("0.00"))
    credit = money_field(_("credit"), default=Decimal("0.00"))
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices, default=Kind.OTHER)
    event = models.CharField(_("event"), max_length=20, choices=Event.choices, default="", blank=True)
    # The document the event concerns: an invoice or credit note number, an expense's own description.
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    # Kept as posted (English machine text) for lines without an event and for the backend.
    description = models.CharField(_("description"), max_length=300, blank=True)
    # Analysis dimension: which project a line concerns (receivables, budget), without crossing apps.
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("project")
    )
    date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")
        ordering = ["date", "entry_id", "id"]
        indexes = [
            # The budget page (newest lines first, stopping after one page) and the account's sum,
            # both read from the index alone where the visibility map allows (projects/budget.py).
            models.Index(
                fields=["account", "date", "entry", "id"],
                include=["credit", "debit"],
                name="journalline_account_page",
            ),
            # A project's lines on an account, and their sum (the budget's receivable) from the index
            # alone: the row-level security policy reads cooperative_id, the sum debit and credit.
            models.Index(
                fields=["project", "account"],
                include=["cooperative", "debit", "credit"],
                name="journalline_project_account",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(credit__gt=0) & Q(debit=0)),
                name="journal_line_one_side_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.code} D{self.debit} C{self.credit}"

    @property
    def amount(self) -> Decimal:
        """Signed amount from the point of view of a credit-normal account such as a project budget."""
        result: Decimal = self.credit - self.debit
        return result


class BudgetBalance(TenantModel):
    """The stored balance of a project's budget account (credits − debits, as the budget shows it).

    Written only by the database: a statement trigger on journal lines (migration 0013) adds the amounts
    of each posted budget line in the posting's own transaction, as an upsert that takes this row's lock
    until commit, so concurrent postings to one budget are serialized and the figure always equals the
    sum of the account's lines (posted lines are immutable). Any other INSERT, UPDATE or DELETE is refused.
    The budget reads it instead of summing all lines, so its cost does not grow with their number.
    """

    account = models.OneToOneField(
        Account,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="stored_balance",
        verbose_name=_("account"),
    )
    project = models.OneToOneField(
        Project, on_delete=models.PROTECT, related_name="+", verbose_name=_("project")
    )
    balance = money_field(_("balance"), default=Decimal("0.00"))

    class Meta:
        verbose_name = _("budget balance")
        verbose_name_plural = _("budget balances")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.balance}"


class ProjectReceivable(TenantModel):
    """What the project's clients still owe: the sum of the project's lines on receivable accounts (debits −
    credits), as the budget shows it ("receivable").

    Written only by the database, as `BudgetBalance`: a statement trigger on journal lines (migration 0018)
    adds the posted receivable lines of each project in the posting's own transaction, as an upsert that
    holds this row's lock until commit; any other INSERT, UPDATE or DELETE is refused. The budget reads it
    instead of summing the project's receivable lines, so its cost does not grow with the invoices and
    payments of the project.
    """

    project = models.OneToOneField(
        Project,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="stored_receivable",
        verbose_name=_("project"),
    )
    receivable = money_field(_("receivable"), default=Decimal("0.00"))

    class Meta:
        verbose_name = _("project receivable")
        verbose_name_plural = _("project receivables")

    def __str__(self) -> str:
        return f"{self.project_id}: {self.receivable}"
