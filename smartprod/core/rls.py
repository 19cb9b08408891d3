"""PostgreSQL row-level security: which cooperative's rows the current code may see, enforced by the database.

Every table with a `cooperative_id` has RLS enabled and FORCEd (the owner is bound too) with one policy:
a row is visible and writable only when its `cooperative_id` equals the session setting `app.cooperative`,
or when `app.platform` is `on`. Unset or empty, nothing matches: the database fails closed. The app
connects as a role that owns nothing and is neither superuser nor BYPASSRLS (README "Security"), so even a
query that forgot its `.for_cooperative(...)` cannot return another cooperative's rows.

The *scope* of the running code lives in a context variable, never in connection state alone:

- `tenant_scope(cooperative)`: one cooperative. Entered by the kernel for each request
  (`smartprod.tenancy.middleware.TenantMiddleware`), each Celery task that takes a `cooperative_id`
  (`smartprod.celery`), and by management commands per cooperative they work on.
- `platform_scope(reason)`: every cooperative. The one narrow, logged path for work before a tenant is known
  or across tenants. Who may use it: the tenant resolution of a request (host → cooperative, the person's
  memberships), the superuser platform backend (`/admin/` for `is_superuser`), beat sweeps that *list* due
  work over all cooperatives (the work itself then runs per cooperative), `migrate`, `seed_demo`, and tests.
  Every entry is logged on the `smartprod.platform` logger with its reason.
- no scope (the default of a process): nothing tenant-owned is visible.

The database wrapper (`smartprod.core.db`) applies the current scope to its connection before a query runs
whenever the two differ, again after every rollback (a rolled-back SET is undone by PostgreSQL) and on
every new connection. A persistent connection reused by the next request therefore never runs a query
with the previous request's cooperative. The platform scope outside a transaction is sent for its statement
alone (the session never keeps it); leaving the outermost scope resets a connection left in the platform
scope (in a transaction) at once; one left in a cooperative's scope is reset by its next query
(`scope_execute_wrapper`, `reset_connections`).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, connections, migrations
from psycopg import ClientCursor, pq

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor
    from django.db.migrations.state import ProjectState

logger = logging.getLogger("smartprod.platform")

COOPERATIVE_SETTING = "app.cooperative"
PLATFORM_SETTING = "app.platform"
POLICY_NAME = "tenant_isolation"
VISIBLE_FUNCTION = "smartprod_tenant_visible"


@dataclass(frozen=True)
class Scope:
    cooperative_id: int | None = None
    platform: bool = False

    def settings(self) -> tuple[str, str]:
        return (
            str(self.cooperative_id) if self.cooperative_id is not None else "",
            "on" if self.platform else "",
        )


NO_SCOPE = Scope()
PLATFORM = Scope(platform=True)

_scope: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("smartprod_rls_scope", default=None)
# What code outside any scope sees. NO_SCOPE in every real process; the test suite sets PLATFORM for its own
# process (tests/conftest.py), so fixtures may build two cooperatives and threads of a test see them.
_process_default: Scope = NO_SCOPE


def current_scope() -> Scope:
    scope = _scope.get()
    return _process_default if scope is None else scope


def set_process_default(scope: Scope) -> None:
    """Only for the test suite: the scope of code outside any scope (requests and tasks set their own)."""
    global _process_default
    _process_default = scope


def _id(cooperative: Any) -> int:
    return int(getattr(cooperative, "pk", cooperative))


@contextlib.contextmanager
def _entered(scope: Scope) -> Iterator[Scope]:
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)
        if _scope.get() is None:
            reset_connections()  # leaving the outermost scope: no platform scope stays on a connection


def tenant_scope(cooperative: Any) -> contextlib.AbstractContextManager[Scope]:
    """Only `cooperative`'s rows (a Cooperative or its id) until the block ends."""
    return _entered(Scope(cooperative_id=_id(cooperative)))


def no_scope() -> contextlib.AbstractContextManager[Scope]:
    """Nothing tenant-owned until the block ends (what a process without a scope sees)."""
    return _entered(NO_SCOPE)


def platform_scope(reason: str, *, level: int = logging.INFO) -> contextlib.AbstractContextManager[Scope]:
    """Every cooperative's rows until the block ends: the narrow, logged platform path (see the module)."""
    logger.log(level, "platform scope: %s", reason)
    return _entered(PLATFORM)


