"""Payout runs: preview, claim, second approval, the pain.001 file, sent, confirmed (by hand or by the bank).

The claim is exactly-once: due items are read `FOR UPDATE SKIP LOCKED` (ordered by id) and each gets one
attempt row (`PayoutRunItem`) whose partial unique constraint allows one live attempt per item. Two runs
at once take disjoint items, a retried task finds nothing left, and a process killed mid-run rolls its
whole transaction back (the items stay approved for the next run).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payroll.lib.sepa import SALA, SUPP, Address, Party, Transfer, build_pain001, pain001_errors
from payroll.models import PayeeProfile, PayoutItem, PayoutItemEvent, PayoutPolicy, PayoutRun, PayoutRunItem
from payroll.selectors.profiles import payees_blocked
from payroll.services.history import payout_item_event
from payroll.services.liabilities import (
    liabilities_claim,
    liabilities_open,
    liabilities_pay,
    liability_transfers,
)
from projects.ledger import Posting, account_get, journal_post
from smartprod.core.audit import audit_log
from smartprod.core.capabilities import FINANCE_ROLES, can_run_payouts
from smartprod.core.errors import ApplicationError, NotAllowed, status_in_sentence
from smartprod.core.formatting import format_date, format_money
from smartprod.core.idempotency import IdempotentRequest, idempotency_claim, idempotency_complete
from smartprod.core.locks import lock_payout_items, lock_payout_run
from smartprod.core.money import ZERO
from smartprod.core.notifications import notify
from smartprod.core.numbering import number_next
from smartprod.core.workdays import add_working_days, next_target2_day
from smartprod.tenancy.models import Cooperative, Membership

RUN_SERIES = "payout_run"
# Test hook for the kill -9 test: `PAYROLL_RUN_CRASH_AT=<point>` kills this process at that point.
CRASH_ENV = "PAYROLL_RUN_CRASH_AT"


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _require_runner(actor: Membership | None) -> None:
    if not can_run_payouts(actor):
        raise NotAllowed(_("Only finance and administrators may run payouts."))


def _same_cooperative(cooperative: Cooperative, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.cooperative_id != cooperative.pk:
            raise type(obj).DoesNotExist()


def payout_policy(cooperative: Cooperative) -> PayoutPolicy:
    """The cooperative's policy, or the defaults (an unsaved row) while it has none."""
    policy = PayoutPolicy.objects.for_cooperative(cooperative).first()
    return policy or PayoutPolicy(cooperative=cooperative)


# --- preview -------------------------------------------------------------------------------------------


@dataclass
class RunPreview:
    until: date
    items: list[PayoutItem] = field(default_factory=list)
    held_back: list[tuple[PayoutItem, str]] = field(default_factory=list)
    total: Decimal = ZERO
    payees: int = 0
    earliest_deadline: date | None = None


def payout_run_preview(*, cooperative: Cooperative, until: date) -> RunPreview:
    """What a run up to `until` would claim now (nothing is claimed), and what is held back and why."""
    due = list(
        PayoutItem.objects.for_cooperative(cooperative)
        .filter(
            status=PayoutItem.Status.APPROVED, guarantee_deadline__lte=until, currency=cooperative.currency
        )
        .select_related("payee__user", "project")
        .order_by("pk")
    )
    blocked = payees_blocked(cooperative, {item.payee_id for item in due})
    preview = RunPreview(until=until)
    for item in due:
        if item.payee_id in blocked:
            preview.held_back.append((item, blocked[item.payee_id]))
        else:
            preview.items.append(item)
    preview.total = sum((item.amount for item in preview.items), ZERO)
    preview.payees = len({item.payee_id for item in preview.items})
    preview.earliest_deadline = min((item.guarantee_deadline for item in preview.items), default=None)
    return preview


# --- start ---------------------------------------------------------------------------------------------


def _event_rows(
    cooperative: Cooperative,
    item_ids: list[int],
    from_status: str,
    to_status: str,
    run: PayoutRun | None,
    actor: Membership | None,
    reason: str = "",
) -> list[PayoutItemEvent]:
    user_id = actor.user_id if actor is not None else None
    return [
        PayoutItemEvent(
            cooperative=cooperative,
            item_id=item_id,
            from_status=from_status,
            to_status=to_status,
            run=run,
            reason=reason[:300],
            actor_id=user_id,
        )
        for item_id in item_ids
    ]


