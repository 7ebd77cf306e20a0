"""The import boundaries of the package, read from the source with :mod:`ast` (nothing imported).

A *reference* from a module to a ``cbasync`` module is any of

- an ``import`` or ``from ... import`` statement, wherever it stands: at the top, inside a
  function, under ``if TYPE_CHECKING:`` (relative imports are resolved; ``from cbasync import
  testing`` references ``cbasync.testing``);
- a string literal whose whole text is the dotted name of a module of the package, such as
  ``importlib.import_module("cbasync.testing.cli")`` or a table of lazily imported modules.

The rules:

1. **The SDK does not depend on its emulator.** No module of ``cbasync/`` outside
   ``cbasync/testing/`` references ``cbasync.testing`` or a module below it. One exception:
   ``cbasync/cli.py``, the ``cbasync`` command's dispatcher, may name ``cbasync.testing.cli`` in a
   string (it imports it when the ``emulator`` sub-command runs), never in an import statement.
   Outside the sources, ``pyproject.toml`` may name the emulator in one place only: the
   ``pytest11`` entry point of the pytest plugin.
2. **The emulator uses the SDK as any user would.** A module of ``cbasync/testing/`` references
   no ``cbasync`` module outside ``cbasync/testing/`` but the public ones: ``cbasync`` itself,
   ``cbasync.errors`` and the product packages ``cbasync.response``, ``cbasync.protection``,
   ``cbasync.cloud`` and ``cbasync.live_response`` (the packages, not their modules); and what it
   imports from them by name is in that module's ``__all__``.
3. **The core knows no product.** The core modules (``cbasync/_*.py`` other than
   ``__init__.py``, ``model.py``, ``query.py``, ``config.py``, ``errors.py`` and everything under
   ``models/``) reference none of the product packages nor a module below one. The package's
   ``__init__.py`` is the public façade above every layer and names the products' API classes.
4. **The emulator's backends know nothing of HTTP.** Outside its HTTP layer (``routes/``,
   ``app.py``, ``server.py``, ``cli.py``, ``pytest_plugin.py``, ``__init__.py``,
   ``__main__.py``), no module of ``cbasync/testing/`` imports starlette, uvicorn or httpx, or
   references the HTTP layer's modules.

Each rule is a function from the source tree to a list of violations, so the tests below also
break each rule on purpose in a copy of a module and check that it is caught.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cbasync"

PUBLIC_MODULES = ("cbasync", "cbasync.errors")
PRODUCTS = ("cbasync.response", "cbasync.protection", "cbasync.cloud", "cbasync.live_response")
CORE_FILES = ("model.py", "query.py", "config.py", "errors.py")
EMULATOR_HTTP_MODULES = (
    "cbasync.testing.routes",
    "cbasync.testing.app",
    "cbasync.testing.server",
    "cbasync.testing.cli",
    "cbasync.testing.pytest_plugin",
)
EMULATOR_HTTP_FILES = (
    "app.py",
    "server.py",
    "cli.py",
    "pytest_plugin.py",
    "__init__.py",
    "__main__.py",
)
HTTP_LIBRARIES = ("starlette", "uvicorn", "httpx")


@dataclass(frozen=True)
class Reference:
    """One module naming another: where, what, and which names (from-imports only)."""

    path: Path
    line: int
    module: str
    names: tuple[str, ...] = ()
    by_string: bool = False

    def __str__(self) -> str:
        what = f"{self.module} ({', '.join(self.names)})" if self.names else self.module
        how = " by string" if self.by_string else ""
        return f"{self.path.relative_to(ROOT)}:{self.line}: {what}{how}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str) -> bool:
    """Whether ``dotted`` names a module or package of this repository's ``cbasync``."""
    if dotted != "cbasync" and not dotted.startswith("cbasync."):
        return False
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def references(path: Path, source: str | None = None) -> Iterator[Reference]:
    """Every reference of ``path`` (its text, or ``source`` in its place)."""
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Reference(path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names = tuple(alias.name for alias in node.names)
            yield Reference(path, node.lineno, module, names)
            for name in names:  # ``from cbasync import testing`` names a module
                if is_module(f"{module}.{name}"):
                    yield Reference(path, node.lineno, f"{module}.{name}")
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and is_module(node.value)
        ):
            yield Reference(path, node.lineno, node.value, by_string=True)


