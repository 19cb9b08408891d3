"""A project is submitted for review with its signed contract: the service refuses without one, the API
answers 400 with the reason, and the project page says why the submit button is not available."""

from __future__ import annotations

import pytest

from projects import services
from projects.models import Project
from smartprod.core.errors import ApplicationError
from tests.projects_helpers import make_project, pdf_upload

pytestmark = pytest.mark.django_db

REASON = "Upload the signed contract first: a project is submitted for review with its contract."


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


def _status(project: Project) -> str:
    return str(Project.objects.for_cooperative(project.cooperative).get(pk=project.pk).status)


def test_the_service_refuses_to_submit_without_a_contract(coop, owner):
    project = make_project(coop, owner)

    with pytest.raises(ApplicationError) as refused:
        services.project_submit(cooperative=coop, actor=owner, project=project)

    assert refused.value.message == REASON
    assert refused.value.details == {"documents": [REASON]}
    assert not refused.value.conflict
    assert _status(project) == "draft"


def test_the_api_answers_400_with_the_reason(coop, owner, api_for):
    project = make_project(coop, owner)

    response = api_for(owner).post(f"/api/projects/{project.pk}/submit/")

    assert response.status_code == 400
    assert response.json()["detail"] == REASON
    assert _status(project) == "draft"


def test_the_page_explains_and_offers_submit_only_with_a_contract(coop, owner, client_for):
    project = make_project(coop, owner)
    browser = client_for(owner)

    page = browser.get(f"/projects/{project.pk}/").content.decode()
    assert f'action="/projects/{project.pk}/submit/"' not in page
    assert f'disabled aria-describedby="submit-needs-contract" title="{REASON}"' in page
    assert "Submitting is possible once the signed contract is uploaded." in page
    assert f'href="/projects/{project.pk}/documents/new/">Upload the contract</a>' in page

    response = browser.post(f"/projects/{project.pk}/submit/", follow=True)
    assert REASON in response.content.decode()
    assert _status(project) == "draft"

    services.document_upload(
        cooperative=coop, actor=owner, project=project, kind="contract", upload=pdf_upload()
    )
    page = browser.get(f"/projects/{project.pk}/").content.decode()
    assert f'action="/projects/{project.pk}/submit/"' in page
    assert "submit-needs-contract" not in page
    browser.post(f"/projects/{project.pk}/submit/")
    assert _status(project) == "submitted"


def test_the_page_explains_it_in_german(coop, owner, client_for):
    project = make_project(coop, owner)
    browser = client_for(owner)
    browser.cookies["django_language"] = "de"

    page = browser.get(f"/projects/{project.pk}/").content.decode()

    assert "Einreichen ist möglich, sobald der unterschriebene Vertrag hochgeladen ist." in page
