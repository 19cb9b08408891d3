"""Writes for clients, projects, documents and expenses. Each checks the cooperative and the person,
runs in a transaction, and leaves an audit row."""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from projects.budget import project_budget_figures
from projects.ledger import Posting, account_get, journal_post
from projects.models import (
    Account,
    Client,
    Collaboration,
    Document,
    Expense,
    JournalLine,
    Project,
    ProjectStatusChange,
)
from projects.notifications import notify_expense_decided, notify_project_transition
from projects.selectors import is_staff
from projects.vat import SMALL_AMOUNT_INVOICE_LIMIT, reverse_charge_allowed
from smartprod.core import capabilities, locks
from smartprod.core.audit import audit_log
from smartprod.core.errors import ApplicationError, NotAllowed, status_in_sentence
from smartprod.core.money import ZERO, quantize_money
from smartprod.core.registry import Registry
from smartprod.tenancy.models import Cooperative, Membership

Status = Project.Status
# Called inside `expense_approve`'s transaction with (cooperative=, actor=, expense=) once an expense is
# approved and posted: payroll registers the payout item of the reimbursement (projects cannot import it).
expense_approved_hooks: Registry[Callable[..., None]] = Registry("expense approved hooks")
ALLOWED_DOCUMENT_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
CLIENT_FIELDS = (
    "name",
    "kind",
    "street",
    "postcode",
    "city",
    "country",
    "email",
    "vat_id",
    "order_reference",
    "buyer_reference",
    "reminder_fees_agreed",
    "public_sector",
    "supplier_number",
)
TERMS_FIELDS = (
    "client",
    "title",
    "description",
    "service_period_start",
    "service_period_end",
    "agreed_net_amount",
    "vat_treatment",
    "exemption_text",
    "owner_employment",
)


def _check_same(cooperative: Cooperative, *objects: Any) -> None:
    for obj in objects:
        if obj is not None and obj.cooperative_id != cooperative.pk:
            raise type(obj).DoesNotExist()  # never reveal another cooperative's object


