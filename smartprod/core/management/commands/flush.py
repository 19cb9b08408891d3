"""`flush` (emptying every table, as the test suite does between transactional tests) as the owner role:
TRUNCATE is no privilege of the app role — it would skip row-level security."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from smartprod.core.rls import owner_connection, platform_scope


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with owner_connection(options.get("database") or "default"), platform_scope("flush", level=10):
            super().handle(**options)
