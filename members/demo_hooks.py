"""Later apps add their demo data (clients, projects, invoices) here, each idempotent."""

from __future__ import annotations

from typing import Any

from members.models import Cooperative


def run_demo_hooks(*, cooperative: Cooperative, stdout: Any) -> None:
    return None
