"""The demo (examples/demo.py): its triage in process, checked against the emulator, and the
command a user types, end to end — the README's first line runs the same script."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from cbasync import CBCloudAPI, CbProtectionAPI, CbResponseAPI
from cbasync._cli.demo import demo_script
from cbasync.testing import ManualClock, ServerInfo, create_app
from cbasync.testing.app import EmulatorApp
from tests.clients import emulator_client
from tests.cloud.test_auth_events import truth
from tests.scripts import load_script

from .conftest import configure_profile

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "examples" / "demo.py"


def _demo(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """examples/demo.py as a module (registered while the test runs: dataclasses need that)."""
    return load_script(SCRIPT, monkeypatch)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> EmulatorApp:
    # The demo's own installation, on its clock: 50x real time, sleeps not jumped.
    demo = _demo(monkeypatch)
    return create_app(
        demo.emulator_config(), clock=ManualClock(speed=demo.CLOCK_SPEED, autojump=False)
    )


@pytest.fixture
async def raw(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with app.http_client() as client:
        yield client


@pytest.mark.anyio
async def test_the_triage_reports_what_the_emulator_holds(
    app: EmulatorApp,
    raw: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = _demo(monkeypatch)
    async with (
        emulator_client(app, CbResponseAPI) as edr,
        emulator_client(app, CbProtectionAPI) as protection,
        emulator_client(app, CBCloudAPI) as cloud,
    ):
        report = await demo.triage(edr, protection, cloud, changes_allowed=True)
    q = " ".join(demo.HUNT)
    expected = (
        await raw.get("/api/v1/process", params={"q": q, "cb.group": "id", "rows": 0})
    ).json()
    assert report.hits == expected["total_results"] > 0
    hosts = (
        await raw.get(
            "/api/v1/process",
            params={
                "q": q,
                "cb.group": "id",
                "rows": 0,
                "facet": "true",
                "facet.field": "hostname",
            },
        )
    ).json()["facets"]["hostname"]
    assert dict(report.hosts) == {f["name"]: f["value"] for f in hosts}
    assert len(report.findings) == min(demo.INVESTIGATE, report.hits)
    for finding in report.findings:
        assert finding.process.process_name == "net.exe"
        assert finding.parents  # net.exe ran from a shell
        assert (finding.sensor.computer_name or "").lower() == finding.process.hostname
    # Contained on the emulator: isolated, confirmed, lifted (two PUTs to the sensor).
    assert "isolated, confirmed by sensor" in report.contained
    assert app.counters.requests("PUT /api/v1/sensor/{sensor_id}") == 2
    top = report.hosts.most_common(1)[0][0]
    sensor = (await raw.get("/api/v1/sensor", params={"hostname": top})).json()[0]
    assert sensor["network_isolation_enabled"] is False
    # App Control knows the binary by the same hash.
    assert any("net.exe" in line and "computers" in line for line in report.app_control)
    await _check_live_response(demo, app, raw, report)
    await _check_cloud(demo, app, raw, report)
    for query, count in report.sweep.items():
        answer = await raw.get("/api/v1/process", params={"q": query, "rows": 0})
        assert count == answer.json()["total_results"]
    assert [line.split(":")[0] for line in report.errors] == [
        "QuerySyntaxError",
        "ObjectNotFoundError",
    ]
    out = capsys.readouterr().out
    assert "== report" in out
    assert f"hunt         {report.hits} net.exe share mounts" in out
    # Not a terminal: the progress is a line per tenth of the endpoints, the last one included.
    assert f"   {demo.LR_DEVICES}/{demo.LR_DEVICES} endpoints done" in out
    assert out.count(" endpoints done, ") == 10
    assert f"collection   {demo.LR_DEVICES} of {demo.LR_DEVICES} endpoints" in out


async def _check_live_response(
    demo: ModuleType, app: EmulatorApp, raw: httpx.AsyncClient, report: Any
) -> None:
    """50 endpoints, within 10 slots, one session each, all closed; what each job brought back
    is what the emulator's endpoint holds."""
    stage = report.collection
    sensors = (await raw.get("/api/v1/sensor")).json()
    online = {s["id"] for s in sensors if s["status"] == "Online"}
    assert len(online) >= demo.LR_DEVICES  # the demo's installation has enough online sensors
    assert len(stage.results) == demo.LR_DEVICES
    assert {r.device_id for r in stage.results} <= online  # online sensors were chosen first
    assert all(r.ok for r in stage.results)
    counters = app.counters.lr("edr")
    assert counters.created == demo.LR_DEVICES  # one session per endpoint...
    assert counters.open == 0  # ...every one closed
    assert counters.max_concurrent <= demo.LR_SLOTS == stage.slots
    assert stage.most_open <= demo.LR_SLOTS
    assert counters.slot_limit_violations == 0
    # On the 50x clock no session sat idle long enough for EDR's idle timeout to end it.
    assert counters.expired == 0
    assert counters.commands == 2 * demo.LR_DEVICES  # ps and get file, once per endpoint
    for collected in stage.collected:
        assert collected.processes > 0
        assert collected.hosts_file


