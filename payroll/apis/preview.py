"""`GET /api/payroll/preview/?gross=…&month=YYYY-MM[&municipality=Wien]`: gross → net for a month, unsaved.

Any person of the cooperative (member, advisor, finance, admin) may ask; the rules are those of the
cooperative's country for the month's year.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payroll.calc import NoPayrollRules
from payroll.selectors.preview import PayrollPreview, month_from_text, payroll_preview
from smartprod.core.api import CooperativeMixin, parse
from smartprod.core.errors import ApplicationError
from smartprod.core.serializers import MoneyField

MAX_GROSS = Decimal("1000000.00")


class PreviewInputSerializer(serializers.Serializer[Any]):
    gross = MoneyField(max_value=MAX_GROSS, help_text='The monthly gross, e.g. "3060.00".')
    month = serializers.CharField(max_length=7, help_text='"YYYY-MM"')
    municipality = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def validate_month(self, value: str) -> date:
        """A calendar month as "YYYY-MM" (ASCII digits), returned as its first day."""
        month = month_from_text(value)
        if month is None:
            raise serializers.ValidationError(_("Enter the month as YYYY-MM, e.g. 2026-03."))
        return month


class PayrollPreviewOutputSerializer(serializers.Serializer[Any]):
    month = serializers.CharField()
    federal_state = serializers.CharField()
    gross = MoneyField()
    employee_social_insurance = MoneyField()
    wage_tax = MoneyField()
    net = MoneyField()
    employer_social_insurance = MoneyField()
    levies = serializers.DictField(child=MoneyField(), help_text="db, dz, kommunalsteuer, bv, ubahn")
    special_accrual = MoneyField(
        help_text="the month's share of the 13th/14th salaries with employer charges"
    )
    employer_cost_total = MoneyField()
    marginal = serializers.BooleanField(help_text="marginal employment (below the threshold)")
    lines = serializers.ListField(
        child=serializers.DictField(allow_null=True),
        help_text="each line: code, label, side (employee: deducted; employer: cost on top), base, rate "
        "(per cent, or null), amount — numbers as decimal strings",
    )


def _present(preview: PayrollPreview) -> dict[str, Any]:
    result = preview.result
    return {
        "month": preview.month.strftime("%Y-%m"),
        "federal_state": preview.federal_state,
        "gross": result.gross,
        "employee_social_insurance": result.employee_social_insurance,
        "wage_tax": result.wage_tax,
        "net": result.net,
        "employer_social_insurance": result.employer_social_insurance,
        "levies": result.levies,
        "special_accrual": result.special_accrual,
        "employer_cost_total": result.employer_cost_total,
        "marginal": result.marginal,
        "lines": [
            {
                "code": line.code,
                "label": line.label,
                "side": line.side,
                "base": str(line.base),
                "rate": None if line.rate is None else str(line.rate),
                "amount": str(line.amount),
            }
            for line in result.lines
        ],
    }


class PayrollPreviewApi(APIView, CooperativeMixin):
    @extend_schema(
        operation_id="payroll_preview",
        tags=["payroll"],
        parameters=[
            OpenApiParameter("gross", OpenApiTypes.STR, required=True, description='e.g. "3060.00"'),
            OpenApiParameter("month", OpenApiTypes.STR, required=True, description="YYYY-MM"),
            OpenApiParameter(
                "municipality",
                OpenApiTypes.STR,
                description='"Wien" for Vienna; default: outside Vienna (the cooperative\'s state)',
            ),
        ],
        responses=PayrollPreviewOutputSerializer,
        description="Who: any person of the cooperative. Gross → net and the employer's total cost of a "
        "whole month under the rules of the cooperative's country, nothing saved. 400 for a malformed gross "
        "or month, or a month whose year has no payroll rules.",
    )
    def get(self, request: Request) -> Response:
        data = parse(PreviewInputSerializer, request.query_params)
        try:
            preview = payroll_preview(
                cooperative=self.cooperative,
                gross=data["gross"],
                month=data["month"],
                municipality=data["municipality"],
            )
        except NoPayrollRules as exc:
            message = exc.messages[0]
            raise ApplicationError(message, details={"month": [message]}) from None
        return Response(PayrollPreviewOutputSerializer(_present(preview)).data)
