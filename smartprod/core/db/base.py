"""Django's PostgreSQL backend, keeping the session's row-level security settings equal to the code's scope.

- every query first applies the current scope when the connection's differs (smartprod.core.rls);
- a new connection starts with nothing applied, and so does one after a rollback: PostgreSQL undoes a SET
  made inside a rolled-back transaction or savepoint, so what was applied there is no longer known;
- the health check of a persistent connection (CONN_HEALTH_CHECKS) looks at the socket before it asks the
  server (`is_usable`).
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base

from smartprod.core import rls


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rls_applied: rls.Scope | None = None
        # First in the list: Django's execute_wrapper() context manager pops the last entry on exit.
        self.execute_wrappers.insert(0, rls.scope_execute_wrapper(self))

    def is_usable(self) -> bool:
        """Django's check sends `SELECT 1` before the first query of every request: a round trip of a token
        request's few. An idle connection has nothing to read; when the server ends it (restart, idle
        timeout, `pg_terminate_backend`) it sends its farewell and closes the socket, which becomes
        readable. So: closed or broken → unusable; nothing to read → usable, no round trip; anything to read
        → Django's `SELECT 1` decides (it fails on a closed connection, which is then replaced)."""
        raw = self.connection
        if raw is None or raw.closed or raw.broken:
            return False
        try:
            readable, _, _ = select.select([raw.pgconn.socket], [], [], 0)
        except (OSError, ValueError, psycopg.OperationalError):
            return False
        return bool(super().is_usable()) if readable else True

    def init_connection_state(self) -> None:
        self.rls_applied = None
        super().init_connection_state()

    def close(self) -> None:
        super().close()
        self.rls_applied = None

    def rollback(self) -> None:
        super().rollback()
        self.rls_applied = None

    def savepoint_rollback(self, sid: str) -> None:
        super().savepoint_rollback(sid)  # its statement must run before the scope is applied again
        self.rls_applied = None
