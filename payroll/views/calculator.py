"""The gross → net calculator page (`/payroll/calculator/`) for members and staff: nothing is saved.

A GET form (the figures are in the address, so a result can be shared or bookmarked); one selector call.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from payroll.calc import NoPayrollRules
from payroll.selectors.preview import PayrollPreview, month_from_text, payroll_preview
from smartprod.core.validators import is_ascii_decimal
from smartprod.tenancy.context import require_membership

MAX_GROSS = Decimal("1000000.00")


class CalculatorForm(forms.Form):
    gross = forms.CharField(
        label=gettext_lazy("Gross salary a month"),
        max_length=14,
        help_text=gettext_lazy("In euro, with a dot for the cents, e.g. 3060.00."),
    )
    month = forms.CharField(
        label=gettext_lazy("Month"), max_length=7, help_text=gettext_lazy("YYYY-MM, e.g. 2026-03.")
    )
    municipality = forms.CharField(
        label=gettext_lazy("Place of work"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("“Wien” for Vienna; empty: outside Vienna."),
    )

    def clean_gross(self) -> Decimal:
        text = self.cleaned_data["gross"].strip()
        if not is_ascii_decimal(text) or text.startswith(("+", "-")) or len(text.partition(".")[2]) > 2:
            raise forms.ValidationError(_("Enter an amount with the digits 0-9 and a dot, e.g. 3060.00."))
        amount = Decimal(text)
        if amount > MAX_GROSS:
            raise forms.ValidationError(_("Enter at most 1,000,000.00."))
        return amount

    def clean_month(self) -> date:
        month = month_from_text(self.cleaned_data["month"].strip())
        if month is None:
            raise forms.ValidationError(_("Enter the month as YYYY-MM, e.g. 2026-03."))
        return month


@login_required
@require_GET
def payroll_calculator(request: HttpRequest) -> HttpResponse:
    cooperative, _membership = require_membership(request)
    asked = "gross" in request.GET
    form = CalculatorForm(
        request.GET if asked else None, initial={"month": timezone.localdate().strftime("%Y-%m")}
    )
    preview: PayrollPreview | None = None
    if asked and form.is_valid():
        try:
            preview = payroll_preview(
                cooperative=cooperative,
                gross=form.cleaned_data["gross"],
                month=form.cleaned_data["month"],
                municipality=form.cleaned_data["municipality"],
            )
        except NoPayrollRules as exc:
            form.add_error("month", exc.messages[0])
    lines = preview.result.lines if preview else ()
    return render(
        request,
        "payroll/calculator/calculator.html",
        {
            "form": form,
            "preview": preview,
            "employee_lines": [line for line in lines if line.side == "employee"],
            "employer_lines": [line for line in lines if line.side == "employer"],
        },
    )
