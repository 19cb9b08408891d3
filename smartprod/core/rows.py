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

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import cache
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, ProgrammingError, connection
from django.db.models import BigIntegerField, BooleanField, CharField, F, Func, Model, QuerySet, Subquery
from django.db.models.functions import Cast
from django.db.models.manager import BaseManager
from django.db.models.query import get_related_populators
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language
from psycopg import sql
from psycopg.errors import InvalidSqlStatementName
from rest_framework import ISO_8601, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from smartprod.core.pagination import Pagination

_ModelT = TypeVar("_ModelT", bound=Model)

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


def decimal_converter(field: serializers.DecimalField) -> Converter:
    """`field`'s representation of a Decimal, fast for one of the field's decimal places."""
    return _decimal(field)


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


# --- lists read as values: no model instances ------------------------------------------------------
#
# `present_rows` still starts from model instances: for a page of projects with their client, owner,
# advisor and collaborators that is ~700 instances, ~750 timestamps through psycopg's Python loader and
# the ORM compiling the joins for each request. The busiest lists read tuples instead: one statement
# compiled by the ORM once per process (`Statement`), the count and the page in one round trip
# (`counted_page`), each column already in the form the JSON shows (`as_text`, `IsoDate`,
# `EpochMicroseconds`), and a row builder per list that writes the serializer's keys in its order
# (`check_shape` holds it to the serializer; tests/test_list_query_counts.py compares the JSON).


class _GroupedByItsColumns:
    """An expression of one row's columns that a GROUP BY may leave to those columns: then PostgreSQL groups
    by the table's primary key alone (its other columns depend on it) and computes the expression once per
    group, instead of sorting and comparing every expression's value (the projects' page)."""

    def get_group_by_cols(self) -> list[Any]:
        return [
            column
            for source in self.get_source_expressions()  # type: ignore[attr-defined]
            for column in source.get_group_by_cols()
        ]


class EpochMicroseconds(_GroupedByItsColumns, Func):
    """A timestamp as whole microseconds since 1970 (a plain integer: no timestamp loader in Python)."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


class IsoDate(_GroupedByItsColumns, Func):
    """A date as "YYYY-MM-DD", what DRF's DateField shows."""

    function = "TO_CHAR"
    template = "TO_CHAR(%(expressions)s, 'YYYY-MM-DD')"
    output_field = CharField()


class _AsText(_GroupedByItsColumns, Cast):
    pass


def as_text(expression: Any) -> Cast:
    """A numeric column as PostgreSQL prints it: with the column's decimal places ("12.30"), which is how
    DRF's DecimalField shows a stored amount of its places."""
    return _AsText(expression, CharField())


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_datetime(microseconds: int | None, zone: tzinfo) -> str | None:
    """DRF's DateTimeField of an `EpochMicroseconds` column: ISO 8601 in `zone`, 'Z' for UTC.

    A list shows up to 500 timestamps: the zone's offset is looked up once per UTC hour (a transition
    falls inside an hour only where the offsets at its start and end differ — then the slow way, for that
    hour), and the local time is written from the naive sum. tests/test_rows.py compares with DRF."""
    if microseconds is None:
        return None
    hour = microseconds // _HOUR
    entry = _hour_offsets.get((zone, hour))
    if entry is None:
        if len(_hour_offsets) > 100_000:
            _hour_offsets.clear()
        entry = _hour_offsets[(zone, hour)] = _hour_offset(zone, hour)
    if entry is _IRREGULAR:
        return _iso_slowly(microseconds, zone)
    offset, suffix = entry
    # The local wall time written from integers: the day's "YYYY-MM-DDT" once per day, the time of day by
    # division (datetime + timedelta + isoformat was two thirds of the invoices list's row building).
    day, of_day = divmod(microseconds + offset, _DAY)
    prefix = _day_prefixes.get(day)
    if prefix is None:
        if len(_day_prefixes) > 100_000:
            _day_prefixes.clear()
        prefix = _day_prefixes[day] = (_NAIVE_EPOCH + timedelta(days=day)).date().isoformat() + "T"
    seconds, fraction = divmod(of_day, 1_000_000)
    minutes, second = divmod(seconds, 60)
    if fraction:
        return f"{prefix}{_CLOCK_MINUTES[minutes]}{_CLOCK_SECONDS[second]}.{fraction:06d}{suffix}"
    return f"{prefix}{_CLOCK_MINUTES[minutes]}{_CLOCK_SECONDS[second]}{suffix}"


