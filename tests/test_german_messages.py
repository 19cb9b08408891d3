"""Messages that came out in English on German pages: the UID check's reason, bank import XML errors, the
API's 403 text and the backend's row names."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from invoicing.bank import bank_statement_import
from invoicing.dunning import dunning_policy
from invoicing.models import BaseRate, VatRate
from projects import services
from smartprod.core.errors import ApplicationError
from smartprod.core.validators import validate_iban, validate_vat_id
from tests.projects_helpers import make_project, pdf_upload

pytestmark = pytest.mark.django_db


def _message(validator, value: str) -> str:
    with pytest.raises(ValidationError) as refused:
        validator(value)
    with translation.override("de"):
        return str(refused.value.messages[0])


def test_uid_and_iban_check_reasons_are_german():
    assert _message(validate_vat_id, "ATU12345678") == (
        "ATU12345678 ist keine gültige EU-UID-Nummer: die Prüfziffer stimmt nicht"
    )
    assert _message(validate_vat_id, "ATU1234567").endswith(": die Länge stimmt nicht")
    assert _message(validate_vat_id, "XX123").endswith(
        ": ein Teil davon (z. B. das Länderkürzel) ist ungültig"
    )
    assert _message(validate_iban, "AT611904300234573202").endswith(": die Prüfziffern stimmen nicht")


def test_bank_import_xml_errors_are_german(coop, make_member):
    finance = make_member(coop, "finance")
    with translation.override("de"), pytest.raises(ApplicationError) as refused:
        bank_statement_import(cooperative=coop, actor=finance, data=b"<Document><unclosed></Document>")

    assert refused.value.message.startswith(
        "Der Kontoauszug kann nicht gelesen werden: Kein wohlgeformtes XML-Dokument: "
    )


def test_bank_import_element_errors_are_german(coop, make_member):
    finance = make_member(coop, "finance")
    data = (
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        b"</BkToCstmrStmt></Document>"
    )
    with translation.override("de"), pytest.raises(ApplicationError) as refused:
        bank_statement_import(cooperative=coop, actor=finance, data=data)

    assert refused.value.message == (
        "Der Kontoauszug kann nicht gelesen werden: Das Element BkToCstmrStmt enthält keinen Stmt (Auszug)."
    )


def test_api_403_is_german(coop, make_member, api_for):
    owner = make_member(coop)
    project = make_project(coop, owner)
    services.document_upload(
        cooperative=coop, actor=owner, project=project, kind="contract", upload=pdf_upload()
    )
    services.project_submit(cooperative=coop, actor=owner, project=project)
    api = api_for(owner)
    api.cookies["django_language"] = "de"

    response = api.post(f"/api/projects/{project.pk}/approve/", {}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == "Ihre Rolle in dieser Genossenschaft erlaubt diese Aktion nicht."


def test_backend_row_names_are_german(coop):
    vat = VatRate.objects.filter(country="AT", code="standard").order_by("valid_from").first()
    base = BaseRate.objects.filter(country="AT").order_by("valid_from").first()
    level = dunning_policy(cooperative=coop)[0]
    assert vat is not None and base is not None
    with translation.override("de"):
        assert str(vat) == f"AT standard {vat.rate} % ab {vat.valid_from:%d.%m.%Y}"
        assert str(base) == f"AT {base.rate} % ab {base.valid_from:%d.%m.%Y}"
        assert str(level) == f"1: Zahlungserinnerung (+{level.days_after_due} Tage)"
    with translation.override("en"):
        assert str(level) == f"1: Payment reminder (+{level.days_after_due} days)"
