"""smartprod.core.rows.iso_datetime: DRF's DateTimeField text of a timestamp, with the zone's offset looked up
once per UTC hour."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from smartprod.core.rows import iso_datetime

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
