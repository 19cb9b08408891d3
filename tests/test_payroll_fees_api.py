"""The fee note and payout API: contract fields, roles (403), isolation (404), state conflicts (409)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payroll.models import FeeNote, PayeeProfile
from payroll.services import fees
from projects.models import Collaboration
from tests.payroll_fees_helpers import funded_project, payee_profile, request_fee

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(coop, make_member):
    owner = make_member(coop)
    advisor = make_member(coop, role="advisor")
    finance = make_member(coop, role="finance")
    project = funded_project(coop, owner, advisor)
    payee_profile(owner, PayeeProfile.VatStatus.REGISTERED)
    return owner, advisor, finance, project


def body(payee, **kwargs):
    return {
        "payee": payee.pk,
        "service_period_start": "2026-05-01",
        "service_period_end": "2026-05-31",
        "description": "Stage design",
        "net_amount": "1000.00",
        "vat_rate": "20.00",
        **kwargs,
    }


def test_request_approve_and_read_a_fee_note(coop, setup, api_for):
    owner, advisor, _finance, project = setup
    created = api_for(owner).post(f"/api/projects/{project.pk}/fee-notes/", body(owner), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert {k: data[k] for k in ("number", "status", "net_amount", "vat_amount", "gross_amount")} == {
        "number": "",
        "status": "requested",
        "net_amount": "1000.00",
        "vat_amount": "200.00",
        "gross_amount": "1200.00",
    }
    assert data["guarantee_deadline"] is None and "id" in data
    own = api_for(owner).post(f"/api/fee-notes/{data['id']}/approve/")
    assert own.status_code == 403
    assert api_for(owner).get(f"/api/fee-notes/{data['id']}/pdf/").status_code == 409
    approved = api_for(advisor).post(f"/api/fee-notes/{data['id']}/approve/")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved" and approved.json()["number"].startswith("HN-")
    assert approved.json()["guarantee_deadline"]
    assert api_for(advisor).post(f"/api/fee-notes/{data['id']}/approve/").status_code == 409
    pdf = api_for(owner).get(f"/api/fee-notes/{data['id']}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    payouts = api_for(owner).get("/api/payouts/", {"project": project.pk}).json()
    assert payouts["count"] == 1
    item = payouts["results"][0]
    assert {k: item[k] for k in ("kind", "payee", "project", "amount", "status", "run")} == {
        "kind": "fee",
        "payee": owner.pk,
        "project": project.pk,
        "amount": "1200.00",
        "status": "approved",
        "run": None,
    }
    assert item["guarantee_deadline"] == approved.json()["guarantee_deadline"]


def test_over_budget_bad_rate_and_unknown_payee_answer_400(coop, setup, api_for, make_member):
    owner, _advisor, _finance, project = setup
    url = f"/api/projects/{project.pk}/fee-notes/"
    over = api_for(owner).post(url, body(owner, net_amount="2000.01"), format="json")
    assert over.status_code == 400 and "2000.00" in over.json()["detail"]
    assert api_for(owner).post(url, body(owner, vat_rate="19.00"), format="json").status_code == 400
    stranger = make_member(coop)
    assert api_for(owner).post(url, body(stranger), format="json").status_code == 400
    assert api_for(owner).post(url, body(owner, net_amount=1000.0), format="json").status_code == 400
    assert not FeeNote.objects.for_cooperative(coop).exists()


def test_reject_and_object(coop, setup, api_for):
    owner, advisor, _finance, project = setup
    note = request_fee(coop, owner, project, vat_rate=Decimal("20"))
    assert (
        api_for(advisor).post(f"/api/fee-notes/{note.pk}/reject/", {"reason": ""}, format="json").status_code
        == 400
    )
    rejected = api_for(advisor).post(f"/api/fee-notes/{note.pk}/reject/", {"reason": "Wrong"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    note = fees.fee_note_approve(
        cooperative=coop, actor=advisor, fee_note=request_fee(coop, owner, project, vat_rate=Decimal("20"))
    )
    assert api_for(advisor).post(f"/api/fee-notes/{note.pk}/object/", {}, format="json").status_code == 403
    objected = api_for(owner).post(f"/api/fee-notes/{note.pk}/object/", {"reason": "No"}, format="json")
    assert objected.status_code == 200 and objected.json()["status"] == "objected"
    assert api_for(owner).get("/api/payouts/", {"status": "cancelled"}).json()["count"] == 1
    assert api_for(owner).get("/api/payouts/", {"status": "bogus"}).status_code == 400


def test_pay_options_net_and_gross(coop, setup, api_for, make_member):
    owner, advisor, _finance, project = setup
    options = api_for(owner).get(f"/api/projects/{project.pk}/pay-options/", {"payee": owner.pk}).json()
    assert options == {
        "available": "2000.00",
        "max_fee_net": "2000.00",
        "max_fee_gross": "2400.00",
        "max_salary_gross": None,
        "guarantee_working_days": 14,
    }
    collaborator = make_member(coop)
    Collaboration.objects.create(
        cooperative=coop, project=project, membership=collaborator, employment="self_employed"
    )
    payee_profile(collaborator)
    request_fee(coop, owner, project, vat_rate=Decimal("20"), net_amount=Decimal("500.00"))
    mine = api_for(collaborator).get(f"/api/projects/{project.pk}/pay-options/").json()
    assert (mine["available"], mine["max_fee_net"], mine["max_fee_gross"]) == (
        "1500.00",
        "1500.00",
        "1500.00",
    )
    # A collaborator may not ask about another payee: 404.
    assert (
        api_for(collaborator).get(f"/api/projects/{project.pk}/pay-options/", {"payee": owner.pk}).status_code
        == 404
    )
    staff = api_for(advisor).get(f"/api/projects/{project.pk}/pay-options/", {"payee": collaborator.pk})
    assert staff.status_code == 200


def test_isolation_other_cooperative_and_other_member_get_404(coop, other_coop, setup, api_for, make_member):
    owner, advisor, _finance, project = setup
    note = fees.fee_note_approve(
        cooperative=coop, actor=advisor, fee_note=request_fee(coop, owner, project, vat_rate=Decimal("20"))
    )
    outsider = make_member(other_coop, role="admin")
    another = make_member(coop)
    for person in (outsider, another):
        api = api_for(person)
        for path in (f"/api/fee-notes/{note.pk}/", f"/api/fee-notes/{note.pk}/pdf/"):
            assert api.get(path).status_code == 404, (person, path)
        assert api.post(f"/api/fee-notes/{note.pk}/approve/").status_code == 404
        assert api.post(f"/api/fee-notes/{note.pk}/object/", {}, format="json").status_code == 404
        assert api.get(f"/api/projects/{project.pk}/pay-options/").status_code == 404
        assert (
            api.post(f"/api/projects/{project.pk}/fee-notes/", body(owner), format="json").status_code == 404
        )
        assert api.get("/api/payouts/").json()["count"] == 0
    assert api_for(advisor).get("/api/payouts/").json()["count"] == 1