@transaction.atomic(durable=True)
def payout_run_start(
    *,
    cooperative: Cooperative,
    actor: Membership | None,
    until: date,
    skip_if_empty: bool = False,
    idempotent: IdempotentRequest | None = None,
) -> PayoutRun | None:
    """Claim every approved item due by `until` whose payee is not blocked into a new run.

    `actor` None is the daily beat. Items are read FOR UPDATE SKIP LOCKED in id order, so a concurrent
    run takes the others; one attempt per item (new EndToEndId `<run>-<item>-<attempt>`). Status
    `pending_approval` when the total is above the policy's threshold, else `ready` with its pain.001
    written and stored. A run claiming nothing is created (the API answers it) unless `skip_if_empty`
    (the beat: running twice adds no empty runs). A constant number of queries for any number of items.
    A client's retry with the same Idempotency-Key returns the run of the first request.
    """
    if actor is not None:
        _same_cooperative(cooperative, actor)
        _require_runner(actor)
    claim_record = None
    if idempotent is not None:
        claim_record = idempotency_claim(
            cooperative=cooperative, operation="payroll.payout_run_start", idempotent=idempotent
        )
        if claim_record.result_id:
            return PayoutRun.objects.for_cooperative(cooperative).get(pk=int(claim_record.result_id))
    rows = list(
        PayoutItem.objects.for_cooperative(cooperative)
        .filter(
            status=PayoutItem.Status.APPROVED, guarantee_deadline__lte=until, currency=cooperative.currency
        )
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", "payee_id", "amount", "attempt_count")
    )
    _crash_point("claimed")
    blocked = payees_blocked(cooperative, {row[1] for row in rows})
    claim = [row for row in rows if row[1] not in blocked]
    if not claim and skip_if_empty and not liabilities_open(cooperative=cooperative, until=until):
        return None
    today = timezone.localdate()
    number = f"PR-{today.year}-{number_next(cooperative=cooperative, series=RUN_SERIES, year=today.year):05d}"
    total = sum((row[2] for row in claim), ZERO)
    threshold = payout_policy(cooperative).run_approval_threshold
    needs_second = threshold is not None and total > threshold
    run = PayoutRun.objects.create(
        cooperative=cooperative,
        number=number,
        status=PayoutRun.Status.PENDING_APPROVAL if needs_second else PayoutRun.Status.READY,
        until=until,
        execution_date=next_target2_day(today),
        currency=cooperative.currency,
        total=total,
        item_count=len(claim),
        message_id=number,
        started_by=actor,
    )
    ids = [row[0] for row in claim]
    if ids:
        _claim_in_sql(cooperative, run, ids, actor)
    # The employer's liabilities due (ÖGK, tax office, municipalities) go with the same file.
    liabilities, liabilities_held = liabilities_claim(cooperative=cooperative, run=run, until=until)
    if liabilities:
        run.total = total + liabilities
        run.save(update_fields=["total"])
    if run.status == PayoutRun.Status.READY and (ids or liabilities):
        _store_sepa(cooperative, run)
    if claim_record is not None:
        idempotency_complete(record=claim_record, result=run)
    audit_log(
        cooperative=cooperative,
        actor=actor.user if actor is not None else None,
        event="payout_run.started",
        obj=run,
        data={
            "until": until.isoformat(),
            "items": len(ids),
            "total": str(total),
            "held_back": len(rows) - len(ids),
            "liabilities": str(liabilities),
            "liabilities_held_back": liabilities_held,
        },
    )
    _crash_point("end")
    return run


