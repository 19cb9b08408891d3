"""Fee notes (Honorarnoten) of self-employed payees: request, approval (four eyes), objection.

A fee note is a self-billing document (Gutschrift, § 11 Abs. 7 UStG): the cooperative issues it on the payee's
behalf, which needs the payee's prior agreement (PayeeProfile.self_billing_accepted_on). Every request is
checked against the project's available budget under the project lock (two requests at once can never
overdraw it); approval numbers it gaplessly, posts the ledger, creates the guaranteed payout item and queues
the PDF. Lock order (smartprod.core.locks): project → fee note → payout item.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payroll.models import FeeNote, PayeeProfile, PayoutItem, PayoutPolicy
from payroll.services.history import payout_item_event
from payroll.vat_rates import country_vat
from projects.budget import project_budget_figures
from projects.ledger import Posting, account_get, journal_post, journal_reverse
from projects.models import Account, Collaboration, JournalLine, Project
from projects.selectors import employment_of
from smartprod.core import capabilities, locks
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed, status_in_sentence
from smartprod.core.idempotency import IdempotentRequest, idempotency_claim, idempotency_complete
from smartprod.core.money import ZERO, percent_of, quantize_money
from smartprod.core.notifications import notify
from smartprod.core.numbering import number_next
from smartprod.core.workdays import add_working_days
from smartprod.tenancy.models import Cooperative, Membership

FEE_NOTE_SERIES = "fee_note"
INPUT_VAT = "input_vat"


def _check_same(cooperative: Cooperative, *objects: models.Model) -> None:
    for obj in objects:
        if getattr(obj, "cooperative_id", None) != cooperative.pk:
            raise ObjectDoesNotExist(f"{obj._meta.label} {obj.pk} belongs to another cooperative.")


def guarantee_deadline(*, cooperative: Cooperative, approved_on: date) -> date:
    """Approval date + the cooperative's guarantee period in working days of its country."""
    return add_working_days(approved_on, cooperative.payout_guarantee_days, cooperative.country)


def budget_cost(fee_note: FeeNote) -> Decimal:
    """What the fee costs the project budget: the net (a registered payee's VAT is reclaimable input VAT;
    reverse-charge VAT the cooperative owes and reclaims at once)."""
    return fee_note.net_amount


def _vat(
    *, cooperative: Cooperative, profile: PayeeProfile, net: Decimal, vat_rate: Decimal | None
) -> tuple[str, Decimal, Decimal]:
    """(treatment, rate, VAT amount) by the payee's VAT status."""
    status = profile.vat_status
    if status == PayeeProfile.VatStatus.REGISTERED:
        rates = country_vat(cooperative.country).rates
        rate = quantize_money(vat_rate) if vat_rate is not None else None
        if rate not in rates:
            raise ApplicationError(
                _("The VAT rate must be one of %(rates)s %%.") % {"rates": ", ".join(str(r) for r in rates)},
                details={"vat_rate": [_("Not a VAT rate of this country.")]},
            )
        return FeeNote.VatTreatment.DOMESTIC, rate, percent_of(net, rate)
    if status == PayeeProfile.VatStatus.EU_REVERSE_CHARGE:
        return FeeNote.VatTreatment.REVERSE_CHARGE, ZERO, ZERO
    return FeeNote.VatTreatment.SMALL_BUSINESS, ZERO, ZERO


def _refuse_over_budget(available: Decimal, cost: Decimal, currency: str, *, conflict: bool = False) -> None:
    if cost > available:
        shown = max(available, ZERO)
        raise ApplicationError(
            _("The project's budget has only %(available)s %(currency)s available; this fee costs %(cost)s.")
            % {"available": shown, "currency": currency, "cost": cost},
            details={"available": str(shown), "net_amount": [_("More than the available budget.")]},
            conflict=conflict,
        )


