"""What invoicing adds to the layers below it (which may not import it): demo data, the project page panel,
its periodic scans, its kinds of document."""

from __future__ import annotations

from celery.schedules import crontab
from django.conf import settings
from django.db.models import OuterRef, Subquery


def contribution_rate_sql() -> Subquery:
    """The rate stored on the invoice or credit note a budget line (the OuterRef) was posted for."""
    from invoicing.models import Invoice

    documents = Invoice.objects.filter(
        cooperative=OuterRef("cooperative"), project=OuterRef("project"), number=OuterRef("reference")
    ).order_by()
    return Subquery(documents.values("contribution_rate")[:1])


def settled_invoice_sql() -> Subquery:
    """The original invoice's number of a credit note's receivable line (the OuterRef), else null."""
    from invoicing.models import Invoice

    notes = Invoice.objects.filter(
        cooperative=OuterRef("cooperative"),
        number=OuterRef("reference"),
        kind=Invoice.Kind.CREDIT_NOTE,
    ).order_by()
    return Subquery(notes.values("original__number")[:1])


def register() -> None:
    # The task modules register their tasks by name, which the document kinds and the dunning run queue
    # (invoicing.task_queue): imported here so web processes know them too, not only workers.
    from invoicing import dunning_tasks, finance_figures, notifications, tasks  # noqa: F401
    from invoicing.demo import seed_invoices
    from invoicing.documents import INVOICE_DOCUMENT
    from invoicing.dunning import DUNNING_LETTER
    from invoicing.panels import invoice_panel
    from invoicing.task_queue import RUN_DUNNING, SWEEP_INVOICE_DOCUMENTS
    from members.demo_hooks import demo_data
    from projects.budget import contribution_rates, settled_invoices
    from projects.panels import panels
    from smartprod.core.documents import document_kinds
    from smartprod.core.registry import BeatEntry, beat_schedule

    demo_data.register(seed_invoices)
    panels.register(invoice_panel)
    contribution_rates.register(contribution_rate_sql)
    settled_invoices.register(settled_invoice_sql)
    document_kinds.register(INVOICE_DOCUMENT)
    document_kinds.register(DUNNING_LETTER)
    notifications.register()
    finance_figures.register()
    beat_schedule.register(BeatEntry("dunning-daily", RUN_DUNNING, crontab(hour=6, minute=0)))
    beat_schedule.register(
        BeatEntry(
            "invoice-documents-sweep",
            SWEEP_INVOICE_DOCUMENTS,
            float(settings.DOCUMENT_SWEEP_INTERVAL_SECONDS),
        )
    )
