"""The isolation matrix, generated from the live OpenAPI schema and the admin site's registry.

For every API path with an id, every method, as each person of the other cooperative (member, advisor,
finance, admin), as another member of the same cooperative and anonymously, against real objects of the
demo member: no answer may carry the object (only 401/403/404/405), and nothing in the database may
change (a checksum of every table before and after each path). Then every backend change form, changelist
and action as each staff role of the other cooperative. The paths come from `/api/schema/` and the models
from `admin.site`, so a new endpoint or model is covered without touching this file; an id parameter the
test cannot map to a model fails the test (name the segment after the model's plural:
`/api/invoices/{invoice_id}/`).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import connection, models
from django.test import Client
from django.urls import reverse
from django.utils import translation

from projects.models import Project
from smartprod.core.tokens import api_token_create
from smartprod.tenancy.models import Cooperative, Membership
from tests.factories import MembershipFactory, enable_totp
from tests.test_admin_pages import backend_data  # noqa: F401  (the fixture: demo data of both cooperatives)

VICTIM_HOST = "at.localhost"
ATTACKER_HOST = "de.localhost"
METHODS = ("get", "post", "put", "patch", "delete")
REFUSED = {401, 403, 404, 405}
# Tables whose rows a refused request may legitimately write: sessions (logins) only.
UNCHECKED_TABLES = {"django_session"}


def _tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        return [row[0] for row in cursor.fetchall() if row[0] not in UNCHECKED_TABLES]


def snapshot() -> dict[str, str]:
    """A checksum of every row of every table (raw SQL: no manager, no filter can hide a row)."""
    sums = {}
    with connection.cursor() as cursor:
        for table in _tables():
            cursor.execute(
                "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                f' FROM "{table}" t'
            )
            count, digest = cursor.fetchone()
            sums[table] = f"{count}:{digest}"
    return sums


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(table for table in after if before.get(table) != after[table])


def _model_for_segment(segment: str) -> type[models.Model] | None:
    """`fee-notes` → FeeNote: the model whose English plural name is the path segment."""
    wanted = segment.replace("-", " ").lower()
    with translation.override("en"):
        owned = [model for model in apps.get_models() if _owner_field(model)]
        names = {model: str(model._meta.verbose_name_plural).lower() for model in owned}
    exact = [model for model in owned if names[model] == wanted]
    ending = [model for model in owned if names[model].endswith(" " + wanted)]  # `tokens` → "API tokens"
    found = exact or ending
    return found[0] if len(found) == 1 else None


def _owner_field(model: type[models.Model]) -> str | None:
    """What scopes a row: its cooperative, or for personal rows without one (API tokens) its user."""
    fields = {field.name for field in model._meta.get_fields()}
    if "cooperative" in fields:
        return "cooperative"
    if "user" in fields and model._meta.app_label in ("core",):
        return "user"
    return None


_numbers = iter(range(9000, 10000))


def _person(cooperative: Cooperative, role: str) -> Membership:
    """A new person (member numbers far above the demo's, which the factory's sequence would repeat)."""
    return MembershipFactory(cooperative=cooperative, role=role, member_number=next(_numbers))


def _client(membership: Membership | None, host: str) -> Client:
    client = Client(HTTP_HOST=host, raise_request_exception=False)
    if membership is not None:
        if (
            membership.role in ("finance", "admin", "advisor")
            and not membership.user.authenticator_set.exists()
        ):
            enable_totp(membership.user)
        client.force_login(membership.user)
    return client


def _victim_object(model: type[models.Model], coop: Cooperative, owner: Membership) -> models.Model:
    """An object of the demo member where the model has an owner, payee or project; else any of the
    cooperative's."""
    if _owner_field(model) == "user":
        mine = model._base_manager.filter(user=owner.user).order_by("pk").first()
        assert mine is not None, f"no {model._meta.label} of the demo member to attack: add one in `world`"
        return mine
    rows = model._base_manager.filter(cooperative=coop).order_by("pk")
    for lookup in ("owner", "payee", "project__owner", "membership", "invoice__project__owner"):
        try:
            mine = rows.filter(**{lookup: owner}).first()
        except Exception:  # the lookup does not exist on this model
            continue
        if mine is not None:
            return mine
    first = rows.first()
    assert first is not None, f"no {model._meta.label} of {coop} to attack: add one to backend_data"
    return first


