"""`manage.py embedded_pg start|stop|status`: the embedded PostgreSQL, by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from smartprod import embedded_pg


class Command(BaseCommand):
    help = "Start, stop or show the embedded PostgreSQL (used when DATABASE_URL is unset)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["start", "stop", "status"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        data_dir = settings.DATABASES["default"].get("EMBEDDED_DIR")
        if not data_dir:
            raise CommandError("DATABASE_URL is set: there is no embedded PostgreSQL to manage.")
        path = Path(data_dir)
        if action == "start":
            # Pinned: the server keeps running after this command and every client exit, until `stop`.
            server = embedded_pg.ensure_running(path, register=False, pin=True)
            self.stdout.write(f"running; socket in {server.socket_dir}")
        elif action == "stop":
            self.stdout.write("stopped" if embedded_pg.stop(path) else "was not running")
        else:
            self.stdout.write(embedded_pg.status(path))
