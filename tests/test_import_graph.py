"""The import graph of the apps: no cycles inside an app, and imports point down the layers (DESIGN.md).

Every import counts — at module level, inside functions and under TYPE_CHECKING —, because a cycle that
only shows at run time (a function-level import) is still a cycle in the design. The graph is read from
the source with `ast`, nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("members", "projects", "invoicing", "payroll", "smartprod")
SKIPPED_DIRS = {"migrations", "tests", "__pycache__"}

# (importing module prefix, imported module prefix) that the layering forbids.
KERNEL = ("smartprod.core", "smartprod.tenancy", "smartprod.embedded_pg")
FORBIDDEN: tuple[tuple[str, str], ...] = (
    *((kernel, app) for kernel in KERNEL for app in ("members", "projects", "invoicing", "payroll")),
    ("projects", "invoicing"),
    ("projects", "payroll"),
    ("invoicing", "payroll"),
    ("payroll", "invoicing"),
)

# Known edges that break the rules above, each to be removed by the branch named beside it; the test
# fails when an edge is listed here but no longer found, so the list only shrinks.
ALLOWED_EDGES: frozenset[tuple[str, str]] = frozenset({})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def app_modules() -> dict[str, Path]:
    """Every module of the apps (migrations and tests left out), by dotted name."""
    found: dict[str, Path] = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if SKIPPED_DIRS.isdisjoint(path.relative_to(ROOT).parts):
                found[_module_name(path)] = path
    return found


def _imported_names(module: str, path: Path) -> Iterator[str]:
    """The dotted names `module` imports, anywhere in its body, relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            # `from package import module` imports the module too.
            yield from (f"{target}.{alias.name}" for alias in node.names)


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module → the app modules it imports. Importing a.b.c runs a/__init__ and a/b/__init__ first, so a
    package that itself imports something counts too — except the packages the importing module sits in
    (they are being imported already when it runs)."""
    imported = {name: set(_imported_names(name, path)) for name, path in modules.items()}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, targets in imported.items():
        for target in targets:
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                candidate = ".".join(parts[:end])
                if candidate not in modules or candidate == name:
                    continue
                if end < len(parts) and not (
                    imported[candidate] and not (name + ".").startswith(candidate + ".")
                ):
                    continue  # a package that imports nothing, or one this module is inside of
                graph[name].add(candidate)
    return graph


def _app(module: str) -> str:
    for kernel in KERNEL:
        if module == kernel or module.startswith(kernel + "."):
            return kernel
    return module.split(".")[0]


def cycles_within_apps(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components (Tarjan) of more than one module, or a module importing itself,
    counting only the edges that stay inside one app."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def edges(node: str) -> list[str]:
        return sorted(t for t in graph[node] if _app(t) == _app(node) and (node, t) not in ALLOWED_EDGES)

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges(node):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def forbidden_edges(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    def under(module: str, prefix: str) -> bool:
        return module == prefix or module.startswith(prefix + ".")

    return {
        (source, target)
        for source, targets in graph.items()
        for target in targets
        for lower, upper in FORBIDDEN
        if under(source, lower) and under(target, upper)
    }


def test_the_graph_sees_function_level_and_type_checking_imports(tmp_path):
    # The reader itself: a cycle hidden in a function or under TYPE_CHECKING is still found.
    source = tmp_path / "demo.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from invoicing.models import Invoice\n"
        "def f():\n    from invoicing import services\n"
        "from . import sibling\n"
    )
    names = set(_imported_names("invoicing.demo_mod", source))
    assert {"invoicing.models", "invoicing.services", "invoicing.sibling"} <= names
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}
    assert cycles_within_apps(graph) == [["a.x", "a.y", "a.z"]]


def test_no_import_cycles_inside_an_app():
    graph = import_graph(app_modules())
    assert cycles_within_apps(graph) == []


def test_imports_point_down_the_layers():
    graph = import_graph(app_modules())
    assert sorted(forbidden_edges(graph) - ALLOWED_EDGES) == []


def test_every_allowed_edge_still_exists():
    # An edge a branch removed must leave ALLOWED_EDGES with it, so the list only shrinks.
    graph = import_graph(app_modules())
    present = {(source, target) for source, targets in graph.items() for target in targets}
    assert sorted(ALLOWED_EDGES - present) == []


# --- the kernel alone (smartprod/ without urls/celery/settings is below every app) ---
KERNEL_DIR = ROOT / "smartprod"
LAYERS_ABOVE = ("members", "projects", "invoicing", "payroll")


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
        f"{path.relative_to(KERNEL_DIR.parent)}:{line} imports {module}"
        for path in sorted(KERNEL_DIR.rglob("*.py"))
        if "migrations" not in path.parts
        for line, module in _imported_modules(path)
        if module.split(".")[0] in LAYERS_ABOVE
    ]
    assert offending == []


def test_the_kernel_names_no_app_model_by_label():
    texts = {path: path.read_text() for path in KERNEL_DIR.rglob("*.py") if "migrations" not in path.parts}
    offending = [
        str(path.relative_to(KERNEL_DIR.parent))
        for path, text in texts.items()
        for app in LAYERS_ABOVE
        if f'get_model("{app}"' in text or f'"{app}.Membership"' in text or f'"{app}.Cooperative"' in text
    ]
    assert offending == []
