"""In-process HTTP cost per request (bench only): the CPU work of each endpoint against the floor, without
gunicorn, wrk or the network — for a machine shared with others, where wrk's figures move with the load.

Builds the HTTP benchmark's world (bench/http_bench.py; fewer invoices by default) in a throwaway database,
then calls the real WSGI application (bench/wsgi_baseline.py: the full middleware stack, the token,
row-level security) in a loop, each endpoint interleaved with the floor (`SELECT 1` through Django's
connection), ROUNDS rounds of N calls; prints the median µs per request and the ratio floor / endpoint
(the share of the floor's rate, as the wrk table prints it). PROFILE=<endpoint substring> also prints a
cProfile of that endpoint (cumulative, top 40).

    .venv/bin/python bench/http_inprocess.py          # HTTP_INPROCESS_N (200), _ROUNDS (5), _INVOICES (200)
    HTTP_INPROCESS_KEEPDB=1 …                          # keep the database "perf_inprocess" for the next run
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartprod.settings.test")

from bench import http_bench  # noqa: E402  (sets Django up)

N = int(os.environ.get("HTTP_INPROCESS_N", "200"))
ROUNDS = int(os.environ.get("HTTP_INPROCESS_ROUNDS", "5"))
http_bench.INVOICES = int(os.environ.get("HTTP_INPROCESS_INVOICES", "200"))

from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import override_settings, setup_test_environment, teardown_test_environment  # noqa: E402

from smartprod.core.rls import owner_connection, platform_scope  # noqa: E402


def call(application: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []

    def start_response(code: str, headers: Any, exc_info: Any = None) -> None:
        status.append(code)

    result = application(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return status[0], body


def environ_for(path: str, token: str) -> dict[str, Any]:
    request = RequestFactory().get(
        path, HTTP_HOST=http_bench.HOST, HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="*/*"
    )
    return dict(request.environ)


def per_request_us(application: Any, environ: dict[str, Any], n: int) -> float:
    environs = [dict(environ) for _ in range(n)]
    begin = time.perf_counter()
    for one in environs:
        call(application, one)
    return (time.perf_counter() - begin) / n * 1e6


def existing_world() -> dict[str, Any] | None:
    from projects.models import Project

    projects = Project.objects.all_cooperatives()
    big = projects.filter(title="The big project", cooperative__slug="bench").first()
    return {"email": big.owner.user.email, "big_project": big.pk} if big is not None else None


def main() -> None:
    setup_test_environment()
    keep = bool(os.environ.get("HTTP_INPROCESS_KEEPDB"))  # reuse the data between runs (then drop it by hand)
    connection.settings_dict["TEST"]["NAME"] = "perf_inprocess" if keep else f"perf_inprocess_{os.getpid()}"
    with owner_connection():
        old_name = connection.creation.create_test_db(verbosity=0, keepdb=keep)
    try:
        with (
            tempfile.TemporaryDirectory() as media,
            override_settings(
                MEDIA_ROOT=media,
                ALLOWED_HOSTS=[http_bench.HOST],
                PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],  # as built
                # As in production (the test settings turn it off); HTTP_INPROCESS_HOST_CACHE=0 to compare.
                TENANT_HOST_CACHE_SECONDS=int(os.environ.get("HTTP_INPROCESS_HOST_CACHE", "30")),
            ),
        ):
            with platform_scope("in-process HTTP benchmark data"):
                world = existing_world() or http_bench.build_world()
            with owner_connection(), connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            from django.core.wsgi import get_wsgi_application

            from bench.wsgi_baseline import BASELINE_PATH, application

            get_wsgi_application()
            status, body = call(
                application,
                {
                    **RequestFactory()
                    .post(
                        "/api/auth/token/",
                        data={"email": world["email"], "password": http_bench.PASSWORD},
                        content_type="application/json",
                        HTTP_HOST=http_bench.HOST,
                    )
                    .environ
                },
            )
            assert status.startswith("200"), (status, body)
            token = json.loads(body)["token"]
            endpoints = {
                "floor": BASELINE_PATH,
                "/api/me/": "/api/me/",
                "/api/projects/": "/api/projects/",
                "/api/invoices/": "/api/invoices/",
                "budget": f"/api/projects/{world['big_project']}/budget/",
            }
            environs = {name: environ_for(path, token) for name, path in endpoints.items()}
            for name, environ in environs.items():
                status, body = call(application, dict(environ))
                assert status.startswith("200"), (name, status, body[:500])
                print(f"  {name}: {len(body):,} bytes", file=sys.stderr)
                per_request_us(application, environ, 20)  # warm-up
            times: dict[str, list[float]] = {name: [] for name in endpoints}
            for _ in range(ROUNDS):
                for name, environ in environs.items():
                    if name == "floor":
                        continue
                    times["floor"].append(per_request_us(application, environs["floor"], N))
                    times[name].append(per_request_us(application, environ, N // 4 or 1))
            floor = statistics.median(times["floor"])
            print(f"\nin-process, {ROUNDS} rounds, median µs per request (load {os.getloadavg()[0]:.1f})\n")
            print("| endpoint | µs | vs. floor |")
            print("|---|---:|---:|")
            for name, values in times.items():
                value = statistics.median(values)
                print(f"| {name} | {value:,.0f} | {floor / value * 100:.1f} % |")
            wanted = os.environ.get("PROFILE")
            if wanted:
                name = next(name for name in endpoints if wanted in name)
                profiler = cProfile.Profile()
                profiler.enable()
                per_request_us(application, environs[name], N // 4 or 1)
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("SORT", "cumulative"))
                stats.print_stats(int(os.environ.get("TOP", "60")))
                print(out.getvalue())
    finally:
        connection.close()
        with owner_connection():
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=keep)
        teardown_test_environment()


if __name__ == "__main__":
    main()
