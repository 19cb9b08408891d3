"""Dunning (Mahnwesen): move overdue invoices up the cooperative's policy, one letter per level, exactly once.

The daily run finds candidates with one query per cooperative that only reads the partial index of open,
unblocked invoices (`invoice_open_due`), so its cost follows the overdue invoices, not all invoices. Each
invoice is then claimed in its own short transaction: its row is locked with SKIP LOCKED (a concurrent run or
a payment being booked holds it: skipped, the next run sees it again), re-checked, and the notice is created;
the unique constraint (invoice, level) is the last guard. The letter is rendered and e-mailed by a worker
after commit, again under a lock on the notice, so it goes out once even if the task runs twice.

Fees, default interest and the € 40 flat fee are claims of the notice only: the issued invoice is not edited
(it is immutable) and nothing is posted to the ledger for them when the letter is sent. What a client pays
towards them is booked by the payment to dunning income (bank → dunning income; `invoicing.services.
payment_record`, § 1416 ABGB order).

What a letter claims (each item listed on it):
* the open principal;
* reminder fees: each letter's cost (the level's fee) so far. Towards a consumer only when the client record
  says fees were agreed. Towards a business (EUR) the € 40 flat fee of § 458 UGB *covers* the creditor's own
  collection costs ("Für den Ersatz von Betreibungskosten, die diesen Pauschalbetrag übersteigen, ist § 1333
  Abs. 2 ABGB anzuwenden", § 458 UGB, RIS via 360.lexisnexis.at/d/L-10001702-P458): fees are claimed only as
  far as their sum exceeds € 40;
* default interest (levels that charge it), with each period, rate and principal;
* the € 40 flat fee (B2B, EUR) from the first level that charges it on.
Every letter also says that default interest keeps running until payment.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override, pgettext, pgettext_lazy

from invoicing.lib.epc_qr import epc_qr_svg
from invoicing.lib.interest import FLAT_RECOVERY_FEE_B2B, InterestSegment, default_interest
from invoicing.lib.rf import rf_format
from invoicing.models import BaseRate, DunningLevel, DunningNotice, Invoice, Payment
from invoicing.services import OPEN_STATUSES
from smartprod.core.audit import audit_log
from smartprod.core.documents import DocumentFields, DocumentKind, document_send, document_sweep
from smartprod.core.formatting import format_date, format_iban, format_money, format_percent
from smartprod.core.models import AuditEvent
from smartprod.core.money import ZERO, quantize_money
from smartprod.tenancy.models import Cooperative, Membership

logger = logging.getLogger(__name__)

PAY_WITHIN_DAYS = 10
BASE_RATE_COUNTRY = "AT"  # § 456 UGB: the OeNB base rate; the interest rules in lib/interest.py are Austrian
MAX_SEND_ATTEMPTS = 6
# Unsent letters younger than this are enqueued again by the daily run (a lost task, a crashed worker);
# older ones would carry a stale pay-by date and wait for a person.
RESEND_WINDOW = timedelta(days=3)
ADVISOR_NOTIFIED_EVENT = "dunning.advisor_notified"
NO_EMAIL = "Not sent: the client has no e-mail address; print the stored letter and post it."

# The default letter texts, in English with their German in the catalogue; each cooperative gets its own
# copy of both languages with its policy (DunningLevel.text_de / text_en), which staff may edit.
# {placeholders} are filled by `_fill` when the letter is written.
_TEXT_1 = gettext_lazy(
    """{salutation}

According to our records, our invoice {number} of {invoice_date}, due on {due_date}, has not yet been paid \
in full. An amount of {open_amount} is still open.

This is probably an oversight. Please transfer the open amount within 10 days, by {pay_by}, to our account \
{iban}, quoting the payment reference {rf_reference}.

If you have made the payment in the last few days, please disregard this letter.

Kind regards"""
)

_TEXT_2 = gettext_lazy(
    """{salutation}

Despite our payment reminder, our invoice {number} of {invoice_date}, due on {due_date}, is still unpaid. \
The open amount is {open_amount}.

{composition} Please transfer the total of {total} within 10 days, by {pay_by}, to our account {iban}, \
quoting the payment reference {rf_reference}.

If you have any objection to the invoice, please contact us without delay. If your payment has crossed with \
this letter, please disregard it.

Kind regards"""
)

_TEXT_3 = gettext_lazy(
    """{salutation}

Unfortunately you have not responded to our previous letters: our invoice {number} of {invoice_date}, \
due on {due_date}, is still open with {open_amount}.

This is our final request to transfer the total of {total} within 10 days, by {pay_by}, to our account \
{iban}, quoting the payment reference {rf_reference}. {composition}

If the amount has not reached us by that date, we will take legal steps or pass the claim on to a \
collection agency without further notice, which may cause you further costs.

