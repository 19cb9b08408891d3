"""A real Chromium, driven by Playwright, against pytest-django's live server.

The live server answers on http://localhost:<port>; "localhost" is one of Smart Austria's hosts in the demo
data, so pages there belong to that cooperative. Playwright's own browser download is not used: Debian's
Chromium is (CHROMIUM_EXECUTABLE overrides its path).
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management import call_command
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
DEMO_PASSWORD = "demo"
NAVIGATION_TIMEOUT_MS = 15_000

_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report so the page fixtures can keep a screenshot of a failing test."""
    report: pytest.TestReport = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM calls made
    # from a thread with a running loop. The tests use the ORM only between browser steps.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield chromium
            chromium.close()


def _page(
    browser: Browser, live_server: Any, request: pytest.FixtureRequest, viewport: ViewportSize, **options: Any
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        locale="de-AT",
        timezone_id="Europe/Vienna",
        **options,
    )
    context.set_default_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    call_report = request.node.stash.get(_reports, {}).get("call")
    if call_report is not None and call_report.failed:
        _save(page, "failed-" + re.sub(r"[^\w.-]+", "_", request.node.name))
    context.close()


@pytest.fixture
def page(browser: Browser, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A phone: 390x844 CSS pixels at 2x, touch, mobile viewport handling."""
    yield from _page(
        browser, live_server, request, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )


@pytest.fixture
def desktop_page(browser: Browser, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A laptop screen: 1280x800."""
    yield from _page(browser, live_server, request, DESKTOP)


@pytest.fixture
def demo_data(transactional_db: None, live_server: Any) -> None:
    """The demo cooperatives and people (`manage.py seed_demo`), committed so the live server sees them."""
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=io.StringIO())


class Login:
    """Signs in through the real allauth forms, the way a person does."""

    def __call__(
        self, page: Page, email: str, password: str = DEMO_PASSWORD, otp_secret: str | None = None
    ) -> None:
        """E-mail and password; with otp_secret also the authenticator code. Without it, a person with
        two-factor on is left on the code form."""
        page.goto("/accounts/login/")
        form = page.locator("form:has(input[name='login'])")
        form.locator("input[name='login']").fill(email)
        form.locator("input[name='password']").fill(password)
        self._submit(page, form)
        expect(page, f"{email} was not let past the password form").not_to_have_url(
            re.compile(r"/accounts/login/")
        )
        if otp_secret is not None:
            self.submit_code(page, self.code(otp_secret))
            expect(page, f"{email} was not let past the code form").not_to_have_url(
                re.compile(r"/accounts/2fa/authenticate/")
            )

    def submit_code(self, page: Page, code: str) -> None:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        form = page.locator("form:has(input[name='code'])")
        form.locator("input[name='code']").fill(code)
        self._submit(page, form)

    @staticmethod
    def code(secret: str) -> str:
        """The current TOTP code, computed like allauth does; waits out the last seconds of a time step so
        the code is still valid when the server checks it (allauth accepts only the current step)."""
        period = int(mfa_settings.TOTP_PERIOD)
        left = period - time.time() % period
        if left < 3:
            time.sleep(left + 0.2)
        return str(format_hotp_value(hotp_value(secret, int(time.time()) // period)))

    @classmethod
    def wrong_code(cls, secret: str) -> str:
        return f"{(int(cls.code(secret)) + 1) % 1_000_000:06d}"

    @staticmethod
    def _submit(page: Page, form: Locator) -> None:
        # The form's own submit button: the code form also holds "Cancel", a button of another form.
        with page.expect_navigation():
            form.locator("button[type='submit']:not([form])").click()


@pytest.fixture
def login() -> Login:
    return Login()


def _save(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """screenshot(page, name) saves the whole page as test-artifacts/screenshots/<name>.png."""
    return _save
