"""The payslip document (Lohn-/Gehaltszettel, § 78 Abs. 5 EStG): employer, employee, social insurance number,
period, every line of the computation, the year-to-date figures — as PDF in the employee's language.

Rendered once after the payroll run by a worker, stored, mailed once to the employee (kernel documents:
render → store → send once → sweep); the render notifies the employee ("payslip ready").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.mail import EmailMessage
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import override

from payroll.models import PayeeProfile, Payslip
from smartprod.core.documents import (
    DocumentKind,
    document_bytes,
    document_render,
    document_send,
    document_sweep,
)
from smartprod.core.formatting import format_date, format_money
from smartprod.core.notifications import notify
from smartprod.core.pdf import html_to_pdf
from smartprod.core.task_queue import queue_on_commit
from smartprod.tenancy.models import Cooperative

PAYSLIP_READY = "payslip.ready"


def payslip_language(payslip: Payslip) -> str:
    return str(getattr(payslip.payee.user, "language", "") or payslip.cooperative.language)


def _name(payslip: Payslip) -> str:
    user = payslip.payee.user
    return f"{user.first_name} {user.last_name}".strip() or user.email


def payslip_pdf_context(payslip: Payslip, language: str) -> dict[str, Any]:
    cooperative = payslip.cooperative
    profile = PayeeProfile.objects.for_cooperative(cooperative).filter(membership=payslip.payee).first()

    def money(value: Decimal | str) -> str:
        return format_money(Decimal(value), payslip.currency, language, currency_first=False)

    lines = [
        {**line, "shown": money(line["amount"]), "base_shown": money(line["base"])} for line in payslip.lines
    ]
    ytd = payslip.year_to_date or {}
    return {
        "language": language,
        "payslip": payslip,
        "cooperative": cooperative,
        "profile": profile,
        "employee_name": _name(payslip),
        "period": f"{payslip.month:%m/%Y}",
        "employee_lines": [line for line in lines if line["side"] == "employee"],
        "employer_lines": [line for line in lines if line["side"] == "employer"],
        "gross": money(payslip.gross),
        "special_gross": money(payslip.special_gross),
        "employee_sv": money(payslip.employee_social_insurance),
        "wage_tax": money(payslip.wage_tax),
        "net": money(payslip.net),
        "employer_sv": money(payslip.employer_social_insurance),
        "levies": money(payslip.levies_total),
        "employer_cost": money(payslip.employer_cost_total),
        "ytd_gross": money(ytd.get("gross", "0")),
        "ytd_special": money(ytd.get("special_gross", "0")),
        "ytd_tax": money(ytd.get("wage_tax", "0")),
        "created": format_date(payslip.created_at.date() if payslip.created_at else None, language),
    }


def payslip_pdf_html(payslip: Payslip) -> str:
    language = payslip_language(payslip)
    with override(language):
        return render_to_string("payroll/payslips/pdf.html", payslip_pdf_context(payslip, language))


def payslip_pdf_render(payslip: Payslip) -> bytes:
    return html_to_pdf(payslip_pdf_html(payslip))


class PayslipDocument(DocumentKind[Payslip]):
    """The payslip PDF: rendered once after the payroll run, mailed once to the employee."""

    code = "payroll.payslip"
    model = Payslip

    def queryset(self, cooperative_id: int) -> QuerySet[Payslip]:
        return Payslip.objects.for_cooperative(cooperative_id).select_related(
            "cooperative", "payee__user", "project", "employment"
        )

    def render(self, obj: Payslip) -> bytes:
        return payslip_pdf_render(obj)

    def storage_name(self, obj: Payslip) -> str:
        return f"coop-{obj.cooperative_id}/payslips/{obj.month:%Y-%m}-{obj.pk}.pdf"

    def recipients(self, obj: Payslip) -> list[str]:
        return [obj.payee.user.email] if obj.payee.user.email else []

    def message(self, obj: Payslip, pdf: bytes) -> EmailMessage:
        cooperative = obj.cooperative
        with override(payslip_language(obj)):
            subject = _("%(coop)s: your payslip for %(period)s") % {
                "coop": cooperative.legal_name or cooperative.name,
                "period": f"{obj.month:%m/%Y}",
            }
            body = _("Hello,\n\nattached is your payslip for %(period)s.\n\nKind regards\n%(coop)s") % {
                "period": f"{obj.month:%m/%Y}",
                "coop": cooperative.legal_name or cooperative.name,
            }
        message = EmailMessage(subject=subject, body=body, to=self.recipients(obj))
        message.attach(f"payslip-{obj.month:%Y-%m}-{obj.pk}.pdf", pdf, "application/pdf")
        return message

    def after_render(self, obj: Payslip) -> None:
        notify(
            cooperative=obj.cooperative,
            kind=PAYSLIP_READY,
            event=f"payslip.ready:{obj.pk}",
            recipients=[obj.payee.user],
            params={"period": f"{obj.month:%m/%Y}", "net": str(obj.net), "currency": obj.currency},
            link=f"/payslips/{obj.pk}/pdf/",
        )

    def enqueue_render(self, cooperative_id: int, object_id: int) -> None:
        queue_on_commit("payroll.render_payslip_pdf", cooperative_id=cooperative_id, payslip_id=object_id)

    def enqueue_send(self, cooperative_id: int, object_id: int) -> None:
        queue_on_commit("payroll.send_payslip_email", cooperative_id=cooperative_id, payslip_id=object_id)

    def sweep_queryset(self, cutoff: datetime) -> QuerySet[Payslip]:
        return (
            Payslip.objects.all_cooperatives()  # a maintenance scan over every tenant, on purpose
            .filter(created_at__lt=cutoff)
            .order_by("created_at", "id")
        )

    def has_recipient(self) -> Q:
        return ~Q(payee__user__email="")


PAYSLIP_DOCUMENT = PayslipDocument()


def payslip_render_document(*, cooperative_id: int, payslip_id: int) -> Payslip:
    return document_render(PAYSLIP_DOCUMENT, cooperative_id=cooperative_id, object_id=payslip_id)


def payslip_send_email(*, cooperative_id: int, payslip_id: int) -> Payslip:
    return document_send(PAYSLIP_DOCUMENT, cooperative_id=cooperative_id, object_id=payslip_id)


def payslip_documents_sweep() -> Any:
    return document_sweep(PAYSLIP_DOCUMENT)


def payslip_pdf_bytes(*, cooperative: Cooperative, payslip: Payslip) -> bytes:
    """The stored PDF (checked against its SHA-256), rendered now if the worker has not yet."""
    if payslip.cooperative_id != cooperative.pk:
        raise Payslip.DoesNotExist()
    stored = document_bytes(PAYSLIP_DOCUMENT, payslip)
    if stored is not None:
        return stored
    return payslip_pdf_render(PAYSLIP_DOCUMENT.queryset(cooperative.pk).get(pk=payslip.pk))