@transaction.atomic
def fee_note_request(
    *,
    cooperative: Cooperative,
    actor: Membership,
    project: Project,
    payee: Membership,
    service_period_start: date,
    service_period_end: date,
    description: str,
    net_amount: Decimal,
    vat_rate: Decimal | None = None,
    report_109a: bool = False,
    idempotent: IdempotentRequest | None = None,
) -> FeeNote:
    """A payee (or the project's owner for a collaborator, or staff) asks for a fee from an approved project.

    With `idempotent` (an Idempotency-Key, or the request form's one-time token) a request sent twice creates
    one fee note: the replay returns it; the same key with another request is refused (409).

    The payee must be self-employed on the project and have accepted self-billing. The budget cost (net) must
    fit the project's available amount, checked under the project lock: the request joins the pending
    payouts, so a second request at once sees it. Nothing is posted before approval.
    """
    _check_same(cooperative, actor, project, payee)
    if actor.pk != payee.pk and actor.pk != project.owner_id and not capabilities.is_staff(actor):
        raise NotAllowed(_("Only the payee, the project's owner or staff request a fee for someone."))
    record = None
    if idempotent is not None:
        record = idempotency_claim(
            cooperative=cooperative, operation="payroll.fee_note_request", idempotent=idempotent
        )
        if record.result_id:
            return FeeNote.objects.for_cooperative(cooperative).get(pk=int(record.result_id))
    if project.status != Project.Status.APPROVED:
        raise ApplicationError(
            _("Fees are paid from approved projects; this project is %(status)s.")
            % {"status": status_in_sentence(project.get_status_display())},
            conflict=True,
        )
    employment = employment_of(project, payee)
    if employment is None:
        raise ApplicationError(
            _("This person does not work on this project."), details={"payee": [_("Not on the project.")]}
        )
    if employment != Collaboration.Employment.SELF_EMPLOYED:
        raise ApplicationError(
            _("This person is employed on this project: they are paid a salary, not a fee."),
            details={"payee": [_("Employed on this project.")]},
        )
    profile = PayeeProfile.objects.for_cooperative(cooperative).filter(membership=payee).first()
    if profile is None or profile.self_billing_accepted_on is None:
        raise ApplicationError(
            _(
                "The payee has not accepted the self-billing agreement yet: the cooperative may only issue "
                "fee notes on their behalf once they have (payee profile)."
            ),
            details={"payee": [_("Self-billing agreement missing.")]},
        )
    description = description.strip()
    if not description:
        raise ApplicationError(_("Please describe the service."), details={"description": [_("Required.")]})
    if service_period_end < service_period_start:
        raise ApplicationError(
            _("The service period ends before it starts."),
            details={"service_period_end": [_("Before the start.")]},
        )
    net = quantize_money(net_amount)
    if net <= 0:
        raise ApplicationError(
            _("The net amount must be more than zero."), details={"net_amount": [_("Must be positive.")]}
        )
    treatment, rate, vat = _vat(cooperative=cooperative, profile=profile, net=net, vat_rate=vat_rate)
    project = locks.lock_project(Project, cooperative, project.pk)
    figures = project_budget_figures(cooperative=cooperative, project=project)
    _refuse_over_budget(quantize_money(figures.budget_available), net, cooperative.currency)
    fee_note = FeeNote.objects.create(
        cooperative=cooperative,
        project=project,
        payee=payee,
        service_period_start=service_period_start,
        service_period_end=service_period_end,
        description=description,
        currency=cooperative.currency,
        net_amount=net,
        vat_treatment=treatment,
        vat_rate=rate,
        vat_amount=vat,
        gross_amount=net + vat,
        report_109a=report_109a,
        requested_by=actor,
    )
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="fee_note.requested",
        obj=fee_note,
        data={"net": str(net), "vat": str(vat), "payee": payee.pk, "project": project.pk},
    )
    if record is not None:
        idempotency_complete(record=record, result=fee_note)
    return fee_note


def _check_approver(actor: Membership, fee_note: FeeNote) -> None:
    if not capabilities.can_approve_payout(actor):
        raise NotAllowed(_("Only advisors, finance staff and admins approve fee notes."))
    if fee_note.payee_id == actor.pk:
        raise NotAllowed(_("Nobody approves or rejects their own fee note."))


