from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from smartprod.core import rls
from smartprod.tenancy.models import Cooperative, Membership
from tests.factories import CooperativeFactory, MembershipFactory, enable_totp

# Row-level security is on in the suite, under the app role (README "Security"). Code outside any scope —
# the tests themselves, their fixtures and factories, the threads they start — runs in the platform scope,
# so a test may build and inspect two cooperatives. Requests, Celery tasks and commands enter their own
# scope as in production; tests of the isolation itself use `rls.no_scope()` / `rls.tenant_scope(...)`.
# Subprocesses (a real worker, gunicorn, the embedded PostgreSQL tests) keep the production default: none.
rls.set_process_default(rls.PLATFORM)


class _OwnerRole:
    """The test database is created, migrated and dropped by the owner role; the tests run as the app role."""

    def __init__(self) -> None:
        self._active: Any = None

    def on(self) -> None:
        if self._active is None:
            self._active = rls.owner_connection()
            self._active.__enter__()

    def off(self) -> None:
        if self._active is not None:
            active, self._active = self._active, None
            active.__exit__(None, None, None)


_owner_role = _OwnerRole()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> Iterator[None]:
    _owner_role.on()  # before pytest-django's django_db_setup creates and migrates the test database
    yield
    _owner_role.off()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None) -> Iterator[None]:
    _owner_role.off()  # set up: from here on the app role
    yield
    _owner_role.on()  # pytest-django drops the test database next


@pytest.fixture
def as_owner(transactional_db: Any) -> Iterator[None]:
    """The test runs as the owner role: for tests that migrate backwards and forwards (DDL is the owner's)."""
    with rls.owner_connection():
        yield


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()  # rate-limit counters and used TOTP codes must not leak between tests


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a page or document rendered in German must not leave
    German active for the next test (whose messages it would then compare in the wrong language)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def coop(db: Any) -> Cooperative:
    return CooperativeFactory(name="Smart Austria", slug="at", hosts=["at.localhost"])


@pytest.fixture
def other_coop(db: Any) -> Cooperative:
    return CooperativeFactory(
        name="Smart Germany",
        slug="de",
        hosts=["de.localhost"],
        country="DE",
        vat_id="DE136695976",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
    )


@pytest.fixture
def make_member(db: Any) -> Callable[..., Membership]:
    def make(
        cooperative: Cooperative, role: str = "member", totp: bool | None = None, **kwargs: Any
    ) -> Membership:
        membership = MembershipFactory(cooperative=cooperative, role=role, **kwargs)
        if totp or (totp is None and role in ("advisor", "finance", "admin")):
            enable_totp(membership.user)
        return membership

    return make


def host_of(cooperative: Cooperative) -> str:
    return str(cooperative.hosts[0])


@pytest.fixture
def client_for() -> Callable[[Membership], Client]:
    """A browser-like client logged in as the membership's user, on that cooperative's host."""

    def make(membership: Membership, host: str | None = None) -> Client:
        client = Client(HTTP_HOST=host or host_of(membership.cooperative))
        client.force_login(membership.user)
        return client

    return make


@pytest.fixture
def api_for() -> Callable[[Membership], APIClient]:
    def make(membership: Membership, host: str | None = None) -> APIClient:
        client = APIClient(HTTP_HOST=host or host_of(membership.cooperative))
        client.force_login(membership.user)  # through the middleware, like a real session
        return client

    return make


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush every table, including the VAT and base rates and the payroll rules the
    migrations loaded."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction")
    if transactional or "live_server" in request.fixturenames:
        from invoicing.reference_data import load_reference_data
        from payroll.reference_data import load_payroll_rules

        request.getfixturevalue("transactional_db")
        load_reference_data()
        load_payroll_rules()


@pytest.fixture(autouse=True)
def _deferred_constraints_checked(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test inside one rolled-back transaction never reaches COMMIT, so the ledger's deferred constraint
    triggers (balanced entries, at least two lines, one cooperative) would never fire. Fire them at the
    end of the test, before pytest-django rolls back: a test that leaves the books broken fails."""
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    transactional = (
        (marker is not None and marker.kwargs.get("transaction"))
        or "transactional_db" in names
        or "live_server" in names
    )
    if transactional or (marker is None and "db" not in names):
        yield  # committed transactions check themselves; no database, nothing to check
        return
    request.getfixturevalue("db")  # set up first, so torn down (rolled back) after this check
    yield
    check_deferred_constraints()


def check_deferred_constraints() -> None:
    """Run the deferred constraint triggers now, as COMMIT would (raises IntegrityError if one refuses)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
