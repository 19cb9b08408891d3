"""What invoicing adds to the layers below it (which may not import it): demo data, the project page panel."""

from __future__ import annotations

import importlib.util


def register() -> None:
    from invoicing.demo import seed_invoices
    from members.demo_hooks import register_demo_hook
    from projects.panels import register_project_panel

    register_demo_hook(seed_invoices)
    if importlib.util.find_spec("invoicing.panels") is not None:  # TEMPORARY until the panel lands
        from invoicing.panels import invoice_panel

        register_project_panel(invoice_panel)