def switch_tenant(cooperative: Any | None) -> None:
    """Inside an entered scope, move to another cooperative (or none); the enclosing scope's end restores.

    For the one place that learns the tenant late: token authentication, inside the request's scope."""
    if _scope.get() is None:
        return  # no enclosing scope (a view called without the middleware): the process default holds
    _scope.set(Scope(cooperative_id=_id(cooperative)) if cooperative is not None else NO_SCOPE)


def active_cooperatives(cooperative_model: Any, reason: str) -> list[Any]:
    """The active cooperatives, read in the platform scope, for a job that then works in each one's scope:

    for cooperative in active_cooperatives(Cooperative, "daily payout runs"):
        with tenant_scope(cooperative): ...
    """
    with platform_scope(f"{reason}: the list of active cooperatives"):
        return list(cooperative_model.objects.filter(is_active=True).order_by("pk"))


# --- applying the scope to a connection (called by smartprod.core.db.base.DatabaseWrapper) ----------------

_APPLY_SQL = (
    f"SELECT set_config('{COOPERATIVE_SETTING}', %s, false), set_config('{PLATFORM_SETTING}', %s, false)"
)


def apply_scope(connection: Any) -> None:
    """Bring the connection's settings in line with the current scope (one statement, only when they differ).

    Runs on the driver's connection, beside Django's cursors: it is no query of the code under test
    (query counts stay exact) and cannot recurse."""
    scope = current_scope()
    if getattr(connection, "rls_applied", None) == scope:
        return
    raw = connection.connection
    if raw is None or raw.info.transaction_status == pq.TransactionStatus.INERROR:
        return  # an aborted transaction: only its rollback can run, and that undoes this transaction's SETs
    with connection.wrap_database_errors, raw.cursor() as cursor:
        cursor.execute(_APPLY_SQL, scope.settings())
    connection.rls_applied = scope


def _apply_prefix(scope: Scope, *, local: bool = False) -> str:
    """The scope's settings as a statement to send in front of a query (literals: an integer id, 'on' or
    nothing — no parameter to bind); `local`: for the transaction only (set_config's is_local)."""
    cooperative, platform = scope.settings()
    if not cooperative.isdigit() and cooperative != "":
        raise ValueError(f"cooperative id {cooperative!r}")
    is_local = "true" if local else "false"
    return (
        f"SELECT set_config('{COOPERATIVE_SETTING}', '{cooperative}', {is_local}), "
        f"set_config('{PLATFORM_SETTING}', '{'on' if platform else ''}', {is_local}); "
    )


# Statements that may share a simple query (an implicit transaction) with the settings in front of them.
_JOINABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "EXECUTE")


def scope_execute_wrapper(connection: Any) -> Callable[..., Any]:
    """Applies the scope before a query when the connection's differs — in the same round trip.

    A client-side-binding cursor (Django's default with psycopg) sends its query as PostgreSQL's simple query,
    which may hold several statements: the settings go in front of the query, and the cursor moves on to
    the query's result. PostgreSQL runs such a string as one transaction, so when the query fails, the
    settings are undone too; the scope then counts as unknown and is applied again before the next query.
    Anything else (executemany, server-side cursors, an aborted transaction) applies it first, on its own.

    The platform scope outside a transaction is sent for its statement alone (set_config's is_local: the
    settings end with the implicit transaction, success or not): the connection never keeps it, its
    settings and `rls_applied` stay as they were, and nothing is left to reset after the token check of
    each API request. In a transaction (Django's atomic, or psycopg outside autocommit) it is set for the
    session as any scope, and reset when the outermost scope ends (`reset_connections`).
    """

    def wrapper(execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any) -> Any:
        scope = current_scope()
        if getattr(connection, "rls_applied", None) == scope:
            return execute(sql, params, many, context)
        raw = connection.connection
        cursor = getattr(context.get("cursor"), "cursor", None)
        if (
            many
            or not isinstance(sql, str)
            or not sql.lstrip()[:8].upper().startswith(_JOINABLE)  # VACUUM, CREATE DATABASE: alone
            or raw is None
            or raw.info.transaction_status == pq.TransactionStatus.INERROR
            or not isinstance(cursor, ClientCursor)  # ServerCursor declares a cursor FOR one statement
        ):
            apply_scope(connection)
            return execute(sql, params, many, context)
        if (
            scope.platform
            and raw.autocommit
            and not connection.in_atomic_block
            and raw.info.transaction_status == pq.TransactionStatus.IDLE
        ):
            result = execute(_apply_prefix(scope, local=True) + sql, params, many, context)
            cursor.nextset()
            return result  # the session's settings are what they were before: rls_applied holds
        connection.rls_applied = None  # unknown until the statement succeeded
        result = execute(_apply_prefix(scope) + sql, params, many, context)
        cursor.nextset()  # the query's own result, not the settings' row
        connection.rls_applied = scope
        return result

    return wrapper