def _claim_in_sql(cooperative: Cooperative, run: PayoutRun, ids: list[int], actor: Membership | None) -> None:
    """Flip the locked items to the run, then write their attempts and events with INSERT … SELECT.

    Set-based SQL instead of 10,000 model objects: the rows are made in the database from the items
    just updated (EndToEndId `<run>-<item>-<attempt>`), a constant three statements for any number.
    """
    item_table = PayoutItem._meta.db_table
    # Table names come from the models; every value is a query parameter (hence the S608 noqa).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {item_table} SET status = %s, run_id = %s, attempt_count = attempt_count + 1 "  # noqa: S608
            "WHERE cooperative_id = %s AND id = ANY(%s) AND status = %s",
            [PayoutItem.Status.IN_RUN, run.pk, cooperative.pk, ids, PayoutItem.Status.APPROVED],
        )
        if cursor.rowcount != len(ids):  # cannot happen while the rows are locked; refuse rather than guess
            raise ApplicationError("The claimed payout items changed while locked.", conflict=True)
        _crash_point("items")
        cursor.execute(
            f"INSERT INTO {PayoutRunItem._meta.db_table} "  # noqa: S608
            "(cooperative_id, run_id, item_id, end_to_end_id, amount, outcome, reason) "
            "SELECT cooperative_id, run_id, id, %s || '-' || id || '-' || attempt_count, amount, %s, '' "
            f"FROM {item_table} WHERE cooperative_id = %s AND run_id = %s ORDER BY id",
            [run.number, PayoutRunItem.Outcome.PENDING, cooperative.pk, run.pk],
        )
        _crash_point("attempts")
        cursor.execute(
            f"INSERT INTO {PayoutItemEvent._meta.db_table} "  # noqa: S608
            "(cooperative_id, item_id, from_status, to_status, run_id, reason, actor_id, created_at) "
            "SELECT cooperative_id, id, %s, %s, run_id, '', %s, now() "
            f"FROM {item_table} WHERE cooperative_id = %s AND run_id = %s ORDER BY id",
            [
                PayoutItem.Status.APPROVED,
                PayoutItem.Status.IN_RUN,
                actor.user_id if actor is not None else None,
                cooperative.pk,
                run.pk,
            ],
        )


def payout_run_daily(*, cooperative: Cooperative, today: date | None = None) -> PayoutRun | None:
    """The beat's run: deadlines up to today + the policy's horizon in working days; safe to run twice."""
    today = today or timezone.localdate()
    horizon = payout_policy(cooperative).run_horizon_working_days
    until = add_working_days(today, horizon, cooperative.country)
    return payout_run_start(cooperative=cooperative, actor=None, until=until, skip_if_empty=True)


# --- the SEPA file -------------------------------------------------------------------------------------


def _debtor(cooperative: Cooperative) -> Party:
    return Party(
        name=cooperative.legal_name or cooperative.name,
        iban=cooperative.iban,
        bic=cooperative.bic,
        address=Address(
            cooperative.street,
            cooperative.building_number,
            cooperative.postcode,
            cooperative.city,
            cooperative.country,
        ),
    )


def _purpose(item: PayoutItem) -> str:
    """A payout item's category purpose: SALA for a net salary, SUPP for fees and expenses."""
    return SALA if item.kind == PayoutItem.Kind.SALARY else SUPP


def _creditor(profile: PayeeProfile, membership: Membership) -> Party:
    user = membership.user
    name = profile.account_holder or f"{user.first_name} {user.last_name}".strip() or user.email
    return Party(
        name=name,
        iban=profile.iban,
        bic=profile.bic,
        address=Address(
            profile.street, profile.building_number, profile.postcode, profile.town, profile.country
        ),
    )


def _store_sepa(cooperative: Cooperative, run: PayoutRun) -> None:
    """Write, validate and store the run's pain.001 once: every later download is these bytes."""
    attempts = list(
        PayoutRunItem.objects.for_cooperative(cooperative)
        .filter(run=run)
        .select_related("item__payee__user")
        .only(
            "end_to_end_id",
            "amount",
            "item__kind",
            "item__description",
            "item__payee__id",
            "item__payee__user__first_name",
            "item__payee__user__last_name",
            "item__payee__user__email",
        )
        .order_by("pk")
    )
    payee_ids = {attempt.item.payee_id for attempt in attempts}
    profiles = {
        profile.membership_id: profile
        for profile in PayeeProfile.objects.for_cooperative(cooperative).filter(membership_id__in=payee_ids)
    }
    parties: dict[int, Party] = {}
    transfers = []
    for attempt in attempts:
        item = attempt.item
        if item.payee_id not in parties:
            parties[item.payee_id] = _creditor(profiles[item.payee_id], item.payee)
        transfers.append(
            Transfer(
                end_to_end_id=attempt.end_to_end_id,
                amount=attempt.amount,
                creditor=parties[item.payee_id],
                text=f"{item.description} {attempt.end_to_end_id}",
                purpose=_purpose(item),
            )
        )
    transfers += liability_transfers(cooperative=cooperative, run=run)
    data = build_pain001(
        message_id=run.message_id,
        created_at=timezone.now(),
        execution_date=run.execution_date,
        debtor=_debtor(cooperative),
        transfers=transfers,
        currency=run.currency,
    )
    errors = pain001_errors(data)
    if errors:
        raise ApplicationError(
            _("The SEPA file does not pass the pain.001.001.09 schema: %(error)s") % {"error": errors[0]},
            details={"sepa": errors[:10]},
        )
    run.sepa_xml = data
    PayoutRun.objects.for_cooperative(cooperative).filter(pk=run.pk).update(
        sepa_xml=data, execution_date=run.execution_date
    )


