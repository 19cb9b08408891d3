"""The embedded PostgreSQL used when no DATABASE_URL is set.

pgserver ships a PostgreSQL build in a wheel and starts it in a local data folder, listening on a
Unix socket only. With cleanup_mode="stop" the server stops when the last process that asked for
it exits, so `make run`, workers and the test runner can share one data folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def embedded_database_url(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    runtime_dir = data_dir.parent / "run"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    import pgserver

    server = pgserver.get_server(str(data_dir), cleanup_mode="stop")
    uri: str = server.get_uri()
    return uri