def _full_clean(obj: Any, exclude: Sequence[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as exc:
        raise ApplicationError(_("Please correct the marked fields."), details=exc.message_dict) from exc


# --- clients ------------------------------------------------------------------------------------------


@transaction.atomic
def client_create(*, cooperative: Cooperative, actor: Membership, **fields: Any) -> Client:
    _check_same(cooperative, actor)
    data = {k: v for k, v in fields.items() if k in CLIENT_FIELDS}
    client = Client(cooperative=cooperative, created_by=actor.user, **data)
    client.country = client.country.upper()
    client.vat_id = client.vat_id.replace(" ", "").upper()
    _full_clean(client, exclude=["cooperative", "created_by"])
    client.save()
    audit_log(cooperative=cooperative, actor=actor.user, event="client.created", obj=client)
    return client


@transaction.atomic
def client_update(*, cooperative: Cooperative, actor: Membership, client: Client, **fields: Any) -> Client:
    _check_same(cooperative, actor, client)
    client = Client.objects.for_cooperative(cooperative).select_for_update().get(pk=client.pk)
    if not is_staff(actor):
        if client.created_by_id != actor.user_id:
            raise ApplicationError(_("Only whoever created this client, or staff, can change it."))
        if (
            Project.objects.for_cooperative(cooperative)
            .filter(client=client, status__in=[Status.APPROVED, Status.CLOSED])
            .exists()
        ):
            raise ApplicationError(
                _("This client is on approved contracts; ask your advisor to change its data."), conflict=True
            )
    for key, value in fields.items():
        if key in CLIENT_FIELDS:
            setattr(client, key, value)
    client.country = client.country.upper()
    client.vat_id = client.vat_id.replace(" ", "").upper()
    _full_clean(client, exclude=["cooperative", "created_by"])
    client.save()
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="client.updated",
        obj=client,
        data={"fields": sorted(k for k in fields if k in CLIENT_FIELDS)},
    )
    return client


# --- projects -----------------------------------------------------------------------------------------


def _validate_terms(cooperative: Cooperative, project: Project) -> None:
    # Rules with a message a person understands first; then the model's own field validation.
    _check_same(cooperative, project.client)
    start, end = project.service_period_start, project.service_period_end
    if start and end and end < start:
        raise ApplicationError(
            _("The service period ends before it starts."),
            details={"service_period_end": [_("Must not be before the start.")]},
        )
    if project.vat_treatment == Project.VatTreatment.EXEMPT and not project.exemption_text.strip():
        raise ApplicationError(
            _("An exempt project needs the legal text of its exemption."),
            details={"exemption_text": [_("Required for exempt projects.")]},
        )
    if project.vat_treatment == Project.VatTreatment.REVERSE_CHARGE and not reverse_charge_allowed(
        home_country=cooperative.country, client=project.client
    ):
        raise ApplicationError(
            _(
                "Reverse charge applies only to a business in another EU country with a valid VAT id (UID) "
                "of that country."
            ),
            details={"client": [_("Not a business in another EU country with a valid VAT id.")]},
        )
    project.agreed_net_amount = _amount(project.agreed_net_amount, "agreed_net_amount")
    if project.agreed_net_amount < 0:
        raise ApplicationError(
            _("The agreed net amount cannot be negative."),
            details={"agreed_net_amount": [_("Must be 0 or more.")]},
        )
    _full_clean(project, exclude=["cooperative", "owner", "advisor", "client"])


def _set_collaborators(
    cooperative: Cooperative, project: Project, collaborators: Sequence[tuple[Membership, str]]
) -> None:
    seen: set[int] = set()
    for membership, employment in collaborators:
        _check_same(cooperative, membership)
        if membership.pk == project.owner_id:
            raise ApplicationError(
                _("The owner is not also a collaborator."),
                details={"collaborators": [_("Remove yourself from the collaborators.")]},
            )
        if membership.pk in seen:
            raise ApplicationError(_("A collaborator is listed twice."))
        if membership.status != Membership.Status.ACTIVE:
            raise ApplicationError(_("Collaborators must be active members."))
        if employment not in Collaboration.Employment.values:
            raise ApplicationError(_("Unknown employment %(value)s.") % {"value": employment})
        seen.add(membership.pk)
    Collaboration.objects.for_cooperative(cooperative).filter(project=project).delete()
    Collaboration.objects.bulk_create(
        Collaboration(cooperative=cooperative, project=project, membership=m, employment=e)
        for m, e in collaborators
    )


def _history(
    project: Project, actor: Membership, from_status: str, to_status: str, comment: str = ""
) -> ProjectStatusChange:
    return ProjectStatusChange.objects.create(
        cooperative_id=project.cooperative_id,
        project=project,
        from_status=from_status,
        to_status=to_status,
        actor=actor.user,
        comment=comment,
    )


@transaction.atomic
def project_create(
    *,
    cooperative: Cooperative,
    actor: Membership,
    client: Client,
    title: str,
    service_period_start: date,
    service_period_end: date,
    agreed_net_amount: Decimal,
    description: str = "",
    vat_treatment: str = Project.VatTreatment.STANDARD,
    exemption_text: str = "",
    owner_employment: str = Collaboration.Employment.SELF_EMPLOYED,
    collaborators: Sequence[tuple[Membership, str]] = (),
) -> Project:
    """A member drafts a project (owner = the member); only they edit it until it is submitted."""
    _check_same(cooperative, actor, client)
    if actor.status != Membership.Status.ACTIVE:
        raise ApplicationError(_("Only active members can bring in projects."))
    project = Project(
        cooperative=cooperative,
        owner=actor,
        client=client,
        title=title,
        description=description,
        service_period_start=service_period_start,
        service_period_end=service_period_end,
        agreed_net_amount=agreed_net_amount,
        vat_treatment=vat_treatment,
        exemption_text=exemption_text,
        owner_employment=owner_employment,
        advisor=actor.advisor,
    )
    _validate_terms(cooperative, project)
    project.save()
    _set_collaborators(cooperative, project, collaborators)
    _history(project, actor, "", Status.DRAFT)
    audit_log(cooperative=cooperative, actor=actor.user, event="project.created", obj=project)
    return project


def _locked(cooperative: Cooperative, project: Project) -> Project:
    _check_same(cooperative, project)
    return locks.lock_project(Project, cooperative, project.pk)


@transaction.atomic
def participant_employment_set(
    *, cooperative: Cooperative, actor: Membership, project: Project, membership: Membership, employment: str
) -> Project:
    """How a participant (owner or collaborator) is paid from a project — set by staff, e.g. when payroll
    creates an employment (the payee becomes employed on the project). Audited; no other term changes."""
    _check_same(cooperative, actor, project, membership)
    if not capabilities.is_staff(actor):
        raise NotAllowed(_("Only advisors, finance staff and admins change how a person is paid."))
    if employment not in Collaboration.Employment.values:
        raise ApplicationError(_("Unknown employment %(value)s.") % {"value": employment})
    if membership.pk == project.owner_id:
        before = project.owner_employment
        Project.objects.for_cooperative(cooperative).filter(pk=project.pk).update(owner_employment=employment)
        project.owner_employment = employment
    else:
        collaboration = (
            Collaboration.objects.for_cooperative(cooperative)
            .filter(project=project, membership=membership)
            .first()
        )
        if collaboration is None:
            raise ApplicationError(_("This person does not work on this project."))
        before = collaboration.employment
        collaboration.employment = employment
        collaboration.save(update_fields=["employment"])
    if before != employment:
        audit_log(
            cooperative=cooperative,
            actor=actor.user,
            event="project.participant_employment",
            obj=project,
            data={"membership": membership.pk, "from": before, "to": employment},
        )
    return project


@transaction.atomic
def project_update(
    *,
    cooperative: Cooperative,
    actor: Membership,
    project: Project,
    collaborators: Sequence[tuple[Membership, str]] | None = None,
    **terms: Any,
) -> Project:
    """Only the owner edits, and only while draft or sent back for changes: approved terms are frozen."""
    _check_same(cooperative, actor)
    project = _locked(cooperative, project)
    if project.owner_id != actor.pk:
        raise ApplicationError(_("Only the project's owner can edit it."))
    if not project.is_editable:
        raise ApplicationError(
            _("This project is %(status)s: it cannot be edited; its terms change only through a new review.")
            % {"status": status_in_sentence(project.get_status_display())},
            conflict=True,
        )
    for key, value in terms.items():
        if key not in TERMS_FIELDS:
            raise ApplicationError(_("%(field)s cannot be changed here.") % {"field": key})
        setattr(project, key, value)
    _validate_terms(cooperative, project)
    project.save()
    if collaborators is not None:
        _set_collaborators(cooperative, project, collaborators)
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="project.updated",
        obj=project,
        data={"fields": sorted(terms)},
    )
    return project


