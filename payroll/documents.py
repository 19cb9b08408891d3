"""The fee note document: a self-billed invoice (Gutschrift) of the payee to the cooperative, as PDF.

It carries what an invoice under § 11 Abs. 1 UStG 1994 (DE: § 14 Abs. 4 UStG) needs, issued by the recipient
on the supplier's behalf (§ 11 Abs. 7 UStG: the word "Gutschrift"): the payee's name, address and UID or tax
number, the cooperative's name, address and UID, the date, the number, the service period and description,
net, rate, VAT and gross, and the small-business or reverse-charge note. Rendered once after approval, stored,
mailed once to the payee (kernel documents: render → store → send once → sweep).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import weasyprint
from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import override

from payroll.models import FeeNote, PayeeProfile
from payroll.vat_rates import country_vat
from smartprod.core.documents import (
    DocumentKind,
    PermanentDocumentError,
    document_bytes,
    document_render,
    document_send,
    document_sweep,
)
from smartprod.core.errors import ApplicationError
from smartprod.core.formatting import format_date, format_money, format_percent
from smartprod.core.task_queue import queue_on_commit
from smartprod.tenancy.models import Cooperative

DOCUMENT_STATUSES = (FeeNote.Status.APPROVED, FeeNote.Status.OBJECTED)


def _payee_name(fee_note: FeeNote) -> str:
    user = fee_note.payee.user
    return f"{user.first_name} {user.last_name}".strip() or user.email


def fee_note_pdf_context(fee_note: FeeNote) -> dict[str, Any]:
    cooperative = fee_note.cooperative
    language = cooperative.language
    profile = PayeeProfile.objects.for_cooperative(cooperative).filter(membership=fee_note.payee).first()
    facts = country_vat(cooperative.country)
    note = ""
    if fee_note.vat_treatment == FeeNote.VatTreatment.SMALL_BUSINESS:
        note = str(facts.small_business_note)
    elif fee_note.vat_treatment == FeeNote.VatTreatment.REVERSE_CHARGE:
        note = str(facts.reverse_charge_note)
    return {
        "language": language,
        "fee_note": fee_note,
        "cooperative": cooperative,
        "profile": profile,
        "payee_name": _payee_name(fee_note),
        "vat_note": note,
        "self_billing_law": facts.self_billing_law,
        "date": format_date(fee_note.decided_at.date() if fee_note.decided_at else None, language),
        "period": f"{format_date(fee_note.service_period_start, language)} – "
        f"{format_date(fee_note.service_period_end, language)}",
        "net": format_money(fee_note.net_amount, fee_note.currency, language),
        "rate": format_percent(fee_note.vat_rate, language),
        "vat": format_money(fee_note.vat_amount, fee_note.currency, language),
        "gross": format_money(fee_note.gross_amount, fee_note.currency, language),
    }


def fee_note_pdf_html(fee_note: FeeNote) -> str:
    with override(fee_note.cooperative.language):
        return render_to_string("payroll/fees/pdf.html", fee_note_pdf_context(fee_note))


def fee_note_pdf_render(fee_note: FeeNote) -> bytes:
    html = fee_note_pdf_html(fee_note)
    return bytes(weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())


class FeeNoteDocument(DocumentKind[FeeNote]):
    """The fee note PDF: rendered once after approval, mailed once to the payee."""

    code = "payroll.fee_note"
    model = FeeNote

    def queryset(self, cooperative_id: int) -> QuerySet[FeeNote]:
        return FeeNote.objects.for_cooperative(cooperative_id).select_related(
            "cooperative", "payee__user", "project"
        )

    def check_renderable(self, obj: FeeNote) -> None:
        if obj.status not in DOCUMENT_STATUSES or not obj.number:
            raise PermanentDocumentError("Only approved fee notes have a document.")

    def render(self, obj: FeeNote) -> bytes:
        return fee_note_pdf_render(obj)

    def storage_name(self, obj: FeeNote) -> str:
        return f"coop-{obj.cooperative_id}/fee-notes/{obj.number or obj.pk}.pdf"

    def recipients(self, obj: FeeNote) -> list[str]:
        return [obj.payee.user.email] if obj.payee.user.email else []

    def message(self, obj: FeeNote, pdf: bytes) -> EmailMessage:
        cooperative = obj.cooperative
        with override(getattr(obj.payee.user, "language", "") or cooperative.language):
            subject = _("%(coop)s: fee note %(number)s (self-billing)") % {
                "coop": cooperative.legal_name or cooperative.name,
                "number": obj.number,
            }
            body = _(
                "Hello,\n\nattached is the fee note %(number)s the cooperative issued on your behalf "
                "(self-billing) over %(amount)s. If anything in it is wrong, you can object to it in the "
                "portal while it has not been paid.\n\nKind regards\n%(coop)s"
            ) % {
                "number": obj.number,
                "amount": format_money(obj.gross_amount, obj.currency, cooperative.language),
                "coop": cooperative.legal_name or cooperative.name,
            }
        message = EmailMessage(subject=subject, body=body, to=self.recipients(obj))
        message.attach(f"{obj.number}.pdf", pdf, "application/pdf")
        return message

    def enqueue_render(self, cooperative_id: int, object_id: int) -> None:
        queue_on_commit("payroll.render_fee_note_pdf", cooperative_id=cooperative_id, fee_note_id=object_id)

    def enqueue_send(self, cooperative_id: int, object_id: int) -> None:
        queue_on_commit("payroll.send_fee_note_email", cooperative_id=cooperative_id, fee_note_id=object_id)

    def sweep_queryset(self, cutoff: datetime) -> QuerySet[FeeNote]:
        return (
            FeeNote.objects.all_cooperatives()  # a maintenance scan over every tenant, on purpose
            .filter(status__in=DOCUMENT_STATUSES, decided_at__lt=cutoff)
            .order_by("decided_at", "id")
        )

    def has_recipient(self) -> Q:
        return ~Q(payee__user__email="")


FEE_NOTE_DOCUMENT = FeeNoteDocument()


def fee_note_render_document(*, cooperative_id: int, fee_note_id: int) -> FeeNote:
    return document_render(FEE_NOTE_DOCUMENT, cooperative_id=cooperative_id, object_id=fee_note_id)


def fee_note_send_email(*, cooperative_id: int, fee_note_id: int) -> FeeNote:
    return document_send(FEE_NOTE_DOCUMENT, cooperative_id=cooperative_id, object_id=fee_note_id)


def fee_note_documents_sweep() -> Any:
    return document_sweep(FEE_NOTE_DOCUMENT)


def fee_note_pdf_bytes(*, cooperative: Cooperative, fee_note: FeeNote) -> bytes:
    """The stored PDF (checked against its SHA-256), rendered now if the worker has not yet."""
    if fee_note.cooperative_id != cooperative.pk:
        raise FeeNote.DoesNotExist()
    if fee_note.status not in DOCUMENT_STATUSES:
        raise ApplicationError(_("A fee note has its document once it is approved."), conflict=True)
    stored = document_bytes(FEE_NOTE_DOCUMENT, fee_note)
    if stored is not None:
        return stored
    return fee_note_pdf_render(FEE_NOTE_DOCUMENT.queryset(cooperative.pk).get(pk=fee_note.pk))