async def _check_cloud(
    demo: ModuleType, app: EmulatorApp, raw: httpx.AsyncClient, report: Any
) -> None:
    cloud = report.cloud
    expected = await truth(
        raw, app, {"query": demo.AUTH_HUNT, "time_range": {"window": "-2w"}, "rows": 10_000}
    )
    assert cloud.failed_logons == expected["num_available"] > 0
    users = Counter(row["auth_username"] for row in expected["results"])
    assert dict(cloud.users) == dict(users.most_common(len(cloud.users)))
    assert cloud.detail
    # LiveQuery: the run the demo made, as the emulator has it.
    runs = (
        await raw.post(f"/livequery/v1/orgs/{app.config.org_key}/runs/_search", json={})
    ).json()["results"]
    (run,) = [r for r in runs if r["name"] == "cbasync demo"]
    assert cloud.run_status == run["status"] == "COMPLETE"
    assert cloud.run_devices == run["total_results"] == demo.LIVEQUERY_DEVICES


@pytest.mark.anyio
async def test_the_demo_clock_keeps_edr_idle_timeout_in_emulated_seconds(
    app: EmulatorApp, raw: httpx.AsyncClient
) -> None:
    """The demo's clock runs 50x real time: EDR's 300 s idle timeout is then 6 real seconds of
    silence. It still ends a session only after 300 *emulated* seconds without a command, so
    a session in use (the demo's jobs send their commands back to back) is never cut short,
    and one left idle past the timeout ends as on a real server (and cbasync re-creates it)."""
    clock = app.state.clock
    assert isinstance(clock, ManualClock)
    idle_timeout = app.config.lr_idle_timeout
    sensors = (await raw.get("/api/v1/sensor")).json()
    sensor_id = next(s["id"] for s in sensors if s["status"] == "Online")
    async with (
        emulator_client(app, CbResponseAPI) as edr,
        edr.live_response.session(sensor_id) as lr,
    ):
        await lr.list_processes()
        clock.advance(idle_timeout - 30)  # quiet, but within the timeout
        await lr.list_processes()
        counters = app.counters.lr("edr")
        assert (counters.created, counters.expired) == (1, 0)
        clock.advance(idle_timeout + 1)  # silent past it: the server ends the session
        await lr.list_processes()
        assert (counters.created, counters.expired) == (2, 1)  # ended, then re-created once
    assert counters.open == 0


def test_cbasync_demo_runs_the_script_end_to_end() -> None:
    """What the README's first line and `cbasync demo` run: the emulator on loopback TLS."""
    # From a checkout, examples/demo.py; from an installed wheel, its copy inside the package.
    script = demo_script()
    assert script is not None
    assert script.read_bytes() == SCRIPT.read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "cbasync", "demo"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("embedded emulator on https://localhost:")
    sections = ("1. hunt", "2. investigate", "3. App Control", "4. contain", "5. collect",
                "6. cloud sign-ins", "7. LiveQuery", "8. sweep", "9. errors", "== report")  # fmt: skip
    for section in sections:
        assert section in out
    assert "50 collected, 0 failed" in out
    assert "isolated, confirmed by sensor" in out
    assert out.rstrip().endswith("done: every session closed, every task finished.")
    assert done.stderr == ""


def test_with_a_profile_the_demo_is_read_only(server: ServerInfo, tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert server.ca_file
    configure_profile(home / ".carbonblack", "edr", "lab", server.url, server.token,
                      "--ssl-cert-file", server.ca_file)  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "cbasync", "demo", "--profile", "lab"],
        env={**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(home)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"connected to {server.url}" in done.stdout
    assert "not isolated (the demo changes nothing on a real server)" in done.stdout
    assert "no App Control profile: skipped" in done.stdout  # only credentials.response has it


def test_demo_help_and_a_missing_profile(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    shown = subprocess.run(
        [sys.executable, "-m", "cbasync", "demo", "--help"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert shown.returncode == 0
    assert "usage: cbasync demo" in shown.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "cbasync", "demo", "--profile", "nowhere"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert missing.returncode == 2
    assert missing.stderr.startswith("cbasync demo: credentials: profile [nowhere] not found")
