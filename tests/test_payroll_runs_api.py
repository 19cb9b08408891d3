"""The payout-run API: roles (finance/admin with TOTP), isolation (other cooperative: 404), the contract."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from payroll.models import PayoutPolicy, PayoutRun
from tests.payroll_helpers import payee_profile, payout_item
from tests.projects_helpers import approved_project

BASE = "/api/payout-runs/"


@pytest.fixture
def w(coop, other_coop, make_member):
    owner, advisor = make_member(coop), make_member(coop, "advisor")
    project = approved_project(coop, owner, advisor)
    payee_profile(coop, owner)
    item = payout_item(coop, project, owner, "120.00")
    return SimpleNamespace(
        owner=owner,
        advisor=advisor,
        finance=make_member(coop, "finance"),
        finance2=make_member(coop, "finance"),
        admin=make_member(coop, "admin"),
        no_totp=make_member(coop, "finance", totp=False),
        foreign=make_member(other_coop, "finance"),
        item=item,
    )


def test_preview_lists_due_items_and_claims_nothing(w, api_for):
    response = api_for(w.finance).get(f"{BASE}preview/", {"until": "2026-12-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["count"], body["total"], body["payees"]) == (1, "120.00", 1)
    assert body["items"][0]["id"] == w.item.pk and body["held_back"] == []
    assert api_for(w.finance).get(f"{BASE}preview/").status_code == 400  # until missing
    assert not PayoutRun.objects.for_cooperative(w.finance.cooperative).exists()


def test_start_answers_201_with_contract_fields(w, api_for):
    response = api_for(w.finance).post(BASE, {"until": "2026-12-31"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("status", "items", "total")} == {
        "status": "ready",
        "items": 1,
        "total": "120.00",
    }
    empty = api_for(w.admin).post(BASE, {"until": "2026-12-31"}, format="json")
    assert empty.status_code == 201 and empty.json()["items"] == 0
    assert api_for(w.finance).post(BASE, {"until": "soon"}, format="json").status_code == 400


@pytest.mark.parametrize("who", ["owner", "advisor", "no_totp"])
def test_members_advisors_and_finance_without_totp_get_403(w, api_for, who):
    client = api_for(getattr(w, who))
    assert client.post(BASE, {"until": "2026-12-31"}, format="json").status_code == 403
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}preview/", {"until": "2026-12-31"}).status_code == 403
    assert not PayoutRun.objects.for_cooperative(w.finance.cooperative).exists()


def test_full_flow_with_second_approval(w, api_for, coop):
    PayoutPolicy.objects.create(cooperative=coop, run_approval_threshold=Decimal("100.00"))
    started = api_for(w.finance).post(BASE, {"until": "2026-12-31"}, format="json").json()
    url = f"{BASE}{started['id']}/"
    assert started["status"] == "pending_approval"

    assert api_for(w.finance).get(f"{url}sepa/").status_code == 409
    assert api_for(w.finance).post(f"{url}approve/").status_code == 403  # the starter
    assert api_for(w.finance).post(f"{url}mark-sent/").status_code == 409
    approved = api_for(w.finance2).post(f"{url}approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "ready"
    assert api_for(w.finance2).post(f"{url}approve/").status_code == 200  # replay: same answer

    sepa = api_for(w.admin).get(f"{url}sepa/")
    assert sepa.status_code == 200 and sepa["Content-Type"] == "application/xml"
    assert f'filename="{started["number"]}.pain.001.xml"' in sepa["Content-Disposition"]
    assert sepa.content == api_for(w.finance).get(f"{url}sepa/").content
    assert api_for(w.finance).post(f"{url}confirm/").status_code == 409  # not sent yet
    assert api_for(w.finance).post(f"{url}mark-sent/").json()["status"] == "sent"
    assert api_for(w.finance).post(f"{url}confirm/").json()["status"] == "confirmed"
    assert api_for(w.finance).get(url).json()["confirmed_at"] is not None
    listed = api_for(w.finance).get(BASE, {"status": "confirmed"}).json()
    assert [row["id"] for row in listed["results"]] == [started["id"]]


def test_status_report_upload(w, api_for):
    started = api_for(w.finance).post(BASE, {"until": "2026-12-31"}, format="json").json()
    url = f"{BASE}{started['id']}/"
    api_for(w.finance).post(f"{url}mark-sent/")
    e2e = f"{started['number']}-{w.item.pk}-1"
    xml = (
        '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">'
        "<CstmrPmtStsRpt>"
        f"<GrpHdr><MsgId>S</MsgId></GrpHdr><OrgnlGrpInfAndSts><OrgnlMsgId>{started['message_id']}</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts><OrgnlPmtInfAndSts>"
        f"<OrgnlPmtInfId>x</OrgnlPmtInfId><TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>"
        "<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AC01</Cd></Rsn></StsRsnInf></TxInfAndSts>"
        "</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    ).encode()
    upload = SimpleUploadedFile("pain002.xml", xml, content_type="application/xml")
    response = api_for(w.finance).post(f"{url}status-report/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["rejected"] == [e2e]
    garbage = SimpleUploadedFile("x.xml", b"nope", content_type="application/xml")
    assert (
        api_for(w.finance).post(f"{url}status-report/", {"file": garbage}, format="multipart").status_code
        == 400
    )


def test_other_cooperative_gets_404_for_every_run_endpoint(w, api_for):
    run_id = api_for(w.finance).post(BASE, {"until": "2026-12-31"}, format="json").json()["id"]
    client = api_for(w.foreign)
    url = f"{BASE}{run_id}/"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}sepa/").status_code == 404
    for action in ("approve", "mark-sent", "confirm"):
        assert client.post(f"{url}{action}/").status_code == 404
    upload = SimpleUploadedFile("p.xml", b"<x/>", content_type="application/xml")
    assert client.post(f"{url}status-report/", {"file": upload}, format="multipart").status_code == 404
    assert client.get(BASE).json()["results"] == []
    assert client.get(f"{BASE}preview/", {"until": "2026-12-31"}).json()["count"] == 0


def test_runs_are_in_the_openapi_schema(w, api_for):
    schema = api_for(w.finance).get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/payout-runs/", "/api/payout-runs/preview/", "/api/payout-runs/{run_id}/sepa/"):
        assert path in schema["paths"]


def test_start_with_idempotency_key_replays_the_first_run(w, api_for, coop):
    client = api_for(w.finance)
    first = client.post(BASE, {"until": "2026-12-31"}, format="json", HTTP_IDEMPOTENCY_KEY="run-1")
    again = client.post(BASE, {"until": "2026-12-31"}, format="json", HTTP_IDEMPOTENCY_KEY="run-1")
    other = client.post(BASE, {"until": "2026-12-30"}, format="json", HTTP_IDEMPOTENCY_KEY="run-1")
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.json()["items"] == 1
    assert other.status_code == 409
    assert PayoutRun.objects.for_cooperative(coop).count() == 1
