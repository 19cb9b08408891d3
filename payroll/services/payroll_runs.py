"""The monthly payroll run: approved salaries → payslips, the ledger, the net as a guaranteed payout item.

Finance runs the payroll for a month. Every approved salary of that month that has no payslip yet becomes
one, computed by `payroll.calc` with the year-to-date figures of the employee's earlier payslips of the
year, and a 13th/14th salary when one is due. A re-run creates only what is new (the salary's status and
the unique constraint per employment and month keep it once). Corrections are reversal payslips.

Built for month-end at scale (10,000 salaries in one run): a constant number of statements for any number
of salaries — locks by `lock_many`, bulk inserts, one bulk ledger posting (`journal_post_many`).
Lock order (smartprod.core.locks): project → salary → payout item.
"""

from __future__ import annotations

import calendar
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from payroll import calc
from payroll.models import (
    CollectiveAgreement,
    EmployerLiability,
    Employment,
    PayoutItem,
    PayoutItemEvent,
    PayrollRun,
    PayrollSettings,
    Payslip,
    Salary,
)
from payroll.services.history import payout_item_event
from projects.ledger import (
    EntryDraft,
    Posting,
    account_get,
    journal_post_many,
    journal_reverse,
    payee_accounts,
)
from projects.models import Account, JournalLine, Project
from smartprod.core import capabilities, locks
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed, status_in_sentence
from smartprod.core.money import ZERO, quantize_money
from smartprod.core.task_queue import queue_on_commit
from smartprod.core.workdays import is_working_day
from smartprod.tenancy.models import Cooperative, Membership

# Ledger account types payroll adds (registered in payroll.payroll_hooks): the projects app needs no change.
LEVIES_PAYABLE = "employer_levies_payable"
ACCRUED_SPECIAL = "accrued_special_payments"
LEVY_KEYS = ("db", "dz", "kommunalsteuer", "bv", "ubahn")
# Paid with the June (14th, "Urlaubszuschuss") and November (13th, "Weihnachtsremuneration") payroll, as the
# usual Austrian collective agreements provide (e.g. KV Handel § 11; the "13th/14th" rule).
SPECIAL_PAYMENT_MONTHS = (6, 11)


@dataclass
class PayrollRunResult:
    run: PayrollRun | None
    created: list[Payslip] = field(default_factory=list)
    existing: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)


def _check_same(cooperative: Cooperative, *objects: Any) -> None:
    for obj in objects:
        if getattr(obj, "cooperative_id", None) != cooperative.pk:
            raise ObjectDoesNotExist(f"{obj._meta.label} {obj.pk} belongs to another cooperative.")


def _require_finance(actor: Membership) -> None:
    if not capabilities.can_run_payouts(actor):
        raise NotAllowed(_("Only finance staff and admins run the payroll."))


def month_start(month: date) -> date:
    return month.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def payroll_settings(cooperative: Cooperative) -> PayrollSettings:
    """The cooperative's employer settings (the defaults while there is no row)."""
    found = PayrollSettings.objects.for_cooperative(cooperative).first()
    return found if found is not None else PayrollSettings(cooperative=cooperative)


def payday(cooperative: Cooperative, month: date, settings: PayrollSettings | None = None) -> date:
    """The month's payday: salary is due at the end of the month (§ 15 AngG); the cooperative's setting says
    the last day or the last working day (default) of its country."""
    settings = settings or payroll_settings(cooperative)
    day = month_end(month)
    if settings.payday == PayrollSettings.Payday.LAST_DAY:
        return day
    while not is_working_day(day, cooperative.country):
        day = day.replace(day=day.day - 1)
    return day


def liability_due_date(month: date) -> date:
    """The 15th of the following month: wage tax, DB, DZ (§ 79 EStG, § 43 FLAG), social insurance (§ 59 ASVG)
    and Kommunalsteuer (§ 11 KommStG) for a month are due then."""
    end = month_end(month)
    return date(end.year + (end.month == 12), end.month % 12 + 1, 15)


def _special_payments_due(settings: PayrollSettings, country: str, month: date) -> bool:
    if not settings.collective_agreement_code:
        return False
    agreement = (
        CollectiveAgreement.objects.filter(
            country=country, code=settings.collective_agreement_code, year__lte=month.year
        )
        .order_by("-year")
        .first()
    )
    return agreement is not None and agreement.special_payments


