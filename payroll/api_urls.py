from django.urls import URLPattern, URLResolver, path

from payroll.apis import fees, profiles

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
]
