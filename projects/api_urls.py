from django.urls import URLPattern, URLResolver, path

from projects import apis

urlpatterns: list[URLPattern | URLResolver] = [
    path("clients/", apis.ClientListCreateApi.as_view(), name="api-client-list"),
    path("projects/", apis.ProjectListCreateApi.as_view(), name="api-project-list"),
    path("projects/<int:project_id>/", apis.ProjectDetailApi.as_view(), name="api-project-detail"),
    path("projects/<int:project_id>/submit/", apis.ProjectSubmitApi.as_view(), name="api-project-submit"),
    path("projects/<int:project_id>/approve/", apis.ProjectApproveApi.as_view(), name="api-project-approve"),
    path("projects/<int:project_id>/reject/", apis.ProjectRejectApi.as_view(), name="api-project-reject"),
    path(
        "projects/<int:project_id>/request-changes/",
        apis.ProjectRequestChangesApi.as_view(),
        name="api-project-request-changes",
    ),
    path(
        "projects/<int:project_id>/documents/",
        apis.ProjectDocumentListCreateApi.as_view(),
        name="api-project-documents",
    ),
    path(
        "projects/<int:project_id>/expenses/",
        apis.ProjectExpenseListCreateApi.as_view(),
        name="api-project-expenses",
    ),
    path("projects/<int:project_id>/budget/", apis.ProjectBudgetApi.as_view(), name="api-project-budget"),
    path("expenses/<int:expense_id>/approve/", apis.ExpenseApproveApi.as_view(), name="api-expense-approve"),
    path("expenses/<int:expense_id>/reject/", apis.ExpenseRejectApi.as_view(), name="api-expense-reject"),
]
