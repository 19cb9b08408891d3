"""axe-core in the browser tests: inject the vendored engine, run it, fail on serious or critical findings.

The engine is `tests/vendor/axe-core/axe.min.js` (MPL-2.0, see tests/vendor/README.md), never a CDN: the tests
run without network. It is evaluated through Playwright (the DevTools protocol), which the page's
Content-Security-Policy (script-src 'self') does not block, so the pages are checked under their real policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = frozenset({"serious", "critical"})
# Nodes named per violation in the failure message; the rest are counted.
NODES_SHOWN = 5


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Page, *, disabled_rules: Iterable[str] = ()) -> list[dict[str, Any]]:
    """All of axe's violations on the page as it is now (every impact), as axe reports them."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    rules = {rule: {"enabled": False} for rule in disabled_rules}
    if rules:
        options["rules"] = rules
    results: dict[str, Any] = page.evaluate("options => window.axe.run(document, options)", options)
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def format_violations(url: str, violations: Iterable[dict[str, Any]]) -> str:
    lines = [f"axe-core found serious or critical accessibility violations on {url}:"]
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(
            f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({len(nodes)} element(s))"
        )
        for node in nodes[:NODES_SHOWN]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join(str(node.get("failureSummary") or "").split())
            lines.append(f"    {target}: {summary[:300]}")
            lines.append(f"      {' '.join(str(node['html']).split())[:200]}")
        if len(nodes) > NODES_SHOWN:
            lines.append(f"    … and {len(nodes) - NODES_SHOWN} more")
    return "\n".join(lines)


def assert_no_serious_axe_violations(page: Page, *, disabled_rules: Iterable[str] = ()) -> None:
    """Fail, naming each rule and element, when axe finds a serious or critical violation on the page.

    disabled_rules: axe rule ids not run on this page; only for markup we cannot change (say why at the call).
    """
    serious = [
        v for v in axe_violations(page, disabled_rules=disabled_rules) if v["impact"] in FAILING_IMPACTS
    ]
    assert not serious, format_violations(page.url, serious)
