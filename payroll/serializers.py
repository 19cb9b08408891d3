"""API shapes of payroll (fee notes, payout items, pay options)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from payroll.models import FeeNote, PayoutItem
from smartprod.core.serializers import AsciiDecimalField, BusinessDateField, MoneyField


class FeeNoteInputSerializer(serializers.Serializer[Any]):
    payee = serializers.IntegerField(help_text="The payee's membership id (GET /api/me/ → membership_id).")
    service_period_start = BusinessDateField()
    service_period_end = BusinessDateField()
    description = serializers.CharField(max_length=2000)
    net_amount = MoneyField()
    vat_rate = AsciiDecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        coerce_to_string=True,
        help_text="Percent, for a VAT-registered payee only: one of the cooperative country's rates.",
    )
    report_109a = serializers.BooleanField(required=False, default=False)


class FeeNoteRejectInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True, max_length=2000)


class FeeNoteObjectionInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True, required=False, default="", max_length=300)


class FeeNoteOutputSerializer(serializers.Serializer[FeeNote]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    project = serializers.IntegerField(source="project_id")
    payee = serializers.IntegerField(source="payee_id")
    service_period_start = serializers.DateField()
    service_period_end = serializers.DateField()
    description = serializers.CharField()
    currency = serializers.CharField()
    net_amount = MoneyField()
    vat_treatment = serializers.CharField()
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)
    vat_amount = MoneyField()
    gross_amount = MoneyField()
    report_109a = serializers.BooleanField()
    guarantee_deadline = serializers.DateField(allow_null=True)
    first_approved_by = serializers.IntegerField(source="first_approved_by_id", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()


class PayoutItemOutputSerializer(serializers.Serializer[PayoutItem]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=PayoutItem.Kind.choices)
    payee = serializers.IntegerField(source="payee_id")
    project = serializers.IntegerField(source="project_id")
    amount = MoneyField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=PayoutItem.Status.choices)
    guarantee_deadline = serializers.DateField()
    run = serializers.IntegerField(source="run_id", allow_null=True)
    paid_at = serializers.DateField(allow_null=True)
    description = serializers.CharField()


class PayOptionsOutputSerializer(serializers.Serializer[Any]):
    available = MoneyField(min_value=None)
    max_fee_net = MoneyField()
    max_fee_gross = MoneyField()
    max_salary_gross = MoneyField(allow_null=True)
    guarantee_working_days = serializers.IntegerField()
