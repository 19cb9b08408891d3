"""Employer liabilities in payout runs: the health insurer, the tax office and the municipalities are paid by
the same runs as the payees, in the run's pain.001 file, and booked when the run is confirmed.

A liability row is claimed by one run at most (`payout_run`, set once, the rows read FOR UPDATE SKIP
LOCKED), so it is paid exactly once also when two runs start at once. The rows of one creditor are netted
(a reversal's negative row lowers the next transfer); a creditor whose net is not positive, or whose account
the cooperative has not entered yet, stays open for a later run — never holding back the payees' salaries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from payroll.lib.sepa import GOVT, TAXS, Address, Party, Transfer
from payroll.models import EmployerLiability, Municipality, PayoutRun
from payroll.services.payroll_runs import payroll_settings
from projects.ledger import Posting, account_get, journal_post
from smartprod.core.money import ZERO
from smartprod.tenancy.models import Cooperative, Membership

# The creditors' names as they appear on the transfer. Their accounts and the cooperative's references at
# each (Beitragskontonummer at the ÖGK, tax number at the tax office) are data: PayrollSettings and
# Municipality, entered by finance from the creditors' own letters.
HEALTH_INSURER_NAME = "Österreichische Gesundheitskasse"
TAX_OFFICE_NAME = "Finanzamt Österreich"


@dataclass(frozen=True)
class LiabilityTransfer:
    creditor: str
    municipality: str
    amount: Decimal
    end_to_end_id: str
    ids: tuple[int, ...]


# The category purpose per creditor (sources: payroll.lib.sepa): wage tax, DB and DZ (tax office) and
# Kommunalsteuer and Vienna's Dienstgeberabgabe (municipality) are taxes; social insurance contributions and
# BV to the ÖGK go to a public-law body (GOVT; SSBE would be a benefit paid to a person).
CREDITOR_PURPOSE = {
    EmployerLiability.Creditor.TAX_OFFICE.value: TAXS,
    EmployerLiability.Creditor.MUNICIPALITY.value: TAXS,
    EmployerLiability.Creditor.HEALTH_INSURER.value: GOVT,
}


def _group_key(row: EmployerLiability) -> tuple[str, str]:
    return (row.creditor, row.municipality)


def _accounts(cooperative: Cooperative) -> tuple[dict[tuple[str, str], Party], dict[tuple[str, str], str]]:
    """Each creditor's party where its account is entered; the reason where it is not."""
    settings = payroll_settings(cooperative)
    parties: dict[tuple[str, str], Party] = {}
    missing: dict[tuple[str, str], str] = {}
    vienna = Address("", "", "", "Wien", "AT")
    health = (EmployerLiability.Creditor.HEALTH_INSURER.value, "")
    if settings.health_insurer_iban:
        parties[health] = Party(
            HEALTH_INSURER_NAME, settings.health_insurer_iban, settings.health_insurer_bic, vienna
        )
    else:
        missing[health] = _("No IBAN of the health insurer in the payroll settings.")
    tax = (EmployerLiability.Creditor.TAX_OFFICE.value, "")
    if settings.tax_office_iban:
        parties[tax] = Party(TAX_OFFICE_NAME, settings.tax_office_iban, settings.tax_office_bic, vienna)
    else:
        missing[tax] = _("No IBAN of the tax office in the payroll settings.")
    for town in Municipality.objects.for_cooperative(cooperative):
        key = (EmployerLiability.Creditor.MUNICIPALITY.value, town.name)
        if town.iban:
            parties[key] = Party(town.name, town.iban, town.bic, Address("", "", "", town.name[:35], "AT"))
    return parties, missing


def _claimable(
    cooperative: Cooperative, currency: str, until: date, *, lock: bool
) -> tuple[list[list[EmployerLiability]], dict[str, str]]:
    """The open rows due by `until`, grouped per creditor with a positive net and an account; and the
    creditors held back with the reason."""
    rows = (
        EmployerLiability.objects.for_cooperative(cooperative)
        .filter(payout_run__isnull=True, due_date__lte=until, currency=currency)
        .order_by("pk")
    )
    if lock:
        rows = rows.select_for_update(skip_locked=True)
    parties, missing = _accounts(cooperative)
    groups: dict[tuple[str, str], list[EmployerLiability]] = defaultdict(list)
    for row in rows:
        groups[_group_key(row)].append(row)
    claim: list[list[EmployerLiability]] = []
    held: dict[str, str] = {}
    for key, members in sorted(groups.items()):
        if sum((row.amount for row in members), ZERO) <= 0:
            continue
        if key not in parties:
            held[key[1] or key[0]] = missing.get(key) or _("No IBAN of the municipality %(name)s.") % {
                "name": key[1]
            }
            continue
        claim.append(members)
    return claim, held