@pytest.fixture
def world(backend_data: Cooperative) -> dict[str, Any]:  # noqa: F811
    victim_coop = backend_data
    attacker_coop = Cooperative.objects.get(slug="smart-de")
    owner = Membership.objects.for_cooperative(victim_coop).get(user__email="member@smart-at.example")
    finance = Membership.objects.for_cooperative(victim_coop).get(user__email="finance@smart-at.example")
    api_token_create(user=owner.user)  # a personal row (no cooperative): /api/auth/tokens/{token_id}/
    attackers: dict[str, tuple[Client, str]] = {"anonymous": (Client(HTTP_HOST=VICTIM_HOST), VICTIM_HOST)}
    for role in ("member", "advisor", "finance", "admin"):
        person = _person(attacker_coop, role)
        attackers[f"other cooperative's {role}"] = (_client(person, ATTACKER_HOST), ATTACKER_HOST)
        # The same person asking on the victim's host, where they have no membership.
        attackers[f"other cooperative's {role} on the victim's host"] = (
            _client(person, VICTIM_HOST),
            VICTIM_HOST,
        )
    neighbour = _person(victim_coop, "member")
    attackers["another member of the same cooperative"] = (_client(neighbour, VICTIM_HOST), VICTIM_HOST)
    return {
        "victim_coop": victim_coop,
        "attacker_coop": attacker_coop,
        "owner": owner,
        "control": _client(finance, VICTIM_HOST),
        "attackers": attackers,
    }


def _schema(client: Client) -> dict[str, Any]:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200, response.status_code
    schema: dict[str, Any] = json.loads(response.content)
    return schema


def _resolve(path: str, world: dict[str, Any]) -> tuple[str, list[models.Model]]:
    """The path with every `{param}` replaced by the id of a real object of the victim cooperative."""
    objects: list[models.Model] = []

    def replace(match: re.Match[str]) -> str:
        before = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        model = _model_for_segment(before)
        assert model is not None, f"{path}: cannot tell which model {{{match.group(1)}}} after /{before}/ is"
        obj = _victim_object(model, world["victim_coop"], world["owner"])
        objects.append(obj)
        return str(obj.pk)

    return re.sub(r"\{(\w+)\}", replace, path), objects


def _mentions(body: bytes, objects: list[models.Model]) -> bool:
    text = body.decode("utf-8", "replace")
    for obj in objects:
        for field in ("title", "number", "name", "description"):
            value = getattr(obj, field, None)
            if isinstance(value, str) and len(value) >= 6 and value in text:
                return True
    return False


def test_every_api_path_with_an_id_refuses_everyone_but_its_people(world: dict[str, Any]) -> None:
    schema = _schema(world["control"])
    paths = [path for path in schema["paths"] if "{" in path]
    assert len(paths) >= 20, paths  # the schema really is the app's
    problems: list[str] = []
    requests = 0
    for path in paths:
        url, objects = _resolve(path, world)
        methods = [method for method in METHODS if method in schema["paths"][path]]
        if "get" in methods and path.endswith("}/"):
            # Control: the victim cooperative's finance person finds the object, so the ids are real (its
            # sub-resources may not exist for this object: a PDF not yet rendered, an e-invoice format the
            # client does not get).
            control = world["control"].get(url)
            if control.status_code == 404 or control.status_code >= 500:
                problems.append(
                    f"control GET {url} as the cooperative's finance person: {control.status_code}"
                )
        before = snapshot()
        for who, (client, _host) in world["attackers"].items():
            for method in methods:
                kwargs: dict[str, Any] = {}
                if method != "get":
                    kwargs = {"data": "{}", "content_type": "application/json"}
                response = getattr(client, method)(url, **kwargs)
                requests += 1
                if response.status_code not in REFUSED:
                    problems.append(f"{method.upper()} {url} as {who}: {response.status_code}")
                elif _mentions(response.content, objects):
                    problems.append(f"{method.upper()} {url} as {who}: the refusal names the object")
        changed = _changed(before, snapshot())
        if changed:
            problems.append(f"{path}: refused requests changed {', '.join(changed)}")
    assert not problems, "\n".join(problems)
    assert requests >= 20 * len(world["attackers"])