Kind regards"""
)

# Level names and texts are lazy translations; `_default_policy` writes out both languages.
DEFAULT_POLICY: list[dict[str, Any]] = [
    {
        "level": 1,
        "name": pgettext_lazy("dunning level", "Payment reminder"),
        "days_after_due": 7,
        "fee": Decimal("0.00"),
        "text": _TEXT_1,
    },
    {
        "level": 2,
        "name": pgettext_lazy("dunning level", "First reminder notice"),
        "days_after_due": 21,
        "fee": Decimal("10.00"),
        "text": _TEXT_2,
    },
    {
        "level": 3,
        "name": pgettext_lazy("dunning level", "Final notice"),
        "days_after_due": 35,
        "fee": Decimal("15.00"),
        "charges_interest": True,
        "charges_flat_fee_b2b": True,
        "hands_to_advisor": True,
        "text": _TEXT_3,
    },
]

_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")


def _default_policy() -> list[dict[str, Any]]:
    """DEFAULT_POLICY with name_de/name_en and text_de/text_en, translated by the catalogue."""
    specs = []
    for spec in DEFAULT_POLICY:
        each = {key: value for key, value in spec.items() if key not in ("name", "text")}
        for language in ("de", "en"):
            with override(language):
                each[f"name_{language}"] = str(spec["name"])
                each[f"text_{language}"] = str(spec["text"])
        specs.append(each)
    return specs


def _labels() -> dict[str, str]:
    """The labels of a letter in the active language (letters are written under translation.override)."""
    return {
        "date": pgettext("dunning letter", "Date"),
        "invoice": pgettext("dunning letter", "Invoice"),
        "invoice_date": pgettext("dunning letter", "Invoice date"),
        "due_date": pgettext("dunning letter", "Due on"),
        "invoice_amount": pgettext("dunning letter", "Invoice amount"),
        "already_paid": pgettext("dunning letter", "Already paid or credited"),
        "open_principal": pgettext("dunning letter", "Open invoice amount"),
        "fee": pgettext("dunning letter", "Reminder fee"),
        "fees_covered": pgettext("dunning letter", "Covered by the flat-rate recovery costs (§ 458 UGB)"),
        "interest": pgettext("dunning letter", "Default interest"),
        "days": pgettext("dunning letter", "days"),
        "on": pgettext("dunning letter: interest on a principal", "on"),
        "per_year": pgettext("dunning letter", "p.a."),
        "flat_fee": pgettext("dunning letter", "Flat-rate recovery costs (§ 458 UGB)"),
        "total": pgettext("dunning letter", "Total to pay"),
        "payment": pgettext("dunning letter", "Payment"),
        "pay_by": pgettext("dunning letter", "Pay by"),
        "reference": pgettext("dunning letter", "Payment reference"),
        "account": pgettext("dunning letter", "Account"),
        "qr": pgettext("dunning letter", "Scan with your banking app"),
        "vat_id": pgettext("dunning letter", "VAT id"),
        "register": pgettext("dunning letter", "Company register"),
    }


# --- the policy ---------------------------------------------------------------------------------------


def dunning_policy(*, cooperative: Cooperative) -> list[DunningLevel]:
    """The cooperative's dunning levels, ordered; the default policy is created on first use.

    Two first uses at the same time are harmless: INSERT … ON CONFLICT DO NOTHING, then read.
    """
    levels = list(DunningLevel.objects.for_cooperative(cooperative).order_by("level"))
    if levels:
        return levels
    DunningLevel.objects.bulk_create(
        [DunningLevel(cooperative=cooperative, **spec) for spec in _default_policy()], ignore_conflicts=True
    )
    return list(DunningLevel.objects.for_cooperative(cooperative).order_by("level"))


# --- what a notice claims -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeItem:
    """The reminder cost of one letter (its level's fee) that a claim takes into account."""

    level: int
    name_de: str
    name_en: str
    amount: Decimal

    def as_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "name_de": self.name_de,
            "name_en": self.name_en,
            "amount": str(self.amount),
        }


@dataclass(frozen=True)
class DunningClaim:
    """What a notice asks for: the open principal plus reminder fees, default interest and the flat fee.

    `fee_items` are the letters' costs taken into account; `fee` is what of them is claimed: their sum, or
    (B2B) only what exceeds the € 40 flat fee, which covers the creditor's own collection costs.
    """

    open_principal: Decimal
    fee: Decimal
    interest: Decimal
    interest_segments: list[InterestSegment]
    flat_fee: Decimal
    fee_items: list[FeeItem] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.open_principal + self.fee + self.interest + self.flat_fee


def base_rates(country: str = BASE_RATE_COUNTRY) -> list[tuple[date, Decimal]]:
    return list(
        BaseRate.objects.filter(country=country).order_by("valid_from").values_list("valid_from", "rate")
    )


