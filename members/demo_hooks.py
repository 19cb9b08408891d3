"""Apps above `members` add their demo data (clients, projects, invoices) here, each idempotent.

`members` cannot import them (imports point down), so they register a hook in their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smartprod.core.registry import Registry
from smartprod.tenancy.models import Cooperative

DemoHook = Callable[..., None]
demo_data: Registry[DemoHook] = Registry("demo data")


def run_demo_hooks(*, cooperative: Cooperative, stdout: Any) -> None:
    for hook in demo_data:
        hook(cooperative=cooperative, stdout=stdout)
