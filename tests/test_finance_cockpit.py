"""Issue 13, item 4: the finance cockpit (/finance/) — each figure computed by hand on a small scenario,
the other cooperative never counted, exact query counts, the page in German and English for finance and
admins only, and every link leads to a backend list that opens."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from invoicing import services as invoicing
from invoicing.finance_figures import defaults_written_off, receivables_aging
from payroll.figures import guarantee_exposure, paid_on_time, runs_by_state, upcoming_deadlines
from payroll.models import EmployerLiability, PayrollRun
from payroll.selectors.payroll_runs import liabilities_due
from payroll.services.runs import payout_run_confirm, payout_run_mark_sent, payout_run_start
from projects.models import Project
from smartprod.core.finance_cockpit import cockpit_figures
from smartprod.core.registry import finance_figures
from smartprod.tenancy.models import Cooperative, Membership
from tests.invoicing_helpers import issued
from tests.payroll_helpers import payee_profile, payout_item
from tests.projects_helpers import approved_project

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class World:
    coop: Cooperative
    finance: Membership
    today: date
    exposed: Project
    partly_paid: Project
    aging: Project
    invoice_numbers: dict[str, str]


def _ago(today: date, coop: Cooperative, days_past_due: int) -> date:
    """The issue date that makes an invoice `days_past_due` days past its due date today."""
    return today - timedelta(days=coop.payment_terms_days + days_past_due)


def _world(coop: Cooperative, make_member) -> World:
    """Invoices of every age, a write-off this year and one last year, payouts paid on time and late in
    one run, open payouts near and far from their deadline, employer liabilities."""
    today = timezone.localdate()
    owner, advisor = make_member(coop), make_member(coop, "advisor")
    finance = make_member(coop, "finance")
    payee_profile(coop, owner)
    exposed = approved_project(coop, owner, advisor, title="Exposed opera")
    partly_paid = approved_project(coop, owner, advisor, title="Partly paid film")
    settled = approved_project(coop, owner, advisor, title="Settled festival")
    aging = approved_project(coop, owner, advisor, title="Aging book")
    numbers: dict[str, str] = {}

    def invoice(key, project, line, days_past_due):
        numbers[key] = issued(coop, owner, advisor, project, line, on=_ago(today, coop, days_past_due)).number
        return numbers[key]

    # Not yet due (due in the payment terms): 120.00 open.
    invoice("not_due", exposed, ("Stage design", "1", "100.00", "20"), -coop.payment_terms_days)
    # 10 days past due, 1,200.00 of which 1,000.00 paid: 200.00 open.
    inv = invoice("d10", partly_paid, ("Camera", "2", "500.00", "20"), 10)
    invoicing.payment_record(
        cooperative=coop, actor=finance, invoice=_inv(coop, inv), amount=D("1000.00"), date=today
    )
    invoice("d30", aging, ("Proofreading", "1", "10.00", "20"), 30)  # 12.00, last day of 0–30
    invoice("d31", aging, ("Layout", "1", "250.05", "20"), 31)  # 300.06
    invoice("d75", aging, ("Books", "1", "99.99", "10"), 75)  # 99.99 + 10.00 VAT = 109.99
    invoice("d90", aging, ("Index", "1", "5.00", "20"), 90)  # 6.00, last day of 61–90
    invoice("d120", aging, ("Print", "2", "500.00", "20"), 120)  # 1,200.00
    # Fully paid: not open, not exposed.
    paid = invoice("paid", settled, ("Festival", "1", "1000.00", "20"), 5)
    invoicing.payment_record(
        cooperative=coop, actor=finance, invoice=_inv(coop, paid), amount=D("1200.00"), date=today
    )
    # Written off this year: 96.00 gross, 36.00 paid first, 60.00 written off (50.00 net + 10.00 VAT).
    this_year = invoice("written_off", aging, ("Poster", "1", "80.00", "20"), 0 - coop.payment_terms_days)
    invoicing.payment_record(
        cooperative=coop, actor=finance, invoice=_inv(coop, this_year), amount=D("36.00"), date=today
    )
    invoicing.invoice_write_off(
        cooperative=coop, actor=finance, invoice=_inv(coop, this_year), reason="Insolvent", on=today
    )
    # Written off last year: 84.00 — not this year's.
    last_year = issued(
        coop, owner, advisor, aging, ("Flyer", "1", "70.00", "20"), on=date(today.year - 1, 3, 2)
    )
    numbers["last_year"] = last_year.number
    invoicing.invoice_write_off(
        cooperative=coop, actor=finance, invoice=last_year, reason="Gone", on=date(today.year - 1, 6, 1)
    )

    # Paid in an earlier run 91 days ago (outside the 90 days).
    payout_item(coop, settled, owner, "7.00", deadline=today - timedelta(days=120))
    old_run = payout_run_start(cooperative=coop, actor=finance, until=today - timedelta(days=100))
    old_run = payout_run_mark_sent(cooperative=coop, actor=finance, run=old_run)
    payout_run_confirm(cooperative=coop, actor=finance, run=old_run, on=today - timedelta(days=91))
    # Payouts paid in one run today: 50.00 a day late, 90.00 on time.
    payout_item(coop, exposed, owner, "50.00", deadline=today - timedelta(days=1))
    payout_item(coop, exposed, owner, "90.00", deadline=today + timedelta(days=1))
    run = payout_run_start(cooperative=coop, actor=finance, until=today + timedelta(days=1))
    run = payout_run_mark_sent(cooperative=coop, actor=finance, run=run)
    payout_run_confirm(cooperative=coop, actor=finance, run=run, on=today)
    # Open payouts: 20.00 due today, 30.00 in 3 days (both within 10 working days), 40.00 in 60 days,
    # 15.00 two days late.
    payout_item(coop, exposed, owner, "20.00", deadline=today)
    payout_item(coop, partly_paid, owner, "30.00", deadline=today + timedelta(days=3))
    payout_item(coop, settled, owner, "40.00", deadline=today + timedelta(days=60))
    payout_item(coop, aging, owner, "15.00", deadline=today - timedelta(days=2), description="Late fee")

    # Employer liabilities of October's payroll, due 15 November; not in a payout run yet.
    payroll_run = PayrollRun.objects.create(cooperative=coop, month=date(2026, 10, 1), created_by=finance)
    for creditor, amount in (("health_insurer", "1234.56"), ("tax_office", "345.67")):
        EmployerLiability.objects.create(
            cooperative=coop,
            month=date(2026, 10, 1),
            creditor=creditor,
            payroll_run=payroll_run,
            amount=D(amount),
            due_date=date(2026, 11, 15),
        )
    return World(coop, finance, today, exposed, partly_paid, aging, numbers)


def _inv(coop, number):
    from invoicing.models import Invoice

    return Invoice.objects.for_cooperative(coop).get(number=number)


def _foreign(other_coop, make_member) -> Project:
    """The other cooperative: an overdue invoice, a write-off, payouts, a liability — never counted."""
    today = timezone.localdate()
    owner, advisor = make_member(other_coop), make_member(other_coop, "advisor")
    finance = make_member(other_coop, "finance")
    payee_profile(other_coop, owner, iban="DE89370400440532013000")
    project = approved_project(other_coop, owner, advisor, title="Foreign musical")
    overdue = _ago(today, other_coop, 40)
    issued(other_coop, owner, advisor, project, ("Beratung", "1", "1000.00", "19"), on=overdue)
    gone = issued(other_coop, owner, advisor, project, ("Beratung", "1", "500.00", "19"), on=today)
    invoicing.invoice_write_off(cooperative=other_coop, actor=finance, invoice=gone, reason="x", on=today)
    payout_item(other_coop, project, owner, "700.00", deadline=today + timedelta(days=1))
    payout_item(other_coop, project, owner, "800.00", deadline=today - timedelta(days=1))
    run = PayrollRun.objects.create(cooperative=other_coop, month=date(2026, 10, 1), created_by=finance)
    EmployerLiability.objects.create(
        cooperative=other_coop,
        month=date(2026, 10, 1),
        creditor="tax_office",
        payroll_run=run,
        amount=D("999.99"),
        due_date=date(2026, 11, 15),
    )
    return project


@pytest.fixture
def world(coop, other_coop, make_member) -> World:
    w = _world(coop, make_member)
    _foreign(other_coop, make_member)
    return w


def test_every_figure_is_registered_by_its_app():
    keys = [figure.key for figure in finance_figures]
    assert len(keys) == len(set(keys))
    assert {
        "invoices.aging",
        "invoices.written_off",
        "payouts.exposure",
        "payouts.deadlines",
        "payouts.runs",
        "payouts.on_time",
        "payroll.liabilities",
    } <= set(keys)


def test_receivables_aging_by_hand(world):
    aging = receivables_aging(world.coop)
    assert [(row["key"], row["count"], row["total"]) for row in aging["rows"]] == [
        ("not_due", 1, D("120.00")),
        ("d0_30", 2, D("212.00")),  # 200.00 (10 days) + 12.00 (30 days)
        ("d31_60", 1, D("300.06")),
        ("d61_90", 2, D("115.99")),  # 109.99 (75 days) + 6.00 (90 days)
        ("d90", 1, D("1200.00")),
    ]
    assert (aging["count"], aging["total"]) == (7, D("1948.05"))


def test_defaults_written_off_this_year_only(world):
    figure = defaults_written_off(world.coop)
    assert (figure["year"], figure["count"], figure["gross"], figure["net"]) == (
        world.today.year,
        1,
        D("60.00"),
        D("50.00"),
    )


def test_guarantee_exposure_is_the_payouts_covered_by_open_receivables(world):
    exposure = guarantee_exposure(world.coop)
    # Exposed opera: receivable 120.00, payouts 50 + 90 (paid) + 20 (approved) = 160.00 → 120.00.
    # Partly paid film: receivable 200.00, payouts 30.00 → 30.00. Aging book: 1,628.05 open, 15.00 → 15.00.
    # Settled festival: nothing receivable → not exposed.
    assert [(row["project"].pk, row["exposure"]) for row in exposure["projects"]] == [
        (world.exposed.pk, D("120.00")),
        (world.partly_paid.pk, D("30.00")),
        (world.aging.pk, D("15.00")),
    ]
    assert (exposure["total"], exposure["count"]) == (D("165.00"), 3)
    top = exposure["projects"][0]
    assert (top["receivable"], top["payouts"]) == (D("120.00"), D("160.00"))


def test_payout_deadlines_in_the_next_ten_working_days(world):
    deadlines = upcoming_deadlines(world.coop)
    assert (deadlines["count"], deadlines["total"]) == (2, D("50.00"))
    assert (deadlines["late"], deadlines["late_total"]) == (1, D("15.00"))
    assert [item.amount for item in deadlines["items"]] == [D("20.00"), D("30.00")]


def test_runs_and_paid_on_time(world):
    runs = runs_by_state(world.coop)
    assert [(str(row["label"]), row["count"], row["total"]) for row in runs["rows"]] == [
        ("Waiting for a second approval", 0, D("0.00")),
        ("Ready to download", 0, D("0.00")),
        ("Sent to the bank", 0, D("0.00")),
        ("Confirmed", 2, D("147.00")),
    ]
    on_time = paid_on_time(world.coop)
    assert (on_time["count"], on_time["on_time"], on_time["late"], on_time["share"]) == (2, 1, 1, D("50.0"))


def test_employer_liabilities_due(world):
    figure = liabilities_due(world.coop)
    assert (figure["total"], figure["next_due"]) == (D("1580.23"), date(2026, 11, 15))
    assert [(row["creditor"], row["amount"], row["open"]) for row in figure["months"]] == [
        ("health_insurer", D("1234.56"), D("1234.56")),
        ("tax_office", D("345.67"), D("345.67")),
    ]


def test_the_other_cooperative_counts_only_its_own(world, other_coop):
    assert receivables_aging(other_coop)["total"] == D("1190.00")
    assert defaults_written_off(other_coop)["gross"] == D("595.00")
    assert guarantee_exposure(other_coop)["total"] == D("1190.00")  # min(1,190.00, 1,500.00)
    assert upcoming_deadlines(other_coop)["total"] == D("700.00")
    assert liabilities_due(other_coop)["total"] == D("999.99")
    assert runs_by_state(other_coop)["rows"][-1]["count"] == 0


def _page(client_for, membership, language="en"):
    client = client_for(membership)
    client.cookies["django_language"] = language
    return client.get("/finance/")


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_page_in_english(world, make_member, client_for, role):
    response = _page(client_for, make_member(world.coop, role))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Finance cockpit" in page
    assert "€1,948.05" in page  # receivables
    assert "€1,200.00" in page  # more than 90 days
    assert "€165.00" in page  # exposure
    assert "€1,580.23" in page  # liabilities
    assert "Exposed opera" in page
    assert "Foreign musical" not in page
    assert "€1,190.00" not in page and "€999.99" not in page
    assert 'href="/finance/"' in page  # the navigation link


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_page_in_german(world, make_member, client_for, role):
    response = _page(client_for, make_member(world.coop, role), "de")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Finanz-Cockpit" in page
    assert "1.948,05\u00a0€" in page
    assert "1.580,23\u00a0€" in page
    assert "Forderungen nach Fälligkeit" in page
    assert "50,0 %" in page


@pytest.mark.parametrize("role", ["member", "advisor"])
def test_page_is_for_finance_and_admins(coop, make_member, client_for, role):
    member = make_member(coop, role)
    assert _page(client_for, member).status_code == 404
    assert 'href="/finance/"' not in client_for(member).get("/").content.decode()


def test_other_cooperative_gets_404(coop, other_coop, make_member, client_for):
    foreign = make_member(other_coop, "finance")
    assert client_for(foreign, host="at.localhost").get("/finance/").status_code == 404


def test_anonymous_gets_404(coop):
    from django.test import Client

    assert Client(HTTP_HOST="at.localhost").get("/finance/").status_code == 404


def _links(page: str) -> list[str]:
    section = page.split('<div class="cockpit">', 1)[1]
    return sorted({html.unescape(href) for href in re.findall(r'href="([^"]+)"', section)})


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_every_link_opens_the_rows_behind_it(world, make_member, client_for, role):
    client = client_for(world.finance if role == "finance" else make_member(world.coop, role="admin"))
    page = client.get("/finance/").content.decode()
    links = _links(page)
    assert len(links) >= 20
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link  # an unknown filter would redirect to ?e=1
    # The rows behind a bucket, the write-offs and the exposure are the right ones.
    aging = receivables_aging(world.coop)
    d61 = client.get(aging["rows"][3]["url"]).content.decode()
    assert world.invoice_numbers["d75"] in d61 and world.invoice_numbers["d90"] in d61
    assert world.invoice_numbers["d120"] not in d61 and world.invoice_numbers["d31"] not in d61
    written = client.get(defaults_written_off(world.coop)["url"]).content.decode()
    assert world.invoice_numbers["written_off"] in written
    assert world.invoice_numbers["last_year"] not in written
    exposed = client.get(guarantee_exposure(world.coop)["url"]).content.decode()
    assert "Exposed opera" in exposed and "Aging book" in exposed
    assert "Settled festival" not in exposed and "Foreign musical" not in exposed


def _count(coop) -> int:
    with CaptureQueriesContext(connection) as queries:
        cockpit_figures(None, coop)
    return len(queries)


def test_query_count_does_not_grow_with_the_data(coop, other_coop, make_member, client_for):
    translation.activate("en")
    empty = _count(coop)
    world = _world(coop, make_member)
    assert _count(coop) == empty == 12  # 1+1 invoicing, 2+2+2+1 payouts, 3 liabilities
    # More invoices, payouts and runs: the same queries.
    owner, advisor = make_member(coop), make_member(coop, "advisor")
    for n in range(3):
        project = approved_project(coop, owner, advisor, title=f"More {n}")
        issued(coop, owner, advisor, project, ("More", "1", "10.00", "20"), on=_ago(world.today, coop, 50))
        payout_item(coop, project, world.finance, "5.00", deadline=world.today + timedelta(days=2))
    assert _count(coop) == empty
    client = client_for(world.finance)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/finance/").status_code == 200
    payout_item(coop, world.aging, world.finance, "5.00", deadline=world.today)
    with CaptureQueriesContext(connection) as second:
        assert client.get("/finance/").status_code == 200
    assert len(first) == len(second)
