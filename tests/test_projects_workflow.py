"""The project review workflow: every allowed transition, every refused one, and the history rows."""

from __future__ import annotations

import pytest

from projects import services
from projects.models import Account, Project, ProjectStatusChange
from smartprod.core.errors import ApplicationError
from tests.projects_helpers import make_project, pdf_upload

pytestmark = pytest.mark.django_db
S = Project.Status


@pytest.fixture
def people(coop, make_member):
    return {
        "owner": make_member(coop),
        "advisor": make_member(coop, role="advisor"),
        "admin": make_member(coop, role="admin"),
        "finance": make_member(coop, role="finance"),
        "other": make_member(coop),
    }


def move(coop, project, actor, action, comment=""):
    return services.project_transition(
        cooperative=coop, actor=actor, project=project, action=action, comment=comment
    )


def set_status(project, status):
    Project.objects.for_cooperative(project.cooperative).filter(pk=project.pk).update(status=status)
    project.refresh_from_db()


def with_contract(coop, project, owner):
    services.document_upload(
        cooperative=coop, actor=owner, project=project, kind="contract", upload=pdf_upload()
    )


ALLOWED = [
    (S.DRAFT, "submit", "owner", S.SUBMITTED),
    (S.CHANGES_REQUESTED, "submit", "owner", S.SUBMITTED),
    (S.SUBMITTED, "approve", "advisor", S.APPROVED),
    (S.SUBMITTED, "approve", "admin", S.APPROVED),
    (S.SUBMITTED, "reject", "advisor", S.REJECTED),
    (S.SUBMITTED, "request_changes", "advisor", S.CHANGES_REQUESTED),
    (S.APPROVED, "close", "owner", S.CLOSED),
    (S.APPROVED, "close", "advisor", S.CLOSED),
]


@pytest.mark.parametrize(("start", "action", "who", "end"), ALLOWED)
def test_allowed_transition_records_history(coop, people, start, action, who, end):
    project = make_project(coop, people["owner"])
    with_contract(coop, project, people["owner"])
    set_status(project, start)
    moved = move(coop, project, people[who], action, comment="because")
    assert moved.status == end
    last = ProjectStatusChange.objects.for_cooperative(coop).filter(project=project).last()
    assert (last.from_status, last.to_status, last.actor, last.comment) == (
        start,
        end,
        people[who].user,
        "because",
    )


REFUSED_STATES = [
    (status, action)
    for status in S.values
    for action in services.TRANSITIONS
    if status not in services.TRANSITIONS[action][0]
]


@pytest.mark.parametrize(("start", "action"), REFUSED_STATES)
def test_transition_from_wrong_state_refused(coop, people, start, action):
    project = make_project(coop, people["owner"])
    with_contract(coop, project, people["owner"])
    set_status(project, start)
    who = people["owner"] if action in ("submit", "close") else people["advisor"]
    history_before = ProjectStatusChange.objects.for_cooperative(coop).filter(project=project).count()
    with pytest.raises(ApplicationError) as exc:
        move(coop, project, who, action, comment="c")
    assert exc.value.conflict
    project.refresh_from_db()
    assert project.status == start
    assert ProjectStatusChange.objects.for_cooperative(coop).filter(project=project).count() == history_before


@pytest.mark.parametrize(
    ("action", "who"),
    [
        ("submit", "advisor"),
        ("submit", "other"),
        ("approve", "owner"),
        ("approve", "finance"),
        ("approve", "other"),
        ("reject", "owner"),
        ("request_changes", "finance"),
        ("close", "other"),
    ],
)
def test_transition_by_wrong_person_refused(coop, people, action, who):
    project = make_project(coop, people["owner"])
    with_contract(coop, project, people["owner"])
    start = services.TRANSITIONS[action][0][0]
    set_status(project, start)
    with pytest.raises(ApplicationError, match="may not"):
        move(coop, project, people[who], action, comment="c")
    project.refresh_from_db()
    assert project.status == start


def test_advisor_cannot_approve_own_project(coop, people):
    project = make_project(coop, people["advisor"])
    with_contract(coop, project, people["advisor"])
    move(coop, project, people["advisor"], "submit")
    with pytest.raises(ApplicationError, match="may not"):
        move(coop, project, people["advisor"], "approve")