# (action) -> (statuses it starts from, status it leads to, who may do it, comment required)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str, bool]] = {
    "submit": ((Status.DRAFT, Status.CHANGES_REQUESTED), Status.SUBMITTED, "owner", False),
    "approve": ((Status.SUBMITTED,), Status.APPROVED, "reviewer", False),
    "reject": ((Status.SUBMITTED,), Status.REJECTED, "reviewer", True),
    "request_changes": ((Status.SUBMITTED,), Status.CHANGES_REQUESTED, "reviewer", True),
    "close": ((Status.APPROVED,), Status.CLOSED, "owner_or_reviewer", False),
}


@transaction.atomic
def project_transition(
    *, cooperative: Cooperative, actor: Membership, project: Project, action: str, comment: str = ""
) -> Project:
    """Move a project along its review workflow, with a history row (who, when, comment) and an audit row."""
    _check_same(cooperative, actor)
    if action not in TRANSITIONS:
        raise ApplicationError(_("Unknown action %(action)s.") % {"action": action})
    sources, target, who, needs_comment = TRANSITIONS[action]
    project = _locked(cooperative, project)
    is_owner = project.owner_id == actor.pk
    # Four eyes: nobody reviews their own project.
    is_reviewer = capabilities.can_review_project(actor) and not is_owner
    allowed = {"owner": is_owner, "reviewer": is_reviewer, "owner_or_reviewer": is_owner or is_reviewer}[who]
    if not allowed:
        raise ApplicationError(_("You may not %(action)s this project.") % {"action": _ACTION_NAME[action]})
    if project.status not in sources:
        raise ApplicationError(
            _("This project is %(status)s: it cannot be %(action)s.")
            % {"status": status_in_sentence(project.get_status_display()), "action": _ACTION_PAST[action]},
            details={"status": project.status},
            conflict=True,
        )
    if needs_comment and not comment.strip():
        raise ApplicationError(_("Please say why, in a comment."), details={"comment": [_("Required.")]})
    has_contract = (
        Document.objects.for_cooperative(cooperative)
        .filter(project=project, kind=Document.Kind.CONTRACT)
        .exists()
    )
    if action == "submit" and not has_contract:
        message = _("Upload the signed contract first: a project is submitted for review with its contract.")
        raise ApplicationError(message, details={"documents": [message]})
    if action == "approve":
        if not has_contract:
            raise ApplicationError(
                _("A project cannot be approved without a contract document."), conflict=True
            )
        if project.advisor_id is None and actor.role == Membership.Role.ADVISOR:
            project.advisor = actor
        account_get(cooperative=cooperative, type=Account.Type.PROJECT_BUDGET, project=project)
    previous = project.status
    project.status = target
    project.save(update_fields=["status", "advisor", "updated_at"])
    history = _history(project, actor, previous, target, comment)
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event=f"project.{action}",
        obj=project,
        data={"from": previous, "to": target, "comment": comment},
    )
    notify_project_transition(
        cooperative=cooperative, project=project, action=action, history_id=history.pk, comment=comment
    )
    return project


