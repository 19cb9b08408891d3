"""Backend screens of payout runs: start with preview, download, status report; roles and isolation."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from payroll.models import PayoutRun
from payroll.services.runs import payout_run_start
from tests.payroll_helpers import payee_profile, payout_item
from tests.projects_helpers import approved_project


@pytest.fixture
def w(coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, "advisor")
    project = approved_project(coop, owner, advisor)
    payee_profile(coop, owner)
    payout_item(coop, project, owner, "80.00")
    return owner, advisor, make_member(coop, "finance")


def test_finance_previews_then_starts_a_run(w, client_for, coop):
    _owner, _advisor, finance = w
    client = client_for(finance)
    page = client.get("/admin/payroll/payoutrun/start/")
    assert page.status_code == 200
    preview = client.post("/admin/payroll/payoutrun/start/", {"until": "2026-12-31"})
    assert preview.status_code == 200 and b'id="preview"' in preview.content
    assert not PayoutRun.objects.for_cooperative(coop).exists()

    started = client.post("/admin/payroll/payoutrun/start/", {"until": "2026-12-31", "confirm": "on"})
    run = PayoutRun.objects.for_cooperative(coop).get()
    assert started.status_code == 302 and started["Location"].endswith(f"/payoutrun/{run.pk}/change/")
    detail = client.get(f"/admin/payroll/payoutrun/{run.pk}/change/")
    assert detail.status_code == 200 and run.number.encode() in detail.content
    sepa = client.get(f"/admin/payroll/payoutrun/{run.pk}/sepa/")
    assert sepa.status_code == 200 and sepa["Content-Type"] == "application/xml"
    assert client.get("/admin/payroll/payoutrun/").status_code == 200


def test_actions_and_status_report_upload(w, client_for, coop):
    _owner, _advisor, finance = w
    run = payout_run_start(cooperative=coop, actor=finance, until=date(2026, 12, 31))
    client = client_for(finance)
    response = client.post(
        "/admin/payroll/payoutrun/", {"action": "mark_sent_selected", "_selected_action": [run.pk]}
    )
    assert response.status_code == 302
    assert PayoutRun.objects.for_cooperative(coop).get().status == "sent"
    url = f"/admin/payroll/payoutrun/{run.pk}/status-report/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"file": SimpleUploadedFile("x.xml", b"nope")})
    assert bad.status_code == 200 and b"cannot be read" in bad.content
    client.post("/admin/payroll/payoutrun/", {"action": "confirm_selected", "_selected_action": [run.pk]})
    assert PayoutRun.objects.for_cooperative(coop).get().status == "confirmed"


def test_advisor_sees_runs_but_cannot_start_or_download(w, client_for, coop):
    _owner, advisor, finance = w
    run = payout_run_start(cooperative=coop, actor=finance, until=date(2026, 12, 31))
    client = client_for(advisor)
    assert client.get("/admin/payroll/payoutrun/").status_code == 200
    assert client.get("/admin/payroll/payoutrun/start/").status_code == 404
    assert client.get(f"/admin/payroll/payoutrun/{run.pk}/status-report/").status_code == 404
    refused = client.get(f"/admin/payroll/payoutrun/{run.pk}/sepa/")
    assert refused.status_code == 302  # back to the run with the refusal as a message


def test_other_cooperative_gets_404(w, client_for, coop, other_coop, make_member):
    _owner, _advisor, finance = w
    run = payout_run_start(cooperative=coop, actor=finance, until=date(2026, 12, 31))
    foreign = client_for(make_member(other_coop, "finance"))
    for url in (
        f"/admin/payroll/payoutrun/{run.pk}/change/",
        f"/admin/payroll/payoutrun/{run.pk}/sepa/",
        f"/admin/payroll/payoutrun/{run.pk}/status-report/",
    ):
        assert foreign.get(url).status_code == 404, url
