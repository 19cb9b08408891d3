"""The project events people are told about (kinds registered in ProjectsConfig.ready), and who hears of them.

Each event names its history row (a project may be submitted again after changes), so a replayed request or
a retried task adds nothing: the kernel's notify() is unique per event and recipient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from smartprod.core.notifications import NotificationKind, notification_kinds, notify
from smartprod.tenancy.models import Membership

if TYPE_CHECKING:
    from projects.models import Expense, Project
    from smartprod.tenancy.models import Cooperative

KINDS = (
    NotificationKind(
        "project.submitted",
        _("Project submitted for review: %(title)s"),
        _("%(owner)s submitted the project “%(title)s” (client: %(client)s) for review."),
    ),
    NotificationKind(
        "project.approved",
        _("Project approved: %(title)s"),
        _("Your project “%(title)s” is approved. You can now write its invoices."),
    ),
    NotificationKind(
        "project.changes_requested",
        _("Changes requested: %(title)s"),
        _("Your project “%(title)s” was sent back for changes: %(comment)s"),
    ),
    NotificationKind(
        "project.rejected",
        _("Project rejected: %(title)s"),
        _("Your project “%(title)s” was rejected: %(comment)s"),
    ),
    NotificationKind(
        "expense.approved",
        _("Expense approved: %(description)s"),
        _("Your expense “%(description)s” (%(amount)s) on the project “%(title)s” is approved."),
    ),
    NotificationKind(
        "expense.rejected",
        _("Expense rejected: %(description)s"),
        _("Your expense “%(description)s” (%(amount)s) on the project “%(title)s” was rejected: %(comment)s"),
    ),
)

_KIND_OF_ACTION = {
    "submit": "project.submitted",
    "approve": "project.approved",
    "request_changes": "project.changes_requested",
    "reject": "project.rejected",
}


def register() -> None:
    for kind in KINDS:
        notification_kinds.register(kind)


def project_people(cooperative: Cooperative, project: Project) -> list[Any]:
    """The owner and the collaborators (users)."""
    from projects.models import Collaboration

    collaborators = (
        Collaboration.objects.for_cooperative(cooperative)
        .filter(project=project)
        .select_related("membership__user")
    )
    owner = Membership.objects.for_cooperative(cooperative).select_related("user").get(pk=project.owner_id)
    return [owner.user, *(c.membership.user for c in collaborators)]


def _reviewers(cooperative: Cooperative, project: Project) -> list[Any]:
    """The project's advisor; without one, every active advisor of the cooperative (else its admins)."""
    active = (
        Membership.objects.for_cooperative(cooperative)
        .filter(status=Membership.Status.ACTIVE)
        .exclude(pk=project.owner_id)
        .select_related("user")
    )
    if project.advisor_id is not None:
        return [m.user for m in active.filter(pk=project.advisor_id)]
    advisors = [m.user for m in active.filter(role=Membership.Role.ADVISOR)]
    return advisors or [m.user for m in active.filter(role=Membership.Role.ADMIN)]


def notify_project_transition(
    *, cooperative: Cooperative, project: Project, action: str, history_id: int, comment: str
) -> None:
    kind = _KIND_OF_ACTION.get(action)
    if kind is None:
        return
    if action == "submit":
        recipients = _reviewers(cooperative, project)
        link = reverse("admin:projects_project_change", args=[project.pk])
    else:
        recipients = project_people(cooperative, project)
        link = reverse("project_detail", args=[project.pk])
    owner = Membership.objects.for_cooperative(cooperative).select_related("user").get(pk=project.owner_id)
    notify(
        cooperative=cooperative,
        kind=kind,
        event=f"{kind}:{project.pk}:{history_id}",
        recipients=recipients,
        params={
            "title": project.title,
            "owner": str(owner.user),
            "client": str(project.client),
            "comment": comment,
        },
        link=link,
    )


def notify_expense_decided(
    *, cooperative: Cooperative, expense: Expense, approved: bool, comment: str = ""
) -> None:
    from smartprod.core.formatting import format_money

    kind = "expense.approved" if approved else "expense.rejected"
    submitter = (
        Membership.objects.for_cooperative(cooperative).select_related("user").get(pk=expense.submitted_by_id)
    )
    project = expense.project
    notify(
        cooperative=cooperative,
        kind=kind,
        event=f"{kind}:{expense.pk}",
        recipients=[submitter.user],
        params={
            "description": expense.description,
            "amount": format_money(expense.amount, cooperative.currency, cooperative.language),
            "title": project.title,
            "comment": comment,
        },
        link=reverse("project_detail", args=[project.pk]),
    )
