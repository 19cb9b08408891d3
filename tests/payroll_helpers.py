"""Builders for payout-run tests: payee profiles and approved payout items (with their approval's posting).

The fee-note and expense services come from another branch: items are made directly here, and the
approval's ledger entry (project budget → payouts payable of the payee) is posted with `journal_post`,
so a run's "paid" postings balance against it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from payroll.models import Employment, FeeNote, PayeeProfile, PayoutItem, PayoutItemEvent, Payslip, Salary
from projects.ledger import Posting, account_get, journal_post
from projects.models import Project
from smartprod.core.numbering import number_next
from smartprod.tenancy.models import Cooperative, Membership

DEADLINE = date(2026, 12, 1)


def payee_profile(cooperative: Cooperative, membership: Membership, **kwargs: Any) -> PayeeProfile:
    """A complete payee profile with a confirmed IBAN (nothing blocks the payee)."""
    iban = kwargs.pop("iban", "AT483200000012345864")
    data: dict[str, Any] = {
        "account_holder": "",
        "iban": iban,
        "confirmed_iban": iban,
        "bic": "",
        "street": "Neubaugasse",
        "building_number": "12/3",
        "postcode": "1070",
        "town": "Wien",
        "country": "AT",
        **kwargs,
    }
    return PayeeProfile.objects.create(cooperative=cooperative, membership=membership, **data)


def _fee_note(cooperative: Cooperative, project: Project, payee: Membership, amount: Decimal) -> FeeNote:
    number = number_next(cooperative=cooperative, series="fee_note_test", year=2026)
    return FeeNote.objects.create(
        cooperative=cooperative,
        project=project,
        payee=payee,
        number=f"HN-2026-{number:05d}",
        status=FeeNote.Status.APPROVED,
        service_period_start=date(2026, 11, 1),
        service_period_end=date(2026, 11, 15),
        description="Fee",
        net_amount=amount,
        vat_treatment=FeeNote.VatTreatment.SMALL_BUSINESS,
        gross_amount=amount,
        requested_by=payee,
    )


def payout_item(
    cooperative: Cooperative,
    project: Project,
    payee: Membership,
    amount: str | Decimal = "100.00",
    *,
    kind: str = PayoutItem.Kind.FEE,
    deadline: date = DEADLINE,
    description: str = "Stage design fee",
    post: bool = True,
) -> PayoutItem:
    """An approved payout item; `post` books its approval (project budget → payouts payable of the payee)."""
    amount = Decimal(amount)
    fee_note = _fee_note(cooperative, project, payee, amount) if kind == PayoutItem.Kind.FEE else None
    payslip = None
    if kind == PayoutItem.Kind.SALARY:
        (payslip_id,) = bulk_payslips(cooperative, project, [payee], 1, net=amount)
        payslip = Payslip.objects.for_cooperative(cooperative).get(pk=payslip_id)
    item = PayoutItem.objects.create(
        cooperative=cooperative,
        kind=kind,
        payee=payee,
        project=project,
        fee_note=fee_note,
        payslip=payslip,
        description=description,
        amount=amount,
        approved_at=timezone.make_aware(datetime(2026, 11, 20, 10, 0)),
        guarantee_deadline=deadline,
    )
    PayoutItemEvent.objects.create(
        cooperative=cooperative, item=item, to_status=PayoutItem.Status.APPROVED, reason="approved"
    )
    if post:
        journal_post(
            cooperative=cooperative,
            idempotency_key=f"test.payout.approved:{item.pk}",
            date=date(2026, 11, 20),
            description=f"Payout approved {item.pk}",
            postings=[
                Posting(
                    account_get(cooperative=cooperative, type="project_budget", project=project), debit=amount
                ),
                Posting(
                    account_get(cooperative=cooperative, type="payouts_payable", payee=payee), credit=amount
                ),
            ],
        )
    return item


def bulk_payout_items(
    cooperative: Cooperative,
    project: Project,
    payees: list[Membership],
    count: int,
    deadline: date = DEADLINE,
    payslip_ids: list[int] | None = None,
) -> None:
    """`count` approved salary items over `payees`, inserted in one go (benchmarks, concurrency tests).

    A salary item pays a payslip: pass `payslip_ids` made by `bulk_payslips` (same payees, same order) to
    keep their making out of a timing; without them they are made here.
    """
    if payslip_ids is None:
        payslip_ids = bulk_payslips(cooperative, project, payees, count)
    approved_at = timezone.make_aware(datetime(2026, 11, 20, 10, 0))
    PayoutItem.objects.bulk_create(
        [
            PayoutItem(
                cooperative=cooperative,
                kind=PayoutItem.Kind.SALARY,
                payee=payees[n % len(payees)],
                payslip_id=payslip_ids[n],
                project=project,
                description=f"Salary {n}",
                amount=Decimal("10.00") + n % 100,
                approved_at=approved_at,
                guarantee_deadline=deadline,
            )
            for n in range(count)
        ],
        batch_size=5000,
    )


def bulk_payslips(
    cooperative: Cooperative,
    project: Project,
    payees: list[Membership],
    count: int,
    *,
    net: Decimal | None = None,
    month: date = date(2026, 11, 1),
) -> list[int]:
    """`count` payslips (payee n % len(payees)), each of its own employment and salary, without any
    ledger or items: the rows a salary payout item points to. Figures are placeholders of the right shape."""
    employments = Employment.objects.bulk_create(
        [
            Employment(
                cooperative=cooperative,
                project=project,
                payee=payees[n % len(payees)],
                start=date(2026, 1, 1),
                end=date(2026, 12, 31),
                weekly_hours=Decimal("20.0"),
                occupation="Test",
                municipality="Wien",
                federal_state="Wien",
                created_by=payees[n % len(payees)],
            )
            for n in range(count)
        ],
        batch_size=5000,
    )
    now = timezone.now()
    amounts = [net if net is not None else Decimal("10.00") + n % 100 for n in range(count)]
    salaries = Salary.objects.bulk_create(
        [
            Salary(
                cooperative=cooperative,
                employment=employment,
                project=project,
                payee_id=employment.payee_id,
                month=month,
                gross=amounts[n],
                employee_social_insurance=Decimal(0),
                wage_tax=Decimal(0),
                net=amounts[n],
                employer_cost_total=amounts[n],
                status=Salary.Status.IN_PAYSLIP,
                requested_by_id=employment.payee_id,
                approved_at=now,
            )
            for n, employment in enumerate(employments)
        ],
        batch_size=5000,
    )
    payslips = Payslip.objects.bulk_create(
        [
            Payslip(
                cooperative=cooperative,
                salary=salary,
                employment_id=salary.employment_id,
                payee_id=salary.payee_id,
                project=project,
                month=month,
                gross=salary.gross,
                employee_social_insurance=Decimal(0),
                wage_tax=Decimal(0),
                net=salary.net,
                employer_social_insurance=Decimal(0),
                employer_cost_total=salary.gross,
                created_by_id=salary.payee_id,
                pdf_sha256="-",  # no document: keeps the payslip sweep from rendering these
                pdf="-",
            )
            for salary in salaries
        ],
        batch_size=5000,
    )
    return [payslip.pk for payslip in payslips]