def _year_to_date(cooperative: Cooperative, month: date, payee_ids: set[int]) -> dict[int, calc.YearToDate]:
    """Per payee: what the payslips of earlier months of the year paid (reversals net out). One query."""
    rows = (
        Payslip.objects.for_cooperative(cooperative)
        .filter(payee_id__in=payee_ids, month__year=month.year, month__lt=month)
        .values("payee_id")
        .annotate(
            gross=Sum("gross"),
            special_gross=Sum("special_gross"),
            wage_tax=Sum("wage_tax"),
            months=Count(
                "month", distinct=True, filter=Q(kind=Payslip.Kind.REGULAR, reversed_at__isnull=True)
            ),
        )
        .order_by()
    )
    return {
        row["payee_id"]: calc.YearToDate(
            gross=row["gross"] or ZERO,
            special_gross=row["special_gross"] or ZERO,
            special_sv_base=row["special_gross"] or ZERO,
            wage_tax=row["wage_tax"] or ZERO,
            months=row["months"],
        )
        for row in rows
    }


def _gross_since_special(
    cooperative: Cooperative, month: date, employment_ids: set[int]
) -> dict[int, Decimal]:
    """Per employment: the regular gross of earlier payslips since its last 13th/14th payment."""
    rows = (
        Payslip.objects.for_cooperative(cooperative)
        .filter(employment_id__in=employment_ids, month__lt=month)
        .values_list("employment_id", "month", "gross", "special_gross")
        .order_by("employment_id", "month", "id")
    )
    since: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for employment_id, _month, gross, special in rows:
        if special > 0:
            since[employment_id] = ZERO
        else:
            since[employment_id] += gross
    return since


def special_gross_for(
    *, employment: Employment, month: date, gross: Decimal, earlier: Decimal, agreement_pays: bool
) -> Decimal:
    """The 13th/14th salary paid with this payslip: due in June and November, or when the employment ends
    this month; paid aliquot — one sixth of the regular gross since the last special payment (this month
    included), i.e. one monthly salary per full half year, as it accrued month by month."""
    if not agreement_pays:
        return ZERO
    if month.month not in SPECIAL_PAYMENT_MONTHS and employment.end > month_end(month):
        return ZERO
    return quantize_money((earlier + gross) / 6)


def payslip_lines(result: calc.PayResult) -> list[dict[str, Any]]:
    return [
        {
            "code": line.code,
            "label": line.label,
            "side": line.side,
            "base": str(line.base),
            "rate": str(line.rate) if line.rate is not None else None,
            "amount": str(line.amount),
        }
        for line in result.lines
    ]


def _ytd_json(ytd: calc.YearToDate, result: calc.PayResult) -> dict[str, Any]:
    """Year-to-date after this payslip (what the PDF shows)."""
    return {
        "gross": str(ytd.gross + result.gross),
        "special_gross": str(ytd.special_gross + result.special_gross),
        "wage_tax": str(ytd.wage_tax + result.wage_tax),
        "months": ytd.months + 1,
    }


class _Ledger:
    """The accounts a run posts to, each read once (per-payee sub-accounts in one go)."""

    def __init__(self, cooperative: Cooperative, payees: list[Membership]) -> None:
        self.cooperative = cooperative
        self.payable = payee_accounts(
            cooperative=cooperative, type=Account.Type.PAYOUTS_PAYABLE, payees=payees
        )
        self.wage_tax = account_get(cooperative=cooperative, type="wage_tax_payable")
        self.social = account_get(cooperative=cooperative, type="social_insurance_payable")
        self.levies = account_get(cooperative=cooperative, type=LEVIES_PAYABLE)
        self.accrued = account_get(cooperative=cooperative, type=ACCRUED_SPECIAL)
        self._budgets: dict[int, Account] = {}

    def budget(self, project: Project) -> Account:
        if project.pk not in self._budgets:
            self._budgets[project.pk] = account_get(
                cooperative=self.cooperative, type=Account.Type.PROJECT_BUDGET, project=project
            )
        return self._budgets[project.pk]


