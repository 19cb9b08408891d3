"""Reads of payroll: fee notes and payout items as each person may see them, and what a payee can be paid.

Visibility: a payee sees their own fee notes and payout items, a project's owner those of their projects,
staff all of the cooperative. Anything else — another cooperative's, another member's — does not exist
for the reader (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet

from payroll.models import Employment, FeeNote, PayeeProfile, PayoutItem
from payroll.selectors.employments import salary_options
from payroll.vat_rates import country_vat
from projects.budget import project_budget_figures
from projects.models import Project
from smartprod.core import capabilities
from smartprod.core.money import ZERO, percent_of, quantize_money
from smartprod.tenancy.models import Cooperative, Membership


def fee_note_list_visible(*, cooperative: Cooperative, membership: Membership) -> QuerySet[FeeNote]:
    notes = FeeNote.objects.for_cooperative(cooperative).select_related("project", "payee__user")
    if capabilities.is_staff(membership):
        return notes
    return notes.filter(Q(payee=membership) | Q(project__owner=membership))


def fee_note_get(*, cooperative: Cooperative, membership: Membership, fee_note_id: int) -> FeeNote:
    """Raises FeeNote.DoesNotExist (→ 404) for another cooperative's or a fee note the person may not see."""
    return fee_note_list_visible(cooperative=cooperative, membership=membership).get(pk=fee_note_id)


def payout_item_list_visible(*, cooperative: Cooperative, membership: Membership) -> QuerySet[PayoutItem]:
    """A member's own items and those of projects they own; staff: the cooperative's."""
    items = PayoutItem.objects.for_cooperative(cooperative).select_related("project", "payee__user")
    if capabilities.is_staff(membership):
        return items.order_by("guarantee_deadline", "id")
    return items.filter(Q(payee=membership) | Q(project__owner=membership)).order_by(
        "guarantee_deadline", "id"
    )


@dataclass(frozen=True)
class PayOptions:
    """What a payee can be paid from a project now ("what can I pay myself?")."""

    available: Decimal
    max_fee_net: Decimal
    max_fee_gross: Decimal
    max_salary_gross: Decimal | None  # with an employment and a month: the largest gross the budget allows
    guarantee_working_days: int
    vat_rate: Decimal


def pay_options(
    *,
    cooperative: Cooperative,
    project: Project,
    payee: Membership,
    employment: Employment | None = None,
    month: date | None = None,
) -> PayOptions:
    """The largest fee that fits the available budget: its net (a registered payee's VAT is reclaimable input
    VAT, so the budget carries the net) and its gross at the country's standard rate where registered; with
    an employment and a month, the largest salary gross whose total employer cost fits it too."""
    figures = project_budget_figures(cooperative=cooperative, project=project)
    available = quantize_money(figures.budget_available)
    net = max(available, ZERO)
    profile = PayeeProfile.objects.for_cooperative(cooperative).filter(membership=payee).first()
    rate = ZERO
    if profile is not None and profile.vat_status == PayeeProfile.VatStatus.REGISTERED:
        rate = country_vat(cooperative.country).standard
    max_salary = None
    if employment is not None and month is not None:
        max_salary = salary_options(cooperative=cooperative, employment=employment, month=month).max_gross
    return PayOptions(
        available=available,
        max_fee_net=net,
        max_fee_gross=net + percent_of(net, rate),
        max_salary_gross=max_salary,
        guarantee_working_days=cooperative.payout_guarantee_days,
        vat_rate=rate,
    )


def fees_109a_rows(*, cooperative: Cooperative, year: int) -> QuerySet[FeeNote]:
    """Fee notes flagged for § 109a EStG whose payout was *paid* in `year`.

    § 109a EStG with the Mitteilungsverordnung (BGBl. II Nr. 417/2001) reports per calendar year "in dem das
    Entgelt geleistet wurde" (USP: "Kalenderjahr, in dem das Entgelt geleistet wurde"): what was paid, not
    what was approved.
    """
    return (
        FeeNote.objects.for_cooperative(cooperative)
        .filter(
            report_109a=True,
            status=FeeNote.Status.APPROVED,
            payout_item__status=PayoutItem.Status.PAID,
            payout_item__paid_at__year=year,
        )
        .select_related("payee__user", "project")
        .order_by("payee_id", "number")
    )