def sources(under: Path = PACKAGE) -> list[Path]:
    return sorted(under.rglob("*.py"))


def public_names(module: str) -> set[str]:
    """The ``__all__`` of a module of the package, read from its source."""
    base = ROOT.joinpath(*module.split("."))
    path = base / "__init__.py" if (base / "__init__.py").is_file() else base.with_suffix(".py")
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                assert node.value is not None
                value = ast.literal_eval(node.value)
                return {str(v) for v in value}
    return set()


# --------------------------------------------------------------------------------------------
# The rules: each takes (path, its references) and says what is wrong
# --------------------------------------------------------------------------------------------

Rule = Callable[[Path, list[Reference]], list[str]]
TESTING = PACKAGE / "testing"
DISPATCHER = PACKAGE / "cli.py"


def sdk_does_not_depend_on_emulator(path: Path, refs: list[Reference]) -> list[str]:
    if path.is_relative_to(TESTING):
        return []
    out = []
    for ref in refs:
        if not _within(ref.module, "cbasync.testing"):
            continue
        if path == DISPATCHER and ref.by_string and ref.module == "cbasync.testing.cli":
            continue
        out.append(f"{ref}: the SDK references its emulator")
    return out


def emulator_uses_public_sdk(path: Path, refs: list[Reference]) -> list[str]:
    if not path.is_relative_to(TESTING):
        return []
    out = []
    for ref in refs:
        module = ref.module
        if not _within(module, "cbasync") or _within(module, "cbasync.testing"):
            continue
        if module not in PUBLIC_MODULES + PRODUCTS:
            out.append(f"{ref}: not a public module of the SDK")
            continue
        private = [n for n in ref.names if n != "*" and n not in public_names(module)]
        if private or "*" in ref.names:
            out.append(f"{ref}: {', '.join(private or ['*'])} not in {module}.__all__")
    return out


def core_knows_no_product(path: Path, refs: list[Reference]) -> list[str]:
    relative = path.relative_to(PACKAGE)
    core = (
        (
            len(relative.parts) == 1
            and relative.name.startswith("_")
            and relative.name != "__init__.py"
        )
        or (len(relative.parts) == 1 and relative.name in CORE_FILES)
        or relative.parts[0] == "models"
    )
    if not core:
        return []
    return [
        f"{ref}: a core module references a product"
        for ref in refs
        if any(_within(ref.module, product) for product in PRODUCTS)
    ]


def emulator_backends_know_no_http(path: Path, refs: list[Reference]) -> list[str]:
    if not path.is_relative_to(TESTING):
        return []
    relative = path.relative_to(TESTING)
    if relative.parts[0] == "routes" or (
        len(relative.parts) == 1 and relative.name in EMULATOR_HTTP_FILES
    ):
        return []
    return [
        f"{ref}: an emulator backend references the HTTP layer"
        for ref in refs
        if any(_within(ref.module, m) for m in HTTP_LIBRARIES + EMULATOR_HTTP_MODULES)
    ]


RULES: dict[str, Rule] = {
    "sdk_does_not_depend_on_emulator": sdk_does_not_depend_on_emulator,
    "emulator_uses_public_sdk": emulator_uses_public_sdk,
    "core_knows_no_product": core_knows_no_product,
    "emulator_backends_know_no_http": emulator_backends_know_no_http,
}


def violations(rule: Rule, path: Path, source: str | None = None) -> list[str]:
    return rule(path, list(references(path, source)))


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RULES))
def test_the_package_keeps_the_rule(name: str) -> None:
    found = [v for path in sources() for v in violations(RULES[name], path)]
    assert not found, "\n".join(found)


