"""The monthly payroll run: payslips, the ledger, payout items, liabilities, reversals (issue 10)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ObjectDoesNotExist

from payroll import calc
from payroll.models import (
    CollectiveAgreement,
    EmployerLiability,
    PayoutItem,
    PayrollSettings,
    Payslip,
    Salary,
)
from payroll.services.payroll_runs import (
    ACCRUED_SPECIAL,
    payday,
    payroll_run_month,
    payslip_reverse,
)
from projects.ledger import account_balance, account_get
from projects.models import Account, JournalEntry, JournalLine
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.core.money import ZERO
from tests.factories import MembershipFactory
from tests.payroll_payslip_helpers import employment, payroll_world, salary, with_employee

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


def _budget(world) -> Decimal:
    account = account_get(cooperative=world.coop, type=Account.Type.PROJECT_BUDGET, project=world.project)
    return account_balance(cooperative=world.coop, account=account)


def test_payroll_run_posts_balanced_entries_and_charges_exactly_the_employer_cost() -> None:
    w = payroll_world()
    second = with_employee(w)
    s1 = salary(w.coop, employment(w.coop, w.project, w.employee), MARCH, "3060.00")
    s2 = salary(
        w.coop,
        employment(w.coop, w.project, second.employee, municipality="Graz", federal_state="Steiermark"),
        MARCH,
        "1800.50",
    )
    before = _budget(w)

    result = payroll_run_month(cooperative=w.coop, actor=w.finance, month=date(2026, 3, 17))

    assert result.run is not None and len(result.created) == 2
    payslips = {p.salary_id: p for p in Payslip.objects.all_cooperatives().filter(run=result.run)}
    expected_cost = ZERO
    for s in (s1, s2):
        p = payslips[s.pk]
        emp = s.employment
        pay = calc.compute(
            calc.rules_for("AT", MARCH),
            calc.PayInput(
                gross=s.gross,
                period=calc.period_for(emp.start, emp.end, MARCH),
                federal_state=emp.federal_state,
                first_employment_month=False,
            ),
        )
        assert (p.gross, p.net, p.wage_tax, p.employer_cost_total) == (
            pay.gross,
            pay.net,
            pay.wage_tax,
            pay.employer_cost_total,
        )
        expected_cost += pay.employer_cost_total
        entry = p.journal_entry
        assert entry is not None and entry.idempotency_key == f"payslip:salary:{s.pk}"
        lines = JournalLine.objects.all_cooperatives().filter(entry=entry)
        assert sum(line.debit for line in lines) == sum(line.credit for line in lines)
        payable = account_get(cooperative=w.coop, type=Account.Type.PAYOUTS_PAYABLE, payee=p.payee)
        assert lines.get(account=payable).credit == p.net
        item = PayoutItem.objects.all_cooperatives().get(payslip=p)
        assert (item.kind, item.amount, item.status) == ("salary", p.net, "approved")
        assert item.guarantee_deadline == date(2026, 3, 31)  # a Tuesday: the last working day
    # The budget is charged exactly the total employer cost, not more (special accrual included).
    assert _budget(w) - before == expected_cost == result.run.employer_cost_total
    assert set(Salary.objects.all_cooperatives().values_list("status", flat=True)) == {
        Salary.Status.IN_PAYSLIP
    }


def test_payroll_run_twice_creates_once() -> None:
    w = payroll_world()
    salary(w.coop, employment(w.coop, w.project, w.employee), MARCH)
    first = payroll_run_month(cooperative=w.coop, actor=w.finance, month=MARCH)
    entries = JournalEntry.objects.all_cooperatives().count()

    again = payroll_run_month(cooperative=w.coop, actor=w.finance, month=MARCH)

    assert len(first.created) == 1
    assert again.run is None and again.created == [] and again.existing == 1
    assert JournalEntry.objects.all_cooperatives().count() == entries
    assert Payslip.objects.all_cooperatives().count() == PayoutItem.objects.all_cooperatives().count() == 1
    # A salary approved later is picked up by the next run, alone.
    later = salary(w.coop, employment(w.coop, w.project, w.employee), MARCH, "500.00")
    third = payroll_run_month(cooperative=w.coop, actor=w.finance, month=MARCH)
    assert [p.salary_id for p in third.created] == [later.pk] and third.existing == 1


def test_payroll_run_is_finance_only_and_needs_rules() -> None:
    w = payroll_world()
    salary(w.coop, employment(w.coop, w.project, w.employee), MARCH)
    for actor in (w.employee, w.advisor):
        with pytest.raises(NotAllowed):
            payroll_run_month(cooperative=w.coop, actor=actor, month=MARCH)
    with pytest.raises(ApplicationError, match="No payroll rules for AT 2031"):
        payroll_run_month(cooperative=w.coop, actor=w.finance, month=date(2031, 1, 1))
    assert not Payslip.objects.all_cooperatives().exists()


def test_payday_last_working_day_or_last_day() -> None:
    w = payroll_world()
    assert payday(w.coop, date(2026, 5, 1)) == date(2026, 5, 29)  # 31 May is a Sunday, 30 a Saturday
    PayrollSettings.objects.create(cooperative=w.coop, payday=PayrollSettings.Payday.LAST_DAY)
    assert payday(w.coop, date(2026, 5, 1)) == date(2026, 5, 31)


def test_special_payment_in_june_paid_from_the_accrual_budget_charged_employer_cost() -> None:
    w = payroll_world()
    CollectiveAgreement.objects.get_or_create(
        country="AT",
        code="test-kv",
        year=2026,
        defaults={"name": "Test", "full_time_hours": Decimal("38.5"), "minimum_pay": {}, "source": "test"},
    )
    PayrollSettings.objects.create(cooperative=w.coop, collective_agreement_code="test-kv")
    emp = employment(w.coop, w.project, w.employee, start=date(2026, 4, 1))
    for month in (date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)):
        salary(w.coop, emp, month, "3000.00")
        payroll_run_month(cooperative=w.coop, actor=w.finance, month=month)
    april, may, june = Payslip.objects.all_cooperatives().order_by("month")
    assert april.special_gross == may.special_gross == ZERO
    assert june.special_gross == Decimal("1500.00")  # aliquot: 3 months of 3,000 / 6
    pay = calc.compute(
        calc.rules_for("AT", june.month),
        calc.PayInput(
            gross=Decimal("3000.00"),
            period=calc.period_for(emp.start, emp.end, june.month),
            federal_state="Wien",
            special_gross=Decimal("1500.00"),
            ytd=calc.YearToDate(gross=Decimal("6000.00"), wage_tax=april.wage_tax + may.wage_tax, months=2),
        ),
    )
    assert (june.net, june.employer_cost_total) == (pay.net, pay.employer_cost_total)
    budget_lines = JournalLine.objects.all_cooperatives().filter(
        entry=june.journal_entry, account__type="project_budget"
    )
    assert [line.debit for line in budget_lines] == [june.employer_cost_total]
    accrued = account_get(cooperative=w.coop, type=ACCRUED_SPECIAL)
    # April and May accrued (credit), June's special payment drew on it (net debit of the month).
    june_line = JournalLine.objects.all_cooperatives().get(entry=june.journal_entry, account=accrued)
    assert june_line.debit > 0
    assert june.year_to_date["gross"] == "9000.00"


def test_liabilities_total_the_payslips_per_creditor_due_the_15th() -> None:
    w = payroll_world()
    second = with_employee(w)
    salary(w.coop, employment(w.coop, w.project, w.employee), MARCH, "3060.00")
    salary(
        w.coop,
        employment(w.coop, w.project, second.employee, municipality="Graz", federal_state="Steiermark"),
        MARCH,
        "2400.00",
    )
    result = payroll_run_month(cooperative=w.coop, actor=w.finance, month=MARCH)
    payslips = result.created
    rows = {
        (r.creditor, r.municipality): r
        for r in EmployerLiability.objects.all_cooperatives().filter(month=MARCH)
    }
    assert {r.due_date for r in rows.values()} == {date(2026, 4, 15)}
    health = sum(
        (p.employee_social_insurance + p.employer_social_insurance + p.levy_bv for p in payslips), ZERO
    )
    tax = sum((p.wage_tax + p.levy_db + p.levy_dz for p in payslips), ZERO)
    assert rows[("health_insurer", "")].amount == health
    if tax:
        assert rows[("tax_office", "")].amount == tax
    total = sum((r.amount for r in rows.values()), ZERO)
    everything = sum(
        (
            p.employee_social_insurance + p.employer_social_insurance + p.wage_tax + p.levies_total
            for p in payslips
        ),
        ZERO,
    )
    assert total == everything


def test_reversal_posts_the_mirror_cancels_the_item_and_frees_the_month() -> None:
    w = payroll_world()
    s = salary(w.coop, employment(w.coop, w.project, w.employee), MARCH)
    before = _budget(w)
    (payslip,) = payroll_run_month(cooperative=w.coop, actor=w.finance, month=MARCH).created

    with pytest.raises(NotAllowed):
        payslip_reverse(cooperative=w.coop, actor=w.employee, payslip=payslip, reason="wrong hours")
    reversal = payslip_reverse(cooperative=w.coop, actor=w.finance, payslip=payslip, reason="wrong hours")

    assert reversal.kind == "reversal" and reversal.reverses_id == payslip.pk
    assert reversal.net == -payslip.net and reversal.employer_cost_total == -payslip.employer_cost_total
    assert _budget(w) == before
    assert PayoutItem.objects.all_cooperatives().get(payslip=payslip).status == PayoutItem.Status.CANCELLED
    s.refresh_from_db()
    assert s.status == Salary.Status.CANCELLED
    liabilities = EmployerLiability.objects.all_cooperatives().filter(month=MARCH)
    assert sum((r.amount for r in liabilities), ZERO) == ZERO
    with pytest.raises(ApplicationError, match="already been reversed"):
        payslip_reverse(cooperative=w.coop, actor=w.finance, payslip=payslip, reason="again")
    # The corrected salary of the month gets a new payslip in the next run.
    corrected = salary(w.coop, s.employment, MARCH, "2000.00")
    (new,) = payroll_run_month(cooperative=w.coop, actor=w.finance, month=MARCH).created
    assert new.salary_id == corrected.pk


def test_reversal_refused_once_the_net_is_in_a_payout_run() -> None:
    from payroll.services.runs import payout_run_start

    w = payroll_world()
    salary(w.coop, employment(w.coop, w.project, w.employee), MARCH)
    (payslip,) = payroll_run_month(cooperative=w.coop, actor=w.finance, month=MARCH).created
    payout_run_start(cooperative=w.coop, actor=w.finance, until=date(2026, 12, 31))
    with pytest.raises(ApplicationError, match="already in a payout run") as exc:
        payslip_reverse(cooperative=w.coop, actor=w.finance, payslip=payslip, reason="late")
    assert exc.value.conflict
    assert not Payslip.objects.all_cooperatives().filter(kind="reversal").exists()


def test_other_cooperatives_salaries_are_not_run() -> None:
    w = payroll_world()
    other = payroll_world()
    salary(other.coop, employment(other.coop, other.project, other.employee), MARCH)
    assert payroll_run_month(cooperative=w.coop, actor=w.finance, month=MARCH).run is None
    outsider = MembershipFactory(cooperative=other.coop, role="finance")
    with pytest.raises(ObjectDoesNotExist):  # another cooperative's actor: not found
        payroll_run_month(cooperative=w.coop, actor=outsider, month=MARCH)
