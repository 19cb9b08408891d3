"""The payroll run and payslip API.

`POST /api/payroll-runs/` (finance and admin, with two-factor authentication; others 403) runs the payroll
for a month and answers 201 with the payslips it created. A payslip is read by its employee and by staff;
anyone else — the project's owner too, pay is personal — and another cooperative get 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payroll.models import Payslip
from payroll.payslip_documents import payslip_pdf_bytes
from payroll.selectors.payroll_runs import payroll_run_list, payslip_get, payslip_list
from payroll.services.payroll_runs import payroll_run_month, payslip_reverse
from smartprod.core import capabilities
from smartprod.core.api import (
    PAGE_PARAMETERS,
    CooperativeMixin,
    IsFinance,
    IsStaffRole,
    page_of,
    paginated,
    parse,
    require_permission,
)
from smartprod.core.serializers import MoneyField, MonthOutputField

TAGS = ["payroll"]


class MonthField(serializers.DateField):
    """A month as "2026-03" (or any date in it): the first day of that month."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=["%Y-%m", "iso-8601"], **kwargs)

    def to_internal_value(self, value: Any) -> Any:
        return super().to_internal_value(value).replace(day=1)


class MonthInputSerializer(serializers.Serializer[Any]):
    month = MonthField(help_text='the month, "2026-03"')


class PayslipReverseInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)


class PayslipOutputSerializer(serializers.Serializer[Payslip]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True)
    salary = serializers.IntegerField(source="salary_id", allow_null=True)
    employment = serializers.IntegerField(source="employment_id")
    payee = serializers.IntegerField(source="payee_id")
    project = serializers.IntegerField(source="project_id")
    month = MonthOutputField()
    run = serializers.IntegerField(source="run_id", allow_null=True)
    currency = serializers.CharField()
    payroll_days = serializers.IntegerField()
    gross = MoneyField()
    special_gross = MoneyField()
    employee_social_insurance = MoneyField()
    wage_tax = MoneyField()
    net = MoneyField()
    employer_social_insurance = MoneyField()
    levies = serializers.SerializerMethodField()
    special_accrual = MoneyField()
    employer_cost_total = MoneyField()
    lines = serializers.JSONField()
    year_to_date = serializers.JSONField()
    reversed_at = serializers.DateTimeField(allow_null=True)
    pdf_ready = serializers.SerializerMethodField()

    def get_levies(self, obj: Payslip) -> dict[str, str]:
        return {
            "db": str(obj.levy_db),
            "dz": str(obj.levy_dz),
            "kommunalsteuer": str(obj.levy_kommunalsteuer),
            "bv": str(obj.levy_bv),
            "ubahn": str(obj.levy_ubahn),
        }

    def get_pdf_ready(self, obj: Payslip) -> bool:
        return bool(obj.pdf and obj.pdf_sha256)


class PayrollRunOutputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(allow_null=True)
    month = MonthOutputField()
    created = serializers.IntegerField(help_text="payslips created by this run")
    existing = serializers.IntegerField(help_text="payslips of the month there were before")
    payslips = PayslipOutputSerializer(many=True)
    skipped = serializers.ListField(child=serializers.DictField())


class PayrollRunListSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    month = MonthOutputField()
    payslip_count = serializers.IntegerField()
    employer_cost_total = MoneyField()
    created_by = serializers.IntegerField(source="created_by_id")
    created_at = serializers.DateTimeField()


class PayrollRunListCreateApi(APIView, CooperativeMixin):
    permission_classes = [IsFinance]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="payroll_runs_list",
        tags=TAGS,
        parameters=PAGE_PARAMETERS,
        responses=page_of("PayrollRunPage", PayrollRunListSerializer),
        description="Finance and admin. The payroll runs, newest first.",
    )
    def get(self, request: Request) -> Response:
        return paginated(
            request, self, payroll_run_list(cooperative=self.cooperative), PayrollRunListSerializer
        )

    @extend_schema(
        tags=TAGS,
        request=MonthInputSerializer,
        responses={
            201: PayrollRunOutputSerializer,
            200: OpenApiResponse(PayrollRunOutputSerializer, description="nothing new: every payslip exists"),
            403: OpenApiResponse(description="not finance/admin"),
        },
        description="Finance and admin. Run the payroll for a month: every approved salary of the month "
        "without a payslip gets one (ledger, payout item of the net). Running it again creates only what is "
        "new; with nothing new it answers 200 with `created: 0` (the payslips exist).",
    )
    def post(self, request: Request) -> Response:
        month = parse(MonthInputSerializer, request.data)["month"]
        result = payroll_run_month(cooperative=self.cooperative, actor=self.membership, month=month)
        body = {
            "id": result.run.pk if result.run is not None else None,
            "month": month,
            "created": len(result.created),
            "existing": result.existing,
            "payslips": result.created,
            "skipped": result.skipped,
        }
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(PayrollRunOutputSerializer(body).data, status=code)


class PayslipApi(APIView, CooperativeMixin):
    def get_payslip(self, request: Request, payslip_id: int) -> Payslip:
        if capabilities.is_staff(self.membership):
            require_permission(request, self, IsStaffRole)  # two-factor for finance and admin
        return payslip_get(cooperative=self.cooperative, viewer=self.membership, payslip_id=payslip_id)


class PayslipListApi(PayslipApi):
    @extend_schema(
        operation_id="payslips_list",
        tags=TAGS,
        parameters=PAGE_PARAMETERS,
        responses=page_of("PayslipPage", PayslipOutputSerializer),
        description="The employee's own payslips; staff see the cooperative's.",
    )
    def get(self, request: Request) -> Response:
        if capabilities.is_staff(self.membership):
            require_permission(request, self, IsStaffRole)
        payslips = payslip_list(cooperative=self.cooperative, viewer=self.membership)
        return paginated(request, self, payslips, PayslipOutputSerializer)


class PayslipDetailApi(PayslipApi):
    @extend_schema(
        tags=TAGS,
        responses=PayslipOutputSerializer,
        description="Who: the employee and staff; anyone else 404.",
    )
    def get(self, request: Request, payslip_id: int) -> Response:
        return Response(PayslipOutputSerializer(self.get_payslip(request, payslip_id)).data)


class PayslipPdfApi(PayslipApi):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=TAGS,
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the payslip")},
        description="Who: the employee and staff; anyone else 404.",
    )
    def get(self, request: Request, payslip_id: int) -> HttpResponse:
        payslip = self.get_payslip(request, payslip_id)
        content = payslip_pdf_bytes(cooperative=self.cooperative, payslip=payslip)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="payslip-{payslip.month:%Y-%m}-{payslip.pk}.pdf"'
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class PayslipReverseApi(APIView, CooperativeMixin):
    permission_classes = [IsFinance]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        request=PayslipReverseInputSerializer,
        responses={
            201: PayslipOutputSerializer,
            409: OpenApiResponse(description="already paid or reversed"),
        },
        description="Finance and admin. Correct a payslip by a reversal payslip (never an edit).",
    )
    def post(self, request: Request, payslip_id: int) -> Response:
        # The payslip first: another cooperative's id answers 404 before the body is looked at.
        payslip = payslip_get(cooperative=self.cooperative, viewer=self.membership, payslip_id=payslip_id)
        reason = parse(PayslipReverseInputSerializer, request.data)["reason"]
        reversal = payslip_reverse(
            cooperative=self.cooperative, actor=self.membership, payslip=payslip, reason=reason
        )
        return Response(PayslipOutputSerializer(reversal).data, status=status.HTTP_201_CREATED)
