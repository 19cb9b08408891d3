"""Persistent database connections: the settings, and a second request in the same thread reusing the
connection (same PostgreSQL backend pid) while CONN_MAX_AGE=0 would open a new one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper as DjangoWrapper
from django.test import RequestFactory


def test_settings_keep_connections_and_check_them() -> None:
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 60
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_conn_max_age_comes_from_the_environment() -> None:
    code = (
        "import json, django; from django.conf import settings; "
        "d = settings.DATABASES['default']; print(json.dumps([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smartprod.settings.dev", "DB_CONN_MAX_AGE": "7"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [7, True]


def _request() -> None:
    """One request through the WSGI handler, which sends request_started/request_finished (the signals
    that close old connections; Django's test client disconnects them, so it would prove nothing)."""
    environ = RequestFactory().get("/no-such-page/").environ
    response = WSGIHandler()(environ, lambda status, headers: None)
    b"".join(response)
    response.close()  # sends request_finished


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def max_age(transactional_db: Any) -> Iterator[Any]:
    original = connection.settings_dict["CONN_MAX_AGE"]

    def use(seconds: int) -> None:
        connection.close()
        connection.settings_dict["CONN_MAX_AGE"] = seconds

    yield use
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = original


def test_a_second_request_reuses_the_connection(max_age: Any) -> None:
    max_age(60)
    _request()
    first = _backend_pid()
    _request()
    assert _backend_pid() == first


def test_without_persistent_connections_each_request_opens_one(max_age: Any) -> None:
    """The control: the same requests with CONN_MAX_AGE=0 close the connection at each request's end."""
    max_age(0)
    _request()
    first = _backend_pid()
    _request()
    assert _backend_pid() != first


def _terminate(pid: int) -> None:
    """End a backend from another session, as a server restart or an idle timeout would."""
    import psycopg

    params = dict(connection.get_connection_params())
    params.update({k.lower(): v for k, v in (connection.settings_dict.get("OWNER") or {}).items() if v})
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("server_side_binding", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**{k: v for k, v in params.items() if k != "options"}, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_health_check_asks_the_server_only_when_the_socket_says_something(max_age: Any) -> None:
    """A healthy persistent connection is reused without `SELECT 1` (Django's check, a round trip per
    request); a connection the server ended is noticed from its socket and replaced before the request's
    first query."""
    max_age(60)
    _request()
    first = _backend_pid()
    with mock.patch.object(DjangoWrapper, "is_usable", autospec=True, return_value=True) as asked:
        _request()
        assert _backend_pid() == first
        assert asked.call_count == 0
    _terminate(first)
    time.sleep(0.2)  # the server's farewell reaches the socket
    with mock.patch.object(
        DjangoWrapper, "is_usable", autospec=True, side_effect=DjangoWrapper.is_usable
    ) as asked:
        _request()
        assert asked.call_count == 1  # the socket was readable: the server decided
    assert _backend_pid() != first
