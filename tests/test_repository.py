"""The repository's promises: the two-line quick start, CI running the README's test line,
four runtime dependencies, a sorted public API, and nothing reading ../shared."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

import cbasync

ROOT = Path(__file__).resolve().parent.parent


def quick_start() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", section, re.S)
    assert block, "the Quick start has a code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_lines_demo_then_tests() -> None:
    lines = quick_start()
    assert len(lines) == 2
    assert "demo" in lines[0]
    assert "tests" in lines[1]


def test_ci_runs_the_readme_test_line_verbatim() -> None:
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    assert quick_start()[1] in script


def test_runtime_dependencies_are_exactly_four() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {
        re.split(r"[<>=!~ \[;]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]
    }
    assert names == {"httpx", "anyio", "pydantic", "tenacity"}
    assert project["requires-python"] == ">=3.10"


def test_public_names_are_sorted_and_importable() -> None:
    assert cbasync.__all__ == sorted(cbasync.__all__)
    for name in cbasync.__all__:
        assert hasattr(cbasync, name), name


def test_nothing_reads_the_shared_folder() -> None:
    offenders = []
    for path in ROOT.rglob("*"):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(ROOT).parts):
            continue
        if (
            path.suffix not in {".py", ".toml", ".cfg", ".ini", ".sh", ".yaml", ".yml", ".json"}
            and path.name != "run"
        ):
            continue
        if path == Path(__file__):
            continue
        text = path.read_text(errors="replace")
        if "../shared" in text or "/work/shared" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_importing_cbasync_does_not_import_the_emulator() -> None:
    import subprocess
    import sys

    code = "import sys, cbasync; print([m for m in sys.modules if m.startswith(('starlette', 'uvicorn', 'cbasync.testing'))])"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"
