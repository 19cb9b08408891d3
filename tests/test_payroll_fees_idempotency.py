"""A fee request sent twice creates one fee note: Idempotency-Key (API), one-time form token (page)."""

from __future__ import annotations

import re

import pytest

from payroll.models import FeeNote, PayeeProfile
from tests.payroll_fees_helpers import funded_project, payee_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(coop, make_member):
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    project = funded_project(coop, owner, advisor)
    payee_profile(owner, PayeeProfile.VatStatus.SMALL_BUSINESS)
    return owner, project


def _body(owner, net="400.00"):
    return {
        "payee": owner.pk,
        "service_period_start": "2026-05-01",
        "service_period_end": "2026-05-31",
        "description": "Stage design",
        "net_amount": net,
    }


def test_a_replayed_api_request_returns_the_same_fee_note(coop, setup, api_for):
    owner, project = setup
    api = api_for(owner)
    url = f"/api/projects/{project.pk}/fee-notes/"
    first = api.post(url, _body(owner), format="json", HTTP_IDEMPOTENCY_KEY="fee-1")
    again = api.post(url, _body(owner), format="json", HTTP_IDEMPOTENCY_KEY="fee-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert FeeNote.objects.for_cooperative(coop).count() == 1

    other = api.post(url, _body(owner, net="401.00"), format="json", HTTP_IDEMPOTENCY_KEY="fee-1")
    assert other.status_code == 409 and "another request" in other.json()["detail"]
    assert FeeNote.objects.for_cooperative(coop).count() == 1

    without_key = api.post(url, _body(owner), format="json")
    assert without_key.status_code == 201  # no key: a second, deliberate request
    assert FeeNote.objects.for_cooperative(coop).count() == 2


def test_the_same_form_submitted_twice_requests_the_fee_once(coop, setup, client_for):
    owner, project = setup
    client = client_for(owner)
    url = f"/projects/{project.pk}/payouts/request/"
    page = client.get(url).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page)
    assert token is not None
    form = {**_body(owner), "token": token.group(1)}
    first = client.post(url, form)
    second = client.post(url, form)  # a double tap, or the back button and send again
    note = FeeNote.objects.for_cooperative(coop).get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/payroll/fee-notes/{note.pk}/"
    fresh = re.search(r'name="token" value="([0-9a-f]{32})"', client.get(url).content.decode())
    assert fresh is not None and fresh.group(1) != token.group(1)  # a new form, a new request
