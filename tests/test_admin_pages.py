"""Every backend page opens for every staff role: each changelist (also with each list filter choice
applied), each add form and change forms of existing rows answer 200 — or 403 where the role may not see
that model. The pages are taken from the admin site's registry, so a new model is covered automatically.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse

from invoicing.bank import bank_statement_import
from invoicing.dunning import dunning_policy
from invoicing.lib.camt import build_camt053
from invoicing.models import ExemptionNote
from members import services as member_services
from payroll.models import (
    Employment,
    FeeNote,
    Municipality,
    PayeeProfile,
    PayoutPolicy,
    PayrollSettings,
    Salary,
)
from payroll.services.runs import payout_run_start
from projects import services as project_services
from projects.models import Project
from smartprod.tenancy.context import request_context, set_request_context
from smartprod.tenancy.models import Cooperative, Membership
from tests.factories import UserFactory, enable_totp
from tests.payroll_emp_helpers import ensure_rules
from tests.payroll_helpers import payee_profile, payout_item
from tests.projects_helpers import png_upload

HOST = "at.localhost"
ROLES = ("advisor", "finance", "admin", "superuser")
OBJECTS_PER_MODEL = 8  # change forms opened per model (spread over its rows)


@pytest.fixture
def backend_data(db: Any) -> Cooperative:
    """The demo data of both cooperatives, plus the rows the demo does not make (expense, invitation,
    bank statement, dunning policy, exemption note), so that every registered model has rows to open."""
    ensure_rules("AT")  # the demo's employment and salary need payroll rules (placeholders before the merge)
    call_command("seed_demo", stdout=io.StringIO())
    coop = Cooperative.objects.get(slug="smart-at")
    people = Membership.objects.for_cooperative(coop).select_related("user")
    member = people.get(user__email="member@smart-at.example")
    admin_person = people.get(user__email="admin@smart-at.example")
    finance = people.get(user__email="finance@smart-at.example")
    project = (
        Project.objects.for_cooperative(coop)
        .filter(owner=member, status=Project.Status.APPROVED)
        .order_by("id")
        .first()
    )
    assert project is not None
    project_services.expense_submit(
        cooperative=coop,
        actor=member,
        project=project,
        amount=Decimal("12.00"),
        vat_amount=Decimal("2.00"),
        date=date(2026, 9, 1),
        description="Train ticket",
        receipt_upload=png_upload(),
    )
    reimbursed = project_services.expense_submit(
        cooperative=coop,
        actor=member,
        project=project,
        amount=Decimal("8.00"),
        vat_amount=Decimal("0.00"),
        date=date(2026, 9, 2),
        description="Tram ticket",
        receipt_upload=png_upload(),
    )
    # An approved expense is a payout item (with its history) for the payroll screens.
    project_services.expense_approve(cooperative=coop, actor=finance, expense=reimbursed)
    assert FeeNote.objects.for_cooperative(coop).exists()  # seed_demo's pending fee note
    member_services.invitation_create(
        cooperative=coop,
        actor=admin_person,
        email="new.person@example.org",
        role="member",
        base_url="http://at.localhost/",
    )
    bank_statement_import(
        cooperative=coop,
        actor=finance,
        data=build_camt053(
            account_iban=coop.iban,
            statement_id="ADMIN-1",
            entries=[
                {"amount": Decimal("10.00"), "booking_date": date(2026, 9, 10), "remittance": "unknown"}
            ],
        ),
        file_name="auszug.xml",
    )
    dunning_policy(cooperative=coop)
    ExemptionNote.objects.create(
        cooperative=coop,
        name="Teaching",
        legal_reference="§ 6 Abs. 1 Z 11 lit. a UStG",
        text="Steuerfrei gemäß § 6 Abs. 1 Z 11 lit. a UStG",
    )
    # Payroll (issue 9): a policy, and a payee profile waiting for its IBAN's confirmation with an address to
    # complete (the demo's member profiles are complete and confirmed).
    PayoutPolicy.objects.create(cooperative=coop, fee_approval_threshold=Decimal("2000.00"))
    advisor_person = people.get(user__email="advisor@smart-at.example")
    PayeeProfile.objects.create(
        cooperative=coop,
        membership=advisor_person,
        account_holder="Anna Advisor",
        iban="AT022050302101023600",
        street="Postfach 12",
        postcode="1010",
        town="Wien",
        address_needs_review=True,
        vat_status=PayeeProfile.VatStatus.REGISTERED,
        vat_id="ATU13585627",
    )
    # --- payout runs (branch runs): a run with one attempt ---
    if not PayeeProfile.objects.for_cooperative(coop).filter(membership=member).exists():
        payee_profile(coop, member)
    payout_item(coop, project, member, "50.00", kind="salary", post=False)
    payout_run_start(cooperative=coop, actor=finance, until=date(2027, 12, 31))
    # --- employments and salaries (branch payemp): the demo employs member@; settings and a municipality ---
    assert Employment.objects.for_cooperative(coop).exists() and Salary.objects.for_cooperative(coop).exists()
    PayrollSettings.objects.create(cooperative=coop, federal_state="Wien", collective_agreement_code="")
    Municipality.objects.create(cooperative=coop, name="Wien", federal_state="Wien")
    # --- payroll run (branch payrun): a run, a payslip and its reversal, liabilities ---
    from payroll.services.payroll_runs import payroll_run_month, payslip_reverse
    from tests.payroll_payslip_helpers import employment, payroll_rules, salary

    payroll_rules(2026)
    salary(coop, employment(coop, project, member), date(2026, 3, 1))
    salary(coop, employment(coop, project, member), date(2026, 3, 1))
    first, _second = payroll_run_month(cooperative=coop, actor=finance, month=date(2026, 3, 1)).created
    payslip_reverse(cooperative=coop, actor=finance, payslip=first, reason="hours")
    Group.objects.create(name="Platform operators")  # Django's own models, for superusers
    return coop


def _login(role: str, coop: Cooperative) -> tuple[Client, Any]:
    """A client logged in as the demo person of `role` (finance/admin with TOTP on), and a request like
    the ones it sends, for asking the admin classes what that person may do."""
    if role == "superuser":
        user = UserFactory(is_superuser=True, is_staff=True)
        membership = None
    else:
        membership = Membership.objects.for_cooperative(coop).get(user__email=f"{role}@smart-at.example")
        user = membership.user
    if role in ("finance", "admin", "superuser") and not user.authenticator_set.exists():
        enable_totp(user)
    client = Client(HTTP_HOST=HOST, raise_request_exception=False)
    client.force_login(user)
    request = RequestFactory().get("/admin/", HTTP_HOST=HOST)
    request.user = user
    set_request_context(request, cooperative=coop, membership=membership)
    return client, request


def _expect(allowed: bool) -> int:
    return 200 if allowed else 403


def _spread(pks: list[Any]) -> list[Any]:
    if len(pks) <= OBJECTS_PER_MODEL:
        return pks
    step = len(pks) / OBJECTS_PER_MODEL
    return [pks[int(i * step)] for i in range(OBJECTS_PER_MODEL)]


def _filter_urls(url: str, changelist: ChangeList) -> list[str]:
    """The URL of every choice of every list filter shown on the changelist."""
    urls = []
    for spec in changelist.filter_specs:
        for choice in spec.choices(changelist):
            urls.append(url + choice["query_string"])
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_every_backend_page_opens_for_every_staff_role(backend_data: Cooperative, role: str) -> None:
    client, request = _login(role, backend_data)
    problems: list[str] = []
    opened = 0

    def check(url: str, expected: int) -> Any:
        nonlocal opened
        response = client.get(url)
        opened += 1
        if response.status_code != expected:
            problems.append(f"{url}: {response.status_code}, expected {expected}")
        return response

    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist_url = reverse("admin:{}_{}_changelist".format(*info))
        may_view = model_admin.has_view_or_change_permission(request)
        response = check(changelist_url, _expect(may_view))
        if may_view and response.status_code == 200:
            for url in _filter_urls(changelist_url, response.context["cl"]):
                check(url, 200)
        check(reverse("admin:{}_{}_add".format(*info)), _expect(model_admin.has_add_permission(request)))
        if may_view:
            rows = list(model_admin.get_queryset(request).order_by("pk"))
            assert rows, f"no {model._meta.label} row to open: add one to the backend_data fixture"
        else:
            manager: models.Manager[Any] = model._default_manager
            queryset = manager.all_cooperatives() if hasattr(manager, "all_cooperatives") else manager.all()
            rows = list(queryset.order_by("pk")[:1])
        for obj in _spread(rows):
            allowed = may_view and model_admin.has_view_or_change_permission(request, obj)
            url = reverse("admin:{}_{}_change".format(*info), args=[quote(obj.pk)])
            check(url, 200 if allowed else 403)

    assert not problems, "\n".join(problems)
    assert opened > 3 * len(admin.site._registry)


def test_project_list_filtered_by_advisor_offers_only_this_cooperatives_people(
    backend_data: Cooperative,
) -> None:
    client, request = _login("advisor", backend_data)
    response = client.get("/admin/projects/project/?queue=review")
    assert response.status_code == 200
    spec = next(s for s in response.context["cl"].filter_specs if getattr(s, "field_path", "") == "advisor")
    offered = {int(pk) for pk, _label in spec.lookup_choices}
    own = set(Membership.objects.for_cooperative(backend_data).values_list("pk", flat=True))
    assert request_context(request).membership.pk in offered
    assert offered <= own
    other = Cooperative.objects.get(slug="smart-de")
    assert Membership.objects.for_cooperative(other).filter(role="advisor").exists()


def test_every_backend_change_form_of_another_cooperative_answers_404(backend_data: Cooperative) -> None:
    """Smart Germany's admin opens Smart Austria's rows of every tenant-owned model in the backend: 404,
    never the page and never a 403 that would confirm the row exists."""
    from smartprod.core.models import TenantModel

    other = Cooperative.objects.get(slug="smart-de")
    germany_admin = Membership.objects.for_cooperative(other).get(user__email="admin@smart-de.example")
    if not germany_admin.user.authenticator_set.exists():
        enable_totp(germany_admin.user)
    client = Client(HTTP_HOST=other.hosts[0])
    client.force_login(germany_admin.user)
    problems: list[str] = []
    checked = 0
    for model in admin.site._registry:
        if not issubclass(model, TenantModel):
            continue
        rows = list(model._default_manager.for_cooperative(backend_data).order_by("pk")[:2])
        for obj in rows:
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[quote(obj.pk)]
            )
            checked += 1
            status = client.get(url).status_code
            if status != 404:
                problems.append(f"{url}: {status}")
    assert not problems, "\n".join(problems)
    assert checked > 10
