from django.urls import URLPattern, URLResolver, path

from invoicing import apis

urlpatterns: list[URLPattern | URLResolver] = [
    path("invoices/", apis.InvoiceListCreateApi.as_view(), name="api-invoice-list"),
    path("invoices/<int:invoice_id>/", apis.InvoiceDetailApi.as_view(), name="api-invoice-detail"),
    path("invoices/<int:invoice_id>/submit/", apis.InvoiceSubmitApi.as_view(), name="api-invoice-submit"),
    path("invoices/<int:invoice_id>/issue/", apis.InvoiceIssueApi.as_view(), name="api-invoice-issue"),
    path("invoices/<int:invoice_id>/pdf/", apis.InvoicePdfApi.as_view(), name="api-invoice-pdf"),
    path(
        "invoices/<int:invoice_id>/ebinterface/",
        apis.InvoiceEbinterfaceApi.as_view(),
        name="api-invoice-ebinterface",
    ),
    path(
        "invoices/<int:invoice_id>/xrechnung/",
        apis.InvoiceXrechnungApi.as_view(),
        name="api-invoice-xrechnung",
    ),
    path(
        "invoices/<int:invoice_id>/portal-upload/",
        apis.InvoicePortalUploadApi.as_view(),
        name="api-invoice-portal-upload",
    ),
    path(
        "invoices/<int:invoice_id>/payments/", apis.InvoicePaymentsApi.as_view(), name="api-invoice-payments"
    ),
    path(
        "invoices/<int:invoice_id>/credit-note/",
        apis.InvoiceCreditNoteApi.as_view(),
        name="api-invoice-credit-note",
    ),
    path(
        "invoices/<int:invoice_id>/write-off/",
        apis.InvoiceWriteOffApi.as_view(),
        name="api-invoice-write-off",
    ),
    path(
        "invoices/<int:invoice_id>/dunning-block/",
        apis.InvoiceDunningBlockApi.as_view(),
        name="api-invoice-dunning-block",
    ),
    path("bank-statements/", apis.BankStatementImportApi.as_view(), name="api-bank-statement-import"),
]
