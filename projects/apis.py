"""The projects REST API: clients, projects and their review, documents, expenses and the budget.

Each view parses input, calls one service or selector, and presents the result. Every object is looked
up through a selector with the request's cooperative and membership, before any role check, so an
object the person may not see answers 404 (never 403: no existence leak).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.selectors import membership_get
from projects.budget import Budget, project_budget
from projects.listing import project_list_page
from projects.models import Client, Document, Project
from projects.selectors import (
    client_get,
    client_list,
    document_list,
    expense_get,
    expense_list,
    project_detail,
    project_get,
)
from projects.serializers import (
    BudgetLineOutputSerializer,
    BudgetOutputSerializer,
    ClientInputSerializer,
    ClientOutputSerializer,
    CommentInputSerializer,
    DocumentInputSerializer,
    DocumentOutputSerializer,
    ExpenseApproveInputSerializer,
    ExpenseInputSerializer,
    ExpenseOutputSerializer,
    ProjectDetailOutputSerializer,
    ProjectInputSerializer,
    ProjectOutputSerializer,
    RequiredCommentInputSerializer,
    budget_next_url,
)
from projects.services import (
    client_create,
    document_upload,
    expense_approve,
    expense_reject,
    expense_submit,
    project_create,
    project_submit,
    project_transition,
    project_update,
)
from smartprod.core.api import (
    PAGE_PARAMETERS,
    CooperativeMixin,
    IsAdvisor,
    IsStaffRole,
    page_of,
    paginated,
    parse,
    require_permission,
)
from smartprod.core.errors import ApplicationError
from smartprod.core.pagination import Pagination
from smartprod.core.parsers import JSONParser  # the depth limit and the text check
from smartprod.core.rows import check_shape, decimal_converter
from smartprod.tenancy.models import Membership

MULTIPART_OR_JSON = ("multipart/form-data", "application/json")


# --- helpers: parse, look up what a body refers to, present --------------------------------------


def _unknown(field: str, message: str) -> ApplicationError:
    # An id in a request body that the person cannot see is a wrong input (400), not a missing page.
    return ApplicationError(message, details={field: [message]})


def _client_of(cooperative: Any, client_id: int, membership: Any = None) -> Client:
    try:
        return client_get(cooperative=cooperative, client_id=client_id, membership=membership)
    except Client.DoesNotExist:
        raise _unknown("client", _("There is no client %(id)s.") % {"id": client_id}) from None


def _collaborators_of(cooperative: Any, rows: list[dict[str, Any]]) -> list[tuple[Membership, str]]:
    resolved = []
    for row in rows:
        try:
            membership = membership_get(cooperative=cooperative, membership_id=row["membership"])
        except Membership.DoesNotExist:
            raise _unknown(
                "collaborators", _("There is no member %(id)s.") % {"id": row["membership"]}
            ) from None
        resolved.append((membership, row["employment"]))
    return resolved


class ProjectApi(APIView, CooperativeMixin):
    def get_project(self, project_id: int) -> Project:
        return project_get(cooperative=self.cooperative, membership=self.membership, project_id=project_id)

    def present(self, project: Project, code: int = status.HTTP_200_OK) -> Response:
        detail = project_detail(
            cooperative=self.cooperative, membership=self.membership, project_id=project.pk
        )
        return Response(ProjectDetailOutputSerializer(detail).data, status=code)


# --- clients -------------------------------------------------------------------------------------


class ClientListCreateApi(APIView, CooperativeMixin):
    @extend_schema(
        operation_id="clients_list",
        tags=["clients"],
        parameters=PAGE_PARAMETERS,
        responses=page_of("ClientPage", ClientOutputSerializer),
    )
    def get(self, request: Request) -> Response:
        return paginated(
            request,
            self,
            client_list(cooperative=self.cooperative, membership=self.membership),
            ClientOutputSerializer,
        )

    @extend_schema(tags=["clients"], request=ClientInputSerializer, responses={201: ClientOutputSerializer})
    def post(self, request: Request) -> Response:
        data = parse(ClientInputSerializer, request.data)
        client = client_create(cooperative=self.cooperative, actor=self.membership, **data)
        return Response(ClientOutputSerializer(client).data, status=status.HTTP_201_CREATED)


# --- projects ------------------------------------------------------------------------------------


class ProjectListCreateApi(ProjectApi):
    parser_classes = [JSONParser]  # collaborators are a nested list: JSON only

    @extend_schema(
        operation_id="projects_list",
        tags=["projects"],
        parameters=PAGE_PARAMETERS,
        responses=page_of("ProjectPage", ProjectOutputSerializer),  # the same shape as the list's rows
        description="A member sees the projects they own or collaborate on; staff the cooperative's.",
    )
    def get(self, request: Request) -> Response:
        # Read as values (projects.listing): the same JSON as ProjectListOutputSerializer, a tenth the cost.
        return project_list_page(request, cooperative=self.cooperative, membership=self.membership)

    @extend_schema(
        tags=["projects"], request=ProjectInputSerializer, responses={201: ProjectDetailOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = parse(ProjectInputSerializer, request.data)
        project = project_create(
            cooperative=self.cooperative,
            actor=self.membership,
            client=_client_of(self.cooperative, data.pop("client"), self.membership),
            collaborators=_collaborators_of(self.cooperative, data.pop("collaborators", [])),
            **data,
        )
        return self.present(project, status.HTTP_201_CREATED)


class ProjectDetailApi(ProjectApi):
    parser_classes = [JSONParser]

    @extend_schema(tags=["projects"], responses=ProjectDetailOutputSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        return self.present(self.get_project(project_id))

    @extend_schema(
        tags=["projects"],
        request=ProjectInputSerializer(partial=True),
        responses=ProjectDetailOutputSerializer,
        description="Only the owner, only while draft or sent back for changes. Send only what changes; "
        "`collaborators`, when sent, replaces the list.",
    )
    def patch(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        terms = parse(ProjectInputSerializer, request.data, partial=True)
        collaborators = (
            _collaborators_of(self.cooperative, terms.pop("collaborators"))
            if "collaborators" in terms
            else None
        )
        if "client" in terms:
            terms["client"] = _client_of(self.cooperative, terms["client"], self.membership)
        project = project_update(
            cooperative=self.cooperative,
            actor=self.membership,
            project=project,
            collaborators=collaborators,
            **terms,
        )
        return self.present(project)


class ProjectSubmitApi(ProjectApi):
    @extend_schema(tags=["project review"], request=None, responses=ProjectDetailOutputSerializer)
    def post(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        project = project_submit(cooperative=self.cooperative, actor=self.membership, project=project)
        return self.present(project)


class _ProjectReviewApi(ProjectApi):
    """An advisor's review decision; subclasses name the workflow action and whether a comment is required."""

    action: str
    input_serializer: type[serializers.Serializer[Any]] = CommentInputSerializer

    def post(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        require_permission(request, self, IsAdvisor)
        data = parse(self.input_serializer, request.data)
        project = project_transition(
            cooperative=self.cooperative,
            actor=self.membership,
            project=project,
            action=self.action,
            comment=data["comment"],
        )
        return self.present(project)


def _review_schema(serializer: type[serializers.Serializer[Any]]) -> Any:
    return extend_schema_view(
        post=extend_schema(
            tags=["project review"], request=serializer, responses=ProjectDetailOutputSerializer
        )
    )


@_review_schema(CommentInputSerializer)
class ProjectApproveApi(_ProjectReviewApi):
    action = "approve"


@_review_schema(RequiredCommentInputSerializer)
class ProjectRejectApi(_ProjectReviewApi):
    action = "reject"
    input_serializer = RequiredCommentInputSerializer


@_review_schema(RequiredCommentInputSerializer)
class ProjectRequestChangesApi(_ProjectReviewApi):
    action = "request_changes"
    input_serializer = RequiredCommentInputSerializer


# --- documents -----------------------------------------------------------------------------------


class ProjectDocumentListCreateApi(ProjectApi):
    @extend_schema(
        operation_id="project_documents_list",
        tags=["documents"],
        parameters=PAGE_PARAMETERS,
        responses=page_of("DocumentPage", DocumentOutputSerializer),
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        documents = document_list(cooperative=self.cooperative, project=project)
        return paginated(request, self, documents, DocumentOutputSerializer)

    @extend_schema(
        tags=["documents"],
        request={"multipart/form-data": DocumentInputSerializer},
        responses={201: DocumentOutputSerializer},
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        data = parse(DocumentInputSerializer, request.data)
        document = document_upload(
            cooperative=self.cooperative,
            actor=self.membership,
            project=project,
            kind=data["kind"],
            upload=data["file"],
        )
        return Response(DocumentOutputSerializer(document).data, status=status.HTTP_201_CREATED)


# --- expenses ------------------------------------------------------------------------------------


class ProjectExpenseListCreateApi(ProjectApi):
    @extend_schema(
        operation_id="project_expenses_list",
        tags=["expenses"],
        parameters=PAGE_PARAMETERS,
        responses=page_of("ExpensePage", ExpenseOutputSerializer),
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        expenses = expense_list(cooperative=self.cooperative, project=project).select_related(
            "submitted_by__user"
        )
        return paginated(request, self, expenses, ExpenseOutputSerializer)

    @extend_schema(
        tags=["expenses"],
        request=dict.fromkeys(MULTIPART_OR_JSON, ExpenseInputSerializer),
        responses={201: ExpenseOutputSerializer},
        description="Attach the receipt as a file (`receipt`, multipart) or name a document already "
        "uploaded to this project (`receipt_document`, JSON). The amount must fit the available budget.",
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        data = parse(ExpenseInputSerializer, request.data)
        receipt = None
        if "receipt_document" in data:
            try:
                receipt = document_list(cooperative=self.cooperative, project=project).get(
                    pk=data["receipt_document"]
                )
            except Document.DoesNotExist:
                raise _unknown(
                    "receipt_document",
                    _("This project has no document %(id)s.") % {"id": data["receipt_document"]},
                ) from None
        expense = expense_submit(
            cooperative=self.cooperative,
            actor=self.membership,
            project=project,
            amount=data["amount"],
            vat_amount=data["vat_amount"],
            date=data["date"],
            description=data["description"],
            receipt=receipt,
            receipt_upload=data.get("receipt"),
        )
        return Response(ExpenseOutputSerializer(expense).data, status=status.HTTP_201_CREATED)


class ExpenseApproveApi(APIView, CooperativeMixin):
    @extend_schema(
        tags=["expenses"],
        request=ExpenseApproveInputSerializer,
        responses=ExpenseOutputSerializer,
        description="Advisor, finance or admin. Only finance/admin may mark the receipt's VAT deductible.",
    )
    def post(self, request: Request, expense_id: int) -> Response:
        expense = expense_get(cooperative=self.cooperative, membership=self.membership, expense_id=expense_id)
        require_permission(request, self, IsStaffRole)
        data = parse(ExpenseApproveInputSerializer, request.data)
        expense = expense_approve(
            cooperative=self.cooperative,
            actor=self.membership,
            expense=expense,
            comment=data["comment"],
            vat_deductible=data["vat_deductible"],
            receipt_addressed_to_cooperative=data["receipt_addressed_to_cooperative"],
        )
        return Response(ExpenseOutputSerializer(expense).data)


class ExpenseRejectApi(APIView, CooperativeMixin):
    @extend_schema(
        tags=["expenses"], request=RequiredCommentInputSerializer, responses=ExpenseOutputSerializer
    )
    def post(self, request: Request, expense_id: int) -> Response:
        expense = expense_get(cooperative=self.cooperative, membership=self.membership, expense_id=expense_id)
        require_permission(request, self, IsStaffRole)
        data = parse(RequiredCommentInputSerializer, request.data)
        expense = expense_reject(
            cooperative=self.cooperative, actor=self.membership, expense=expense, comment=data["comment"]
        )
        return Response(ExpenseOutputSerializer(expense).data)


# --- budget --------------------------------------------------------------------------------------


class ProjectBudgetApi(ProjectApi):
    @extend_schema(
        tags=["budget"],
        responses=BudgetOutputSerializer,
        parameters=[
            OpenApiParameter("limit", int, description="Lines per page, 1..500 (default 100)"),
            OpenApiParameter("offset", int, description="Skip this many of the newest lines (from `next`)"),
        ],
    )
    def get(self, request: Request, project_id: int) -> Response:
        # The same bounds (and 400 answers) as every list's LimitOffset pagination.
        paging = Pagination()
        limit, offset = paging.get_limit(request), paging.get_offset(request)
        # Visible to this person (as `get_project`) — checked in the budget's one statement, else 404.
        budget = project_budget(
            cooperative=self.cooperative,
            project=project_id,
            limit=limit,
            offset=offset,
            visible_to=self.membership,
        )
        return Response(budget_data(budget, request))


def budget_data(budget: Budget, request: Request) -> dict[str, Any]:
    """`BudgetOutputSerializer`'s data, its page of lines presented by the lean rows (smartprod.core.rows:
    the same JSON, tests/test_projects_api.py compares the two) — DRF's per-field work for 100 lines was a
    tenth of the endpoint's time, and instantiating the serializer (a deep copy of its fields) per request
    another: the figures are shown by the fields of one instance per process."""
    fields = _budget_fields()
    data: dict[str, Any] = {}
    for name in _BUDGET_FIGURES:
        value = getattr(budget, name)
        data[name] = None if value is None else fields[name].to_representation(value)
    data["lines"] = budget.line_data(_line_money())
    data["next"] = budget_next_url(budget, request)
    return data


_BUDGET_FIGURES = ("currency", "balance", "receivable", "available", "pending")


@cache
def _line_money() -> Any:
    check_shape(
        BudgetLineOutputSerializer, ("date", "kind", "kind_label", "description", "amount", "balance")
    )
    amount = BudgetLineOutputSerializer().fields["amount"]  # the balance's field is the same
    assert isinstance(amount, serializers.DecimalField)
    return decimal_converter(amount)


@cache
def _budget_fields() -> Any:
    check_shape(
        BudgetOutputSerializer, (*_BUDGET_FIGURES, "lines", "next")
    )  # the serializer's keys, in order
    return BudgetOutputSerializer().fields