def payslip_postings(ledger: _Ledger, payslip: Payslip, project: Project) -> list[Posting]:
    """DESIGN.md: project budget K (the total employer cost); payouts payable (payee) net; wage tax; social
    insurance (employee + employer); employer levies (DB, DZ, Kommunalsteuer, BV, U-Bahn).

    The 13th/14th salaries accrue month by month in K (`special_accrual`, credited to the accrued special
    payments liability); a payslip that pays one is funded from that liability (debited), so the budget is
    charged exactly K, every month, and the entry balances.
    """
    text = f"Payslip {payslip.month:%Y-%m}"
    kind = JournalLine.Kind.SALARY
    social = payslip.employee_social_insurance + payslip.employer_social_insurance
    credits = [
        (ledger.payable[payslip.payee_id], payslip.net),
        (ledger.wage_tax, payslip.wage_tax),
        (ledger.social, social),
        (ledger.levies, payslip.levies_total),
    ]
    paid_out = sum((amount for _account, amount in credits), ZERO)
    # What the accrued liability gains (accrual) or gives (a special payment's cost) this month.
    accrued = payslip.employer_cost_total - paid_out
    postings = [
        Posting(ledger.budget(project), debit=payslip.employer_cost_total, kind=kind, description=text),
    ]
    for account, amount in credits:
        if amount > 0:
            postings.append(Posting(account, credit=amount, kind=kind, description=text, project=project))
        elif amount < 0:
            raise ApplicationError(f"A payslip amount is negative ({account.code}: {amount}).")
    if accrued > 0:
        postings.append(Posting(ledger.accrued, credit=accrued, kind=kind, description=text, project=project))
    elif accrued < 0:
        postings.append(Posting(ledger.accrued, debit=-accrued, kind=kind, description=text, project=project))
    return postings


