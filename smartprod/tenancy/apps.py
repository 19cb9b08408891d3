from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    """The tenant (Cooperative) and a person's place in it (Membership): the bottom of the app layers."""

    name = "smartprod.tenancy"
    label = "tenancy"
    verbose_name = _("Cooperatives and memberships")
