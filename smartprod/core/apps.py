from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "smartprod.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from smartprod.core import tasks  # noqa: F401  (registers the task names queued by name)
        from smartprod.core.registry import BeatEntry, beat_schedule

        beat_schedule.register(BeatEntry("notifications-sweep", "core.sweep_notifications", 300.0))
