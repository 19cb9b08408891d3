"""Countries are ISO 3166-1 alpha-2 codes chosen from a list: forms, API, services and the backend refuse
anything else ("XX"); the API reads and writes the codes ("AT")."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client as BrowserClient

from projects.models import Client
from smartprod.core.errors import ApplicationError
from smartprod.core.models import AuditEvent
from smartprod.tenancy.models import Membership
from tests.projects_helpers import make_client

pytestmark = pytest.mark.django_db

CLIENT = {
    "name": "Studio Nord GmbH",
    "kind": "business",
    "street": "Schanzenstraße 20",
    "postcode": "20357",
    "city": "Hamburg",
    "email": "",
    "vat_id": "",
    "order_reference": "",
    "buyer_reference": "",
}


@pytest.fixture
def owner(coop, make_member):
    return make_member(coop)


def test_client_service_refuses_a_country_that_does_not_exist(coop, owner):
    with pytest.raises(ApplicationError) as refused:
        make_client(coop, owner, country="XX", vat_id="")
    assert list(refused.value.details) == ["country"]
    assert make_client(coop, owner, country="de", vat_id="").country == "DE"


def test_client_form_offers_the_country_list_in_german_and_refuses_xx(coop, owner, client_for):
    browser = client_for(owner)
    browser.cookies["django_language"] = "de"
    page = browser.get("/clients/new/").content.decode()
    assert '<select name="country"' in page
    assert '<option value="AT" selected>Österreich</option>' in page
    assert '<option value="DE">Deutschland</option>' in page

    refused = browser.post("/clients/new/", {**CLIENT, "country": "XX"})
    assert refused.status_code == 200
    assert not Client.objects.for_cooperative(coop).exists()

    browser.post("/clients/new/", {**CLIENT, "country": "DE"})
    assert Client.objects.for_cooperative(coop).get().country == "DE"


def test_api_refuses_xx_and_answers_iso_codes(coop, owner, api_for):
    api = api_for(owner)
    refused = api.post("/api/clients/", {**CLIENT, "country": "XX"}, format="json")
    assert refused.status_code == 400
    assert "country" in refused.json()["details"]

    created = api.post("/api/clients/", {**CLIENT, "country": "at"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["country"] == "AT"
    assert Client.objects.for_cooperative(coop).get().country == "AT"


def test_backend_refuses_xx_for_a_client_and_the_cooperative(coop, owner, make_member, client_for):
    client = make_client(coop, owner)
    admin = client_for(make_member(coop, "admin"))
    page = admin.get(f"/admin/projects/client/{client.pk}/change/").content.decode()
    assert '<select name="country"' in page

    data = {**CLIENT, "country": "XX", "kind": "business"}
    response = admin.post(f"/admin/projects/client/{client.pk}/change/", data)
    assert response.status_code == 200
    assert "country" in response.context["adminform"].form.errors
    client.refresh_from_db()
    assert client.country == "AT"

    cooperative_form = admin.get(f"/admin/tenancy/cooperative/{coop.pk}/change/").content.decode()
    assert '<select name="country"' in cooperative_form


def test_membership_application_refuses_xx(coop):
    from tests.factories import UserFactory

    user = UserFactory()
    browser = BrowserClient(HTTP_HOST="at.localhost")
    browser.force_login(user)
    application = {"street": "Lindengasse 5", "postcode": "1070", "city": "Wien", "iban": ""}
    response = browser.post("/join/", {**application, "country": "XX"})
    assert response.status_code == 200
    assert not Membership.objects.for_cooperative(coop).filter(user=user).exists()

    browser.post("/join/", {**application, "country": "DE"})
    assert Membership.objects.for_cooperative(coop).get(user=user).country == "DE"


def test_migration_uppercases_valid_codes_and_flags_the_rest_without_losing_them(coop, owner):
    lower = make_client(coop, owner, name="Lower", vat_id="")
    bogus = make_client(coop, owner, name="Bogus", vat_id="")
    Client.objects.for_cooperative(coop).filter(pk=lower.pk).update(country="de")
    Client.objects.for_cooperative(coop).filter(pk=bogus.pk).update(country="XX")
    Membership.objects.for_cooperative(coop).filter(pk=owner.pk).update(country="at")
    executor = MigrationExecutor(connection)

    for app, name in (("projects", "0007_country_choices"), ("members", "0003_country_choices")):
        migration = importlib.import_module(f"{app}.migrations.{name}")
        historical = executor.loader.project_state((app, name)).apps
        migration.uppercase_valid_codes(historical, None)

    assert Client.objects.for_cooperative(coop).get(pk=lower.pk).country == "DE"
    assert Client.objects.for_cooperative(coop).get(pk=bogus.pk).country == "XX"  # kept
    assert Membership.objects.for_cooperative(coop).get(pk=owner.pk).country == "AT"
    flags = AuditEvent.objects.for_cooperative(coop).filter(event="country.invalid")
    assert list(flags.values_list("object_type", "object_id", "data")) == [
        ("projects.Client", str(bogus.pk), {"country": "XX"})
    ]
