"""What invoicing adds to the layers below it (which may not import it): demo data, the project page panel."""

from __future__ import annotations


def register() -> None:
    from invoicing.demo import seed_invoices
    from invoicing.panels import invoice_panel
    from members.demo_hooks import register_demo_hook
    from projects.panels import register_project_panel

    register_demo_hook(seed_invoices)
    register_project_panel(invoice_panel)
