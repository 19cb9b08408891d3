from django.urls import URLPattern, URLResolver, path

# --- payout runs (branch runs) ---
from payroll.apis import runs as run_apis

urlpatterns: list[URLPattern | URLResolver] = [
    # --- payout runs (branch runs) ---
    path("payout-runs/", run_apis.PayoutRunListCreateApi.as_view(), name="api-payout-run-list"),
    path("payout-runs/preview/", run_apis.PayoutRunPreviewApi.as_view(), name="api-payout-run-preview"),
    path("payout-runs/<int:run_id>/", run_apis.PayoutRunDetailApi.as_view(), name="api-payout-run-detail"),
    path("payout-runs/<int:run_id>/sepa/", run_apis.PayoutRunSepaApi.as_view(), name="api-payout-run-sepa"),
    path(
        "payout-runs/<int:run_id>/approve/",
        run_apis.PayoutRunApproveApi.as_view(),
        name="api-payout-run-approve",
    ),
    path(
        "payout-runs/<int:run_id>/mark-sent/",
        run_apis.PayoutRunMarkSentApi.as_view(),
        name="api-payout-run-mark-sent",
    ),
    path(
        "payout-runs/<int:run_id>/confirm/",
        run_apis.PayoutRunConfirmApi.as_view(),
        name="api-payout-run-confirm",
    ),
    path(
        "payout-runs/<int:run_id>/status-report/",
        run_apis.PayoutRunStatusReportApi.as_view(),
        name="api-payout-run-status-report",
    ),
]
