"""The one role policy: each capability, for each role, as the table in smartprod/core/capabilities.py says;
and a refusal is a 403 in the API."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from smartprod.core import capabilities

ROLES = ("member", "advisor", "finance", "admin")
EXPECTED = {
    capabilities.is_staff: ("advisor", "finance", "admin"),
    capabilities.can_review_project: ("advisor", "admin"),
    capabilities.can_approve_membership: ("advisor", "admin"),
    capabilities.can_invite: ("advisor", "admin"),
    capabilities.can_approve_expense: ("advisor", "finance", "admin"),
    capabilities.can_issue_invoice: ("advisor", "finance", "admin"),
    capabilities.can_approve_payout: ("advisor", "finance", "admin"),
    capabilities.can_handle_money: ("finance", "admin"),
    capabilities.can_run_payouts: ("finance", "admin"),
    capabilities.needs_two_factor: ("advisor", "finance", "admin"),
}


@pytest.mark.parametrize("capability", list(EXPECTED), ids=lambda c: c.__name__)
def test_each_capability_answers_for_each_role_as_the_table_says(capability) -> None:
    allowed = tuple(role for role in ROLES if capability(SimpleNamespace(role=role)))
    assert allowed == EXPECTED[capability]
    assert capability(None) is False  # no membership: nothing


def test_only_admins_invite_staff() -> None:
    assert [r for r in ROLES if capabilities.can_invite(SimpleNamespace(role=r), "finance")] == ["admin"]
    assert [r for r in ROLES if capabilities.can_invite(SimpleNamespace(role=r), "member")] == [
        "advisor",
        "admin",
    ]


def test_a_member_recording_a_payment_gets_403(coop, make_member, api_for) -> None:
    from datetime import date

    from tests.invoicing_helpers import issued
    from tests.projects_helpers import approved_project

    owner, advisor = make_member(coop), make_member(coop, role="advisor")
    project = approved_project(coop, owner, advisor)
    invoice = issued(coop, owner, advisor, project, on=date(2026, 6, 1))

    response = api_for(owner).post(
        f"/api/invoices/{invoice.pk}/payments/", {"amount": "10.00", "date": "2026-06-02"}, format="json"
    )

    assert response.status_code == 403
    invoice.refresh_from_db()
    assert invoice.paid_total == 0
