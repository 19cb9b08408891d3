"""Projects' part of the staff work queue: projects waiting for review and expenses waiting for approval.

Registered into `smartprod.core.registry.work_queue_items` from ProjectsConfig.ready(). One query per
kind (smartprod.core.work_queue.queryset_group); advisors and admins handle both kinds.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Max, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import Expense, Project, ProjectStatusChange
from smartprod.core.capabilities import REVIEWER_ROLES
from smartprod.core.work_queue import WorkQueueGroup, WorkQueueItem, queryset_group, shows

PROJECT_REVIEW = "project.review"
EXPENSE_APPROVAL = "expense.approval"


def _name(membership: Any) -> str:
    user = membership.user
    return str(user.get_full_name() or user.email)


def projects_work_queue(*, cooperative: Any, membership: Any, limit: int) -> list[WorkQueueGroup]:
    if not shows(membership, REVIEWER_ROLES):
        return []
    today = timezone.localdate()
    # Waiting since the last submission (a project sent back and submitted again waits from then on).
    submitted_at = (
        ProjectStatusChange.objects.filter(project=OuterRef("pk"), to_status=Project.Status.SUBMITTED)
        .values("project")
        .annotate(at=Max("created_at"))
        .values("at")
    )
    projects = (
        Project.objects.for_cooperative(cooperative)
        .filter(status=Project.Status.SUBMITTED)
        .exclude(owner=membership)  # four eyes: nobody reviews their own project
        .annotate(submitted_at=Subquery(submitted_at))
        .select_related("owner__user", "client")
        .order_by("submitted_at", "pk")
    )

    def project_item(project: Project) -> WorkQueueItem:
        since = getattr(project, "submitted_at", None) or project.updated_at
        return WorkQueueItem(
            kind=PROJECT_REVIEW,
            title=project.title,
            subtitle=f"{_name(project.owner)} · {project.client.name}",
            url=reverse("admin:projects_project_review", args=[project.pk]),
            age_days=(today - timezone.localdate(since)).days,
            amount=project.agreed_net_amount,
            currency=cooperative.currency,
        )

    expenses = (
        Expense.objects.for_cooperative(cooperative)
        .filter(status=Expense.Status.SUBMITTED)
        .exclude(submitted_by=membership)
        .select_related("project", "submitted_by__user")
        .order_by("submitted_at", "pk")
    )

    def expense_item(expense: Expense) -> WorkQueueItem:
        return WorkQueueItem(
            kind=EXPENSE_APPROVAL,
            title=f"{expense.project.title}: {expense.description}",
            subtitle=_name(expense.submitted_by),
            url=reverse("admin:projects_expense_change", args=[expense.pk]),
            age_days=(today - timezone.localdate(expense.submitted_at)).days,
            amount=expense.amount,
            currency=cooperative.currency,
        )

    return [
        queryset_group(
            kind=PROJECT_REVIEW,
            label=_("Projects waiting for review"),
            queryset=projects,
            limit=limit,
            item=project_item,
            list_url=reverse("admin:projects_project_changelist") + "?queue=review",
            order=10,
        ),
        queryset_group(
            kind=EXPENSE_APPROVAL,
            label=_("Expenses waiting for approval"),
            queryset=expenses,
            limit=limit,
            item=expense_item,
            list_url=reverse("admin:projects_expense_changelist") + "?status__exact=submitted",
            order=20,
        ),
    ]