def _fee_postings(cooperative: Cooperative, project: Project, fee_note: FeeNote) -> list[Posting]:
    """Budget net; input VAT (registered payee); payee's payouts payable gross (DESIGN.md ledger table).

    Reverse charge: the cooperative owes the payee's VAT itself and reclaims it as input VAT in the same
    return (full input VAT deduction), so the net effect is 0; it is left out of the entry and reported in
    the VAT return from the fee notes marked reverse charge.
    """
    event, reference = JournalLine.Event.FEE_NOTE, fee_note.number
    postings = [
        Posting(
            account_get(cooperative=cooperative, type=Account.Type.PROJECT_BUDGET, project=project),
            debit=fee_note.net_amount,
            kind=JournalLine.Kind.FEE,
            description=f"Fee note {fee_note.number}",
            event=event,
            reference=reference,
        )
    ]
    if fee_note.vat_amount > 0:
        postings.append(
            Posting(
                account_get(cooperative=cooperative, type=INPUT_VAT),
                debit=fee_note.vat_amount,
                kind=JournalLine.Kind.FEE,
                description=f"Fee note {fee_note.number}: input VAT",
                project=project,
                event=event,
                reference=reference,
            )
        )
    postings.append(
        Posting(
            account_get(cooperative=cooperative, type=Account.Type.PAYOUTS_PAYABLE, payee=fee_note.payee),
            credit=fee_note.gross_amount,
            kind=JournalLine.Kind.FEE,
            description=f"Fee note {fee_note.number}",
            project=project,
            event=event,
            reference=reference,
        )
    )
    return postings


@transaction.atomic
def fee_note_approve(*, cooperative: Cooperative, actor: Membership, fee_note: FeeNote) -> FeeNote:
    """Approve a requested fee note; with four eyes on (PayoutPolicy threshold) above it, two people must.

    The final approval (under the project lock, then the fee note's) re-checks the budget, takes the next
    gapless number (HN-<year>-<5 digits>), posts the ledger (key `fee_note:<id>:approved`), creates the payout
    item with its guarantee deadline, notifies the payee and queues the PDF. A second or concurrent approval
    finds the note approved and is refused (409): one number, one entry, one item.
    """
    _check_same(cooperative, actor, fee_note)
    _check_approver(actor, fee_note)
    project, fee_note = locks.lock_project_and_child(
        locks.FEE_NOTE, Project, FeeNote, cooperative, project_id=fee_note.project_id, child_id=fee_note.pk
    )
    if fee_note.status != FeeNote.Status.REQUESTED:
        raise ApplicationError(
            _("This fee note is already %(status)s.")
            % {"status": status_in_sentence(fee_note.get_status_display())},
            conflict=True,
        )
    now = timezone.now()
    policy = PayoutPolicy.objects.for_cooperative(cooperative).first()
    threshold = policy.fee_approval_threshold if policy is not None else None
    if threshold is not None and fee_note.gross_amount > threshold:
        if fee_note.first_approved_by_id is None:
            fee_note.first_approved_by, fee_note.first_approved_at = actor, now
            fee_note.save(update_fields=["first_approved_by", "first_approved_at"])
            audit_log(
                cooperative=cooperative,
                actor=actor.user,
                event="fee_note.first_approval",
                obj=fee_note,
                data={},
            )
            return fee_note
        if fee_note.first_approved_by_id == actor.pk:
            raise NotAllowed(
                _("This fee note is above %(threshold)s: a second, different person must approve it.")
                % {"threshold": threshold}
            )
    figures = project_budget_figures(cooperative=cooperative, project=project)
    # The note is itself among the pending payouts: what else is pending must stay covered too.
    available = quantize_money(figures.budget_available)
    _refuse_over_budget(
        available + budget_cost(fee_note), budget_cost(fee_note), fee_note.currency, conflict=True
    )
    today = timezone.localdate()
    number = number_next(cooperative=cooperative, series=FEE_NOTE_SERIES, year=today.year)
    fee_note.number = f"HN-{today.year}-{number:05d}"
    fee_note.status = FeeNote.Status.APPROVED
    fee_note.decided_by, fee_note.decided_at = actor, now
    fee_note.guarantee_deadline = guarantee_deadline(cooperative=cooperative, approved_on=today)
    entry, _created = journal_post(
        cooperative=cooperative,
        idempotency_key=f"fee_note:{fee_note.pk}:approved",
        date=today,
        description=f"Fee note {fee_note.number}",
        postings=_fee_postings(cooperative, project, fee_note),
        source=fee_note,
        actor=actor.user,
    )
    fee_note.journal_entry = entry
    fee_note.save()
    item = PayoutItem.objects.create(
        cooperative=cooperative,
        kind=PayoutItem.Kind.FEE,
        payee=fee_note.payee,
        project=project,
        fee_note=fee_note,
        description=f"{fee_note.number} {fee_note.description}"[:140],
        currency=fee_note.currency,
        amount=fee_note.gross_amount,
        approved_at=now,
        guarantee_deadline=fee_note.guarantee_deadline,
    )
    payout_item_event(item, from_status="", to_status=PayoutItem.Status.APPROVED, actor=actor)
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="fee_note.approved",
        obj=fee_note,
        data={"number": fee_note.number, "gross": str(fee_note.gross_amount)},
    )
    payee = Membership.objects.for_cooperative(cooperative).select_related("user").get(pk=fee_note.payee_id)
    notify(
        cooperative=cooperative,
        kind="payout.approved",
        event=f"fee_note.approved:{fee_note.pk}",
        recipients=[payee.user],
        params={
            "number": fee_note.number,
            "amount": str(fee_note.gross_amount),
            "currency": fee_note.currency,
            "deadline": fee_note.guarantee_deadline.isoformat(),
        },
        link=f"/payroll/fee-notes/{fee_note.pk}/",
    )
    from payroll.tasks import render_fee_note_pdf_task

    render_fee_note_pdf_task.delay_on_commit(cooperative_id=cooperative.pk, fee_note_id=fee_note.pk)
    return fee_note