def liabilities_open(*, cooperative: Cooperative, until: date) -> bool:
    """Whether a liability due by `until` can be paid now (the daily run then runs even without items)."""
    claim, _held = _claimable(cooperative, cooperative.currency, until, lock=False)
    return bool(claim)


def liabilities_claim(
    *, cooperative: Cooperative, run: PayoutRun, until: date
) -> tuple[Decimal, dict[str, str]]:
    """Claim the open liabilities due by `until` for `run`, per creditor with a positive net and an account.

    Returns (the total claimed, {creditor: why it was held back}). Inside the run's transaction.
    """
    claim, held = _claimable(cooperative, run.currency, until, lock=True)
    total = ZERO
    for members in claim:
        e2e = f"{run.number}-L{members[0].pk}"[:35]
        EmployerLiability.objects.for_cooperative(cooperative).filter(
            pk__in=[row.pk for row in members], payout_run__isnull=True
        ).update(payout_run=run, end_to_end_id=e2e)
        total += sum((row.amount for row in members), ZERO)
    return total, held


def liability_transfers(*, cooperative: Cooperative, run: PayoutRun) -> list[Transfer]:
    """The run's transfers to the employer's creditors, one per creditor, with its category purpose
    (CREDITOR_PURPOSE: TAXS to the tax office and the municipalities, GOVT to the health insurer)."""
    rows = EmployerLiability.objects.for_cooperative(cooperative).filter(payout_run=run).order_by("pk")
    groups: dict[str, list[EmployerLiability]] = defaultdict(list)
    for row in rows:
        groups[row.end_to_end_id].append(row)
    if not groups:
        return []
    parties, _missing = _accounts(cooperative)
    settings = payroll_settings(cooperative)
    references: dict[str, str] = {
        EmployerLiability.Creditor.HEALTH_INSURER: settings.health_insurer_reference
        or settings.employer_account_number,
        EmployerLiability.Creditor.TAX_OFFICE: settings.tax_office_reference,
    }
    transfers = []
    for e2e, members in groups.items():
        first = members[0]
        months = sorted({row.month for row in members})
        period = ", ".join(f"{m:%m/%Y}" for m in months)
        reference = references.get(first.creditor, "") or next(
            (
                t.payment_reference
                for t in Municipality.objects.for_cooperative(cooperative).filter(name=first.municipality)
            ),
            "",
        )
        transfers.append(
            Transfer(
                end_to_end_id=e2e,
                amount=sum((row.amount for row in members), ZERO),
                creditor=parties[_group_key(first)],
                text=f"{reference} {period}".strip(),
                purpose=CREDITOR_PURPOSE[first.creditor],
            )
        )
    return transfers


def liabilities_pay(*, cooperative: Cooperative, run: PayoutRun, on: date, actor: Membership | None) -> int:
    """The run is confirmed: book each creditor's transfer (payables → bank) and mark its rows paid, once."""
    rows = list(
        EmployerLiability.objects.for_cooperative(cooperative)
        .filter(payout_run=run, paid_at__isnull=True)
        .order_by("pk")
        .select_for_update()
    )
    groups: dict[str, list[EmployerLiability]] = defaultdict(list)
    for row in rows:
        groups[row.end_to_end_id].append(row)
    bank = account_get(cooperative=cooperative, type="bank") if groups else None
    for e2e, members in groups.items():
        per_account: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for row in members:
            for key, value in row.accounts.items():
                per_account[key] += Decimal(value)
        total = sum(per_account.values(), ZERO)
        postings = [
            Posting(account_get(cooperative=cooperative, type=key), debit=amount, reference=e2e)
            if amount > 0
            else Posting(account_get(cooperative=cooperative, type=key), credit=-amount, reference=e2e)
            for key, amount in sorted(per_account.items())
            if amount
        ]
        assert bank is not None
        postings.append(Posting(bank, credit=total, reference=e2e))
        journal_post(
            cooperative=cooperative,
            idempotency_key=f"liability.paid:{e2e}",
            date=on,
            description=f"Employer liabilities {e2e}",
            postings=postings,
            actor=actor.user if actor is not None else None,
        )
    EmployerLiability.objects.for_cooperative(cooperative).filter(pk__in=[row.pk for row in rows]).update(
        paid_at=on
    )
    return len(groups)