def test_pyproject_names_the_emulator_only_as_the_pytest_plugin() -> None:
    lines = (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines()
    section = ""
    mentions = []
    for line in lines:
        if line.startswith("["):
            section = line.strip()
        elif "cbasync.testing" in line and not line.lstrip().startswith("#"):
            mentions.append((section, line.replace(" ", "")))
    assert mentions == [
        ("[project.entry-points.pytest11]", 'cbasync="cbasync.testing.pytest_plugin"')
    ]
    assert 'cbasync = "cbasync.cli:main"' in lines


def test_the_dispatcher_reaches_the_emulator_only_by_name() -> None:
    refs = list(references(DISPATCHER))
    assert [r.module for r in refs if _within(r.module, "cbasync.testing")] == [
        "cbasync.testing.cli"
    ]


# Each rule broken on purpose: a line added to a real module must be reported.
BROKEN = [
    (
        "sdk_does_not_depend_on_emulator",
        "cbasync/_retry.py",
        "from cbasync.testing import create_app",
    ),
    ("sdk_does_not_depend_on_emulator", "cbasync/model.py", "import cbasync.testing.app"),
    ("sdk_does_not_depend_on_emulator", "cbasync/response/api.py", "from cbasync import testing"),
    ("sdk_does_not_depend_on_emulator", "cbasync/cli.py", "from cbasync.testing.cli import main"),
    (
        "sdk_does_not_depend_on_emulator",
        "cbasync/query.py",
        "def f():\n    import importlib\n    return importlib.import_module('cbasync.testing.state')",
    ),
    ("emulator_uses_public_sdk", "cbasync/testing/jobs.py", "from cbasync.model import Model"),
    (
        "emulator_uses_public_sdk",
        "cbasync/testing/state.py",
        "from cbasync._transport import Transport",
    ),
    ("emulator_uses_public_sdk", "cbasync/testing/app.py", "from cbasync import _api"),
    ("emulator_uses_public_sdk", "cbasync/testing/app.py", "from cbasync.errors import _scrub"),
    (
        "emulator_uses_public_sdk",
        "cbasync/testing/app.py",
        "from cbasync.response.models import Sensor",
    ),
    (
        "emulator_uses_public_sdk",
        "cbasync/testing/routes/edr.py",
        "import cbasync.models._generated.edr",
    ),
    (
        "core_knows_no_product",
        "cbasync/_transport.py",
        "from cbasync.response import CbResponseAPI",
    ),
    ("core_knows_no_product", "cbasync/query.py", "from .cloud import api"),
    ("core_knows_no_product", "cbasync/models/__init__.py", "import cbasync.protection.api"),
    ("core_knows_no_product", "cbasync/errors.py", "MODULE = 'cbasync.response'"),
    ("emulator_backends_know_no_http", "cbasync/testing/jobs.py", "import starlette.requests"),
    (
        "emulator_backends_know_no_http",
        "cbasync/testing/state.py",
        "from cbasync.testing.routes import _common",
    ),
    (
        "emulator_backends_know_no_http",
        "cbasync/testing/search/engine.py",
        "from ..app import create_app",
    ),
]


@pytest.mark.parametrize(("rule", "file", "line"), BROKEN)
def test_a_broken_rule_is_caught(rule: str, file: str, line: str) -> None:
    path = ROOT / file
    source = path.read_text(encoding="utf-8")
    assert violations(RULES[rule], path, source) == []
    broken = violations(RULES[rule], path, source + "\n" + line + "\n")
    assert broken
    added = source.count("\n") + 2  # the first line of the addition
    assert all(int(v.split(":")[1]) >= added for v in broken), broken


def test_allowed_references_are_not_reported() -> None:
    allowed = [
        (
            "emulator_uses_public_sdk",
            "cbasync/testing/app.py",
            "from cbasync import CbResponseAPI, ApiError",
        ),
        (
            "emulator_uses_public_sdk",
            "cbasync/testing/app.py",
            "from cbasync.errors import ObjectNotFoundError",
        ),
        ("emulator_uses_public_sdk", "cbasync/testing/app.py", "import cbasync.errors"),
        (
            "emulator_uses_public_sdk",
            "cbasync/testing/app.py",
            "from cbasync.cloud import CBCloudAPI",
        ),
        ("core_knows_no_product", "cbasync/_retry.py", "from cbasync.errors import ApiError"),
        ("emulator_backends_know_no_http", "cbasync/testing/routes/edr.py", "import starlette"),
    ]
    for rule, file, line in allowed:
        path = ROOT / file
        source = path.read_text(encoding="utf-8") + "\n" + line + "\n"
        assert violations(RULES[rule], path, source) == [], line
