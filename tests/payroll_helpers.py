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

from payroll.models import FeeNote, PayeeProfile, PayoutItem, PayoutItemEvent
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
    item = PayoutItem.objects.create(
        cooperative=cooperative,
        kind=kind,
        payee=payee,
        project=project,
        fee_note=fee_note,
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
) -> None:
    """`count` approved salary items over `payees`, inserted in one go (benchmarks, concurrency tests)."""
    approved_at = timezone.make_aware(datetime(2026, 11, 20, 10, 0))
    PayoutItem.objects.bulk_create(
        [
            PayoutItem(
                cooperative=cooperative,
                kind=PayoutItem.Kind.SALARY,
                payee=payees[n % len(payees)],
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
