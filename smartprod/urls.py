from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from smartprod.core import documents_area_views, notification_urls
from smartprod.core import views as core_views
from smartprod.core.finance_cockpit import finance_cockpit_page
from smartprod.core.permissions import ApiDocsPermission

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[ApiDocsPermission]), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[ApiDocsPermission]),
        name="api-docs",
    ),
    path("", include("members.api_urls")),
    path("", include("projects.api_urls")),
    path("", include("invoicing.api_urls")),
    path("", include("payroll.api_urls")),
    path("", include(notification_urls.api_urlpatterns)),
    path("documents/", documents_area_views.DocumentListApi.as_view(), name="api-document-list"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/documents/stuck/", core_views.documents_stuck_page, name="documents_stuck"),
    path("finance/", finance_cockpit_page, name="finance_cockpit"),
    path("api/", include(api_urlpatterns)),
    path("", include("members.urls")),
    path("", include("projects.urls")),
    path("", include("invoicing.urls")),
    path("", include("payroll.urls")),
    path("", include(notification_urls.urlpatterns)),
    path("documents/", documents_area_views.documents_page, name="documents_area"),
]
