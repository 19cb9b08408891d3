from django.urls import URLPattern, path

from smartprod.core import notification_views as views

urlpatterns: list[URLPattern] = [
    path("notifications/", views.notification_list_page, name="notification_list"),
    path("notifications/settings/", views.notification_settings_page, name="notification_settings"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification_open"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification_read"),
]

api_urlpatterns: list[URLPattern] = [
    path("notifications/", views.NotificationListApi.as_view(), name="api-notification-list"),
    path("notifications/read-all/", views.NotificationReadAllApi.as_view(), name="api-notification-read-all"),
    path(
        "notifications/<int:notification_id>/read/",
        views.NotificationReadApi.as_view(),
        name="api-notification-read",
    ),
]