def payout_run_sepa(*, cooperative: Cooperative, actor: Membership, run: PayoutRun) -> bytes:
    """The stored pain.001 of the run (identical on every download); not before the second approval."""
    _same_cooperative(cooperative, actor, run)
    _require_runner(actor)
    if run.status == PayoutRun.Status.PENDING_APPROVAL:
        raise ApplicationError(
            _("This run needs a second approval before its file can be downloaded."), conflict=True
        )
    if not run.sepa_xml:
        raise ApplicationError(_("This run has no transfers, so there is no file."), conflict=True)
    return bytes(run.sepa_xml)


def sepa_file_name(run: PayoutRun) -> str:
    return f"{run.number}.pain.001.xml"


# --- approval, sent, confirmed -------------------------------------------------------------------------


def _conflict_status(run: PayoutRun) -> ApplicationError:
    return ApplicationError(
        _("This payout run is %(status)s.") % {"status": status_in_sentence(run.get_status_display())},
        details={"status": run.status},
        conflict=True,
    )


@transaction.atomic(durable=True)
def payout_run_approve(*, cooperative: Cooperative, actor: Membership, run: PayoutRun) -> PayoutRun:
    """A second person (finance/admin, not the starter) approves: the run is ready, its file written."""
    _same_cooperative(cooperative, actor, run)
    _require_runner(actor)
    run = lock_payout_run(PayoutRun, cooperative, run.pk)
    if run.status == PayoutRun.Status.READY and run.approved_by_id == actor.pk:
        return run  # the same approval arriving twice
    if run.status != PayoutRun.Status.PENDING_APPROVAL:
        raise _conflict_status(run)
    if run.started_by_id == actor.pk:
        raise NotAllowed(
            _("The second approval must come from another person than the one who started the run.")
        )
    run.status = PayoutRun.Status.READY
    run.approved_by = actor
    run.approved_at = timezone.now()
    run.execution_date = next_target2_day(timezone.localdate())
    run.save(update_fields=["status", "approved_by", "approved_at", "execution_date"])
    if run.item_count or run.liabilities.exists():
        _store_sepa(cooperative, run)
    audit_log(cooperative=cooperative, actor=actor.user, event="payout_run.approved", obj=run)
    return run


def _run_items_locked(cooperative: Cooperative, run: PayoutRun) -> tuple[list[PayoutItem], PayoutRun]:
    """Lock the run's current items, then the run (the kernel's order: payout item → payout run)."""
    ids = PayoutItem.objects.for_cooperative(cooperative).filter(run_id=run.pk).values_list("pk", flat=True)
    items = lock_payout_items(PayoutItem, cooperative, list(ids))
    return items, lock_payout_run(PayoutRun, cooperative, run.pk)


@transaction.atomic(durable=True)
def payout_run_mark_sent(*, cooperative: Cooperative, actor: Membership, run: PayoutRun) -> PayoutRun:
    """The file went to the bank: its items become `sent`. Marking twice changes nothing."""
    _same_cooperative(cooperative, actor, run)
    _require_runner(actor)
    items, run = _run_items_locked(cooperative, run)
    if run.status in (PayoutRun.Status.SENT, PayoutRun.Status.CONFIRMED):
        return run
    if run.status != PayoutRun.Status.READY:
        raise _conflict_status(run)
    ids = [item.pk for item in items if item.status == PayoutItem.Status.IN_RUN]
    PayoutItem.objects.for_cooperative(cooperative).filter(pk__in=ids).update(status=PayoutItem.Status.SENT)
    PayoutItemEvent.objects.bulk_create(
        _event_rows(cooperative, ids, PayoutItem.Status.IN_RUN, PayoutItem.Status.SENT, run, actor)
    )
    run.status = PayoutRun.Status.SENT
    run.sent_by = actor
    run.sent_at = timezone.now()
    run.save(update_fields=["status", "sent_by", "sent_at"])
    audit_log(cooperative=cooperative, actor=actor.user, event="payout_run.sent", obj=run)
    _close_if_done(cooperative, run)
    return run


