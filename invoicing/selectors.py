"""Reads for invoices, payments and bank entries; every one starts from the cooperative.

Invoices follow the visibility of their project: a member sees the invoices of the projects they own or
collaborate on, staff those of the whole cooperative. Anything else raises DoesNotExist (→ 404).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from invoicing.models import (
    BankEntry,
    BankStatement,
    DunningNotice,
    ExemptionNote,
    Invoice,
    InvoiceLine,
    Payment,
    VatRate,
)
from invoicing.vat import vat_warnings
from projects.models import Project
from projects.selectors import is_staff, project_list_visible
from smartprod.tenancy.models import Cooperative, Membership


def invoice_list_visible(*, cooperative: Cooperative, membership: Membership) -> QuerySet[Invoice]:
    """The invoices and credit notes of every project the person may see, newest first."""
    visible = project_list_visible(cooperative=cooperative, membership=membership)
    return (
        Invoice.objects.for_cooperative(cooperative)
        .filter(project__in=visible.values("pk"))
        .select_related("project", "client", "original")
        .order_by("-created_at", "-id")
    )


def invoice_get(*, cooperative: Cooperative, membership: Membership, invoice_id: int) -> Invoice:
    """Raises Invoice.DoesNotExist (→ 404) for another cooperative's invoice or one the person may not see."""
    return invoice_list_visible(cooperative=cooperative, membership=membership).get(pk=invoice_id)


def dunning_notice_get(*, cooperative: Cooperative, membership: Membership, notice_id: int) -> DunningNotice:
    """A dunning notice of an invoice the person may see; otherwise DoesNotExist (→ 404)."""
    visible = invoice_list_visible(cooperative=cooperative, membership=membership)
    return (
        DunningNotice.objects.for_cooperative(cooperative)
        .select_related("invoice")
        .get(pk=notice_id, invoice__in=visible.values("pk"))
    )


def invoice_detail(*, cooperative: Cooperative, membership: Membership, invoice_id: int) -> Invoice:
    """An invoice with its lines, payments, credit notes and dunning notices (each query scoped)."""
    return (
        invoice_list_visible(cooperative=cooperative, membership=membership)
        .select_related("project__owner__user", "issued_by", "created_by")
        .prefetch_related(  # type: ignore[type-var]
            Prefetch("lines", InvoiceLine.objects.for_cooperative(cooperative).order_by("position", "id")),
            Prefetch("payments", Payment.objects.for_cooperative(cooperative).order_by("date", "id")),
            Prefetch(
                "credit_notes",
                Invoice.objects.for_cooperative(cooperative).order_by("issue_date", "id"),
            ),
            Prefetch("dunning_notices", DunningNotice.objects.for_cooperative(cooperative).order_by("level")),
        )
        .get(pk=invoice_id)
    )


def invoices_of_project(*, cooperative: Cooperative, project: Project) -> QuerySet[Invoice]:
    """The project's invoices and credit notes for its page, with payments and notices (scoped)."""
    return (
        Invoice.objects.for_cooperative(cooperative)
        .filter(project=project)
        .select_related("original")
        .prefetch_related(  # type: ignore[type-var]
            Prefetch("payments", Payment.objects.for_cooperative(cooperative).order_by("date", "id")),
            Prefetch("dunning_notices", DunningNotice.objects.for_cooperative(cooperative).order_by("level")),
        )
        .order_by("-created_at", "-id")
    )


def payment_list(*, cooperative: Cooperative, invoice: Invoice) -> QuerySet[Payment]:
    return Payment.objects.for_cooperative(cooperative).filter(invoice=invoice).order_by("date", "id")


def bank_statement_list(*, cooperative: Cooperative) -> QuerySet[BankStatement]:
    return BankStatement.objects.for_cooperative(cooperative).select_related("imported_by")


def bank_entry_list(*, cooperative: Cooperative, status: str | None = None) -> QuerySet[BankEntry]:
    qs = BankEntry.objects.for_cooperative(cooperative).select_related("statement", "invoice")
    return qs.filter(status=status) if status else qs


def bank_entries_unmatched(*, cooperative: Cooperative) -> QuerySet[BankEntry]:
    """Credits the import could not match by reference: finance assigns them by hand."""
    return bank_entry_list(cooperative=cooperative, status=BankEntry.Status.UNMATCHED)


def invoices_with_payments(*, cooperative: Cooperative) -> QuerySet[Invoice]:
    """Issued invoices with money booked on them: the choices when a returned payment is booked by hand."""
    return (
        Invoice.objects.for_cooperative(cooperative)
        .filter(
            kind=Invoice.Kind.INVOICE,
            status__in=[Invoice.Status.PAID, Invoice.Status.PARTIALLY_PAID],
        )
        .select_related("client")
        .order_by("-issue_date", "-id")
    )


def invoices_open(*, cooperative: Cooperative) -> QuerySet[Invoice]:
    """Issued invoices still waiting for money: the choices when a bank entry is assigned by hand."""
    return (
        Invoice.objects.for_cooperative(cooperative)
        .filter(
            kind=Invoice.Kind.INVOICE,
            status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID],
        )
        .select_related("client")
        .order_by("due_date", "id")
    )


def may_draft_invoices(*, membership: Membership, project: Project) -> bool:
    """Whether to offer "New invoice": the project is approved and the person owns it or is staff.
    Presentation only — invoicing.services decides again when the draft is saved."""
    return project.status == Project.Status.APPROVED and (
        project.owner_id == membership.pk or is_staff(membership)
    )


def vat_rates_between(*, country: str, start: date, end: date) -> list[tuple[Decimal, str]]:
    """The distinct VAT rates (percent, label) of a country valid on some day from `start` to `end`."""
    rows = (
        VatRate.objects.filter(country=country, valid_from__lte=end)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        .order_by("-rate", "-valid_from")
    )
    seen: dict[Decimal, str] = {}
    for row in rows:
        seen.setdefault(row.rate, row.label)
    return list(seen.items())


def exemption_notes_active(*, cooperative: Cooperative) -> QuerySet[ExemptionNote]:
    """The VAT exemptions an invoice of the cooperative may pick."""
    return ExemptionNote.objects.for_cooperative(cooperative).filter(active=True).order_by("name", "id")


def invoice_vat_warnings(*, invoice: Invoice) -> list[str]:
    """VAT charged to a business abroad (normally taxed where the client is): shown before issuing."""
    lines = list(invoice.lines.all())  # the prefetched lines of invoice_detail, when there
    return vat_warnings(cooperative=invoice.cooperative, invoice=invoice, lines=lines)
