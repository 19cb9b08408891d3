"""Clients: business clients are shared; private persons stay with whoever works with them."""

from __future__ import annotations

import pytest

from projects import selectors, services
from projects.models import Client
from smartprod.core.errors import ApplicationError
from tests.projects_helpers import approved_project, make_client

pytestmark = pytest.mark.django_db


def test_private_person_client_visible_to_creator_project_people_and_staff(coop, make_member, api_for):
    alice, bob, carol = make_member(coop), make_member(coop), make_member(coop)
    advisor = make_member(coop, role="advisor")
    business = make_client(coop, alice, name="Shared GmbH")
    person = make_client(coop, alice, name="Julia Private", kind="consumer", vat_id="")
    make_client(coop, bob, name="Bob's private client", kind="consumer", vat_id="")
    approved_project(coop, alice, advisor, client=person, collaborators=[(carol, "self_employed")])

    def names(m):
        return sorted(c.name for c in selectors.client_list(cooperative=coop, membership=m))

    assert names(alice) == ["Julia Private", "Shared GmbH"]
    assert names(carol) == ["Julia Private", "Shared GmbH"]  # collaborates on a project for her
    assert names(bob) == ["Bob's private client", "Shared GmbH"]
    assert len(names(advisor)) == 3
    with pytest.raises(Client.DoesNotExist):
        selectors.client_get(cooperative=coop, client_id=person.pk, membership=bob)
    assert api_for(bob).get("/api/clients/?limit=50").json()["count"] == 2
    assert business.pk in [c["id"] for c in api_for(bob).get("/api/clients/").json()["results"]]


def test_only_creator_or_staff_edit_and_approved_contracts_freeze_the_client(coop, make_member):
    alice, bob, advisor = make_member(coop), make_member(coop), make_member(coop, role="advisor")
    client = make_client(coop, alice, name="Edit Me GmbH")
    with pytest.raises(ApplicationError, match="created this client"):
        services.client_update(cooperative=coop, actor=bob, client=client, city="Graz")
    services.client_update(cooperative=coop, actor=alice, client=client, city="Linz")
    approved_project(coop, alice, advisor, client=client)
    with pytest.raises(ApplicationError, match="approved contracts"):
        services.client_update(cooperative=coop, actor=alice, client=client, city="Graz")
    assert services.client_update(cooperative=coop, actor=advisor, client=client, city="Graz").city == "Graz"