def _admin_attackers(attacker_coop: Cooperative) -> dict[str, Client]:
    clients = {}
    for role in ("advisor", "finance", "admin"):
        person = _person(attacker_coop, role)
        clients[role] = _client(person, ATTACKER_HOST)
    return clients


def test_every_backend_page_and_action_hides_the_other_cooperative(world: dict[str, Any]) -> None:
    victim_coop, attacker_coop = world["victim_coop"], world["attacker_coop"]
    problems: list[str] = []
    checked = 0
    tenant_admins = [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if hasattr(model, "cooperative_id") or model in (Membership,)
    ]
    assert any(model is Project for model, _ in tenant_admins)
    for role, client in _admin_attackers(attacker_coop).items():
        for model, model_admin in tenant_admins:
            info = (model._meta.app_label, model._meta.model_name)
            victims = list(model._base_manager.filter(cooperative=victim_coop).order_by("pk")[:3])
            if not victims:
                continue
            changelist_url = reverse("admin:{}_{}_changelist".format(*info))
            response = client.get(changelist_url)
            checked += 1
            if response.status_code == 200 and response.context and "cl" in response.context:
                foreign = [
                    obj.pk
                    for obj in response.context["cl"].result_list
                    if obj.cooperative_id != attacker_coop.pk
                ]
                if foreign:
                    problems.append(f"{role}: {changelist_url} lists {model._meta.label} {foreign}")
            elif response.status_code not in (302, 403):
                problems.append(f"{role}: {changelist_url} answered {response.status_code}")
            for obj in victims:
                url = reverse("admin:{}_{}_change".format(*info), args=[quote(obj.pk)])
                response = client.get(url)
                checked += 1
                shown = response.status_code == 200
                named = len(str(obj)) > 5 and str(obj) in response.content.decode("utf-8", "replace")
                if shown or named:
                    label = model._meta.label
                    problems.append(f"{role}: {url} (other cooperative's {label}): {response.status_code}")
            actions = [name for name in (model_admin.actions or []) if isinstance(name, str)]
            actions += [
                getattr(action, "__name__", "") for action in (model_admin.actions or []) if callable(action)
            ]
            for action in ["delete_selected", *actions]:
                before = snapshot()
                client.post(
                    changelist_url,
                    {"action": action, "_selected_action": [obj.pk for obj in victims], "post": "yes"},
                )
                checked += 1
                changed = _changed(before, snapshot())
                if changed:
                    problems.append(
                        f"{role}: action {action} on {model._meta.label} changed {', '.join(changed)}"
                    )
    assert not problems, "\n".join(problems)
    assert checked > 50


def test_the_matrix_sees_a_leak_when_there_is_one(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The matrix's own check: a view that hands out the object by id alone is reported."""
    owner = world["owner"]
    project = _victim_object(Project, world["victim_coop"], owner)
    client, _host = world["attackers"]["other cooperative's member"]
    before = snapshot()
    Project._base_manager.filter(pk=project.pk).update(title="Leaked title for the matrix")
    assert _changed(before, snapshot()) == ["projects_project"]
    project.refresh_from_db()
    response = world["control"].get(f"/api/projects/{project.pk}/")
    assert _mentions(response.content, [project])
    assert client.get(f"/api/projects/{project.pk}/").status_code == 404
