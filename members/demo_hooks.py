"""Apps above `members` add their demo data (clients, projects, invoices) here, each idempotent.

`members` cannot import them (imports point down), so they register a hook in their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from members.models import Cooperative

DemoHook = Callable[..., None]
_hooks: list[DemoHook] = []


def register_demo_hook(hook: DemoHook) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def run_demo_hooks(*, cooperative: Cooperative, stdout: Any) -> None:
    for hook in _hooks:
        hook(cooperative=cooperative, stdout=stdout)
