from django.urls import URLPattern, URLResolver, path

from invoicing import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("projects/<int:project_id>/invoices/new/", views.invoice_create, name="invoice_create"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/edit/", views.invoice_update, name="invoice_update"),
    path("invoices/<int:invoice_id>/submit/", views.invoice_submit, name="invoice_submit"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:invoice_id>/e-invoice/", views.invoice_einvoice, name="invoice_einvoice"),
    path(
        "invoices/<int:invoice_id>/portal-upload/", views.invoice_portal_upload, name="invoice_portal_upload"
    ),
    path("dunning-letters/<int:notice_id>/pdf/", views.dunning_letter_pdf, name="dunning_letter_pdf"),
]
