"""The Carbon Black Cloud examples (examples/cloud) run against the emulator: each ``main(api,
...)`` in process, what it did checked against the emulator itself (plain requests, counters),
and one as a script over loopback TLS."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from cbasync.cloud import CBCloudAPI
from cbasync.testing import ManualClock, create_app
from cbasync.testing.app import EmulatorApp
from tests.clients import emulator_client
from tests.cloud.test_auth_events import truth
from tests.cloud.test_processes import finished
from tests.scripts import load_script

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples" / "cloud"


def example(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """``examples/cloud/<name>.py`` as ``python examples/cloud/<name>.py`` loads it."""
    return load_script(EXAMPLES / f"{name}.py", monkeypatch)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> EmulatorApp:
    # The examples' own installation, on their clock (50x real time).
    example("livequery", monkeypatch)
    target = sys.modules["_target"]
    return create_app(target.EMULATOR, clock=ManualClock(speed=50, autojump=False))


@pytest.fixture
async def api(app: EmulatorApp) -> AsyncIterator[CBCloudAPI]:
    async with emulator_client(app, CBCloudAPI) as client:
        yield client


@pytest.fixture
async def raw(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with app.http_client() as client:
        yield client


async def test_auth_events_hunt(
    api: CBCloudAPI, app: EmulatorApp, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hunt = await example("auth_events", monkeypatch).main(api, details=3)
    expected = await truth(
        raw,
        app,
        {
            "query": "auth_event_action:LOGON_FAILED",
            "time_range": {"window": "-2w"},
            "rows": 10_000,
        },
    )
    rows = expected["results"]
    assert hunt.total == expected["num_available"] > 0
    users = Counter(row["auth_username"] for row in rows)
    devices = Counter(row["device_name"] for row in rows)
    assert hunt.by_user == {name: users[name] for name in hunt.by_user}
    assert sorted(hunt.by_user.values(), reverse=True) == [n for _, n in users.most_common(5)]
    assert hunt.by_device == {name: devices[name] for name in hunt.by_device}
    newest = sorted(rows, key=lambda row: row["device_timestamp"], reverse=True)[:3]
    assert {d.event_id for d in hunt.newest} == {row["event_id"] for row in newest}
    assert all(d.auth_logon_type is not None for d in hunt.newest)  # the detail's own fields
    assert hunt.groups == dict(devices)


async def test_livequery_run(
    api: CBCloudAPI, app: EmulatorApp, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = await example("livequery", monkeypatch).main(api, devices=6, max_wait=10)
    assert answers.run is not None
    run = (await raw.get(f"/livequery/v1/orgs/{app.config.org_key}/runs/{answers.run.id}")).json()
    assert run["status"] == answers.run.status
    online = {ep.device_id for ep in app.state.endpoints if ep.online}
    answered = {row.device.id for row in answers.rows if row.device}
    assert answered == set(answers.targeted) & online
    assert len(answers.rows) == run["total_results"]
    assert answers.statuses.get("matched", 0) == len(answered)
    assert answers.timed_out is (run["status"] == "CANCELLED")


async def test_process_search(
    api: CBCloudAPI, app: EmulatorApp, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = await example("process_search", monkeypatch).main(api)
    base = f"/api/investigate/v2/orgs/{app.config.org_key}/processes"
    body = {"query": "process_name:powershell.exe", "time_range": {"window": "-2w"}, "rows": 10_000}
    job = (await raw.post(f"{base}/search_jobs", json=body)).json()["job_id"]
    expected = await finished(raw, f"{base}/search_jobs/{job}/results", {"rows": 0})
    assert found.total == expected["num_available"] > 0
    assert found.first is not None
    assert found.first.process_name is not None
    assert found.first.process_name.endswith("powershell.exe")
    assert found.tree_size >= 1 + found.children
    assert sum(found.event_types.values()) > 0
    jobs = app.counters.snapshot()["jobs"]["created"]
    # The example's count and first share one search job (the other one is ours).
    assert jobs["process_search"] == 2


async def test_device_actions_and_alert_dismissal(
    api: CBCloudAPI, app: EmulatorApp, raw: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = await example("device_actions", monkeypatch).main(api)
    assert done.device is not None
    assert app.counters.requests("POST /appservices/v6/orgs/{org_key}/device_actions") == 3
    org = app.config.org_key
    device = (await raw.get(f"/appservices/v6/orgs/{org}/devices/{done.device.id}")).json()
    assert device["quarantined"] is False  # quarantined, then lifted
    assert done.closed
    search = {"criteria": {"id": done.closed}, "rows": 1000}
    alerts = (await raw.post(f"/api/alerts/v7/orgs/{org}/alerts/_search", json=search)).json()
    rows = {a["id"]: a for a in alerts["results"]}
    assert set(rows) == set(done.closed)
    assert all(a["workflow"]["status"] == "CLOSED" for a in rows.values())
    for alert in rows.values():
        if alert["threat_id"] == done.dismissed_threat:  # the threat's workflow, newer, wins
            assert alert["workflow"]["closure_reason"] == "FALSE_POSITIVE"
        else:  # the close job's
            assert alert["workflow"]["closure_reason"] == "RESOLVED"
            assert alert["determination"]["value"] == "FALSE_POSITIVE"
    still_open = {
        "criteria": {"device_id": [done.device.id], "workflow_status": ["OPEN"]},
        "rows": 0,
    }
    answer = await raw.post(f"/api/alerts/v7/orgs/{org}/alerts/_search", json=still_open)
    assert answer.json()["num_found"] == 0
    assert done.dismissed_threat


def test_an_example_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "livequery.py"), "--devices", "3", "--max-wait", "20"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "(Carbon Black Cloud emulator on https://localhost:" in done.stdout
    assert "run COMPLETE" in done.stdout or "run stopped" in done.stdout
