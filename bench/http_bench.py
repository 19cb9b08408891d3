"""HTTP benchmark (not a test): `make bench` runs it after bench/run.py and prints a Markdown table.

1. Fills a throwaway database (created here, dropped at the end) through the app's own services: one
   cooperative, one member owning 200 approved projects, one of them with 1,000 issued invoices of which
   half are paid (≈ 2,000 budget lines).
2. Starts gunicorn with the production settings (DJANGO_SETTINGS_MODULE=smartprod.settings.production,
   its required environment set to throwaway values, no TLS redirect on 127.0.0.1) and 2 sync workers,
   serving bench/wsgi_baseline.py: the real application plus one bench-only path that runs `SELECT 1`
   through Django's connection — the floor, served by the same workers in the same run.
3. Gets the member's API token through POST /api/auth/token/ and drives each endpoint with `wrk`
   (8 connections, 2 threads), interleaved with the floor, ROUNDS times; prints each endpoint's requests/s
   (median) and its ratio to the floor's median.

Environment: HTTP_BENCH_SECONDS (per measurement, default 5), HTTP_BENCH_ROUNDS (default 3),
REDIS_URL (the production settings require one; default redis://127.0.0.1:6379/15).
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartprod.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import override_settings, setup_test_environment, teardown_test_environment  # noqa: E402

from smartprod.core.rls import owner_connection, platform_scope  # noqa: E402

HOST = "bench.localhost"
PASSWORD = "bench-password-not-secret"
PROJECTS = 200
INVOICES = 1_000
SECONDS = int(os.environ.get("HTTP_BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("HTTP_BENCH_ROUNDS", "3"))
CONNECTIONS = 8
WORKERS = 2


def build_world() -> dict[str, Any]:
    """The data, through the services (as users make it); returns who and what the benchmark asks for."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from invoicing import services as invoicing_services
    from invoicing.tasks import render_invoice_document_task
    from tests.factories import CooperativeFactory, MembershipFactory, enable_totp
    from tests.invoicing_helpers import issued
    from tests.projects_helpers import approved_project, make_client

    coop = CooperativeFactory(name="Bench Coop", slug="bench", hosts=[HOST], bank_name="Bank")
    owner = MembershipFactory(cooperative=coop)
    advisor = MembershipFactory(cooperative=coop, role="advisor")
    finance = MembershipFactory(cooperative=coop, role="finance")
    enable_totp(finance.user)
    # The test settings hash with MD5, which production does not accept: the production default hasher.
    owner.user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    owner.user.save(update_fields=["password"])
    client = make_client(coop, owner, email="ap@client.example")
    collaborator = MembershipFactory(cooperative=coop)
    started = time.perf_counter()
    big = approved_project(coop, owner, advisor, client=client, title="The big project")
    for i in range(1, PROJECTS):
        extra = {"collaborators": [(collaborator, "self_employed")]} if i % 4 == 0 else {}
        approved_project(coop, owner, advisor, client=client, title=f"Project {i}", **extra)
    print(f"  {PROJECTS} projects in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    started = time.perf_counter()
    with mock.patch.object(render_invoice_document_task, "delay_on_commit"):  # no PDFs: not measured here
        for i in range(INVOICES):
            invoice = issued(
                coop,
                owner,
                advisor,
                big,
                (f"Work package {i}", "1", f"{100 + i % 50}.00", "20"),
                on=date(2026, 5, 4),
            )
            if i % 2 == 0:
                invoicing_services.payment_record(
                    cooperative=coop,
                    actor=finance,
                    invoice=invoice,
                    amount=invoice.gross_total,
                    date=date(2026, 5, 20),
                )
    print(f"  {INVOICES} invoices, half paid, in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return {"email": owner.user.email, "big_project": big.pk}


def database_url() -> str:
    settings = connection.settings_dict
    user = quote(settings.get("USER") or "", safe="")
    password = quote(settings.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host, port = str(settings.get("HOST") or ""), str(settings.get("PORT") or "")
    if host.startswith("/"):  # a socket directory (the embedded PostgreSQL): passed on as libpq options
        return f"postgres://{credentials}/{settings['NAME']}?host={quote(host)}&port={port or 5432}"
    return f"postgres://{credentials}{host}{':' + port if port else ''}/{settings['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(url: str, *, data: dict[str, Any] | None = None, token: str | None = None) -> Any:
    headers = {"Host": HOST, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = json.dumps(data).encode() if data is not None else None
    with urllib.request.urlopen(
        urllib.request.Request(url, data=body, headers=headers), timeout=30
    ) as answer:
        return answer.status, answer.read()


def start_gunicorn(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smartprod.settings.production",
        "DATABASE_URL": database_url(),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on 127.0.0.1: no TLS proxy in front
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
    }
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "bench.wsgi_baseline:application",
        "--workers", str(WORKERS),
        "--bind", f"127.0.0.1:{port}",
        "--chdir", str(ROOT),
        "--worker-tmp-dir", "/dev/shm",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            request(f"http://127.0.0.1:{port}/__bench__/one-query/")
            return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start:\n{log.read_text()}") from None
            time.sleep(0.3)


def wrk(url: str, token: str, seconds: int) -> float:
    command = [
        "wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s",
        "-H", f"Host: {HOST}", "-H", f"Authorization: Token {token}", url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output or "Socket errors" in output:  # errors, or a request slower than 30 s
        raise SystemExit(f"wrk saw failed requests on {url}:\n{output}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if found is None:
        raise SystemExit(f"no Requests/sec in wrk's output:\n{output}")
    return float(found.group(1))


def measure(base: str, token: str, endpoints: dict[str, str]) -> dict[str, Any]:
    sizes = {}
    for name, path in endpoints.items():  # every answer is a 200 before it is measured, and its size
        status, body = request(base + path, token=token)
        assert status == 200, (path, status)
        sizes[name] = len(body)
        wrk(base + path, token, 1)  # warm-up: imports, caches, persistent connections
    rates: dict[str, list[float]] = {name: [] for name in endpoints}
    for _ in range(ROUNDS):
        for name, path in endpoints.items():
            rates[name].append(wrk(base + path, token, SECONDS))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    return {"medians": medians, "sizes": sizes, "rates": rates}


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make bench installs it)")
    setup_test_environment()
    # The owner creates and drops the database (the app role may not); the data is built and served as the
    # app role, under row-level security (bench/run.py does the same).
    with owner_connection():
        old_name = connection.creation.create_test_db(verbosity=0)
    log = Path(tempfile.gettempdir()) / f"smartprod-http-bench-{os.getpid()}.log"
    server: subprocess.Popen[bytes] | None = None
    try:
        with (
            tempfile.TemporaryDirectory() as media,
            override_settings(MEDIA_ROOT=media),
            platform_scope("HTTP benchmark data"),
        ):
            print("HTTP benchmark: building the data…", file=sys.stderr)
            world = build_world()
        connection.close()
        # Statistics and the visibility map, as autovacuum keeps them in a deployment (the app role may not
        # ANALYZE: it owns no table; bench/http_inprocess.py does the same).
        with owner_connection(), connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        connection.close()
        port = free_port()
        server = start_gunicorn(port, log)
        base = f"http://127.0.0.1:{port}"
        _status, body = request(
            base + "/api/auth/token/", data={"email": world["email"], "password": PASSWORD}
        )
        token = json.loads(body)["token"]
        endpoints = {
            "floor: one raw query (`SELECT 1` through Django's connection)": "/__bench__/one-query/",
            "`/api/me/`": "/api/me/",
            f"`/api/projects/` (first page: 100 of {PROJECTS})": "/api/projects/",
            f"`/api/invoices/` (first page: 100 of {INVOICES})": "/api/invoices/",
            "`/api/projects/{id}/budget/` (the big project; newest 100 lines)": (
                f"/api/projects/{world['big_project']}/budget/"
            ),
        }
        print("HTTP benchmark: measuring…", file=sys.stderr)
        result = measure(base, token, endpoints)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        connection.close()
        with owner_connection():
            connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
        log.unlink(missing_ok=True)

    floor_name = next(iter(endpoints))
    floor = result["medians"][floor_name]
    goals = {"`/api/me/`": Decimal("25")}
    print(
        f"\nE: HTTP — gunicorn {WORKERS} sync workers, production settings, wrk {CONNECTIONS} connections, "
        f"{ROUNDS} interleaved rounds of {SECONDS} s, median; {platform.machine()}, {os.cpu_count()} CPUs\n"
    )
    print("| endpoint | bytes | req/s | vs. floor | goal |")
    print("|---|---:|---:|---:|---:|")
    for name, rate in result["medians"].items():
        ratio = Decimal(rate / floor * 100).quantize(Decimal("0.1"))
        goal = "" if name == floor_name else f"≥ {goals.get(name, Decimal('10'))} %"
        print(f"| {name} | {result['sizes'][name]:,} | {rate:,.0f} | {ratio} % | {goal} |")


if __name__ == "__main__":
    main()