def open_principal_changes(*, invoice: Invoice, as_of: date) -> list[tuple[date, Decimal]]:
    """The open principal over time: (date, open from that day on), first entry on the due date.

    Payments and credit notes up to `as_of` lower it from their date on; those on or before the due date
    lower the starting amount.
    """
    assert invoice.due_date is not None
    due = invoice.due_date
    reductions: dict[date, Decimal] = defaultdict(lambda: ZERO)
    # Only what a payment paid on the invoice itself lowers it (not dunning costs or interest), and a
    # payment the bank returned paid nothing.
    payments = (
        Payment.objects.for_cooperative(invoice.cooperative_id)
        .filter(invoice=invoice, date__lte=as_of, returned_on__isnull=True)
        .annotate(principal_part=F("amount") - F("fees_paid") - F("interest_paid"))
        .values_list("date", "principal_part")
    )
    credit_notes = (
        Invoice.objects.for_cooperative(invoice.cooperative_id)
        .filter(original=invoice, kind=Invoice.Kind.CREDIT_NOTE, issue_date__lte=as_of)
        .exclude(status__in=[Invoice.Status.DRAFT, Invoice.Status.SUBMITTED])
        .values_list("issue_date", "gross_total")
    )
    for day, amount in [*payments, *credit_notes]:
        reductions[max(day or due, due)] += amount
    principal = invoice.gross_total - reductions.pop(due, ZERO)
    changes = [(due, principal)]
    for day in sorted(reductions):
        principal -= reductions[day]
        changes.append((day, principal))
    return changes


def _flat_fee_applies(invoice: Invoice) -> bool:
    """§ 458 UGB: between businesses, for a claim in euro (the fee is fixed in euro)."""
    return invoice.client_is_business and invoice.currency == "EUR"


def dunning_claim(
    *,
    invoice: Invoice,
    level: DunningLevel,
    as_of: date,
    rates: list[tuple[date, Decimal]] | None = None,
    levels: list[DunningLevel] | None = None,
) -> DunningClaim:
    """The claim of `level` for `invoice` as of a day (read-only; also used to preview a letter).

    Interest (when the level charges it): § 456 UGB between businesses (base rate + 9.2 points, fixed per
    half-year), § 1000 ABGB 4 % towards consumers, from the day after the due date up to `as_of`, on the
    principal open on each day. Reminder fees: the fee of this letter and of each earlier letter (levels
    below this one that were sent); towards a consumer only when the client agreed to them; between
    businesses (EUR) the € 40 flat fee of § 458 UGB covers them and only the excess is claimed. The flat
    fee itself from the first level that charges it on (the claim of each letter is the whole claim).
    """
    assert invoice.due_date is not None
    interest, segments = ZERO, []
    if level.charges_interest:
        result = default_interest(
            due_date=invoice.due_date,
            as_of=as_of,
            open_principal_changes=open_principal_changes(invoice=invoice, as_of=as_of),
            business=invoice.client_is_business,
            base_rates=rates if rates is not None else base_rates(),
        )
        interest, segments = result.total, result.segments
    if levels is None:
        levels = list(DunningLevel.objects.for_cooperative(invoice.cooperative_id).order_by("level"))
    sent_levels = set(
        DunningNotice.objects.for_cooperative(invoice.cooperative_id)
        .filter(invoice=invoice, level__lt=level.level)
        .values_list("level", flat=True)
    )
    up_to_here = [each for each in levels if each.level in sent_levels] + [level]
    costs = [
        FeeItem(level=each.level, name_de=each.name_de, name_en=each.name_en, amount=quantize_money(each.fee))
        for each in sorted(up_to_here, key=lambda each: each.level)
        if each.fee > 0
    ]
    cost_total = sum((item.amount for item in costs), ZERO)
    flat_fee = ZERO
    if _flat_fee_applies(invoice):
        if any(each.charges_flat_fee_b2b for each in up_to_here):
            flat_fee = FLAT_RECOVERY_FEE_B2B
        fee = max(ZERO, cost_total - FLAT_RECOVERY_FEE_B2B)
        # Listed when the flat fee is claimed (it covers them) or when they exceed it.
        fee_items = costs if flat_fee or fee else []
    elif invoice.client_is_business or invoice.client.reminder_fees_agreed:
        fee, fee_items = cost_total, costs
    else:
        fee, fee_items = ZERO, []  # a consumer who did not agree to reminder fees owes none
    return DunningClaim(
        open_principal=invoice.open_amount,
        fee=fee,
        interest=interest,
        interest_segments=segments,
        flat_fee=flat_fee,
        fee_items=fee_items,
    )


# --- the run ------------------------------------------------------------------------------------------


@dataclass
class DunningRunResult:
    """Counts of one run (over one or all cooperatives)."""

    as_of: date
    cooperatives: int = 0
    examined: int = 0
    notices_created: int = 0
    per_level: dict[int, int] = field(default_factory=dict)
    handed_to_advisor: int = 0
    skipped_locked: int = 0
    letters_requeued: int = 0
    errors: int = 0

    def add(self, other: DunningRunResult) -> None:
        self.cooperatives += other.cooperatives
        self.examined += other.examined
        self.notices_created += other.notices_created
        for level, count in other.per_level.items():
            self.per_level[level] = self.per_level.get(level, 0) + count
        self.handed_to_advisor += other.handed_to_advisor
        self.skipped_locked += other.skipped_locked
        self.letters_requeued += other.letters_requeued
        self.errors += other.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "cooperatives": self.cooperatives,
            "examined": self.examined,
            "notices_created": self.notices_created,
            "per_level": {str(level): count for level, count in sorted(self.per_level.items())},
            "handed_to_advisor": self.handed_to_advisor,
            "skipped_locked": self.skipped_locked,
            "letters_requeued": self.letters_requeued,
            "errors": self.errors,
        }


