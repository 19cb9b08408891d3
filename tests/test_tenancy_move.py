"""Cooperative and Membership moved from `members` to the tenancy kernel (issue 7): same tables, same rows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from smartprod.tenancy.models import Cooperative, Membership
from tests.factories import CooperativeFactory, MembershipFactory


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _rows():
    coops = list(Cooperative.objects.order_by("pk").values_list("pk", "slug", "name"))
    memberships = list(
        Membership.objects.all_cooperatives()
        .order_by("pk")
        .values_list("pk", "cooperative_id", "user_id", "member_number", "role", "status")
    )
    return coops, memberships


@pytest.mark.django_db(transaction=True)
def test_a_database_at_the_old_state_keeps_its_rows_ids_and_content_types(as_owner):
    coop = CooperativeFactory()
    MembershipFactory(cooperative=coop, role="admin")
    MembershipFactory(cooperative=coop)
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        executor = _migrate([("tenancy", None)])  # back to before the move: members owns both models
        old = executor.loader.project_state([("members", "0004_user_language")]).apps
        OldCooperative = old.get_model("members", "Cooperative")
        OldMembership = old.get_model("members", "Membership")
        OldUser = old.get_model("members", "User")
        # Written at the old state, through the old models: the rows a running deployment has.
        late = OldCooperative.objects.create(
            name="Late Coop",
            slug="late",
            legal_name="Late eG",
            street="Gasse 1",
            postcode="1010",
            city="Wien",
            vat_id="ATU13585627",
            iban="AT611904300234573201",
            bic="BKAUATWW",
        )
        person = OldUser.objects.create(email="late@example.org")
        old_membership = OldMembership.objects.create(
            cooperative=late, user=person, role="finance", status="active", member_number=7
        )
        ContentType.objects.clear_cache()
        old_type = ContentType.objects.get(app_label="members", model="membership")
        assert not ContentType.objects.filter(app_label="tenancy").exists()
        permission_ids = set(Permission.objects.filter(content_type=old_type).values_list("pk", flat=True))
        assert permission_ids
        before = _rows()
        _migrate(leaves)
    finally:
        _migrate(leaves)

    ContentType.objects.clear_cache()
    assert _rows() == before
    moved = Membership.objects.for_cooperative(late.pk).get(pk=old_membership.pk)
    assert (moved.user.email, moved.member_number, moved.role) == ("late@example.org", 7, "finance")
    assert Cooperative.objects.get(pk=late.pk).slug == "late"
    # The content type row moved with the model: same id, so permissions and admin log entries still fit.
    new_type = ContentType.objects.get_for_model(Membership)
    assert (new_type.pk, new_type.app_label) == (old_type.pk, "tenancy")
    assert (
        set(Permission.objects.filter(content_type=new_type).values_list("pk", flat=True)) == permission_ids
    )
    assert not ContentType.objects.filter(
        app_label="members", model__in=["cooperative", "membership"]
    ).exists()
