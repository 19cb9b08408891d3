from django.urls import URLPattern, URLResolver, path

from payroll.views import calculator, fees, payslips, profiles
from payroll.views import employments as employment_views

urlpatterns: list[URLPattern | URLResolver] = [
    # --- payee profiles (helper `profile`) ---
    path("payout-details/", profiles.payee_profile_edit, name="payee_profile"),
    # --- end payee profiles ---
    # --- fees ---
    path("projects/<int:project_id>/payouts/request/", fees.fee_note_create, name="fee_note_create"),
    path("payroll/fee-notes/<int:fee_note_id>/", fees.fee_note_detail, name="fee_note_detail"),
    path("payroll/fee-notes/<int:fee_note_id>/object/", fees.fee_note_object, name="fee_note_object"),
    path("payroll/fee-notes/<int:fee_note_id>/pdf/", fees.fee_note_pdf, name="fee_note_pdf"),
    # --- end fees ---
    # --- salary calculator (helper `paycalc`) ---
    path("payroll/calculator/", calculator.payroll_calculator, name="payroll_calculator"),
    # --- end salary calculator ---
    # --- employments and salaries (branch payemp) ---
    path(
        "projects/<int:project_id>/employments/new/",
        employment_views.employment_create,
        name="employment_create",
    ),
    path(
        "projects/<int:project_id>/salaries/request/", employment_views.salary_request, name="salary_request"
    ),
    # --- end employments and salaries ---
    # --- payroll run (branch payrun) ---
    path("payslips/", payslips.payslip_list_page, name="payslip_list"),
    path("payslips/<int:payslip_id>/pdf/", payslips.payslip_pdf, name="payslip_pdf"),
    # --- end payroll run ---
]