def dunning_candidates(
    *, cooperative: Cooperative, levels: list[DunningLevel], as_of: date
) -> QuerySet[Invoice]:
    """Open, unblocked invoices of the cooperative whose next level is due on `as_of` (ids, oldest first).

    The first conditions are exactly the predicate of the partial index `invoice_open_due` plus a range on
    its key (due on or before as_of − the first level's days), so PostgreSQL reads only overdue open
    invoices; the per-level condition then keeps those whose *next* level is due, and invoices that already
    got a letter dated as_of (or later) wait for the next run.
    """
    if not levels:
        return Invoice.objects.for_cooperative(cooperative).none()
    next_due = Q()
    for level in levels:
        next_due |= Q(
            dunning_level=level.level - 1, due_date__lte=as_of - timedelta(days=level.days_after_due)
        )
    dunned_on_or_after = DunningNotice.objects.for_cooperative(cooperative).filter(
        invoice=OuterRef("pk"), as_of__gte=as_of
    )
    return (
        Invoice.objects.for_cooperative(cooperative)
        .filter(
            status__in=OPEN_STATUSES,
            kind=Invoice.Kind.INVOICE,
            dunning_blocked=False,
            due_date__lte=as_of - timedelta(days=min(level.days_after_due for level in levels)),
        )
        .filter(next_due)
        .filter(~Exists(dunned_on_or_after))
        .order_by("due_date", "pk")
    )


def run_dunning(*, as_of: date, cooperative: Cooperative | None = None) -> DunningRunResult:
    """Move every due invoice one level up (for one cooperative, or for all, one after the other).

    One step per run and day: an invoice 40 days overdue at level 0 gets the reminder today, the first
    notice tomorrow and the final notice the day after — a catch-up after an outage never sends two letters
    at once, and the client gets at least the day between two runs to react (a deliberate choice: the
    letters then follow each other daily instead of at the policy's spacing). A second or concurrent run on
    the same day moves nothing more: an invoice with a letter dated as_of (or later) is not advanced again,
    and the unique (invoice, level) holds regardless. Must not run inside a transaction: each invoice is
    claimed and committed on its own.
    """
    result = DunningRunResult(as_of=as_of)
    cooperatives = (
        [cooperative]
        if cooperative is not None
        else list(Cooperative.objects.filter(is_active=True).order_by("pk"))
    )
    for each in cooperatives:
        result.add(_run_for(each, as_of))
    return result


def _run_for(cooperative: Cooperative, as_of: date) -> DunningRunResult:
    result = DunningRunResult(as_of=as_of, cooperatives=1)
    result.letters_requeued = _requeue_unsent_letters(cooperative)
    levels = dunning_policy(cooperative=cooperative)
    by_number = {level.level: level for level in levels}
    candidate_ids = list(
        dunning_candidates(cooperative=cooperative, levels=levels, as_of=as_of).values_list("pk", flat=True)
    )
    result.examined = len(candidate_ids)
    rates: list[tuple[date, Decimal]] | None = None
    if any(level.charges_interest for level in levels):
        rates = base_rates()
    for invoice_id in candidate_ids:
        try:
            outcome = _advance(cooperative, invoice_id, as_of, by_number, rates)
        except Exception:  # one broken invoice must not stop the cooperative's dunning
            logger.exception("dunning: invoice %s of cooperative %s failed", invoice_id, cooperative.pk)
            result.errors += 1
            continue
        if outcome.locked:
            result.skipped_locked += 1
        elif outcome.notice is not None:
            level = outcome.notice.level
            result.notices_created += 1
            result.per_level[level] = result.per_level.get(level, 0) + 1
            result.handed_to_advisor += int(outcome.handed)
    return result


@dataclass(frozen=True)
class _Outcome:
    notice: DunningNotice | None = None
    handed: bool = False
    locked: bool = False


