"""Payee profiles: payout details, the IBAN change that blocks payouts until finance confirms it, who sees
a profile, the API and page, the owner's employment mode, and the data migration from Membership."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from payroll.models import PayeeProfile
from payroll.selectors.profiles import payee_is_blocked, payee_profile_list, payees_blocked
from payroll.services.profiles import payee_iban_confirm, payee_profile_get_or_create, payee_profile_update
from projects.selectors import employment_of
from smartprod.core.errors import ApplicationError, NotAllowed
from smartprod.core.models import AuditEvent, Notification
from smartprod.tenancy.models import Membership
from tests.factories import CooperativeFactory, UserFactory
from tests.projects_helpers import make_project

pytestmark = pytest.mark.django_db

IBAN_A = "AT483200000012345864"
IBAN_B = "AT022050302101023600"
COMPLETE = {
    "account_holder": "Mira Member",
    "iban": IBAN_A,
    "street": "Neubaugasse",
    "building_number": "12/4",
    "postcode": "1070",
    "town": "Wien",
    "country": "AT",
}


def _complete(coop, membership, finance):
    """A payee whose details are complete and whose IBAN a finance person confirmed."""
    profile = payee_profile_get_or_create(cooperative=coop, membership=membership)
    profile = payee_profile_update(cooperative=coop, actor=membership, profile=profile, **COMPLETE)
    return payee_iban_confirm(cooperative=coop, actor=finance, profile=profile)


@pytest.fixture
def people(coop, make_member):
    member = make_member(coop, user=UserFactory(first_name="Mira", last_name="Member"))
    return {
        "member": member,
        "other": make_member(coop),
        "advisor": make_member(coop, role="advisor"),
        "finance": make_member(coop, role="finance"),
        "finance2": make_member(coop, role="finance"),
        "admin": make_member(coop, role="admin"),
    }


# --- blocking and confirming ----------------------------------------------------------------------------


def test_payee_is_blocked_names_each_missing_piece(coop, people):
    member, finance = people["member"], people["finance"]
    assert payee_is_blocked(coop, member) == "No payout details entered yet."
    profile = payee_profile_get_or_create(cooperative=coop, membership=member)
    assert payee_is_blocked(coop, member) == "No IBAN entered yet."
    profile = payee_profile_update(cooperative=coop, actor=member, profile=profile, iban=IBAN_A)
    assert payee_is_blocked(coop, member) == "The IBAN was changed and waits for confirmation by finance."
    payee_iban_confirm(cooperative=coop, actor=finance, profile=profile)
    assert payee_is_blocked(coop, member) == "The postal address is incomplete."
    payee_profile_update(cooperative=coop, actor=member, profile=profile, **COMPLETE)
    assert payee_is_blocked(coop, member) is None
    assert payees_blocked(coop, [member.pk, people["other"].pk]) == {
        people["other"].pk: "No payout details entered yet."
    }


def test_iban_change_blocks_payouts_until_finance_confirms(coop, people, django_capture_on_commit_callbacks):
    member, finance = people["member"], people["finance"]
    profile = _complete(coop, member, finance)
    assert payee_is_blocked(coop, member) is None
    with django_capture_on_commit_callbacks(execute=True):
        profile = payee_profile_update(
            cooperative=coop, actor=member, profile=profile, iban="AT02 2050 3021 0102 3600"
        )
    profile.refresh_from_db()
    assert (profile.iban, profile.confirmed_iban) == (IBAN_B, IBAN_A)  # the old confirmed one is kept
    assert payee_is_blocked(coop, member) == "The IBAN was changed and waits for confirmation by finance."
    # Finance (and admins) are told, with the IBAN masked; the payee is not a recipient.
    notes = Notification.objects.for_cooperative(coop).filter(kind="payout.iban_changed")
    assert {n.recipient_id for n in notes} == {
        people["finance"].user_id,
        people["finance2"].user_id,
        people["admin"].user_id,
    }
    assert notes[0].params["iban"] == "AT02 **** 3600"
    assert all(IBAN_B not in m.body and IBAN_B not in m.subject for m in mail.outbox)
    assert any("AT02 **** 3600" in m.body for m in mail.outbox)
    payee_iban_confirm(cooperative=coop, actor=people["finance2"], profile=profile)
    profile.refresh_from_db()
    assert profile.confirmed_iban == IBAN_B and profile.iban_confirmed_by == people["finance2"]
    assert payee_is_blocked(coop, member) is None


def test_payee_cannot_confirm_own_iban_even_as_finance(coop, people):
    finance = people["finance"]
    profile = payee_profile_get_or_create(cooperative=coop, membership=finance)
    profile = payee_profile_update(cooperative=coop, actor=finance, profile=profile, **COMPLETE)
    with pytest.raises(NotAllowed):
        payee_iban_confirm(cooperative=coop, actor=finance, profile=profile)
    profile.refresh_from_db()
    assert profile.confirmed_iban == ""


def test_who_entered_an_iban_cannot_confirm_it(coop, people):
    member, finance = people["member"], people["finance"]
    profile = payee_profile_get_or_create(cooperative=coop, membership=member)
    profile = payee_profile_update(cooperative=coop, actor=finance, profile=profile, **COMPLETE)
    with pytest.raises(NotAllowed):
        payee_iban_confirm(cooperative=coop, actor=finance, profile=profile)
    payee_iban_confirm(cooperative=coop, actor=people["admin"], profile=profile)
    assert payee_is_blocked(coop, member) is None


@pytest.mark.parametrize("role", ["member", "advisor"])
def test_only_finance_or_admin_confirms(coop, people, make_member, role):
    profile = payee_profile_get_or_create(cooperative=coop, membership=people["other"])
    payee_profile_update(cooperative=coop, actor=people["other"], profile=profile, iban=IBAN_A)
    with pytest.raises(NotAllowed):
        payee_iban_confirm(cooperative=coop, actor=make_member(coop, role=role), profile=profile)


def test_confirming_twice_changes_nothing(coop, people):
    profile = _complete(coop, people["member"], people["finance"])
    again = payee_iban_confirm(cooperative=coop, actor=people["finance2"], profile=profile)
    assert again.iban_confirmed_by == people["finance"]
    assert AuditEvent.objects.for_cooperative(coop).filter(event="payee_profile.iban_confirmed").count() == 1


# --- validation and audit --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"iban": "AT00 1234"}, "iban"),
        ({"street": "x" * 71}, "street"),
        ({"building_number": "1" * 17}, "building_number"),
        ({"postcode": "1" * 17}, "postcode"),
        ({"town": "x" * 36}, "town"),
        ({"country": "XX"}, "country"),
        ({"vat_status": "registered", "vat_id": ""}, "vat_id"),
        ({"vat_status": "registered", "vat_id": "ATU12345678"}, "vat_id"),  # wrong check digit
        ({"vat_status": "eu_reverse_charge", "vat_id": "ATU13585627"}, "vat_id"),  # domestic
        ({"vat_status": "registered", "vat_id": "April"}, "vat_id"),  # no VAT id at all (was a 500)
        ({"social_insurance_number": "1237010181"}, "social_insurance_number"),
        ({"date_of_birth": date(2999, 1, 1)}, "date_of_birth"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(coop, people, changes, field):
    member = people["member"]
    profile = _complete(coop, member, people["finance"])
    before = AuditEvent.objects.for_cooperative(coop).count()
    with pytest.raises(ApplicationError) as refused:
        payee_profile_update(cooperative=coop, actor=member, profile=profile, **changes)
    assert field in refused.value.details
    profile.refresh_from_db()
    assert (
        profile.iban == IBAN_A and profile.street == "Neubaugasse" and profile.vat_status == "small_business"
    )
    assert AuditEvent.objects.for_cooperative(coop).count() == before


def test_valid_vat_rules(coop, people):
    member = people["member"]
    profile = payee_profile_get_or_create(cooperative=coop, membership=member)
    profile = payee_profile_update(
        cooperative=coop, actor=member, profile=profile, vat_status="registered", vat_id="ATU 1358 5627"
    )
    assert profile.vat_id == "ATU13585627"
    profile = payee_profile_update(
        cooperative=coop, actor=member, profile=profile, vat_status="eu_reverse_charge", vat_id="DE136695976"
    )
    assert profile.vat_status == "eu_reverse_charge"
    profile = payee_profile_update(
        cooperative=coop, actor=member, profile=profile, social_insurance_number="1237 010180"
    )
    assert profile.social_insurance_number == "1237010180"


def test_changes_are_audited_with_masked_iban(coop, people):
    member = people["member"]
    profile = payee_profile_get_or_create(cooperative=coop, membership=member)
    payee_profile_update(cooperative=coop, actor=member, profile=profile, **COMPLETE)
    event = AuditEvent.objects.for_cooperative(coop).get(event="payee_profile.updated")
    assert event.actor == member.user and event.object_id == str(profile.pk)
    assert event.data["fields"] == ["building_number", "iban", "postcode", "street", "town"]
    assert event.data["iban_new"] == "AT48 **** 5864" and IBAN_A not in str(event.data)
    # The same request again records nothing more.
    payee_profile_update(cooperative=coop, actor=member, profile=profile, **COMPLETE)
    assert AuditEvent.objects.for_cooperative(coop).filter(event="payee_profile.updated").count() == 1


def test_self_billing_agreement_records_today_and_can_be_withdrawn(coop, people):
    member = people["member"]
    profile = payee_profile_get_or_create(cooperative=coop, membership=member)
    profile = payee_profile_update(
        cooperative=coop, actor=member, profile=profile, self_billing_agreement=True
    )
    assert profile.self_billing_accepted_on == date.today()
    with pytest.raises(NotAllowed):  # nobody accepts or withdraws it on the payee's behalf
        payee_profile_update(
            cooperative=coop, actor=people["finance"], profile=profile, self_billing_agreement=False
        )
    profile = payee_profile_update(
        cooperative=coop, actor=member, profile=profile, self_billing_agreement=False
    )
    assert profile.self_billing_accepted_on is None


def test_advisor_and_other_member_cannot_touch_a_profile(coop, people):
    profile = payee_profile_get_or_create(cooperative=coop, membership=people["member"])
    for who in ("advisor", "other"):
        with pytest.raises(PayeeProfile.DoesNotExist):
            payee_profile_update(cooperative=coop, actor=people[who], profile=profile, iban=IBAN_B)
        assert not payee_profile_list(cooperative=coop, actor=people[who]).filter(pk=profile.pk).exists()
    assert payee_profile_list(cooperative=coop, actor=people["finance"]).filter(pk=profile.pk).exists()


def test_other_cooperative_profile_does_not_exist(coop, other_coop, people, make_member):
    profile = payee_profile_get_or_create(cooperative=coop, membership=people["member"])
    stranger = make_member(other_coop, role="finance")
    with pytest.raises(PayeeProfile.DoesNotExist):
        payee_iban_confirm(cooperative=other_coop, actor=stranger, profile=profile)
    with pytest.raises(Membership.DoesNotExist):
        payee_is_blocked(other_coop, people["member"])


# --- API -------------------------------------------------------------------------------------------------


def test_me_has_membership_id(coop, people, api_for):
    response = api_for(people["member"]).get("/api/me/")
    assert response.status_code == 200
    assert response.json()["membership_id"] == people["member"].pk


def test_api_get_and_put_own_profile(coop, people, api_for):
    api = api_for(people["member"])
    empty = api.get("/api/me/payee-profile/").json()
    assert (empty["iban"], empty["iban_confirmed"], empty["account_holder"]) == ("", False, "Mira Member")
    assert not PayeeProfile.objects.for_cooperative(coop).exists()  # reading creates nothing
    response = api.put(
        "/api/me/payee-profile/",
        {**COMPLETE, "self_billing_agreement": True, "iban_confirmed": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["iban"] == IBAN_A and body["iban_confirmed"] is False  # read-only: finance confirms
    assert body["self_billing_accepted_on"] == date.today().isoformat()
    assert body["payouts_blocked"] == "The IBAN was changed and waits for confirmation by finance."
    payee_iban_confirm(
        cooperative=coop,
        actor=people["finance"],
        profile=PayeeProfile.objects.for_cooperative(coop).get(membership=people["member"]),
    )
    assert api.get("/api/me/payee-profile/").json()["iban_confirmed"] is True


def test_api_put_bad_iban_is_400_and_nothing_changes(coop, people, api_for):
    _complete(coop, people["member"], people["finance"])
    response = api_for(people["member"]).put(
        "/api/me/payee-profile/", {"iban": "AT00 1234", "town": "Graz"}, format="json"
    )
    assert response.status_code == 400
    assert "iban" in response.json()["details"]
    profile = PayeeProfile.objects.for_cooperative(coop).get(membership=people["member"])
    assert (profile.iban, profile.town) == (IBAN_A, "Wien")


def test_api_serves_only_own_profile(coop, other_coop, people, api_for, make_member):
    _complete(coop, people["member"], people["finance"])
    for who in ("advisor", "other", "finance"):
        body = api_for(people[who]).get("/api/me/payee-profile/").json()
        assert body["iban"] != IBAN_A and body["account_holder"] != "Mira Member"
    # A person of another cooperative on this cooperative's host is not a member here.
    stranger = make_member(other_coop)
    assert api_for(stranger, host="at.localhost").get("/api/me/payee-profile/").status_code == 403


def test_api_schema_documents_the_endpoint(coop, people, api_for):
    schema = api_for(people["member"]).get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/me/payee-profile/"]
    assert "Who may call" in operation["get"]["description"] and "put" in operation


# --- page ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "title", "awaiting"),
    [
        ("en", "Payout details", "Your new IBAN waits for confirmation."),
        ("de", "Auszahlungsdaten", "Ihre neue IBAN wartet auf Bestätigung."),
    ],
)
def test_page_as_member(coop, people, client_for, language, title, awaiting):
    client = client_for(people["member"])
    client.cookies["django_language"] = language
    page = client.get("/payout-details/")
    assert page.status_code == 200
    html = page.content.decode()
    assert title in html and 'href="/payout-details/"' in html  # in the navigation too
    response = client.post(
        "/payout-details/", {**COMPLETE, "vat_status": "small_business", "self_billing_agreement": "on"}
    )
    assert response.status_code == 302
    html = client.get("/payout-details/").content.decode()
    assert awaiting in html
    profile = PayeeProfile.objects.for_cooperative(coop).get(membership=people["member"])
    assert profile.self_billing_accepted_on == date.today() and profile.iban == IBAN_A


def test_page_bad_iban_shows_error_and_keeps_input(coop, people, client_for):
    client = client_for(people["member"])
    response = client.post(
        "/payout-details/", {**COMPLETE, "iban": "AT00 1234", "vat_status": "small_business"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "not a valid IBAN" in html and 'value="Neubaugasse"' in html
    assert not PayeeProfile.objects.for_cooperative(coop).filter(iban__gt="").exists()


def test_page_shows_only_own_data_for_each_role(coop, people, client_for):
    _complete(coop, people["member"], people["finance"])
    for who in ("advisor", "other", "finance", "admin"):
        html = client_for(people[who]).get("/payout-details/").content.decode()
        assert "AT48 3200" not in html and "Neubaugasse" not in html


def test_page_from_other_cooperative_is_404(coop, other_coop, people, client_for, make_member):
    stranger = make_member(other_coop)
    assert client_for(stranger, host="at.localhost").get("/payout-details/").status_code == 404


# --- backend ---------------------------------------------------------------------------------------------


def test_backend_lists_profiles_for_finance_not_advisor(coop, people, client_for):
    profile = payee_profile_get_or_create(cooperative=coop, membership=people["member"])
    payee_profile_update(cooperative=coop, actor=people["member"], profile=profile, **COMPLETE)
    finance = client_for(people["finance"])
    listing = finance.get("/admin/payroll/payeeprofile/?iban_state=awaiting")
    assert listing.status_code == 200 and "Mira Member" in listing.content.decode()
    assert IBAN_A not in listing.content.decode()  # masked in the list
    assert finance.get(f"/admin/payroll/payeeprofile/{profile.pk}/change/").status_code == 200
    advisor = client_for(people["advisor"])
    assert advisor.get("/admin/payroll/payeeprofile/").status_code == 403
    assert advisor.get(f"/admin/payroll/payeeprofile/{profile.pk}/change/").status_code in (403, 404)
    response = finance.post(
        "/admin/payroll/payeeprofile/", {"action": "confirm_iban", "_selected_action": [profile.pk]}
    )
    assert response.status_code == 302
    assert payee_is_blocked(coop, people["member"]) is None


def test_backend_other_cooperative_profile_is_404(coop, other_coop, people, client_for, make_member):
    profile = payee_profile_get_or_create(cooperative=coop, membership=people["member"])
    stranger = make_member(other_coop, role="finance")
    response = client_for(stranger).get(f"/admin/payroll/payeeprofile/{profile.pk}/change/")
    assert response.status_code == 404


# --- owner employment ------------------------------------------------------------------------------------


def test_employment_of_owner_and_collaborators(coop, people):
    owner, colleague = people["member"], people["other"]
    project = make_project(
        coop, owner, owner_employment="employed", collaborators=[(colleague, "self_employed")]
    )
    assert employment_of(project, owner) == "employed"
    assert employment_of(project, colleague) == "self_employed"
    assert employment_of(project, people["advisor"]) is None
    assert make_project(coop, owner).owner_employment == "self_employed"  # the default


def test_project_api_takes_and_shows_owner_employment(coop, people, api_for):
    from tests.projects_helpers import make_client

    client = make_client(coop, people["member"])
    response = api_for(people["member"]).post(
        "/api/projects/",
        {
            "client": client.pk,
            "title": "Tour",
            "service_period_start": "2026-03-01",
            "service_period_end": "2026-04-30",
            "agreed_net_amount": "1000.00",
            "owner_employment": "employed",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["owner_employment"] == "employed"


# --- data migration --------------------------------------------------------------------------------------


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_data_migration_moves_payee_data_from_membership(as_owner):
    coop = CooperativeFactory()
    people = [UserFactory(first_name="Eva", last_name="Egger"), UserFactory(), UserFactory()]
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        # Back to before the move: Membership still holds the payee data (tenancy 0002 removes it).
        executor = _migrate([("payroll", "0001_initial"), ("tenancy", "0001_initial")])
        old = executor.loader.project_state([("payroll", "0001_initial"), ("tenancy", "0001_initial")]).apps
        OldMembership = old.get_model("tenancy", "Membership")
        numbers = iter(range(9001, 9100))

        def old_member(user, **fields):
            return OldMembership.objects.create(
                cooperative_id=coop.pk,
                user_id=user.pk,
                status="active",
                member_number=next(numbers),
                **fields,
            ).pk

        full_id = old_member(
            people[0],
            iban="AT611904300234573201",
            street="Mariahilfer Straße 12/3/4",
            postcode="1060",
            city="Wien",
            tax_number="12 345/6789",
            social_insurance_number="1237 010180",
            date_of_birth=date(1980, 1, 1),
        )
        unsplittable_id = old_member(people[1], street="Postfach 12", postcode="1010", city="Wien")
        nothing_id = old_member(people[2])
        _migrate(leaves)
        _migrate([("payroll", "0001_initial")])  # and back again: the profiles go, the data comes back
        _migrate(leaves)  # a second run adds nothing
    finally:
        _migrate(leaves)
    full, unsplittable, nothing = (
        Membership.objects.for_cooperative(coop).get(pk=pk) for pk in (full_id, unsplittable_id, nothing_id)
    )
    profiles = PayeeProfile.objects.for_cooperative(coop)
    assert profiles.count() == 2 and not profiles.filter(membership=nothing).exists()
    moved = profiles.get(membership=full)
    assert (moved.street, moved.building_number, moved.postcode, moved.town) == (
        "Mariahilfer Straße",
        "12/3/4",
        "1060",
        "Wien",
    )
    assert moved.iban == moved.confirmed_iban == "AT611904300234573201"  # existing IBANs count as confirmed
    assert (moved.account_holder, moved.tax_number, moved.social_insurance_number) == (
        "Eva Egger",
        "12 345/6789",
        "1237010180",
    )
    assert moved.date_of_birth == date(1980, 1, 1) and not moved.address_needs_review
    assert payee_is_blocked(coop, full) is None
    review = profiles.get(membership=unsplittable)
    assert (review.street, review.building_number, review.address_needs_review) == ("Postfach 12", "", True)
    assert payee_is_blocked(coop, unsplittable) == "No IBAN entered yet."


# --- demo ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("country", ["AT", "DE"])
def test_demo_payees_get_complete_confirmed_profiles_once(make_member, country):
    import io

    from payroll.demo_profiles import seed_payee_profiles

    coop = CooperativeFactory(slug=f"smart-{country.lower()}", country=country)
    payees = [
        make_member(coop, user=UserFactory(email=f"{local}@{coop.slug}.example"))
        for local in ("member", "member2")
    ]
    make_member(coop, role="finance")
    seed_payee_profiles(cooperative=coop, stdout=io.StringIO())
    seed_payee_profiles(cooperative=coop, stdout=io.StringIO())  # again: nothing more
    for payee in payees:
        profile = PayeeProfile.objects.for_cooperative(coop).get(membership=payee)
        assert payee_is_blocked(coop, payee) is None
        assert profile.iban.startswith(country) and profile.building_number
        assert profile.vat_status == "small_business" and profile.self_billing_accepted_on is not None
    assert AuditEvent.objects.for_cooperative(coop).filter(event="payee_profile.updated").count() == 2


def test_sending_the_address_clears_the_review_flag(coop, people):
    member = people["member"]
    profile = PayeeProfile.objects.create(
        cooperative=coop,
        membership=member,
        street="Am Hof",
        postcode="1010",
        town="Wien",
        address_needs_review=True,
    )
    assert payee_profile_update(
        cooperative=coop, actor=member, profile=profile, iban=IBAN_A
    ).address_needs_review
    profile = payee_profile_update(
        cooperative=coop, actor=member, profile=profile, street="Am Hof", building_number="", postcode="1010"
    )
    assert not profile.address_needs_review
    event = AuditEvent.objects.for_cooperative(coop).filter(event="payee_profile.updated").latest("id")
    assert event.data == {"fields": [], "address_reviewed": True}
