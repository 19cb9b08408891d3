"""Every page of the member and staff flows, per role, in German and English, on a laptop and a phone:
axe-core finds no serious or critical violation, and the keyboard basics hold (skip link first, focus always
visible, the phone menu reachable).

PAGES is plain data so new pages join by adding a line: a path, with `{project}`, `{invoice}`, `{fee_note}`,
`{draft}` filled from the data the test builds. `disabled_rules` per page is only for markup we cannot change
(Django's own); each needs a comment saying exactly what and why. None is needed today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from members.management.commands.seed_demo import DEMO_TOTP_SECRET
from payroll.models import FeeNote
from smartprod.tenancy.models import Cooperative, Membership
from tests.browser.axe import FAILING_IMPACTS, axe_violations, format_violations
from tests.browser.conftest import DESKTOP, PHONE
from tests.invoicing_helpers import issued
from tests.payroll_fees_helpers import funded_project, request_fee
from tests.projects_helpers import approved_project, make_project

pytestmark = pytest.mark.browser

COOPERATIVE = "smart-at"
TWO_FACTOR = {"advisor", "finance", "admin"}


@dataclass(frozen=True)
class Checked:
    path: str
    disabled_rules: tuple[str, ...] = field(default=())


MEMBER_PAGES = [
    Checked("/"),
    Checked("/clients/"),
    Checked("/clients/new/"),
    Checked("/projects/new/"),
    Checked("/projects/{project}/"),
    Checked("/projects/{draft}/edit/"),
    Checked("/projects/{project}/documents/new/"),
    Checked("/projects/{project}/expenses/new/"),
    Checked("/projects/{project}/invoices/new/"),
    Checked("/projects/{project}/payouts/request/"),
    Checked("/invoices/{invoice}/"),
    Checked("/payroll/fee-notes/{fee_note}/"),
    Checked("/payout-details/"),
    Checked("/payroll/calculator/"),
    Checked("/payslips/"),
    Checked("/notifications/"),
    Checked("/notifications/settings/"),
    Checked("/documents/"),
    Checked("/documents/?kind=invoice"),
    Checked("/my-projects/"),
    Checked("/account/tokens/"),
    Checked("/accounts/2fa/"),
    Checked("/accounts/email/"),
    Checked("/accounts/password/change/"),
]
STAFF_PAGES = [
    Checked("/"),  # the work queue
    Checked("/work-queue/"),
    Checked("/my-projects/"),
    Checked("/documents/"),
    Checked("/notifications/"),
    Checked("/admin/"),
    Checked("/accounts/2fa/"),
]
ADVISOR_PAGES = [
    *STAFF_PAGES,
    Checked("/admin/projects/project/"),
    Checked("/admin/projects/project/{project}/change/"),
    Checked("/admin/projects/project/{project}/review/"),
    Checked("/admin/projects/client/"),
    Checked("/admin/projects/expense/"),
]
FINANCE_PAGES = [
    *STAFF_PAGES,
    Checked("/finance/"),
    Checked("/staff/documents/stuck/"),
    Checked("/admin/invoicing/invoice/"),
    Checked("/admin/invoicing/invoice/{invoice}/change/"),
    Checked("/admin/invoicing/bankstatement/"),
    Checked("/admin/invoicing/bankentry/"),
    Checked("/admin/payroll/feenote/"),
    Checked("/admin/payroll/feenote/{fee_note}/change/"),
    Checked("/admin/payroll/payoutrun/"),
    Checked("/admin/payroll/payrollrun/"),
    Checked("/admin/payroll/payslip/"),
    Checked("/admin/projects/journalentry/"),
]
ADMIN_PAGES = [
    *FINANCE_PAGES,
    Checked("/admin/tenancy/membership/"),
    Checked("/admin/members/invitation/"),
    Checked("/admin/tenancy/cooperative/"),
    Checked("/admin/payroll/payeeprofile/"),
    Checked("/admin/payroll/employment/"),
    Checked("/admin/core/auditevent/"),
]
ANONYMOUS_PAGES = [
    Checked("/accounts/login/"),
    Checked("/accounts/signup/"),
    Checked("/accounts/password/reset/"),
    Checked("/join/"),
]
PAGES: dict[str, list[Checked]] = {
    "member": MEMBER_PAGES,
    "advisor": ADVISOR_PAGES,
    "finance": FINANCE_PAGES,
    "admin": ADMIN_PAGES,
}
# Each role's pages in German on a laptop and in English on a phone: both languages and both layouts.
SETTINGS: list[tuple[str, ViewportSize]] = [("de", DESKTOP), ("en", PHONE)]


def _new_page(browser: Any, live_server: Any, language: str, viewport: ViewportSize) -> Page:
    phone = viewport == PHONE
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        locale="de-AT",
        timezone_id="Europe/Vienna",
        is_mobile=phone,
        has_touch=phone,
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    return context.new_page()  # type: ignore[no-any-return]


def _objects() -> dict[str, int]:
    """A project with an issued invoice and a fee note: the pages that show one have something to show."""
    coop = Cooperative.objects.get(slug=COOPERATIVE)
    people = Membership.objects.for_cooperative(coop).select_related("user")
    member = people.get(user__email=f"member@{COOPERATIVE}.example")
    advisor = people.get(user__email=f"advisor@{COOPERATIVE}.example")
    finance = people.get(user__email=f"finance@{COOPERATIVE}.example")
    project = approved_project(coop, member, advisor, title="Barrierefreiheit Ausstellung")
    invoice = issued(coop, member, finance, project)
    fee_note: FeeNote = request_fee(coop, member, funded_project(coop, member, advisor))
    draft = make_project(coop, member, title="Entwurf Hörspiel")
    return {"draft": draft.pk, "project": project.pk, "invoice": invoice.pk, "fee_note": fee_note.pk}


def _check_pages(page: Page, pages: list[Checked], objects: dict[str, int], language: str) -> list[str]:
    problems = []
    for checked in pages:
        path = checked.path.format(**objects)
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        expect(page.locator("html")).to_have_attribute("lang", language)
        serious = [
            v
            for v in axe_violations(page, disabled_rules=checked.disabled_rules)
            if v["impact"] in FAILING_IMPACTS
        ]
        if serious:
            problems.append(format_violations(page.url, serious))
    return problems


@pytest.mark.parametrize(("language", "viewport"), SETTINGS, ids=["de-desktop", "en-phone"])
@pytest.mark.parametrize("role", list(PAGES))
def test_pages_have_no_serious_axe_violations(
    browser, live_server, demo_data, login, role, language, viewport
):
    objects = _objects()
    page = _new_page(browser, live_server, language, viewport)
    otp = DEMO_TOTP_SECRET if role in TWO_FACTOR else None
    login(page, f"{role}@{COOPERATIVE}.example", otp_secret=otp)

    problems = _check_pages(page, PAGES[role], objects, language)

    page.context.close()
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize(("language", "viewport"), SETTINGS, ids=["de-desktop", "en-phone"])
def test_anonymous_pages_have_no_serious_axe_violations(browser, live_server, demo_data, language, viewport):
    page = _new_page(browser, live_server, language, viewport)

    problems = _check_pages(page, ANONYMOUS_PAGES, {}, language)

    page.context.close()
    assert not problems, "\n\n".join(problems)


SKIP_LINK = re.compile(r"^(Skip to content|Zum Inhalt springen)$")

# What the keyboard has focus on, and whether a person sees it: the element (or, for the phone menu's
# checkbox, the burger drawn for it) must be on screen and outlined.
_FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  const shown = el.id === "nav-toggle" ? document.querySelector("label[for=nav-toggle]") : el;
  const box = shown.getBoundingClientRect();
  const style = getComputedStyle(shown);
  return {
    what: el.outerHTML.slice(0, 120),
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
      && box.top < innerHeight && box.left < innerWidth,
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_keyboard_starts_at_the_skip_link_and_always_sees_its_focus(
    browser, live_server, demo_data, login, viewport
):
    page = _new_page(browser, live_server, "de", viewport)
    login(page, f"member@{COOPERATIVE}.example")
    page.goto("/")

    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text(SKIP_LINK)
    expect(skip).to_have_attribute("href", "#main")
    # Every tab stop of the header, then the first ones of the page: each shows where the keyboard is.
    for _ in range(14):
        shown = page.evaluate(_FOCUS_SHOWN)
        assert shown["onScreen"] and shown["outline"], f"focus not visible on {shown['what']}"
        page.keyboard.press("Tab")

    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.context.close()


def test_phone_menu_opens_from_the_keyboard(browser, live_server, demo_data, login):
    page = _new_page(browser, live_server, "en", PHONE)
    login(page, f"member@{COOPERATIVE}.example")
    nav = page.locator("#main-nav")
    expect(nav).to_be_hidden()

    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "nav-toggle":
            break
    shown = page.evaluate(_FOCUS_SHOWN)
    assert shown["what"].startswith("<input") and shown["outline"], shown
    page.keyboard.press("Space")
    expect(nav).to_be_visible()
    page.keyboard.press("Tab")
    expect(nav.locator(":focus")).to_be_visible()  # the next stop is the first link of the open menu
    page.context.close()


def test_the_menu_toggle_is_no_tab_stop_on_a_laptop(browser, live_server, demo_data, login):
    page = _new_page(browser, live_server, "de", DESKTOP)
    login(page, f"member@{COOPERATIVE}.example")

    focused = []
    for _ in range(20):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id"))
    assert "nav-toggle" not in focused