@transaction.atomic(durable=True)
def _advance(
    cooperative: Cooperative,
    invoice_id: int,
    as_of: date,
    levels: dict[int, DunningLevel],
    rates: list[tuple[date, Decimal]] | None,
) -> _Outcome:
    """Claim one invoice: lock it (skip if locked), re-check, create the next level's notice."""
    from invoicing.dunning_tasks import notify_advisor_task, send_dunning_letter_task

    invoice = (
        Invoice.objects.for_cooperative(cooperative)
        .select_for_update(skip_locked=True)
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        return _Outcome(locked=True)
    # Re-check under the lock: a payment, credit note or block may have landed since the scan.
    if (
        invoice.kind != Invoice.Kind.INVOICE
        or invoice.status not in OPEN_STATUSES
        or invoice.dunning_blocked
        or invoice.due_date is None
        or invoice.open_amount <= 0
    ):
        return _Outcome()
    level = levels.get(invoice.dunning_level + 1)
    if level is None or as_of < invoice.due_date + timedelta(days=level.days_after_due):
        return _Outcome()
    # One letter per invoice and day: a second (or concurrent) run of the same day that locks the invoice
    # after the first committed finds that letter and leaves the next level to tomorrow.
    if (
        invoice.dunning_level > 0
        and DunningNotice.objects.for_cooperative(cooperative)
        .filter(invoice=invoice, as_of__gte=as_of)
        .exists()
    ):
        return _Outcome()
    claim = dunning_claim(
        invoice=invoice,
        level=level,
        as_of=as_of,
        rates=rates,
        levels=sorted(levels.values(), key=lambda each: each.level),
    )
    try:
        with transaction.atomic():
            notice = DunningNotice.objects.create(
                cooperative=cooperative,
                invoice=invoice,
                level=level.level,
                as_of=as_of,
                open_principal=claim.open_principal,
                fee=claim.fee,
                interest=claim.interest,
                flat_fee=claim.flat_fee,
                total_claimed=claim.total,
                interest_detail=[_segment_json(segment) for segment in claim.interest_segments],
                fee_detail=[item.as_json() for item in claim.fee_items],
            )
    except IntegrityError:
        # This level was sent before (the invoice's level was reset by hand): never a second letter.
        logger.warning("dunning: invoice %s already has a level-%s notice", invoice.pk, level.level)
        invoice.dunning_level = level.level
        invoice.save(update_fields=["dunning_level"])
        return _Outcome()
    invoice.dunning_level = level.level
    handed = level.hands_to_advisor and invoice.handed_to_advisor_at is None
    if handed:
        invoice.handed_to_advisor_at = timezone.now()
    invoice.save(update_fields=["dunning_level", "handed_to_advisor_at"])
    audit_log(
        cooperative=cooperative,
        actor=None,
        event="dunning.notice_created",
        obj=invoice,
        data={
            "notice": notice.pk,
            "level": level.level,
            "as_of": as_of.isoformat(),
            "total_claimed": str(notice.total_claimed),
            "handed_to_advisor": handed,
        },
    )
    send_dunning_letter_task.delay_on_commit(cooperative_id=cooperative.pk, notice_id=notice.pk)
    if handed:
        notify_advisor_task.delay_on_commit(cooperative_id=cooperative.pk, notice_id=notice.pk)
    return _Outcome(notice=notice, handed=handed)


def _segment_json(segment: InterestSegment) -> dict[str, Any]:
    return {
        "start": segment.start.isoformat(),
        "end": segment.end.isoformat(),
        "days": segment.days,
        "principal": str(segment.principal),
        "rate": str(segment.rate),
        "amount": str(segment.amount),
    }


def _requeue_unsent_letters(cooperative: Cooperative) -> int:
    """Enqueue again the recent letters that were never sent (a lost task, a crashed worker).

    Sending is idempotent (sent_at under a lock), so a letter whose task is still queued is not sent twice.
    """
    return len(document_sweep(DUNNING_LETTER, cooperative_id=cooperative.pk).email_ids)


# --- the letter ---------------------------------------------------------------------------------------


def _language(cooperative: Cooperative) -> str:
    return "de" if cooperative.language == "de" else "en"


def _fill(text: str, values: dict[str, str]) -> str:
    """Replace {placeholders} in a level's letter text; unknown ones stay as they are (no str.format)."""
    return _PLACEHOLDER_RE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def pay_by(notice: DunningNotice) -> date:
    return notice.as_of + timedelta(days=PAY_WITHIN_DAYS)


def _salutation(invoice: Invoice) -> str:
    """A business is addressed as such; a consumer by name."""
    if invoice.client_is_business or not invoice.client_name.strip():
        return pgettext("dunning letter", "Dear Sir or Madam,")
    return pgettext("dunning letter", "Dear %(name)s,") % {"name": invoice.client_name.strip()}


def _composition(notice: DunningNotice, invoice: Invoice) -> str:
    """What the total consists of, in the letter's words (only what is claimed is named)."""
    context = "dunning letter: what the total consists of"
    items = [pgettext(context, "the open invoice amount")]
    if notice.fee:
        if _flat_fee_applies(invoice):
            items.append(pgettext(context, "the reminder costs beyond the flat-rate recovery costs"))
        elif len(notice.fee_detail) > 1:
            items.append(pgettext(context, "the reminder fees"))
        else:
            items.append(pgettext(context, "the reminder fee"))
    if notice.interest:
        items.append(pgettext(context, "statutory default interest"))
    if notice.flat_fee:
        items.append(pgettext(context, "the flat-rate recovery costs (§ 458 UGB)"))
    if len(items) == 1:
        return pgettext("dunning letter", "The total is the open invoice amount.")
    listed = f"{', '.join(items[:-1])} {pgettext(context, 'and')} {items[-1]}"
    return pgettext("dunning letter", "The total consists of %(items)s; please see the statement below.") % {
        "items": listed
    }


def _interest_note(notice: DunningNotice, invoice: Invoice, language: str) -> str:
    """Every letter says that default interest keeps running until payment (rates: § 456 UGB between
    businesses, § 1000 (1) ABGB otherwise; see lib/interest.py)."""
    if invoice.client_is_business:
        rate = pgettext("dunning letter", "9.2 percentage points above the base rate, § 456 UGB")
    else:
        rate = pgettext("dunning letter", "4 % p.a., § 1000 (1) ABGB")
    if notice.interest_detail:
        return pgettext(
            "dunning letter",
            "Default interest (%(rate)s) is calculated up to %(as_of)s; it keeps running until your payment "
            "is received.",
        ) % {"rate": rate, "as_of": format_date(notice.as_of, language)}
    return pgettext(
        "dunning letter",
        "Statutory default interest (%(rate)s) runs from the day after the due date until your payment is "
        "received.",
    ) % {"rate": rate}


def _recipient_lines(invoice: Invoice) -> list[str]:
    """The address snapshot without its last line when that is the cooperative's own country (domestic)."""
    lines = [line.strip() for line in invoice.client_address.splitlines() if line.strip()]
    if lines and lines[-1].upper() == invoice.cooperative.country.upper():
        lines.pop()
    return lines


def _claim_rows(
    notice: DunningNotice, invoice: Invoice, language: str, money: Callable[[Decimal], str]
) -> list[dict[str, Any]]:
    """The statement under the letter: every claimed item, with the fee letters and interest periods.

    Each row: label, amount (formatted), kind: 'item' (a claimed amount), 'detail' (how it is made up) or
    'total'.
    The items add up to the total: principal + fees + interest + flat fee.
    """
    labels = _labels()
    rows: list[dict[str, Any]] = []

    def row(label: str, amount: str, kind: str = "item") -> None:
        rows.append({"label": label, "amount": amount, "kind": kind})

    invoice_date = format_date(invoice.issue_date, language)
    due_date = format_date(invoice.due_date, language)
    row(
        f"{labels['invoice']} {invoice.number} · {labels['invoice_date']} {invoice_date} · "
        f"{labels['due_date']} {due_date}",
        money(invoice.gross_total),
        "detail",
    )
    if invoice.gross_total != notice.open_principal:
        row(labels["already_paid"], f"− {money(invoice.gross_total - notice.open_principal)}", "detail")
    row(labels["open_principal"], money(notice.open_principal))
    fee_items = [
        (item["name_de"] if language == "de" else item["name_en"], Decimal(item["amount"]))
        for item in notice.fee_detail
    ]
    costs = sum((amount for _, amount in fee_items), ZERO)
    covered = costs - notice.fee
    for name, amount in fee_items:
        row(f"{labels['fee']} – {name}", money(amount), "detail" if covered else "item")
    if fee_items and covered:
        row(labels["fees_covered"], f"− {money(covered)}", "detail")
        if notice.fee:
            row(labels["fee"], money(notice.fee))
    if notice.interest_detail:
        row(labels["interest"], money(notice.interest))
        for s in notice.interest_detail:
            period = (
                f"{format_date(date.fromisoformat(s['start']), language)} – "
                f"{format_date(date.fromisoformat(s['end']), language)}"
            )
            row(
                f"{period} · {s['days']} {labels['days']} · "
                f"{format_percent(Decimal(s['rate']), language, places=2)} {labels['per_year']} "
                f"{labels['on']} {money(Decimal(s['principal']))}",
                money(Decimal(s["amount"])),
                "detail",
            )
    elif notice.interest:
        row(labels["interest"], money(notice.interest))
    if notice.flat_fee:
        row(labels["flat_fee"], money(notice.flat_fee))
    row(labels["total"], money(notice.total_claimed), "total")
    return rows


def dunning_letter_context(*, notice: DunningNotice, invoice: Invoice, level: DunningLevel) -> dict[str, Any]:
    """Everything the letter (PDF and e-mail) shows, written in the cooperative's language."""
    cooperative = invoice.cooperative
    language = _language(cooperative)
    currency = invoice.currency

    def money(amount: Decimal) -> str:
        return format_money(amount, currency, language)

    with override(language):
        values = {
            "number": invoice.number or "",
            "invoice_date": format_date(invoice.issue_date, language),
            "due_date": format_date(invoice.due_date, language),
            "open_amount": money(notice.open_principal),
            "fee": money(notice.fee),
            "interest": money(notice.interest),
            "flat_fee": money(notice.flat_fee),
            "total": money(notice.total_claimed),
            "rf_reference": rf_format(invoice.rf_reference)
            if invoice.rf_reference
            else (invoice.number or ""),
            "pay_by": format_date(pay_by(notice), language),
            "iban": format_iban(cooperative.iban),
            "client_name": invoice.client_name,
            "salutation": _salutation(invoice),
            "composition": _composition(notice, invoice),
        }
        labels = _labels()
        claim_rows = _claim_rows(notice, invoice, language, money)
        interest_note = _interest_note(notice, invoice, language)
    body = _fill(level.text_de if language == "de" else level.text_en, values)
    qr_svg = ""
    if currency == "EUR" and notice.total_claimed > 0:
        try:
            qr_svg = epc_qr_svg(
                name=cooperative.legal_name or cooperative.name,
                iban=cooperative.iban,
                bic=cooperative.bic,
                amount=notice.total_claimed,
                reference=invoice.rf_reference,
            )
        except ValueError:  # e.g. no RF reference: the letter still tells how to pay
            qr_svg = ""
    return {
        "language": language,
        "labels": labels,
        "cooperative": cooperative,
        "invoice": invoice,
        "notice": notice,
        "title": level.name_de if language == "de" else level.name_en,
        "letter_date": format_date(notice.as_of, language),
        "client_address_lines": _recipient_lines(invoice),
        "paragraphs": [part.strip() for part in body.split("\n\n") if part.strip()],
        "values": values,
        "claim_rows": claim_rows,
        "interest_note": interest_note,
        "qr_svg": qr_svg,
        "bic": cooperative.bic,
    }


def dunning_letter_pdf(context: dict[str, Any]) -> bytes:
    """Render templates/invoicing/pdf/dunning.html (with `dunning_letter_context`) through WeasyPrint."""
    from weasyprint import HTML

    with override(context["language"]):
        html = render_to_string("invoicing/pdf/dunning.html", context)
    pdf: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return pdf


def dunning_letter_path(notice: DunningNotice, invoice: Invoice) -> str:
    safe_number = re.sub(r"[^0-9A-Za-z._-]", "-", invoice.number or f"invoice-{invoice.pk}")
    return f"coop-{invoice.cooperative_id}/dunning/{safe_number}-{notice.level}.pdf"


def _reason_not_to_send(invoice: Invoice) -> str:
    if invoice.status == Invoice.Status.PAID:
        return "Not sent: the invoice is paid."
    if invoice.status == Invoice.Status.CANCELLED:
        return "Not sent: the invoice was credited."
    if invoice.status == Invoice.Status.WRITTEN_OFF:
        return "Not sent: the invoice was written off."
    if invoice.status not in OPEN_STATUSES or invoice.open_amount <= 0:
        return "Not sent: nothing is open on the invoice."
    if invoice.dunning_blocked:
        return "Not sent: dunning is blocked for this invoice."
    return ""


def _letter_context(notice: DunningNotice) -> dict[str, Any]:
    level = DunningLevel.objects.for_cooperative(notice.cooperative_id).get(level=notice.level)
    return dunning_letter_context(notice=notice, invoice=notice.invoice, level=level)


class DunningLetter(DocumentKind[DunningNotice]):
    """A dunning notice's letter: rendered when it is sent (its claim is fixed in the notice), stored, and
    e-mailed to the client once; for a client without an e-mail address only stored, to be posted."""

    code = "invoicing.dunning_letter"
    model = DunningNotice
    fields = DocumentFields(
        sha256=None,
        rendered_at=None,
        sent_at="sent_at",
        sent_to=None,
        attempts="send_attempts",
        error="send_error",
    )
    max_attempts = MAX_SEND_ATTEMPTS
    render_on_send = True
    reset_attempts_on_success = False
    no_recipient_error = NO_EMAIL
    sweep_grace = timedelta(0)  # the daily run sweeps after the previous run's tasks had a day

    def queryset(self, cooperative_id: int) -> QuerySet[DunningNotice]:
        return DunningNotice.objects.for_cooperative(cooperative_id).select_related(
            "invoice__cooperative", "invoice__client"
        )

    def skip_reason(self, obj: DunningNotice) -> str:
        return _reason_not_to_send(obj.invoice)

    def render(self, obj: DunningNotice) -> bytes:
        return dunning_letter_pdf(_letter_context(obj))

    def storage_name(self, obj: DunningNotice) -> str:
        return dunning_letter_path(obj, obj.invoice)

    def recipients(self, obj: DunningNotice) -> list[str]:
        return [obj.invoice.client_email] if obj.invoice.client_email else []

    def message(self, obj: DunningNotice, pdf: bytes) -> EmailMessage:
        invoice = obj.invoice
        context = _letter_context(obj)
        with override(context["language"]):
            subject = f"{context['title']} – {context['labels']['invoice']} {invoice.number}"
            body = render_to_string("invoicing/email/dunning.txt", context)
        cooperative = invoice.cooperative
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            reply_to=[cooperative.email] if cooperative.email else None,
        )
        message.attach(self.storage_name(obj).rsplit("/", 1)[-1], pdf, "application/pdf")
        return message

    def after_send(self, obj: DunningNotice) -> None:
        audit_log(
            cooperative=obj.invoice.cooperative,
            actor=None,
            event="dunning.letter_sent",
            obj=obj,
            data={"invoice": obj.invoice.number, "level": obj.level, "to": obj.invoice.client_email},
        )

    def enqueue_render(self, cooperative_id: int, object_id: int) -> None:
        self.enqueue_send(cooperative_id, object_id)  # the send renders first

    def enqueue_send(self, cooperative_id: int, object_id: int) -> None:
        from invoicing.dunning_tasks import send_dunning_letter_task

        send_dunning_letter_task.delay_on_commit(cooperative_id=cooperative_id, notice_id=object_id)

    def sweep_queryset(self, cutoff: datetime) -> QuerySet[DunningNotice]:
        # Older unsent letters would carry a stale pay-by date: they wait for a person.
        return (
            DunningNotice.objects.all_cooperatives()
            .filter(
                created_at__lt=cutoff,
                created_at__gte=cutoff - RESEND_WINDOW,
                invoice__status__in=OPEN_STATUSES,
                invoice__dunning_blocked=False,
            )
            .order_by("created_at", "id")
        )

    def has_recipient(self) -> Q:
        return ~Q(invoice__client_email="")


