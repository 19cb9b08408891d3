"""The employee's payslips in the portal: the personal list (/payslips/), the PDF, and the project panel.

Thin: lookups go through payroll.selectors.payroll_runs (cooperative first, then the person): someone
else's payslip — the project owner's colleague's too — or another cooperative's answers 404.
"""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from payroll.models import Payslip
from payroll.payslip_documents import payslip_pdf_bytes
from payroll.selectors.payroll_runs import payslip_get, payslip_list
from projects.models import Project
from smartprod.tenancy.context import request_context, require_membership


@login_required
def payslip_list_page(request: HttpRequest) -> HttpResponse:
    cooperative, membership = require_membership(request)
    payslips = payslip_list(cooperative=cooperative, viewer=membership).filter(payee=membership)[:240]
    return render(request, "payroll/payslips/list.html", {"payslips": payslips})


@login_required
def payslip_pdf(request: HttpRequest, payslip_id: int) -> HttpResponseBase:
    cooperative, membership = require_membership(request)
    try:
        payslip = payslip_get(cooperative=cooperative, viewer=membership, payslip_id=payslip_id)
        content = payslip_pdf_bytes(cooperative=cooperative, payslip=payslip)
    except (Payslip.DoesNotExist, FileNotFoundError) as exc:
        raise Http404 from exc
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=f"payslip-{payslip.month:%Y-%m}-{payslip.pk}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def payslips_panel(request: HttpRequest, project: Project) -> SafeString:
    """The project's payslips the person may see: their own (staff: all). Empty when there are none."""
    context = request_context(request)
    cooperative, membership = context.cooperative, context.membership
    if cooperative is None or membership is None or project.cooperative_id != cooperative.pk:
        return mark_safe("")
    payslips = list(payslip_list(cooperative=cooperative, viewer=membership).filter(project=project)[:100])
    if not payslips:
        return mark_safe("")
    html = render_to_string("payroll/payslips/project_panel.html", {"payslips": payslips}, request=request)
    return mark_safe(html)  # the template engine escaped every value
