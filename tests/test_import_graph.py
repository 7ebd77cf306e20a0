"""No import circles, and no import tucked into a function to dodge one.

Read from the source with :mod:`ast`. Three rules:

1. The import graph of ``cbasync`` as it runs (every import statement outside
   ``if TYPE_CHECKING:``, wherever it stands) has no cycle. A submodule's implicit import of its
   own parent package is not an edge: Python runs the parent first by design.
2. An import of a ``cbasync`` module inside a function is a circle being dodged, unless the
   function loads an optional extra on purpose (the emulator's pytest plugin and command line:
   the emulator's dependencies are installed only with ``cbasync[emulator]``).
3. The core layers strictly: its modules have no cycle even counting ``TYPE_CHECKING`` imports
   (annotations included), so the core reads bottom-up. Product packages may refer to their
   API class in annotations only (the API object knows its models and each model knows the
   API it came from).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cbasync"
#: Modules that load the emulator's optional extra inside functions, on purpose.
LAZY_LOADERS = {"cbasync.testing.pytest_plugin", "cbasync.testing.cli"}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = modules()


def _target(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(module: str) -> Iterator[tuple[str, int, bool, bool]]:
    """(target module, line, inside a function, under TYPE_CHECKING) for each cbasync import."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def walk(
        body: list[ast.stmt], in_function: bool, typing_only: bool
    ) -> Iterator[tuple[str, int, bool, bool]]:
        for node in body:
            if isinstance(node, ast.If) and _is_type_checking(node):
                yield from walk(node.body, in_function, True)
                yield from walk(node.orelse, in_function, typing_only)
                continue
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                names = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                    for alias in node.names
                ]
            for name in names:
                target = _target(name) if name.startswith("cbasync") else None
                if target is not None and target != module:
                    yield target, node.lineno, in_function, typing_only
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            function = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            nested: list[ast.stmt] = []
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for item in getattr(node, field, None) or []:
                    if isinstance(item, ast.stmt):
                        nested.append(item)
                    elif isinstance(item, (ast.ExceptHandler, ast.match_case)):
                        nested.extend(item.body)
            yield from walk(nested, function, typing_only)

    yield from walk(ast.parse(path.read_text()).body, False, False)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
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

    for node in sorted(set(edges) | {target for targets in edges.values() for target in targets}):
        if node not in index:
            visit(node)
    return found


def graph(*, typing_too: bool, only: set[str] | None = None) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module in MODULES:
        for target, _, _, typing_only in imports(module):
            if typing_only and not typing_too:
                continue
            if only is not None and (module not in only or target not in only):
                continue
            edges.setdefault(module, set()).add(target)
    return edges


def core_modules() -> set[str]:
    core = {"cbasync.model", "cbasync.query", "cbasync.config", "cbasync.errors"}
    core |= {name for name in MODULES if name.startswith("cbasync._")}
    core |= {name for name in MODULES if name.startswith("cbasync.models")}
    return core


def test_the_running_import_graph_has_no_cycle() -> None:
    assert cycles(graph(typing_too=False)) == []


def test_no_cbasync_import_hides_in_a_function() -> None:
    hidden = [
        f"{module}:{line} imports {target}"
        for module in sorted(MODULES)
        if module not in LAZY_LOADERS
        for target, line, in_function, _ in imports(module)
        if in_function
    ]
    assert hidden == []


def test_the_core_has_no_cycle_even_in_annotations() -> None:
    assert cycles(graph(typing_too=True, only=core_modules())) == []


def test_the_rules_catch_what_they_are_for() -> None:
    # A cycle is found, and a function-level import is seen as one.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    hidden = [
        item
        for item in imports("cbasync.testing.pytest_plugin")
        if item[2]  # the plugin's lazy loads are function-level imports
    ]
    assert hidden
