"""A gross → net preview for a month (the calculator of issue 10): nothing is saved.

The federal state decides the DZ rate and, for Vienna, the higher housing contribution (2026) and the U-Bahn
levy. Without a municipality the preview is for work outside Vienna: the cooperative's own state from its
payroll settings, or — when it has none or it is Vienna — `DEFAULT_FEDERAL_STATE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from payroll.calc import PayInput, PayResult, Period, compute, rules_for
from payroll.models import FederalState, Municipality, PayrollSettings
from smartprod.tenancy.models import Cooperative

MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$", re.ASCII)

# Outside Vienna, when the cooperative's settings do not name another state: the state around Vienna.
DEFAULT_FEDERAL_STATE = FederalState.NIEDEROESTERREICH.value


@dataclass(frozen=True)
class PayrollPreview:
    month: date
    federal_state: str
    result: PayResult


def month_from_text(text: str) -> date | None:
    """ "2026-03" (ASCII digits) → 2026-03-01; anything else → None."""
    match = MONTH.match(text)
    return None if match is None else date(int(match.group(1)), int(match.group(2)), 1)


def federal_state_for(*, cooperative: Cooperative, municipality: str) -> str:
    """ "Wien" → Vienna; a municipality the cooperative keeps → its state; otherwise outside Vienna."""
    name = municipality.strip()
    if name.casefold() == FederalState.WIEN.value.casefold():
        return FederalState.WIEN.value
    if name:
        known = Municipality.objects.for_cooperative(cooperative).filter(name__iexact=name).first()
        if known is not None:
            return known.federal_state
    own = PayrollSettings.objects.for_cooperative(cooperative).values_list("federal_state", flat=True).first()
    if own and own != FederalState.WIEN.value:
        return own
    return DEFAULT_FEDERAL_STATE


def payroll_preview(
    *, cooperative: Cooperative, gross: Decimal, month: date, municipality: str = ""
) -> PayrollPreview:
    """A whole month's payslip for `gross` under the rules of the cooperative's country for that year, in its
    2nd month or later (BV due) and with nothing paid earlier in the year. `NoPayrollRules` when there are
    no rules for the country and year."""
    first = month.replace(day=1)
    rules = rules_for(cooperative.country, first)
    state = federal_state_for(cooperative=cooperative, municipality=municipality)
    result = compute(
        rules,
        PayInput(gross=gross, period=Period(month=first, days=30, full_month=True), federal_state=state),
    )
    return PayrollPreview(month=first, federal_state=state, result=result)
