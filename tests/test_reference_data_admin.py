"""VAT and base rates are shared by every cooperative: in the backend only platform operators
(superusers) add, change or delete them, every cooperative's staff only read them, and each change is
audited (issue 11, finding 1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from invoicing.models import BaseRate, VatRate
from smartprod.core.models import AuditEvent
from tests.factories import UserFactory, enable_totp

VAT_ROW = {
    "country": "AT",
    "code": "standard",
    "rate": "0.00",
    "valid_from": "2026-12-01",
    "valid_until": "",
    "label": "no VAT",
}


def _rates() -> list[tuple[Any, ...]]:
    return sorted(
        VatRate.objects.values_list("pk", "country", "code", "rate", "valid_from", "valid_until", "label")
    )


@pytest.fixture
def superuser_client(coop: Any) -> tuple[Client, Any]:
    user = UserFactory(is_superuser=True, is_staff=True)
    enable_totp(user)
    client = Client(HTTP_HOST="at.localhost")
    client.force_login(user)
    return client, user


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_staff_of_a_cooperative_read_but_never_write_shared_rates(
    coop: Any, other_coop: Any, make_member: Any, client_for: Any, role: str
) -> None:
    person = make_member(other_coop, role=role)
    client = client_for(person)
    rate = VatRate.objects.filter(country="AT", code="standard").order_by("-valid_from").first()
    base = BaseRate.objects.order_by("-valid_from").first()
    assert rate is not None and base is not None
    before, bases_before = _rates(), sorted(BaseRate.objects.values_list("pk", "rate", "valid_from"))

    assert client.get("/admin/invoicing/vatrate/").status_code == 200
    assert client.get(f"/admin/invoicing/vatrate/{rate.pk}/change/").status_code == 200
    answers = [
        client.get("/admin/invoicing/vatrate/add/").status_code,
        client.post("/admin/invoicing/vatrate/add/", VAT_ROW).status_code,
        client.post(
            f"/admin/invoicing/vatrate/{rate.pk}/change/", {"valid_until": "2026-12-31", "label": "gone"}
        ).status_code,
        client.post(f"/admin/invoicing/vatrate/{rate.pk}/delete/", {"post": "yes"}).status_code,
        client.post(
            "/admin/invoicing/baserate/add/", {"country": "AT", "valid_from": "2026-12-01", "rate": "9.000"}
        ).status_code,
        client.post(f"/admin/invoicing/baserate/{base.pk}/change/", {"rate": "9.000"}).status_code,
        client.post(f"/admin/invoicing/baserate/{base.pk}/delete/", {"post": "yes"}).status_code,
    ]
    client.post(
        "/admin/invoicing/vatrate/",
        {"action": "delete_selected", "_selected_action": [rate.pk], "post": "yes"},
    )

    assert answers == [403] * 7
    assert _rates() == before
    assert sorted(BaseRate.objects.values_list("pk", "rate", "valid_from")) == bases_before
    assert not AuditEvent.objects.all_cooperatives().filter(event__startswith="vatrate.").exists()


def test_a_platform_operator_changes_rates_and_every_cooperative_sees_it_audited(
    coop: Any, other_coop: Any, superuser_client: tuple[Client, Any]
) -> None:
    client, user = superuser_client

    added = client.post("/admin/invoicing/vatrate/add/", {**VAT_ROW, "rate": "21.00", "label": "new"})
    assert added.status_code == 302
    row = VatRate.objects.get(country="AT", code="standard", valid_from=date(2026, 12, 1))
    assert row.rate == Decimal("21.00")
    changed = client.post(
        f"/admin/invoicing/vatrate/{row.pk}/change/", {"valid_until": "2027-12-31", "label": "closed"}
    )
    assert changed.status_code == 302
    deleted = client.post(f"/admin/invoicing/vatrate/{row.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not VatRate.objects.filter(pk=row.pk).exists()

    for cooperative in (coop, other_coop):
        events = AuditEvent.objects.for_cooperative(cooperative).filter(object_id=str(row.pk))
        assert sorted(events.values_list("event", flat=True)) == [
            "vatrate.added",
            "vatrate.changed",
            "vatrate.deleted",
        ]
        assert set(events.values_list("actor_id", flat=True)) == {user.pk}
        changed_event = events.get(event="vatrate.changed")
        assert changed_event.data["valid_until"] == "2027-12-31"
        assert changed_event.data["platform"] is True


# --- payroll rules and collective agreements (issue 10): the same platform-only rule ---


def _payroll_reference() -> list[tuple[Any, ...]]:
    from payroll.models import CollectiveAgreement, PayrollRules

    return sorted(PayrollRules.objects.values_list("pk", "country", "year", "rules", "source")) + sorted(
        CollectiveAgreement.objects.values_list("pk", "code", "year", "minimum_pay", "source")
    )


@pytest.mark.parametrize("role", ["advisor", "finance", "admin"])
def test_staff_of_a_cooperative_read_but_never_write_payroll_rules(
    coop: Any, make_member: Any, client_for: Any, role: str
) -> None:
    from payroll.models import CollectiveAgreement, PayrollRules

    client = client_for(make_member(coop, role=role))
    rules = PayrollRules.objects.get(country="AT", year=2026)
    agreement = CollectiveAgreement.objects.get(country="AT", code="werbung-wien")
    before = _payroll_reference()

    assert client.get("/admin/payroll/payrollrules/").status_code == 200
    page = client.get(f"/admin/payroll/payrollrules/{rules.pk}/change/")
    assert page.status_code == 200 and "ÖGK" in page.content.decode()
    assert client.get(f"/admin/payroll/collectiveagreement/{agreement.pk}/change/").status_code == 200
    answers = [
        client.get("/admin/payroll/payrollrules/add/").status_code,
        client.post(
            "/admin/payroll/payrollrules/add/",
            {"country": "AT", "year": "2027", "rules": "{}", "source": "guess"},
        ).status_code,
        client.post(
            f"/admin/payroll/payrollrules/{rules.pk}/change/", {"rules": "{}", "source": "changed"}
        ).status_code,
        client.post(f"/admin/payroll/payrollrules/{rules.pk}/delete/", {"post": "yes"}).status_code,
        client.post(
            f"/admin/payroll/collectiveagreement/{agreement.pk}/change/",
            {"name": "x", "full_time_hours": "40.0", "minimum_pay": "{}", "source": "x"},
        ).status_code,
        client.post(
            f"/admin/payroll/collectiveagreement/{agreement.pk}/delete/", {"post": "yes"}
        ).status_code,
    ]
    client.post(
        "/admin/payroll/payrollrules/",
        {"action": "delete_selected", "_selected_action": [rules.pk], "post": "yes"},
    )

    assert answers == [403] * 6
    assert _payroll_reference() == before
    assert not AuditEvent.objects.all_cooperatives().filter(event__startswith="payrollrules.").exists()


def test_a_platform_operator_adds_next_years_payroll_rules_audited_for_every_cooperative(
    coop: Any, other_coop: Any, superuser_client: tuple[Client, Any]
) -> None:
    from payroll.models import PayrollRules

    client, user = superuser_client
    added = client.post(
        "/admin/payroll/payrollrules/add/",
        {"country": "AT", "year": "2027", "rules": '{"sv": {}}', "source": "BGBl. II (2027)"},
    )
    assert added.status_code == 302
    row = PayrollRules.objects.get(country="AT", year=2027)
    changed = client.post(
        f"/admin/payroll/payrollrules/{row.pk}/change/", {"rules": '{"sv": {"x": "1"}}', "source": "fixed"}
    )
    assert changed.status_code == 302
    row.refresh_from_db()
    assert (row.rules, row.source) == ({"sv": {"x": "1"}}, "fixed")

    for cooperative in (coop, other_coop):
        events = AuditEvent.objects.for_cooperative(cooperative).filter(object_id=str(row.pk))
        assert sorted(events.values_list("event", flat=True)) == [
            "payrollrules.added",
            "payrollrules.changed",
        ]
        assert set(events.values_list("actor_id", flat=True)) == {user.pk}
        assert events.get(event="payrollrules.changed").data["source"] == "fixed"
