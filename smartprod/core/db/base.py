"""Django's PostgreSQL backend, keeping the session's row-level security settings equal to the code's scope.

- every query first applies the current scope when the connection's differs (smartprod.core.rls);
- a new connection starts with nothing applied, and so does one after a rollback: PostgreSQL undoes a SET
  made inside a rolled-back transaction or savepoint, so what was applied there is no longer known.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from smartprod.core import rls


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rls_applied: rls.Scope | None = None
        # First in the list: Django's execute_wrapper() context manager pops the last entry on exit.
        self.execute_wrappers.insert(0, rls.scope_execute_wrapper(self))

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