class _Accounts:
    """The bank account and payees' payouts-payable sub-accounts, each read once per service call."""

    def __init__(self, cooperative: Cooperative) -> None:
        self.cooperative = cooperative
        self._bank: Any = None
        self._payable: dict[int, Any] = {}

    def bank(self) -> Any:
        if self._bank is None:
            self._bank = account_get(cooperative=self.cooperative, type="bank")
        return self._bank

    def payable(self, payee: Membership) -> Any:
        if payee.pk not in self._payable:
            self._payable[payee.pk] = account_get(
                cooperative=self.cooperative, type="payouts_payable", payee=payee
            )
        return self._payable[payee.pk]


def _pay_attempt(
    cooperative: Cooperative,
    accounts: _Accounts,
    attempt: PayoutRunItem,
    item: PayoutItem,
    on: date,
    actor: Membership | None,
    how: str,
) -> None:
    """Book one paid attempt: payouts payable (payee) → bank, keyed by the attempt's EndToEndId."""
    entry, _created = journal_post(
        cooperative=cooperative,
        idempotency_key=f"payout.paid:{attempt.end_to_end_id}",
        date=on,
        description=f"Payout {attempt.end_to_end_id}: {item.description}",
        postings=[
            Posting(
                accounts.payable(item.payee),
                debit=attempt.amount,
                project=item.project,
                reference=attempt.end_to_end_id,
            ),
            Posting(
                accounts.bank(), credit=attempt.amount, project=item.project, reference=attempt.end_to_end_id
            ),
        ],
        source=attempt,
        actor=actor.user if actor is not None else None,
    )
    attempt.outcome = PayoutRunItem.Outcome.PAID
    attempt.journal_entry = entry
    attempt.reason = how[:300]
    attempt.save(update_fields=["outcome", "journal_entry", "reason"])
    payout_item_event(
        item,
        from_status=item.status,
        to_status=PayoutItem.Status.PAID,
        actor=actor,
        reason=how,
        run_id=attempt.run_id,
    )
    item.status = PayoutItem.Status.PAID
    item.paid_at = on
    item.save(update_fields=["status", "paid_at"])
    payee = Membership.objects.for_cooperative(cooperative).select_related("user").get(pk=item.payee_id)
    notify(
        cooperative=cooperative,
        kind="payout.paid",
        event=f"payout.paid:{attempt.end_to_end_id}",
        recipients=[payee.user],
        params={
            "amount": format_money(attempt.amount, attempt.run.currency, cooperative.language),
            "description": item.description,
            "date": format_date(on, cooperative.language),
        },
        link="/payout-details/",
    )


def _close_if_done(cooperative: Cooperative, run: PayoutRun, on: date | None = None) -> None:
    """A sent run with nothing pending any more is confirmed."""
    if run.status != PayoutRun.Status.SENT:
        return
    pending = PayoutRunItem.objects.for_cooperative(cooperative).filter(
        run=run, outcome=PayoutRunItem.Outcome.PENDING
    )
    if run.item_count and pending.exists():
        return
    run.status = PayoutRun.Status.CONFIRMED
    run.confirmed_at = timezone.now()
    run.save(update_fields=["status", "confirmed_at"])
    liabilities_pay(cooperative=cooperative, run=run, on=on or timezone.localdate(), actor=None)


@transaction.atomic(durable=True)
def payout_run_confirm(
    *, cooperative: Cooperative, actor: Membership, run: PayoutRun, on: date | None = None
) -> PayoutRun:
    """Confirm by hand that the bank paid every pending attempt: each is booked and its item is paid."""
    _same_cooperative(cooperative, actor, run)
    _require_runner(actor)
    items, run = _run_items_locked(cooperative, run)
    if run.status == PayoutRun.Status.CONFIRMED:
        return run
    if run.status != PayoutRun.Status.SENT:
        raise ApplicationError(
            _("Mark the run as sent before confirming it (it is %(status)s).")
            % {"status": status_in_sentence(run.get_status_display())},
            conflict=True,
        )
    by_id = {item.pk: item for item in items}
    accounts = _Accounts(cooperative)
    on = on or timezone.localdate()
    pending = PayoutRunItem.objects.for_cooperative(cooperative).filter(
        run=run, outcome=PayoutRunItem.Outcome.PENDING
    )
    payees = _payees(cooperative, items)
    for attempt in pending.order_by("pk"):
        item = by_id[attempt.item_id]
        item.payee = payees[item.payee_id]
        _pay_attempt(cooperative, accounts, attempt, item, on, actor, _("Confirmed by hand"))
    _close_if_done(cooperative, run, on)
    audit_log(cooperative=cooperative, actor=actor.user, event="payout_run.confirmed", obj=run)
    return run


