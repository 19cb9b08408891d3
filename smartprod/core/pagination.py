"""The API's pagination: DRF's LimitOffset with bounds (settings: DEFAULT_PAGINATION_CLASS).

Kept apart from smartprod.core.api, which imports DRF's views: DRF imports this while its views load.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

MAX_PAGE_SIZE = 500
MAX_OFFSET = 1_000_000_000  # far below PostgreSQL's bigint; a larger offset is a typo or an attack


class Pagination(LimitOffsetPagination):
    """LimitOffset with bounds: `limit` 1..500 (default 100), `offset` 0..10⁹; anything else answers 400."""

    max_limit = MAX_PAGE_SIZE

    def _bounded(self, request: Request, name: str, default: int, low: int, high: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
            raise exceptions.ValidationError({name: [f"A whole number from {low} to {high}."]})
        return int(raw)

    def get_limit(self, request: Request) -> int:
        return self._bounded(
            request, self.limit_query_param, int(self.default_limit or 100), 1, MAX_PAGE_SIZE
        )

    def get_offset(self, request: Request) -> int:
        return self._bounded(request, self.offset_query_param, 0, 0, MAX_OFFSET)
