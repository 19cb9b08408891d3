"""The fee note and payout REST API.

Each view parses input, calls one service or selector, and presents the result. Fee notes and projects are
looked up through the person's visible ones first (payroll.selectors, projects.selectors), so another
cooperative's or another member's answers 404 — never 403, which would tell them it exists. Finance and
admin need two-factor authentication (as for invoices).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payroll.documents import fee_note_pdf_bytes
from payroll.models import Employment, FeeNote, PayoutItem
from payroll.selectors.employments import parse_month
from payroll.selectors.fees import fee_note_get, pay_options, payout_item_list_visible
from payroll.serializers import (
    FeeNoteInputSerializer,
    FeeNoteObjectionInputSerializer,
    FeeNoteOutputSerializer,
    FeeNoteRejectInputSerializer,
    PayOptionsOutputSerializer,
    PayoutItemOutputSerializer,
)
from payroll.services import fees
from projects.models import Project
from projects.selectors import project_get
from smartprod.core import capabilities
from smartprod.core.api import (
    PAGE_PARAMETERS,
    CooperativeMixin,
    IsStaffRole,
    page_of,
    paginated,
    parse,
    require_permission,
)
from smartprod.core.errors import ApplicationError
from smartprod.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from smartprod.core.idempotency import IdempotentRequest, idempotency_key_parse
from smartprod.core.parsers import JSONParser  # the depth limit and the text check
from smartprod.tenancy.models import Membership


class FeeNoteApi(APIView, CooperativeMixin):
    def get_fee_note(self, fee_note_id: int) -> FeeNote:
        return fee_note_get(cooperative=self.cooperative, membership=self.membership, fee_note_id=fee_note_id)

    def get_project(self, project_id: int) -> Project:
        return project_get(cooperative=self.cooperative, membership=self.membership, project_id=project_id)

    def payee_for(self, project: Project, payee_id: int) -> Membership:
        """The payee asked about: oneself, or — for the project's owner and staff — anybody of the cooperative
        (the service checks that they work on the project). Anyone else's id answers 404."""
        if payee_id == self.membership.pk:
            return self.membership
        if project.owner_id != self.membership.pk and not capabilities.is_staff(self.membership):
            raise Membership.DoesNotExist()
        return Membership.objects.for_cooperative(self.cooperative).select_related("user").get(pk=payee_id)

    def require_two_factor(self, request: Request) -> None:
        if capabilities.is_staff(self.membership):
            require_permission(request, self, IsStaffRole)  # two-factor for finance and admin

    def present(self, fee_note: FeeNote, code: int = status.HTTP_200_OK) -> Response:
        return Response(FeeNoteOutputSerializer(fee_note).data, status=code)


class ProjectFeeNoteListCreateApi(FeeNoteApi):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="project_fee_notes_list",
        tags=["fee notes"],
        parameters=PAGE_PARAMETERS,
        responses=page_of("FeeNotePage", FeeNoteOutputSerializer),
        description="Who: the project's owner and staff see all its fee notes; a collaborator their own.",
    )
    def get(self, request: Request, project_id: int) -> Response:
        from payroll.selectors.fees import fee_note_list_visible

        project = self.get_project(project_id)
        notes = fee_note_list_visible(cooperative=self.cooperative, membership=self.membership)
        return paginated(request, self, notes.filter(project=project), FeeNoteOutputSerializer)

    @extend_schema(
        operation_id="project_fee_notes_create",
        tags=["fee notes"],
        request=FeeNoteInputSerializer,
        responses={201: FeeNoteOutputSerializer},
        description="Who: the payee (self-employed on the project), the project's owner for a collaborator, "
        "or staff. The payee needs an accepted self-billing agreement. 400 when the net is more than the "
        "project's available budget (the message says how much is available); 409 when the project is not "
        "approved. Send an `Idempotency-Key` header to make retries safe: the same key and body answer 201 "
        "with the same fee note; the same key with another body answers 409.",
        parameters=[OpenApiParameter(IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER)],
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        data = parse(FeeNoteInputSerializer, request.data)
        try:
            payee = self.payee_for(project, data.pop("payee"))
        except Membership.DoesNotExist:
            message = _("There is no such payee on this project.")
            raise ApplicationError(message, details={"payee": [message]}) from None
        self.require_two_factor(request)
        key = idempotency_key_parse(request.headers.get(IDEMPOTENCY_HEADER))
        note = fees.fee_note_request(
            cooperative=self.cooperative,
            actor=self.membership,
            project=project,
            payee=payee,
            idempotent=IdempotentRequest(key, {"project": project.pk, "payee": payee.pk, **data})
            if key is not None
            else None,
            **data,
        )
        return self.present(note, status.HTTP_201_CREATED)


class FeeNoteDetailApi(FeeNoteApi):
    @extend_schema(
        tags=["fee notes"],
        responses=FeeNoteOutputSerializer,
        description="Who: the payee, the project's owner, staff (advisor, finance, admin).",
    )
    def get(self, request: Request, fee_note_id: int) -> Response:
        return self.present(self.get_fee_note(fee_note_id))


class FeeNotePdfApi(FeeNoteApi):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["fee notes"],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the fee note PDF"),
            409: OpenApiResponse(description="not approved yet: no document"),
        },
        description="Who: the payee, the project's owner, staff. The self-billed document (Gutschrift).",
    )
    def get(self, request: Request, fee_note_id: int) -> HttpResponse:
        note = self.get_fee_note(fee_note_id)
        content = fee_note_pdf_bytes(cooperative=self.cooperative, fee_note=note)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{note.number or note.pk}.pdf"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class FeeNoteApproveApi(FeeNoteApi):
    @extend_schema(
        tags=["fee notes"],
        request=None,
        responses=FeeNoteOutputSerializer,
        description="Who: advisor, finance, admin — never the payee (403, even as staff). With four eyes on "
        "(the cooperative's threshold) a fee above it needs a second, different approver: the first call "
        "records the first approval. 409 when already decided.",
    )
    def post(self, request: Request, fee_note_id: int) -> Response:
        note = self.get_fee_note(fee_note_id)
        self.require_two_factor(request)
        return self.present(
            fees.fee_note_approve(cooperative=self.cooperative, actor=self.membership, fee_note=note)
        )