# --- the bank's answers: camt.053 debit entries and pain.002 status reports ----------------------------


def _payees(cooperative: Cooperative, items: Iterable[PayoutItem]) -> dict[int, Membership]:
    ids = {item.payee_id for item in items}
    return {
        m.pk: m
        for m in Membership.objects.for_cooperative(cooperative).filter(pk__in=ids).select_related("user")
    }


def _finance_users(cooperative: Cooperative) -> list[Any]:
    return [
        membership.user
        for membership in Membership.objects.for_cooperative(cooperative)
        .filter(role__in=FINANCE_ROLES, status=Membership.Status.ACTIVE)
        .select_related("user")
    ]


def _reopen(
    cooperative: Cooperative,
    accounts: _Accounts,
    attempt: PayoutRunItem,
    item: PayoutItem,
    outcome: str,
    reason: str,
    on: date,
    actor: Membership | None,
    kind: str,
) -> None:
    """A rejected or returned attempt: book the money back if it was booked as paid, reopen the item."""
    if attempt.outcome == PayoutRunItem.Outcome.PAID:
        journal_post(
            cooperative=cooperative,
            idempotency_key=f"payout.returned:{attempt.end_to_end_id}",
            date=on,
            description=f"Payout {attempt.end_to_end_id} returned: {reason}",
            postings=[
                Posting(
                    accounts.bank(),
                    debit=attempt.amount,
                    project=item.project,
                    reference=attempt.end_to_end_id,
                ),
                Posting(
                    accounts.payable(item.payee),
                    credit=attempt.amount,
                    project=item.project,
                    reference=attempt.end_to_end_id,
                ),
            ],
            source=attempt,
            actor=actor.user if actor is not None else None,
        )
    attempt.outcome = outcome
    attempt.reason = reason[:300]
    attempt.save(update_fields=["outcome", "reason"])
    payout_item_event(
        item,
        from_status=item.status,
        to_status=PayoutItem.Status.APPROVED,
        actor=actor,
        reason=reason,
        run_id=attempt.run_id,
    )
    item.status = PayoutItem.Status.APPROVED
    item.run = None
    item.paid_at = None
    item.save(update_fields=["status", "run", "paid_at"])
    notify(
        cooperative=cooperative,
        kind=kind,
        event=f"{kind}:{attempt.end_to_end_id}",
        # The payee hears of it too: their money did not arrive (issue 13).
        recipients=[*_finance_users(cooperative), item.payee.user],
        params={
            "end_to_end_id": attempt.end_to_end_id,
            "amount": format_money(attempt.amount, attempt.run.currency, cooperative.language),
            "payee": str(item.payee),
            "reason": reason,
        },
        link=f"/admin/payroll/payoutrun/{attempt.run_id}/change/",
    )


def _close_after_commit(cooperative: Cooperative, run: PayoutRun) -> None:
    """Confirm the run, if nothing is pending any more, in its own short transaction after the import."""
    transaction.on_commit(lambda: payout_run_close_if_done(cooperative=cooperative, run_id=run.pk))


@transaction.atomic
def payout_run_close_if_done(*, cooperative: Cooperative, run_id: int) -> None:
    """A sent run with no pending attempt left becomes confirmed (safe to call any number of times)."""
    _close_if_done(cooperative, lock_payout_run(PayoutRun, cooperative, run_id))


def _locked_attempt_and_item(
    cooperative: Cooperative, attempt: PayoutRunItem
) -> tuple[PayoutRunItem, PayoutItem, PayoutRun]:
    # The item only: a statement books many entries in one transaction, and holding a run's lock while
    # taking the next item's would invert the kernel's order (item → run) against a concurrent confirm.
    [item] = lock_payout_items(PayoutItem, cooperative, [attempt.item_id])
    run = PayoutRun.objects.for_cooperative(cooperative).get(pk=attempt.run_id)
    attempt.refresh_from_db()
    item.payee = Membership.objects.for_cooperative(cooperative).select_related("user").get(pk=item.payee_id)
    return attempt, item, run


