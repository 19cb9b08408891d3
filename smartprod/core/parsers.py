"""Request parsers (settings: DEFAULT_PARSER_CLASSES). Kept apart from smartprod.core.api, which imports
DRF's views: DRF imports this while its views load."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework import parsers as rest_framework_parsers

from smartprod.core.errors import ApplicationError
from smartprod.core.validators import unsafe_character, validate_document_text

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
        unsafe = _unsafe_strings(data)
        if unsafe:
            messages = sorted({message for found in unsafe.values() for message in found})
            raise ApplicationError(" ".join(messages), details=unsafe)
        return data


def _unsafe_strings(data: Any) -> dict[str, list[str]]:
    """Every string (key or value) of the body with a character no document may carry, by its path.

    One check for every serializer: whatever a client sends may end up on an invoice, a letter or an XML
    file, and a control character there takes a number and then never renders (issue 11, finding 2).
    """
    errors: dict[str, list[str]] = {}
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                child = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and unsafe_character(key):
                    child = path or "non_field_errors"
                    stack.append((child, key))
                stack.append((child, value))
        elif isinstance(item, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), value) for index, value in enumerate(item)
            )
        elif isinstance(item, str):
            try:
                validate_document_text(item)
            except DjangoValidationError as exc:
                errors.setdefault(path or "non_field_errors", []).extend(exc.messages)
    return errors
