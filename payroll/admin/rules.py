"""Payroll reference data in the backend: the rules per country and year, the collective agreements.

Shared by every cooperative, so read-only for the staff of each and changed only by platform operators
(superusers), every change audited in every cooperative's log — as the VAT and base rates (issue 11).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from payroll.models import CollectiveAgreement, PayrollRules
from smartprod.core.admin import ReferenceDataAdmin


@admin.register(PayrollRules)
class PayrollRulesAdmin(ReferenceDataAdmin):
    list_display = ("country", "year", "updated_at")
    list_filter = ("country",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A row's country and year stay; its figures may be corrected (and the correction is audited).
        return ("country", "year", "updated_at") if obj is not None else ("updated_at",)


@admin.register(CollectiveAgreement)
class CollectiveAgreementAdmin(ReferenceDataAdmin):
    list_display = ("name", "country", "code", "year", "full_time_hours", "special_payments")
    list_filter = ("country", "year")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("country", "code", "year") if obj is not None else ()