def payout_bank_entry_match(
    *, cooperative: Cooperative, actor: Membership, entry: Any, on: date
) -> str | None:
    """The bank-entry matcher (kernel registry): a debit with a run's EndToEndId pays that attempt; a
    reversal or return of it (RvslInd, RtrInf) reopens the item. Runs in the import's transaction."""
    if not entry.end_to_end_id:
        return None
    attempt = (
        PayoutRunItem.objects.for_cooperative(cooperative).filter(end_to_end_id=entry.end_to_end_id).first()
    )
    if attempt is None:
        return None
    is_return = entry.is_reversal or bool(entry.return_reason)
    if entry.is_credit and not is_return:
        return None
    attempt, item, run = _locked_attempt_and_item(cooperative, attempt)
    accounts = _Accounts(cooperative)
    if is_return:
        if attempt.outcome in (PayoutRunItem.Outcome.RETURNED, PayoutRunItem.Outcome.REJECTED):
            return _("Payout %(id)s: return already booked") % {"id": attempt.end_to_end_id}
        reason = _("Returned by the bank (%(code)s)") % {"code": entry.return_reason or "RvslInd"}
        _reopen(
            cooperative,
            accounts,
            attempt,
            item,
            PayoutRunItem.Outcome.RETURNED,
            reason,
            on,
            actor,
            "payout.returned",
        )
        _close_after_commit(cooperative, run)
        return _("Payout %(id)s returned") % {"id": attempt.end_to_end_id}
    if attempt.outcome == PayoutRunItem.Outcome.PAID:
        return _("Payout %(id)s: already paid") % {"id": attempt.end_to_end_id}
    if attempt.outcome != PayoutRunItem.Outcome.PENDING:
        return None  # rejected earlier, yet debited: a person looks at it
    if entry.amount != attempt.amount or entry.currency != run.currency:
        return None  # not what we sent: a person decides
    _pay_attempt(cooperative, accounts, attempt, item, on, actor, _("Debited on the bank statement"))
    _close_after_commit(cooperative, run)
    return _("Payout %(id)s paid") % {"id": attempt.end_to_end_id}


@dataclass
class StatusReportResult:
    rejected: list[str] = field(default_factory=list)
    noted: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)


@transaction.atomic(durable=True)
def payout_run_status_report_import(
    *, cooperative: Cooperative, actor: Membership, run: PayoutRun, data: bytes
) -> StatusReportResult:
    """Import the bank's pain.002 for this run: rejected transfers (RJCT) reopen their items with the reason
    code; other statuses (ACCP, ACSC, …) are noted on the attempt. Importing twice changes nothing."""
    from payroll.lib.pain002 import Pain002Error, parse_pain002

    _same_cooperative(cooperative, actor, run)
    _require_runner(actor)
    try:
        report = parse_pain002(data)
    except Pain002Error as exc:
        raise ApplicationError(
            _("The status report cannot be read: %(reason)s") % {"reason": exc.message},
            details={"file": [exc.message]},
        ) from exc
    if report.original_message_id != run.message_id:
        message = _("This status report is about message %(theirs)s, not about run %(run)s.") % {
            "theirs": report.original_message_id,
            "run": run.message_id,
        }
        raise ApplicationError(message, details={"file": [message]})
    attempts = {
        attempt.end_to_end_id: attempt
        for attempt in PayoutRunItem.objects.for_cooperative(cooperative)
        .filter(run=run)
        .select_related("item")
    }
    statuses: dict[str, tuple[str, str]] = {}
    if report.group_status == "RJCT" and not report.transactions:
        statuses = {e2e: ("RJCT", report.group_reason) for e2e in attempts}
    for block_id, (block_status, code) in report.blocks.items():
        if block_status == "RJCT":
            purpose = block_id.rsplit("-", 1)[-1]
            for e2e, attempt in attempts.items():
                if _purpose(attempt.item) == purpose:
                    statuses.setdefault(e2e, ("RJCT", code))
    for tx in report.transactions:
        statuses[tx.end_to_end_id] = (tx.status, tx.reason_code or tx.reason_text)
    result = StatusReportResult()
    rejected: list[tuple[PayoutRunItem, str]] = []
    for e2e in sorted(statuses):
        status, code = statuses[e2e]
        if e2e not in attempts:
            result.unknown.append(e2e)
        elif status != "RJCT":
            result.noted[status] = result.noted.get(status, 0) + 1
        else:
            rejected.append((attempts[e2e], code))
    # The kernel's order: the items (ascending id), then the run.
    items = {
        item.pk: item
        for item in lock_payout_items(
            PayoutItem, cooperative, [attempt.item_id for attempt, _code in rejected]
        )
    }
    run = lock_payout_run(PayoutRun, cooperative, run.pk)
    payees = _payees(cooperative, items.values())
    accounts = _Accounts(cooperative)
    on = timezone.localdate()
    for attempt, code in rejected:
        attempt.refresh_from_db()
        if attempt.outcome in (PayoutRunItem.Outcome.REJECTED, PayoutRunItem.Outcome.RETURNED):
            continue
        item = items[attempt.item_id]
        item.payee = payees[item.payee_id]
        reason = _("Rejected by the bank (%(code)s)") % {"code": code or "RJCT"}
        _reopen(
            cooperative,
            accounts,
            attempt,
            item,
            PayoutRunItem.Outcome.REJECTED,
            reason,
            on,
            actor,
            "payout.rejected",
        )
        result.rejected.append(attempt.end_to_end_id)
    _close_if_done(cooperative, run)
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="payout_run.status_report",
        obj=run,
        data={
            "message": report.message_id,
            "rejected": result.rejected,
            "noted": result.noted,
            "unknown": result.unknown,
        },
    )
    return result


