"""The dunning letter: its text and figures, the PDF, and the document kind that renders and mails it once."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils.translation import override, pgettext

from invoicing.dunning.interest import _flat_fee_applies
from invoicing.lib.epc_qr import epc_qr_svg
from invoicing.lib.rf import rf_format
from invoicing.models import DunningLevel, DunningNotice, Invoice
from invoicing.services import OPEN_STATUSES
from invoicing.task_queue import SEND_DUNNING_LETTER, queue_on_commit
from smartprod.core.audit import audit_log
from smartprod.core.documents import DocumentFields, DocumentKind, document_send
from smartprod.core.formatting import format_date, format_iban, format_money, format_percent
from smartprod.core.money import ZERO
from smartprod.tenancy.models import Cooperative

PAY_WITHIN_DAYS = 10


MAX_SEND_ATTEMPTS = 6


# Unsent letters younger than this are enqueued again by the daily run (a lost task, a crashed worker);
# older ones would carry a stale pay-by date and wait for a person.
RESEND_WINDOW = timedelta(days=3)


NO_EMAIL = "Not sent: the client has no e-mail address; print the stored letter and post it."


_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")


def _labels() -> dict[str, str]:
    """The labels of a letter in the active language (letters are written under translation.override)."""
    return {
        "date": pgettext("dunning letter", "Date"),
        "invoice": pgettext("dunning letter", "Invoice"),
        "invoice_date": pgettext("dunning letter", "Invoice date"),
        "due_date": pgettext("dunning letter", "Due on"),
        "invoice_amount": pgettext("dunning letter", "Invoice amount"),
        "already_paid": pgettext("dunning letter", "Already paid or credited"),
        "open_principal": pgettext("dunning letter", "Open invoice amount"),
        "fee": pgettext("dunning letter", "Reminder fee"),
        "fees_covered": pgettext("dunning letter", "Covered by the flat-rate recovery costs (§ 458 UGB)"),
        "interest": pgettext("dunning letter", "Default interest"),
        "days": pgettext("dunning letter", "days"),
        "on": pgettext("dunning letter: interest on a principal", "on"),
        "per_year": pgettext("dunning letter", "p.a."),
        "flat_fee": pgettext("dunning letter", "Flat-rate recovery costs (§ 458 UGB)"),
        "total": pgettext("dunning letter", "Total to pay"),
        "payment": pgettext("dunning letter", "Payment"),
        "pay_by": pgettext("dunning letter", "Pay by"),
        "reference": pgettext("dunning letter", "Payment reference"),
        "account": pgettext("dunning letter", "Account"),
        "qr": pgettext("dunning letter", "Scan with your banking app"),
        "vat_id": pgettext("dunning letter", "VAT id"),
        "register": pgettext("dunning letter", "Company register"),
    }


def _language(cooperative: Cooperative) -> str:
    return "de" if cooperative.language == "de" else "en"


def _fill(text: str, values: dict[str, str]) -> str:
    """Replace {placeholders} in a level's letter text; unknown ones stay as they are (no str.format)."""
    return _PLACEHOLDER_RE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def pay_by(notice: DunningNotice) -> date:
    return notice.as_of + timedelta(days=PAY_WITHIN_DAYS)


def _salutation(invoice: Invoice) -> str:
    """A business is addressed as such; a consumer by name."""
    if invoice.client_is_business or not invoice.client_name.strip():
        return pgettext("dunning letter", "Dear Sir or Madam,")
    return pgettext("dunning letter", "Dear %(name)s,") % {"name": invoice.client_name.strip()}


def _composition(notice: DunningNotice, invoice: Invoice) -> str:
    """What the total consists of, in the letter's words (only what is claimed is named)."""
    context = "dunning letter: what the total consists of"
    items = [pgettext(context, "the open invoice amount")]
    if notice.fee:
        if _flat_fee_applies(invoice):
            items.append(pgettext(context, "the reminder costs beyond the flat-rate recovery costs"))
        elif len(notice.fee_detail) > 1:
            items.append(pgettext(context, "the reminder fees"))
        else:
            items.append(pgettext(context, "the reminder fee"))
    if notice.interest:
        items.append(pgettext(context, "statutory default interest"))
    if notice.flat_fee:
        items.append(pgettext(context, "the flat-rate recovery costs (§ 458 UGB)"))
    if len(items) == 1:
        return pgettext("dunning letter", "The total is the open invoice amount.")
    listed = f"{', '.join(items[:-1])} {pgettext(context, 'and')} {items[-1]}"
    return pgettext("dunning letter", "The total consists of %(items)s; please see the statement below.") % {
        "items": listed
    }


