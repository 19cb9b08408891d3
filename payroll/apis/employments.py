"""The employment and salary REST API under a project (issue 10).

Thin: each view parses input, calls one service or selector and presents the result. The project is looked
up through the person's visible projects first, so another cooperative's or another member's answers 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payroll.models import Employment, FederalState, Salary
from payroll.selectors.employments import employment_list_visible, parse_month, salary_list_visible
from payroll.services import employments, salaries
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
from smartprod.core.serializers import AsciiDecimalField, BusinessDateField, MoneyField, MonthOutputField
from smartprod.tenancy.models import Membership


class EmploymentInputSerializer(serializers.Serializer[Any]):
    payee = serializers.IntegerField(
        help_text="The payee's membership id: the project's owner or a collaborator."
    )
    start = BusinessDateField(
        help_text="After today: the person is registered with the health insurer first."
    )
    end = BusinessDateField()
    weekly_hours = AsciiDecimalField(
        max_digits=4, decimal_places=1, coerce_to_string=True, help_text='0.5 to 60, e.g. "20.0".'
    )
    occupation = serializers.CharField(max_length=100)
    municipality = serializers.CharField(max_length=100, help_text='Where the person works, e.g. "Wien".')
    federal_state = serializers.ChoiceField(
        choices=FederalState.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text='Optional: "Wien" as municipality implies Wien, otherwise the cooperative\'s state.',
    )
    salary_group = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    has_other_employments = serializers.BooleanField(required=False, default=False)


class EmploymentOutputSerializer(serializers.Serializer[Employment]):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    payee = serializers.IntegerField(source="payee_id")
    start = serializers.DateField()
    end = serializers.DateField()
    weekly_hours = serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True)
    occupation = serializers.CharField()
    salary_group = serializers.CharField()
    municipality = serializers.CharField()
    federal_state = serializers.CharField()
    has_other_employments = serializers.BooleanField()
    created_by = serializers.IntegerField(source="created_by_id")
    created_at = serializers.DateTimeField()


@extend_schema_field(OpenApiTypes.STR)
class GrossField(serializers.Field[Any, Any, Any, Any]):
    """A gross amount as a decimal string ("2400.00"), or "max": the most the budget allows."""

    def to_internal_value(self, data: Any) -> Decimal | str:
        if isinstance(data, str) and data.strip().lower() == salaries.MAX:
            return salaries.MAX
        value: Decimal = MoneyField().to_internal_value(data)
        return value

    def to_representation(self, value: Any) -> Any:
        return str(value)


class SalaryInputSerializer(serializers.Serializer[Any]):
    employment = serializers.IntegerField(help_text="The employment's id (of this project).")
    month = serializers.CharField(max_length=7, help_text='YYYY-MM, e.g. "2026-01".')
    gross = GrossField(help_text='A gross amount ("2400.00") or "max": the most the budget allows.')


class SalaryOutputSerializer(serializers.Serializer[Salary]):
    id = serializers.IntegerField()
    employment = serializers.IntegerField(source="employment_id")
    payee = serializers.IntegerField(source="payee_id")
    month = MonthOutputField()
    currency = serializers.CharField()
    gross = MoneyField()
    employee_social_insurance = MoneyField()
    wage_tax = MoneyField()
    net = MoneyField()
    employer_cost_total = MoneyField()
    status = serializers.ChoiceField(choices=Salary.Status.choices)
    approved_at = serializers.DateTimeField()


class ProjectPayrollApi(APIView, CooperativeMixin):
    parser_classes = [JSONParser]

    def get_project(self, project_id: int) -> Project:
        return project_get(cooperative=self.cooperative, membership=self.membership, project_id=project_id)

    def require_two_factor(self, request: Request) -> None:
        if capabilities.is_staff(self.membership):
            require_permission(request, self, IsStaffRole)  # two-factor for finance and admin


class ProjectEmploymentListCreateApi(ProjectPayrollApi):
    @extend_schema(
        operation_id="project_employments_list",
        tags=["payroll"],
        parameters=PAGE_PARAMETERS,
        responses=page_of("EmploymentPage", EmploymentOutputSerializer),
        description="Who: the project's owner and staff see all its employments; an employee their own.",
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        rows = employment_list_visible(cooperative=self.cooperative, membership=self.membership)
        return paginated(request, self, rows.filter(project=project), EmploymentOutputSerializer)

    @extend_schema(
        operation_id="project_employments_create",
        tags=["payroll"],
        request=EmploymentInputSerializer,
        responses={201: EmploymentOutputSerializer},
        description="Who: advisor, finance, admin (a member asks them; 403 for members). Creating it is the "
        "approval and makes the payee employed on the project. 400 when it starts today or earlier, when "
        "the payee's social insurance number or date of birth is missing, or when the country has no "
        "payroll rules; 409 when the project is not approved.",
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        data = parse(EmploymentInputSerializer, request.data)
        self.require_two_factor(request)
        try:
            payee = Membership.objects.for_cooperative(self.cooperative).get(pk=data.pop("payee"))
        except Membership.DoesNotExist:
            message = _("There is no such payee on this project.")
            raise ApplicationError(message, details={"payee": [message]}) from None
        employment = employments.employment_create(
            cooperative=self.cooperative,
            actor=self.membership,
            project=project,
            payee=payee,
            start=data["start"],
            end=data["end"],
            weekly_hours=Decimal(data["weekly_hours"]),
            occupation=data["occupation"],
            municipality=data["municipality"],
            federal_state=data["federal_state"] or None,
            salary_group=data["salary_group"],
            has_other_employments=data["has_other_employments"],
        )
        return Response(EmploymentOutputSerializer(employment).data, status=status.HTTP_201_CREATED)


class ProjectSalaryListCreateApi(ProjectPayrollApi):
    @extend_schema(
        operation_id="project_salaries_list",
        tags=["payroll"],
        parameters=PAGE_PARAMETERS,
        responses=page_of("SalaryPage", SalaryOutputSerializer),
        description="Who: the project's owner and staff see all its salaries; an employee their own.",
    )
    def get(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        rows = salary_list_visible(cooperative=self.cooperative, membership=self.membership)
        return paginated(request, self, rows.filter(project=project), SalaryOutputSerializer)

    @extend_schema(
        operation_id="project_salaries_create",
        tags=["payroll"],
        request=SalaryInputSerializer,
        responses={201: SalaryOutputSerializer},
        parameters=[OpenApiParameter(IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER)],
        description='Who: the employee (or staff for them). `gross` is an amount or "max" (the largest gross '
        "whose total employer cost fits the available budget). Approved at once when it fits; 400 when it "
        "does not (the message names the available amount), below the collective agreement's minimum, or "
        "for a month outside the employment; 409 when that month's salary exists. Send an "
        "`Idempotency-Key` header to make retries safe.",
    )
    def post(self, request: Request, project_id: int) -> Response:
        project = self.get_project(project_id)
        data = parse(SalaryInputSerializer, request.data)
        month = parse_month(data["month"])
        try:
            employment = employment_list_visible(
                cooperative=self.cooperative, membership=self.membership
            ).get(pk=data["employment"], project=project)
        except Employment.DoesNotExist:
            message = _("There is no such employment on this project.")
            raise ApplicationError(message, details={"employment": [message]}) from None
        self.require_two_factor(request)
        key = idempotency_key_parse(request.headers.get(IDEMPOTENCY_HEADER))
        salary = salaries.salary_request(
            cooperative=self.cooperative,
            actor=self.membership,
            employment=employment,
            month=month,
            gross=data["gross"],
            idempotent=IdempotentRequest(
                key,
                {
                    "project": project.pk,
                    "employment": employment.pk,
                    "month": data["month"],
                    "gross": data["gross"],
                },
            )
            if key is not None
            else None,
        )
        return Response(SalaryOutputSerializer(salary).data, status=status.HTTP_201_CREATED)