_ACTION_PAST = {
    "submit": gettext_lazy("submitted"),
    "approve": gettext_lazy("approved"),
    "reject": gettext_lazy("rejected"),
    "request_changes": gettext_lazy("sent back for changes"),
    "close": gettext_lazy("closed"),
}
_ACTION_NAME = {
    "submit": gettext_lazy("submit"),
    "approve": gettext_lazy("approve"),
    "reject": gettext_lazy("reject"),
    "request_changes": gettext_lazy("ask for changes"),
    "close": gettext_lazy("close"),
}


def project_submit(*, cooperative: Cooperative, actor: Membership, project: Project) -> Project:
    return project_transition(cooperative=cooperative, actor=actor, project=project, action="submit")


def project_approve(
    *, cooperative: Cooperative, actor: Membership, project: Project, comment: str = ""
) -> Project:
    return project_transition(
        cooperative=cooperative, actor=actor, project=project, action="approve", comment=comment
    )


def project_reject(*, cooperative: Cooperative, actor: Membership, project: Project, comment: str) -> Project:
    return project_transition(
        cooperative=cooperative, actor=actor, project=project, action="reject", comment=comment
    )


def project_request_changes(
    *, cooperative: Cooperative, actor: Membership, project: Project, comment: str
) -> Project:
    return project_transition(
        cooperative=cooperative, actor=actor, project=project, action="request_changes", comment=comment
    )


def project_close(
    *, cooperative: Cooperative, actor: Membership, project: Project, comment: str = ""
) -> Project:
    return project_transition(
        cooperative=cooperative, actor=actor, project=project, action="close", comment=comment
    )


# --- documents ----------------------------------------------------------------------------------------


def _is_participant(cooperative: Cooperative, actor: Membership, project: Project) -> bool:
    if project.owner_id == actor.pk:
        return True
    return (
        Collaboration.objects.for_cooperative(cooperative).filter(project=project, membership=actor).exists()
    )


def _may_work_on(cooperative: Cooperative, actor: Membership, project: Project) -> bool:
    return is_staff(actor) or _is_participant(cooperative, actor, project)


def sniff_upload(upload: UploadedFile[Any]) -> tuple[str, bytes]:
    """Check size and real type (from the bytes, not the name); returns (content type, content)."""
    limit = settings.DOCUMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ApplicationError(
            _("The file is too large (%(size)s MB; at most %(limit)s MB).")
            % {"size": round(upload.size / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)},
            details={"file": [_("Too large.")]},
        )
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ApplicationError(
            _("The file is too large (at most %(limit)s MB).") % {"limit": round(limit / 1_048_576, 1)},
            details={"file": [_("Too large.")]},
        )
    if not content:
        raise ApplicationError(_("The file is empty."), details={"file": [_("Empty file.")]})
    kind = filetype.guess(content)
    mime = kind.mime if kind is not None else "unknown"
    if mime not in ALLOWED_DOCUMENT_TYPES:
        raise ApplicationError(
            _(
                "Only PDF, PNG and JPEG files are accepted; this file's content is %(mime)s, "
                "whatever its name says."
            )
            % {"mime": mime},
            details={"file": [_("Not a PDF, PNG or JPEG file.")]},
        )
    if mime.startswith("image/"):
        _check_image_pixels(content)
    return mime, content


