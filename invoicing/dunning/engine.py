"""The dunning run: find the overdue invoices, move each one level up its policy exactly once, queue the
letter after commit; and the hand-over of the last level to an advisor."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from invoicing.dunning.interest import base_rates, dunning_claim
from invoicing.dunning.letters import DUNNING_LETTER, dunning_letter_context
from invoicing.dunning.policy import dunning_policy
from invoicing.lib.interest import InterestSegment
from invoicing.models import DunningLevel, DunningNotice, Invoice
from invoicing.notifications import notify_invoice_owner
from invoicing.services import OPEN_STATUSES
from invoicing.task_queue import NOTIFY_DUNNING_ADVISOR, SEND_DUNNING_LETTER, queue_on_commit
from smartprod.core.audit import audit_log
from smartprod.core.documents import document_sweep
from smartprod.core.models import AuditEvent
from smartprod.core.rls import active_cooperatives, tenant_scope
from smartprod.tenancy.models import Cooperative, Membership

logger = logging.getLogger(__name__)


ADVISOR_NOTIFIED_EVENT = "dunning.advisor_notified"


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
        [cooperative] if cooperative is not None else active_cooperatives(Cooperative, "dunning run")
    )
    for each in cooperatives:
        with tenant_scope(each):
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
    queue_on_commit(SEND_DUNNING_LETTER, cooperative_id=cooperative.pk, notice_id=notice.pk)
    notify_invoice_owner(
        cooperative=cooperative,
        invoice=invoice,
        kind="invoice.dunning",
        event_id=notice.pk,
        level=str(level.level),
    )
    if handed:
        queue_on_commit(NOTIFY_DUNNING_ADVISOR, cooperative_id=cooperative.pk, notice_id=notice.pk)
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