def _interest_note(notice: DunningNotice, invoice: Invoice, language: str) -> str:
    """Every letter says that default interest keeps running until payment (rates: § 456 UGB between
    businesses, § 1000 (1) ABGB otherwise; see lib/interest.py)."""
    if invoice.client_is_business:
        rate = pgettext("dunning letter", "9.2 percentage points above the base rate, § 456 UGB")
    else:
        rate = pgettext("dunning letter", "4 % p.a., § 1000 (1) ABGB")
    if notice.interest_detail:
        return pgettext(
            "dunning letter",
            "Default interest (%(rate)s) is calculated up to %(as_of)s; it keeps running until your payment "
            "is received.",
        ) % {"rate": rate, "as_of": format_date(notice.as_of, language)}
    return pgettext(
        "dunning letter",
        "Statutory default interest (%(rate)s) runs from the day after the due date until your payment is "
        "received.",
    ) % {"rate": rate}


def _recipient_lines(invoice: Invoice) -> list[str]:
    """The address snapshot without its last line when that is the cooperative's own country (domestic)."""
    lines = [line.strip() for line in invoice.client_address.splitlines() if line.strip()]
    if lines and lines[-1].upper() == invoice.cooperative.country.upper():
        lines.pop()
    return lines


def _claim_rows(
    notice: DunningNotice, invoice: Invoice, language: str, money: Callable[[Decimal], str]
) -> list[dict[str, Any]]:
    """The statement under the letter: every claimed item, with the fee letters and interest periods.

    Each row: label, amount (formatted), kind: 'item' (a claimed amount), 'detail' (how it is made up) or
    'total'.
    The items add up to the total: principal + fees + interest + flat fee.
    """
    labels = _labels()
    rows: list[dict[str, Any]] = []

    def row(label: str, amount: str, kind: str = "item") -> None:
        rows.append({"label": label, "amount": amount, "kind": kind})

    invoice_date = format_date(invoice.issue_date, language)
    due_date = format_date(invoice.due_date, language)
    row(
        f"{labels['invoice']} {invoice.number} · {labels['invoice_date']} {invoice_date} · "
        f"{labels['due_date']} {due_date}",
        money(invoice.gross_total),
        "detail",
    )
    if invoice.gross_total != notice.open_principal:
        row(labels["already_paid"], f"− {money(invoice.gross_total - notice.open_principal)}", "detail")
    row(labels["open_principal"], money(notice.open_principal))
    fee_items = [
        (item["name_de"] if language == "de" else item["name_en"], Decimal(item["amount"]))
        for item in notice.fee_detail
    ]
    costs = sum((amount for _, amount in fee_items), ZERO)
    covered = costs - notice.fee
    for name, amount in fee_items:
        row(f"{labels['fee']} – {name}", money(amount), "detail" if covered else "item")
    if fee_items and covered:
        row(labels["fees_covered"], f"− {money(covered)}", "detail")
        if notice.fee:
            row(labels["fee"], money(notice.fee))
    if notice.interest_detail:
        row(labels["interest"], money(notice.interest))
        for s in notice.interest_detail:
            period = (
                f"{format_date(date.fromisoformat(s['start']), language)} – "
                f"{format_date(date.fromisoformat(s['end']), language)}"
            )
            row(
                f"{period} · {s['days']} {labels['days']} · "
                f"{format_percent(Decimal(s['rate']), language, places=2)} {labels['per_year']} "
                f"{labels['on']} {money(Decimal(s['principal']))}",
                money(Decimal(s["amount"])),
                "detail",
            )
    elif notice.interest:
        row(labels["interest"], money(notice.interest))
    if notice.flat_fee:
        row(labels["flat_fee"], money(notice.flat_fee))
    row(labels["total"], money(notice.total_claimed), "total")
    return rows