_HOUR = 3_600_000_000
_DAY = 24 * _HOUR
_day_prefixes: dict[int, str] = {}
# "HH:MM:" for each minute of a day and "SS" for each second: looked up, not formatted (half the time).
_CLOCK_MINUTES = tuple(f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60))
_CLOCK_SECONDS = tuple(f"{second:02d}" for second in range(60))
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 — the base of local wall times, naive on purpose
_IRREGULAR = (0, "")
_hour_offsets: dict[tuple[tzinfo, int], tuple[int, str]] = {}


def _iso_slowly(microseconds: int, zone: tzinfo) -> str:
    shown = (_EPOCH + timedelta(microseconds=microseconds)).astimezone(zone).isoformat()
    return shown[:-6] + "Z" if shown.endswith("+00:00") else shown


def _hour_offset(zone: tzinfo, hour: int) -> tuple[int, str]:
    """(offset in µs, ISO suffix) of `zone` for the whole UTC hour, or _IRREGULAR if it changes in it."""
    start = _EPOCH + timedelta(microseconds=hour * _HOUR)
    first = start.astimezone(zone).utcoffset()
    last = (start + timedelta(microseconds=_HOUR - 1)).astimezone(zone).utcoffset()
    if first is None or first != last:
        return _IRREGULAR
    offset = first // timedelta(microseconds=1)
    naive = (_NAIVE_EPOCH + timedelta(microseconds=hour * _HOUR + offset)).isoformat()
    aware = _iso_slowly(hour * _HOUR, zone)
    if not aware.startswith(naive):
        return _IRREGULAR
    return offset, aware[len(naive) :]


def choice_labels(model: type[Model], name: str) -> dict[Any, str]:
    """A choice field's labels in the active language, built once per process and language. Look values
    up with `.get(value, value)`: an unknown value is shown as itself, as `get_FOO_display()` does."""
    return _translated_labels(model._meta.get_field(name), get_language())


@cache
def _translated_labels(field: Any, language: str | None) -> dict[Any, str]:
    return {value: force_str(label) for value, label in _labels(field).items()}


def person_name(first_name: str, last_name: str, email: str) -> str:
    """`str(user)` (members.User.__str__) from its three columns."""
    return f"{first_name} {last_name}".strip() or email


def check_shape(serializer_class: type[serializers.Serializer[Any]], keys: Iterable[str]) -> None:
    """A row builder writes exactly the serializer's output keys, in its order; fails loudly otherwise."""
    wanted = [name for name, field in serializer_class().fields.items() if not field.write_only]
    if list(keys) != wanted:
        raise RuntimeError(f"{serializer_class.__name__}: rows have {list(keys)}, the serializer {wanted}")


