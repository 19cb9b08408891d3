"""The guarantee, end to end in a real browser: a member requests a fee on a phone; an advisor approves it in
the backend; finance (with TOTP) starts a payout run, downloads its SEPA file, marks it sent and confirms it;
the member sees the payout paid on the project page.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from lxml import etree
from playwright.sync_api import Browser, Page, expect

from members.management.commands.seed_demo import DEMO_TOTP_SECRET
from payroll.lib.sepa import pain001_errors
from payroll.models import FeeNote, PayoutItem, PayoutRun
from projects.models import Project
from smartprod.tenancy.models import Cooperative
from tests.browser.axe import assert_no_serious_axe_violations
from tests.browser.conftest import DESKTOP, NAVIGATION_TIMEOUT_MS

pytestmark = pytest.mark.browser

MEMBER = "member@smart-at.example"
ADVISOR = "advisor@smart-at.example"
FINANCE = "finance@smart-at.example"
PROJECT = "Bühnenbild Sommerfestival (Mira)"
FEE_NOTE_URL = re.compile(r"/payroll/fee-notes/(\d+)/$")
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def _no_sideways_scrolling(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    screen = page.viewport_size["width"] if page.viewport_size else 0
    assert width <= screen, f"{page.url} is {width}px wide on a {screen}px screen"


def _run_admin_action(page: Page, object_id: int, action: str) -> None:
    page.locator(f"input[name='_selected_action'][value='{object_id}']").check()
    page.select_option("select[name='action']", action)
    with page.expect_navigation():
        page.locator("button[name='index']").click()
    expect(page.locator(".messagelist .error")).to_have_count(0)


def test_member_requests_a_fee_advisor_approves_finance_pays_member_sees_it_paid(
    page, desktop_page, browser: Browser, live_server, demo_data, login, screenshot, tmp_path
):
    smart_at = Cooperative.objects.get(slug="smart-at")
    project = Project.objects.for_cooperative(smart_at).get(title=PROJECT)

    # --- the member, on a phone: the payouts panel, the request form prefilled with the maximum ---
    login(page, MEMBER)
    page.goto(f"/projects/{project.pk}/")
    panel = page.locator("#payouts")
    expect(panel).to_be_visible()
    _no_sideways_scrolling(page)
    panel.locator("a[data-action='request-payout']").click()
    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/payouts/request/$"))
    maximum = Decimal(page.locator("[data-max-net]").get_attribute("data-max-net") or "0")
    assert maximum > Decimal("300.00"), "the demo project's budget should leave room for a fee"
    expect(page.locator("input[name='net_amount']")).not_to_have_value("")
    page.fill("input[name='service_period_start']", "2026-11-01")
    page.fill("input[name='service_period_end']", "2026-11-20")
    page.fill("textarea[name='description'], input[name='description']", "Bühnenbild Entwurf und Aufbau")
    page.fill("input[name='net_amount']", "300.00")
    _no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "payout-flow-1-request-phone")
    with page.expect_navigation():
        page.locator("form:has(input[name='net_amount']) button[type='submit']").click()
    expect(page).to_have_url(FEE_NOTE_URL)
    match = FEE_NOTE_URL.search(page.url)
    assert match is not None
    note = FeeNote.objects.for_cooperative(smart_at).get(pk=int(match.group(1)))
    assert (note.status, note.net_amount, note.gross_amount) == (
        "requested",
        Decimal("300.00"),
        Decimal("300.00"),
    )
    _no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "payout-flow-2-requested-phone")

    # --- the advisor, on a laptop: approves in the backend ---
    login(desktop_page, ADVISOR, otp_secret=DEMO_TOTP_SECRET)
    desktop_page.goto("/admin/payroll/feenote/?status__exact=requested")
    _run_admin_action(desktop_page, note.pk, "approve_selected")
    assert_no_serious_axe_violations(desktop_page)
    screenshot(desktop_page, "payout-flow-3-approved-backend")
    note.refresh_from_db()
    assert note.status == "approved" and note.number.startswith("HN-")
    item = PayoutItem.objects.for_cooperative(smart_at).get(fee_note=note)
    assert (item.status, item.amount, item.payee_id) == ("approved", Decimal("300.00"), note.payee_id)

    # --- finance, with TOTP, in its own browser: starts the run, downloads the file, sent, confirmed ---
    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="de-AT", accept_downloads=True
    )
    context.set_default_timeout(NAVIGATION_TIMEOUT_MS)
    finance = context.new_page()
    try:
        login(finance, FINANCE, otp_secret=DEMO_TOTP_SECRET)
        finance.goto("/admin/payroll/payoutrun/start/")
        finance.fill("input[name='until']", item.guarantee_deadline.isoformat())
        with finance.expect_navigation():
            finance.locator("input[type='submit']").click()
        expect(finance.locator("#preview #due")).to_contain_text("300")  # the preview: nothing claimed yet
        assert PayoutItem.objects.for_cooperative(smart_at).get(pk=item.pk).status == "approved"
        assert_no_serious_axe_violations(finance)
        screenshot(finance, "payout-flow-4-preview")
        finance.locator("input[name='confirm']").check()
        with finance.expect_navigation():
            finance.locator("input[type='submit']").click()
        expect(finance).to_have_url(re.compile(r"/admin/payroll/payoutrun/\d+/change/"))
        item.refresh_from_db()
        assert item.status == "in_run" and item.run is not None
        run = item.run
        assert run.status == PayoutRun.Status.READY  # no approval threshold in the demo

        finance.goto("/admin/payroll/payoutrun/")
        with finance.expect_download() as download_info:
            finance.locator(f"a[href='/admin/payroll/payoutrun/{run.pk}/sepa/']").click()
        target = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(target)
        xml = target.read_bytes()
        assert pain001_errors(xml) == []
        root = etree.fromstring(xml)
        attempt = run.attempts.get(item=item)
        transfer = root.xpath(
            f"//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='{attempt.end_to_end_id}']", namespaces=NS
        )
        assert len(transfer) == 1
        assert transfer[0].xpath("string(p:Amt/p:InstdAmt)", namespaces=NS) == "300.00"
        assert root.xpath("string(//p:PmtInf/p:PmtTpInf/p:CtgyPurp/p:Cd)", namespaces=NS) == "SUPP"

        _run_admin_action(finance, run.pk, "mark_sent_selected")
        _run_admin_action(finance, run.pk, "confirm_selected")
        assert_no_serious_axe_violations(finance)
        screenshot(finance, "payout-flow-5-confirmed-backend")
    finally:
        context.close()
    item.refresh_from_db()
    run.refresh_from_db()
    assert item.status == "paid" and item.paid_at is not None
    assert run.status == PayoutRun.Status.CONFIRMED

    # --- the member again: the payout is paid ---
    page.goto(f"/projects/{project.pk}/")
    row = page.locator(f"#payouts tr[data-payout-item='{item.pk}']")
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "paid")
    expect(row).to_contain_text(note.number)
    _no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "payout-flow-6-paid-phone")
