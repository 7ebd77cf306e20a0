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
def bench(session: nox.Session) -> None:
    """Benchmarks: cbasync against the official SDK (cbapi 2.x) on one emulator process over
    loopback TLS. `nox -s bench -- S1` runs one scenario; `nox -s bench -- --help` lists the
    options. Results: a table on stdout and benchmarks/results/latest.json."""
    session.install(".", *_group("bench"))
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The quick-start demo: cbasync against the embedded emulator, no server needed."""
    session.install(".[emulator]")
    session.run("python", "examples/demo.py", *session.posargs)


# --- Generated models: spec/*.yaml -> cbasync/models/_generated/*.py ----------------------------
# The OpenAPI documents in spec/ are the one source of the data models. The generator is pinned
# in the `codegen` dependency group and runs without a formatter and without timestamps, so the
# same spec always gives the same bytes and CI can compare them.

CODEGEN_FAMILIES = ("edr", "protection", "cloud")
CODEGEN_OPTIONS = (
    "--input-file-type=openapi",
    "--openapi-scopes=schemas",
    "--output-model-type=pydantic_v2.BaseModel",
    "--target-python-version=3.10",
    "--target-pydantic-version=2",
    # One hand-written base carries extra="allow" and populate_by_name for every model.
    "--base-class=cbasync.models._base.CbModel",
    # Carbon Black times are often naive ("2021-05-24 19:01:56.564000"): plain datetime.
    "--output-datetime-class=datetime",
    "--enum-field-as-literal=all",
    "--use-annotated",
    "--field-constraints",
    "--use-schema-description",
    "--use-field-description",
    "--use-double-quotes",
    "--use-standard-collections",
    "--use-union-operator",
    "--remove-special-field-name-prefix",
    "--keep-model-order",
    "--disable-timestamp",
    "--formatters=builtin",
)


def _codegen_command(family: str) -> list[str]:
    return [
        "datamodel-codegen",
        f"--input=spec/{family}.yaml",
        f"--output=cbasync/models/_generated/{family}.py",
        *CODEGEN_OPTIONS,
    ]


def _codegen_header(family: str, generator: str) -> str:
    command = _codegen_command(family)
    lines = [
        f"# GENERATED from spec/{family}.yaml by {generator} - DO NOT EDIT.",
        "# Change the spec (or CODEGEN_OPTIONS in noxfile.py) and run `nox -s codegen`, which runs:",
        f"#     {command[0]} \\",
    ]
    lines += [f"#         {arg} \\" for arg in command[1:-1]]
    lines.append(f"#         {command[-1]}")
    return "\n".join(lines)


def _generate(session: nox.Session) -> None:
    (generator,) = [req for req in _group("codegen") if req.startswith("datamodel-code-generator")]
    session.install(*_group("codegen"))
    for family in CODEGEN_FAMILIES:
        session.run(
            *_codegen_command(family),
            f"--custom-file-header={_codegen_header(family, generator)}",
        )


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate cbasync/models/_generated/ from spec/."""
    _generate(session)


@nox.session
def codegen_check(session: nox.Session) -> None:
    """Fail when the committed generated models are not what spec/ generates."""
    _generate(session)
    session.run("git", "diff", "--exit-code", "--", "cbasync/models/_generated", external=True)
    untracked = session.run(
        "git",
        "ls-files",
        "--others",
        "--exclude-standard",
        "--",
        "cbasync/models/_generated",
        external=True,
        silent=True,
    )
    if untracked:
        session.error(f"generated files not committed:\n{untracked}")
