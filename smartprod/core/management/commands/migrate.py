"""`migrate` as the owner role (DATABASE_OWNER_URL): the only command that does not run as the app role.

It runs in the platform scope, so data migrations see every cooperative's rows even when the owner is no
superuser (the tables FORCE row-level security on their owner too)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import migrate

from smartprod.core.rls import owner_connection, platform_scope


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        with owner_connection(options.get("database") or "default"), platform_scope("migrate"):
            super().handle(*args, **options)