DUNNING_LETTER = DunningLetter()


def dunning_send_letter(*, cooperative_id: int, notice_id: int) -> DunningNotice:
    """Render a notice's letter, store it privately and e-mail it to the client — exactly once.

    The notice row is locked for the whole send: a second task for the same notice waits, then finds
    `sent_at` set and does nothing. Paid, credited, written-off and blocked invoices get no letter (the
    reason is kept in `send_error`); for a client without an e-mail address the letter is only stored, to be
    printed and posted (`send_error` says so, `sent_at` stays empty). A failure rolls back, is recorded as
    an attempt and raised, so the task retries. (If the mail server accepts the mail and the commit then
    fails, the retry sends it again: at-least-once at that one point, as with any mail sent from a
    transaction.) See `smartprod.core.documents`.
    """
    return document_send(DUNNING_LETTER, cooperative_id=cooperative_id, object_id=notice_id)


# --- the hand-over to an advisor ----------------------------------------------------------------------


def _advisor_addresses(cooperative: Cooperative, invoice: Invoice) -> list[str]:
    """The project's advisor; without one, the cooperative's active advisors (or else its admins)."""
    advisor = invoice.project.advisor
    if advisor is not None and advisor.status == Membership.Status.ACTIVE and advisor.user.email:
        return [advisor.user.email]
    staff = Membership.objects.for_cooperative(cooperative).filter(status=Membership.Status.ACTIVE)
    for role in (Membership.Role.ADVISOR, Membership.Role.ADMIN):
        emails = sorted(
            {m.user.email for m in staff.filter(role=role).select_related("user") if m.user.email}
        )
        if emails:
            return emails
    return []


