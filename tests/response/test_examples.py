"""The EDR examples (examples/response) run against the emulator: each ``main(api, ...)`` in
process, with what it did checked against the emulator itself (a plain request or its counters),
and one script as a user runs it, over loopback TLS."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from cbasync.response import CbResponseAPI
from cbasync.testing import EmulatorConfig, ManualClock, create_app
from cbasync.testing.app import EmulatorApp
from tests.clients import emulator_client
from tests.scripts import load_script

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples" / "response"


def example(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """``examples/response/<name>.py`` as ``python examples/response/<name>.py`` would load it
    (its directory first on the path, so ``_target`` is the EDR one)."""
    return load_script(EXAMPLES / f"{name}.py", monkeypatch)


@pytest.fixture
def app() -> EmulatorApp:
    # The examples' installation; the clock runs 50x real time so isolation converges quickly.
    return create_app(
        EmulatorConfig(seed=5, processes=5_000, devices=20, alerts=300, isolation_delay=1.0),
        clock=ManualClock(speed=50),
    )


@pytest.fixture
async def api(app: EmulatorApp) -> AsyncIterator[CbResponseAPI]:
    async with emulator_client(app, CbResponseAPI) as client:
        yield client


@pytest.fixture
async def raw(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with app.http_client() as client:
        yield client


async def _get(raw: httpx.AsyncClient, path: str, **params: Any) -> Any:
    answer = await raw.get(path, params=params)
    answer.raise_for_status()
    return answer.json()


async def test_binary_download(
    api: CbResponseAPI,
    raw: httpx.AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signed = await _get(raw, "/api/v1/binary", q="digsig_result:Signed", rows=1)
    md5 = signed["results"][0]["md5"]
    path = await example("binary_download", monkeypatch).main(api, output=str(tmp_path))
    assert path == tmp_path / f"{md5}.bin"
    data = path.read_bytes()
    assert data[:2] == b"MZ"
    assert len(data) == signed["results"][0]["orig_mod_len"]
    assert f"saved {len(data)} bytes to {path}" in capsys.readouterr().out


async def test_ban_hash(
    api: CbResponseAPI,
    raw: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    unsigned = await _get(raw, "/api/v1/binary", q="digsig_result:Unsigned", rows=1)
    md5 = unsigned["results"][0]["md5"].lower()
    module = example("ban_hash", monkeypatch)
    ban = await module.main(api)
    assert ban.md5hash == md5
    stored = await _get(raw, f"/api/v1/banning/bannedlist/{md5}")
    assert (stored["text"], stored["enabled"]) == ("Banned from API", True)
    listed = await _get(raw, "/api/v1/banning/bannedlist")
    assert f"{sum(b['enabled'] for b in listed)} hashes banned" in capsys.readouterr().out
    assert await module.main(api, md5=md5) is None  # banned already: the server says so
    assert "not banned" in capsys.readouterr().out


async def test_isolate_sensor(
    api: CbResponseAPI, app: EmulatorApp, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sensor = await example("isolate_sensor", monkeypatch).main(api, keep=True)
    assert sensor.is_isolating
    stored = await _get(raw, f"/api/v1/sensor/{sensor.id}")
    assert (stored["network_isolation_enabled"], stored["is_isolating"]) == (True, True)
    again = await example("isolate_sensor", monkeypatch).main(api, hostname=sensor.computer_name)
    assert again.id == sensor.id
    stored = await _get(raw, f"/api/v1/sensor/{sensor.id}")
    assert stored["network_isolation_enabled"] is False
    # Isolated once (isolating it again sends nothing: nothing changed), lifted once.
    assert app.counters.events["sensor.isolate"] == 1
    assert app.counters.events["sensor.unisolate"] == 1
    assert app.counters.requests("PUT /api/v1/sensor/{sensor_id}") == 2


async def test_process_tree(
    api: CbResponseAPI, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = example("process_tree", monkeypatch)
    chains = await module.main(api, limit=3)
    hits = await _get(raw, "/api/v1/process", q=module.NET_USE, **{"cb.group": "id", "rows": 0})
    assert len(chains) == min(3, hits["total_results"])
    assert chains
    assert all(chain[0] == "cmd.exe" for chain in chains)  # net.exe ran from a shell


async def test_watchlist_operations(
    api: CbResponseAPI, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = example("watchlist_operations", monkeypatch)
    before = await _get(raw, "/api/v1/watchlist")
    exported = await module.main(api)
    assert len(exported) == len(before) + 1
    assert {
        "name": module.NAME,
        "query": module.QUERY,
        "index_type": "events",
        "enabled": False,
    } in (exported)
    assert await _get(raw, "/api/v1/watchlist") == before  # deleted again


async def test_feed_operations(
    api: CbResponseAPI, app: EmulatorApp, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = await _get(raw, "/api/v1/feed")
    new, ignored = await example("feed_operations", monkeypatch).main(
        api, report_word="FUZZYWOMBAT"
    )
    assert new.name == "acme_ioc"
    assert app.counters.events["feed.synchronize"] == 1
    soc = next(f for f in feeds if f["name"] == "SOC")
    reports = await _get(
        raw, "/api/v1/threat_report", q=f"feed_id:{soc['id']} title:FUZZYWOMBAT", rows=100
    )
    assert ignored == reports["total_results"] > 0
    assert all(r["is_ignored"] for r in reports["results"])
    assert await _get(raw, "/api/v1/feed") == feeds  # the new feed is removed again


async def test_alert_triage(
    api: CbResponseAPI, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    unresolved = (await _get(raw, "/api/v2/alert", q="status:Unresolved", rows=0))["total_results"]
    fp = 'status:"False Positive"'
    false_positives = (await _get(raw, "/api/v2/alert", q=fp, rows=0))["total_results"]
    result = await example("alert_triage", monkeypatch).main(api, analyst="ann", batch=7)
    assert result["total"] == unresolved
    assigned = await _get(raw, "/api/v2/alert", q="assigned_to:ann", rows=0)
    assert result["assigned"] == assigned["total_results"] == 7
    closed = await _get(raw, "/api/v2/alert", q=fp, rows=0)
    assert result["closed"] == closed["total_results"] - false_positives > 0
    left = await _get(raw, "/api/v2/alert", q="status:Unresolved", rows=0)
    assert result["left"] == left["total_results"] == unresolved - 7 - result["closed"]


async def test_facets(
    api: CbResponseAPI, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    newest = await _get(raw, "/api/v1/process", q="process_name:net.exe", sort="start desc", rows=1)
    proc = newest["results"][0]
    user = proc["username"].split("\\")[-1]
    lines = await example("facets", monkeypatch).main(api)
    answer = await _get(
        raw,
        "/api/v1/process",
        q=f"hostname:{proc['hostname']} username:{user}",
        rows=0,
        facet="true",
        **{"facet.field": "process_name"},
    )
    names = [entry["name"][:15] for entry in answer["facets"]["process_name"]]
    assert [line.split(":")[0].strip() for line in lines] == names


async def test_user_operations(
    api: CbResponseAPI, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    users, teams = await _get(raw, "/api/users"), await _get(raw, "/api/teams")
    user, team = await example("user_operations", monkeypatch).main(api, keep=True)
    stored = await _get(raw, f"/api/user/{user.username}")
    assert [t["name"] for t in stored["teams"]] == ["Responders"]
    stored_team = await _get(raw, f"/api/team/{team.id}")
    assert stored_team["group_access"][0]["access_category"] == "Viewer"
    await example("user_operations", monkeypatch).main(api, username="jdoe", team_name="Hunters")
    assert len(await _get(raw, "/api/users")) == len(users) + 1  # jgarman kept, jdoe removed
    assert len(await _get(raw, "/api/teams")) == len(teams) + 1


async def test_sensor_group_operations(
    api: CbResponseAPI, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = await _get(raw, "/api/group")
    group, sensor = await example("sensor_group_operations", monkeypatch).main(api, keep=True)
    assert (await _get(raw, f"/api/v1/sensor/{sensor.id}"))["group_id"] == group.id
    other = (await _get(raw, "/api/v1/sensor"))[-1]
    before = other["group_id"]
    await example("sensor_group_operations", monkeypatch).main(
        api, hostname=other["computer_name"], name="Lab Hosts"
    )
    assert (await _get(raw, f"/api/v1/sensor/{other['id']}"))["group_id"] == before  # moved back
    assert len(await _get(raw, "/api/group")) == len(groups) + 1  # the kept one only


def test_an_example_runs_as_a_script_against_the_loopback_emulator(tmp_path: Path) -> None:
    """What a user types: the script starts the emulator on loopback TLS and talks to it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("CBAPI_URL", "CBAPI_TOKEN"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "binary_download.py"), "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("(EDR emulator on https://localhost:")
    (saved,) = tmp_path.glob("*.bin")
    assert lines[-1] == f"saved {saved.stat().st_size} bytes to {saved}"
