from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Invoicing")

    def ready(self) -> None:
        from invoicing import hooks

        hooks.register()
        # --- documents area (branch docs) ---
        from invoicing import documents_area

        documents_area.register()
        # --- end documents area ---