# --- the deadline alarm --------------------------------------------------------------------------------


@transaction.atomic
def payout_deadline_alarms(*, cooperative: Cooperative, today: date | None = None) -> int:
    """One e-mail to finance per item and day for each item past its deadline and not in a sent run.

    The day is in the notification's event key and in `last_alarm_on`, so a second scan that day sends
    nothing. Returns how many items raised an alarm.
    """
    today = today or timezone.localdate()
    late = list(
        PayoutItem.objects.for_cooperative(cooperative)
        .filter(
            status__in=[PayoutItem.Status.APPROVED, PayoutItem.Status.IN_RUN],
            guarantee_deadline__lt=today,
        )
        .exclude(last_alarm_on=today)
        .select_related("payee__user")
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
    )
    if not late:
        return 0
    finance = _finance_users(cooperative)
    for item in late:
        notify(
            cooperative=cooperative,
            kind="payout.deadline_missed",
            event=f"payout.deadline_missed:{item.pk}:{today.isoformat()}",
            recipients=[*finance, item.payee.user],
            params={
                "payee": str(item.payee),
                "amount": format_money(item.amount, item.currency, cooperative.language),
                "deadline": format_date(item.guarantee_deadline, cooperative.language),
                "description": item.description,
            },
            link=f"/admin/payroll/payoutitem/{item.pk}/change/",
        )
    PayoutItem.objects.for_cooperative(cooperative).filter(pk__in=[item.pk for item in late]).update(
        last_alarm_on=today
    )
    return len(late)


DEADLINE_WARNING_DAYS = 2  # calendar days before the guarantee deadline: time left for finance to pay it


def payout_deadline_warnings(*, cooperative: Cooperative, today: date | None = None) -> int:
    """Warn finance and the payee once per item whose guarantee deadline is today or within the next
    DEADLINE_WARNING_DAYS days and that is not yet sent to the bank; returns how many warnings are new.

    The item is in the event key, so a second scan (that day or the next) adds nothing.
    """
    today = today or timezone.localdate()
    due_soon = list(
        PayoutItem.objects.for_cooperative(cooperative)
        .filter(
            status__in=[PayoutItem.Status.APPROVED, PayoutItem.Status.IN_RUN],
            guarantee_deadline__gte=today,
            guarantee_deadline__lte=today + timedelta(days=DEADLINE_WARNING_DAYS),
        )
        .select_related("payee__user")
        .order_by("pk")
    )
    if not due_soon:
        return 0
    finance = _finance_users(cooperative)
    created = 0
    for item in due_soon:
        created += notify(
            cooperative=cooperative,
            kind="payout.deadline_at_risk",
            event=f"payout.deadline_at_risk:{item.pk}",
            recipients=[*finance, item.payee.user],
            params={
                "payee": str(item.payee),
                "amount": format_money(item.amount, item.currency, cooperative.language),
                "deadline": format_date(item.guarantee_deadline, cooperative.language),
                "description": item.description,
            },
            link=f"/admin/payroll/payoutitem/{item.pk}/change/",
        )
    return created