def _check_image_pixels(content: bytes) -> None:
    """Refuse images above UPLOAD_MAX_IMAGE_PIXELS: a few kB of PNG can unpack to gigabytes (a
    decompression bomb) wherever the image is opened later (previews, PDFs)."""
    limit = settings.UPLOAD_MAX_IMAGE_PIXELS
    # Pillow's own bomb check, set explicitly: it warns above the limit and raises above twice the limit.
    Image.MAX_IMAGE_PIXELS = limit
    too_large = ApplicationError(
        _("The image is too large (at most %(limit)s megapixels).") % {"limit": round(limit / 1_000_000)},
        details={"file": [_("Too many pixels.")]},
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large from exc
    except Exception as exc:
        raise ApplicationError(
            _("The image cannot be read."), details={"file": [_("Not a readable image.")]}
        ) from exc
    if width * height > limit:
        raise too_large


def served_name(name: str, content_type: str) -> str:
    """A file's name with the extension of its sniffed type: `evil.html` holding a PDF is `evil.pdf`."""
    stem = PurePath(name or "document").stem[:240] or "document"
    return stem + ALLOWED_DOCUMENT_TYPES.get(content_type, ".bin")


@transaction.atomic
def document_upload(
    *, cooperative: Cooperative, actor: Membership, project: Project, kind: str, upload: UploadedFile[Any]
) -> Document:
    """Store a contract, receipt or other file privately (never under a public URL)."""
    _check_same(cooperative, actor, project)
    if not _may_work_on(cooperative, actor, project):
        raise Project.DoesNotExist()
    if kind not in Document.Kind.values:
        raise ApplicationError(
            _("Unknown document kind %(kind)s.") % {"kind": kind},
            details={"kind": [_("Choose contract, receipt or other.")]},
        )
    if project.status in (Status.REJECTED, Status.CLOSED):
        raise ApplicationError(
            _("This project is %(status)s: it takes no more documents.")
            % {"status": status_in_sentence(project.get_status_display())},
            conflict=True,
        )
    mime, content = sniff_upload(upload)
    # The name keeps the uploader's stem, the extension follows the content (never `.html` for a PDF).
    original = served_name(PurePath(upload.name or "document").name, mime)
    document = Document(
        cooperative=cooperative,
        project=project,
        kind=kind,
        original_name=original,
        content_type=mime,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor.user,
    )
    document.file.save("upload" + ALLOWED_DOCUMENT_TYPES[mime], ContentFile(content), save=False)
    stored_name = document.file.name
    try:
        document.save()
    except Exception:
        document.file.storage.delete(str(stored_name))
        raise
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="document.uploaded",
        obj=document,
        data={"kind": kind, "name": original, "sha256": document.sha256},
    )
    return document


# --- expenses -----------------------------------------------------------------------------------------


def _amount(value: Any, field: str) -> Decimal:
    try:
        amount = quantize_money(value)
    except (TypeError, ValueError) as exc:
        raise ApplicationError(
            _("%(value)s is not an amount of money.") % {"value": value},
            details={field: [_("Not an amount.")]},
        ) from exc
    return amount