def reset_connections() -> None:
    """After the outermost scope: bring this thread's open connections that were left in the platform scope
    back to the current one (none) now, with a statement of its own.

    A connection left in a cooperative's scope keeps it until its next query, in front of which the wrapper
    applies the scope of the code then running (a query of no scope, another cooperative's, the platform's:
    each is applied before it runs, as for every query). That saves every request a round trip (0.2 ms of
    the machine's CPU: the reset was a sixth of a token request's cost), and what stays set is only what
    the process just had: one cooperative's rows, seen through no query. Everything that reads goes through
    Django's cursors (and so through the wrapper); the driver's connection is used directly only to apply
    the scope and to PREPARE (smartprod.core.rows), which reads nothing."""
    connection: Any
    current = current_scope()
    for connection in connections.all(initialized_only=True):
        applied = getattr(connection, "rls_applied", None)
        if connection.connection is None or applied is None or applied == current:
            continue
        if not applied.platform:
            continue  # a cooperative's scope: replaced in front of the next query (above)
        try:
            apply_scope(connection)
        except DatabaseError:
            # An aborted transaction: its rollback undoes this session's SETs of the transaction, and the
            # wrapper re-applies before the next query. Outside a transaction the connection is broken.
            connection.rls_applied = None
            if not connection.in_atomic_block:
                connection.close()


# --- roles --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def owner_connection(alias: str = "default") -> Iterator[None]:
    """Connect as the owner role (DATABASE_OWNER_URL) for the block: migrations and test-database flushes.

    Without a separate owner configured the connection's own role is used. The switch closes the connection
    before and after, so the app role's persistent connection is never used as the owner's, nor the other way.
    """
    connection = connections[alias]
    owner = connection.settings_dict.get("OWNER")
    if not owner or connection.settings_dict.get("AS_OWNER"):
        yield
        return
    if connection.in_atomic_block:
        raise RuntimeError("owner_connection() cannot switch roles inside a transaction")
    saved = {key: connection.settings_dict.get(key) for key in owner}
    connection.close()
    connection.settings_dict.update(owner)
    connection.settings_dict["AS_OWNER"] = True
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)
        connection.settings_dict.pop("AS_OWNER", None)


def app_role(connection: BaseDatabaseWrapper) -> str | None:
    """The app role's name when a separate owner runs migrations; None when one role does everything."""
    settings_dict = connection.settings_dict
    if not settings_dict.get("OWNER"):
        return None
    return str(settings_dict.get("APP_USER") or "") or None


# --- migration operations -----------------------------------------------------------------------------------

