from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "smartprod.core"
    label = "core"
    verbose_name = "Core"
