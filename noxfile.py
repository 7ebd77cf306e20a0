"""Development sessions. `nox -s tests` is what CI and the README run.

Sessions install the project from this checkout into their own virtualenv, so a fresh clone
needs nothing but Python and nox.
"""

from __future__ import annotations

from pathlib import Path

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
    """mypy --strict on cbasync, on code a user writes against it (tests/typing and the
    examples, a directory at a time: each has its own ``_target`` helper), and on the README's
    snippets: a public method that loses its type fails here."""
    session.install(".", *_group("typecheck"))
    session.run("mypy")
    session.run("mypy", "--strict", "tests/typing")
    examples = Path("examples")
    for directory in [examples, *sorted(p for p in examples.iterdir() if p.is_dir())]:
        session.run("mypy", "--strict", *sorted(str(f) for f in directory.glob("*.py")))
    snippets = session.create_tmp() + "/readme"
    session.run("python", "tests/typing/readme_snippets.py", snippets)
    session.run("mypy", "--strict", snippets)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site (mkdocs-material + mkdocstrings), built with --strict: a broken
    link, a missing page or an API reference that no longer resolves fails the build. The API
    reference is read from the sources (griffe), so cbasync itself is not installed. Pass
    `-- serve` to preview it at http://127.0.0.1:8000."""
    session.install(*_group("docs"))
    session.env["NO_MKDOCS_2_WARNING"] = "1"  # material's end-of-life notice, not a build problem
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:])
        return
    site = session.create_tmp() + "/site"
    session.run("mkdocs", "build", "--strict", "--site-dir", site, *session.posargs)


@nox.session
def notebook(session: nox.Session) -> None:
    """The example notebook, executed top to bottom against the emulator in a Jupyter kernel
    (pandas, matplotlib), with its displays checked (tests/notebook_check.py)."""
    session.install(".", *_group("notebook"))
    # The kernel's inline backend draws PNGs without a display, whatever the environment says.
    session.env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    session.run("python", "tests/notebook_check.py", "examples/notebook.ipynb")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: cbasync against the official SDK (cbapi 2.x) on one emulator process over
    loopback TLS. `nox -s bench -- S1` runs one scenario; `nox -s bench -- --help` lists the
    options. Results: a table on stdout and benchmarks/results/latest.json."""
    session.install(".", *_group("bench"))
    session.run("python", "-m", "benchmarks", *session.posargs)


# The official synchronous SDKs the emulator must satisfy unmodified (development only).
COMPAT_SDKS = ("cbapi==2.0.0", "carbon-black-cloud-sdk==1.5.10")
# Emulator settings for the compat run: short sensor/LR/job delays so the SDKs' polling loops
# finish quickly; everything else at its documented default.
COMPAT_EMULATOR_FLAGS = (
    "--processes", "20000",
    "--isolation-seconds", "1",
    "--activation-ms", "300",
    "--command-ms", "100",
    "--job-seconds", "1",
)  # fmt: skip


@nox.session
def compat(session: nox.Session) -> None:
    """Fidelity: cbapi 2.0.0 and carbon-black-cloud-sdk 1.5.10, unmodified, against
    `cbasync emulator --tls`. Runs every compat/*.py script (each prints PASS/FAIL per check)
    and fails when any check failed. `nox -s compat -- cbapi_edr` runs the named scripts only."""
    import json
    import os
    import subprocess
    import tempfile
    import time
    from pathlib import Path

    session.install(".[emulator]", *COMPAT_SDKS)
    scripts = sorted(Path("compat").glob("*.py"))
    if session.posargs:
        scripts = [s for s in scripts if any(arg in s.stem for arg in session.posargs)]
    python = os.path.join(session.bin, "python")
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cbasync-compat-") as tmp:
        ready = Path(tmp) / "ready.json"
        log = open(Path(tmp) / "emulator.log", "wb")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [python, "-m", "cbasync.testing", "--tls", "--ready-file", str(ready),
             *COMPAT_EMULATOR_FLAGS],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not ready.exists():
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    session.error(
                        "the emulator did not start:\n"
                        + (Path(tmp) / "emulator.log").read_text(errors="replace")
                    )
                time.sleep(0.05)
            session.log(f"emulator ready: {json.loads(ready.read_text())['url']}")
            for script in scripts:
                try:
                    session.run("python", str(script), str(ready))
                except nox.command.CommandFailed:
                    failed.append(script.name)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=15)
            log.close()
    if failed:
        session.error(f"compat checks failed in: {', '.join(failed)}")


@nox.session
def chaos(session: nox.Session) -> None:
    """Reliability at full size (tests/reliability/README.md): the chaos scenario, then 1,000
    cancellation trials per event loop. Fails if any invariant breaks. Arguments go to the
    scenario (``-- --seed 3``)."""
    session.install(".", *_group("test"))
    session.run("python", "-m", "tests.reliability.chaos", *session.posargs)
    session.env["CBASYNC_CANCEL_TRIALS"] = "1000"
    session.run("pytest", "tests/reliability/test_cancellation.py", "-q", "-s")


@nox.session
def demo(session: nox.Session) -> None:
    """The quick-start demo: cbasync against the embedded emulator, no server needed (the cli
    extra brings rich, for the Live Response progress bar on a terminal)."""
    session.install(".[cli]")
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
    # No --keep-model-order: it sorts classes by name and, under `from __future__ import
    # annotations`, ignores field types when it reorders, so a class could name one defined
    # further down and stay incomplete (`__pydantic_complete__` false) until first use, and a
    # subclass in another module could not be built. The default order puts every class after
    # the classes it uses and emits `model_rebuild()` for the recursive ones.
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
