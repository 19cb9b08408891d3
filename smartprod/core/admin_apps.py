from django.contrib.admin.apps import AdminConfig


class SmartAdminConfig(AdminConfig):
    default_site = "smartprod.core.admin_site.CooperativeAdminSite"