@transaction.atomic
def expense_submit(
    *,
    cooperative: Cooperative,
    actor: Membership,
    project: Project,
    amount: Decimal,
    vat_amount: Decimal,
    date: date,
    description: str,
    receipt: Document | None = None,
    receipt_upload: UploadedFile[Any] | None = None,
) -> Expense:
    """A member claims an expense paid for the project; it must fit the available budget."""
    _check_same(cooperative, actor, project, receipt)
    project = _locked(cooperative, project)  # one claim at a time per project: no overspending by racing
    if not _is_participant(cooperative, actor, project):
        if is_staff(actor):
            raise ApplicationError(_("Only the project's owner and collaborators claim expenses."))
        raise Project.DoesNotExist()
    if project.status != Status.APPROVED:
        raise ApplicationError(_("Expenses can only be claimed on approved projects."), conflict=True)
    amount, vat_amount = _amount(amount, "amount"), _amount(vat_amount, "vat_amount")
    if amount <= 0:
        raise ApplicationError(_("The amount must be positive."), details={"amount": [_("Must be above 0.")]})
    if vat_amount < 0 or vat_amount > amount:
        raise ApplicationError(
            _("The VAT must be between 0 and the amount."),
            details={"vat_amount": [_("Between 0 and the amount.")]},
        )
    if not description.strip():
        raise ApplicationError(_("Describe the expense."), details={"description": [_("Required.")]})
    if date > timezone.localdate():
        raise ApplicationError(
            _("An expense cannot be dated in the future."), details={"date": [_("In the future.")]}
        )
    available = project_budget_figures(cooperative=cooperative, project=project).budget_available
    if amount > available:
        raise ApplicationError(
            _("The expense (%(amount)s) is more than the available budget (%(available)s).")
            % {"amount": amount, "available": quantize_money(available)},
            details={"amount": [_("Above the available budget.")]},
            conflict=True,
        )
    if receipt is None and receipt_upload is not None:
        receipt = document_upload(
            cooperative=cooperative,
            actor=actor,
            project=project,
            kind=Document.Kind.RECEIPT,
            upload=receipt_upload,
        )
    if receipt is None:
        raise ApplicationError(_("Attach the receipt."), details={"receipt": [_("Required.")]})
    if receipt.project_id != project.pk:
        raise Document.DoesNotExist()
    expense = Expense.objects.create(
        cooperative=cooperative,
        project=project,
        submitted_by=actor,
        amount=amount,
        vat_amount=vat_amount,
        date=date,
        description=description.strip(),
        receipt=receipt,
    )
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="expense.submitted",
        obj=expense,
        data={"amount": str(amount), "project": project.pk},
    )
    return expense


@transaction.atomic
def expense_approve(
    *,
    cooperative: Cooperative,
    actor: Membership,
    expense: Expense,
    comment: str = "",
    vat_deductible: bool = False,
    receipt_addressed_to_cooperative: bool = False,
) -> Expense:
    """Staff approve a claim: the budget pays it (budget → the submitter's payouts payable sub-account); a
    payout run pays the member (the payout item comes from `expense_approved_hooks`).

    Finance may mark the receipt's VAT deductible — only when the receipt names the cooperative or is a
    small-amount invoice (`SMALL_AMOUNT_INVOICE_LIMIT`): the budget then carries gross − VAT, the VAT goes to
    input VAT. Idempotent per expense (ledger key `expense:<id>:approved`); refuses if the budget no longer
    covers it.
    """
    _check_same(cooperative, actor, expense)
    if not capabilities.can_approve_expense(actor):
        raise NotAllowed(_("Only advisors and finance staff approve expenses."))
    project, expense = locks.lock_project_and_child(
        locks.EXPENSE, Project, Expense, cooperative, project_id=expense.project_id, child_id=expense.pk
    )
    if expense.status != Expense.Status.SUBMITTED:
        raise ApplicationError(
            _("This expense is already %(status)s.")
            % {"status": status_in_sentence(expense.get_status_display())},
            conflict=True,
        )
    if expense.submitted_by_id == actor.pk:
        raise ApplicationError(_("Nobody approves their own expense."))
    deductible = _deductible_vat(
        cooperative, actor, expense, vat_deductible=vat_deductible, addressed=receipt_addressed_to_cooperative
    )
    figures = project_budget_figures(cooperative=cooperative, project=project)
    # This claim is among the pending ones; what else is pending must stay covered too.
    if figures.budget_available < 0:
        raise ApplicationError(_("The budget no longer covers this expense."), conflict=True)
    entry, _created = journal_post(
        cooperative=cooperative,
        idempotency_key=f"expense:{expense.pk}:approved",
        date=timezone.localdate(),
        description=f"Expense: {expense.description}",
        postings=[
            Posting(
                account_get(cooperative=cooperative, type=Account.Type.PROJECT_BUDGET, project=project),
                debit=expense.amount - deductible,
                kind=JournalLine.Kind.EXPENSE,
                description=expense.description,
                event=JournalLine.Event.EXPENSE,
                reference=expense.description,
            ),
            *(
                [
                    Posting(
                        account_get(cooperative=cooperative, type="input_vat"),
                        debit=deductible,
                        kind=JournalLine.Kind.EXPENSE,
                        description=expense.description,
                        project=project,
                        event=JournalLine.Event.EXPENSE,
                        reference=expense.description,
                    )
                ]
                if deductible
                else []
            ),
            Posting(
                # The payee's own sub-account: what the cooperative owes this person.
                account_get(
                    cooperative=cooperative, type=Account.Type.PAYOUTS_PAYABLE, payee=expense.submitted_by
                ),
                credit=expense.amount,
                kind=JournalLine.Kind.EXPENSE,
                description=expense.description,
                project=project,
                event=JournalLine.Event.EXPENSE,
                reference=expense.description,
            ),
        ],
        source=expense,
        actor=actor.user,
    )
    expense.status = Expense.Status.APPROVED
    expense.decided_by, expense.decided_at, expense.decision_comment = actor.user, timezone.now(), comment
    expense.journal_entry = entry
    expense.vat_deductible = bool(deductible)
    expense.receipt_addressed_to_cooperative = receipt_addressed_to_cooperative
    expense.save()
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="expense.approved",
        obj=expense,
        data={"amount": str(expense.amount), "deductible_vat": str(deductible)},
    )
    for hook in expense_approved_hooks:
        hook(cooperative=cooperative, actor=actor, expense=expense)
    notify_expense_decided(cooperative=cooperative, expense=expense, approved=True, comment=comment)
    return expense


