"""PostgreSQL row-level security under the app role (smartprod/core/rls.py, README "Security").

The suite runs as the app role; code outside any scope runs in the platform scope (tests/conftest.py). These
tests leave it: `rls.no_scope()`, `rls.tenant_scope(...)`, requests through the middleware, eager tasks.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import shared_task
from django.core.handlers.wsgi import WSGIHandler
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.test import RequestFactory
from django.urls import path

from smartprod.core import rls
from smartprod.tenancy.models import Cooperative, Membership
from tests.factories import CooperativeFactory, MembershipFactory

ROOT = Path(__file__).resolve().parent.parent


def _rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall()) if cursor.description else []


def _visible_cooperatives(table: str = "members_membership") -> set[int]:
    """A raw query without any cooperative filter: what the database itself lets through."""
    return {row[0] for row in _rows(f"SELECT DISTINCT cooperative_id FROM {table}")}


@pytest.fixture
def two(db: Any) -> tuple[Membership, Membership]:
    return MembershipFactory(cooperative=CooperativeFactory()), MembershipFactory(
        cooperative=CooperativeFactory()
    )


# --- the guard: every tenant table, also those added later --------------------------------------------------


def _tables_without_forced_rls() -> list[str]:
    tables = _rows(
        """
        SELECT c.table_name, cl.relrowsecurity, cl.relforcerowsecurity,
               (SELECT string_agg(p.qual || ' / ' || p.with_check, '; ') FROM pg_policies p
                 WHERE p.schemaname = 'public' AND p.tablename = c.table_name)
          FROM information_schema.columns c
          JOIN pg_class cl ON cl.relname = c.table_name
          JOIN pg_namespace n ON n.oid = cl.relnamespace AND n.nspname = c.table_schema
         WHERE c.table_schema = 'public' AND c.column_name = 'cooperative_id' AND cl.relkind IN ('r', 'p')
        """
    )
    assert len(tables) >= 30
    return sorted(
        name
        for name, enabled, forced, policies in tables
        if not (enabled and forced and policies == _policy_shown("cooperative_id"))
    )


def _policy_shown(column: str) -> str:
    """The tenant policy's USING / WITH CHECK as pg_policies shows them (rls.policy_expression)."""
    condition = (
        f"(({column} = ( SELECT (NULLIF(current_setting('app.cooperative'::text, true), ''::text))::bigint"
        " AS \"nullif\")) OR ( SELECT (COALESCE(current_setting('app.platform'::text, true), ''::text) = "
        "'on'::text)))"
    )
    return f"{condition} / {condition}"


def test_every_table_with_a_cooperative_id_has_forced_rls_and_the_tenant_policy(db: Any) -> None:
    missing = _tables_without_forced_rls()
    assert missing == [], (
        f"tables with a cooperative_id without forced row-level security: {missing}; add "
        "smartprod.core.rls.EnableTenantRLS('<table>') to the migration that creates them"
    )
    [(enabled, forced, policy)] = _rows(
        """SELECT relrowsecurity, relforcerowsecurity,
                  (SELECT qual || ' / ' || with_check FROM pg_policies WHERE tablename = relname)
             FROM pg_class WHERE relname = 'members_cooperative'"""
    )
    assert (enabled, forced, policy) == (True, True, _policy_shown("id"))


def test_the_guard_notices_a_table_without_rls(transactional_db: Any) -> None:
    """The control: a table with a cooperative_id and no EnableTenantRLS fails the guard."""
    with rls.owner_connection():
        _rows("CREATE TABLE rls_guard_probe (id bigint PRIMARY KEY, cooperative_id bigint NOT NULL)")
    try:
        assert "rls_guard_probe" in _tables_without_forced_rls()
    finally:
        with rls.owner_connection():
            _rows("DROP TABLE rls_guard_probe")


# --- the app role -------------------------------------------------------------------------------------------


