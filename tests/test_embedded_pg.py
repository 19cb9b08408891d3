"""The embedded PostgreSQL starts lazily and recovers from killed runs and stale state.

These tests start real servers in temporary data folders (never the developer's .data/pg).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from smartprod import embedded_pg

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="smartprod.settings.dev", EMBEDDED_PG_DIR=str(data_dir), PYTHONUNBUFFERED="1"
    )
    return env


def _query(data_dir: Path) -> int:
    server = embedded_pg.server_for(data_dir)
    with psycopg.connect(
        host=str(server.socket_dir), port=embedded_pg.PORT, user="postgres", dbname="postgres"
    ) as c:
        row = c.execute("select 1").fetchone()
        assert row is not None
        return int(row[0])


def _wait_http(port: int, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Until runserver answers; its tenant middleware has queried the database by then. The database
    is not migrated: any HTTP answer, a 500 included, means it served a request."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "runserver exited early"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2) as answer:
                if answer.status == 200:
                    return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("runserver did not answer")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Outside pytest's temporary folders: as root the server runs as another user that must reach the
    folder, and any pytest session starting meanwhile makes /tmp/pytest-of-<user> private again."""
    parent = Path(tempfile.mkdtemp(prefix="smartprod-embedded-pg-"))
    yield parent / "pg"
    embedded_pg.stop(parent / "pg")
    shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.parametrize("module", ["smartprod.settings.dev", "smartprod.settings.build"])
def test_importing_settings_and_setup_start_no_database(data_dir: Path, module: str) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'])"
    )
    env = {**_env(data_dir), "DJANGO_SETTINGS_MODULE": module}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "smartprod.embedded_pg"
    assert not (data_dir / "PG_VERSION").exists()
    assert embedded_pg.status(data_dir) == "stopped"


@pytest.mark.parametrize("signals", [(signal.SIGTERM, signal.SIGKILL, signal.SIGTERM)])
def test_make_run_killed_three_times_starts_again(
    data_dir: Path, signals: tuple[signal.Signals, ...]
) -> None:
    """runserver (reloader parent + child) killed as a process group, then started again: 3 times."""
    for number, sig in enumerate(signals):
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=_env(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_http(port, process)
            assert embedded_pg.status(data_dir).startswith("running"), f"round {number}"
            assert _query(data_dir) == 1
        finally:
            os.killpg(process.pid, sig)
            process.wait(timeout=30)
    # A clean client after the kills adopts the running server and, as the last client, stops it.
    out = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.db import connection; connection.ensure_connection()",
        ],
        cwd=ROOT,
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert embedded_pg.status(data_dir) == "stopped"
    assert list((data_dir.parent / "pg-clients").iterdir()) == []


def test_stale_pid_file_socket_lock_and_clients_are_recovered(data_dir: Path) -> None:
    embedded_pg.ensure_running(data_dir, register=False)
    assert embedded_pg.stop(data_dir)
    server = embedded_pg.server_for(data_dir)
    # What a crash leaves: a postmaster.pid naming a live process that is no postgres (our own pid),
    # a socket lock file, an empty pid file of clients and a client pid that is long dead.
    (data_dir / "postmaster.pid").write_text(f"{os.getpid()}\n{data_dir}\n")
    (server.socket_dir / f".s.PGSQL.{embedded_pg.PORT}.lock").write_text("999999\n")
    clients = data_dir.parent / "pg-clients"
    clients.mkdir(exist_ok=True)
    (clients / "999999").touch()
    (clients / "garbage").touch()

    embedded_pg.ensure_running(data_dir, register=False)

    assert _query(data_dir) == 1
    assert embedded_pg.status(data_dir).endswith("clients none)")
    assert list(clients.iterdir()) == []


def test_empty_pid_file_is_stale(data_dir: Path) -> None:
    embedded_pg.ensure_running(data_dir, register=False)
    embedded_pg.stop(data_dir)
    (data_dir / "postmaster.pid").write_text("")
    embedded_pg.ensure_running(data_dir, register=False)
    assert _query(data_dir) == 1


def test_a_running_server_is_adopted_not_started_twice(data_dir: Path) -> None:
    embedded_pg.ensure_running(data_dir, register=False)
    first = (data_dir / "postmaster.pid").read_text().splitlines()[0]
    embedded_pg.ensure_running(data_dir, register=False)
    assert (data_dir / "postmaster.pid").read_text().splitlines()[0] == first


def test_started_by_hand_it_outlives_its_clients_until_stopped(data_dir: Path) -> None:
    started = subprocess.run(
        [sys.executable, "manage.py", "embedded_pg", "start"],
        cwd=ROOT,
        env=_env(data_dir),
        capture_output=True,
    )
    assert started.returncode == 0, started.stderr
    client = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.db import connection; connection.ensure_connection()",
        ],
        cwd=ROOT,
        env=_env(data_dir),
        capture_output=True,
    )
    assert client.returncode == 0, client.stderr
    assert embedded_pg.status(data_dir).endswith("clients none, pinned)")
    stopped = subprocess.run(
        [sys.executable, "manage.py", "embedded_pg", "stop"],
        cwd=ROOT,
        env=_env(data_dir),
        capture_output=True,
    )
    assert stopped.stdout.strip() == b"stopped"
    assert embedded_pg.status(data_dir) == "stopped"
