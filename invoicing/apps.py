from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Invoicing")

    def ready(self) -> None:
        from invoicing import hooks

        hooks.register()
        from invoicing import documents_area

        documents_area.register()

        from invoicing.work_queue import invoicing_work_queue
        from smartprod.core.registry import work_queue_items

        work_queue_items.register(invoicing_work_queue)
