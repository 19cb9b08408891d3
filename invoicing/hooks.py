"""What invoicing adds to the layers below it (which may not import it): demo data, the project page panel,
its periodic scans, its kinds of document."""

from __future__ import annotations

from celery.schedules import crontab


def register() -> None:
    from invoicing.demo import seed_invoices
    from invoicing.documents import INVOICE_DOCUMENT
    from invoicing.dunning import DUNNING_LETTER
    from invoicing.panels import invoice_panel
    from members.demo_hooks import demo_data
    from projects.panels import panels
    from smartprod.core.documents import document_kinds
    from smartprod.core.registry import BeatEntry, beat_schedule

    demo_data.register(seed_invoices)
    panels.register(invoice_panel)
    document_kinds.register(INVOICE_DOCUMENT)
    document_kinds.register(DUNNING_LETTER)
    beat_schedule.register(BeatEntry("dunning-daily", "invoicing.run_dunning", crontab(hour=6, minute=0)))
    beat_schedule.register(BeatEntry("invoice-documents-sweep", "invoicing.sweep_invoice_documents", 300.0))
