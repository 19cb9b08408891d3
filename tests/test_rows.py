"""smartprod.core.rows.iso_datetime: DRF's DateTimeField text of a timestamp, with the zone's offset looked up
once per UTC hour."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from smartprod.core.rows import Statement, iso_datetime, slice_as_parameters, sql_literal

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ZONES = ["Europe/Vienna", "UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


def drf(microseconds: int, zone: str) -> str:
    with timezone.override(ZoneInfo(zone)):
        return str(
            serializers.DateTimeField().to_representation(EPOCH + timedelta(microseconds=microseconds))
        )


@pytest.mark.parametrize("zone", ZONES)
def test_the_same_text_as_drf_around_transitions_and_at_random(zone: str) -> None:
    rng = random.Random(zone)
    hour = 3_600_000_000
    samples = [rng.randrange(-2_500_000_000_000_000, 4_000_000_000_000_000) for _ in range(3_000)]
    # Vienna's and New York's transitions of 2026 and a whole second, minute and µs around them.
    for moment in ("2026-03-29T01:00:00+00:00", "2026-10-25T01:00:00+00:00", "2026-03-08T07:00:00+00:00"):
        at = int((datetime.fromisoformat(moment) - EPOCH) / timedelta(microseconds=1))
        samples += [at + d for d in (-hour, -60_000_000, -1, 0, 1, 999_999, 1_000_000, hour - 1)]
    samples += [0, 1, -1, 1_000_000]  # the epoch; whole seconds have no fraction
    for microseconds in samples:
        assert iso_datetime(microseconds, ZoneInfo(zone)) == drf(microseconds, zone), microseconds
    assert iso_datetime(None, ZoneInfo(zone)) is None


def test_a_zone_with_an_offset_in_seconds() -> None:
    """Vienna before 1893 kept local mean time (+01:05:21): the suffix is DRF's, seconds included."""
    at = int((datetime(1880, 6, 1, 12, tzinfo=UTC) - EPOCH) / timedelta(microseconds=1))
    assert iso_datetime(at, ZoneInfo("Europe/Vienna")) == drf(at, "Europe/Vienna")


# --- Statement: per-call values as parameters, the compiled query's constants as literals ------------------

PROJECT_SENTINEL, LIMIT_SENTINEL, OFFSET_SENTINEL = -424_242, 77_777, 88_888


def _statement() -> Statement:
    from projects.models import Account

    query = (
        Account.objects.all_cooperatives()
        .filter(project=PROJECT_SENTINEL, type=Account.Type.RECEIVABLE, name__contains="50%")
        .values("pk")
    )
    compiled, compiled_params = query[
        OFFSET_SENTINEL : OFFSET_SENTINEL + LIMIT_SENTINEL
    ].query.sql_with_params()
    sql, params = slice_as_parameters(compiled, compiled_params, LIMIT_SENTINEL, OFFSET_SENTINEL)
    sentinels = {"project": PROJECT_SENTINEL, "limit": LIMIT_SENTINEL, "offset": OFFSET_SENTINEL}
    return Statement(sql, params, sentinels, ["project"])


def test_a_statement_writes_constants_as_literals_and_numbers_only_the_per_call_values() -> None:
    statement = _statement()
    # The account type and the pattern are the query's own: literals, so a generic plan sees their values
    # (PostgreSQL plans a prepared statement once for all calls after five), quoted by psycopg.
    assert "= 'receivable'" in statement.prepare_sql
    assert "'%50\\%%'" in statement.prepare_sql or "'%50\\\\%%'" in statement.prepare_sql
    assert statement.prepare_sql.count("$") == 3
    assert 'project_id" = $1' in statement.prepare_sql and "LIMIT $2 OFFSET $3" in statement.prepare_sql
    assert statement.arguments == ("project", "limit", "offset")
    assert statement.execute_sql.endswith("(%s, %s, %s)")


@pytest.mark.django_db
def test_a_statement_runs_with_its_literals_and_values() -> None:
    from smartprod.core.rls import platform_scope

    statement = _statement()
    with platform_scope("test"):
        assert statement.execute({"project": 0, "limit": 5, "offset": 0}) == []


def test_a_literal_is_quoted_and_typed_by_psycopg() -> None:
    from decimal import Decimal

    from projects.models import Account

    assert sql_literal(Account.Type.RECEIVABLE) == "'receivable'"
    assert sql_literal("O'Brien") == "'O''Brien'"
    assert sql_literal(Decimal("0.00")) == "0.00"
    assert sql_literal(7) == "7"
    assert sql_literal(None) == "NULL"
