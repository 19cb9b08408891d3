from django.urls import URLPattern, URLResolver, path

from payroll.apis import employments as employment_apis
from payroll.apis import fees, profiles
from payroll.apis import payroll_runs as payroll_run_apis
from payroll.apis import preview as preview_apis
from payroll.apis import runs as run_apis

urlpatterns: list[URLPattern | URLResolver] = [
    # --- payee profiles (helper `profile`) ---
    path("me/payee-profile/", profiles.MyPayeeProfileApi.as_view(), name="api-me-payee-profile"),
    # --- end payee profiles ---
    # --- fees (fee notes, payout items, pay options) ---
    path(
        "projects/<int:project_id>/fee-notes/",
        fees.ProjectFeeNoteListCreateApi.as_view(),
        name="api-project-fee-notes",
    ),
    path(
        "projects/<int:project_id>/pay-options/", fees.PayOptionsApi.as_view(), name="api-project-pay-options"
    ),
    path("fee-notes/<int:fee_note_id>/", fees.FeeNoteDetailApi.as_view(), name="api-fee-note-detail"),
    path("fee-notes/<int:fee_note_id>/pdf/", fees.FeeNotePdfApi.as_view(), name="api-fee-note-pdf"),
    path(
        "fee-notes/<int:fee_note_id>/approve/", fees.FeeNoteApproveApi.as_view(), name="api-fee-note-approve"
    ),
    path("fee-notes/<int:fee_note_id>/reject/", fees.FeeNoteRejectApi.as_view(), name="api-fee-note-reject"),
    path("fee-notes/<int:fee_note_id>/object/", fees.FeeNoteObjectApi.as_view(), name="api-fee-note-object"),
    path("payouts/", fees.PayoutListApi.as_view(), name="api-payout-list"),
    # --- end fees ---
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
    # --- end payout runs ---
    # --- payroll preview (helper `paycalc`) ---
    path("payroll/preview/", preview_apis.PayrollPreviewApi.as_view(), name="api-payroll-preview"),
    # --- end payroll preview ---
    # --- employments and salaries (branch payemp) ---
    path(
        "projects/<int:project_id>/employments/",
        employment_apis.ProjectEmploymentListCreateApi.as_view(),
        name="api-project-employments",
    ),
    path(
        "projects/<int:project_id>/salaries/",
        employment_apis.ProjectSalaryListCreateApi.as_view(),
        name="api-project-salaries",
    ),
    # --- end employments and salaries ---
    # --- payroll run (branch payrun) ---
    path("payroll-runs/", payroll_run_apis.PayrollRunListCreateApi.as_view(), name="api-payroll-run-list"),
    path("payslips/", payroll_run_apis.PayslipListApi.as_view(), name="api-payslip-list"),
    path(
        "payslips/<int:payslip_id>/", payroll_run_apis.PayslipDetailApi.as_view(), name="api-payslip-detail"
    ),
    path("payslips/<int:payslip_id>/pdf/", payroll_run_apis.PayslipPdfApi.as_view(), name="api-payslip-pdf"),
    path(
        "payslips/<int:payslip_id>/reverse/",
        payroll_run_apis.PayslipReverseApi.as_view(),
        name="api-payslip-reverse",
    ),
    # --- end payroll run ---
]