def _salary_ids(cooperative: Cooperative, month: date) -> list[int]:
    return list(
        Salary.objects.for_cooperative(cooperative)
        .filter(month=month, status=Salary.Status.APPROVED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _liabilities(
    cooperative: Cooperative, month: date, payslips: list[Payslip], **source: Any
) -> list[EmployerLiability]:
    """What the payslips' employer owes, per creditor: ÖGK (SV employee + employer, BV), the tax office (wage
    tax, DB, DZ), each municipality (Kommunalsteuer; Vienna's U-Bahn levy goes to the City of Vienna too)."""
    totals: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for p in payslips:
        health = totals[(EmployerLiability.Creditor.HEALTH_INSURER, "")]
        health["social_insurance_payable"] += p.employee_social_insurance + p.employer_social_insurance
        health[LEVIES_PAYABLE] += p.levy_bv
        tax = totals[(EmployerLiability.Creditor.TAX_OFFICE, "")]
        tax["wage_tax_payable"] += p.wage_tax
        tax[LEVIES_PAYABLE] += p.levy_db + p.levy_dz
        town = totals[(EmployerLiability.Creditor.MUNICIPALITY, p.municipality)]
        town[LEVIES_PAYABLE] += p.levy_kommunalsteuer + p.levy_ubahn
    rows = []
    for (creditor, municipality), accounts in sorted(totals.items()):
        amount = sum(accounts.values(), ZERO)
        if amount == 0:
            continue
        rows.append(
            EmployerLiability(
                cooperative=cooperative,
                month=month,
                creditor=creditor,
                municipality=municipality,
                currency=cooperative.currency,
                amount=amount,
                accounts={key: str(value) for key, value in accounts.items() if value},
                due_date=liability_due_date(month),
                **source,
            )
        )
    return EmployerLiability.objects.bulk_create(rows)


@transaction.atomic
def payroll_run_month(*, cooperative: Cooperative, actor: Membership, month: date) -> PayrollRunResult:
    """Run the payroll for `month`: one payslip per approved salary of the month that has none yet.

    Preconditions: finance or admin; payroll rules for the cooperative's country and year (else refused).
    Under the locks of the salaries' projects, then the salaries (re-read: a concurrent run already took
    what it paid, so running twice — also at once — pays once). Per payslip: the ledger entry (key
    `payslip:salary:<id>`), charging the budget exactly the total employer cost; the net as a payout item
    (kind salary) guaranteed by the month's payday; the employer liabilities of the run per creditor.
    After commit: each payslip's PDF (worker), which notifies the employee. Nothing new: no run is stored.
    """
    _check_same(cooperative, actor)
    _require_finance(actor)
    month = month_start(month)
    try:
        rules = calc.rules_for(cooperative.country, month)
    except calc.NoPayrollRules as exc:
        raise ApplicationError(exc.messages[0], details={"month": exc.messages}) from exc
    ids = _salary_ids(cooperative, month)
    existing = Payslip.objects.for_cooperative(cooperative).filter(
        month=month, kind=Payslip.Kind.REGULAR, reversed_at__isnull=True
    )
    if not ids:
        return PayrollRunResult(run=None, existing=existing.count())
    project_ids = (
        Salary.objects.for_cooperative(cooperative).filter(pk__in=ids).values_list("project_id", flat=True)
    )
    projects = {p.pk: p for p in locks.lock_many(locks.PROJECT, Project, cooperative, set(project_ids))}
    salaries = [
        s
        for s in locks.lock_many(locks.SALARY, Salary, cooperative, ids)
        if s.status == Salary.Status.APPROVED and s.month == month
    ]
    if not salaries:
        return PayrollRunResult(run=None, existing=existing.count())
    employments = {
        e.pk: e
        for e in Employment.objects.for_cooperative(cooperative).filter(
            pk__in={s.employment_id for s in salaries}
        )
    }
    payees = {
        m.pk: m
        for m in Membership.objects.for_cooperative(cooperative).filter(pk__in={s.payee_id for s in salaries})
    }
    settings = payroll_settings(cooperative)
    agreement_pays = _special_payments_due(settings, cooperative.country, month)
    ytd = _year_to_date(cooperative, month, set(payees))
    earlier = _gross_since_special(cooperative, month, set(employments)) if agreement_pays else {}
    run = PayrollRun.objects.create(cooperative=cooperative, month=month, created_by=actor)
    result = PayrollRunResult(run=run, existing=existing.count())
    payslips, skipped = _payslips(
        cooperative, actor, run, month, rules, salaries, employments, ytd, earlier, agreement_pays
    )
    result.skipped = skipped
    ledger = _Ledger(cooperative, [payees[p.payee_id] for p in payslips])
    today = timezone.localdate()
    drafts = [
        EntryDraft(
            idempotency_key=f"payslip:salary:{payslip.salary_id}",
            date=today,
            description=f"Payslip {payslip.month:%Y-%m} (salary {payslip.salary_id})",
            postings=payslip_postings(ledger, payslip, projects[payslip.project_id]),
            source_type=Salary._meta.label,
            source_id=str(payslip.salary_id),
        )
        for payslip in payslips
    ]
    entries = journal_post_many(cooperative=cooperative, drafts=drafts, actor=actor.user)
    for payslip, draft in zip(payslips, drafts, strict=True):
        payslip.journal_entry_id = entries[draft.idempotency_key].pk
    _insert_payslips(cooperative, payslips)
    Salary.objects.for_cooperative(cooperative).filter(pk__in=[p.salary_id for p in payslips]).update(
        status=Salary.Status.IN_PAYSLIP
    )
    _payout_items(cooperative, actor, run, month, payday(cooperative, month, settings))
    _liabilities(cooperative, month, payslips, payroll_run=run)
    run.payslip_count = len(payslips)
    run.employer_cost_total = sum((p.employer_cost_total for p in payslips), ZERO)
    run.save(update_fields=["payslip_count", "employer_cost_total"])
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="payroll_run.created",
        obj=run,
        data={"month": month.isoformat(), "payslips": len(payslips), "cost": str(run.employer_cost_total)},
    )
    for payslip in payslips:
        queue_on_commit("payroll.render_payslip_pdf", cooperative_id=cooperative.pk, payslip_id=payslip.pk)
    result.created = payslips
    return result


# The money columns of a payslip, as `calc.PayResult` gives them (the levies by their key).
_MONEY = (
    "gross",
    "special_gross",
    "employee_social_insurance",
    "wage_tax",
    "net",
    "employer_social_insurance",
    "special_accrual",
    "special_cost",
    "employer_cost_total",
)


@dataclass
class _Computed:
    """One distinct computation of a run: many salaries share the same gross, period, state and history,
    so `calc.compute`, the payslip lines and their JSON are made once per distinct input."""

    index: int
    pay: calc.PayResult
    lines: list[dict[str, Any]]


def _payslips(
    cooperative: Cooperative,
    actor: Membership,
    run: PayrollRun,
    month: date,
    rules: calc.Rules,
    salaries: list[Salary],
    employments: dict[int, Employment],
    ytd: dict[int, calc.YearToDate],
    earlier: dict[int, Decimal],
    agreement_pays: bool,
) -> tuple[list[Payslip], list[dict[str, Any]]]:
    """The run's payslips (unsaved), one per salary whose employment covers the month; and the skipped."""
    computed: dict[calc.PayInput, _Computed] = {}
    payslips: list[Payslip] = []
    skipped: list[dict[str, Any]] = []
    for salary in salaries:
        employment = employments[salary.employment_id]
        period = calc.period_for(employment.start, employment.end, month)
        if period.days == 0:
            skipped.append({"salary": salary.pk, "reason": _("The employment does not cover this month.")})
            continue
        payee_ytd = ytd.get(salary.payee_id, calc.YearToDate())
        special = special_gross_for(
            employment=employment,
            month=month,
            gross=salary.gross,
            earlier=earlier.get(employment.pk, ZERO),
            agreement_pays=agreement_pays,
        )
        inp = calc.PayInput(
            gross=salary.gross,
            period=period,
            federal_state=employment.federal_state,
            first_employment_month=employment.start >= month,
            special_gross=special,
            ytd=payee_ytd,
        )
        found = computed.get(inp)
        if found is None:
            pay = calc.compute(rules, inp)
            found = computed[inp] = _Computed(index=len(computed), pay=pay, lines=payslip_lines(pay))
        pay = found.pay
        # Ids, not instances: the related-object descriptors cost more than the rest of the row.
        payslip = Payslip(
            cooperative_id=cooperative.pk,
            kind=Payslip.Kind.REGULAR,
            salary_id=salary.pk,
            employment_id=employment.pk,
            payee_id=salary.payee_id,
            project_id=salary.project_id,
            month=month,
            run_id=run.pk,
            currency=salary.currency,
            payroll_days=period.days,
            levy_db=pay.levies.get("db", ZERO),
            levy_dz=pay.levies.get("dz", ZERO),
            levy_kommunalsteuer=pay.levies.get("kommunalsteuer", ZERO),
            levy_bv=pay.levies.get("bv", ZERO),
            levy_ubahn=pay.levies.get("ubahn", ZERO),
            marginal=pay.marginal,
            municipality=employment.municipality,
            federal_state=employment.federal_state,
            lines=found.lines,
            year_to_date=_ytd_json(payee_ytd, pay),
            created_by_id=actor.pk,
        )
        for name in _MONEY:
            setattr(payslip, name, getattr(pay, name))
        payslip._computed = found.index  # type: ignore[attr-defined]
        payslips.append(payslip)
    computations = sorted(computed.values(), key=lambda c: c.index)
    for payslip in payslips:
        payslip._computation = computations[payslip._computed]  # type: ignore[attr-defined]
    return payslips, skipped


_PAYSLIP_LEVIES = ("levy_db", "levy_dz", "levy_kommunalsteuer", "levy_bv", "levy_ubahn")


def _insert_payslips(cooperative: Cooperative, payslips: list[Payslip]) -> None:
    """Write the payslips in one INSERT … SELECT: per payslip only its ids and a computation number travel
    as arrays; the money, the lines and the year-to-date JSON travel once per distinct computation (one
    JSON document each, picked by number in the database). No model instance is saved; the payslips get
    their ids."""
    if not payslips:
        return
    computations: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    ytds: dict[str, int] = {}
    comp_ix: list[int] = []
    ytd_ix: list[int] = []
    for p in payslips:
        computation: _Computed = p._computation  # type: ignore[attr-defined]
        if computation.index not in seen:
            seen[computation.index] = len(computations)
            row: dict[str, Any] = {name: str(getattr(p, name)) for name in (*_MONEY, *_PAYSLIP_LEVIES)}
            row["marginal"] = p.marginal
            row["lines"] = computation.lines
            computations.append(row)
        comp_ix.append(seen[computation.index])
        key = json.dumps(p.year_to_date, sort_keys=True)
        ytd_ix.append(ytds.setdefault(key, len(ytds)))
    now = timezone.now()
    first = payslips[0]
    money = ", ".join(f"(d.c -> r.comp ->> '{name}')::numeric" for name in (*_MONEY, *_PAYSLIP_LEVIES))
    columns = ", ".join((*_MONEY, *_PAYSLIP_LEVIES))
    table = Payslip._meta.db_table
    # Table and column names come from the code; every value is a query parameter (hence the S608 noqa).
    sql = (
        # The two documents are parsed once (a one-row CTE); `->` picks a row's computation by its number,
        # so the rows come out in the order of the arrays without a join or a sort.
        "WITH d AS MATERIALIZED (SELECT %s::jsonb AS c, %s::jsonb AS y) "  # noqa: S608
        f"INSERT INTO {table} (cooperative_id, pdf_sha256, email_sent_to, document_attempts, "
        "document_error, kind, salary_id, employment_id, payee_id, project_id, month, run_id, currency, "
        f"payroll_days, {columns}, marginal, municipality, federal_state, lines, year_to_date, "
        "journal_entry_id, created_by_id, created_at, reason, pdf) "
        f"SELECT %s, '', '', 0, '', %s, r.salary_id, r.employment_id, r.payee_id, r.project_id, %s, %s, "
        f"r.currency, r.payroll_days, {money}, (d.c -> r.comp ->> 'marginal')::boolean, r.municipality, "
        "r.federal_state, d.c -> r.comp -> 'lines', d.y -> r.ytd, r.journal_entry_id, %s, %s, '', '' "
        "FROM d CROSS JOIN unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], "
        "%s::int[], %s::int[], %s::int[], %s::text[], %s::text[], %s::text[]) "
        "AS r(salary_id, employment_id, payee_id, project_id, journal_entry_id, payroll_days, comp, ytd, "
        "currency, municipality, federal_state) "
        "RETURNING id, salary_id"
    )
    params: list[Any] = [
        json.dumps(computations),
        "[" + ",".join(ytds) + "]",
        cooperative.pk,
        Payslip.Kind.REGULAR,
        first.month,
        first.run_id,
        first.created_by_id,
        now,
        [p.salary_id for p in payslips],
        [p.employment_id for p in payslips],
        [p.payee_id for p in payslips],
        [p.project_id for p in payslips],
        [p.journal_entry_id for p in payslips],
        [p.payroll_days for p in payslips],
        comp_ix,
        ytd_ix,
        [p.currency for p in payslips],
        [p.municipality for p in payslips],
        [p.federal_state for p in payslips],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = dict((salary_id, pk) for pk, salary_id in cursor.fetchall())
    for p in payslips:
        p.pk = ids[p.salary_id]
        p.created_at = now
        p._state.adding = False
        p._state.db = connection.alias


def _payout_items(
    cooperative: Cooperative, actor: Membership, run: PayrollRun, month: date, deadline: date
) -> None:
    """The run's net pays as payout items (kind salary, approved, guaranteed by the payday) and their
    events, made in the database from the payslips just written: two INSERT … SELECT statements."""
    now = timezone.now()
    items = PayoutItem._meta.db_table
    # Table names come from the models; every value is a query parameter (hence the S608 noqa).
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {items} (cooperative_id, kind, payee_id, project_id, payslip_id, "  # noqa: S608
            "description, currency, amount, status, approved_at, guarantee_deadline, attempt_count, "
            "created_at) SELECT cooperative_id, %s, payee_id, project_id, id, %s, currency, net, %s, %s, %s, "
            f"0, %s FROM {Payslip._meta.db_table} WHERE cooperative_id = %s AND run_id = %s AND net > 0 "
            "ORDER BY id",
            [
                PayoutItem.Kind.SALARY,
                f"Gehalt/Salary {month:%m/%Y}",
                PayoutItem.Status.APPROVED,
                now,
                deadline,
                now,
                cooperative.pk,
                run.pk,
            ],
        )
        cursor.execute(
            f"INSERT INTO {PayoutItemEvent._meta.db_table} "  # noqa: S608
            "(cooperative_id, item_id, from_status, to_status, run_id, reason, actor_id, created_at) "
            "SELECT i.cooperative_id, i.id, '', %s, NULL, '', %s, %s "
            f"FROM {items} i JOIN {Payslip._meta.db_table} p ON p.id = i.payslip_id "
            "WHERE p.cooperative_id = %s AND p.run_id = %s ORDER BY i.id",
            [PayoutItem.Status.APPROVED, actor.user_id, now, cooperative.pk, run.pk],
        )


def _negated(payslip: Payslip, actor: Membership, reason: str) -> Payslip:
    money = (
        "gross",
        "special_gross",
        "employee_social_insurance",
        "wage_tax",
        "net",
        "employer_social_insurance",
        "levy_db",
        "levy_dz",
        "levy_kommunalsteuer",
        "levy_bv",
        "levy_ubahn",
        "special_accrual",
        "special_cost",
        "employer_cost_total",
    )
    reversal = Payslip(
        cooperative_id=payslip.cooperative_id,
        kind=Payslip.Kind.REVERSAL,
        reverses=payslip,
        employment_id=payslip.employment_id,
        payee_id=payslip.payee_id,
        project_id=payslip.project_id,
        month=payslip.month,
        currency=payslip.currency,
        payroll_days=payslip.payroll_days,
        marginal=payslip.marginal,
        municipality=payslip.municipality,
        federal_state=payslip.federal_state,
        lines=[{**line, "amount": str(-Decimal(line["amount"]))} for line in payslip.lines],
        year_to_date=payslip.year_to_date,
        created_by=actor,
        reason=reason[:300],
    )
    for name in money:
        setattr(reversal, name, -getattr(payslip, name))
    return reversal


@transaction.atomic
def payslip_reverse(*, cooperative: Cooperative, actor: Membership, payslip: Payslip, reason: str) -> Payslip:
    """Correct a payslip by a reversal payslip — never an edit. Finance or admin, with a reason.

    Posts the mirror of the payslip's ledger entry and cancels its payout item while that waits for a run;
    an item already in a run, sent or paid is refused (409, the money has left or is leaving: finance
    settles it by hand first). The salary is cancelled, so the member may request the month again and the
    next run pays the corrected figures. The employer liabilities get the negative amounts (a reversal row
    that nets with the next ones).
    """
    _check_same(cooperative, actor, payslip)
    _require_finance(actor)
    if not reason.strip():
        raise ApplicationError(_("Please say why, in a reason."), details={"reason": [_("Required.")]})
    if payslip.kind != Payslip.Kind.REGULAR:
        raise ApplicationError(_("A reversal cannot itself be reversed."), conflict=True)
    project = locks.lock_project(Project, cooperative, payslip.project_id)
    if payslip.salary_id is not None:
        locks.lock_salary(Salary, cooperative, payslip.salary_id)
    payslip = Payslip.objects.for_cooperative(cooperative).select_for_update(of=("self",)).get(pk=payslip.pk)
    if payslip.reversed_at is not None:
        raise ApplicationError(_("This payslip has already been reversed."), conflict=True)
    item_id = (
        PayoutItem.objects.for_cooperative(cooperative)
        .filter(payslip=payslip)
        .values_list("pk", flat=True)
        .first()
    )
    item = locks.lock_payout_items(PayoutItem, cooperative, [item_id])[0] if item_id is not None else None
    if item is not None and item.status != PayoutItem.Status.APPROVED:
        raise ApplicationError(
            _(
                "The net pay of this payslip is already %(status)s, so it cannot be reversed here. "
                "Settle the payout with the employee first."
            )
            % {"status": status_in_sentence(item.get_status_display())},
            conflict=True,
        )
    today = timezone.localdate()
    if payslip.journal_entry is not None:
        journal_reverse(
            cooperative=cooperative,
            entry=payslip.journal_entry,
            date=today,
            reason=f"payslip reversed: {reason.strip()}",
            actor=actor.user,
        )
    reversal = _negated(payslip, actor, reason.strip())
    reversal.save()
    payslip.reversed_at = timezone.now()
    payslip.save(update_fields=["reversed_at"])
    if item is not None:
        item.status = PayoutItem.Status.CANCELLED
        item.save(update_fields=["status"])
        payout_item_event(
            item,
            from_status=PayoutItem.Status.APPROVED,
            to_status=PayoutItem.Status.CANCELLED,
            actor=actor,
            reason=f"payslip reversed: {reason.strip()}",
        )
    if payslip.salary_id is not None:
        Salary.objects.for_cooperative(cooperative).filter(pk=payslip.salary_id).update(
            status=Salary.Status.CANCELLED
        )
    _liabilities(cooperative, payslip.month, [reversal], reversal=reversal)
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="payslip.reversed",
        obj=payslip,
        data={"reversal": reversal.pk, "reason": reason.strip(), "project": project.pk},
    )
    return reversal
