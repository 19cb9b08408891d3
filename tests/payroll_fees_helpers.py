"""Builders for fee note tests: a funded approved project, payee profiles, a requested fee note."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from payroll.models import FeeNote, PayeeProfile
from payroll.services import fees
from projects.models import Project
from smartprod.tenancy.models import Cooperative, Membership
from tests.projects_helpers import approved_project, fund


def payee_profile(
    member: Membership, vat_status: str = PayeeProfile.VatStatus.SMALL_BUSINESS, *, agreed: bool = True
) -> PayeeProfile:
    return PayeeProfile.objects.create(
        cooperative=member.cooperative,
        membership=member,
        account_holder="Mia Muster",
        iban="AT483200000012345864",
        confirmed_iban="AT483200000012345864",
        street="Neubaugasse",
        building_number="12",
        postcode="1070",
        town="Wien",
        vat_status=vat_status,
        vat_id="ATU13585627" if vat_status != PayeeProfile.VatStatus.SMALL_BUSINESS else "",
        tax_number="12 345/6789",
        self_billing_accepted_on=date(2026, 1, 2) if agreed else None,
    )


def funded_project(
    coop: Cooperative, owner: Membership, advisor: Membership, amount: str = "2000.00"
) -> Project:
    """An approved project whose budget holds `amount` (an invoice of amount/0.925 net, less 7.5 %)."""
    project = approved_project(coop, owner, advisor)
    net = (Decimal(amount) / Decimal("0.925")).quantize(Decimal("0.01"))
    fund(coop, project, str(net), key=f"income-{project.pk}")
    return project


def request_fee(
    coop: Cooperative, actor: Membership, project: Project, payee: Membership | None = None, **kwargs: Any
) -> FeeNote:
    data: dict[str, Any] = {
        "service_period_start": date(2026, 5, 1),
        "service_period_end": date(2026, 5, 31),
        "description": "Stage design, May",
        "net_amount": Decimal("1000.00"),
        "vat_rate": None,
        **kwargs,
    }
    return fees.fee_note_request(cooperative=coop, actor=actor, project=project, payee=payee or actor, **data)
