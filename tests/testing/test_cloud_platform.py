"""Cloud platform over HTTP: devices v6, alerts v6/v7 and the Jobs API."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from cbasync.testing import EmulatorConfig, ManualClock, create_app
from cbasync.testing.app import EmulatorApp
from cbasync.testing.dataset.endpoints import DEVICE_ID_BASE

pytestmark = pytest.mark.anyio

ORG = "EMU12345"
V6 = f"/appservices/v6/orgs/{ORG}"
V7 = f"/api/alerts/v7/orgs/{ORG}"
JOBS = f"/jobs/v1/orgs/{ORG}/jobs"
MODULES = ("cloud_common", "cloud_platform", "cloud_defense")


def _app(clock: ManualClock, **config: Any) -> EmulatorApp:
    base: dict[str, Any] = {
        "devices": 30,
        "cloud_alerts": 300,
        "job_duration": 2.0,
        "isolation_delay": 5.0,
    }
    base.update(config)
    return create_app(EmulatorConfig(**base), clock=clock, modules=MODULES)


def _client(app: EmulatorApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://cbserver",
        headers={"X-Auth-Token": app.config.token},
    )


async def _search(http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await http.post(f"{V6}/devices/_search", json=body)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


# ------------------------------------------------------------------------------------ devices


async def test_device_search_criteria_query_and_status_values() -> None:
    app = _app(ManualClock())
    population = app.state.endpoints
    async with _client(app) as http:
        everything = await _search(http, {"rows": 100})
        assert everything["num_found"] == 30
        assert [d["id"] for d in everything["results"]] == [ep.device_id for ep in population]
        windows = await _search(http, {"criteria": {"os": ["WINDOWS"]}, "rows": 100})
        assert windows["num_found"] == sum(ep.os_family == "windows" for ep in population)
        assert {d["os"] for d in windows["results"]} == {"WINDOWS"}
        live = await _search(http, {"criteria": {"status": ["LIVE"]}, "rows": 100})
        assert {d["id"] for d in live["results"]} == {
            ep.device_id for ep in population if ep.online
        }
        inactive = await _search(http, {"criteria": {"status": ["INACTIVE"]}, "rows": 100})
        assert inactive["num_found"] == 30 - live["num_found"]
        named = await _search(http, {"query": f"name:{population[2].hostname}"})
        assert [d["id"] for d in named["results"]] == [population[2].device_id]
        excluded = await _search(http, {"exclusions": {"os": ["WINDOWS"]}, "rows": 100})
        assert excluded["num_found"] == 30 - windows["num_found"]
        bad = await http.post(f"{V6}/devices/_search", json={"criteria": {"status": ["SLEEPY"]}})
        assert bad.status_code == 400
        assert bad.json()["error_code"] == "INVALID_ENUM_VALUE"
        assert "LIVE" in bad.json()["known_values"]


async def test_device_paging_is_one_based_and_sorts() -> None:
    app = _app(ManualClock())
    async with _client(app) as http:
        default = await _search(http, {})
        assert len(default["results"]) == 20  # the default page
        first = await _search(http, {"start": 1, "rows": 5})
        zero = await _search(http, {"start": 0, "rows": 5})
        assert first["results"] == zero["results"]
        third = await _search(http, {"start": 3, "rows": 1})
        assert third["results"][0]["id"] == first["results"][2]["id"]
        ordered = await _search(http, {"sort": [{"field": "name", "order": "DESC"}], "rows": 100})
        names = [d["name"].lower() for d in ordered["results"]]
        assert names == sorted(names, reverse=True)
        r = await http.post(
            f"{V6}/devices/_search", json={"sort": [{"field": "nope", "order": "ASC"}]}
        )
        assert r.status_code == 400


async def test_device_start_base_zero() -> None:
    app = _app(ManualClock(), device_start_base=0)
    async with _client(app) as http:
        second = await _search(http, {"start": 1, "rows": 1})
        assert second["results"][0]["id"] == DEVICE_ID_BASE + 1


async def test_device_get_facets_scroll_and_org_check() -> None:
    app = _app(ManualClock())
    async with _client(app) as http:
        one = await http.get(f"{V6}/devices/{DEVICE_ID_BASE + 3}")
        assert one.json()["os"] == "LINUX"
        assert (await http.get(f"{V6}/devices/1")).status_code == 404
        assert (
            await http.post("/appservices/v6/orgs/WRONG/devices/_search", json={})
        ).status_code == 403
        facets = (
            await http.post(f"{V6}/devices/_facet", json={"terms": {"fields": ["os", "policy_id"]}})
        ).json()
        by_field = {f["field"]: f["values"] for f in facets["results"]}
        assert sum(v["total"] for v in by_field["os"]) == 30
        assert {v["name"] for v in by_field["policy_id"]} <= {
            "Standard",
            "Advanced",
            "Monitored",
            "Servers",
        }
        bad = await http.post(f"{V6}/devices/_facet", json={"terms": {"fields": ["color"]}})
        assert bad.json()["error_code"] == "INVALID_ENUM_VALUE"
        seen: list[int] = []
        after = None
        for _ in range(10):
            body: dict[str, Any] = {"rows": 8}
            if after:
                body["search_after"] = after
            page = (await http.post(f"{V6}/devices/_scroll", json=body)).json()
            seen.extend(d["id"] for d in page["results"])
            after = page["search_after"]
            if not after:
                break
        assert sorted(seen) == [DEVICE_ID_BASE + i for i in range(30)]


async def test_device_actions_change_the_devices() -> None:
    clock = ManualClock()
    app = _app(clock)
    target = DEVICE_ID_BASE
    async with _client(app) as http:

        async def act(body: dict[str, Any]) -> httpx.Response:
            return await http.post(f"{V6}/device_actions", json=body)

        r = await act(
            {"action_type": "QUARANTINE", "device_id": [target], "options": {"toggle": "ON"}}
        )
        assert r.status_code == 204
        assert (await http.get(f"{V6}/devices/{target}")).json()["quarantined"] is False
        clock.advance(5)  # the sensor confirms at its next check-in
        quarantined = await _search(http, {"criteria": {"status": ["QUARANTINE"]}})
        assert [d["id"] for d in quarantined["results"]] == [target]
        await act(
            {"action_type": "UPDATE_POLICY", "device_id": [target], "options": {"policy_id": 6527}}
        )
        assert (await http.get(f"{V6}/devices/{target}")).json()["policy_name"] == "Monitored"
        await act(
            {
                "action_type": "BYPASS",
                "search": {"criteria": {"os": ["LINUX"]}},
                "options": {"toggle": "ON"},
            }
        )
        bypassed = await _search(http, {"criteria": {"status": ["BYPASS"]}, "rows": 100})
        assert {d["os"] for d in bypassed["results"]} == {"LINUX"}
        await act({"action_type": "UNINSTALL_SENSOR", "device_id": [target + 1]})
        assert (await http.get(f"{V6}/devices/{target + 1}")).json()["status"] == "UNINSTALLED"
        await act({"action_type": "DELETE_SENSOR", "device_id": [target + 1]})
        assert (await http.get(f"{V6}/devices/{target + 1}")).status_code == 404
        bad = await act(
            {"action_type": "QUARANTINE", "device_id": [target], "options": {"toggle": "MAYBE"}}
        )
        assert bad.status_code == 400
        bad = await act({"action_type": "REBOOT", "device_id": [target]})
        assert bad.json()["error_code"] == "INVALID_ENUM_VALUE"
        audit = (await http.get("/integrationServices/v3/auditlogs")).json()["notifications"]
        assert any("QUARANTINE" in entry["description"] for entry in audit)


async def test_device_export_runs_as_a_jobs_api_job() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        job = (
            await http.post(
                f"{V6}/devices/_export", json={"criteria": {"os": ["WINDOWS"]}, "format": "CSV"}
            )
        ).json()
        assert job["type"] == "ENDPOINTS"
        status = (await http.get(f"{JOBS}/{job['id']}")).json()
        assert status["status"] == "CREATED"
        assert (await http.get(f"{JOBS}/{job['id']}/download")).status_code == 400
        clock.advance(2)
        assert (await http.get(f"{JOBS}/{job['id']}/progress")).json()["num_completed"] > 0
        rows = list(csv.reader(io.StringIO((await http.get(f"{JOBS}/{job['id']}/download")).text)))
        windows = sum(ep.os_family == "windows" for ep in app.state.endpoints)
        assert len(rows) == windows + 1
        listed = (await http.get(JOBS)).json()
        assert [j["id"] for j in listed["results"]] == [job["id"]]
        assert (await http.get(f"{JOBS}/999")).status_code == 404


# ------------------------------------------------------------------------------------ alerts v7


async def _alerts(http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await http.post(f"{V7}/alerts/_search", json=body)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def test_v7_search_window_paging_and_criteria() -> None:
    app = _app(ManualClock(), history_days=30)
    async with _client(app) as http:
        recent = await _alerts(http, {"rows": 1})
        everything = await _alerts(http, {"time_range": {"range": "-30d"}, "rows": 1})
        assert 0 < recent["num_found"] < everything["num_found"]  # default: the last two weeks
        assert everything["num_found"] == 300
        page = await _alerts(http, {"time_range": {"range": "-30d"}, "rows": 10})
        stamps = [a["backend_timestamp"] for a in page["results"]]
        assert stamps == sorted(stamps, reverse=True)
        second = await _alerts(http, {"time_range": {"range": "-30d"}, "rows": 5, "start": 6})
        assert [a["id"] for a in second["results"]] == [a["id"] for a in page["results"][5:10]]
        typed = await _alerts(
            http,
            {
                "time_range": {"range": "-30d"},
                "rows": 100,
                "criteria": {"type": ["WATCHLIST"], "minimum_severity": 5},
            },
        )
        assert typed["results"]
        assert all(a["type"] == "WATCHLIST" and a["severity"] >= 5 for a in typed["results"])
        assert all(a["watchlists"] for a in typed["results"])
        queried = await _alerts(
            http, {"time_range": {"range": "-30d"}, "query": "process_name:mimikatz.exe", "rows": 5}
        )
        assert all(a["process_name"] == "mimikatz.exe" for a in queried["results"])
        malformed = await http.post(f"{V7}/alerts/_search", json={"query": "severity:[1 TO"})
        assert malformed.status_code == 400
        assert malformed.json()["reason"] == "query_malformed_syntax"
        too_deep = await http.post(f"{V7}/alerts/_search", json={"start": 9990, "rows": 100})
        assert too_deep.status_code == 400


async def test_v7_facets_and_single_alert() -> None:
    app = _app(ManualClock())
    async with _client(app) as http:
        facets = (
            await http.post(
                f"{V7}/alerts/_facet",
                json={
                    "time_range": {"range": "-30d"},
                    "terms": {"fields": ["type", "device_os"], "rows": 0},
                },
            )
        ).json()
        totals = {f["field"]: sum(v["total"] for v in f["values"]) for f in facets["results"]}
        types = {v["id"]: v["total"] for v in facets["results"][0]["values"]}
        # A container alert names no device, so it has no device_os to count.
        assert types["CONTAINER_RUNTIME"] > 0
        assert totals == {"type": 300, "device_os": 300 - types["CONTAINER_RUNTIME"]}
        bad = await http.post(f"{V7}/alerts/_facet", json={"terms": {"fields": ["ALERT_TYPE"]}})
        assert bad.status_code == 400
        assert bad.json()["error_code"] == "INVALID_ENUM_VALUE"
        assert "type" in bad.json()["known_values"]
        first = (await _alerts(http, {"rows": 1}))["results"][0]
        one = (await http.get(f"{V7}/alerts/{first['id']}")).json()
        assert one == first
        assert (await http.get(f"{V7}/alerts/nope")).status_code == 404


async def test_v7_workflow_lands_when_its_job_completes() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        target = (await _alerts(http, {"rows": 1}))["results"][0]
        r = await http.post(
            f"{V7}/alerts/workflow",
            json={
                "criteria": {"id": [target["id"]]},
                "status": "CLOSED",
                "closure_reason": "RESOLVED",
                "determination": "FALSE_POSITIVE",
                "note": "benign",
            },
        )
        request_id = r.json()["request_id"]
        job = (await http.get(f"{JOBS}/{request_id}")).json()
        assert job["type"] == "user_workflow_update"
        assert job["progress"]["num_total"] == 1
        assert (await http.get(f"{V7}/alerts/{target['id']}")).json()["workflow"][
            "status"
        ] == "OPEN"
        clock.advance(2)
        assert (await http.get(f"{JOBS}/{request_id}")).json()["status"] == "COMPLETED"
        after = (await http.get(f"{V7}/alerts/{target['id']}")).json()
        assert after["workflow"]["status"] == "CLOSED"
        assert after["workflow"]["closure_reason"] == "RESOLVED"
        assert after["determination"]["value"] == "FALSE_POSITIVE"
        assert after["alert_notes_present"] is True
        closed = await _alerts(http, {"criteria": {"workflow_status": ["CLOSED"]}, "rows": 10})
        assert [a["id"] for a in closed["results"]] == [target["id"]]
        bad = await http.post(
            f"{V7}/alerts/workflow", json={"criteria": {"id": [target["id"]]}, "status": "DONE"}
        )
        assert bad.json()["error_code"] == "INVALID_ENUM_VALUE"


async def test_v7_notes_history_threat_tags_grouped_and_export() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        alert = (await _alerts(http, {"rows": 1}))["results"][0]
        note = (await http.post(f"{V7}/alerts/{alert['id']}/notes", json={"note": "first"})).json()
        listed = (await http.get(f"{V7}/alerts/{alert['id']}/notes")).json()["results"]
        assert [n["note"] for n in listed] == ["first"]
        assert (
            await http.delete(f"{V7}/alerts/{alert['id']}/notes/{note['id']}")
        ).status_code == 204
        assert (await http.get(f"{V7}/alerts/{alert['id']}/notes")).json()["results"] == []
        history = (await http.get(f"{V7}/alerts/{alert['id']}/history")).json()["history"]
        # The real shape (carbon-black-cloud-sdk's recorded GET_ALERT_HISTORY): the creation is
        # the first workflow update, then each change with the object it changed.
        assert [h["type"] for h in history] == ["USER_WORKFLOW_UPDATE", "ALERT_NOTE_ADDED"]
        assert history[0]["workflow"]["changed_by"] == "ALERT_CREATION"
        assert history[0]["workflow"]["status"] == "OPEN"
        assert history[1]["note"] == note
        assert set(note) == {
            "author", "create_timestamp", "last_update_timestamp", "id", "source", "note",
            "parent_id", "read_history", "thread",
        }  # fmt: skip
        threat = alert["threat_id"]
        tags = (
            await http.post(f"{V7}/threats/{threat}/tags", json={"tags": ["apt", "triage"]})
        ).json()
        assert tags["tags"] == ["apt", "triage"]
        assert (await http.delete(f"{V7}/threats/{threat}/tags/apt")).json()["tags"] == ["triage"]
        assert (await http.get(f"{V7}/threats/{threat}/tags")).json()["list"] == ["triage"]
        grouped = (
            await http.post(
                f"{V7}/grouped_alerts/_search",
                json={
                    "group_by": {"field": "THREAT_ID"},
                    "rows": 5,
                    "time_range": {"range": "-30d"},
                },
            )
        ).json()
        assert grouped["group_by_total_count"] == 300
        counts = [g["count"] for g in grouped["results"]]
        assert counts == sorted(counts, reverse=True)
        assert sum(g["workflow_states"].get("OPEN", 0) for g in grouped["results"]) == sum(counts)
        job = (
            await http.post(
                f"{V7}/alerts/_export", json={"format": "CSV", "time_range": {"range": "-30d"}}
            )
        ).json()
        clock.advance(2)
        text = (await http.get(f"{JOBS}/{job['job_id']}/download")).text
        assert len(text.strip().splitlines()) == 301
        suggestions = (
            await http.get(f"{V7}/alerts/search_suggestions", params={"suggest.q": "device_"})
        ).json()
        assert suggestions["suggestions"]
        assert all(s["term"].startswith("device_") for s in suggestions["suggestions"])


# ------------------------------------------------------------------------------------ alerts v6


async def test_v6_search_facets_and_workflows() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        page = (await http.post(f"{V6}/alerts/_search", json={"rows": 5})).json()
        assert page["num_found"] == 300
        first = page["results"][0]
        assert {"create_time", "legacy_alert_id", "threat_cause_actor_name", "policy_name"} <= set(
            first
        )
        assert first["workflow"]["state"] == "OPEN"
        typed = (await http.post(f"{V6}/alerts/watchlist/_search", json={"rows": 100})).json()
        assert {a["type"] for a in typed["results"]} == {"WATCHLIST"}
        assert (await http.post(f"{V6}/alerts/toaster/_search", json={})).status_code == 404
        facets = (
            await http.post(
                f"{V6}/alerts/_facet",
                json={"terms": {"fields": ["ALERT_TYPE", "CATEGORY"], "rows": 0}},
            )
        ).json()
        assert {f["field"] for f in facets["results"]} == {"ALERT_TYPE", "CATEGORY"}
        wf = (
            await http.post(
                f"{V6}/alerts/{first['id']}/workflow",
                json={"state": "DISMISSED", "comment": "noise"},
            )
        ).json()
        assert wf["state"] == "DISMISSED"
        assert (await http.get(f"{V6}/alerts/{first['id']}")).json()["workflow"][
            "state"
        ] == "DISMISSED"
        threat = page["results"][1]["threat_id"]
        request_id = (
            await http.post(
                f"{V6}/threat/workflow/_criteria",
                json={"threat_id": [threat], "state": "DISMISSED"},
            )
        ).json()["request_id"]
        status = (await http.get(f"{V6}/workflow/status/{request_id}")).json()
        assert status["status"] == "QUEUED"
        clock.advance(1)
        assert (await http.get(f"{V6}/workflow/status/{request_id}")).json()[
            "status"
        ] == "IN_PROGRESS"
        clock.advance(1)
        finished = (await http.get(f"{V6}/workflow/status/{request_id}")).json()
        assert finished["status"] == "FINISHED"
        assert finished["num_hits"] >= 1
        dismissed = (
            await http.post(
                f"{V6}/alerts/_search", json={"criteria": {"threat_id": [threat]}, "rows": 100}
            )
        ).json()
        assert {a["workflow"]["state"] for a in dismissed["results"]} == {"DISMISSED"}
        assert (await http.get(f"{V6}/workflow/status/unknown")).status_code == 404
