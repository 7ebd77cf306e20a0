"""Enterprise EDR search jobs over HTTP: processes, events, auth events (seed 004)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cbasync.testing import EmulatorConfig, ManualClock, create_app
from cbasync.testing.app import EmulatorApp

pytestmark = pytest.mark.anyio

ORG = "EMU12345"
P = f"/api/investigate/v2/orgs/{ORG}/processes"
E = f"/api/investigate/v2/orgs/{ORG}/events"
A = f"/api/investigate/v2/orgs/{ORG}/auth_events"


def _app(clock: ManualClock, **config: Any) -> EmulatorApp:
    base: dict[str, Any] = {
        "devices": 20,
        "processes": 4_000,
        "auth_events": 2_000,
        "job_duration": 10.0,
        "job_searchers": 4,
        "job_ttl": 60.0,
    }
    base.update(config)
    return create_app(
        EmulatorConfig(**base),
        clock=clock,
        modules=("cloud_common", "cloud_investigate", "cloud_platform"),
    )


def _client(app: EmulatorApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://cbserver",
        headers={"X-Auth-Token": app.config.token},
    )


async def _job(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> str:
    r = await http.post(url, json=body)
    assert r.status_code == 200, r.text
    job_id: str = r.json()["job_id"]
    return job_id


async def test_process_search_job_progresses_and_pages() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        job = await _job(
            http, f"{P}/search_jobs", {"query": "process_name:svchost.exe", "rows": 50}
        )
        results = f"{P}/search_jobs/{job}/results"
        start = (await http.get(results, params={"start": 0, "rows": 0})).json()
        assert (start["contacted"], start["completed"], start["num_found"]) == (0, 0, 0)
        clock.advance(1 + 9 * 0.5)
        half = (await http.get(results, params={"start": 0, "rows": 0})).json()
        assert half["contacted"] == 4
        assert half["completed"] == 2
        clock.advance(5)
        done = (await http.get(results)).json()
        assert done["contacted"] == done["completed"] == 4
        assert done["num_found"] > done["num_available"] == 50  # more matches than the job's rows
        assert half["num_found"] < done["num_found"]
        assert len(done["results"]) == 10  # rows defaults to 10
        pages: list[dict[str, Any]] = []
        for start_row in range(0, 50, 20):
            pages.extend(
                (await http.get(results, params={"start": start_row, "rows": 20})).json()["results"]
            )
        assert len({p["process_guid"] for p in pages}) == 50
        assert all(p["process_name"].endswith("svchost.exe") for p in pages)
        stamps = [p["device_timestamp"] for p in pages]
        assert stamps == sorted(stamps, reverse=True)
        status = (
            await http.get(f"/api/investigate/v1/orgs/{ORG}/processes/search_jobs/{job}")
        ).json()
        assert status["contacted"] == status["completed"] == 4
        assert (
            job
            in (await http.get(f"/api/investigate/v1/orgs/{ORG}/processes/search_jobs")).json()[
                "query_ids"
            ]
        )
    snapshot = app.counters.snapshot()["jobs"]
    assert snapshot["created"]["process_search"] == 1
    assert snapshot["polled"]["process_search"] >= 4


async def test_unknown_expired_and_malformed_jobs() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        assert (await http.get(f"{P}/search_jobs/not-a-job/results")).status_code == 404
        job = await _job(http, f"{P}/search_jobs", {"query": "process_name:cmd.exe"})
        clock.advance(10 + 61)
        gone = await http.get(f"{P}/search_jobs/{job}/results")
        assert gone.status_code == 404
        assert gone.json()["error_code"] == "NOT_FOUND"
        bad = await http.post(f"{P}/search_jobs", json={"query": "process_name:(cmd.exe"})
        assert bad.status_code == 400
        assert bad.json()["reason"] == "query_malformed_syntax"
        empty = await http.post(f"{P}/search_jobs", json={})
        assert empty.status_code == 400
        too_many = await http.post(f"{P}/search_jobs", json={"query": "x", "rows": 10_001})
        assert too_many.status_code == 400
        for body in (
            {"query": "x", "sort": [{"field": "nope", "order": "asc"}]},
            {"criteria": {"nope": ["x"]}},
            {"query": "x", "time_range": {"window": "-2q"}},
        ):
            refused = await http.post(f"{P}/search_jobs", json=body)
            assert refused.status_code == 400, body
            assert refused.json()["error_code"] == "INVALID_ARGUMENT"
        facet = await http.post(
            f"{P}/facet_jobs", json={"query": "x", "terms": {"fields": ["nope"]}}
        )
        assert facet.json()["field"] == "terms.fields"
        valid = (
            await http.post(f"{P}/search_validation", json={"query": "process_name:cmd.exe"})
        ).json()
        assert valid["valid"] is True
        invalid = (
            await http.get(
                f"/api/investigate/v1/orgs/{ORG}/processes/search_validation", params={"q": "a:(b"}
            )
        ).json()
        assert invalid["valid"] is False
        assert invalid["invalid_message"]
        assert (
            await http.post(
                "/api/investigate/v2/orgs/NOPE1234/processes/search_jobs", json={"query": "x"}
            )
        ).status_code == 403


async def test_no_data_when_no_endpoint_answers() -> None:
    clock = ManualClock()
    app = _app(clock)
    for ep in app.state.endpoints:
        ep.online = False
    async with _client(app) as http:
        job = await _job(http, f"{P}/search_jobs", {"query": "process_name:cmd.exe"})
        clock.advance(100)
        body = (await http.get(f"{P}/search_jobs/{job}/results")).json()
        assert body["contacted"] == 0
        assert "No data available" in body["message"]


async def test_criteria_time_range_and_sort() -> None:
    clock = ManualClock()
    app = _app(clock, job_duration=0.0)
    async with _client(app) as http:
        by_criteria = await _job(
            http, f"{P}/search_jobs", {"criteria": {"process_name": ["cmd.exe"]}, "rows": 10_000}
        )
        by_query = await _job(
            http, f"{P}/search_jobs", {"query": "process_name:cmd.exe", "rows": 10_000}
        )
        a = (await http.get(f"{P}/search_jobs/{by_criteria}/results")).json()
        b = (await http.get(f"{P}/search_jobs/{by_query}/results")).json()
        assert a["num_found"] == b["num_found"] > 0
        recent = await _job(
            http,
            f"{P}/search_jobs",
            {"criteria": {"process_name": ["cmd.exe"]}, "time_range": {"window": "-3d"}},
        )
        c = (await http.get(f"{P}/search_jobs/{recent}/results")).json()
        assert 0 < c["num_found"] < a["num_found"]
        ordered = await _job(
            http,
            f"{P}/search_jobs",
            {
                "query": "process_name:cmd.exe",
                "sort": [{"field": "process_pid", "order": "asc"}],
                "fields": ["*", "process_cmdline"],
            },
        )
        rows = (await http.get(f"{P}/search_jobs/{ordered}/results", params={"rows": 30})).json()[
            "results"
        ]
        pids = [r["process_pid"][0] for r in rows]
        assert pids == sorted(pids)
        assert all("process_cmdline" in r for r in rows)


async def test_process_summary_tree_details_and_events() -> None:
    clock = ManualClock()
    app = _app(clock, job_duration=0.0)
    async with _client(app) as http:
        job = await _job(http, f"{P}/search_jobs", {"query": "childproc_count:2", "rows": 5})
        proc = (await http.get(f"{P}/search_jobs/{job}/results")).json()["results"][0]
        guid = proc["process_guid"]
        summary_job = await _job(http, f"{P}/summary_jobs", {"process_guid": guid})
        summary = (
            await http.get(f"{P}/summary_jobs/{summary_job}/results", params={"format": "summary"})
        ).json()
        assert summary["exception"] == ""
        assert summary["summary"]["process"]["process_guid"] == guid
        assert len(summary["summary"]["children"]) == 2
        assert (
            summary["summary"]["parent"] is None
            or summary["summary"]["parent"]["process_guid"] == proc["parent_guid"]
        )
        tree_job = await _job(http, f"{P}/summary_jobs", {"process_guid": guid})
        tree = (
            await http.get(f"{P}/summary_jobs/{tree_job}/results", params={"format": "tree"})
        ).json()
        assert [c["parent_guid"] for c in tree["tree"]["children"]] == [guid, guid]
        missing_job = await _job(
            http, f"{P}/summary_jobs", {"process_guid": f"{ORG}-00000000-00000001-00000000-1"}
        )
        missing = (await http.get(f"{P}/summary_jobs/{missing_job}/results")).json()
        assert missing["exception"] == "NOT_FOUND"
        assert missing["contacted"] == missing["completed"]
        detail_job = await _job(http, f"{P}/detail_jobs", {"process_guids": [guid]})
        detail = (await http.get(f"{P}/detail_jobs/{detail_job}/results")).json()
        assert detail["num_found"] == 1
        assert detail["results"][0]["process_cmdline"]
        legacy = (
            await http.get(
                f"/threathunter/search/v1/orgs/{ORG}/processes/tree", params={"process_guid": guid}
            )
        ).json()
        assert legacy["incomplete_results"] is False
        assert len(legacy["nodes"]["children"]) == 2
        escaped = guid.replace("-", "\\-")  # carbon-black-cloud-sdk sends GUIDs Lucene-escaped
        events = (
            await http.post(
                f"{E}/{escaped}/_search",
                json={"criteria": {"event_type": ["childproc"]}, "rows": 100},
            )
        ).json()
        assert events["processed_segments"] == events["total_segments"]
        assert events["num_found"] == 2
        assert {e["childproc_guid"] for e in events["results"]} == {
            c["process_guid"] for c in summary["summary"]["children"]
        }
        every = (await http.post(f"{E}/{guid}/_search", json={"rows": 1000})).json()
        assert every["num_found"] == sum(
            proc[f"{t}_count"]
            for t in (
                "netconn",
                "filemod",
                "regmod",
                "modload",
                "crossproc",
                "childproc",
                "scriptload",
            )
        )
        facet = (
            await http.post(f"{E}/{guid}/_facet", json={"terms": {"fields": ["event_type"]}})
        ).json()
        assert sum(v["total"] for v in facet["terms"][0]["values"]) == every["num_found"]


async def test_process_facet_job_terms_and_ranges() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        job = await _job(
            http,
            f"{P}/facet_jobs",
            {
                "query": "device_os:WINDOWS",
                "terms": {"fields": ["process_name"], "rows": 3},
                "ranges": [{"field": "childproc_count", "start": 0, "end": 3, "bucket_size": 1}],
            },
        )
        early = (await http.get(f"{P}/facet_jobs/{job}/results")).json()
        assert early["terms"] == []
        clock.advance(10)
        done = (await http.get(f"{P}/facet_jobs/{job}/results")).json()
        values = done["terms"][0]["values"]
        assert len(values) == 3
        assert values[0]["total"] >= values[1]["total"] >= values[2]["total"]
        buckets = done["ranges"][0]["values"]
        assert sum(b["total"] for b in buckets) == done["num_found"]
        assert (await http.post(f"{P}/facet_jobs", json={"query": "x"})).status_code == 400


# ------------------------------------------------------------------------------------ auth events


async def test_auth_events_quick_start_flow() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        job = await _job(
            http,
            f"{A}/search_jobs",
            {"query": "auth_username:SYSTEM", "time_range": {"window": "-10w"}},
        )
        assert job.endswith("-sqs")
        clock.advance(10)
        page = (await http.get(f"{A}/search_jobs/{job}/results", params={"rows": 1})).json()
        assert page["contacted"] == page["completed"]
        assert page["num_available"] == min(page["num_found"], 500)
        event = page["results"][0]
        assert event["auth_username"] == "SYSTEM"
        assert set(event) == {
            "auth_domain_name", "auth_event_action", "auth_remote_device", "auth_remote_port",
            "auth_username", "backend_timestamp", "childproc_count", "crossproc_count",
            "device_group_id", "device_id", "device_name", "device_policy_id", "device_timestamp",
            "event_id", "filemod_count", "ingress_time", "modload_count", "netconn_count", "org_id",
            "parent_guid", "parent_pid", "process_guid", "process_hash", "process_name",
            "process_pid", "process_username", "regmod_count", "scriptload_count", "windows_event_id",
        }  # fmt: skip
        detail_job = await _job(http, f"{A}/detail_jobs", {"event_ids": [event["event_id"]]})
        clock.advance(10)
        detail = (await http.get(f"{A}/detail_jobs/{detail_job}/results")).json()
        assert detail["num_found"] == 1
        full = detail["results"][0]
        assert full["event_id"] == event["event_id"]
        assert {
            "auth_logon_type",
            "auth_user_id",
            "process_privileges",
            "device_os",
            "parent_hash",
        } <= set(full)
        both = await http.post(f"{A}/detail_jobs", json={"event_ids": ["x"], "alert_id": "y"})
        assert both.status_code == 400


async def test_auth_event_groups_facets_and_helpers() -> None:
    clock = ManualClock()
    app = _app(clock, job_duration=0.0)
    async with _client(app) as http:
        job = await _job(http, f"{A}/search_jobs", {"query": "windows_event_id:4624", "rows": 2000})
        total = (await http.get(f"{A}/search_jobs/{job}/results")).json()["num_found"]
        groups = (
            await http.post(
                f"{A}/search_jobs/{job}/group_results",
                json={"fields": ["auth_username"], "rows": 500},
            )
        ).json()
        assert sum(g["total_events"] for g in groups["group_results"]) == total
        assert all(g["group_key"] == "auth_username" for g in groups["group_results"])
        capped = (
            await http.post(
                f"{A}/search_jobs/{job}/group_results",
                json={"fields": ["device_name"], "max_events_per_group": 1, "rows": 2},
            )
        ).json()
        assert len(capped["group_results"]) == 2
        assert all(len(g["results"]) == 1 for g in capped["group_results"])
        timed = (
            await http.post(
                f"{A}/search_jobs/{job}/group_results",
                json={
                    "fields": ["device_name"],
                    "range": {"duration": "1h", "field": "device_timestamp", "method": "bucket"},
                },
            )
        ).json()
        assert timed["groups_num_available"] > capped["groups_num_available"]
        facet_job = await _job(
            http,
            f"{A}/facet_jobs",
            {
                "query": "auth_username:Administrator",
                "terms": {"fields": ["windows_event_id", "auth_logon_type"], "rows": 5},
            },
        )
        facets = (await http.get(f"{A}/facet_jobs/{facet_job}/results")).json()
        assert {t["field"] for t in facets["terms"]} == {"windows_event_id", "auth_logon_type"}
        descriptions = (await http.get(f"{A}/descriptions")).json()
        assert descriptions["event"]["4624"] == "An account was successfully logged on"
        assert (
            descriptions["auth_event_action"]["PRIVILEGES_GRANTED"]
            == "Special privileges assigned to new logon"
        )
        suggestions = (
            await http.get(f"{A}/search_suggestions", params={"suggest.q": "auth_user"})
        ).json()["suggestions"]
        assert {s["term"] for s in suggestions} == {"auth_user_id", "auth_username"}
        assert all(s["required_skus_all"] == ["auth"] for s in suggestions)
        assert (
            await http.get(f"{A}/search_suggestions", params={"suggest.q": "auth_username:x"})
        ).json()["suggestions"] == []
        valid = (
            await http.get(
                f"{A}/search_validation",
                params={"q": "(auth_username:Administrator)AND(device_name:test)"},
            )
        ).json()
        assert valid == {"valid": True, "value_search_query": False}
