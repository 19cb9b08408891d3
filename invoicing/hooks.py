"""What invoicing adds to the layers below it (which may not import it): demo data, the project page panel,
its periodic scans, its kinds of document."""

from __future__ import annotations

from celery.schedules import crontab
from django.conf import settings


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
    from projects.panels import panels
    from smartprod.core.documents import document_kinds
    from smartprod.core.registry import BeatEntry, beat_schedule

    demo_data.register(seed_invoices)
    panels.register(invoice_panel)
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
