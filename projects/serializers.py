"""The projects API's shapes: input serializers check the shape of a request, output serializers present.

No business rule lives here: what may be created, changed or approved is decided by projects.services.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django_countries.serializer_fields import CountryField
from rest_framework import serializers
from rest_framework.utils.urls import replace_query_param

from projects.models import Client, Collaboration, Document, Expense, Project, ProjectStatusChange
from smartprod.core.serializers import BusinessDateField, MoneyField, UploadField
from smartprod.core.validators import NOTE_MAX_LENGTH
from smartprod.tenancy.models import Membership


def document_download_url(document_id: int) -> str:
    """The access-checked download page (projects.urls), never a public storage URL."""
    return f"/documents/{document_id}/download/"


class CommentInputSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)


class ExpenseApproveInputSerializer(CommentInputSerializer):
    vat_deductible = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Finance/admin: deduct the receipt's VAT as input VAT (receipt addressed to the "
        "cooperative, or a small-amount invoice: AT ≤ € 400, DE ≤ € 250).",
    )
    receipt_addressed_to_cooperative = serializers.BooleanField(required=False, default=False)


class RequiredCommentInputSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(
        allow_blank=True, max_length=NOTE_MAX_LENGTH, help_text="Why; the member sees it."
    )


class PersonSerializer(serializers.Serializer[Membership]):
    id = serializers.IntegerField()
    name: serializers.StringRelatedField[Any] = serializers.StringRelatedField(source="user")


# --- clients -------------------------------------------------------------------------------------------


class ClientInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Client.Kind.choices, required=False)
    street = serializers.CharField(max_length=200)
    postcode = serializers.CharField(max_length=20)
    city = serializers.CharField(max_length=100)
    country = CountryField(required=False, help_text="ISO 3166-1 alpha-2 code, e.g. AT")  # type: ignore[no-untyped-call]
    email = serializers.EmailField(required=False, allow_blank=True)
    vat_id = serializers.CharField(max_length=20, required=False, allow_blank=True)
    order_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    buyer_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    reminder_fees_agreed = serializers.BooleanField(
        required=False, help_text="Consumers only: reminder fees were agreed in the contract."
    )
    public_sector = serializers.BooleanField(
        required=False,
        help_text="A public body: AT → ebInterface via e-rechnung.gv.at (needs order_reference and "
        "supplier_number), DE → XRechnung (needs buyer_reference = Leitweg-ID).",
    )
    supplier_number = serializers.CharField(max_length=35, required=False, allow_blank=True)


class ClientOutputSerializer(serializers.Serializer[Client]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    street = serializers.CharField()
    postcode = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    email = serializers.CharField()
    vat_id = serializers.CharField()
    order_reference = serializers.CharField()
    buyer_reference = serializers.CharField()
    reminder_fees_agreed = serializers.BooleanField()
    public_sector = serializers.BooleanField()
    supplier_number = serializers.CharField()
    created_at = serializers.DateTimeField()


class ClientRefSerializer(serializers.Serializer[Client]):
    id = serializers.IntegerField()
    name = serializers.CharField()


# --- projects ------------------------------------------------------------------------------------------


class CollaboratorInputSerializer(serializers.Serializer[Any]):
    membership = serializers.IntegerField(min_value=1)
    employment = serializers.ChoiceField(choices=Collaboration.Employment.choices)


class ProjectInputSerializer(serializers.Serializer[Any]):
    """Create (all terms) or, with partial=True, PATCH (only the terms sent)."""

    client = serializers.IntegerField(min_value=1, help_text="id of one of the cooperative's clients")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)
    service_period_start = BusinessDateField()
    service_period_end = BusinessDateField()
    agreed_net_amount = MoneyField()
    vat_treatment = serializers.ChoiceField(choices=Project.VatTreatment.choices, required=False)
    exemption_text = serializers.CharField(max_length=300, required=False, allow_blank=True)
    owner_employment = serializers.ChoiceField(
        choices=Collaboration.Employment.choices,
        required=False,
        help_text="How the owner is paid from this project (default self_employed).",
    )
    collaborators = CollaboratorInputSerializer(many=True, required=False)


class CollaboratorOutputSerializer(serializers.Serializer[Collaboration]):
    membership = serializers.IntegerField(source="membership_id")
    name: serializers.StringRelatedField[Any] = serializers.StringRelatedField(source="membership.user")
    employment = serializers.CharField()


class ProjectOutputSerializer(serializers.Serializer[Project]):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    client = ClientRefSerializer()
    owner = PersonSerializer()
    advisor = PersonSerializer(allow_null=True)
    title = serializers.CharField()
    description = serializers.CharField()
    service_period_start = serializers.DateField()
    service_period_end = serializers.DateField()
    agreed_net_amount = MoneyField()
    vat_treatment = serializers.CharField()
    exemption_text = serializers.CharField()
    owner_employment = serializers.CharField()
    collaborators = CollaboratorOutputSerializer(source="collaborations.all", many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ProjectListOutputSerializer(ProjectOutputSerializer):
    """The list's shape is the same; its collaborators come from a plain list prefetched for the page
    (`to_attr`): Django builds a filtered queryset per row for a prefetch kept on the manager."""

    collaborators = CollaboratorOutputSerializer(source="collaborator_list", many=True)


class StatusChangeOutputSerializer(serializers.Serializer[ProjectStatusChange]):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class ProjectDetailOutputSerializer(ProjectOutputSerializer):
    history = StatusChangeOutputSerializer(source="history.all", many=True)


# --- documents -----------------------------------------------------------------------------------------


class DocumentInputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Document.Kind.choices)
    file = UploadField(help_text="PDF, PNG or JPEG; the type is read from the content")


class DocumentOutputSerializer(serializers.Serializer[Document]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, document: Document) -> str:
        return document_download_url(document.pk)


# --- expenses ------------------------------------------------------------------------------------------


class ExpenseInputSerializer(serializers.Serializer[Any]):
    amount = MoneyField(help_text='Incl. VAT, e.g. "49.90"')
    vat_amount = MoneyField(required=False, default=Decimal("0.00"), help_text="Of which VAT")
    date = BusinessDateField()
    description = serializers.CharField(max_length=300)
    receipt = UploadField(required=False, help_text="The receipt (multipart)")
    receipt_document = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Or: the id of a document already uploaded to this project (JSON requests)",
    )


class ReceiptRefSerializer(serializers.Serializer[Document]):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, document: Document) -> str:
        return document_download_url(document.pk)


class ExpenseOutputSerializer(serializers.Serializer[Expense]):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    submitted_by = PersonSerializer()
    amount = MoneyField()
    vat_amount = MoneyField()
    vat_deductible = serializers.BooleanField()
    date = serializers.DateField()
    description = serializers.CharField()
    receipt = ReceiptRefSerializer(allow_null=True)
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_comment = serializers.CharField()


# --- budget --------------------------------------------------------------------------------------------


class BudgetLineOutputSerializer(serializers.Serializer[Any]):
    date = serializers.DateField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    description = serializers.CharField()
    amount = MoneyField(min_value=None, help_text="Positive: into the budget; negative: out of it")
    balance = MoneyField(min_value=None, help_text="The running balance after this line")


class BudgetOutputSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    balance = MoneyField(min_value=None)
    receivable = MoneyField(min_value=None, help_text="Invoiced to clients and not yet paid")
    available = MoneyField(min_value=None, help_text="Balance minus payouts requested and not yet booked")
    pending = MoneyField(min_value=None, help_text="Payouts requested and not yet booked")
    lines = BudgetLineOutputSerializer(
        many=True, help_text="The newest page of lines (`limit`, default 100), oldest first within the page"
    )
    next = serializers.SerializerMethodField(help_text="URL of the page of older lines, or null")

    def get_next(self, budget: Any) -> str | None:
        return budget_next_url(budget, self.context["request"])


def budget_next_url(budget: Any, request: Any) -> str | None:
    """The URL of the page of older lines (this request's, with offset and limit), or None."""
    if budget.older_offset is None:
        return None
    url: str = replace_query_param(request.build_absolute_uri(), "offset", budget.older_offset)
    return replace_query_param(url, "limit", budget.limit)