class FeeNoteRejectApi(FeeNoteApi):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["fee notes"],
        request=FeeNoteRejectInputSerializer,
        responses=FeeNoteOutputSerializer,
        description="Who: advisor, finance, admin — never the payee. A reason is required. 409 when decided.",
    )
    def post(self, request: Request, fee_note_id: int) -> Response:
        note = self.get_fee_note(fee_note_id)
        self.require_two_factor(request)
        data = parse(FeeNoteRejectInputSerializer, request.data)
        return self.present(
            fees.fee_note_reject(
                cooperative=self.cooperative, actor=self.membership, fee_note=note, reason=data["reason"]
            )
        )


class FeeNoteObjectApi(FeeNoteApi):
    parser_classes = [JSONParser]

    @extend_schema(
        tags=["fee notes"],
        request=FeeNoteObjectionInputSerializer,
        responses=FeeNoteOutputSerializer,
        description="Who: the payee only. Objects to the self-billed document (§ 11 Abs. 7 UStG): the fee is "
        "reversed and its payout cancelled — 409 once the payout is in a run, sent or paid.",
    )
    def post(self, request: Request, fee_note_id: int) -> Response:
        note = self.get_fee_note(fee_note_id)
        data = parse(FeeNoteObjectionInputSerializer, request.data)
        return self.present(
            fees.fee_note_object(
                cooperative=self.cooperative, actor=self.membership, fee_note=note, reason=data["reason"]
            )
        )


class PayoutListApi(APIView, CooperativeMixin):
    @extend_schema(
        operation_id="payouts_list",
        tags=["payouts"],
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("project", OpenApiTypes.INT, description="only this project's items"),
            OpenApiParameter("payee", OpenApiTypes.INT, description="only this payee's (membership id)"),
            OpenApiParameter(
                "status", OpenApiTypes.STR, description="approved, in_run, sent, paid, cancelled"
            ),
        ],
        responses=page_of("PayoutItemPage", PayoutItemOutputSerializer),
        description="Who: everyone; a member sees their own payout items and those of projects they own, "
        "staff all of the cooperative's. Ordered by guarantee deadline.",
    )
    def get(self, request: Request) -> Response:
        items = payout_item_list_visible(cooperative=self.cooperative, membership=self.membership)
        for param, field in (("project", "project_id"), ("payee", "payee_id")):
            value = request.query_params.get(param, "")
            if value:
                if not value.isdigit():
                    raise ApplicationError(_("%(param)s must be an id.") % {"param": param})
                items = items.filter(**{field: int(value)})
        wanted = request.query_params.get("status", "")
        if wanted:
            if wanted not in PayoutItem.Status.values:
                raise ApplicationError(
                    _("Unknown status %(status)s; use one of %(choices)s.")
                    % {"status": wanted, "choices": ", ".join(PayoutItem.Status.values)}
                )
            items = items.filter(status=wanted)
        return paginated(request, self, items, PayoutItemOutputSerializer)


class PayOptionsApi(FeeNoteApi):
    @extend_schema(
        operation_id="project_pay_options",
        tags=["payouts"],
        parameters=[
            OpenApiParameter("payee", OpenApiTypes.INT, description="membership id; default: oneself"),
            OpenApiParameter("employment", OpenApiTypes.INT, description="the payee's employment (salary)"),
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM, with employment"),
        ],
        responses=PayOptionsOutputSerializer,
        description="Who: the payee on the project (for themselves), the project's owner and staff (for "
        "anyone on it). The largest fee that fits the available budget: net, and gross at the standard VAT "
        "rate where the payee is VAT-registered; with `employment` and `month`, max_salary_gross is the "
        "largest gross whose total employer cost fits it (null when not even a cent does, or without them).",
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        raw = request.query_params.get("payee", "")
        if raw and not raw.isdigit():
            raise ApplicationError(_("payee must be a membership id."))
        payee = self.payee_for(project, int(raw)) if raw else self.membership
        employment, month = None, None
        raw_employment = request.query_params.get("employment", "")
        raw_month = request.query_params.get("month", "")
        if raw_employment or raw_month:
            if not raw_employment.isdigit() or not raw_month:
                raise ApplicationError(_("employment (an id) and month (YYYY-MM) go together."))
            month = parse_month(raw_month)
            try:
                employment = Employment.objects.for_cooperative(self.cooperative).get(
                    pk=int(raw_employment), project=project, payee=payee
                )
            except Employment.DoesNotExist:
                message = _("There is no such employment of this payee on this project.")
                raise ApplicationError(message, details={"employment": [message]}) from None
        options = pay_options(
            cooperative=self.cooperative, project=project, payee=payee, employment=employment, month=month
        )
        return Response(PayOptionsOutputSerializer(options).data)
