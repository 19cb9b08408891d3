"""VAT treatment by where the client is (§ 3a Abs. 6 UStG): reverse charge only for a business in another EU
country with its UID, "not taxable here" (EN 16931 category O) for a business outside the EU, exemptions
only from the cooperative's list — in the services, the API and the invoice form."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from invoicing import selectors, services
from invoicing.models import ExemptionNote, InvoiceLine
from projects import services as project_services
from smartprod.core.errors import ApplicationError
from tests.invoicing_helpers import draft, issued
from tests.projects_helpers import approved_project, make_client, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


@pytest.fixture
def advisor(coop, make_member):
    return make_member(coop, role="advisor")


def _project(coop, owner, advisor, **client):
    return approved_project(coop, owner, advisor, client=make_client(coop, owner, **client))


def _german_business(coop, owner, advisor, vat_id="DE136695976"):
    return _project(
        coop, owner, advisor, name="Kunde GmbH", postcode="80331", city="München", country="DE", vat_id=vat_id
    )


def _swiss_business(coop, owner, advisor):
    return _project(
        coop, owner, advisor, name="Studio AG", postcode="8001", city="Zürich", country="CH", vat_id=""
    )


def test_reverse_charge_for_an_austrian_business_is_refused(coop, owner, advisor):
    project = _project(coop, owner, advisor, name="ACME GmbH", vat_id="ATU12345675")
    with pytest.raises(ApplicationError) as caught:
        draft(coop, owner, project, ("Workshop", "1", "100.00", "reverse_charge"))
    assert caught.value.message == (
        "ACME GmbH is a business in AT, the cooperative's own country: reverse charge is only for "
        "businesses in another EU country; charge VAT."
    )
    assert caught.value.details == {"vat_rate": ["Reverse charge is not possible for this client."]}


def test_reverse_charge_for_an_eu_business_without_its_uid_is_refused(coop, owner, advisor):
    project = _german_business(coop, owner, advisor, vat_id="")
    with pytest.raises(ApplicationError, match="needs a valid VAT id \\(UID\\) of DE for Kunde GmbH"):
        draft(coop, owner, project, ("Workshop", "1", "100.00", "reverse_charge"))


def test_reverse_charge_for_a_uid_of_another_country_than_the_address_is_refused(coop, owner, advisor):
    project = _project(coop, owner, advisor, name="Kunde SARL", country="FR", vat_id="DE136695976")
    with pytest.raises(ApplicationError, match="valid VAT id \\(UID\\) of FR"):
        draft(coop, owner, project, ("Workshop", "1", "100.00", "reverse_charge"))


def test_reverse_charge_for_a_consumer_is_refused(coop, owner, advisor):
    project = _project(coop, owner, advisor, name="Erika Muster", kind="consumer", country="DE", vat_id="")
    with pytest.raises(ApplicationError, match="is a private person"):
        draft(coop, owner, project, ("Portrait", "1", "100.00", "reverse_charge"))


def test_eu_business_with_uid_is_invoiced_with_reverse_charge(coop, owner, advisor):
    project = _german_business(coop, owner, advisor)
    invoice = issued(coop, owner, advisor, project, ("Workshop", "3", "650.00", "reverse_charge"))
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        Decimal("1950.00"),
        Decimal("0.00"),
        Decimal("1950.00"),
    )
    assert invoice.legal_note == (
        "Reverse charge: the place of supply is the recipient's member state (§ 3a (6) Austrian VAT Act); "
        "the recipient is liable for the VAT (Art. 196 VAT Directive). Recipient's VAT id: DE136695976"
    )


def test_twenty_percent_to_an_eu_business_is_allowed_with_a_warning(coop, owner, advisor):
    project = _german_business(coop, owner, advisor)
    invoice = draft(coop, owner, project, ("Admission to our event in Vienna", "1", "100.00", "20"))
    assert invoice.vat_total == Decimal("20.00")
    assert selectors.invoice_vat_warnings(invoice=invoice) == [
        "Kunde GmbH is a business in another EU country: services to it are normally taxed there "
        "(§ 3a Abs. 6 UStG) and invoiced with reverse charge. Charge VAT only if a special rule puts the "
        "place of supply here (e.g. admission to an event held here)."
    ]
    reverse = draft(coop, owner, project, ("Workshop", "1", "100.00", "reverse_charge"))
    assert selectors.invoice_vat_warnings(invoice=reverse) == []


def test_third_country_business_is_not_taxable_here_not_reverse_charge(coop, owner, advisor):
    project = _swiss_business(coop, owner, advisor)
    with pytest.raises(ApplicationError) as caught:
        draft(coop, owner, project, ("Set design", "1", "500.00", "reverse_charge"))
    assert caught.value.message == (
        "Studio AG is a business outside the EU (CH): the service is not taxable here, which is not reverse "
        "charge. Choose “not taxable here”."
    )
    # BR-CO-26: a seller without a VAT id on the document needs its register number; the issue builds the
    # EN 16931 XML before it gives a number, so the cooperative's register number must be there.
    coop.register_number = "FN 123456a"
    coop.save(update_fields=["register_number"])
    invoice = issued(coop, owner, advisor, project, ("Set design", "1", "500.00", "not_taxable"))
    (line,) = invoice.lines.all()
    assert (line.vat_category, line.vat_rate, line.vat_amount) == (
        InvoiceLine.VatCategory.NOT_TAXABLE,
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert invoice.gross_total == Decimal("500.00")
    assert invoice.legal_note.startswith("Not taxable in Austria")
    taxable = draft(coop, owner, project, ("Set design", "1", "500.00", "20"))
    assert selectors.invoice_vat_warnings(invoice=taxable)[0].startswith(
        "Studio AG is a business outside the EU: services to it are normally not taxable here"
    )


def test_not_taxable_for_a_domestic_or_eu_client_is_refused(coop, owner, advisor):
    domestic = _project(coop, owner, advisor, name="ACME GmbH")
    with pytest.raises(ApplicationError, match="only for business clients outside the EU"):
        draft(coop, owner, domestic, ("Set design", "1", "500.00", "not_taxable"))
    german = _german_business(coop, owner, advisor)
    with pytest.raises(ApplicationError, match="invoice it with reverse charge"):
        draft(coop, owner, german, ("Set design", "1", "500.00", "not_taxable"))


def test_issue_checks_the_treatment_again_when_the_client_changed(coop, owner, advisor):
    project = _german_business(coop, owner, advisor)
    invoice = draft(coop, owner, project, ("Workshop", "1", "100.00", "reverse_charge"))
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    project_services.client_update(cooperative=coop, actor=advisor, client=project.client, vat_id="")
    invoice.refresh_from_db()
    with pytest.raises(ApplicationError, match="needs a valid VAT id"):
        services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice)


def test_exempt_lines_need_one_of_the_cooperatives_exemption_notes(coop, other_coop, owner, advisor):
    project = _project(coop, owner, advisor, name="ACME GmbH")
    with pytest.raises(ApplicationError) as caught:
        draft(coop, owner, project, ("Lesson", "1", "100.00", "exempt"))
    assert caught.value.details == {"exemption_note": ["Required for exempt lines."]}
    foreign = ExemptionNote.objects.create(
        cooperative=other_coop, name="Unterricht", legal_reference="§ 6 Abs. 1 Z 11 lit. a UStG", text="x"
    )
    with pytest.raises(ApplicationError, match="Unknown VAT exemption"):
        draft(coop, owner, project, ("Lesson", "1", "100.00", "exempt"), exemption_note_id=foreign.pk)
    mine = ExemptionNote.objects.create(
        cooperative=coop,
        name="Unterricht",
        legal_reference="§ 6 Abs. 1 Z 11 lit. a UStG",
        text="Steuerfrei (Unterricht)",
    )
    with pytest.raises(ApplicationError, match="no line is exempt"):
        draft(coop, owner, project, ("Lesson", "1", "100.00", "20"), exemption_note_id=mine.pk)
    invoice = draft(coop, owner, project, ("Lesson", "1", "100.00", "exempt"), exemption_note_id=mine.pk)
    services.invoice_submit(cooperative=coop, actor=owner, invoice=invoice)
    invoice = services.invoice_issue(cooperative=coop, actor=advisor, invoice=invoice)
    assert invoice.legal_note == "Steuerfrei (Unterricht) (§ 6 Abs. 1 Z 11 lit. a UStG)"
    assert invoice.vat_total == Decimal("0.00")


def test_the_small_business_exemption_cannot_be_kept(coop):
    note = ExemptionNote(
        cooperative=coop,
        name="Kleinunternehmer",
        legal_reference="§ 6 Abs. 1 Z 27 UStG",
        text="Umsatzsteuerfrei aufgrund der Kleinunternehmerregelung",
    )
    with pytest.raises(ValidationError) as caught:
        note.full_clean()
    assert set(caught.value.message_dict) == {"legal_reference", "text"}


def test_a_project_with_reverse_charge_for_an_austrian_client_is_refused(coop, owner):
    client = make_client(coop, owner, name="ACME GmbH", vat_id="ATU12345675")
    with pytest.raises(ApplicationError, match="only to a business in another EU country"):
        make_project(coop, owner, client=client, vat_treatment="reverse_charge")


def test_api_refuses_reverse_charge_for_an_austrian_client_with_a_clear_error(coop, owner, advisor, api_for):
    project = _project(coop, owner, advisor, name="ACME GmbH")
    body = {
        "project": project.pk,
        "service_date": "2026-04-30",
        "lines": [
            {"description": "Workshop", "quantity": "1", "unit_price": "100.00", "vat_rate": "reverse_charge"}
        ],
    }
    response = api_for(owner).post("/api/invoices/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "ACME GmbH is a business in AT, the cooperative's own country: reverse charge is only for "
        "businesses in another EU country; charge VAT.",
        "details": {"vat_rate": ["Reverse charge is not possible for this client."]},
    }


def test_api_shows_the_warning_and_takes_the_exemption_note(coop, owner, advisor, api_for):
    german = _german_business(coop, owner, advisor)
    body = {
        "project": german.pk,
        "service_date": "2026-04-30",
        "lines": [{"description": "Workshop", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"}],
    }
    response = api_for(owner).post("/api/invoices/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["vat_warnings"][0].startswith("Kunde GmbH is a business in another EU country")
    note = ExemptionNote.objects.create(
        cooperative=coop, name="Unterricht", legal_reference="§ 6 Abs. 1 Z 11 lit. a UStG", text="Steuerfrei"
    )
    domestic = _project(coop, owner, advisor, name="ACME GmbH")
    body = {
        "project": domestic.pk,
        "service_date": "2026-04-30",
        "exemption_note": note.pk,
        "lines": [{"description": "Lesson", "quantity": "1", "unit_price": "100.00", "vat_rate": "exempt"}],
    }
    response = api_for(owner).post("/api/invoices/", body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["exemption_note"], response.json()["vat_warnings"]) == (note.pk, [])


def test_invoice_form_defaults_to_reverse_charge_for_an_eu_business(coop, owner, advisor, client_for):
    project = _german_business(coop, owner, advisor)
    page = client_for(owner).get(f"/projects/{project.pk}/invoices/new/").content.decode()
    assert '<option value="reverse_charge" selected>' in page
    swiss = _swiss_business(coop, owner, advisor)
    page = client_for(owner).get(f"/projects/{swiss.pk}/invoices/new/").content.decode()
    assert '<option value="not_taxable" selected>' in page


def test_backend_shows_the_warning_to_the_issuer_and_keeps_exemptions(
    coop, owner, advisor, make_member, client_for
):
    project = _german_business(coop, owner, advisor)
    invoice = draft(coop, owner, project, ("Workshop", "1", "100.00", "20"))
    page = client_for(advisor).get(f"/admin/invoicing/invoice/{invoice.pk}/change/").content.decode()
    assert "Kunde GmbH is a business in another EU country: services to it are normally taxed there" in page

    finance = make_member(coop, role="finance")
    backend = client_for(finance)
    refused = backend.post(
        "/admin/invoicing/exemptionnote/add/",
        {
            "name": "Klein",
            "legal_reference": "§ 6 Abs. 1 Z 27 UStG",
            "text": "Kleinunternehmer",
            "active": "on",
        },
    )
    assert refused.status_code == 200
    assert "A cooperative is never a small business" in refused.content.decode()
    added = backend.post(
        "/admin/invoicing/exemptionnote/add/",
        {
            "name": "Unterricht",
            "legal_reference": "§ 6 Abs. 1 Z 11 lit. a UStG",
            "text": "Steuerfrei (Unterricht)",
            "vatex_code": "VATEX-EU-132-1I",
            "active": "on",
        },
    )
    assert added.status_code == 302
    (note,) = ExemptionNote.objects.for_cooperative(coop)
    assert (note.name, note.cooperative_id, note.vatex_code) == ("Unterricht", coop.pk, "VATEX-EU-132-1I")