@transaction.atomic
def fee_note_reject(
    *, cooperative: Cooperative, actor: Membership, fee_note: FeeNote, reason: str
) -> FeeNote:
    """Refuse a requested fee note (with a reason); it leaves the pending payouts, nothing was posted."""
    _check_same(cooperative, actor, fee_note)
    _check_approver(actor, fee_note)
    if not reason.strip():
        raise ApplicationError(_("Please say why, in a reason."), details={"reason": [_("Required.")]})
    fee_note = locks.lock_fee_note(FeeNote, cooperative, fee_note.pk)
    if fee_note.status != FeeNote.Status.REQUESTED:
        raise ApplicationError(
            _("This fee note is already %(status)s.")
            % {"status": status_in_sentence(fee_note.get_status_display())},
            conflict=True,
        )
    fee_note.status = FeeNote.Status.REJECTED
    fee_note.decided_by, fee_note.decided_at, fee_note.decision_reason = actor, timezone.now(), reason.strip()
    fee_note.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="fee_note.rejected",
        obj=fee_note,
        data={"reason": reason},
    )
    return fee_note


@transaction.atomic
def fee_note_object(
    *, cooperative: Cooperative, actor: Membership, fee_note: FeeNote, reason: str = ""
) -> FeeNote:
    """The payee objects to the self-billed document (§ 11 Abs. 7 UStG): it is reversed in the ledger and its
    payout item cancelled — only while the item waits for a run (in a run, sent or paid: 409)."""
    _check_same(cooperative, actor, fee_note)
    if fee_note.payee_id != actor.pk:
        raise NotAllowed(_("Only the payee objects to their fee note."))
    _project, fee_note = locks.lock_project_and_child(
        locks.FEE_NOTE, Project, FeeNote, cooperative, project_id=fee_note.project_id, child_id=fee_note.pk
    )
    if fee_note.status != FeeNote.Status.APPROVED:
        raise ApplicationError(
            _("Only an approved fee note can be objected to; this one is %(status)s.")
            % {"status": status_in_sentence(fee_note.get_status_display())},
            conflict=True,
        )
    item_id = (
        PayoutItem.objects.for_cooperative(cooperative).values_list("pk", flat=True).get(fee_note=fee_note)
    )
    (item,) = locks.lock_payout_items(PayoutItem, cooperative, [item_id])
    if item.status != PayoutItem.Status.APPROVED:
        raise ApplicationError(
            _(
                "The payout of this fee note is already %(status)s; an objection is no longer possible here. "
                "Please contact finance."
            )
            % {"status": status_in_sentence(item.get_status_display())},
            conflict=True,
        )
    assert fee_note.journal_entry is not None
    journal_reverse(
        cooperative=cooperative,
        entry=fee_note.journal_entry,
        date=timezone.localdate(),
        reason=f"objection to fee note {fee_note.number}",
        actor=actor.user,
    )
    item.status = PayoutItem.Status.CANCELLED
    item.save(update_fields=["status"])
    payout_item_event(
        item,
        from_status=PayoutItem.Status.APPROVED,
        to_status=PayoutItem.Status.CANCELLED,
        actor=actor,
        reason=reason or "objection",
    )
    fee_note.status = FeeNote.Status.OBJECTED
    fee_note.decision_reason = reason.strip() or fee_note.decision_reason
    fee_note.save(update_fields=["status", "decision_reason"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="fee_note.objected",
        obj=fee_note,
        data={"reason": reason},
    )
    return fee_note
