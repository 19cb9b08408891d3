"""Property-based fuzzing of the whole API from its live OpenAPI schema (schemathesis), in `make test`.

Every operation of `/api/schema/` gets generated requests — valid and invalid path ids, query strings and
bodies — as a member and as a finance person (with TOTP) of a seeded cooperative, in-process through the
WSGI app. Two checks: no answer is a server error, and every answer conforms to the schema the API
publishes. The budget is bounded (`SCHEMATHESIS_MAX_EXAMPLES` examples per operation and identity,
default 4) so the suite stays fast; to fuzz harder locally:
`SCHEMATHESIS_MAX_EXAMPLES=200 make pytest PYTEST_ARGS=tests/test_api_fuzzing.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from smartprod.tenancy.models import Cooperative
from smartprod.wsgi import application
from tests.factories import totp_code
from tests.test_admin_pages import backend_data  # noqa: F401  (the fixture: demo data of both cooperatives)

HOST = "at.localhost"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "4"))
CHECKS = [not_a_server_error, response_schema_conformance]


def _token(email: str, **extra: str) -> str:
    response = Client(HTTP_HOST=HOST).post(
        "/api/auth/token/", {"email": email, "password": "demo", **extra}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def _fuzz(schema: Any, headers: dict[str, str]) -> tuple[int, list[str]]:
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same requests on every run: CI is reproducible
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except Exception as error:
            failures.append(f"{operation.label}: {str(error)[:2000]}")
    return operations, failures


@contextmanager
def in_process_wsgi() -> Iterator[None]:
    """Requests through the WSGI app share the test's connection and transaction: like Django's test
    client, keep the request signals from closing that connection (the test client reconnects them after
    each of its own requests, so no test-client request may run inside this block)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_no_server_error_and_no_schema_violation_anywhere(backend_data: Cooperative) -> None:  # noqa: F811
    identities = {
        "member": _token("member@smart-at.example"),
        "finance": _token("finance@smart-at.example", otp=totp_code()),
    }
    failures: list[str] = []
    with in_process_wsgi():
        schema = schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json", application, headers={"Host": HOST}
        )
        for who, token in identities.items():
            operations, found = _fuzz(schema, {"Authorization": f"Token {token}", "Host": HOST})
            failures += [f"as {who}: {failure}" for failure in found]
    assert operations >= 30  # the schema really is the app's
    assert not failures, "\n\n".join(failures)