class Statement:
    """SQL compiled by the ORM once per process with sentinel values standing for the per-call ones (ids,
    a status, a page's LIMIT and OFFSET), run as a prepared statement of each connection: `execute` puts
    each call's values at their positions among the parameters.

    Prepared, because planning a list's joins costs PostgreSQL about as much as running them (~1 ms for
    the projects' page). Django's cursors bind parameters on the client (no protocol-level preparation),
    so this is SQL's own PREPARE, made once per connection on the driver's connection beside Django's
    cursors (as smartprod.core.rls applies the scope: no query of the code, counts stay exact), and an
    EXECUTE through Django's cursor (the scope is applied, the query is logged). A prepared statement
    outlives a rolled-back transaction; if the session lost it anyway (DISCARD ALL), outside a
    transaction it is prepared again, inside one the error stands.
    """

    _names = itertools.count(1)

    def __init__(
        self,
        sql: str,
        params: Iterable[Any],
        sentinels: Mapping[str, Any],
        required: Iterable[str] = (),
    ) -> None:
        """`required`: the names that must have a place (a query without the cooperative's id is wrong);
        others may be absent (staff see every project: no membership in their query)."""
        self.params = tuple(params)
        self.slots = tuple(
            (i, name)
            for i, value in enumerate(self.params)
            for name, sentinel in sentinels.items()
            if type(value) is type(sentinel) and value == sentinel
        )
        missing = set(required) - {name for _i, name in self.slots}
        if missing:  # the query's shape changed: a value would silently stay a sentinel
            raise RuntimeError(f"statement: no parameter for {sorted(missing)}")
        self.sql = sql
        self.name = f"smartprod_rows_{next(self._names)}"
        # Django's placeholders and escaped percent signs, in PREPARE's terms: a per-call value becomes $1,
        # $2, …; every other parameter is a constant of the compiled query (an account type, a status, a
        # JSON key, 0.00) and is written into the statement as a literal. The statement is planned once for
        # all calls (PLAN_ONCE below), and such a plan knows only the types of its parameters: with
        # `type = $2` for 'receivable' it guessed dozens of accounts and read every journal line of the table
        # (1.7 ms) where the literal's statistics lead it to the project's index (0.6 ms).
        positions = iter(range(len(self.params)))
        per_call = {position for position, _name in self.slots}
        numbers = itertools.count(1)
        used: list[int] = []

        def placeholder(match: re.Match[str]) -> str:
            if match[0] == "%%":
                return "%"
            position = next(positions, None)
            if position is None:
                raise RuntimeError(
                    f"statement: {len(self.params)} parameters for the placeholders of {sql!r}"
                )
            if position in per_call:
                used.append(position)
                return f"${next(numbers)}"
            return sql_literal(self.params[position])

        body = re.sub(r"%[s%]", placeholder, sql)
        if next(positions, None) is not None:
            raise RuntimeError(f"statement: {len(self.params)} parameters for the placeholders of {sql!r}")
        self.prepare_sql = f"PREPARE {self.name} AS {body}"
        # The per-call values in the order of their placeholders: (name) for each $n.
        self.arguments = tuple(dict(self.slots)[position] for position in used)
        count = len(self.arguments)
        self.execute_sql = (
            f"EXECUTE {self.name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {self.name}"
        )

    def execute(self, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        params = [values[name] for name in self.arguments]
        with connection.cursor() as cursor:
            try:
                self._prepare()
                cursor.execute(self.execute_sql, params)
            except ProgrammingError as error:
                if not isinstance(error.__cause__, InvalidSqlStatementName) or connection.in_atomic_block:
                    raise
                _prepared[connection.connection].discard(self.name)
                self._prepare()
                cursor.execute(self.execute_sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    def _prepare(self) -> None:
        raw = connection.connection
        done = _prepared.setdefault(raw, set())
        if self.name not in done:
            with connection.wrap_database_errors, raw.cursor() as cursor:
                cursor.execute(f"{PLAN_ONCE}; {self.prepare_sql}")
            done.add(self.name)


# PostgreSQL plans a prepared statement anew on every EXECUTE (a "custom plan" with the call's values)
# unless its generic plan looks no costlier: for the budget it kept planning, 0.9 ms of every 1.4 ms call,
# which is what preparing was for. The statements' constants are literals (above), their per-call values
# ids, a page's limit and offset: one plan serves every call. Only these statements are prepared on the
# session (Django's cursors bind on the client), so the setting concerns them alone; it is sent with each
# PREPARE, so a session that lost its state (DISCARD ALL) gets it back with its statements.
PLAN_ONCE = "SET plan_cache_mode = force_generic_plan"


def sql_literal(value: Any) -> str:
    """A constant parameter of a compiled query as an SQL literal (psycopg's quoting and types); `%` is
    left as it is: PREPARE's text is sent without parameters."""
    if isinstance(value, str):  # TextChoices members: their plain value, quoted
        value = str.__str__(value)
    return sql.Literal(value).as_string(None)


class ModelStatement(Generic[_ModelT]):
    """A queryset of model instances (select_related included) compiled by the ORM once, with sentinel values
    standing for the per-call ones, and run as a `Statement`: each call costs neither the ORM's compilation
    nor PostgreSQL's planning. The rows become instances as Django's ModelIterable makes them. Querysets that
    prefetch or annotate are refused (read those after), and so is another database than the default one
    (the statement's)."""

    def __init__(
        self, queryset: QuerySet[_ModelT], sentinels: Mapping[str, Any], required: Iterable[str] = ()
    ) -> None:
        if queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
            raise RuntimeError("a model statement cannot prefetch: read the related rows after it")
        if queryset.db != DEFAULT_DB_ALIAS:
            raise RuntimeError("a model statement runs on the default database")
        check_scope = getattr(queryset, "_check_scope", None)
        if check_scope is not None:
            check_scope()  # the tenant manager's rule, as at every query
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # (FOR UPDATE compiles only inside a transaction: build it there)
        if compiler.annotation_col_map:
            raise RuntimeError("a model statement has no annotations: read them after it")
        self.statement = Statement(sql, params, sentinels, required)
        self.compiler = compiler
        self.model = queryset.model
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.fields = slice(start, end)
        self.init_list = [column[0].target.attname for column in select[start:end]]
        # (django-stubs describe a later Django, whose helper takes a fetch mode too)
        self.related_populators = get_related_populators(  # type: ignore[call-arg]
            klass_info, select, queryset.db
        )
        self.converters = compiler.get_converters([column[0] for column in select[: compiler.col_count]])

    def all(self, values: Mapping[str, Any]) -> list[_ModelT]:
        rows: Any = self.statement.execute(values)
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        found = []
        for row in rows:
            obj = self.model.from_db(DEFAULT_DB_ALIAS, self.init_list, row[self.fields])
            for populator in self.related_populators:
                populator.populate(row, obj)
            found.append(obj)
        return found


# The statements prepared on each driver connection (a new connection starts with none).
_prepared: WeakKeyDictionary[Any, set[str]] = WeakKeyDictionary()


# Stand for a page's LIMIT and OFFSET while its statement is compiled (Django writes a slice into the SQL).
_LIMIT, _OFFSET = 123_456_789, 987_654_321


def slice_as_parameters(
    sql: str, params: Iterable[Any], limit: int, offset: int
) -> tuple[str, tuple[Any, ...]]:
    """The ORM's SQL of a queryset sliced [offset : offset + limit] with stand-in numbers, its LIMIT and
    OFFSET turned into parameters at their place among the others (their values stay the stand-ins, for
    `Statement` to fill per call): one statement serves every page. Fails loudly unless the slice is
    there exactly once."""
    slice_sql = f"LIMIT {limit} OFFSET {offset}"
    before, found, after = sql.partition(slice_sql)
    if not found or slice_sql in after:
        raise RuntimeError(f"statement: the page's slice is not once in {sql!r}")
    position = len(re.findall("%s", before.replace("%%", "")))
    values = tuple(params)
    return f"{before}LIMIT %s OFFSET %s{after}", (*values[:position], limit, offset, *values[position:])


class AmongChosen(Func):
    """`column = ANY(ARRAY(subquery))`: the subquery runs once (an InitPlan) and its values are looked up by
    the column's index, one each, where `column IN (subquery)` may be planned as a join against a scan of
    the whole table."""

    arg_joiner = " = ANY(ARRAY"
    template = "%(expressions)s)"
    output_field = BooleanField()


class CountedPage:
    """The statements of a counted page (`counted_page`): the keys chosen first, and — for lists whose order
    an index gives — the first page read along that order."""

    def __init__(self, chosen_first: Statement, along_order: Statement | None = None) -> None:
        self.chosen_first, self.along_order = chosen_first, along_order

    def execute(self, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        if self.along_order is not None and values["offset"] == 0:
            return self.along_order.execute(values)
        return self.chosen_first.execute(values)


def counted_page(
    counted: QuerySet[Any],
    columns: Callable[[QuerySet[Any]], QuerySet[Any]],
    sentinels: Mapping[str, Any],
    required: Iterable[str] = ("cooperative",),
    *,
    first_page_along_order: bool = False,
) -> CountedPage:
    """The count of `counted` and one page of it in one statement; `columns` gives the values to show of a
    queryset of those rows. The page's rows are chosen first (`counted`'s order, LIMIT and OFFSET: the
    values `limit` and `offset`), and only they are joined and formatted: the columns' joins and
    expressions cost per row, for the visible rows before the sort otherwise. Each row is (count, *the
    page's columns, the first its primary key); an empty page is one row of the count and nulls
    (`page_rows`).

    The chosen keys are an array the page looks up by primary key (`AmongChosen`): with `pk IN (…)` the
    planner joined them to a scan of every visible row (0.3 ms of the invoices' 0.9 ms at 1,000 rows).

    `first_page_along_order`: the first page (offset 0, the one asked for most) is the columns' query
    itself, sorted and limited — for a list whose order an index gives and whose columns need no grouping,
    PostgreSQL walks the index and joins and formats only the rows it returns, without looking the keys up
    a second time (invoices: 1.06 → 0.91 ms a call). Deeper pages keep choosing first: along the order,
    every skipped row would be joined and formatted too (offset 800: 1.4 → 2.6 ms)."""
    chosen = counted.values("pk")[_OFFSET : _OFFSET + _LIMIT]
    chosen_first = _counted(
        counted, columns(counted.filter(AmongChosen(F("pk"), Subquery(chosen)))), sentinels, required
    )
    if not first_page_along_order:
        return CountedPage(chosen_first)
    along_order = _counted(counted, columns(counted)[_OFFSET : _OFFSET + _LIMIT], sentinels, required)
    return CountedPage(chosen_first, along_order)


def _counted(
    counted: QuerySet[Any], page: QuerySet[Any], sentinels: Mapping[str, Any], required: Iterable[str]
) -> Statement:
    page_sql, page_params = page.query.sql_with_params()
    page_sql, page_params = slice_as_parameters(page_sql, page_params, _LIMIT, _OFFSET)
    count_sql, count_params = counted.order_by().values("pk").query.sql_with_params()
    # Both parts are the ORM's SQL; every value in them is a parameter.
    sql = (
        f'SELECT "counted"."n", "page".* FROM (SELECT COUNT(*) AS "n" FROM ({count_sql}) AS "visible") '  # noqa: S608
        f'AS "counted" LEFT JOIN ({page_sql}) AS "page" ON TRUE'
    )
    sentinels = {**sentinels, "limit": _LIMIT, "offset": _OFFSET}
    return Statement(sql, (*count_params, *page_params), sentinels, [*required, "limit", "offset"])


def page_rows(
    request: Request,
    statement: Statement | CountedPage,
    values: Mapping[str, Any],
    build: Callable[[list[tuple[Any, ...]], tzinfo], list[Row]],
) -> Response:
    """One page in the API's LimitOffset shape (count, next, previous, results), the rows built by `build`
    from (count, *columns) tuples in the active time zone. Same bounds and 400 answers as `Pagination`."""
    paginator = Pagination()
    limit, offset = paginator.get_limit(request), paginator.get_offset(request)
    rows = statement.execute({**values, "limit": limit, "offset": offset})
    paginator.request, paginator.limit, paginator.offset = request, limit, offset
    paginator.count = rows[0][0]
    if rows[0][1] is None:  # past the end: the count's row only (the first column is the primary key)
        rows = []
    return paginator.get_paginated_response(build(rows, timezone.get_current_timezone()))
