"""Employments: a payee employed by the cooperative on one project for a period (issue 10).

The member asks; an advisor, finance person or admin creates the employment from the project, and creating
it is the approval. It makes the payee employed on that project (projects' participant employment). It must
start after the day it is created: the cooperative registers the person with the health insurer (ÖGK)
before work starts (§ 33 ASVG: "vor Arbeitsantritt").
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payroll.models import Employment, FederalState, Municipality, PayeeProfile
from payroll.selectors.employments import collective_agreement, payroll_settings, rules_for
from projects import services as project_services
from projects.models import Collaboration, Project
from projects.selectors import employment_of
from smartprod.core import capabilities, locks
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed, status_in_sentence
from smartprod.tenancy.models import Cooperative, Membership

MIN_WEEKLY_HOURS = Decimal("0.5")
MAX_WEEKLY_HOURS = Decimal("60")  # § 9 AZG: at most 60 hours in a week, overtime included
VIENNA = "wien"


def _field_error(field: str, message: str, *, conflict: bool = False) -> ApplicationError:
    return ApplicationError(message, details={field: [message]}, conflict=conflict)


def _federal_state(cooperative: Cooperative, municipality: str, federal_state: str | None) -> str:
    """The given state; else the registered municipality's; else Vienna for "Wien"; else the employer's."""
    if federal_state:
        if federal_state not in FederalState.values:
            raise _field_error(
                "federal_state",
                _("Unknown federal state %(state)s; use one of %(states)s.")
                % {"state": federal_state, "states": ", ".join(FederalState.values)},
            )
        if municipality.casefold() == VIENNA and federal_state != FederalState.WIEN:
            raise _field_error("federal_state", _("Wien is a federal state of its own: choose Wien."))
        return federal_state
    known = (
        Municipality.objects.for_cooperative(cooperative)
        .filter(name__iexact=municipality)
        .values_list("federal_state", flat=True)
        .first()
    )
    if known:
        return str(known)
    if municipality.casefold() == VIENNA:
        return FederalState.WIEN
    return payroll_settings(cooperative).federal_state


@transaction.atomic
def employment_create(
    *,
    cooperative: Cooperative,
    actor: Membership,
    project: Project,
    payee: Membership,
    start: date,
    end: date,
    weekly_hours: Decimal,
    occupation: str,
    municipality: str,
    federal_state: str | None = None,
    salary_group: str = "",
    has_other_employments: bool = False,
) -> Employment:
    """Staff employ a participant (owner or collaborator) of an approved project from `start` to `end`.

    Preconditions: start after today, end ≥ start, 0.5–60 hours a week, the payee's social insurance number
    and date of birth known, payroll rules for the start month, and — when the cooperative has a collective
    agreement — one of its salary groups. Side effects: the payee becomes employed on the project (audited
    there), and an audit row `employment.created`. Holds the project lock (the participant's mode changes).
    """
    for obj in (actor, project, payee):
        if obj.cooperative_id != cooperative.pk:
            raise type(obj).DoesNotExist()
    if not capabilities.is_staff(actor):
        raise NotAllowed(
            _("An advisor or finance person creates employments: please ask your advisor for one.")
        )
    if actor.pk == payee.pk:
        raise NotAllowed(_("Nobody creates their own employment."))
    project = locks.lock_project(Project, cooperative, project.pk)
    if project.status != Project.Status.APPROVED:
        raise ApplicationError(
            _("Employments are created on approved projects; this project is %(status)s.")
            % {"status": status_in_sentence(project.get_status_display())},
            conflict=True,
        )
    if employment_of(project, payee) is None:
        raise _field_error("payee", _("This person does not work on this project."))
    today = timezone.localdate()
    if start <= today:
        raise _field_error(
            "start",
            _(
                "An employment must start after today: the cooperative registers the person with the health "
                "insurer before work starts."
            ),
        )
    if end < start:
        raise _field_error("end", _("The employment ends before it starts."))
    if not MIN_WEEKLY_HOURS <= weekly_hours <= MAX_WEEKLY_HOURS:
        raise _field_error(
            "weekly_hours",
            _("The weekly hours must be between %(low)s and %(high)s.")
            % {"low": MIN_WEEKLY_HOURS, "high": MAX_WEEKLY_HOURS},
        )
    if weekly_hours != weekly_hours.quantize(Decimal("0.1")):
        raise _field_error("weekly_hours", _("Weekly hours are given to a tenth of an hour."))
    occupation, municipality, salary_group = occupation.strip(), municipality.strip(), salary_group.strip()
    if not occupation:
        raise _field_error("occupation", _("Please name the occupation."))
    if not municipality:
        raise _field_error("municipality", _("Please name the municipality where the person works."))
    state = _federal_state(cooperative, municipality, federal_state)
    profile = PayeeProfile.objects.for_cooperative(cooperative).filter(membership=payee).first()
    if profile is None or not profile.social_insurance_number or profile.date_of_birth is None:
        raise _field_error(
            "payee",
            _(
                "The payee's social insurance number and date of birth are missing: they are needed to "
                "register the person with the health insurer (payout details)."
            ),
        )
    rules_for(cooperative, start)  # a country without payroll rules cannot employ (fee notes still work)
    agreement = collective_agreement(cooperative, start.year)
    # An agreement without a table yet (its `minimum_pay` empty) names no groups to choose from: the group
    # is recorded as given, and no minimum applies until the table is entered.
    if agreement is not None and agreement.minimum_pay and salary_group not in agreement.minimum_pay:
        raise _field_error(
            "salary_group",
            _("Choose a salary group of the %(agreement)s: %(groups)s.")
            % {"agreement": agreement.name, "groups": ", ".join(sorted(agreement.minimum_pay))},
        )
    employment = Employment.objects.create(
        cooperative=cooperative,
        project=project,
        payee=payee,
        start=start,
        end=end,
        weekly_hours=weekly_hours,
        occupation=occupation[:100],
        salary_group=salary_group[:40],
        municipality=municipality[:100],
        federal_state=state,
        has_other_employments=has_other_employments,
        created_by=actor,
    )
    project_services.participant_employment_set(
        cooperative=cooperative,
        actor=actor,
        project=project,
        membership=payee,
        employment=Collaboration.Employment.EMPLOYED,
    )
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="employment.created",
        obj=employment,
        data={
            "project": project.pk,
            "payee": payee.pk,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "weekly_hours": str(weekly_hours),
            "federal_state": state,
            "salary_group": salary_group,
            "has_other_employments": has_other_employments,
        },
    )
    return employment
