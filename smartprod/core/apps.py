from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "smartprod.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from celery.schedules import crontab

        from smartprod.core import security_events, tasks  # noqa: F401  (task names; allauth signal receivers)
        from smartprod.core.registry import BeatEntry, beat_schedule

        beat_schedule.register(BeatEntry("notifications-sweep", "core.sweep_notifications", 300.0))
        beat_schedule.register(
            BeatEntry("notification-digests", "core.send_notification_digests", crontab(hour=6, minute=45))
        )
        security_events.register()
