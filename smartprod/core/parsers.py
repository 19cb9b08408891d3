"""Request parsers (settings: DEFAULT_PARSER_CLASSES). Kept apart from smartprod.core.api, which imports
DRF's views: DRF imports this while its views load."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework import parsers as rest_framework_parsers

MAX_JSON_DEPTH = 32


def _depth(value: Any, limit: int) -> int:
    """How deep `value` nests, counting without recursion; stops at limit + 1."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(rest_framework_parsers.JSONParser):
    """DRF's JSON parser, refusing (400) documents nested deeper than 32 levels instead of recursing into
    a RecursionError (a 10,000-deep array answered 500)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from exc
        if _depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        return data
