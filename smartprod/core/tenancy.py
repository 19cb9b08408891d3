"""Transitional re-export: the request's tenant now lives in `smartprod.tenancy` (middleware, typed context).

Parallel branches still import `require_membership` and the role sets from here; removed at merge.
"""

from smartprod.core.capabilities import STAFF_ROLES, TWO_FACTOR_ROLES
from smartprod.tenancy.context import require_membership, user_needs_two_factor

__all__ = ["STAFF_ROLES", "TWO_FACTOR_ROLES", "require_membership", "user_needs_two_factor"]
