"""A member drafts an invoice on a phone and submits it; an advisor issues it in the backend; the PDF is made;
the member downloads it from the invoice page.

Pages render in German for Smart Austria; strings the catalogue does not have yet stay English, so the steps
find things by URL, form field name and data attributes rather than by their words.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from invoicing.models import Invoice
from members.management.commands.seed_demo import DEMO_TOTP_SECRET
from projects.models import Project
from smartprod.tenancy.models import Cooperative
from tests.browser.axe import assert_no_serious_axe_violations

pytestmark = pytest.mark.browser

MEMBER = "member@smart-at.example"
ADVISOR = "advisor@smart-at.example"
PROJECT = "Bühnenbild Sommerfestival (Mira)"
INVOICE_URL = re.compile(r"/invoices/(\d+)/$")


def _assert_no_sideways_scrolling(page: Page) -> None:
    # Against the device's width: a mobile browser widens its layout viewport (and innerWidth) to fit what
    # overflows, so innerWidth alone would hide the problem.
    width = page.evaluate("document.documentElement.scrollWidth")
    screen = page.viewport_size["width"] if page.viewport_size else 0
    assert width <= screen, f"{page.url} is {width}px wide on a {screen}px screen"


def _fill_line(
    page: Page, index: int, description: str, quantity: str, unit: str, price: str, vat: str
) -> None:
    page.fill(f"input[name='lines-{index}-description']", description)
    page.fill(f"input[name='lines-{index}-quantity']", quantity)
    page.select_option(f"select[name='lines-{index}-unit']", unit)
    page.fill(f"input[name='lines-{index}-unit_price']", price)
    page.select_option(f"select[name='lines-{index}-vat_rate']", vat)


def test_member_drafts_and_submits_advisor_issues_member_downloads_the_pdf(
    page, desktop_page, demo_data, login, screenshot, tmp_path
):
    smart_at = Cooperative.objects.get(slug="smart-at")
    project = Project.objects.for_cooperative(smart_at).get(title=PROJECT)
    numbers_before = set(
        Invoice.objects.for_cooperative(smart_at).exclude(number=None).values_list("number", flat=True)
    )

    # --- the member, on a phone: the project page, its invoices panel, the draft form --------------------
    login(page, MEMBER)
    page.goto(f"/projects/{project.pk}/")
    panel = page.locator("#invoices")
    expect(panel).to_be_visible()
    expect(panel.locator("tr[data-invoice]").first).to_be_visible()  # the demo invoices
    _assert_no_sideways_scrolling(page)
    panel.scroll_into_view_if_needed()
    assert_no_serious_axe_violations(page)
    screenshot(page, "invoice-flow-1-project-panel-phone")

    panel.locator("a[data-action='new-invoice']").click()
    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/invoices/new/$"))

    # A first try with a forgotten price: the form answers next to the field and keeps what was typed.
    _fill_line(page, 0, "Bühnenbild Bau, 3. Teil", "1", "LS", "", "20")
    page.fill("input[name='service_date']", "2026-11-20")
    with page.expect_navigation():
        page.locator("form.invoice-form button[type='submit']").click()
    expect(page.locator("[data-line='1'] .line-price .errorlist")).to_be_visible()
    expect(page.locator("input[name='lines-0-description']")).to_have_value("Bühnenbild Bau, 3. Teil")
    expect(page.locator("input[name='service_date']")).to_have_value("2026-11-20")
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "invoice-flow-2-form-error-phone")

    page.fill("input[name='lines-0-unit_price']", "1500.00")
    _fill_line(page, 1, "Transport und Aufbau", "6", "HUR", "65.00", "20")
    page.fill("input[name='order_reference']", "PO-2026-118")
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "invoice-flow-3-form-phone")
    with page.expect_navigation():
        page.locator("form.invoice-form button[type='submit']").click()

    expect(page).to_have_url(INVOICE_URL)
    match = INVOICE_URL.search(page.url)
    assert match is not None
    invoice_id = int(match.group(1))
    badge = page.locator("h1 + .subtitle .badge")
    expect(badge).to_have_attribute("data-status", "draft")
    expect(page.locator("#lines tr[data-line]")).to_have_count(2)
    expect(page.locator("[data-total='gross']")).to_contain_text(re.compile(r"2[.\s\u202f]?268,00"))

    with page.expect_navigation():
        page.locator(f"form[action='/invoices/{invoice_id}/submit/'] button[type='submit']").click()
    expect(badge).to_have_attribute("data-status", "submitted")
    expect(page.locator(f"form[action='/invoices/{invoice_id}/submit/']")).to_have_count(0)
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "invoice-flow-4-submitted-phone")

    invoice = Invoice.objects.for_cooperative(smart_at).get(pk=invoice_id)
    assert (invoice.status, invoice.project_id, invoice.gross_total) == (
        "submitted",
        project.pk,
        Decimal("2268.00"),
    )
    assert [(line.description, line.unit) for line in invoice.lines.all()] == [
        ("Bühnenbild Bau, 3. Teil", "LS"),
        ("Transport und Aufbau", "HUR"),
    ]

    # --- the advisor, on a laptop: the queue of submitted invoices, the issue action ----------------------
    login(desktop_page, ADVISOR, otp_secret=DEMO_TOTP_SECRET)
    desktop_page.goto("/admin/invoicing/invoice/?queue=submitted")
    desktop_page.locator(f"input[name='_selected_action'][value='{invoice_id}']").check()
    desktop_page.select_option("select[name='action']", "issue_selected")
    assert_no_serious_axe_violations(desktop_page)
    screenshot(desktop_page, "invoice-flow-5-admin-queue")
    with desktop_page.expect_navigation():
        desktop_page.locator("button[name='index']").click()
    expect(desktop_page.locator(".messagelist .success")).to_be_visible()
    expect(desktop_page.locator(".messagelist .error")).to_have_count(0)
    assert_no_serious_axe_violations(desktop_page)
    screenshot(desktop_page, "invoice-flow-6-issued-in-backend")

    invoice.refresh_from_db()
    assert invoice.status == "issued"
    assert invoice.number is not None and invoice.number.startswith(f"{timezone.localdate().year}-")
    assert invoice.number not in numbers_before
    # The render task was queued on commit and ran eagerly in the live server's thread: no manual render.
    assert invoice.pdf_rendered_at is not None, invoice.document_error

    # Staff see the member's pages too: the invoice and the draft form on a laptop.
    desktop_page.goto(f"/invoices/{invoice_id}/")
    expect(desktop_page.locator("[data-fact='number']")).to_have_text(invoice.number)
    expect(desktop_page.locator(f"a[href='/admin/invoicing/invoice/{invoice_id}/change/']")).to_be_visible()
    _assert_no_sideways_scrolling(desktop_page)
    assert_no_serious_axe_violations(desktop_page)
    screenshot(desktop_page, "invoice-flow-page-desktop")
    desktop_page.goto(f"/projects/{project.pk}/invoices/new/")
    expect(desktop_page.locator("#line-rows .line-row")).to_have_count(3)
    desktop_page.locator("#add-line").click()
    expect(desktop_page.locator("#line-rows .line-row")).to_have_count(4)
    expect(desktop_page.locator("input[name='lines-TOTAL_FORMS']")).to_have_value("4")
    expect(desktop_page.locator("input[name='lines-3-description']")).to_be_focused()
    _assert_no_sideways_scrolling(desktop_page)
    assert_no_serious_axe_violations(desktop_page)
    screenshot(desktop_page, "invoice-flow-form-desktop")

    # --- the member again: the issued invoice and its PDF -------------------------------------------------
    page.goto(f"/invoices/{invoice_id}/")
    expect(badge).to_have_attribute("data-status", "issued")
    expect(page.locator("[data-fact='number']")).to_have_text(invoice.number)
    expect(page.locator("[data-document='pdf']")).to_have_attribute("data-state", "rendered")
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "invoice-flow-7-issued-phone")

    with page.expect_download() as download_info:
        page.locator("a[data-action='pdf']").click()
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename == f"Rechnung-{invoice.number}.pdf"
    assert target.read_bytes().startswith(b"%PDF")

    page.goto(f"/projects/{project.pk}/")
    row = page.locator(f"#invoices tr[data-invoice='{invoice_id}']")
    expect(row.locator(".badge")).to_have_attribute("data-status", "issued")
    expect(row.locator(f"a[href='/invoices/{invoice_id}/pdf/']")).to_be_visible()
    row.scroll_into_view_if_needed()
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "invoice-flow-8-project-panel-phone")
