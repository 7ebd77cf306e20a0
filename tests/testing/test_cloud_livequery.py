"""LiveQuery runs over HTTP: devices answer over time, offline ones never; SQL over endpoints."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cbasync.testing import EmulatorConfig, ManualClock, create_app
from cbasync.testing.app import EmulatorApp
from cbasync.testing.dataset.cloud import SqlError, osquery_rows
from cbasync.testing.dataset.vfs import EndpointImage

pytestmark = pytest.mark.anyio

LQ = "/livequery/v1/orgs/EMU12345"


def _app(clock: ManualClock) -> EmulatorApp:
    return create_app(
        EmulatorConfig(devices=12, job_duration=10.0),
        clock=clock,
        modules=("cloud_common", "cloud_livequery"),
    )


def _client(app: EmulatorApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://cbserver",
        headers={"X-Auth-Token": app.config.token},
    )


async def _run(http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await http.post(f"{LQ}/runs", json=body)
    assert r.status_code == 200, r.text
    run: dict[str, Any] = r.json()
    return run


async def test_run_completes_when_every_targeted_device_answered() -> None:
    clock = ManualClock()
    app = _app(clock)
    online = [ep for ep in app.state.endpoints if ep.online and ep.os_family == "windows"][:3]
    async with _client(app) as http:
        run = await _run(
            http,
            {
                "sql": "SELECT * FROM system_info",
                "device_filter": {"device_id": [ep.device_id for ep in online]},
            },
        )
        assert run["status"] == "ACTIVE"
        assert run["in_progress_count"] == 3
        clock.advance(10)
        done = (await http.get(f"{LQ}/runs/{run['id']}")).json()
        assert done["status"] == "COMPLETE"
        assert (done["match_count"], done["total_results"]) == (3, 3)
        results = (
            await http.post(f"{LQ}/runs/{run['id']}/results/_search", json={"start": 0})
        ).json()
        assert {r["fields"]["hostname"] for r in results["results"]} == {
            ep.hostname for ep in online
        }
        assert all(r["status"] == "matched" for r in results["results"])
    assert app.counters.snapshot()["jobs"]["created"]["livequery_run"] == 1


async def test_offline_devices_keep_a_run_active_and_sql_errors_are_per_device() -> None:
    clock = ManualClock()
    app = _app(clock)
    offline = app.state.endpoints[4]
    online = app.state.endpoints[0]
    assert not offline.online
    async with _client(app) as http:
        run = await _run(
            http,
            {
                "sql": "SELECT pid, name FROM processes WHERE name = 'lsass.exe'",
                "device_filter": {"device_id": [online.device_id, offline.device_id]},
            },
        )
        clock.advance(3600)
        state = (await http.get(f"{LQ}/runs/{run['id']}")).json()
        assert state["status"] == "ACTIVE"
        assert (state["match_count"], state["not_started_count"]) == (1, 1)
        summaries = (
            await http.post(f"{LQ}/runs/{run['id']}/results/device_summaries/_search", json={})
        ).json()
        assert {s["device"]["id"]: s["status"] for s in summaries["results"]} == {
            online.device_id: "matched",
            offline.device_id: "not_started",
        }
        rows = (await http.post(f"{LQ}/runs/{run['id']}/results/_search", json={})).json()[
            "results"
        ]
        assert [r["fields"]["name"] for r in rows] == ["lsass.exe"]
        stopped = await http.put(f"{LQ}/runs/{run['id']}/status", json={"status": "CANCELLED"})
        assert stopped.json()["status"] == "CANCELLED"
        assert stopped.json()["cancelled_count"] == 1
        broken = await _run(
            http,
            {"sql": "SELECT * FROM nonsense", "device_filter": {"device_id": [online.device_id]}},
        )
        clock.advance(10)
        answer = (await http.post(f"{LQ}/runs/{broken['id']}/results/_search", json={})).json()[
            "results"
        ][0]
        assert answer["status"] == "error"
        assert answer["device_message"] == "no such table: nonsense"
        assert (await http.get(f"{LQ}/runs/{broken['id']}")).json()["status"] == "COMPLETE"


async def test_results_criteria_facets_history_csv_scroll_and_delete() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        run = await _run(
            http,
            {
                "sql": "SELECT name FROM processes",
                "device_filter": {"os": ["WINDOWS"]},
                "name": "procs",
            },
        )
        clock.advance(10)
        windows = [ep for ep in app.state.endpoints if ep.os_family == "windows" and ep.online]
        first = windows[0]
        only = (
            await http.post(
                f"{LQ}/runs/{run['id']}/results/_search",
                json={"criteria": {"device.id": [first.device_id]}, "rows": 500},
            )
        ).json()
        assert only["num_found"] > 5
        assert {r["device"]["id"] for r in only["results"]} == {first.device_id}
        facets = (
            await http.post(
                f"{LQ}/runs/{run['id']}/results/_facet", json={"terms": {"fields": ["device.name"]}}
            )
        ).json()
        assert {v["name"] for v in facets["terms"][0]["values"]} == {ep.hostname for ep in windows}
        history = (await http.post(f"{LQ}/runs/_search", json={"rows": 10})).json()
        assert [r["name"] for r in history["results"]] == ["procs"]
        csv_text = (
            await http.post(f"{LQ}/runs/{run['id']}/results/_search?format=csv", json={})
        ).text
        assert csv_text.splitlines()[0].startswith("device_id,device_name,status,time_received")
        seen = 0
        after = ""
        while True:
            body: dict[str, Any] = {"criteria": {"run_id": [run["id"]]}, "rows": 50}
            if after:
                body["search_after"] = after
            chunk = (await http.post(f"{LQ}/runs/results/_scroll", json=body)).json()
            seen += len(chunk["results"])
            after = chunk["search_after"]
            if not after:
                assert chunk["num_remaining"] == 0
                break
        assert seen == (await http.get(f"{LQ}/runs/{run['id']}")).json()["total_results"]
        assert (await http.delete(f"{LQ}/runs/{run['id']}")).status_code == 204
        assert (await http.get(f"{LQ}/runs/{run['id']}")).status_code == 404


def test_osquery_sql_against_an_endpoint() -> None:
    from cbasync.testing.dataset.endpoints import EndpointPopulation

    ep = EndpointPopulation(1, 5, epoch=1_714_521_600.0)[0]
    image = EndpointImage(
        seed=1, key=0, os="WINDOWS", hostname=ep.hostname, base_time=1_714_521_600.0
    )
    rows = osquery_rows(
        "select name, pid as p from processes where name like 'svc%' limit 2", ep, image, 0
    )
    assert len(rows) == 2
    assert set(rows[0]) == {"name", "p"}
    files = osquery_rows(
        "SELECT filename FROM file WHERE path = 'C:\\Windows\\win.ini'", ep, image, 0
    )
    assert files == [{"filename": "win.ini"}]
    for bad, message in (
        ("DELETE FROM users", 'near "DELETE": syntax error'),
        ("SELECT nope FROM users", "no such column: nope"),
        ("SELECT * FROM file", "file table requires a path constraint"),
    ):
        with pytest.raises(SqlError, match=message):
            osquery_rows(bad, ep, image, 0)
