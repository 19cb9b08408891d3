"""The kernel (smartprod/) sits below the apps: it never imports members, projects, invoicing or payroll."""

from __future__ import annotations

import ast
from pathlib import Path

KERNEL = Path(__file__).resolve().parent.parent / "smartprod"
APPS = ("members", "projects", "invoicing", "payroll")


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    # Every import statement counts, also inside functions and under TYPE_CHECKING.
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_the_kernel_imports_no_app():
    offending = [
        f"{path.relative_to(KERNEL.parent)}:{line} imports {module}"
        for path in sorted(KERNEL.rglob("*.py"))
        if "migrations" not in path.parts
        for line, module in _imported_modules(path)
        if module.split(".")[0] in APPS
    ]
    assert offending == []


def test_the_kernel_names_no_app_model_by_label():
    texts = {path: path.read_text() for path in KERNEL.rglob("*.py") if "migrations" not in path.parts}
    offending = [
        str(path.relative_to(KERNEL.parent))
        for path, text in texts.items()
        for app in APPS
        if f'get_model("{app}"' in text or f'"{app}.Membership"' in text or f'"{app}.Cooperative"' in text
    ]
    assert offending == []
