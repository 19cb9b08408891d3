"""Employer liabilities go with the next payout run's SEPA file, once, and are booked when it is confirmed."""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from payroll.lib.sepa import pain001_errors
from payroll.models import EmployerLiability, Municipality, PayrollSettings
from payroll.selectors.payroll_runs import liabilities_by_month
from payroll.services.payroll_runs import payroll_run_month
from payroll.services.runs import payout_run_confirm, payout_run_mark_sent, payout_run_start
from projects.ledger import account_balance, account_get
from smartprod.core.money import ZERO
from tests.payroll_payslip_helpers import employment, payroll_world, salary

pytestmark = pytest.mark.django_db

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def _settings(coop) -> None:
    PayrollSettings.objects.create(
        cooperative=coop,
        employer_account_number="123456789",
        health_insurer_iban="AT321200000012345678",
        health_insurer_reference="BKNR 123456789",
        tax_office_iban="AT830100000005504374",
        tax_office_reference="12 345/6789",
    )
    Municipality.objects.create(
        cooperative=coop,
        name="Wien",
        federal_state="Wien",
        iban="AT181200000696212729",
        payment_reference="KOMM-77",
    )


def test_liabilities_paid_once_in_the_next_run_and_booked_on_confirmation() -> None:
    w = payroll_world()
    _settings(w.coop)
    salary(w.coop, employment(w.coop, w.project, w.employee), date(2026, 3, 1), "3060.00")
    payslip = payroll_run_month(cooperative=w.coop, actor=w.finance, month=date(2026, 3, 1)).created[0]
    rows = list(EmployerLiability.objects.for_cooperative(w.coop))
    owed = sum((r.amount for r in rows), ZERO)
    assert owed == (
        payslip.employee_social_insurance
        + payslip.employer_social_insurance
        + payslip.wage_tax
        + payslip.levies_total
    )
    assert [r["open"] for r in liabilities_by_month(cooperative=w.coop)] == [r.amount for r in rows]

    run = payout_run_start(cooperative=w.coop, actor=w.finance, until=date(2026, 4, 15))
    assert run is not None
    tree = etree.fromstring(bytes(run.sepa_xml))
    amounts = {
        tx.findtext("p:Cdtr/p:Nm", namespaces=NS): tx.findtext("p:Amt/p:InstdAmt", namespaces=NS)
        for tx in tree.iterfind(".//p:CdtTrfTxInf", NS)
    }
    health = next(r for r in rows if r.creditor == "health_insurer")
    assert amounts["Oesterreichische Gesundheitskasse"] == str(health.amount)  # SEPA character set
    assert "BKNR 123456789 03/2026" in bytes(run.sepa_xml).decode()
    assert sum((r.amount for r in rows), ZERO) + payslip.net == run.total
    again = payout_run_start(cooperative=w.coop, actor=w.finance, until=date(2026, 4, 15))
    assert again is not None and not again.sepa_xml  # nothing twice

    payout_run_mark_sent(cooperative=w.coop, actor=w.finance, run=run)
    payout_run_confirm(cooperative=w.coop, actor=w.finance, run=run, on=date(2026, 4, 10))
    assert set(EmployerLiability.objects.for_cooperative(w.coop).values_list("paid_at", flat=True)) == {
        date(2026, 4, 10)
    }
    for kind in ("wage_tax_payable", "social_insurance_payable", "employer_levies_payable"):
        assert account_balance(cooperative=w.coop, account=account_get(cooperative=w.coop, type=kind)) == ZERO
    payout_run_confirm(cooperative=w.coop, actor=w.finance, run=run)  # twice: nothing more


def test_liabilities_carry_their_category_purpose_and_the_file_is_valid() -> None:
    """ISO 20022 ExternalCategoryPurpose1Code: TAXS to the tax office and the municipality (taxes), GOVT to
    the ÖGK (contributions to a public body; SSBE is a benefit paid to a person); the salary stays SALA.
    They went out as SUPP before."""
    w = payroll_world()
    _settings(w.coop)
    salary(w.coop, employment(w.coop, w.project, w.employee), date(2026, 3, 1), "3060.00")
    payroll_run_month(cooperative=w.coop, actor=w.finance, month=date(2026, 3, 1))
    run = payout_run_start(cooperative=w.coop, actor=w.finance, until=date(2026, 4, 15))
    assert run is not None
    data = bytes(run.sepa_xml)
    assert pain001_errors(data) == []  # the official pain.001.001.09 XSD sepaxml ships
    tree = etree.fromstring(data)
    purposes = {
        tx.findtext("p:Cdtr/p:Nm", namespaces=NS): info.findtext("p:PmtTpInf/p:CtgyPurp/p:Cd", namespaces=NS)
        for info in tree.iterfind("p:CstmrCdtTrfInitn/p:PmtInf", NS)
        for tx in info.iterfind("p:CdtTrfTxInf", NS)
    }
    assert purposes.pop("Oesterreichische Gesundheitskasse") == "GOVT"
    tax_office = next(name for name in purposes if name.startswith("Finanzamt"))
    assert purposes.pop(tax_office) == "TAXS"
    town = next(name for name in purposes if "Wien" in name)
    assert purposes.pop(town) == "TAXS"
    assert set(purposes.values()) == {"SALA"}
    infos = tree.iterfind("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    blocks = [info.findtext("p:PmtInfId", namespaces=NS) for info in infos]
    assert [b.rsplit("-", 1)[-1] for b in blocks] == ["SALA", "TAXS", "GOVT"]
    assert "SUPP" not in data.decode()


def test_a_creditor_without_an_account_is_held_back_not_the_salaries() -> None:
    w = payroll_world()
    salary(w.coop, employment(w.coop, w.project, w.employee), date(2026, 3, 1))
    payroll_run_month(cooperative=w.coop, actor=w.finance, month=date(2026, 3, 1))
    run = payout_run_start(cooperative=w.coop, actor=w.finance, until=date(2026, 4, 15))
    assert run is not None and run.item_count == 1
    assert not EmployerLiability.objects.for_cooperative(w.coop).filter(payout_run__isnull=False).exists()
    from smartprod.core.models import AuditEvent

    event = AuditEvent.objects.for_cooperative(w.coop).get(event="payout_run.started")
    assert "health insurer" in str(event.data["liabilities_held_back"])