def dunning_letter_context(*, notice: DunningNotice, invoice: Invoice, level: DunningLevel) -> dict[str, Any]:
    """Everything the letter (PDF and e-mail) shows, written in the cooperative's language."""
    cooperative = invoice.cooperative
    language = _language(cooperative)
    currency = invoice.currency

    def money(amount: Decimal) -> str:
        return format_money(amount, currency, language)

    with override(language):
        values = {
            "number": invoice.number or "",
            "invoice_date": format_date(invoice.issue_date, language),
            "due_date": format_date(invoice.due_date, language),
            "open_amount": money(notice.open_principal),
            "fee": money(notice.fee),
            "interest": money(notice.interest),
            "flat_fee": money(notice.flat_fee),
            "total": money(notice.total_claimed),
            "rf_reference": rf_format(invoice.rf_reference)
            if invoice.rf_reference
            else (invoice.number or ""),
            "pay_by": format_date(pay_by(notice), language),
            "iban": format_iban(cooperative.iban),
            "client_name": invoice.client_name,
            "salutation": _salutation(invoice),
            "composition": _composition(notice, invoice),
        }
        labels = _labels()
        claim_rows = _claim_rows(notice, invoice, language, money)
        interest_note = _interest_note(notice, invoice, language)
    body = _fill(level.text_de if language == "de" else level.text_en, values)
    qr_svg = ""
    if currency == "EUR" and notice.total_claimed > 0:
        try:
            qr_svg = epc_qr_svg(
                name=cooperative.legal_name or cooperative.name,
                iban=cooperative.iban,
                bic=cooperative.bic,
                amount=notice.total_claimed,
                reference=invoice.rf_reference,
            )
        except ValueError:  # e.g. no RF reference: the letter still tells how to pay
            qr_svg = ""
    return {
        "language": language,
        "labels": labels,
        "cooperative": cooperative,
        "invoice": invoice,
        "notice": notice,
        "title": level.name_de if language == "de" else level.name_en,
        "letter_date": format_date(notice.as_of, language),
        "client_address_lines": _recipient_lines(invoice),
        "paragraphs": [part.strip() for part in body.split("\n\n") if part.strip()],
        "values": values,
        "claim_rows": claim_rows,
        "interest_note": interest_note,
        "qr_svg": qr_svg,
        "bic": cooperative.bic,
    }


def dunning_letter_pdf(context: dict[str, Any]) -> bytes:
    """Render templates/invoicing/pdf/dunning.html (with `dunning_letter_context`) through WeasyPrint."""
    from weasyprint import HTML

    with override(context["language"]):
        html = render_to_string("invoicing/pdf/dunning.html", context)
    pdf: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return pdf


def dunning_letter_path(notice: DunningNotice, invoice: Invoice) -> str:
    return f"coop-{invoice.cooperative_id}/dunning/{dunning_letter_file_name(notice, invoice)}"


def dunning_letter_file_name(notice: DunningNotice, invoice: Invoice | None = None) -> str:
    """2026-00001-2.pdf: the invoice's number and the level (also the name a download gets)."""
    invoice = invoice or notice.invoice
    safe_number = re.sub(r"[^0-9A-Za-z._-]", "-", invoice.number or f"invoice-{invoice.pk}")
    return f"{safe_number}-{notice.level}.pdf"


def _reason_not_to_send(invoice: Invoice) -> str:
    if invoice.status == Invoice.Status.PAID:
        return "Not sent: the invoice is paid."
    if invoice.status == Invoice.Status.CANCELLED:
        return "Not sent: the invoice was credited."
    if invoice.status == Invoice.Status.WRITTEN_OFF:
        return "Not sent: the invoice was written off."
    if invoice.status not in OPEN_STATUSES or invoice.open_amount <= 0:
        return "Not sent: nothing is open on the invoice."
    if invoice.dunning_blocked:
        return "Not sent: dunning is blocked for this invoice."
    return ""


def _letter_context(notice: DunningNotice) -> dict[str, Any]:
    level = DunningLevel.objects.for_cooperative(notice.cooperative_id).get(level=notice.level)
    return dunning_letter_context(notice=notice, invoice=notice.invoice, level=level)


