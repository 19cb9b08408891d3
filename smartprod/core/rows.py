"""List rows at little cost per row, in exactly the shape of the API's output serializers.

DRF spends most of a list's time in its per-field machinery (attribute lookup through `source_attrs`,
`is_simple_callable`, SkipField handling, an ordered dict per nested object), not in the values. A list
endpoint presents up to 500 rows, so `present_rows(Serializer, rows)` walks each serializer's fields
once per process into a plan — (name, getter, converter) — and then builds plain dicts from it. The
serializer class stays the one definition of the shape (and of the OpenAPI schema); a test compares the
two presentations field for field (tests/test_list_query_counts.py).

Semantics kept from DRF's `Serializer.to_representation`: a value of None is presented as None without
calling the field; a dotted source follows attributes and calls methods on the way (`collaborations.all`,
`get_status_display`); `source="*"` hands the object itself to the field. Fields whose representation
is the identity of a Python type (int, str) skip the field call. SerializerMethodFields are called on
one instance of the serializer per process: their methods must not read `self.context`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import datetime, tzinfo
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models.manager import BaseManager
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

Row = dict[str, Any]
Getter = Callable[[Any], Any]
Converter = Callable[[Any], Any]


def present_rows(serializer_class: type[serializers.Serializer[Any]], objects: Iterable[Any]) -> list[Row]:
    present = _presenter(serializer_class)
    # The active time zone, read once per list rather than per timestamp (a context-local lookup each).
    token = _TIME_ZONE.set(timezone.get_current_timezone())
    try:
        return [present(obj) for obj in objects]
    finally:
        _TIME_ZONE.reset(token)


_TIME_ZONE: ContextVar[tzinfo] = ContextVar("present_rows_time_zone")


@cache
def _presenter(serializer_class: type[serializers.Serializer[Any]]) -> Callable[[Any], Row]:
    return _plan(serializer_class())


def _plan(serializer: serializers.Serializer[Any]) -> Callable[[Any], Row]:
    steps = [
        (name, _getter(field.source_attrs), _converter(field, serializer))
        for name, field in serializer.fields.items()
        if not field.write_only
    ]

    def present(obj: Any) -> Row:
        row: Row = {}
        for name, get, convert in steps:
            value = get(obj)
            row[name] = None if value is None else convert(value)
        return row

    return present


def _getter(source_attrs: list[str]) -> Getter:
    if not source_attrs:  # source="*"
        return _identity
    if len(source_attrs) == 1 and _DISPLAY.fullmatch(source_attrs[0]):
        return _display(_DISPLAY.fullmatch(source_attrs[0]).group(1))  # type: ignore[union-attr]
    attrs = tuple(source_attrs)

    def get(obj: Any) -> Any:
        for attr in attrs:
            obj = getattr(obj, attr)
            if obj is None:
                return None
            if callable(obj) and not isinstance(obj, BaseManager):  # methods, get_FOO_display, .all
                obj = obj()
        return obj

    return get


def _identity(value: Any) -> Any:
    return value


_DISPLAY = re.compile(r"get_(\w+)_display")


def _display(name: str) -> Getter:
    """Django's `get_FOO_display()` rebuilds the choices dict on every call (a third of a list's time):
    the same label — translated in the active language — from a dict built once per model field."""

    def get(obj: Any) -> Any:
        field = type(obj)._meta.get_field(name)
        value = getattr(obj, field.attname)
        return force_str(_labels(field).get(make_hashable(value), value), strings_only=True)

    return get


@cache
def _labels(field: Any) -> dict[Any, Any]:
    return dict(make_hashable(field.flatchoices))


def _converter(
    field: serializers.Field[Any, Any, Any, Any], parent: serializers.Serializer[Any]
) -> Converter:
    if isinstance(field, serializers.ListSerializer):
        child = _plan(field.child)  # type: ignore[arg-type]
        return lambda values: [child(value) for value in values]
    if isinstance(field, serializers.Serializer):
        return _plan(field)
    if isinstance(field, serializers.SerializerMethodField):
        method: Converter = getattr(parent, field.method_name)
        return method
    kind = type(field)
    if kind is serializers.IntegerField:
        return int
    if kind is serializers.CharField or isinstance(field, serializers.StringRelatedField):
        return str
    if isinstance(field, serializers.DecimalField):
        return _decimal(field)
    if kind is serializers.DateTimeField and _iso_in_current_zone(field):
        return _datetime
    return field.to_representation


def _iso_in_current_zone(field: Any) -> bool:
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return (
        settings.USE_TZ
        and not hasattr(field, "timezone")
        and isinstance(output_format, str)
        and output_format.lower() == ISO_8601
    )


def _datetime(value: Any) -> Any:
    """DRF's DateTimeField.to_representation for an aware datetime in ISO 8601, 'Z' for UTC."""
    if not isinstance(value, datetime) or not timezone.is_aware(value):
        return None if not value else serializers.DateTimeField().to_representation(value)
    shown = value.astimezone(_TIME_ZONE.get()).isoformat()
    return shown[:-6] + "Z" if shown.endswith("+00:00") else shown


def _decimal(field: serializers.DecimalField) -> Converter:
    """A stored Decimal with the field's places already is its own representation; else DRF's rounding."""
    places = -field.decimal_places if field.decimal_places is not None else None
    as_string = (
        getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        and not field.localize
        and not field.normalize_output
    )
    slow = field.to_representation

    def convert(value: Any) -> Any:
        if as_string and type(value) is Decimal and value.as_tuple().exponent == places:
            return f"{value:f}"
        return slow(value)

    return convert
