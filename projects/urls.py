from django.urls import URLPattern, URLResolver, path

from projects import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_create, name="client_create"),
    path("clients/<int:client_id>/edit/", views.client_update, name="client_update"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/edit/", views.project_update, name="project_update"),
    path("projects/<int:project_id>/submit/", views.project_submit, name="project_submit"),
    path("projects/<int:project_id>/close/", views.project_close, name="project_close"),
    path("projects/<int:project_id>/documents/new/", views.document_upload, name="document_upload"),
    path("projects/<int:project_id>/expenses/new/", views.expense_submit, name="expense_submit"),
    path("documents/<int:document_id>/download/", views.document_download, name="document_download"),
]