def test_approval_needs_a_contract_document(coop, people):
    project = make_project(coop, people["owner"])
    with pytest.raises(ApplicationError, match="contract"):
        move(coop, project, people["owner"], "submit")
    # Submitted before submitting required a contract (today the submit above is refused).
    Project.objects.for_cooperative(coop).filter(pk=project.pk).update(status=S.SUBMITTED)
    with pytest.raises(ApplicationError, match="contract"):
        move(coop, project, people["advisor"], "approve")
    services.document_upload(
        cooperative=coop, actor=people["owner"], project=project, kind="other", upload=pdf_upload()
    )
    with pytest.raises(ApplicationError, match="contract"):
        move(coop, project, people["advisor"], "approve")
    with_contract(coop, project, people["owner"])
    assert move(coop, project, people["advisor"], "approve").status == S.APPROVED
    assert Account.objects.for_cooperative(coop).filter(project=project, type="project_budget").exists()


@pytest.mark.parametrize("action", ["reject", "request_changes"])
def test_reject_and_request_changes_need_a_comment(coop, people, action):
    project = make_project(coop, people["owner"])
    with_contract(coop, project, people["owner"])
    move(coop, project, people["owner"], "submit")
    with pytest.raises(ApplicationError, match="comment"):
        move(coop, project, people["advisor"], action, comment="  ")


def test_full_history_of_a_round_trip(coop, people):
    project = make_project(coop, people["owner"])
    with_contract(coop, project, people["owner"])
    move(coop, project, people["owner"], "submit")
    move(coop, project, people["advisor"], "request_changes", "fee breakdown please")
    services.project_update(cooperative=coop, actor=people["owner"], project=project, title="Stage design v2")
    move(coop, project, people["owner"], "submit")
    move(coop, project, people["advisor"], "approve", "ok")
    move(coop, project, people["owner"], "close")
    rows = list(
        ProjectStatusChange.objects.for_cooperative(coop)
        .filter(project=project)
        .values_list("from_status", "to_status")
    )
    assert rows == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "changes_requested"),
        ("changes_requested", "submitted"),
        ("submitted", "approved"),
        ("approved", "closed"),
    ]


@pytest.mark.parametrize("status", [S.SUBMITTED, S.APPROVED, S.REJECTED, S.CLOSED])
def test_terms_frozen_outside_draft(coop, people, status):
    project = make_project(coop, people["owner"])
    set_status(project, status)
    with pytest.raises(ApplicationError, match="cannot be edited"):
        services.project_update(cooperative=coop, actor=people["owner"], project=project, agreed_net_amount=9)
    project.refresh_from_db()
    assert project.agreed_net_amount == 5000


def test_only_owner_edits_a_draft(coop, people):
    project = make_project(coop, people["owner"])
    for who in ("other", "advisor", "admin"):
        with pytest.raises(ApplicationError, match="owner"):
            services.project_update(cooperative=coop, actor=people[who], project=project, title="hijack")


def test_project_terms_validated(coop, people):
    from datetime import date

    with pytest.raises(ApplicationError, match="before it starts"):
        make_project(
            coop, people["owner"], service_period_start=date(2026, 5, 1), service_period_end=date(2026, 4, 1)
        )
    with pytest.raises(ApplicationError):
        make_project(coop, people["owner"], agreed_net_amount=-1)
    with pytest.raises(ApplicationError, match="legal text"):
        make_project(coop, people["owner"], vat_treatment="exempt")
    assert not Project.objects.for_cooperative(coop).exists()


def test_collaborators_of_other_cooperative_refused(coop, other_coop, people, make_member):
    foreign = make_member(other_coop)
    with pytest.raises(type(foreign).DoesNotExist):
        make_project(coop, people["owner"], collaborators=[(foreign, "employed")])
    with pytest.raises(ApplicationError):
        make_project(coop, people["owner"], collaborators=[(people["owner"], "employed")])
    project = make_project(coop, people["owner"], collaborators=[(people["other"], "self_employed")])
    assert list(project.collaborations.values_list("membership", "employment")) == [
        (people["other"].pk, "self_employed")
    ]