def test_the_app_role_is_no_superuser_cannot_bypass_rls_and_owns_nothing(db: Any) -> None:
    [(user, superuser, bypass)] = _rows(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert user == connection.settings_dict["APP_USER"]
    assert (superuser, bypass) == (False, False)
    assert (
        _rows(
            "SELECT relname FROM pg_class"
            " WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
        == []
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE projects_journalline SET id = id",
        "DELETE FROM projects_journalline",
        "UPDATE projects_journalentry SET id = id",
        "DELETE FROM projects_journalentry",
        "UPDATE core_auditevent SET id = id",
        "DELETE FROM core_auditevent",
        "TRUNCATE projects_journalline",
        "TRUNCATE projects_client",
        "ALTER TABLE projects_journalline DISABLE TRIGGER ALL",
        "ALTER TABLE projects_journalline DISABLE TRIGGER journalline_balanced",
        "ALTER TABLE projects_client DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE projects_client NO FORCE ROW LEVEL SECURITY",
        "DROP POLICY tenant_isolation ON projects_client",
        "SET session_replication_role = replica",
        "CREATE TABLE app_made (id int)",
    ],
)
def test_the_app_role_cannot(db: Any, statement: str) -> None:
    with (
        pytest.raises(DatabaseError, match=r"permission denied|must be owner|must be superuser"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_row_security_off_refuses_instead_of_showing_everything(db: Any) -> None:
    with rls.no_scope(), pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        _rows("SET LOCAL row_security = off")
        _rows("SELECT count(*) FROM projects_client")


# --- the policy ---------------------------------------------------------------------------------------------


def test_a_query_without_a_cooperative_filter_returns_no_foreign_rows(
    two: tuple[Membership, Membership],
) -> None:
    a, b = two
    assert _visible_cooperatives() >= {a.cooperative_id, b.cooperative_id}  # the platform scope: both
    with rls.tenant_scope(a.cooperative):
        assert _visible_cooperatives() == {a.cooperative_id}
        assert set(Membership.objects.all_cooperatives().values_list("cooperative_id", flat=True)) == {
            a.cooperative_id
        }
        assert not Membership.objects.all_cooperatives().filter(pk=b.pk).exists()
        assert list(Cooperative.objects.values_list("pk", flat=True)) == [a.cooperative_id]
        with connection.cursor() as cursor:
            cursor.execute("UPDATE members_membership SET phone = 'x' WHERE id = %s", [b.pk])
            assert cursor.rowcount == 0
    with rls.tenant_scope(b.cooperative):
        assert _visible_cooperatives() == {b.cooperative_id}
        b_phone = Membership.objects.all_cooperatives().get(pk=b.pk).phone
    assert b_phone != "x"  # the update in a's scope did not reach b's row


def test_without_a_scope_nothing_is_visible(two: tuple[Membership, Membership]) -> None:
    with rls.no_scope():
        assert _visible_cooperatives() == set()
        assert _rows("SELECT count(*) FROM members_cooperative") == [(0,)]
        assert _rows("SELECT current_setting('app.cooperative', true)") in ([("",)], [(None,)])


def test_rows_of_another_cooperative_cannot_be_written(two: tuple[Membership, Membership]) -> None:
    a, b = two
    with (
        rls.tenant_scope(a.cooperative),
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
    ):
        _rows("UPDATE members_membership SET cooperative_id = %s WHERE id = %s", [b.cooperative_id, a.pk])
    with (
        rls.tenant_scope(a.cooperative),
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
    ):
        MembershipFactory(cooperative=b.cooperative)


def test_a_rolled_back_savepoint_cannot_leave_a_wider_scope_behind(
    two: tuple[Membership, Membership],
) -> None:
    """PostgreSQL undoes a SET made inside a rolled-back savepoint: the wrapper must apply the scope again."""
    a, _ = two
    with rls.tenant_scope(a.cooperative):
        try:
            with transaction.atomic():
                assert _visible_cooperatives() == {a.cooperative_id}  # applied inside the savepoint
                raise RuntimeError
        except RuntimeError:
            pass
        assert _visible_cooperatives() == {a.cooperative_id}  # not the platform scope the rollback restored


def test_platform_scope_is_logged_with_its_reason(caplog: pytest.LogCaptureFixture, db: Any) -> None:
    with caplog.at_level(logging.INFO, logger="smartprod.platform"), rls.platform_scope("a test's reason"):
        pass
    assert "platform scope: a test's reason" in caplog.text


# --- requests: each query runs in its request's scope, on a reused connection too -------------------------


def _probe(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"pid": _rows("SELECT pg_backend_pid()")[0][0], "visible": sorted(_visible_cooperatives())}
    )


def _failing_probe(request: HttpRequest) -> JsonResponse:
    _visible_cooperatives()
    raise RuntimeError("the view failed")


urlpatterns = [path("rls-probe/", _probe), path("rls-fail/", _failing_probe)]


def _request(url: str, host: str) -> tuple[int, bytes]:
    """Through the WSGI handler, which sends request_started/request_finished (persistent connections)."""
    environ = RequestFactory().get(url, HTTP_HOST=host).environ
    status: list[str] = []
    response = WSGIHandler()(environ, lambda s, headers: status.append(s))
    body = b"".join(response)
    response.close()
    return int(status[0].split()[0]), body


def _raw_session_setting() -> tuple[int, str | None]:
    """The connection's own state, read past the wrapper (which would apply the test's scope first)."""
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_setting('app.cooperative', true)")
        pid, value = cursor.fetchone()
    return int(pid), value


def _raw_platform_setting() -> str | None:
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.platform', true)")
        (value,) = cursor.fetchone()
    return value  # type: ignore[no-any-return]


@pytest.fixture
def persistent(transactional_db: Any) -> Iterator[None]:
    original = connection.settings_dict["CONN_MAX_AGE"]
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = 60
    yield
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = original


@pytest.mark.urls("tests.test_row_level_security")
def test_a_reused_connection_never_carries_the_previous_requests_cooperative(persistent: None) -> None:
    at = CooperativeFactory(hosts=["at.localhost"])
    de = CooperativeFactory(hosts=["de.localhost"])
    MembershipFactory(cooperative=at)
    MembershipFactory(cooperative=de)
    status, body = _request("/rls-probe/", "at.localhost")
    first = json.loads(body)
    assert (status, first["visible"]) == (200, [at.pk])
    pid, value = _raw_session_setting()
    assert pid == first["pid"]  # the same, persistent connection, still set to the request's cooperative
    assert value == str(at.pk)  # (reset by its next query: smartprod.core.rls.reset_connections)
    with rls.no_scope():
        assert _visible_cooperatives() == set()  # which applies its own scope first: here none

    status, body = _request("/rls-probe/", "de.localhost")
    second = json.loads(body)
    assert (status, second["pid"], second["visible"]) == (200, first["pid"], [de.pk])

    status, body = _request("/rls-probe/", "nobody.localhost")  # no cooperative on this host: nothing
    assert (status, json.loads(body)["visible"]) == (200, [])

    status, _ = _request("/rls-fail/", "at.localhost")
    assert status == 500
    status, body = _request("/rls-probe/", "de.localhost")  # after the error, the next request sees its own
    assert (status, json.loads(body)["pid"], json.loads(body)["visible"]) == (200, first["pid"], [de.pk])


def test_a_connection_left_in_the_platform_scope_is_reset_at_once(transactional_db: Any) -> None:
    """The platform scope (every cooperative) never outlives its block on a connection. Outside a transaction
    it is sent for its statement alone and the session never has it; in a transaction it is set for the
    session and reset, with a statement of its own, when the outermost scope ends. A cooperative's scope is
    left to the next query, which applies its own first."""
    first, second = (MembershipFactory(cooperative=CooperativeFactory()) for _ in range(2))
    rls.set_process_default(rls.NO_SCOPE)  # as in every real process (the test suite's default is PLATFORM)
    try:
        with rls.tenant_scope(first.cooperative):
            assert _visible_cooperatives() == {first.cooperative_id}
        assert connection.rls_applied == rls.Scope(cooperative_id=first.cooperative_id)
        assert _raw_session_setting()[1] == str(first.cooperative_id)  # left for the next query

        with rls.platform_scope("test: platform queries outside a transaction"):
            assert _visible_cooperatives() == {first.cooperative_id, second.cooperative_id}
            assert _raw_platform_setting() == ""  # for that statement only: the session never had it
            assert _visible_cooperatives() == {first.cooperative_id, second.cooperative_id}
            with rls.tenant_scope(second.cooperative):
                assert _visible_cooperatives() == {second.cooperative_id}
        assert connection.rls_applied == rls.Scope(cooperative_id=second.cooperative_id)
        assert _visible_cooperatives() == set()  # the next query, in no scope, applied none first
        assert connection.rls_applied == rls.NO_SCOPE

        with rls.platform_scope("test: a platform query in a transaction"), transaction.atomic():
            assert _visible_cooperatives() == {first.cooperative_id, second.cooperative_id}
            assert _raw_platform_setting() == "on"  # for the session, as any scope in a transaction
        assert _raw_platform_setting() == ""  # reset when the outermost scope ended
        assert connection.rls_applied == rls.NO_SCOPE
    finally:
        rls.set_process_default(rls.PLATFORM)


def test_a_platform_statement_that_fails_leaves_the_session_as_it_was(transactional_db: Any) -> None:
    member = MembershipFactory(cooperative=CooperativeFactory())
    with rls.tenant_scope(member.cooperative):
        assert _visible_cooperatives() == {member.cooperative_id}
        with rls.platform_scope("test: a failing platform statement"), pytest.raises(DatabaseError):
            _rows("SELECT 1 / 0")
        assert connection.rls_applied == rls.Scope(cooperative_id=member.cooperative_id)
        assert (_raw_session_setting()[1], _raw_platform_setting()) == (str(member.cooperative_id), "")
        assert _visible_cooperatives() == {member.cooperative_id}


# --- Celery tasks -------------------------------------------------------------------------------------------


@shared_task(name="tests.rls_probe")
def rls_probe_task(cooperative_id: int | None = None) -> list[int]:
    return sorted(_visible_cooperatives())


@shared_task(name="tests.rls_probe_unscoped")
def rls_probe_unscoped_task() -> list[int]:
    return sorted(_visible_cooperatives())


def test_a_task_sees_only_the_cooperative_it_was_given(two: tuple[Membership, Membership]) -> None:
    a, b = two
    assert rls_probe_task.apply(kwargs={"cooperative_id": a.cooperative_id}).get() == [a.cooperative_id]
    with rls.tenant_scope(b.cooperative):  # whatever scope queued it
        assert rls_probe_task.apply(kwargs={"cooperative_id": a.cooperative_id}).get() == [a.cooperative_id]
        assert _visible_cooperatives() == {b.cooperative_id}  # restored after the task
    assert rls_probe_unscoped_task.apply().get() == []  # a beat job must enter the platform scope itself


# --- processes and commands ---------------------------------------------------------------------------------


def test_manage_py_shell_connects_as_the_app_role(db: Any) -> None:
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('SELECT current_user'); print(c.fetchone()[0])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smartprod.settings.test"}
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == connection.settings_dict["APP_USER"]


def test_only_the_owner_connection_runs_as_the_owner(transactional_db: Any) -> None:
    owner = connection.settings_dict["OWNER"]["USER"]
    with rls.owner_connection():
        assert _rows("SELECT current_user") == [(owner,)]
    assert _rows("SELECT current_user") == [(connection.settings_dict["APP_USER"],)]


# --- the scope sent with the query (one round trip) ---------------------------------------------------------


def test_the_scope_goes_in_front_of_the_query_in_one_round_trip(two: tuple[Membership, Membership]) -> None:
    """A query in a new scope carries the settings in front of it (smartprod.core.rls.scope_execute_wrapper):
    no separate statement, and the cursor answers the query's own rows."""
    from unittest import mock

    first, second = two
    with mock.patch.object(rls, "apply_scope", wraps=rls.apply_scope) as separately:
        with rls.tenant_scope(first.cooperative):
            assert _visible_cooperatives() == {first.cooperative_id}
            assert _rows("SELECT current_setting('app.cooperative')") == [(str(first.cooperative_id),)]
        with rls.tenant_scope(second.cooperative):
            assert _visible_cooperatives() == {second.cooperative_id}
    # Nothing went alone: a cooperative's scope is left on the connection for the next query to replace.
    assert separately.call_count == 0


def test_a_failed_query_undoes_the_scope_sent_with_it(transactional_db: Any) -> None:
    """PostgreSQL runs the settings and the query as one transaction: a failed query takes the settings
    with it, the scope counts as unknown, and the next query applies it again."""
    first, second = (MembershipFactory(cooperative=CooperativeFactory()) for _ in range(2))
    with rls.tenant_scope(first.cooperative):
        assert _visible_cooperatives() == {first.cooperative_id}
    assert _raw_session_setting()[1] == str(first.cooperative_id)  # left for the next query to replace
    with rls.tenant_scope(second.cooperative):
        with pytest.raises(DatabaseError):
            _rows("SELECT 1 / 0")
        assert connection.rls_applied is None
        # The settings sent with the failed query were undone: the session is as it was before it.
        assert _raw_session_setting()[1] == str(first.cooperative_id)
        assert _visible_cooperatives() == {second.cooperative_id}


def test_statements_that_must_run_alone_get_the_scope_separately(db: Any) -> None:
    """VACUUM, SHOW …: not joinable into one simple query; the scope is applied on its own first."""
    from unittest import mock

    cooperative = CooperativeFactory()
    with (
        mock.patch.object(rls, "apply_scope", wraps=rls.apply_scope) as separately,
        rls.tenant_scope(cooperative),
    ):
        assert _rows("SHOW app.cooperative") == [(str(cooperative.pk),)]
        assert separately.call_count == 1


def test_a_prepared_statement_is_executed_with_the_scope_in_front(two: tuple[Membership, Membership]) -> None:
    """EXECUTE of a statement prepared in the session joins the settings' simple query like a SELECT."""
    from unittest import mock

    first, _second = two
    with connection.cursor() as cursor:
        cursor.execute("PREPARE rls_probe AS SELECT DISTINCT cooperative_id FROM members_membership")
    try:
        with (
            mock.patch.object(rls, "apply_scope", wraps=rls.apply_scope) as separately,
            rls.tenant_scope(first.cooperative),
        ):
            assert _rows("EXECUTE rls_probe") == [(first.cooperative_id,)]
            assert separately.call_count == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE rls_probe")


def test_the_policy_reads_the_settings_once_per_statement(two: tuple[Membership, Membership]) -> None:
    """The settings are scalar subqueries (InitPlans), evaluated once, not a function call per row read."""
    first, _second = two
    with rls.tenant_scope(first.cooperative), connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT count(*) FROM members_membership")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "InitPlan" in plan, plan


def test_the_policies_are_rewritten_both_ways(transactional_db: Any) -> None:
    """The migration's operation: to the function form and back, every tenant table keeps its policy."""
    operation = rls.TenantPoliciesReadSettingsOnce()
    with rls.owner_connection():
        with connection.schema_editor() as editor:
            operation.backwards(editor)
        quals = {
            qual for (qual,) in _rows("SELECT qual FROM pg_policies WHERE policyname = 'tenant_isolation'")
        }
        assert quals == {f"{rls.VISIBLE_FUNCTION}(cooperative_id)", f"{rls.VISIBLE_FUNCTION}(id)"}
        with connection.schema_editor() as editor:
            operation.forwards(editor)
    assert _tables_without_forced_rls() == []
