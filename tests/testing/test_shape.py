"""The emulator stays in units a contributor can hold in their head (issue 12).

No module of ``cbasync/testing`` is over 800 lines and no class or function over 300, except the
data tables listed below with the reason they are exempt. Read with :mod:`ast`; run this file
(``python tests/testing/test_shape.py``) to print the largest units.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

EMULATOR = Path(__file__).resolve().parents[2] / "cbasync" / "testing"
MAX_MODULE_LINES = 800
MAX_UNIT_LINES = 300

# Data, not logic: tables of literal rows, kept whole so each row reads beside its neighbours.
DATA_MODULES = {
    "dataset/_catalog.py": "the images and process-tree templates the EDR dataset is drawn from",
}
DATA_UNITS = {
    "dataset/protection/tables.py:static_tables": "the fixed rows of App Control's collections",
}


def modules() -> list[tuple[str, int]]:
    """``(path below cbasync/testing, lines)`` of every module."""
    return [
        (path.relative_to(EMULATOR).as_posix(), len(path.read_text(encoding="utf-8").splitlines()))
        for path in sorted(EMULATOR.rglob("*.py"))
    ]


def units() -> list[tuple[str, int]]:
    """``(path:name, lines)`` of every class and function, nested ones included."""
    out = []
    for path in sorted(EMULATOR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                name = f"{path.relative_to(EMULATOR).as_posix()}:{node.name}"
                out.append((name, node.end_lineno - node.lineno + 1))
    return out


def test_no_module_is_over_800_lines() -> None:
    large = [(p, n) for p, n in modules() if n > MAX_MODULE_LINES and p not in DATA_MODULES]
    assert not large


def test_no_class_or_function_is_over_300_lines() -> None:
    large = [(u, n) for u, n in units() if n > MAX_UNIT_LINES and u not in DATA_UNITS]
    assert not large


def test_the_exemptions_are_still_needed() -> None:
    sizes = dict(modules())
    assert all(sizes[p] > MAX_MODULE_LINES for p in DATA_MODULES)
    unit_sizes = dict(units())
    assert all(unit_sizes[u] > MAX_UNIT_LINES for u in DATA_UNITS)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print(f"{len(modules())} modules; the largest:")
    for path, n in sorted(modules(), key=lambda m: -m[1])[:count]:
        print(f"  {n:5d}  {path}")
    print("the largest classes and functions:")
    for name, n in sorted(units(), key=lambda u: -u[1])[:count]:
        print(f"  {n:5d}  {name}")
