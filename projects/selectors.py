"""Reads for clients and projects; every one starts from the cooperative and the person asking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet

from projects.budget import with_budget_figures
from projects.models import Client, Collaboration, Document, Expense, Project, ProjectStatusChange
from smartprod.core import capabilities
from smartprod.tenancy.models import Cooperative, Membership

if TYPE_CHECKING:
    from projects.budget import ProjectWithBudget


def is_staff(membership: Membership) -> bool:
    return capabilities.is_staff(membership)


def client_list(*, cooperative: Cooperative, membership: Membership | None = None) -> QuerySet[Client]:
    """Business clients are shared by the cooperative's projects; a private person (consumer) is seen
    only by staff, by whoever created the record and by the people of projects for that client."""
    clients = Client.objects.for_cooperative(cooperative)
    if membership is None or is_staff(membership):
        return clients
    visible = project_list_visible(cooperative=cooperative, membership=membership)
    return clients.filter(
        Q(kind=Client.Kind.BUSINESS) | Q(created_by=membership.user_id) | Q(pk__in=visible.values("client"))
    )


def client_get(*, cooperative: Cooperative, client_id: int, membership: Membership | None = None) -> Client:
    return client_list(cooperative=cooperative, membership=membership).get(pk=client_id)


def project_list_visible(*, cooperative: Cooperative, membership: Membership) -> QuerySet[Project]:
    """Staff see the cooperative's projects; a member those they own or collaborate on."""
    qs = Project.objects.for_cooperative(cooperative)
    if not is_staff(membership):
        collaborating = Collaboration.objects.for_cooperative(cooperative).filter(membership=membership)
        qs = qs.filter(Q(owner=membership) | Q(pk__in=collaborating.values("project")))
    return qs


def project_list_mine(*, cooperative: Cooperative, membership: Membership) -> QuerySet[ProjectWithBudget]:
    """The dashboard: projects I own or collaborate on (also for staff), with budget figures."""
    collaborating = Collaboration.objects.for_cooperative(cooperative).filter(membership=membership)
    qs = Project.objects.for_cooperative(cooperative).filter(
        Q(owner=membership) | Q(pk__in=collaborating.values("project"))
    )
    return with_budget_figures(qs.select_related("client", "owner__user")).order_by("-created_at", "-id")


def project_get(*, cooperative: Cooperative, membership: Membership, project_id: int) -> Project:
    """Raises Project.DoesNotExist (-> 404) if the project is another cooperative's or not the person's."""
    return (
        project_list_visible(cooperative=cooperative, membership=membership)
        .select_related("client", "owner__user", "advisor__user")
        .get(pk=project_id)
    )


def project_detail(*, cooperative: Cooperative, membership: Membership, project_id: int) -> Project:
    project = project_get(cooperative=cooperative, membership=membership, project_id=project_id)
    return (
        Project.objects.for_cooperative(cooperative)
        .prefetch_related(  # type: ignore[type-var]
            Prefetch(
                "history", ProjectStatusChange.objects.for_cooperative(cooperative).select_related("actor")
            ),
            Prefetch(
                "documents", Document.objects.for_cooperative(cooperative).select_related("uploaded_by")
            ),
            Prefetch(
                "collaborations",
                Collaboration.objects.for_cooperative(cooperative).select_related("membership__user"),
            ),
            Prefetch("expenses", Expense.objects.for_cooperative(cooperative).select_related("receipt")),
        )
        .select_related("client", "owner__user", "advisor__user")
        .get(pk=project.pk)
    )


def document_get(*, cooperative: Cooperative, membership: Membership, document_id: int) -> Document:
    visible = project_list_visible(cooperative=cooperative, membership=membership)
    return (
        Document.objects.for_cooperative(cooperative)
        .select_related("project")
        .get(pk=document_id, project__in=visible)
    )


def expense_get(*, cooperative: Cooperative, membership: Membership, expense_id: int) -> Expense:
    visible = project_list_visible(cooperative=cooperative, membership=membership)
    return (
        Expense.objects.for_cooperative(cooperative)
        .select_related("project")
        .get(pk=expense_id, project__in=visible)
    )


def expense_list(*, cooperative: Cooperative, project: Project) -> QuerySet[Expense]:
    return Expense.objects.for_cooperative(cooperative).filter(project=project).select_related("receipt")


def document_list(*, cooperative: Cooperative, project: Project) -> QuerySet[Document]:
    return Document.objects.for_cooperative(cooperative).filter(project=project)


def employment_of(project: Project, membership: Membership) -> str | None:
    """How `membership` is paid from `project` (a `Collaboration.Employment` value): the owner's mode for the
    owner, the collaboration's for a collaborator; None if the person is not a participant of the project."""
    if membership.cooperative_id != project.cooperative_id:
        return None
    if project.owner_id == membership.pk:
        return project.owner_employment
    employment = (
        Collaboration.objects.for_cooperative(project.cooperative_id)
        .filter(project=project, membership=membership)
        .values_list("employment", flat=True)
        .first()
    )
    return str(employment) if employment is not None else None