def _deductible_vat(
    cooperative: Cooperative, actor: Membership, expense: Expense, *, vat_deductible: bool, addressed: bool
) -> Decimal:
    """The receipt's VAT the cooperative may deduct as input VAT (0 unless finance marks it so).

    Input VAT needs an invoice to the cooperative (§ 12 Abs. 1 Z 1 with § 11 UStG 1994); a small-amount
    invoice need not name the recipient (§ 11 Abs. 6 UStG 1994: up to € 400; DE § 33 UStDV: € 250).
    """
    if not vat_deductible:
        return ZERO
    if not capabilities.can_handle_money(actor):
        raise NotAllowed(_("Only finance staff and admins mark an expense's VAT as deductible."))
    if expense.vat_amount <= 0:
        raise ApplicationError(
            _("This receipt shows no VAT to deduct."),
            details={"vat_deductible": [_("No VAT on the receipt.")]},
        )
    limit = SMALL_AMOUNT_INVOICE_LIMIT.get(cooperative.country)
    if not addressed and (limit is None or expense.amount > limit):
        raise ApplicationError(
            _(
                "The VAT is deductible only when the receipt is addressed to the cooperative or its total is "
                "at most %(limit)s %(currency)s (small-amount invoice)."
            )
            % {"limit": limit or ZERO, "currency": cooperative.currency},
            details={"vat_deductible": [_("Receipt not addressed to the cooperative.")]},
        )
    return quantize_money(expense.vat_amount)


@transaction.atomic
def expense_reject(*, cooperative: Cooperative, actor: Membership, expense: Expense, comment: str) -> Expense:
    _check_same(cooperative, actor, expense)
    if not capabilities.can_approve_expense(actor):
        raise NotAllowed(_("Only advisors and finance staff decide on expenses."))
    if not comment.strip():
        raise ApplicationError(_("Please say why, in a comment."), details={"comment": [_("Required.")]})
    expense = locks.lock_expense(Expense, cooperative, expense.pk)
    if expense.status != Expense.Status.SUBMITTED:
        raise ApplicationError(_("This expense is already decided."), conflict=True)
    expense.status = Expense.Status.REJECTED
    expense.decided_by, expense.decided_at, expense.decision_comment = actor.user, timezone.now(), comment
    expense.save()
    audit_log(
        cooperative=cooperative,
        actor=actor.user,
        event="expense.rejected",
        obj=expense,
        data={"comment": comment},
    )
    notify_expense_decided(cooperative=cooperative, expense=expense, approved=False, comment=comment)
    return expense
