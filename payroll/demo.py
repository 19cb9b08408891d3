"""Demo data of payroll: member@'s approved project gets a pending (requested) fee note."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from payroll.models import FeeNote, PayeeProfile
from payroll.selectors.fees import pay_options
from payroll.services import fees
from projects.models import Project
from smartprod.tenancy.models import Cooperative, Membership


def seed_fee_notes(*, cooperative: Cooperative, stdout: Any) -> None:
    members = Membership.objects.for_cooperative(cooperative).select_related("user")
    member = members.filter(user__email=f"member@{cooperative.slug}.example").first()
    if member is None:
        return
    project = (
        Project.objects.for_cooperative(cooperative)
        .filter(owner=member, status=Project.Status.APPROVED)
        .order_by("id")
        .first()
    )
    if project is None or FeeNote.objects.for_cooperative(cooperative).filter(project=project).exists():
        return
    # The profile helper seeds complete profiles; this keeps the fee note possible without it.
    PayeeProfile.objects.for_cooperative(cooperative).get_or_create(
        membership=member,
        defaults={
            "cooperative": cooperative,
            "vat_status": PayeeProfile.VatStatus.SMALL_BUSINESS,
            "self_billing_accepted_on": timezone.localdate() - timedelta(days=30),
            "country": cooperative.country,
        },
    )
    available = pay_options(cooperative=cooperative, project=project, payee=member).max_fee_net
    amount = min(available, Decimal("500.00"))
    if amount <= 0:
        return
    today = timezone.localdate()
    fees.fee_note_request(
        cooperative=cooperative,
        actor=member,
        project=project,
        payee=member,
        service_period_start=today.replace(day=1),
        service_period_end=today,
        description="Bühnenbild: Entwurf und Bauleitung",
        net_amount=amount,
    )
    stdout.write(f"  fee note requested for {member.user.email}: {amount} {cooperative.currency}\n")
