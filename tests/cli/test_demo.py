"""The demo (examples/demo.py): its triage in process, checked against the emulator, and the
command a user types, end to end — the README's first line runs the same script."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from cbasync import CbProtectionAPI, CbResponseAPI
from cbasync._cli.demo import demo_script
from cbasync.testing import EmulatorConfig, ManualClock, ServerInfo, create_app
from cbasync.testing.app import EmulatorApp
from tests.clients import emulator_client

from .conftest import configure_profile

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "examples" / "demo.py"


def _demo(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """examples/demo.py as a module (registered while the test runs: dataclasses need that)."""
    spec = importlib.util.spec_from_file_location("cbasync_demo_under_test", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def app() -> EmulatorApp:
    # The demo's own installation, on a clock that runs 50x real time (isolation converges).
    return create_app(
        EmulatorConfig(seed=7, processes=20_000, devices=25, isolation_delay=1.0),
        clock=ManualClock(speed=50),
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
    ):
        report = await demo.triage(edr, protection, changes_allowed=True)
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
    for section in ("1. hunt", "2. investigate", "3. App Control", "4. contain", "== report"):
        assert section in out
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
