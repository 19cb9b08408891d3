"""The HTTP benchmark's WSGI module (bench only — never imported by the app, never deployed).

It serves the real application (smartprod.wsgi) and, in front of it, one extra path answering a single
`SELECT 1` through Django's own connection: the floor every endpoint is compared with, served by the same
gunicorn workers in the same run. The path exists only in this module, so the deployed application
(`gunicorn smartprod.wsgi:application`) has no such URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection

from smartprod.wsgi import application as smartprod_application

BASELINE_PATH = "/__bench__/one-query/"


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == BASELINE_PATH:
        with connection.cursor() as cursor:  # the persistent connection, as the app's requests use it
            cursor.execute("SELECT 1")
            cursor.fetchone()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "1")])
        return [b"1"]
    return smartprod_application(environ, start_response)