@transaction.atomic(durable=True)
def dunning_notify_advisor(*, cooperative_id: int, notice_id: int) -> int:
    """Tell the advisor(s) that an invoice reached the last level and is theirs now; once per notice.

    The notice row is locked and the audit row of the notification is the record that it went out.
    Returns the number of recipients (0 when already notified or nobody to tell).
    """
    cooperative = Cooperative.objects.get(pk=cooperative_id)
    notice = DunningNotice.objects.for_cooperative(cooperative).select_for_update().get(pk=notice_id)
    already = (
        AuditEvent.objects.for_cooperative(cooperative)
        .filter(event=ADVISOR_NOTIFIED_EVENT, object_type=notice._meta.label, object_id=str(notice.pk))
        .exists()
    )
    if already:
        return 0
    invoice = (
        Invoice.objects.for_cooperative(cooperative)
        .select_related("project", "project__owner__user")
        .get(pk=notice.invoice_id)
    )
    recipients = _advisor_addresses(cooperative, invoice)
    if not recipients:
        logger.warning("dunning: nobody to hand invoice %s to in cooperative %s", invoice.pk, cooperative.pk)
        return 0
    level = DunningLevel.objects.for_cooperative(cooperative).get(level=notice.level)
    context = {
        **dunning_letter_context(notice=notice, invoice=invoice, level=level),
        "project": invoice.project,
        "owner": invoice.project.owner,
    }
    with override(context["language"]):
        subject = _("Handed over: invoice %(number)s – %(title)s sent") % {
            "number": invoice.number,
            "title": context["title"],
        }
        body = render_to_string("invoicing/email/dunning_advisor.txt", context)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    ).send()
    audit_log(
        cooperative=cooperative,
        actor=None,
        event=ADVISOR_NOTIFIED_EVENT,
        obj=notice,
        data={"invoice": invoice.number, "to": recipients},
    )
    return len(recipients)
