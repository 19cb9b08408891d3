"""The payout-run API (finance and admin, with two-factor authentication): preview, start, second
approval, the pain.001 file, mark sent, confirm, the bank's pain.002 status report.

Every endpoint is finance/admin only (`IsFinance`, which also demands TOTP); a member or advisor gets 403
whatever the id. Runs are looked up in the request's cooperative: another cooperative's run answers 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payroll.lib.pain002 import MAX_BYTES
from payroll.models import PayoutRun
from payroll.selectors.runs import payout_run_get, payout_run_list
from payroll.services import runs as services
from smartprod.core.api import PAGE_PARAMETERS, CooperativeMixin, IsFinance, page_of, paginated, parse
from smartprod.core.errors import ApplicationError
from smartprod.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from smartprod.core.idempotency import IdempotentRequest, idempotency_key_parse
from smartprod.core.parsers import JSONParser  # the depth limit and the text check
from smartprod.core.serializers import MoneyField, UploadField

TAGS = ["payout runs"]
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Optional, at most 255 characters, unique per request (e.g. a UUID). A retry with the same "
    "key and body starts no second run and answers with the first; the same key with another body "
    "answers 409.",
)


class UntilInputSerializer(serializers.Serializer[Any]):
    until = serializers.DateField(
        help_text="claim every approved item whose guarantee deadline is on or before"
    )


class StatusReportInputSerializer(serializers.Serializer[Any]):
    file = UploadField(help_text="an ISO 20022 pain.002 payment status report (XML) of this run")


class RunOutputSerializer(serializers.Serializer[PayoutRun]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    until = serializers.DateField()
    execution_date = serializers.DateField()
    items = serializers.IntegerField(source="item_count")
    total = MoneyField()
    currency = serializers.CharField()
    message_id = serializers.CharField()
    started_by = serializers.IntegerField(source="started_by_id", allow_null=True)
    started_at = serializers.DateTimeField()
    approved_by = serializers.IntegerField(source="approved_by_id", allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)


class PreviewItemSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    payee = serializers.IntegerField(source="payee_id")
    project = serializers.IntegerField(source="project_id")
    amount = MoneyField()
    guarantee_deadline = serializers.DateField()


class HeldBackSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    payee = serializers.IntegerField()
    project = serializers.IntegerField()
    amount = serializers.CharField()
    guarantee_deadline = serializers.DateField()
    reason = serializers.CharField()


class PreviewOutputSerializer(serializers.Serializer[Any]):
    until = serializers.DateField()
    items = PreviewItemSerializer(many=True)
    count = serializers.IntegerField()
    payees = serializers.IntegerField()
    total = MoneyField()
    earliest_deadline = serializers.DateField(allow_null=True)
    held_back = HeldBackSerializer(many=True)


class StatusReportOutputSerializer(serializers.Serializer[Any]):
    rejected = serializers.ListField(child=serializers.CharField(), help_text="EndToEndIds rejected (RJCT)")
    noted = serializers.DictField(
        child=serializers.IntegerField(), help_text="other statuses and their counts"
    )
    unknown = serializers.ListField(child=serializers.CharField(), help_text="EndToEndIds not of this run")


class RunApi(APIView, CooperativeMixin):
    permission_classes = [IsFinance]

    def get_run(self, run_id: int) -> PayoutRun:
        return payout_run_get(cooperative=self.cooperative, run_id=run_id)

    def present(self, run: PayoutRun, code: int = status.HTTP_200_OK) -> Response:
        return Response(RunOutputSerializer(self.get_run(run.pk)).data, status=code)


class PayoutRunListCreateApi(RunApi):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="payout_runs_list",
        tags=TAGS,
        parameters=[*PAGE_PARAMETERS, OpenApiParameter("status", OpenApiTypes.STR)],
        responses=page_of("PayoutRunPage", RunOutputSerializer),
        description="Finance and admin. The cooperative's payout runs, newest first.",
    )
    def get(self, request: Request) -> Response:
        runs = payout_run_list(cooperative=self.cooperative)
        wanted = request.query_params.get("status", "")
        if wanted:
            runs = runs.filter(status=wanted)
        return paginated(request, self, runs, RunOutputSerializer)

    @extend_schema(
        tags=TAGS,
        request=UntilInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: RunOutputSerializer, 403: OpenApiResponse(description="not finance/admin")},
        description="Finance and admin. Start a run claiming every approved item due by `until` whose payee "
        "is not blocked. A run that claims nothing is created too (`items: 0`). Above the cooperative's run "
        "threshold the run waits for a second person's approval (`pending_approval`).",
    )
    def post(self, request: Request) -> Response:
        key = idempotency_key_parse(request.headers.get(IDEMPOTENCY_HEADER))
        data = parse(UntilInputSerializer, request.data)
        run = services.payout_run_start(
            cooperative=self.cooperative,
            actor=self.membership,
            until=data["until"],
            idempotent=IdempotentRequest(key, {"until": data["until"]}) if key is not None else None,
        )
        assert run is not None  # only the beat skips empty runs
        return self.present(run, status.HTTP_201_CREATED)


class PayoutRunPreviewApi(RunApi):
    @extend_schema(
        tags=TAGS,
        parameters=[OpenApiParameter("until", OpenApiTypes.DATE, required=True)],
        responses=PreviewOutputSerializer,
        description="Finance and admin. What a run up to `until` would claim now (nothing is claimed), and "
        "the items held back because their payee is blocked, with the reason.",
    )
    def get(self, request: Request) -> Response:
        until: date = parse(UntilInputSerializer, request.query_params)["until"]
        preview = services.payout_run_preview(cooperative=self.cooperative, until=until)
        held = [{**PreviewItemSerializer(item).data, "reason": reason} for item, reason in preview.held_back]
        body = {
            "until": preview.until,
            "items": preview.items,
            "count": len(preview.items),
            "payees": preview.payees,
            "total": preview.total,
            "earliest_deadline": preview.earliest_deadline,
            "held_back": held,
        }
        return Response(PreviewOutputSerializer(body).data)


class PayoutRunDetailApi(RunApi):
    @extend_schema(tags=TAGS, responses=RunOutputSerializer, description="Finance and admin.")
    def get(self, request: Request, run_id: int) -> Response:
        return self.present(self.get_run(run_id))


class PayoutRunSepaApi(RunApi):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)  # errors stay JSON

    @extend_schema(
        tags=TAGS,
        responses={
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description="pain.001.001.09"),
            409: OpenApiResponse(description="waiting for the second approval, or nothing to pay"),
        },
        description="Finance and admin. The run's SEPA credit transfer file; every download is the "
        "same bytes.",
    )
    def get(self, request: Request, run_id: int) -> HttpResponse:
        run = self.get_run(run_id)
        content = services.payout_run_sepa(cooperative=self.cooperative, actor=self.membership, run=run)
        response = HttpResponse(content, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{services.sepa_file_name(run)}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class PayoutRunApproveApi(RunApi):
    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: RunOutputSerializer},
        description="Finance and admin, not the person who started the run (403). Only a run waiting for "
        "approval (else 409).",
    )
    def post(self, request: Request, run_id: int) -> Response:
        run = services.payout_run_approve(
            cooperative=self.cooperative, actor=self.membership, run=self.get_run(run_id)
        )
        return self.present(run)


class PayoutRunMarkSentApi(RunApi):
    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: RunOutputSerializer},
        description="Finance and admin. The file went to the bank: its items become `sent` "
        "(again: no change).",
    )
    def post(self, request: Request, run_id: int) -> Response:
        run = services.payout_run_mark_sent(
            cooperative=self.cooperative, actor=self.membership, run=self.get_run(run_id)
        )
        return self.present(run)


class PayoutRunConfirmApi(RunApi):
    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: RunOutputSerializer},
        description="Finance and admin. The bank paid every pending transfer of this sent run: each is "
        "booked (payouts payable → bank) and its item is paid "
        "(again: no change; not sent yet: 409).",
    )
    def post(self, request: Request, run_id: int) -> Response:
        run = services.payout_run_confirm(
            cooperative=self.cooperative, actor=self.membership, run=self.get_run(run_id)
        )
        return self.present(run)


class PayoutRunStatusReportApi(RunApi):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAGS,
        request={"multipart/form-data": StatusReportInputSerializer},
        responses={200: StatusReportOutputSerializer},
        description="Finance and admin. Import the bank's pain.002 for this run: rejected transfers go back "
        "to `approved` with the reason code; importing again changes nothing.",
    )
    def post(self, request: Request, run_id: int) -> Response:
        run = self.get_run(run_id)
        upload = parse(StatusReportInputSerializer, request.data)["file"]
        if upload.size is not None and upload.size > MAX_BYTES:
            message = _("A status report may have at most 20 MB.")
            raise ApplicationError(message, details={"file": [message]})
        result = services.payout_run_status_report_import(
            cooperative=self.cooperative, actor=self.membership, run=run, data=upload.read()
        )
        return Response(StatusReportOutputSerializer(result).data)
