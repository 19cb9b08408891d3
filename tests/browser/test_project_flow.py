"""A member brings in a contract on a phone; an advisor approves it in the backend; the member sees it.

Pages render in German for Smart Austria; strings the catalogue does not have yet stay English, so the steps
find things by URL, form field name and data attributes rather than by their words.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from members.management.commands.seed_demo import DEMO_TOTP_SECRET
from payroll.models import FeeNote
from projects import services
from projects.budget import project_budget
from projects.demo import minimal_pdf
from projects.ledger import Posting, account_get, journal_post
from projects.models import Account, Document, Expense, JournalLine, Project
from smartprod.tenancy.models import Cooperative, Membership
from tests.browser.axe import assert_no_serious_axe_violations

pytestmark = pytest.mark.browser

MEMBER = "member@smart-at.example"
ADVISOR = "advisor@smart-at.example"
TITLE = "Fotoproduktion Katalog Frühjahr"
CLIENT = "Galerie Westlicht GmbH"
SAVE_DECISION = "input[name='save_decision']"  # not by its label: the backend speaks German here
PROJECT_URL = re.compile(r"/projects/(\d+)/$")


def _assert_no_sideways_scrolling(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]}px wide on a {widths[1]}px screen"


def _submit(page: Page, form_selector: str) -> None:
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type='submit']").first.click()


def test_member_brings_in_a_project_and_an_advisor_approves_it(
    page, desktop_page, demo_data, login, screenshot, tmp_path: Path
):
    # --- the member, on a phone ------------------------------------------------------------------------
    login(page, MEMBER)
    expect(page.locator("a[href='/projects/new/']").first).to_be_visible()
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "project-flow-1-dashboard")

    page.locator("a[href='/projects/new/']").first.click()
    expect(page).to_have_url(re.compile(r"/projects/new/$"))
    page.locator("a[href='/clients/new/?then=project']").first.click()

    client_form = "form:has(input[name='street'])"
    page.fill("input[name='name']", CLIENT)
    page.select_option("select[name='kind']", "business")
    page.fill("input[name='street']", "Westbahnstraße 40")
    page.fill("input[name='postcode']", "1070")
    page.fill("input[name='city']", "Wien")
    page.select_option("select[name='country']", "AT")
    page.fill("input[name='email']", "office@westlicht.example")
    page.fill("input[name='vat_id']", "ATU63716919")
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "project-flow-2-client-form")
    _submit(page, client_form)

    # Back on the project form, with the new client chosen.
    expect(page).to_have_url(re.compile(r"/projects/new/\?client=\d+$"))
    expect(page.locator("select[name='client'] option:checked")).to_have_text(CLIENT)
    page.fill("input[name='title']", TITLE)
    page.fill("textarea[name='description']", "30 Produktfotos, freigestellt, inkl. Nutzungsrechte Print/Web")
    page.fill("input[name='service_period_start']", "2026-03-02")
    page.fill("input[name='service_period_end']", "2026-02-28")  # a slip: before the start
    page.fill("input[name='agreed_net_amount']", "2400.00")
    page.select_option("select[name='vat_treatment']", "standard")
    colleague = page.locator("select[name='collab-0-membership'] option", has_text="Max Mitglied")
    page.select_option("select[name='collab-0-membership']", colleague.get_attribute("value"))
    page.select_option("select[name='collab-0-employment']", "self_employed")
    _submit(page, "form:has(input[name='title'])")

    # The error sits next to the field, and nothing typed is lost.
    end_field = page.locator(".field:has(input[name='service_period_end'])")
    expect(end_field.locator(".errorlist")).to_be_visible()
    expect(page.locator("input[name='title']")).to_have_value(TITLE)
    expect(page.locator("input[name='agreed_net_amount']")).to_have_value("2400.00")
    expect(page.locator("select[name='collab-0-membership'] option:checked")).to_have_text(
        re.compile(r"^Max Mitglied")
    )
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "project-flow-3-project-form-error")
    page.fill("input[name='service_period_end']", "2026-04-30")
    assert_no_serious_axe_violations(page)
    screenshot(page, "project-flow-3-project-form")
    _submit(page, "form:has(input[name='title'])")

    expect(page).to_have_url(PROJECT_URL)
    match = PROJECT_URL.search(page.url)
    assert match is not None
    project_id = int(match.group(1))
    badge = page.locator("h1 + .subtitle .badge")
    expect(badge).to_have_attribute("data-status", "draft")
    expect(page.locator("#collaborators")).to_contain_text("Max Mitglied")

    # The contract.
    contract = tmp_path / "Werkvertrag Westlicht.pdf"
    contract.write_bytes(minimal_pdf("Werkvertrag Galerie Westlicht"))
    page.locator(f"a[href='/projects/{project_id}/documents/new/']").first.click()
    page.select_option("select[name='kind']", "contract")
    page.set_input_files("input[name='file']", str(contract))
    assert_no_serious_axe_violations(page)
    screenshot(page, "project-flow-4-upload")
    _submit(page, "form[enctype='multipart/form-data']")
    expect(page).to_have_url(re.compile(rf"/projects/{project_id}/#documents$"))
    expect(page.locator("#documents")).to_contain_text("Werkvertrag Westlicht.pdf")

    # Submit for review.
    _submit(page, f"form[action='/projects/{project_id}/submit/']")
    expect(page.locator(".messages .msg-success")).to_be_visible()
    expect(badge).to_have_attribute("data-status", "submitted")
    expect(page.locator(f"form[action='/projects/{project_id}/submit/']")).to_have_count(0)
    expect(page.locator(f"a[href='/projects/{project_id}/edit/']")).to_have_count(0)
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "project-flow-5-submitted")

    smart_at = Cooperative.objects.get(slug="smart-at")
    project = Project.objects.for_cooperative(smart_at).select_related("client").get(pk=project_id)
    assert (project.status, project.title, project.client.name) == ("submitted", TITLE, CLIENT)
    assert Document.objects.for_cooperative(smart_at).filter(project=project, kind="contract").count() == 1

    # --- the advisor, on a laptop, in a browser of their own ---------------------------------------------
    login(desktop_page, ADVISOR, otp_secret=DEMO_TOTP_SECRET)
    desktop_page.goto(f"/admin/projects/project/{project_id}/review/")
    expect(desktop_page.locator("h2")).to_contain_text(TITLE)
    desktop_page.check("input[name='decision'][value='approve']")  # a radio: nothing is chosen in advance
    desktop_page.fill("textarea[name='comment']", "Vertrag passt, freigegeben.")
    assert_no_serious_axe_violations(desktop_page)
    screenshot(desktop_page, "project-flow-6-review")
    with desktop_page.expect_navigation():
        desktop_page.locator(SAVE_DECISION).click()
    expect(desktop_page).to_have_url(re.compile(rf"/admin/projects/project/{project_id}/change/$"))
    expect(desktop_page.locator(".messagelist .success")).to_be_visible()
    assert_no_serious_axe_violations(desktop_page)
    screenshot(desktop_page, "project-flow-7-approved-in-backend")

    # --- the member again: approved, with an empty budget ---------------------------------------------------
    page.reload()
    expect(badge).to_have_attribute("data-status", "approved")
    expect(page.locator("[data-figure='balance'] .value")).to_have_text(re.compile(r"^\s*0[,.]00\s*$"))
    expect(page.locator("[data-figure='available'] .value")).to_have_text(re.compile(r"^\s*0[,.]00\s*$"))
    expect(page.locator("#history")).to_contain_text("Vertrag passt, freigegeben.")
    expect(page.locator(f"a[href='/projects/{project_id}/expenses/new/']").first).to_be_visible()
    expect(page.locator("#budget svg")).to_have_count(0)  # nothing booked, no chart of nothing
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "project-flow-8-approved")

    page.goto("/")
    row = page.locator(f"tr[data-project='{project_id}']")
    expect(row.locator(".badge")).to_have_attribute("data-status", "approved")
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "project-flow-9-dashboard")


def test_budget_with_bookings_reads_well_on_phone_and_laptop(
    page, desktop_page, demo_data, login, screenshot
):
    """Income on three more days, an approved and a pending expense: stats, lines with their running balance,
    the chart (one point per booking day), the expenses list."""
    smart_at = Cooperative.objects.get(slug="smart-at")
    project = (
        Project.objects.for_cooperative(smart_at)
        .select_related("owner__user", "client")
        .get(title="Bühnenbild Sommerfestival (Mira)")
    )
    for number, (day, net) in enumerate(
        [(date(2026, 9, 15), "4000.00"), (date(2026, 10, 15), "4000.00"), (date(2026, 11, 16), "4000.00")],
        start=1,
    ):
        _book_invoice(smart_at, project, Decimal(net), day, f"Rechnung 2026-{number:04d}")
    member2 = Membership.objects.for_cooperative(smart_at).get(user__email="member2@smart-at.example")
    advisor = Membership.objects.for_cooperative(smart_at).get(user__email=ADVISOR)
    expense = services.expense_submit(
        cooperative=smart_at,
        actor=member2,
        project=project,
        amount=Decimal("480.00"),
        vat_amount=Decimal("80.00"),
        date=date(2026, 10, 20),
        description="Holz und Farbe für die Kulisse",
        receipt_upload=SimpleUploadedFile("Beleg.pdf", minimal_pdf("Beleg"), "application/pdf"),
    )
    services.expense_approve(cooperative=smart_at, actor=advisor, expense=expense)
    services.expense_submit(
        cooperative=smart_at,
        actor=member2,
        project=project,
        amount=Decimal("120.00"),
        vat_amount=Decimal("20.00"),
        date=date(2026, 11, 2),
        description="Transport",
        receipt_upload=SimpleUploadedFile("Beleg2.pdf", minimal_pdf("Beleg 2"), "application/pdf"),
    )

    budget = project_budget(cooperative=smart_at, project=project)
    # Pending: this expense and the demo's fee note still waiting for approval (at its net).
    fee_requests = sum(
        FeeNote.objects.for_cooperative(smart_at)
        .filter(project=project, status="requested")
        .values_list("net_amount", flat=True),
        Decimal(0),
    )
    assert fee_requests > 0
    assert budget.pending == Decimal("120.00") + fee_requests
    assert budget.available == budget.balance - budget.pending
    days = {line.date for line in budget.lines}
    expenses = Expense.objects.for_cooperative(smart_at).filter(project=project).count()

    for browser_page, name in ((page, "phone"), (desktop_page, "desktop")):
        login(browser_page, MEMBER)
        browser_page.goto(f"/projects/{project.pk}/")
        for figure in ("balance", "receivable", "pending", "available"):
            expect(browser_page.locator(f"[data-figure='{figure}'] .value")).to_have_text(
                re.compile(rf"^\s*{re.escape(_german(getattr(budget, figure)))}\s*$")
            )
        expect(browser_page.locator("#budget tbody tr")).to_have_count(len(budget.lines))
        expect(browser_page.locator("#budget tbody tr").last).to_contain_text(
            _german(budget.lines[-1].balance)
        )
        expect(browser_page.locator("#budget svg circle")).to_have_count(len(days))
        expect(browser_page.locator("#expenses tbody tr")).to_have_count(expenses)
        expect(browser_page.locator("#expenses")).to_contain_text("Holz und Farbe für die Kulisse")
        _assert_no_sideways_scrolling(browser_page)
        assert_no_serious_axe_violations(browser_page)
        screenshot(browser_page, f"project-budget-{name}")
        browser_page.goto("/")
        _assert_no_sideways_scrolling(browser_page)
        assert_no_serious_axe_violations(browser_page)
        screenshot(browser_page, f"project-dashboard-{name}")
        browser_page.goto(f"/projects/{project.pk}/expenses/new/")
        expect(browser_page.locator("form[enctype='multipart/form-data']")).to_be_visible()
        expect(browser_page.locator("main")).to_contain_text(_german(budget.available))
        _assert_no_sideways_scrolling(browser_page)
        assert_no_serious_axe_violations(browser_page)
        screenshot(browser_page, f"project-expense-form-{name}")
        browser_page.goto("/clients/")
        expect(browser_page.locator("main")).to_contain_text("Wiener Festwochen GesmbH")
        _assert_no_sideways_scrolling(browser_page)
        assert_no_serious_axe_violations(browser_page)
        screenshot(browser_page, f"project-clients-{name}")


def _german(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _book_invoice(cooperative: Cooperative, project: Project, net: Decimal, day: date, text: str) -> None:
    """What issuing an invoice posts (20 % VAT, 7.5 % contribution), straight through the ledger."""
    vat, contribution = net * Decimal("0.20"), net * Decimal("0.075")
    journal_post(
        cooperative=cooperative,
        idempotency_key=f"browser-test:{project.pk}:{text}",
        date=day,
        description=text,
        postings=[
            Posting(
                account_get(cooperative=cooperative, type=Account.Type.RECEIVABLE, client=project.client),
                debit=net + vat,
                kind=JournalLine.Kind.INCOME,
                project=project,
            ),
            Posting(
                account_get(cooperative=cooperative, type=Account.Type.VAT_PAYABLE),
                credit=vat,
                project=project,
            ),
            Posting(
                account_get(cooperative=cooperative, type=Account.Type.CONTRIBUTION_INCOME),
                credit=contribution,
                kind=JournalLine.Kind.CONTRIBUTION,
                project=project,
            ),
            Posting(
                account_get(cooperative=cooperative, type=Account.Type.PROJECT_BUDGET, project=project),
                credit=net - contribution,
                kind=JournalLine.Kind.INCOME,
                description=text,
            ),
        ],
    )
