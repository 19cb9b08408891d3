"""Fee notes: request (VAT by status, agreement, budget), approval (four eyes, never one's own), the ledger to
the cent, the gapless number, the payout item with its working-day deadline, objection, rejection."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from payroll.models import FeeNote, PayeeProfile, PayoutItem, PayoutItemEvent, PayoutPolicy, PayoutRun
from payroll.services import fees
from projects import services as projects
from projects.budget import project_budget
from projects.ledger import account_balance, account_get
from projects.models import Account, Collaboration, JournalEntry, JournalLine
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.core.models import Notification
from tests.payroll_fees_helpers import funded_project, payee_profile, request_fee

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(coop, make_member):
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    finance = make_member(coop, role="finance")
    return owner, advisor, finance


def test_registered_payee_fee_posts_net_budget_input_vat_and_gross_payable_to_the_cent(coop, people):
    owner, advisor, _finance = people
    payee_profile(owner, PayeeProfile.VatStatus.REGISTERED)
    project = funded_project(coop, owner, advisor)
    note = request_fee(coop, owner, project, net_amount=Decimal("1000.00"), vat_rate=Decimal("20"))
    assert (note.vat_amount, note.gross_amount, note.vat_treatment) == (
        Decimal("200.00"),
        Decimal("1200.00"),
        FeeNote.VatTreatment.DOMESTIC,
    )
    assert project_budget(cooperative=coop, project=project).available == Decimal("1000.00")  # pending

    note = fees.fee_note_approve(cooperative=coop, actor=advisor, fee_note=note)

    year = timezone.localdate().year
    assert note.status == FeeNote.Status.APPROVED
    assert note.number == f"HN-{year}-00001"
    lines = {
        (line.account.type, line.debit, line.credit)
        for line in JournalLine.objects.for_cooperative(coop)
        .filter(entry=note.journal_entry)
        .select_related("account")
    }
    assert lines == {
        ("project_budget", Decimal("1000.00"), Decimal("0.00")),
        ("input_vat", Decimal("200.00"), Decimal("0.00")),
        ("payouts_payable", Decimal("0.00"), Decimal("1200.00")),
    }
    payable = account_get(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE, payee=owner)
    assert account_balance(cooperative=coop, account=payable) == Decimal("-1200.00")
    budget = project_budget(cooperative=coop, project=project)
    assert budget.balance == Decimal("1000.00") and budget.available == Decimal("1000.00")
    assert budget.lines[-1].kind == JournalLine.Kind.FEE
    assert budget.lines[-1].description == f"Fee note {note.number}"
    item = PayoutItem.objects.for_cooperative(coop).get(fee_note=note)
    assert (item.kind, item.amount, item.status, item.payee_id) == (
        "fee",
        Decimal("1200.00"),
        "approved",
        owner.pk,
    )
    assert (
        item.guarantee_deadline
        == note.guarantee_deadline
        == fees.guarantee_deadline(cooperative=coop, approved_on=timezone.localdate())
    )
    assert PayoutItemEvent.objects.for_cooperative(coop).filter(item=item, to_status="approved").count() == 1
    assert (
        Notification.objects.for_cooperative(coop)
        .filter(recipient=owner.user, kind="payout.approved")
        .count()
        == 1
    )


def test_small_business_fee_has_no_vat_and_reverse_charge_posts_no_vat(coop, people, make_member):
    owner, advisor, _finance = people
    payee_profile(owner)
    project = funded_project(coop, owner, advisor)
    small = request_fee(coop, owner, project, net_amount=Decimal("300.00"), vat_rate=Decimal("20"))
    assert (small.vat_amount, small.gross_amount, small.vat_treatment) == (
        Decimal("0.00"),
        Decimal("300.00"),
        FeeNote.VatTreatment.SMALL_BUSINESS,
    )
    collaborator = make_member(coop)
    Collaboration.objects.create(
        cooperative=coop, project=project, membership=collaborator, employment="self_employed"
    )
    payee_profile(collaborator, PayeeProfile.VatStatus.EU_REVERSE_CHARGE)
    foreign = request_fee(coop, owner, project, payee=collaborator, net_amount=Decimal("400.00"))
    assert (foreign.vat_amount, foreign.vat_treatment) == (
        Decimal("0.00"),
        FeeNote.VatTreatment.REVERSE_CHARGE,
    )
    foreign = fees.fee_note_approve(cooperative=coop, actor=advisor, fee_note=foreign)
    types = sorted(
        JournalLine.objects.for_cooperative(coop)
        .filter(entry=foreign.journal_entry)
        .values_list("account__type", flat=True)
    )
    assert types == ["payouts_payable", "project_budget"]


def test_request_refused_without_agreement_with_wrong_rate_or_over_budget(coop, people, make_member):
    owner, advisor, _finance = people
    project = funded_project(coop, owner, advisor, amount="2000.00")
    with pytest.raises(ApplicationError, match="self-billing agreement"):
        request_fee(coop, owner, project)
    payee_profile(owner, PayeeProfile.VatStatus.REGISTERED)
    with pytest.raises(ApplicationError, match="VAT rate"):
        request_fee(coop, owner, project, vat_rate=Decimal("19"))
    request_fee(coop, owner, project, net_amount=Decimal("1500.00"), vat_rate=Decimal("20"))
    with pytest.raises(ApplicationError, match=r"only 500\.00 EUR available") as refused:
        request_fee(coop, owner, project, net_amount=Decimal("500.01"), vat_rate=Decimal("20"))
    assert refused.value.details["available"] == "500.00"
    assert FeeNote.objects.for_cooperative(coop).count() == 1
    employed = make_member(coop)
    Collaboration.objects.create(
        cooperative=coop, project=project, membership=employed, employment="employed"
    )
    payee_profile(employed)
    with pytest.raises(ApplicationError, match="salary"):
        request_fee(coop, owner, project, payee=employed, net_amount=Decimal("10.00"))
    stranger = make_member(coop)
    payee_profile(stranger)
    with pytest.raises(NotAllowed):
        request_fee(coop, stranger, project, payee=owner, net_amount=Decimal("10.00"))


def test_payee_never_approves_or_rejects_their_own_fee_even_as_staff(coop, people, make_member):
    owner, advisor, _finance = people
    project = funded_project(coop, owner, advisor)
    staff_payee = make_member(coop, role="advisor")
    Collaboration.objects.create(
        cooperative=coop, project=project, membership=staff_payee, employment="self_employed"
    )
    payee_profile(staff_payee)
    note = request_fee(coop, staff_payee, project, net_amount=Decimal("100.00"))
    assert note.status == FeeNote.Status.REQUESTED  # requesting is not approving
    with pytest.raises(NotAllowed):
        fees.fee_note_approve(cooperative=coop, actor=staff_payee, fee_note=note)
    with pytest.raises(NotAllowed):
        fees.fee_note_reject(cooperative=coop, actor=staff_payee, fee_note=note, reason="no")
    with pytest.raises(NotAllowed):
        fees.fee_note_approve(cooperative=coop, actor=owner, fee_note=note)  # a member
    note.refresh_from_db()
    assert note.status == FeeNote.Status.REQUESTED and not note.number


def test_four_eyes_above_the_threshold_needs_a_second_different_person(coop, people):
    owner, advisor, finance = people
    payee_profile(owner)
    PayoutPolicy.objects.create(cooperative=coop, fee_approval_threshold=Decimal("999.99"))
    project = funded_project(coop, owner, advisor)
    small = request_fee(coop, owner, project, net_amount=Decimal("999.99"))
    assert fees.fee_note_approve(cooperative=coop, actor=advisor, fee_note=small).status == "approved"
    note = request_fee(coop, owner, project, net_amount=Decimal("1000.00"))
    note = fees.fee_note_approve(cooperative=coop, actor=advisor, fee_note=note)
    assert note.status == FeeNote.Status.REQUESTED and note.first_approved_by == advisor and not note.number
    assert not PayoutItem.objects.for_cooperative(coop).filter(fee_note=note).exists()
    with pytest.raises(NotAllowed, match="second, different person"):
        fees.fee_note_approve(cooperative=coop, actor=advisor, fee_note=note)
    note = fees.fee_note_approve(cooperative=coop, actor=finance, fee_note=note)
    assert note.status == FeeNote.Status.APPROVED and note.decided_by == finance


def test_approving_twice_gives_one_number_one_entry_one_item(coop, people):
    owner, advisor, finance = people
    payee_profile(owner)
    project = funded_project(coop, owner, advisor)
    note = request_fee(coop, owner, project, net_amount=Decimal("100.00"))
    fees.fee_note_approve(cooperative=coop, actor=advisor, fee_note=note)
    with pytest.raises(ApplicationError, match="already approved") as again:
        fees.fee_note_approve(cooperative=coop, actor=finance, fee_note=note)
    assert again.value.conflict
    assert (
        JournalEntry.objects.for_cooperative(coop)
        .filter(idempotency_key=f"fee_note:{note.pk}:approved")
        .count()
        == 1
    )
    assert PayoutItem.objects.for_cooperative(coop).filter(fee_note=note).count() == 1
    second = fees.fee_note_approve(
        cooperative=coop,
        actor=advisor,
        fee_note=request_fee(coop, owner, project, net_amount=Decimal("1.00")),
    )
    assert second.number.endswith("-00002")


def test_rejection_frees_the_budget_and_needs_a_reason(coop, people):
    owner, advisor, _finance = people
    payee_profile(owner)
    project = funded_project(coop, owner, advisor)
    note = request_fee(coop, owner, project, net_amount=Decimal("2000.00"))
    assert project_budget(cooperative=coop, project=project).available == Decimal("0.00")
    with pytest.raises(ApplicationError, match="why"):
        fees.fee_note_reject(cooperative=coop, actor=advisor, fee_note=note, reason=" ")
    note = fees.fee_note_reject(cooperative=coop, actor=advisor, fee_note=note, reason="Period wrong")
    assert note.status == FeeNote.Status.REJECTED
    assert project_budget(cooperative=coop, project=project).available == Decimal("2000.00")


def test_objection_reverses_the_fee_and_cancels_its_item_only_before_a_run(coop, people):
    owner, advisor, _finance = people
    payee_profile(owner, PayeeProfile.VatStatus.REGISTERED)
    project = funded_project(coop, owner, advisor)
    note = fees.fee_note_approve(
        cooperative=coop, actor=advisor, fee_note=request_fee(coop, owner, project, vat_rate=Decimal("20"))
    )
    with pytest.raises(NotAllowed):
        fees.fee_note_object(cooperative=coop, actor=advisor, fee_note=note)
    note = fees.fee_note_object(cooperative=coop, actor=owner, fee_note=note, reason="Wrong amount")
    assert note.status == FeeNote.Status.OBJECTED
    item = PayoutItem.objects.for_cooperative(coop).get(fee_note=note)
    assert item.status == PayoutItem.Status.CANCELLED and item.run is None
    assert project_budget(cooperative=coop, project=project).balance == Decimal("2000.00")
    payable = account_get(cooperative=coop, type=Account.Type.PAYOUTS_PAYABLE, payee=owner)
    assert account_balance(cooperative=coop, account=payable) == Decimal("0.00")
    assert JournalEntry.objects.for_cooperative(coop).filter(reverses=note.journal_entry).count() == 1
    with pytest.raises(ApplicationError) as twice:
        fees.fee_note_object(cooperative=coop, actor=owner, fee_note=note)
    assert twice.value.conflict

    in_run = fees.fee_note_approve(
        cooperative=coop, actor=advisor, fee_note=request_fee(coop, owner, project, vat_rate=Decimal("20"))
    )
    run = PayoutRun.objects.create(
        cooperative=coop,
        number="PR-1",
        status="ready",
        until=date(2026, 6, 1),
        execution_date=date(2026, 6, 2),
        message_id="M1",
    )
    PayoutItem.objects.for_cooperative(coop).filter(fee_note=in_run).update(status="in_run", run=run)
    with pytest.raises(ApplicationError, match="no longer possible") as late:
        fees.fee_note_object(cooperative=coop, actor=owner, fee_note=in_run)
    assert late.value.conflict
    in_run.refresh_from_db()
    assert in_run.status == FeeNote.Status.APPROVED


def test_guarantee_deadline_counts_working_days_across_easter(coop):
    # Thu 2 Apr 2026 + 14 working days (AT): Easter Monday 6 Apr is a holiday → Thu 23 Apr.
    assert coop.payout_guarantee_days == 14 and coop.country == "AT"
    assert fees.guarantee_deadline(cooperative=coop, approved_on=date(2026, 4, 2)) == date(2026, 4, 23)
    # 8 December (Mariä Empfängnis, AT) on a Tuesday: + 3 working days from Fri 4 Dec 2026 → Thu 10 Dec.
    coop.payout_guarantee_days = 3
    assert fees.guarantee_deadline(cooperative=coop, approved_on=date(2026, 12, 4)) == date(2026, 12, 10)


def test_approved_expense_becomes_a_payout_item_and_deductible_vat_goes_to_input_vat(coop, people):
    from tests.projects_helpers import png_upload

    owner, advisor, finance = people
    project = funded_project(coop, owner, advisor)

    def submit(amount: str, vat: str):
        return projects.expense_submit(
            cooperative=coop,
            actor=owner,
            project=project,
            amount=Decimal(amount),
            vat_amount=Decimal(vat),
            date=date(2026, 5, 5),
            description="Lights",
            receipt_upload=png_upload(),
        )

    plain = projects.expense_approve(cooperative=coop, actor=advisor, expense=submit("120.00", "20.00"))
    item = PayoutItem.objects.for_cooperative(coop).get(expense=plain)
    assert (item.kind, item.amount, item.payee_id, item.status) == (
        "expense",
        Decimal("120.00"),
        owner.pk,
        "approved",
    )
    assert item.guarantee_deadline == fees.guarantee_deadline(
        cooperative=coop, approved_on=timezone.localdate()
    )
    assert project_budget(cooperative=coop, project=project).balance == Decimal("1880.00")

    big = submit("480.00", "80.00")
    with pytest.raises(NotAllowed):
        projects.expense_approve(cooperative=coop, actor=advisor, expense=big, vat_deductible=True)
    with pytest.raises(ApplicationError, match="addressed to the cooperative"):
        projects.expense_approve(cooperative=coop, actor=finance, expense=big, vat_deductible=True)
    big = projects.expense_approve(
        cooperative=coop,
        actor=finance,
        expense=big,
        vat_deductible=True,
        receipt_addressed_to_cooperative=True,
    )
    lines = {
        (line.account.type, line.debit, line.credit)
        for line in JournalLine.objects.for_cooperative(coop)
        .filter(entry=big.journal_entry)
        .select_related("account")
    }
    assert lines == {
        ("project_budget", Decimal("400.00"), Decimal("0.00")),
        ("input_vat", Decimal("80.00"), Decimal("0.00")),
        ("payouts_payable", Decimal("0.00"), Decimal("480.00")),
    }
    assert big.vat_deductible
    assert PayoutItem.objects.for_cooperative(coop).get(expense=big).amount == Decimal("480.00")
    small = projects.expense_approve(
        cooperative=coop, actor=finance, expense=submit("400.00", "66.67"), vat_deductible=True
    )  # a small-amount invoice (≤ € 400 in Austria) need not name the cooperative
    assert small.vat_deductible


def test_migration_creates_items_for_expenses_approved_before_payroll(coop, people):
    import importlib

    from django.apps import apps

    from tests.projects_helpers import png_upload

    migration = importlib.import_module("payroll.migrations.0003_payout_items_for_approved_expenses")
    owner, advisor, _finance = people
    project = funded_project(coop, owner, advisor)
    expense = projects.expense_submit(
        cooperative=coop,
        actor=owner,
        project=project,
        amount=Decimal("50.00"),
        vat_amount=Decimal("0.00"),
        date=date(2026, 5, 5),
        description="Paint",
        receipt_upload=png_upload(),
    )
    expense = projects.expense_approve(cooperative=coop, actor=advisor, expense=expense)
    items = PayoutItem.objects.for_cooperative(coop).filter(expense=expense)
    PayoutItemEvent.objects.for_cooperative(coop).filter(item__in=items).delete()
    items.delete()  # as before payroll existed
    expense.decided_at = timezone.make_aware(timezone.datetime(2026, 4, 2, 10, 0))
    expense.save(update_fields=["decided_at"])

    migration.forwards(apps, None)
    migration.forwards(apps, None)  # safe to run twice

    item = PayoutItem.objects.for_cooperative(coop).get(expense=expense)
    assert (item.kind, item.amount, item.payee_id, item.status) == (
        "expense",
        Decimal("50.00"),
        owner.pk,
        "approved",
    )
    assert item.guarantee_deadline == date(2026, 4, 23)  # from the approval date, in working days


def test_approval_renders_the_pdf_and_mails_it_to_the_payee_once(
    coop, people, django_capture_on_commit_callbacks
):
    from django.core import mail

    from payroll.documents import fee_note_send_email

    owner, advisor, _finance = people
    payee_profile(owner)
    project = funded_project(coop, owner, advisor)
    note = request_fee(coop, owner, project)
    with django_capture_on_commit_callbacks(execute=True):
        fees.fee_note_approve(cooperative=coop, actor=advisor, fee_note=note)
    note.refresh_from_db()
    assert note.pdf and note.pdf_sha256 and note.email_sent_at is not None
    documents = [m for m in mail.outbox if m.attachments]  # the other mail is the approval notification
    assert len(documents) == 1 and documents[0].to == [owner.user.email]
    assert documents[0].attachments[0][0] == f"{note.number}.pdf"
    sent = len(mail.outbox)
    fee_note_send_email(cooperative_id=coop.pk, fee_note_id=note.pk)  # a retried task
    assert len(mail.outbox) == sent
