"""Signing in through the real login pages, on a phone and on a laptop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from members.management.commands.seed_demo import DEMO_TOTP_SECRET
from tests.browser.axe import assert_no_serious_axe_violations

pytestmark = pytest.mark.browser

MEMBER = "member@smart-at.example"
FINANCE = "finance@smart-at.example"
# The greeting is German for these cooperatives once the German catalogue has it; until then Django falls back
# to the English source text. Either way it must greet the right person.
GREETING = r"^\s*(Hallo|Hello), {name}\s*$"
HOME = re.compile(r"^http://localhost:\d+/$")


def _assert_member_home(page: Page, first_name: str) -> None:
    expect(page).to_have_url(HOME)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_text(re.compile(GREETING.format(name=first_name)))
    expect(page.locator("header.topbar .brand")).to_have_text(re.compile(r"Smart Austria"))
    expect(page).to_have_title(re.compile(r"Smart Austria"))


def _assert_staff_home(page: Page) -> None:
    """Staff start at their work queue (issue 13), with the pending count's link in the navigation."""
    expect(page).to_have_url(HOME)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_text(re.compile(r"^\s*(Arbeitsvorrat|Work queue)\s*$"))
    expect(page.locator("#nav-work-queue")).to_have_count(1)
    expect(page.locator("#my-projects-link")).to_be_visible()


def _assert_no_sideways_scrolling(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]}px wide on a {widths[1]}px screen"


def test_member_signs_in_and_sees_home_on_a_phone(page, demo_data, login, screenshot):
    login(page, MEMBER)

    _assert_member_home(page, "Mira")
    # On a phone the navigation folds away behind the menu toggle.
    toggle = page.locator("header.topbar label.nav-burger")
    nav = page.locator("header.topbar nav.nav")
    expect(toggle).to_be_visible()
    expect(nav).to_be_hidden()
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "member-home-phone")

    toggle.click()
    expect(nav).to_be_visible()
    expect(nav.get_by_role("button", name=re.compile(r"Abmelden|Sign out"))).to_be_visible()
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "member-home-phone-menu-open")


def test_member_home_on_a_laptop_shows_the_navigation_without_toggle(
    desktop_page, demo_data, login, screenshot
):
    login(desktop_page, MEMBER)

    _assert_member_home(desktop_page, "Mira")
    expect(desktop_page.locator("header.topbar label.nav-burger")).to_be_hidden()
    expect(desktop_page.locator("header.topbar nav.nav")).to_be_visible()
    assert_no_serious_axe_violations(desktop_page)
    screenshot(desktop_page, "member-home-desktop")


def test_wrong_password_keeps_the_person_out(page, demo_data, screenshot):
    page.goto("/accounts/login/")
    page.locator("input[name='login']").fill(MEMBER)
    page.locator("input[name='password']").fill("not-the-password")
    with page.expect_navigation():
        page.locator("form:has(input[name='login']) button[type='submit']").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("form:has(input[name='login']) .errorlist")).to_be_visible()
    assert page.request.get("/", max_redirects=0).status == 302  # still anonymous
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "login-wrong-password-phone")


def test_finance_user_must_enter_the_totp_code_after_the_password(page, demo_data, login, screenshot):
    login(page, FINANCE)  # the password alone

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.locator("input[name='code']")).to_be_visible()
    home = page.request.get("/", max_redirects=0)
    assert home.status == 302, "signed in before the code was entered"
    assert "/accounts/login/" in home.headers["location"]
    _assert_no_sideways_scrolling(page)
    assert_no_serious_axe_violations(page)
    screenshot(page, "finance-totp-code-phone")

    login.submit_code(page, login.wrong_code(DEMO_TOTP_SECRET))
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.locator("form:has(input[name='code']) .errorlist")).to_be_visible()

    login.submit_code(page, login.code(DEMO_TOTP_SECRET))
    _assert_staff_home(page)
