"""Payroll end to end in a real browser: an employed member's salary for a month → finance (with TOTP) runs
the payroll in the backend → the member sees the payslip (and downloads it) → finance's next payout run pays
the net (SALA) → the member sees it paid.

The employment is written directly (staff create it; their form has its own page tests); the member requests
the salary on the project page, where it is approved at once within the budget.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree
from playwright.sync_api import Browser, Page, expect

from members.management.commands.seed_demo import DEMO_TOTP_SECRET
from payroll.models import PayoutItem, Payslip, Salary
from projects.models import Project
from smartprod.tenancy.models import Cooperative, Membership
from tests.browser.axe import assert_no_serious_axe_violations
from tests.browser.conftest import DESKTOP, NAVIGATION_TIMEOUT_MS
from tests.payroll_payslip_helpers import employment, payroll_rules

pytestmark = pytest.mark.browser

MEMBER = "member@smart-at.example"
FINANCE = "finance@smart-at.example"
PROJECT = "Bühnenbild Sommerfestival (Mira)"
MONTH = date(2026, 12, 1)
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def _run_admin_action(page: Page, object_id: int, action: str) -> None:
    page.locator(f"input[name='_selected_action'][value='{object_id}']").check()
    page.select_option("select[name='action']", action)
    with page.expect_navigation():
        page.locator("button[name='index']").click()
    expect(page.locator(".messagelist .error")).to_have_count(0)


def test_salary_payroll_run_payslip_visible_then_paid(
    page, browser: Browser, live_server, demo_data, login, screenshot, tmp_path
):
    smart_at = Cooperative.objects.get(slug="smart-at")
    project = Project.objects.for_cooperative(smart_at).get(title=PROJECT)
    member = Membership.objects.for_cooperative(smart_at).get(user__email=MEMBER)
    payroll_rules(MONTH.year)
    job = employment(smart_at, project, member, start=MONTH, end=date(2027, 2, 28))

    # --- the member requests December's salary on the project page ---
    login(page, MEMBER)
    page.goto(f"/projects/{project.pk}/")
    form = page.locator("#salary-request")
    form.locator("select[name='employment']").select_option(str(job.pk))
    form.locator("input[name='month']").fill("2026-12")
    form.locator("input[name='use_max']").set_checked(False)  # a gross amount, not "as much as possible"
    form.locator("input[name='gross']").fill("2100.00")
    with page.expect_navigation():
        form.locator("button[data-action='request-salary']").click()
    approved = Salary.objects.for_cooperative(smart_at).get(employment=job, month=MONTH)
    assert (approved.status, approved.gross) == ("approved", Decimal("2100.00"))
    assert_no_serious_axe_violations(page)
    screenshot(page, "payroll-flow-0-salary-requested")

    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="de-AT", accept_downloads=True
    )
    context.set_default_timeout(NAVIGATION_TIMEOUT_MS)
    finance = context.new_page()
    try:
        # --- finance runs the payroll for December in the backend ---
        login(finance, FINANCE, otp_secret=DEMO_TOTP_SECRET)
        finance.goto("/admin/payroll/payrollrun/")
        finance.locator("a[href$='/admin/payroll/payrollrun/run/']").click()
        finance.fill("input[name='month']", "2026-12")
        with finance.expect_navigation():
            finance.locator("input[type='submit']").click()
        expect(finance).to_have_url(re.compile(r"/admin/payroll/payrollrun/\d+/change/"))
        assert_no_serious_axe_violations(finance)
        screenshot(finance, "payroll-flow-1-run-backend")
        payslip = Payslip.objects.for_cooperative(smart_at).get(salary=approved)
        item = PayoutItem.objects.for_cooperative(smart_at).get(payslip=payslip)
        assert (item.kind, item.amount, item.guarantee_deadline) == (
            "salary",
            payslip.net,
            date(2026, 12, 31),
        )

        # --- the member sees the payslip in their list and on the project, and downloads it ---
        page.goto("/payslips/")
        row = page.locator(f"tr[data-payslip='{payslip.pk}']")
        expect(row).to_be_visible()
        with page.expect_download() as download:
            row.locator("a[data-action='payslip-pdf']").click()
        assert download.value.path().read_bytes().startswith(b"%PDF")
        page.goto(f"/projects/{project.pk}/")
        expect(page.locator(f"#payslips tr[data-payslip='{payslip.pk}']")).to_be_visible()
        assert_no_serious_axe_violations(page)
        screenshot(page, "payroll-flow-2-payslip-phone")

        # --- finance's next payout run pays the net with category purpose SALA ---
        finance.goto("/admin/payroll/payoutrun/start/")
        finance.fill("input[name='until']", "2026-12-31")
        finance.locator("input[name='confirm']").check()
        with finance.expect_navigation():
            finance.locator("input[type='submit']").click()
        item.refresh_from_db()
        assert item.status == "in_run" and item.run is not None
        run = item.run
        root = etree.fromstring(bytes(run.sepa_xml))
        attempt = run.attempts.get(item=item)
        block = root.xpath(
            f"//p:PmtInf[p:CdtTrfTxInf/p:PmtId/p:EndToEndId='{attempt.end_to_end_id}']", namespaces=NS
        )
        assert block[0].xpath("string(p:PmtTpInf/p:CtgyPurp/p:Cd)", namespaces=NS) == "SALA"
        finance.goto("/admin/payroll/payoutrun/")
        _run_admin_action(finance, run.pk, "mark_sent_selected")
        _run_admin_action(finance, run.pk, "confirm_selected")
    finally:
        context.close()
    item.refresh_from_db()
    assert item.status == "paid"

    # --- the member sees it paid ---
    page.goto("/payslips/")
    expect(page.locator(f"tr[data-payslip='{payslip.pk}'] [data-item-status]")).to_have_attribute(
        "data-item-status", "paid"
    )
    assert_no_serious_axe_violations(page)
    screenshot(page, "payroll-flow-3-paid-phone")
