"""A PostgreSQL engine that starts the embedded server on its first connection, not on import.

Settings, `django.setup()`, mypy, `makemigrations --check` and the Docker build import the settings
without a database; only a process that really connects starts (or adopts) the server, and makes sure the
app role exists (the superuser `postgres` owns the tables and runs the migrations).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smartprod.core.db import base
from smartprod.embedded_pg import ensure_app_role, ensure_running


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        server = ensure_running(Path(self.settings_dict["EMBEDDED_DIR"]))
        self.settings_dict.update(server.connection)
        if self.settings_dict.get("APP_USER"):
            ensure_app_role(server, self.settings_dict["APP_USER"])
        return super().get_connection_params()
