"""EDR routes over httpx.ASGITransport: request shapes in, server-shaped answers out."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cbasync.testing import EmulatorConfig, ManualClock, create_app
from cbasync.testing.app import EmulatorApp

pytestmark = pytest.mark.anyio

SMALL: dict[str, Any] = {"processes": 4_000, "devices": 12, "binaries": 300, "alerts": 60}


def _app(**config: Any) -> EmulatorApp:
    merged = {**SMALL, **config}
    return create_app(EmulatorConfig(**merged), clock=ManualClock(), modules=["edr"])


@pytest.fixture
def app() -> EmulatorApp:
    return _app()


@pytest.fixture
async def http(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://cbserver",
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


async def _json(http: httpx.AsyncClient, method: str, url: str, **kw: Any) -> Any:
    r = await http.request(method, url, **kw)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    return r.json()


# --- server and processes ----------------------------------------------------------------------


async def test_info_reports_version_and_live_response(http: httpx.AsyncClient) -> None:
    info = await _json(http, "GET", "/api/info")
    assert info["version"] == "7.7.0.0"
    assert info["cblrEnabled"] is True


async def test_process_search_envelope_and_paging(http: httpx.AsyncClient) -> None:
    first = await _json(http, "GET", "/api/v1/process", params={"q": "", "cb.urlver": 1})
    assert len(first["results"]) == 10  # rows defaults to 10
    for key in (
        "terms",
        "highlights",
        "facets",
        "start",
        "elapsed",
        "tagged_pids",
        "filtered",
        "comprehensive_search",
        "incomplete_results",
    ):
        assert key in first
    total = first["total_results"]
    seen: list[str] = []
    start = 0
    while start < total:
        page = await _json(
            http, "GET", "/api/v1/process", params={"q": "", "start": start, "rows": 500}
        )
        assert page["start"] == start
        seen.extend(r["unique_id"] for r in page["results"])
        start += 500
    assert len(seen) == len(set(seen)) == total
    last_updates = [r["last_update"] for r in first["results"]]
    assert last_updates == sorted(last_updates, reverse=True)


async def test_process_search_query_sort_and_terms(http: httpx.AsyncClient) -> None:
    body = await _json(
        http,
        "GET",
        "/api/v1/process",
        params={"q": "process_name:svchost.exe", "rows": 50, "sort": "start asc"},
    )
    assert body["total_results"] > 0
    assert body["terms"] == ["process_name:svchost.exe"]
    assert {r["process_name"] for r in body["results"]} == {"svchost.exe"}
    starts = [r["start"] for r in body["results"]]
    assert starts == sorted(starts)
    assert any("PREPREPREsvchost.exePOSTPOSTPOST" in h["name"] for h in body["highlights"])


async def test_malformed_query_is_400_query_malformed_syntax(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/v1/process", params={"q": "process_name:(cmd.exe"})
    assert r.status_code == 400
    assert r.json()["reason"] == "query_malformed_syntax"
    r = await http.get("/api/v1/process", params={"q": "", "rows": 20_000})
    assert r.status_code == 400


async def test_facets_have_name_value_percent_ratio(http: httpx.AsyncClient) -> None:
    body = await _json(
        http,
        "GET",
        "/api/v1/process",
        params=[
            ("q", ""),
            ("rows", 0),
            ("facet", "true"),
            ("facet.field", "process_name"),
            ("facet.field", "hostname"),
            ("facet.field", "hour_of_day"),
        ],
    )
    assert body["results"] == []
    names = body["facets"]["process_name"]
    assert names
    top = names[0]["value"]
    total = sum(e["value"] for e in names)
    for entry in names:
        assert set(entry) == {"name", "value", "percent", "ratio"}
        assert entry["percent"] == round(entry["value"] * 100 / top)
        assert entry["ratio"] == f"{entry['value'] * 100 / total:.1f}"
    assert len(body["facets"]["hour_of_day"]) <= 24
    assert sum(e["value"] for e in body["facets"]["hostname"]) == body["total_results"]


async def test_group_by_id_and_time_filters(app: EmulatorApp, http: httpx.AsyncClient) -> None:
    grouped = await _json(
        http, "GET", "/api/v1/process", params={"q": "", "cb.group": "id", "rows": 0}
    )
    assert grouped["total_results"] == app.config.processes
    everything = await _json(http, "GET", "/api/v1/process", params={"q": "", "rows": 0})
    assert everything["total_results"] > grouped["total_results"]
    probe = await _json(http, "GET", "/api/v1/process", params={"q": "", "rows": 1, "start": 99})
    cut = probe["results"][0]["last_update"]
    recent = await _json(
        http, "GET", "/api/v1/process", params={"q": "", "rows": 0, "cb.min_last_update": cut}
    )
    assert recent["total_results"] == 100
    server = await _json(
        http,
        "GET",
        "/api/v1/process",
        params={
            "q": "",
            "rows": 0,
            "cb.min_last_server_update": probe["results"][0]["last_server_update"],
        },
    )
    assert server["total_results"] == 100


async def _a_process(
    http: httpx.AsyncClient, q: str = "process_name:explorer.exe"
) -> dict[str, Any]:
    body = await _json(http, "GET", "/api/v1/process", params={"q": q, "rows": 1})
    assert body["results"], q
    return dict(body["results"][0])


async def test_summary_v1_and_v2(http: httpx.AsyncClient) -> None:
    proc = await _a_process(http, "process_name:cmd.exe parent_name:explorer.exe")
    v1 = await _json(http, "GET", f"/api/v1/process/{proc['id']}/{proc['segment_id']}")
    assert v1["process"]["id"] == proc["id"]
    assert v1["parent"]["id"] == proc["parent_id"]
    assert "siblings" in v1
    assert all(c["parent_id"] == proc["id"] for c in v1["children"])
    v2 = await _json(http, "GET", f"/api/v2/process/{proc['id']}/0")
    assert "siblings" not in v2
    parent = await _json(http, "GET", f"/api/v1/process/{proc['parent_id']}/0?children=1")
    assert len(parent["children"]) == 1
    r = await http.get("/api/v1/process/00000001-0000-0000-0000-000000000000/0")
    assert r.status_code == 404


async def test_segments_and_events_in_every_version(http: httpx.AsyncClient) -> None:
    proc = await _a_process(http, "process_name:explorer.exe")
    segs = await _json(http, "GET", f"/api/v1/process/{proc['id']}/segment")
    segments = segs["process"]["segments"]
    assert any(s["unique_id"] == proc["unique_id"] for s in segments)
    v1 = (await _json(http, "GET", f"/api/v1/process/{proc['id']}/0/event"))["process"]
    for entry in v1["modload_complete"]:
        assert len(entry.split("|")) == 3
    for entry in v1["netconn_complete"]:
        assert len(entry.split("|")) == 6
    for entry in v1["childproc_complete"]:
        assert len(entry.split("|")) == 7
    v2 = (await _json(http, "GET", f"/api/v2/process/{proc['id']}/0/event"))["process"]
    if v2["netconn_complete"]:
        assert isinstance(v2["netconn_complete"][0]["remote_ip"], int)
    v3 = (await _json(http, "GET", f"/api/v3/process/{proc['id']}/0/event"))["process"]
    assert v3["childproc_complete"]
    assert {"processId", "pid", "is_suppressed", "type", "md5"} <= set(v3["childproc_complete"][0])
    v4 = (await _json(http, "GET", f"/api/v4/process/{proc['id']}/0/event"))["process"]
    if v4["netconn_complete"]:
        assert isinstance(v4["netconn_complete"][0]["remote_ip"], str)
    total = sum(len(v) for k, v in v4.items() if k.endswith("_complete"))
    window = (
        await _json(
            http,
            "GET",
            f"/api/v4/process/{proc['id']}/0/event",
            params={"cb.event_start": 2, "cb.event_count": 3},
        )
    )["process"]
    assert sum(len(v) for k, v in window.items() if k.endswith("_complete")) == min(3, total - 2)


async def test_preview_highlights(http: httpx.AsyncClient) -> None:
    proc = await _a_process(http, "process_name:explorer.exe")
    body = await _json(
        http, "GET", f"/api/v1/process/{proc['id']}/0/preview/", params={"q": "windows"}
    )
    assert body["process_name"] == "explorer.exe"
    assert any("PREPREPREwindowsPOSTPOSTPOST" in e for e in body["modload_complete"])


async def test_v6_stream_lifecycle(http: httpx.AsyncClient) -> None:
    proc = await _a_process(http, "process_name:explorer.exe")
    created = await _json(
        http,
        "POST",
        "/api/v6/process/stream",
        json={"process_id": proc["id"], "segment_id": proc["segment_id"], "persistent": True},
    )
    sid = created["stream_id"]
    page = await _json(http, "GET", f"/api/v6/process/stream/{sid}", params={"rows": 5})
    assert set(page) >= {"status_fw", "status_bw", "ref_segment_id", "cur_segment_id", "events"}
    patched = await _json(
        http,
        "PATCH",
        f"/api/v6/process/stream/{sid}",
        params={"rows": 100},
        json={"criteria": {"event_type": ["childproc"]}},
    )
    assert {e["type"] for e in patched["events"]} <= {"childproc"}
    deleted = await _json(http, "POST", f"/api/v6/process/stream/{sid}")
    assert deleted == {"result": "success"}
    assert (await http.get(f"/api/v6/process/stream/{sid}")).status_code == 404


async def test_v6_metadata_verify_segment_bulk(http: httpx.AsyncClient) -> None:
    proc = await _a_process(http, "process_name:explorer.exe")
    meta = (await _json(http, "GET", f"/api/v6/process/{proc['id']}/metadata"))["process_metadata"]
    assert meta["id"] == proc["id"]
    assert isinstance(meta["process_pid"], list)
    verify = await _json(http, "GET", f"/api/v6/process/{proc['id']}/{proc['segment_id']}/verify")
    assert verify == {"segment_id": proc["segment_id"]}
    other = await _json(http, "GET", f"/api/v6/process/{proc['id']}/12345/verify")
    assert other["segment_id"] != 12345
    r = await http.get(
        f"/api/v6/process/{proc['id']}/0/segment", headers={"Accept": "application/x-ndjson"}
    )
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert all("segments" in line["process"] for line in lines)
    bulk = await _json(http, "GET", f"/api/v6/process/{proc['id']}/{proc['segment_id']}/bulk")
    assert bulk["facets"]["num_found"] >= 0
    assert bulk["partial_results"] is False


# --- binaries --------------------------------------------------------------------------------


async def test_binary_search_summary_download_icon(http: httpx.AsyncClient) -> None:
    body = await _json(http, "GET", "/api/v1/binary", params={"q": "notepad.exe", "rows": 5})
    assert body["total_results"] == 1
    binary = body["results"][0]
    md5 = binary["md5"]
    assert md5 == md5.upper()
    summary = await _json(http, "GET", f"/api/v1/binary/{md5}/summary")
    assert summary["observed_filename"] == ["c:\\windows\\system32\\notepad.exe"]
    assert summary["digsig_result"] == "Signed"
    lower = await _json(http, "GET", f"/api/v1/binary/{md5.lower()}/summary")
    assert lower["md5"] == md5
    r = await http.get(f"/api/v1/binary/{md5}")
    assert r.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    assert zf.read("filedata")[:2] == b"MZ"
    assert b"Md5: " + md5.encode() in zf.read("metadata")
    icon = await http.get(f"/api/v1/binary/{md5}/icon")
    assert icon.content.startswith(b"\x89PNG")
    assert (await http.get("/api/v1/binary/" + "0" * 32 + "/summary")).status_code == 404


# --- alerts ------------------------------------------------------------------------------------


async def test_alert_search_update_and_bulk(http: httpx.AsyncClient) -> None:
    body = await _json(http, "GET", "/api/v2/alert", params={"q": "status:Unresolved", "rows": 5})
    assert body["total_results"] > 0
    alert = body["results"][0]
    single = await _json(http, "GET", f"/api/v2/alert?cb.fq.unique_id={alert['unique_id']}")
    assert [a["unique_id"] for a in single["results"]] == [alert["unique_id"]]
    updated = await _json(
        http,
        "POST",
        f"/api/v1/alert/{alert['unique_id']}",
        json={"unique_id": alert["unique_id"], "status": "Resolved"},
    )
    assert updated["status"] == "Resolved"
    bad = await http.post(f"/api/v1/alert/{alert['unique_id']}", json={"status": "Bogus"})
    assert bad.status_code == 400
    ids = [a["unique_id"] for a in body["results"][1:3]]
    ok = await _json(
        http,
        "POST",
        "/api/v1/alerts",
        json={"alert_ids": ids, "requested_status": "In Progress", "assigned_to": "bob"},
    )
    assert ok == {"result": "success"}
    check = await _json(http, "GET", "/api/v2/alert", params={"q": "assigned_to:bob", "rows": 10})
    assert sorted(a["unique_id"] for a in check["results"]) == sorted(ids)
    missing = await http.post("/api/v1/alerts", json={"alert_ids": ids, "assigned_to": "x"})
    assert missing.status_code == 400


# --- sensors and groups -----------------------------------------------------------------------


async def test_sensor_listing_filters(app: EmulatorApp, http: httpx.AsyncClient) -> None:
    everything = await _json(http, "GET", "/api/v1/sensor")
    assert len(everything) == app.config.devices
    ep = app.state.endpoints[0]
    by_name = await _json(http, "GET", "/api/v1/sensor", params={"hostname": ep.hostname[:9]})
    assert ep.sensor_id in [s["id"] for s in by_name]
    mixed = ep.hostname[:3].lower() + ep.hostname[3:]  # case-sensitive: matches neither name
    assert await _json(http, "GET", "/api/v1/sensor", params={"hostname": mixed}) == []
    by_ip = await _json(http, "GET", "/api/v1/sensor", params={"ip": ep.internal_ip})
    assert [s["id"] for s in by_ip] == [ep.sensor_id]
    by_group = await _json(http, "GET", "/api/v1/sensor", params={"groupid": ep.group_id})
    assert all(s["group_id"] == ep.group_id for s in by_group)
    sensor = await _json(http, "GET", f"/api/v1/sensor/{ep.sensor_id}")
    assert sensor["network_adapters"] == f"{ep.internal_ip},{ep.mac_compact}|"
    assert sensor["status"] == "Online"


async def test_sensor_paged_listing(app: EmulatorApp, http: httpx.AsyncClient) -> None:
    names: list[str] = []
    for start in range(0, app.config.devices, 5):
        page = await _json(
            http,
            "GET",
            "/api/v2/sensor",
            params={"start": start, "rows": 5, "sort.col": "computer_name", "sort.dir": "asc"},
        )
        assert page["total_results"] == app.config.devices
        names.extend(s["computer_name"] for s in page["results"])
    assert names == sorted(names, key=str.lower)
    facets = await _json(
        http,
        "GET",
        "/api/v2/sensor",
        params={"rows": 100, "facet": "true", "facet.field": "status"},
    )
    assert {e["name"] for e in facets["facets"]["status"]} <= {"Online", "Offline"}


async def test_sensor_isolation_over_http(app: EmulatorApp, http: httpx.AsyncClient) -> None:
    r = await http.put("/api/v1/sensor/1", json={"network_isolation_enabled": True})
    assert r.status_code == 204
    sensor = await _json(http, "GET", "/api/v1/sensor/1")
    assert (sensor["network_isolation_enabled"], sensor["is_isolating"]) == (True, False)
    assert isinstance(app.clock, ManualClock)
    app.clock.advance(app.config.isolation_delay)
    assert (await _json(http, "GET", "/api/v1/sensor/1"))["is_isolating"] is True
    assert app.counters.events["sensor.isolate"] == 1
    flush = await http.put(
        "/api/v1/sensor/1", json={"event_log_flush_time": "Wed, 01 Jan 2031 00:00:00 GMT"}
    )
    assert flush.status_code == 204
    assert (await _json(http, "GET", "/api/v1/sensor/1"))["event_log_flush_time"].startswith("Wed")


async def test_sensor_statistics_and_subresources(http: httpx.AsyncClient) -> None:
    stats = await _json(http, "GET", "/api/v1/sensor/statistics")
    assert set(stats) == {
        "sensor_count",
        "active_sensor_count",
        "num_eventlog_bytes",
        "num_storefile_bytes",
    }
    for sub in ("queued", "activity", "resourcestatus"):
        assert isinstance(await _json(http, "GET", f"/api/v1/sensor/1/{sub}"), list)
    assert (await http.get("/api/v1/sensor/9999")).status_code == 404


async def test_groups_and_installers(http: httpx.AsyncClient) -> None:
    created = await _json(
        http, "POST", "/api/v3/group", json={"id": None, "name": "Kiosks", "site_id": 1}
    )
    gid = created["id"]
    one = await _json(http, "GET", f"/api/v3/group/{gid}")
    assert isinstance(one, list)
    assert one[0]["name"] == "Kiosks"
    dup = await http.post("/api/group", json={"name": "Kiosks"})
    assert dup.status_code == 409
    win = await http.get(f"/api/v1/group/{gid}/installer/windows/exe")
    assert win.headers["content-type"] == "application/zip"
    assert "sensorsettings.ini" in zipfile.ZipFile(io.BytesIO(win.content)).namelist()
    linux = await http.get(f"/api/v1/group/{gid}/installer/linux")
    with tarfile.open(fileobj=io.BytesIO(linux.content), mode="r:gz") as tar:
        names = tar.getnames()
    assert "sensorsettings.ini" in names
    assert (await _json(http, "DELETE", f"/api/group/{gid}")) == {"result": "success"}
    assert (await http.get(f"/api/group/{gid}")).status_code == 404


# --- banning, watchlists, feeds, reports ------------------------------------------------------


async def test_banning_under_both_route_names(http: httpx.AsyncClient) -> None:
    md5 = "f41d8cd98f00b214e9800998ecf8427e"
    created = await _json(
        http,
        "POST",
        "/api/v1/banning/bannedlist",
        json={
            "md5hash": md5,
            "text": "autoban",
            "last_ban_time": "0",
            "ban_count": "0",
            "last_ban_host": "0",
            "enabled": "True",
        },
    )
    assert created == {"result": "success"}
    again = await http.post("/api/v1/banning/blacklist", json={"md5hash": md5, "text": "x"})
    assert again.status_code == 409
    record = await _json(http, "GET", f"/api/v1/banning/blacklist/{md5}")
    assert record["enabled"] is True
    await _json(http, "DELETE", f"/api/v1/banning/bannedlist/{md5}")
    disabled = await _json(http, "GET", f"/api/v1/banning/bannedlist/{md5}")
    assert (disabled["enabled"], disabled["text"]) == (False, "")
    listing = await _json(http, "GET", "/api/v1/banning/blacklist?count=10000")
    assert md5 in [b["md5hash"] for b in listing]
    assert (
        await http.post("/api/v1/banning/bannedlist", json={"md5hash": "nope"})
    ).status_code == 400


async def test_pre_77_server_uses_only_the_old_names() -> None:
    app = _app(server_version="7.6.1.0")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://cbserver",
        headers={"X-Auth-Token": app.config.token},
    ) as http:
        assert (await http.get("/api/v1/banning/blacklist")).status_code == 200
        assert (await http.get("/api/v1/banning/bannedlist")).status_code == 404
        assert (await http.get("/api/v1/ingress_whitelist")).status_code == 200
        assert (await http.get("/api/v1/ingress_approvedlist")).status_code == 404


async def test_strict_77_server_drops_the_old_names() -> None:
    app = _app(legacy_route_aliases=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://cbserver",
        headers={"X-Auth-Token": app.config.token},
    ) as http:
        assert (await http.get("/api/v1/banning/blacklist")).status_code == 404
        assert (await http.get("/api/v1/banning/bannedlist")).status_code == 200


async def test_watchlist_crud_and_action_types(http: httpx.AsyncClient) -> None:
    listed = await _json(http, "GET", "/api/v1/watchlist")
    assert all(isinstance(w["id"], str) for w in listed)
    created = await _json(
        http,
        "POST",
        "/api/v1/watchlist/",
        json={
            "name": "sm-test",
            "search_query": "q=process_name%3Achrome.exe",
            "description": "",
            "index_type": "events",
        },
    )
    wid = created["id"]
    assert isinstance(wid, int)
    record = await _json(http, "GET", f"/api/v1/watchlist/{wid}")
    assert record["name"] == "sm-test"
    assert (await _json(http, "PUT", f"/api/v1/watchlist/{wid}", json={"enabled": False})) == {
        "result": "success"
    }
    assert (await _json(http, "GET", f"/api/v1/watchlist/{wid}"))["enabled"] is False
    bad = await http.post(
        "/api/v1/watchlist", json={"name": "x", "search_query": "q=process_name%3A(broken"}
    )
    assert bad.status_code == 400
    types = await _json(http, "GET", f"/api/v1/watchlist/{wid}/action_type")
    assert {t["action_type"] for t in types} == {"email", "syslog", "alert"}
    await _json(http, "PUT", f"/api/v1/watchlist/{wid}/action_type/email", json={"enabled": True})
    assert await _json(http, "GET", f"/api/v1/watchlist/{wid}/action_type/email") == {
        "enabled": True
    }
    assert (await _json(http, "DELETE", f"/api/v1/watchlist/{wid}")) == {"result": "success"}
    assert (await http.get(f"/api/v1/watchlist/{wid}")).status_code == 404


async def test_feeds_reports_and_synchronize(http: httpx.AsyncClient) -> None:
    feeds = await _json(http, "GET", "/api/v1/feed")
    disabled = next(f for f in feeds if not f["enabled"])
    enabled = next(f for f in feeds if f["enabled"] and f["name"] == "SOC")
    assert (
        await http.post(f"/api/v1/feed/{disabled['id']}/synchronize", json={"full_sync": True})
    ).status_code == 409
    ok = await _json(
        http, "POST", f"/api/v1/feed/{enabled['id']}/synchronize", json={"full_sync": False}
    )
    assert ok == {"result": "success"}
    reports = await _json(
        http, "GET", "/api/v1/threat_report", params={"q": f"feed_id:{enabled['id']}", "rows": 100}
    )
    assert reports["total_results"] == len(reports["results"]) > 0
    report = reports["results"][0]
    single = await _json(http, "GET", f"/api/v1/feed/{enabled['id']}/report/{report['id']}")
    assert single["_internal_id"] == report["_internal_id"]
    await _json(
        http,
        "POST",
        "/api/v1/threat_report",
        json={"ids": {str(enabled["id"]): [report["id"]]}, "updates": {"is_ignored": True}},
    )
    assert (await _json(http, "GET", f"/api/v1/feed/{enabled['id']}/report/{report['id']}"))[
        "is_ignored"
    ]
    created = await _json(
        http,
        "POST",
        "/api/v1/feed",
        json={"feed_url": "https://intel.example.com/feed.json", "name": "intel"},
    )
    assert created["manually_added"] is True
    assert (await http.post("/api/v1/feed", json={"feed_url": "ftp://x"})).status_code == 400
    await _json(http, "DELETE", f"/api/v1/feed/{created['id']}")
    assert (await http.get(f"/api/v1/feed/{created['id']}")).status_code == 404


# --- administration ----------------------------------------------------------------------------


async def test_users_and_teams(http: httpx.AsyncClient) -> None:
    team = await _json(
        http,
        "POST",
        "/api/team",
        json={
            "name": "Night shift",
            "group_access": [{"group_id": 1, "access_category": "Viewer"}],
        },
    )
    created = await _json(
        http,
        "POST",
        "/api/user",
        json={
            "username": "jdoe",
            "first_name": "J",
            "last_name": "Doe",
            "email": "j@x",
            "password": "pw",
            "global_admin": False,
            "teams": [team["id"]],
            "id": None,
        },
    )
    assert created == {"result": "success"}
    user = await _json(http, "GET", "/api/user/jdoe")
    assert user["teams"] == [{"id": team["id"], "name": "Night shift"}]
    assert "password" not in user
    assert (
        await http.post(
            "/api/user",
            json={
                "username": "jdoe",
                "first_name": "a",
                "last_name": "b",
                "email": "c",
                "password": "d",
            },
        )
    ).status_code == 409
    await _json(http, "PUT", "/api/user/jdoe", json={"email": "new@x"})
    assert (await _json(http, "GET", "/api/user/jdoe"))["email"] == "new@x"
    assert "jdoe" in [u["username"] for u in await _json(http, "GET", "/api/users")]
    await _json(http, "DELETE", "/api/user/jdoe")
    assert (await http.get("/api/user/jdoe")).status_code == 404
    assert team["id"] in [t["id"] for t in await _json(http, "GET", "/api/teams")]


async def test_partitions_lifecycle(http: httpx.AsyncClient) -> None:
    parts = await _json(http, "GET", "/api/v1/storage/events/partition")
    cold = next(name for name, p in parts.items() if p["status"] == "cold")
    assert "numDocs" not in parts[cold]["info"]
    await _json(http, "POST", f"/api/v1/storage/events/{cold}/mount")
    assert (await _json(http, "GET", "/api/v1/storage/events/partition"))[cold]["status"] == "warm"
    assert (await http.post(f"/api/v1/storage/events/{cold}/mount")).status_code == 409
    await _json(http, "POST", f"/api/v1/storage/events/{cold}/unmount")
    result = await _json(http, "POST", "/api/v1/storage/events/new_partition")
    assert "results" in result
    assert (await http.delete("/api/v1/storage/events/writer")).status_code == 409
    await _json(http, "DELETE", f"/api/v1/storage/events/{cold}")
    assert cold not in await _json(http, "GET", "/api/v1/storage/events/partition")


async def test_ingress_filters(http: httpx.AsyncClient) -> None:
    ids = await _json(
        http,
        "POST",
        "/api/v1/ingress_approvedlist",
        json=[{"id": "test2", "enabled": True, "path_filters": ["c:\\\\tmp"], "group_ids": [1]}],
    )
    assert ids == ["test2"]
    again = await http.post("/api/v1/ingress_whitelist", json=[{"id": "test2"}])
    assert again.status_code == 409
    updated = await _json(
        http, "PUT", "/api/v1/ingress_approvedlist/test2", json=[{"os_mask": 1, "global": False}]
    )
    assert updated["os_mask"] == 1
    record = await _json(http, "GET", "/api/v1/ingress_whitelist/test2")
    assert record["filter_on_server"] is True  # defaults filled in
    legacy = await _json(http, "GET", "/api/v1/ingress_approvedlist/legacy")
    assert any(f["id"] == "test2" for f in legacy)
    await _json(http, "DELETE", "/api/v1/ingress_approvedlist/test2")
    assert (await http.get("/api/v1/ingress_approvedlist/test2")).status_code == 404


async def test_approved_ips(http: httpx.AsyncClient) -> None:
    assert await _json(http, "GET", "/api/v1/approvedlist/entries") == []
    single = await _json(http, "POST", "/api/approvedlist/entries", json={"ipaddr": "192.168.0.1"})
    bulk = await _json(
        http, "POST", "/api/v1/approvedlist/entries", json={"ipaddr": ["10.0.0.0/8", "192.168.0.1"]}
    )
    assert bulk[1] == single
    listed = await _json(http, "GET", "/api/v1/approvedlist/entries")
    assert {e["ipaddr"] for e in listed} == {"192.168.0.1", "10.0.0.0/8"}
    bad = await http.post("/api/v1/approvedlist/entries", json={"ipaddr": "300.1.1.1"})
    assert bad.status_code == 400
    assert (await http.delete(f"/api/v1/approvedlist/entries/{single}")).status_code == 204
    assert await _json(http, "GET", "/api/approvedlist/enabled") == {"state": False}
    assert (await http.patch("/api/approvedlist/enabled", json={"state": True})).status_code == 204
    assert await _json(http, "GET", "/api/approvedlist/enabled") == {"state": True}


async def test_license_settings_and_misc(http: httpx.AsyncClient) -> None:
    lic = await _json(http, "GET", "/api/v1/license")
    assert {
        "license_valid",
        "license_end_date",
        "licensed_sensor_count",
        "server_token",
        "license_expired",
        "actual_sensor_count",
        "license_request_block",
    } <= set(lic)
    assert (await http.post("/api/license", json={"license": "garbage"})).status_code == 400
    ok = await _json(http, "POST", "/api/license", json={"license": "-----BEGIN CB LICENSE-----"})
    assert ok == {"status": "success"}
    await _json(
        http,
        "POST",
        "/api/v1/settings/global/platformserver",
        json={
            "server_url": "appcontrol.acme.local",
            "auth_token": "secret",
            "watchlist_export": "true",
        },
    )
    settings = await _json(http, "GET", "/api/v1/settings/global/platformserver")
    assert settings["server_url"] == "appcontrol.acme.local"
    assert "auth_token" not in settings
    assert "Windows" in await _json(http, "GET", "/api/v2/builds")
    assert "sensor_count" in await _json(http, "GET", "/api/v1/dashboard/statistics")
    count = await _json(
        http,
        "GET",
        "/api/v1/process/host/count",
        params={"cb.freqver": 1, "name": "md5", "md5": "0" * 32},
    )
    assert count["globalCount"] == 0