class DunningLetter(DocumentKind[DunningNotice]):
    """A dunning notice's letter: rendered when it is sent (its claim is fixed in the notice), stored, and
    e-mailed to the client once; for a client without an e-mail address only stored, to be posted."""

    code = "invoicing.dunning_letter"
    model = DunningNotice
    fields = DocumentFields(
        sha256=None,
        rendered_at=None,
        sent_at="sent_at",
        sent_to=None,
        attempts="send_attempts",
        error="send_error",
    )
    max_attempts = MAX_SEND_ATTEMPTS
    render_on_send = True
    reset_attempts_on_success = False
    no_recipient_error = NO_EMAIL
    sweep_grace = timedelta(0)  # the daily run sweeps after the previous run's tasks had a day
    sweep_interval = timedelta(days=1)

    def queryset(self, cooperative_id: int) -> QuerySet[DunningNotice]:
        return DunningNotice.objects.for_cooperative(cooperative_id).select_related(
            "invoice__cooperative", "invoice__client"
        )

    def skip_reason(self, obj: DunningNotice) -> str:
        return _reason_not_to_send(obj.invoice)

    def render(self, obj: DunningNotice) -> bytes:
        return dunning_letter_pdf(_letter_context(obj))

    def storage_name(self, obj: DunningNotice) -> str:
        return dunning_letter_path(obj, obj.invoice)

    def recipients(self, obj: DunningNotice) -> list[str]:
        return [obj.invoice.client_email] if obj.invoice.client_email else []

    def message(self, obj: DunningNotice, pdf: bytes) -> EmailMessage:
        invoice = obj.invoice
        context = _letter_context(obj)
        with override(context["language"]):
            subject = f"{context['title']} – {context['labels']['invoice']} {invoice.number}"
            body = render_to_string("invoicing/email/dunning.txt", context)
        cooperative = invoice.cooperative
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            reply_to=[cooperative.email] if cooperative.email else None,
        )
        message.attach(self.storage_name(obj).rsplit("/", 1)[-1], pdf, "application/pdf")
        return message

    def after_send(self, obj: DunningNotice) -> None:
        audit_log(
            cooperative=obj.invoice.cooperative,
            actor=None,
            event="dunning.letter_sent",
            obj=obj,
            data={"invoice": obj.invoice.number, "level": obj.level, "to": obj.invoice.client_email},
        )

    def enqueue_render(self, cooperative_id: int, object_id: int) -> None:
        self.enqueue_send(cooperative_id, object_id)  # the send renders first

    def enqueue_send(self, cooperative_id: int, object_id: int) -> None:
        queue_on_commit(SEND_DUNNING_LETTER, cooperative_id=cooperative_id, notice_id=object_id)

    def sweep_queryset(self, cutoff: datetime) -> QuerySet[DunningNotice]:
        # Older unsent letters would carry a stale pay-by date: they wait for a person.
        return (
            DunningNotice.objects.all_cooperatives()
            .filter(
                created_at__lt=cutoff,
                created_at__gte=cutoff - RESEND_WINDOW,
                invoice__status__in=OPEN_STATUSES,
                invoice__dunning_blocked=False,
            )
            .order_by("created_at", "id")
        )

    def has_recipient(self) -> Q:
        return ~Q(invoice__client_email="")


DUNNING_LETTER = DunningLetter()


def dunning_send_letter(*, cooperative_id: int, notice_id: int) -> DunningNotice:
    """Render a notice's letter, store it privately and e-mail it to the client — exactly once.

    The notice row is locked for the whole send: a second task for the same notice waits, then finds
    `sent_at` set and does nothing. Paid, credited, written-off and blocked invoices get no letter (the
    reason is kept in `send_error`); for a client without an e-mail address the letter is only stored, to be
    printed and posted (`send_error` says so, `sent_at` stays empty). A failure rolls back, is recorded as
    an attempt and raised, so the task retries. (If the mail server accepts the mail and the commit then
    fails, the retry sends it again: at-least-once at that one point, as with any mail sent from a
    transaction.) See `smartprod.core.documents`.
    """
    return document_send(DUNNING_LETTER, cooperative_id=cooperative_id, object_id=notice_id)