_VISIBLE_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {VISIBLE_FUNCTION}(row_cooperative bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT row_cooperative = NULLIF(current_setting('{COOPERATIVE_SETTING}', true), '')::bigint
      OR COALESCE(current_setting('{PLATFORM_SETTING}', true), '') = 'on'
$$
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def policy_expression(column: str) -> str:
    """The tenant policy's condition on `column` (quoted): the row is the scope's cooperative's, or the scope
    is the platform's. What `smartprod_tenant_visible` says, with each setting read by a scalar subquery:
    PostgreSQL evaluates those once per statement (an InitPlan) instead of twice per row read — the count of
    a list and a scan of a thousand invoices called current_setting two thousand times (0.15–0.2 ms of a
    1 ms statement)."""
    return (
        f"{column} = (SELECT NULLIF(current_setting('{COOPERATIVE_SETTING}', true), '')::bigint) "
        f"OR (SELECT COALESCE(current_setting('{PLATFORM_SETTING}', true), '') = 'on')"
    )


class _DatabaseOperation(migrations.operations.base.Operation):
    """A migration operation that only runs SQL (no model state): subclasses give `forwards` and `backwards`
    with the schema editor, and `deconstruct`."""

    reversible = True
    reduces_to_sql = False

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self.forwards(schema_editor)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self.backwards(schema_editor)

    def forwards(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        raise NotImplementedError

    def backwards(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        raise NotImplementedError


class EnableTenantRLS(_DatabaseOperation):
    """Row-level security, FORCEd, with the tenant policy on one table: put it in the migration that creates
    a table with a `cooperative_id` (or pass `column` for a table whose own id is the tenant).

        operations = [migrations.CreateModel(...), EnableTenantRLS("payroll_salary")]

    tests/test_row_level_security.py fails for any table with a `cooperative_id` that lacks it."""

    reduces_to_sql = True

    def __init__(self, table: str, column: str = "cooperative_id") -> None:
        self.table = table
        self.column = column

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs = {"column": self.column} if self.column != "cooperative_id" else {}
        return (f"{__name__}.{type(self).__name__}", [self.table], kwargs)

    def forwards(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        table, column = _quote(self.table), _quote(self.column)
        schema_editor.execute(_VISIBLE_FUNCTION_SQL)
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        condition = policy_expression(column)
        schema_editor.execute(
            f"CREATE POLICY {POLICY_NAME} ON {table} USING ({condition}) WITH CHECK ({condition})"
        )

    def backwards(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        table = _quote(self.table)
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Forced row-level security on {self.table} by {self.column}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.table}"


class TenantPoliciesReadSettingsOnce(_DatabaseOperation):
    """Rewrites every tenant policy made as `smartprod_tenant_visible(<column>)` into `policy_expression`
    (the same condition, its settings read once per statement); backwards, the function form again."""

    _FUNCTION_FORM = re.compile(rf"^\(*{VISIBLE_FUNCTION}\((\w+)\)\)*$")
    _EXPRESSION_FORM = re.compile(r"^\(*(\w+) = \( SELECT")

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (f"{__name__}.{type(self).__name__}", [], {})

    def _rewrite(
        self, schema_editor: BaseDatabaseSchemaEditor, form: re.Pattern[str], *, forwards: bool
    ) -> None:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT schemaname, tablename, qual FROM pg_policies WHERE policyname = %s ORDER BY 2",
                [POLICY_NAME],
            )
            policies = cursor.fetchall()
        for schema, table, qual in policies:
            found = form.match(qual or "")
            if found is None:
                continue  # already in the wanted form
            column = _quote(found[1])
            condition = policy_expression(column) if forwards else f"{VISIBLE_FUNCTION}({column})"
            schema_editor.execute(
                f"ALTER POLICY {POLICY_NAME} ON {_quote(schema)}.{_quote(table)} "
                f"USING ({condition}) WITH CHECK ({condition})"
            )

    def forwards(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        self._rewrite(schema_editor, self._FUNCTION_FORM, forwards=True)

    def backwards(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        schema_editor.execute(_VISIBLE_FUNCTION_SQL)
        self._rewrite(schema_editor, self._EXPRESSION_FORM, forwards=False)

    def describe(self) -> str:
        return "Tenant policies read the scope's settings once per statement"


class GrantAppPrivileges(_DatabaseOperation):
    """The app role reads and writes the tables the owner has and will create (default privileges), nothing
    more: no TRUNCATE, REFERENCES or TRIGGER, no DDL (it owns nothing). A no-op when one role does
    everything."""

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (f"{__name__}.{type(self).__name__}", [], {})

    def forwards(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        app = app_role(schema_editor.connection)
        if app is None:
            return
        role = _quote(app)
        for statement in (
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
            f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        ):
            schema_editor.execute(statement)

    def backwards(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        pass  # the grants are left in place

    def describe(self) -> str:
        return "Privileges of the app role on the owner's tables"


class RevokeAppWrites(_DatabaseOperation):
    """Append-only tables (the ledger, the audit log): the app role may INSERT and SELECT, never UPDATE or
    DELETE — not even through a bug, whatever triggers exist. A no-op when one role does everything."""

    def __init__(self, *tables: str) -> None:
        self.tables = tables

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (f"{__name__}.{type(self).__name__}", list(self.tables), {})

    def forwards(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        app = app_role(schema_editor.connection)
        if app is None:
            return
        for table in self.tables:
            schema_editor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {_quote(table)} FROM {_quote(app)}")

    def backwards(self, schema_editor: BaseDatabaseSchemaEditor) -> None:
        app = app_role(schema_editor.connection)
        if app is None:
            return
        for table in self.tables:
            schema_editor.execute(f"GRANT UPDATE, DELETE ON {_quote(table)} TO {_quote(app)}")

    def describe(self) -> str:
        return f"Append-only for the app role: {', '.join(self.tables)}"
