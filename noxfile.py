"""Development sessions. `nox -s tests` is what CI and the README run.

Sessions install the project from this checkout into their own virtualenv, so a fresh clone
needs nothing but Python and nox.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, on asyncio and trio."""
    session.install(".", *_group("test"))
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install(*_group("lint"))
    session.run("ruff", "check", "cbasync", "tests", "examples", "benchmarks", "noxfile.py")
    session.run(
        "ruff", "format", "--check", "cbasync", "tests", "examples", "benchmarks", "noxfile.py"
    )


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install(".", *_group("typecheck"))
    session.run("mypy")


@nox.session
def demo(session: nox.Session) -> None:
    """The quick-start demo: cbasync against the embedded emulator, no server needed."""
    session.install(".[emulator]")
    session.run("python", "examples/demo.py", *session.posargs)
