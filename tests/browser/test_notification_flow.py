"""A member hears that their project was approved: in the app (the bell, the list, the link) and in the
test mailbox, each exactly once."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from smartprod.core.models import Notification
from smartprod.tenancy.models import Cooperative, Membership
from tests.browser.axe import assert_no_serious_axe_violations
from tests.projects_helpers import approved_project

pytestmark = pytest.mark.browser

MEMBER = "member@smart-at.example"
TITLE = "Wandbild Westbahnhof"


def test_an_approval_arrives_in_the_app_and_the_mailbox_once(page, demo_data, login, screenshot):
    coop = Cooperative.objects.get(slug="smart-at")
    member = Membership.objects.for_cooperative(coop).select_related("user").get(user__email=MEMBER)
    advisor = Membership.objects.for_cooperative(coop).filter(role="advisor").first()
    login(page, MEMBER)
    before = (
        Notification.objects.for_cooperative(coop).filter(recipient=member.user, read_at__isnull=True).count()
    )
    mail.outbox.clear()

    project = approved_project(coop, member, advisor, title=TITLE)

    page.goto("/")
    bell = page.locator("#bell")
    expect(bell).to_be_visible()  # outside the phone menu
    expect(bell.locator(".bell-count")).to_have_text(str(before + 1))
    bell.click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    rows = page.locator("#notifications li", has_text=TITLE)
    expect(rows).to_have_count(1)
    assert_no_serious_axe_violations(page)
    screenshot(page, "notification-flow-1-list")
    with page.expect_navigation():
        rows.locator("a").first.click()
    expect(page).to_have_url(re.compile(rf"/projects/{project.pk}/$"))
    assert_no_serious_axe_violations(page)
    if before == 0:
        expect(page.locator("#bell .bell-count")).to_have_count(0)
    else:
        expect(page.locator("#bell .bell-count")).to_have_text(str(before))

    mine = [m for m in mail.outbox if m.to == [MEMBER]]
    assert [m.subject for m in mine].count(f"Projekt freigegeben: {TITLE}") == 1, [m.subject for m in mine]
    assert len([m for m in mine if TITLE in m.subject]) == 1
    assert (
        Notification.objects.for_cooperative(coop)
        .filter(recipient=member.user, kind="project.approved")
        .filter(event__startswith=f"project.approved:{project.pk}:")
        .count()
        == 1
    )
