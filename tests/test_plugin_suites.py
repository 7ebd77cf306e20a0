"""The pytest plugin's fixtures work unchanged under each async test runner a project may use.

Each directory of ``tests/plugin_suites`` is a small project of its own with its own
``pytest.ini``: pytest-asyncio in strict mode, pytest-asyncio in auto mode, anyio's plugin on
asyncio and trio. Each is run here in a subprocess, as its project would run it, and must pass
every test it has: none skipped, none missing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUITES = ROOT / "tests" / "plugin_suites"
#: Suite -> how many times each of its tests runs (anyio's runs on asyncio and trio).
RUNS_PER_TEST = {"asyncio_strict": 1, "asyncio_auto": 1, "anyio": 2}


def _expected(suite: Path) -> int:
    tests = sum(
        len(re.findall(r"^\s*async def test_", path.read_text(encoding="utf-8"), re.MULTILINE))
        for path in suite.glob("test_*.py")
    )
    return tests * RUNS_PER_TEST[suite.name]


@pytest.mark.parametrize("name", sorted(RUNS_PER_TEST))
def test_the_fixtures_work_under_the_suites_runner(name: str) -> None:
    suite = SUITES / name
    env = {
        **os.environ,
        # The checkout's cbasync (and the shared scenarios) rather than an installed copy.
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(SUITES)]),
    }
    for variable in ("CBAPI_URL", "CBAPI_TOKEN", "CBC_URL", "CBC_TOKEN", "PYTEST_ADDOPTS"):
        env.pop(variable, None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", "pytest.ini", "--rootdir", ".", "-q", "-rA"],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    counts = {
        kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|skipped|error)", output)
    }
    assert counts == {"passed": _expected(suite)}, output
