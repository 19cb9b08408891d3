"""The API's JSON renderer (smartprod/core/renderers.py) writes DRF's JSONRenderer's bytes, faster."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils.translation import gettext_lazy, override
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from smartprod.core.renderers import JSONRenderer

CASES: list[Any] = [
    {"text": 'ü€ \u2028 \u2029 \x00 \x1f \x7f " \\ / \n \t \r \b \f', 2: None, True: 1, None: "x"},
    {"dashes": "a – b — c … d", "only": "x\u2029y"},  # 0xE2 0x80 without a separator; one separator alone
    {"ascii": "nothing to escape"},
    [
        datetime.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.UTC),
        datetime.datetime(2026, 7, 2, 3, 4, 5, tzinfo=ZoneInfo("Europe/Vienna")),
        datetime.datetime(2026, 1, 2, 3, 4),
        datetime.date(2026, 1, 2),
        datetime.time(3, 4, 5, 6),
    ],
    {"amount": decimal.Decimal("12.30"), "id": uuid.UUID(int=5), "pair": (1, 2), "bytes": b"abc"},
    {"huge": 2**70, "small": -(2**63)},  # beyond orjson's 64 bits: DRF's path
    ReturnDict({"rows": ReturnList([1, {"a": "b"}], serializer=None)}, serializer=None),  # type: ignore[call-overload]
    {"floats": [0.1, -0.0, 3.0, 1.5e300]},
    "plain",
    5,
    [],
    {},
]


@pytest.mark.parametrize("data", CASES)
def test_the_same_bytes_as_drfs_renderer(data: Any) -> None:
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def test_lazy_translations_in_the_active_language() -> None:
    data = {"kind": gettext_lazy("Invoice")}
    with override("de"):
        assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data) == b'{"kind":"Rechnung"}'


def test_indentation_and_nothing_take_drfs_path() -> None:
    data = {"a": [1, {"b": "c"}]}
    media = "application/json; indent=2"
    assert JSONRenderer().render(data, media) == renderers.JSONRenderer().render(data, media)
    assert b"\n" in JSONRenderer().render(data, media)
    assert JSONRenderer().render(None) == b""


def test_the_api_renders_with_it() -> None:
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"][0] == "smartprod.core.renderers.JSONRenderer"
