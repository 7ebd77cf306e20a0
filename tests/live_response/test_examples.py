"""The Live Response examples (examples/live_response) run against the emulator: each ``main(api,
...)`` in process, what it did checked against the emulator itself (its Live Response counters,
plain requests), and one as a script over loopback TLS."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from cbasync.response import CbResponseAPI
from cbasync.testing import ManualClock, create_app
from cbasync.testing.app import EmulatorApp
from tests.clients import emulator_client
from tests.scripts import load_script

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples" / "live_response"


def example(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """``examples/live_response/<name>.py`` as a script loads it (its own ``_target`` first)."""
    return load_script(EXAMPLES / f"{name}.py", monkeypatch)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> EmulatorApp:
    example("session", monkeypatch)  # the examples' installation, on their 50x clock
    return create_app(sys.modules["_target"].EMULATOR, clock=ManualClock(speed=50, autojump=False))


@pytest.fixture
async def api(app: EmulatorApp) -> AsyncIterator[CbResponseAPI]:
    async with emulator_client(app, CbResponseAPI) as client:
        yield client


@pytest.fixture
async def raw(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with app.http_client() as client:
        yield client


async def test_one_session(
    api: CbResponseAPI, app: EmulatorApp, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    look = await example("session", monkeypatch).main(api)
    sensors = {s["id"]: s for s in (await raw.get("/api/v1/sensor")).json()}
    assert look is not None
    chosen = sensors[look.sensor_id]
    assert (chosen["status"], chosen["os_type"]) == ("Online", 1)  # an online Windows sensor
    assert look.hostname.lower() == chosen["computer_name"].lower()
    assert look.processes
    assert all(p.pid is not None for p in look.processes)
    assert look.temp
    assert look.hosts_file.startswith(b"#")
    assert look.product_name
    assert look.whoami
    counters = app.counters.lr("edr")
    assert counters.created == 1  # one session for every command...
    assert counters.open == 0  # ...closed when the block ended
    # ps, dir, get, reg query, then create process, fetch its output and delete it
    assert counters.commands == 7


async def test_jobs_across_the_fleet(
    api: CbResponseAPI, app: EmulatorApp, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = await example("job_fanout", monkeypatch).main(api, slots=4, limit=12)
    sensors = (await raw.get("/api/v1/sensor")).json()
    online = {s["id"] for s in sensors if s["status"] == "Online"}
    chosen = {r.device_id for r in fleet.results}
    assert len(fleet.results) == len(chosen) == min(12, len(online))  # one job per sensor
    assert chosen <= online
    assert all(r.ok and r.value for r in fleet.results)
    assert set(fleet.releases) == chosen
    counters = app.counters.lr("edr")
    assert fleet.most_open <= 4
    assert counters.max_concurrent <= 4
    assert counters.open == 0
    assert counters.slot_limit_violations == 0
    assert counters.commands == 2 * len(chosen)  # one command per job, two jobs per sensor


def test_an_example_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "job_fanout.py"), "--slots", "3", "--limit", "6"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "(EDR emulator with Live Response on https://localhost:" in done.stdout
    assert "at most 3 sessions were open at once" in done.stdout
