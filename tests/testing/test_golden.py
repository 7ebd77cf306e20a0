"""Byte-identical answers: a fixed seed replays a sample of every route family against fixtures.

The emulator is reshaped from time to time (issue 12 split its largest modules); a reshaping must
not change what a client sees. Each scenario below builds a fresh app from a fixed configuration on
a :class:`~cbasync.testing.ManualClock`, sends a few requests (each answer may feed the next, e.g.
a job id or a session id) and compares every answer — status, headers and body bytes — with the
fixture recorded from the code before the change (``tests/testing/data/golden/<scenario>.json``).
The route table itself (order, methods, paths) is compared too, since Starlette tries routes in
order.

What is not the seed's to decide is pinned here, not normalised away: ``uuid.uuid4`` (search-job
and stored-file ids) and ``secrets.token_urlsafe`` (storage tokens) give a counted sequence. Only
the server's own wall time is blanked: the ``elapsed`` field of EDR and Defense envelopes (so the
``Content-Length`` header, which follows it, is left to the body comparison) and the timestamp in
the header of a gzip body (the Linux sensor installer).

Re-record (only when a behaviour change is intended, and say so in the commit)::

    .nox/tests/bin/python tests/testing/test_golden.py --record
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
import secrets
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from cbasync.testing import EmulatorConfig, ManualClock, create_app
from cbasync.testing.app import EmulatorApp
from cbasync.testing.dataset.endpoints import DEVICE_ID_BASE

GOLDEN = Path(__file__).parent / "data" / "golden"
ORG = "EMU12345"
_ELAPSED = re.compile(rb'"elapsed":[-+0-9.eE]+')
# Bodies up to this size are kept as text in the fixture, so a failing comparison shows a diff.
_TEXT_LIMIT = 64 * 1024


class Replay:
    """Sends requests to one app and keeps what came back, in order."""

    def __init__(self, app: EmulatorApp, clock: ManualClock, http: httpx.AsyncClient) -> None:
        self.app = app
        self.clock = clock
        self.http = http
        self.records: list[dict[str, Any]] = []

    async def call(self, name: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        r = await self.http.request(method, url, **kwargs)
        body = _ELAPSED.sub(b'"elapsed":0', r.content)
        if body[:2] == b"\x1f\x8b":
            body = body[:4] + b"\0\0\0\0" + body[8:]  # gzip's header stamps the wall clock
        record: dict[str, Any] = {
            "name": name,
            "request": f"{method} {r.request.url.raw_path.decode()}",
            "status": r.status_code,
            # The length on the wire follows ``elapsed`` (and gzip); the body's own is compared.
            "headers": sorted(
                [k.lower(), v] for k, v in r.headers.items() if k != "content-length"
            ),
            "sha256": hashlib.sha256(body).hexdigest(),
            "length": len(body),
        }
        if len(body) <= _TEXT_LIMIT:
            try:
                record["text"] = body.decode("utf-8")
            except UnicodeDecodeError:
                record["base64"] = base64.b64encode(body).decode("ascii")
        self.records.append(record)
        return r

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


Scenario = Callable[[Replay], Awaitable[None]]

# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------

EDR_CONFIG = {"processes": 3_000, "devices": 12, "binaries": 200, "alerts": 40}


async def edr(rp: Replay) -> None:
    await rp.call("info", "GET", "/api/info")
    page = await rp.call(
        "process page",
        "GET",
        "/api/v1/process",
        params={"q": "process_name:svchost.exe", "rows": 20, "sort": "start asc"},
    )
    await rp.call(
        "process facets",
        "GET",
        "/api/v1/process",
        params=[
            ("q", "hostname:*"),
            ("rows", "5"),
            ("facet", "true"),
            ("facet.field", "process_name"),
            ("facet.field", "hour_of_day"),
            ("cb.group", "id"),
        ],
    )
    await rp.call("process bad query", "GET", "/api/v1/process", params={"q": "process_name:("})
    doc = page.json()["results"][3]
    guid, seg = doc["id"], doc["segment_id"]
    await rp.call("process summary v1", "GET", f"/api/v1/process/{guid}/{seg}")
    await rp.call("process summary v2", "GET", f"/api/v2/process/{guid}/0")
    await rp.call("segments", "GET", f"/api/v1/process/{guid}/segment")
    await rp.call(
        "events v4", "GET", f"/api/v4/process/{guid}/{seg}/event", params={"cb.event_count": 30}
    )
    await rp.call("events v1", "GET", f"/api/v1/process/{guid}/0/event")
    await rp.call("preview", "GET", f"/api/v1/process/{guid}/{seg}/preview", params={"q": "exe"})
    await rp.call("metadata v6", "GET", f"/api/v6/process/{guid}/metadata")
    await rp.call("bulk v6", "GET", f"/api/v6/process/{guid}/{seg}/bulk")
    await rp.call("segment ndjson", "GET", f"/api/v6/process/{guid}/0/segment")
    stream = await rp.call(
        "stream create",
        "POST",
        "/api/v6/process/stream",
        json={"process_id": guid, "segment_id": seg},
    )
    sid = stream.json()["stream_id"]
    await rp.call("stream read", "GET", f"/api/v6/process/stream/{sid}", params={"rows": 5})
    await rp.call(
        "stream filter",
        "PATCH",
        f"/api/v6/process/stream/{sid}",
        params={"rows": 3},
        json={"criteria": {"event_type": ["modload"]}},
    )
    await rp.call("stream delete", "DELETE", f"/api/v6/process/stream/{sid}")
    binaries = await rp.call(
        "binary page",
        "GET",
        "/api/v1/binary",
        params=[("q", "is_executable_image:true"), ("rows", "8"), ("facet", "true"),
                ("facet.field", "digsig_result")],
    )  # fmt: skip
    md5 = binaries.json()["results"][0]["md5"]
    await rp.call("binary summary", "GET", f"/api/v1/binary/{md5}/summary")
    await rp.call("binary download", "GET", f"/api/v1/binary/{md5}")
    await rp.call("binary icon", "GET", f"/api/v1/binary/{md5}/icon")
    await rp.call("host count", "GET", "/api/v1/process/host/count", params={"md5": md5})
    alerts = await rp.call(
        "alert page",
        "GET",
        "/api/v2/alert",
        params=[("q", ""), ("rows", "5"), ("facet", "true"), ("facet.field", "status")],
    )
    alert_id = alerts.json()["results"][0]["unique_id"]
    await rp.call("alert update", "POST", f"/api/v1/alert/{alert_id}", json={"status": "Resolved"})
    await rp.call(
        "alerts bulk",
        "POST",
        "/api/v1/alerts",
        json={"query": "q=status%3AUnresolved", "requested_status": "In Progress"},
    )
    await rp.call("sensors v1", "GET", "/api/v1/sensor", params={"groupid": 1})
    await rp.call(
        "sensors v2",
        "GET",
        "/api/v2/sensor",
        params=[("rows", "4"), ("facet", "true"), ("facet.field", "os_environment_display_string")],
    )
    await rp.call("sensor", "GET", "/api/v1/sensor/3")
    await rp.call(
        "sensor isolate", "PUT", "/api/v1/sensor/3", json={"network_isolation_enabled": True}
    )
    rp.advance(6)
    await rp.call("sensor isolated", "GET", "/api/v1/sensor/3")
    await rp.call("sensor statistics", "GET", "/api/v1/sensor/statistics")
    await rp.call("sensor activity", "GET", "/api/v1/sensor/3/activity")
    group = await rp.call("group create", "POST", "/api/group", json={"name": "Golden"})
    gid = group.json()["id"]
    await rp.call("group update", "PUT", f"/api/group/{gid}", json={"alert_criticality": 4})
    await rp.call("group", "GET", f"/api/v1/group/{gid}")
    await rp.call("installer linux", "GET", f"/api/v1/group/{gid}/installer/linux")
    await rp.call("installer msi", "GET", f"/api/v1/group/{gid}/installer/windows/msi")
    await rp.call("group delete", "DELETE", f"/api/group/{gid}")
    await rp.call("group gone", "GET", f"/api/group/{gid}")
    await rp.call("dashboard", "GET", "/api/v1/dashboard/statistics")


async def edr_admin(rp: Replay) -> None:
    await rp.call("watchlists", "GET", "/api/v1/watchlist")
    created = await rp.call(
        "watchlist create",
        "POST",
        "/api/v1/watchlist",
        json={"name": "Golden", "search_query": "q=process_name%3Acmd.exe", "index_type": "events"},
    )
    wid = created.json()["id"]
    await rp.call("watchlist update", "PUT", f"/api/v1/watchlist/{wid}", json={"name": "Gold"})
    await rp.call("watchlist", "GET", f"/api/v1/watchlist/{wid}")
    await rp.call("watchlist actions", "GET", f"/api/v1/watchlist/{wid}/action_type")
    await rp.call(
        "watchlist action on",
        "PUT",
        f"/api/v1/watchlist/{wid}/action_type/alert",
        json={"enabled": True},
    )
    await rp.call("watchlist delete", "DELETE", f"/api/v1/watchlist/{wid}")
    feeds = await rp.call("feeds", "GET", "/api/v1/feed")
    fid = feeds.json()[0]["id"]
    reports = await rp.call("feed reports", "GET", f"/api/v1/feed/{fid}/report")
    rid = reports.json()[0]["id"]
    await rp.call("feed report", "GET", f"/api/v1/feed/{fid}/report/{rid}")
    await rp.call("threat reports", "GET", "/api/v1/threat_report", params={"q": "", "rows": 4})
    await rp.call(
        "feed create",
        "POST",
        "/api/v1/feed",
        json={"name": "golden", "feed_url": "https://feeds.example.com/golden.json"},
    )
    await rp.call("bans", "GET", "/api/v1/banning/blacklist")
    ban = "0123456789abcdef0123456789abcdef"
    await rp.call("ban create", "POST", "/api/v1/banning/bannedlist", json={"md5hash": ban})
    await rp.call("ban", "GET", f"/api/v1/banning/bannedlist/{ban}")
    await rp.call("ban disable", "DELETE", f"/api/v1/banning/bannedlist/{ban}")
    await rp.call("users", "GET", "/api/users")
    await rp.call(
        "user create",
        "POST",
        "/api/user",
        json={"username": "golden", "first_name": "G", "last_name": "Olden",
              "email": "g@example.com", "password": "x", "global_admin": False, "teams": []},
    )  # fmt: skip
    await rp.call("user", "GET", "/api/user/golden")
    await rp.call("teams", "GET", "/api/teams")
    await rp.call("sites", "GET", "/api/site")
    await rp.call(
        "throttle create", "POST", "/api/throttle", json={"name": "t", "bytes_per_second": 100}
    )
    await rp.call("partitions", "GET", "/api/v1/storage/events/partition")
    await rp.call("new partition", "POST", "/api/v1/storage/events/new_partition")
    await rp.call("ingress", "GET", "/api/v1/ingress_approvedlist")
    await rp.call(
        "approved ips add", "POST", "/api/v1/approvedlist/entries", json={"ipaddr": ["10.0.0.0/8"]}
    )
    await rp.call("approved ips", "GET", "/api/v1/approvedlist/entries")
    await rp.call("license", "GET", "/api/v1/license")
    await rp.call("platform server", "GET", "/api/v1/settings/global/platformserver")
    await rp.call("investigations", "GET", "/api/investigations")


CLOUD_CONFIG = {
    "processes": 2_000,
    "devices": 16,
    "cloud_alerts": 300,
    "auth_events": 600,
    "job_duration": 4.0,
    "job_searchers": 4,
}


async def cloud_platform(rp: Replay) -> None:
    v6 = f"/appservices/v6/orgs/{ORG}"
    v7 = f"/api/alerts/v7/orgs/{ORG}"
    await rp.call(
        "devices search",
        "POST",
        f"{v6}/devices/_search",
        json={"criteria": {"status": ["ACTIVE"]}, "rows": 5, "sort": [{"field": "name", "order": "desc"}]},
    )  # fmt: skip
    await rp.call(
        "devices facet",
        "POST",
        f"{v6}/devices/_facet",
        json={"terms": {"fields": ["status", "os", "policy_id"]}},
    )
    await rp.call(
        "devices query",
        "POST",
        f"{v6}/devices/_search",
        json={"query": "os:WINDOWS AND login_user_name:*", "rows": 3},
    )
    await rp.call("device", "GET", f"{v6}/devices/{DEVICE_ID_BASE + 2}")
    await rp.call(
        "device quarantine",
        "POST",
        f"{v6}/device_actions",
        json={"action_type": "QUARANTINE", "device_id": [DEVICE_ID_BASE + 2],
              "options": {"toggle": "ON"}},
    )  # fmt: skip
    await rp.call(
        "device download", "GET", f"{v6}/devices/_search/download", params={"status": "ALL"}
    )
    await rp.call("bad org", "POST", "/appservices/v6/orgs/OTHER/devices/_search", json={})
    alerts = await rp.call(
        "alerts v7 search",
        "POST",
        f"{v7}/alerts/_search",
        json={"criteria": {"minimum_severity": 3}, "time_range": {"range": "-30d"}, "rows": 4,
              "sort": [{"field": "severity", "order": "desc"}]},
    )  # fmt: skip
    alert_id = alerts.json()["results"][0]["id"]
    await rp.call(
        "alerts v7 query",
        "POST",
        f"{v7}/alerts/_search",
        json={"query": "process_name:powershell.exe OR reason:mimikatz", "rows": 2,
              "time_range": {"range": "-30d"}},
    )  # fmt: skip
    await rp.call(
        "alerts v7 facet",
        "POST",
        f"{v7}/alerts/_facet",
        json={"terms": {"fields": ["type", "device_os"], "rows": 5}, "time_range": {"range": "-30d"}},
    )  # fmt: skip
    await rp.call("alert v7", "GET", f"{v7}/alerts/{alert_id}")
    await rp.call(
        "alert v7 bad facet",
        "POST",
        f"{v7}/alerts/_facet",
        json={"terms": {"fields": ["no_such_field"]}},
    )
    job = await rp.call(
        "alerts v7 workflow",
        "POST",
        f"{v7}/alerts/workflow",
        json={"criteria": {"id": [alert_id]}, "status": "CLOSED", "closure_reason": "RESOLVED"},
    )
    rp.advance(5)
    await rp.call("jobs api", "GET", f"/jobs/v1/orgs/{ORG}/jobs/{job.json()['request_id']}")
    await rp.call("alert v7 closed", "GET", f"{v7}/alerts/{alert_id}")
    await rp.call(
        "alert note", "POST", f"{v7}/alerts/{alert_id}/notes", json={"note": "golden note"}
    )
    await rp.call(
        "grouped alerts",
        "POST",
        f"{v7}/grouped_alerts/_search",
        json={"time_range": {"range": "-30d"}, "rows": 2},
    )
    await rp.call(
        "alerts v6 search",
        "POST",
        f"{v6}/alerts/cbanalytics/_search",
        json={"rows": 3, "criteria": {"category": ["THREAT"]}},
    )
    await rp.call(
        "alerts v6 query",
        "POST",
        f"{v6}/alerts/_search",
        json={"query": "device_name:dc01* OR process_name:certutil.exe", "rows": 2},
    )
    await rp.call(
        "alerts v6 suggestions",
        "GET",
        f"{v6}/alerts/search_suggestions",
        params={"suggest.q": "device"},
    )


async def cloud_investigate(rp: Replay) -> None:
    p2 = f"/api/investigate/v2/orgs/{ORG}/processes"
    a2 = f"/api/investigate/v2/orgs/{ORG}/auth_events"
    job = await rp.call(
        "process search job",
        "POST",
        f"{p2}/search_jobs",
        json={"query": "process_name:svchost.exe", "rows": 50,
              "sort": [{"field": "process_start_time", "order": "asc"}]},
    )  # fmt: skip
    job_id = job.json()["job_id"]
    await rp.call("process results early", "GET", f"{p2}/search_jobs/{job_id}/results")
    rp.advance(5)
    results = await rp.call(
        "process results", "GET", f"{p2}/search_jobs/{job_id}/results", params={"rows": 5}
    )
    guid = results.json()["results"][1]["process_guid"]
    facet = await rp.call(
        "process facet job",
        "POST",
        f"{p2}/facet_jobs",
        json={"query": "device_os:WINDOWS", "terms": {"fields": ["process_name"], "rows": 5},
              "ranges": [{"field": "process_start_time", "start": "2024-04-01T00:00:00Z",
                          "end": "2024-05-01T00:00:00Z", "bucket_size": "+7DAY"}]},
    )  # fmt: skip
    rp.advance(5)
    await rp.call(
        "process facet results", "GET", f"{p2}/facet_jobs/{facet.json()['job_id']}/results"
    )
    summary = await rp.call(
        "summary job", "POST", f"{p2}/summary_jobs", json={"process_guid": guid}
    )
    rp.advance(5)
    await rp.call(
        "summary tree",
        "GET",
        f"{p2}/summary_jobs/{summary.json()['job_id']}/results",
        params={"format": "tree"},
    )
    await rp.call(
        "events search",
        "POST",
        f"/api/investigate/v2/orgs/{ORG}/events/{guid}/_search",
        json={"criteria": {"event_type": ["modload", "netconn"]}, "rows": 6},
    )
    await rp.call("validation", "GET", f"{p2}/search_validation", params={"q": "process_name:(cmd"})
    auth = await rp.call(
        "auth search job",
        "POST",
        f"{a2}/search_jobs",
        json={"criteria": {"auth_event_action": ["LOGON_SUCCESS"]}, "rows": 20},
    )
    rp.advance(5)
    auth_id = auth.json()["job_id"]
    await rp.call("auth results", "GET", f"{a2}/search_jobs/{auth_id}/results", params={"rows": 3})
    await rp.call(
        "auth groups",
        "POST",
        f"{a2}/search_jobs/{auth_id}/group_results",
        json={"fields": ["auth_username"], "rows": 3, "max_events_per_group": 1},
    )
    queried = await rp.call(
        "auth query job",
        "POST",
        f"{a2}/search_jobs",
        json={"query": "auth_username:SYSTEM AND device_name:*", "rows": 5},
    )
    rp.advance(5)
    await rp.call(
        "auth query results",
        "GET",
        f"{a2}/search_jobs/{queried.json()['job_id']}/results",
        params={"rows": 2},
    )
    await rp.call("auth descriptions", "GET", f"{a2}/descriptions")
    await rp.call(
        "auth suggestions", "GET", f"{a2}/search_suggestions", params={"suggest.q": "auth_d"}
    )


async def cloud_services(rp: Replay) -> None:
    lq = f"/livequery/v1/orgs/{ORG}"
    online = [ep.device_id for ep in rp.app.state.endpoints if ep.online][:4]
    run = await rp.call(
        "livequery run",
        "POST",
        f"{lq}/runs",
        json={"sql": "SELECT pid, name FROM processes", "device_filter": {"device_id": online}},
    )
    run_id = run.json()["id"]
    rp.advance(5)
    await rp.call("livequery status", "GET", f"{lq}/runs/{run_id}")
    await rp.call(
        "livequery results", "POST", f"{lq}/runs/{run_id}/results/_search", json={"rows": 6}
    )
    await rp.call(
        "livequery facet",
        "POST",
        f"{lq}/runs/{run_id}/results/_facet",
        json={"terms": {"fields": ["device.name"]}},
    )
    await rp.call(
        "livequery query",
        "POST",
        f"{lq}/runs/{run_id}/results/_search",
        json={"query": "status:matched AND fields.name:svchost*", "rows": 2},
    )
    await rp.call(
        "livequery csv", "POST", f"{lq}/runs/{run_id}/results/_search?format=csv", json={}
    )
    bad = await rp.call(
        "livequery bad sql",
        "POST",
        f"{lq}/runs",
        json={"sql": "SELECT * FROM no_such_table", "device_filter": {"device_id": online[:1]}},
    )
    rp.advance(5)
    await rp.call(
        "livequery bad sql results",
        "POST",
        f"{lq}/runs/{bad.json()['id']}/results/_search",
        json={},
    )
    feeds = f"/threathunter/feedmgr/v2/orgs/{ORG}"
    wl = f"/threathunter/watchlistmgr/v3/orgs/{ORG}"
    await rp.call("feeds", "GET", f"{feeds}/feeds", params={"include_public": "true"})
    report = {"id": "golden1", "timestamp": 1714000000, "title": "Golden", "description": "d",
              "severity": 5, "iocs_v2": [{"id": "ioc1", "match_type": "equality",
                                          "values": ["evil.example.com"], "field": "netconn_domain"}]}  # fmt: skip
    created = await rp.call(
        "feed create",
        "POST",
        f"{feeds}/feeds",
        json={"feedinfo": {"name": "Golden", "owner": ORG, "provider_url": "https://example.com",
                           "summary": "s", "category": "c"}, "reports": [report]},
    )  # fmt: skip
    await rp.call("feed", "GET", f"{feeds}/feeds/{created.json()['id']}")
    await rp.call("watchlists", "GET", f"{wl}/watchlists")
    await rp.call(
        "translate",
        "POST",
        "/threathunter/feedmgr/v2/query/translate",
        json={"query": "process_name:cmd.exe AND hostname:web01"},
    )
    v3 = "/integrationServices/v3"
    await rp.call("defense devices", "GET", f"{v3}/device", params={"rows": 3, "start": 2})
    await rp.call("defense events", "GET", f"{v3}/event", params={"searchWindow": "1w", "rows": 4})
    await rp.call("defense policies", "GET", f"{v3}/policy")
    await rp.call(
        "defense policy move",
        "PATCH",
        f"{v3}/device/{DEVICE_ID_BASE + 1}",
        json={"policyName": "Standard"},
    )
    await rp.call("defense notifications", "GET", f"{v3}/notification")
    await rp.call("defense audit", "GET", f"{v3}/auditlogs")


LR_CONFIG = {"devices": 10, "lr_activation": 2.0, "lr_command_delay": 0.5}
_WIN = 0  # endpoint 0 of the population is an online Windows machine


async def live_response(rp: Replay) -> None:
    edr = "/api/v1/cblr"
    session = await rp.call("edr session", "POST", f"{edr}/session", json={"sensor_id": _WIN + 1})
    sid = session.json()["id"]
    rp.advance(2)
    await rp.call("edr session active", "GET", f"{edr}/session/{sid}")

    async def edr_command(name: str, body: dict[str, Any]) -> httpx.Response:
        posted = await rp.call(f"edr {name}", "POST", f"{edr}/session/{sid}/command", json=body)
        rp.advance(3.01)
        return await rp.call(
            f"edr {name} done", "GET", f"{edr}/session/{sid}/command/{posted.json()['id']}"
        )

    await edr_command("dir", {"name": "directory list", "object": "C:\\Windows\\Temp\\"})
    got = await edr_command("get", {"name": "get file", "object": "C:\\Windows\\win.ini"})
    await rp.call(
        "edr file content", "GET", f"{edr}/session/{sid}/file/{got.json()['file_id']}/content"
    )
    await edr_command("missing", {"name": "get file", "object": "C:\\missing.txt"})
    await edr_command(
        "reg", {"name": "reg enum key", "object": "HKLM\\SOFTWARE\\Microsoft\\Windows NT"}
    )
    await edr_command("ps", {"name": "process list"})
    await rp.call(
        "edr upload",
        "POST",
        f"{edr}/session/{sid}/file",
        files={"file": ("golden.txt", b"golden bytes\n")},
    )
    await rp.call("edr files", "GET", f"{edr}/session/{sid}/file")
    await rp.call("edr unknown sensor", "POST", f"{edr}/session", json={"sensor_id": 999})
    await rp.call("edr close", "PUT", f"{edr}/session/{sid}", json={"status": "close"})
    await rp.call("edr gone", "POST", f"{edr}/session/{sid}/command", json={"name": "process list"})

    v6 = f"/appservices/v6/orgs/{ORG}/liveresponse"
    created = await rp.call(
        "v6 session", "POST", f"{v6}/sessions", json={"device_id": DEVICE_ID_BASE + _WIN}
    )
    vsid = created.json()["id"]
    rp.advance(2)
    await rp.call("v6 session active", "GET", f"{v6}/sessions/{vsid}")
    posted = await rp.call(
        "v6 get file", "POST", f"{v6}/sessions/{vsid}/commands",
        json={"name": "get file", "path": "C:\\Windows\\system.ini"},
    )  # fmt: skip
    rp.advance(3.01)
    done = await rp.call(
        "v6 command", "GET", f"{v6}/sessions/{vsid}/commands/{posted.json()['id']}"
    )
    fid = done.json()["file_details"]["file_id"]
    redirect = await rp.call("v6 file content", "GET", f"{v6}/sessions/{vsid}/files/{fid}/content")
    await rp.call("v6 storage", "GET", redirect.headers["location"])
    await rp.call("v6 bad command", "POST", f"{v6}/sessions/{vsid}/commands", json={"name": "fly"})
    await rp.call("v6 close", "DELETE", f"{v6}/sessions/{vsid}")
    await rp.call("v6 gone", "GET", f"{v6}/sessions/{vsid}")

    v3 = "/integrationServices/v3/cblr"
    legacy = await rp.call(
        "v3 session", "POST", f"{v3}/session", json={"sensor_id": DEVICE_ID_BASE + 1}
    )
    lsid = legacy.json()["id"]
    rp.advance(2)
    await rp.call("v3 session active", "GET", f"{v3}/session/{lsid}")
    cmd = await rp.call(
        "v3 ps", "POST", f"{v3}/session/{lsid}/command", json={"name": "process list"}
    )
    rp.advance(3.01)
    await rp.call("v3 ps done", "GET", f"{v3}/session/{lsid}/command/{cmd.json()['id']}")
    await rp.call("v3 close", "PUT", f"{v3}/session", json={"session_id": lsid, "status": "CLOSE"})
    await rp.call("v3 gone", "GET", f"{v3}/session/{lsid}")


async def app_control(rp: Replay) -> None:
    base = "/api/bit9platform/v1"
    await rp.call("computer count", "GET", f"{base}/computer", params={"limit": -1})
    await rp.call(
        "computers",
        "GET",
        f"{base}/computer",
        params={"offset": 2, "limit": 3, "sort": "name DESC"},
    )
    await rp.call("computers grouped", "GET", f"{base}/computer", params={"group": "policyId"})
    instance = await rp.call(
        "file instance", "GET", f"{base}/fileInstance", params={"q": "localState:2", "limit": 1}
    )
    catalog_id = instance.json()[0]["fileCatalogId"]
    catalog = await rp.call("file catalog", "GET", f"{base}/fileCatalog/{catalog_id}")
    await rp.call(
        "file rule",
        "POST",
        f"{base}/fileRule",
        json={"hash": catalog.json()["sha256"], "fileState": 3, "policyIds": "0"},
    )
    await rp.call("bad param", "GET", f"{base}/computer", params={"bogus": 1})
    await rp.call(
        "policy create", "POST", f"{base}/policy", json={"name": "Kiosk", "enforcementLevel": 20}
    )
    await rp.call(
        "computer update", "PUT", f"{base}/computer/1", json={"debugLevel": 4, "policyId": 2}
    )
    await rp.call("events", "GET", f"{base}/event", params={"limit": 3})
    await rp.call("publishers", "GET", f"{base}/publisher", params={"limit": 2})
    await rp.call("app templates", "GET", "/api/bit9platform/restricted/appTemplate")


SCENARIOS: dict[str, tuple[dict[str, Any], Scenario]] = {
    "edr": (EDR_CONFIG, edr),
    "edr_admin": (EDR_CONFIG, edr_admin),
    "cloud_platform": (CLOUD_CONFIG, cloud_platform),
    "cloud_investigate": (CLOUD_CONFIG, cloud_investigate),
    "cloud_services": (CLOUD_CONFIG, cloud_services),
    "live_response": (LR_CONFIG, live_response),
    "app_control": ({"devices": 12}, app_control),
}

# --------------------------------------------------------------------------------------------
# Replaying and comparing
# --------------------------------------------------------------------------------------------


@contextmanager
def _pinned_randomness() -> Iterator[None]:
    """``uuid4`` and ``token_urlsafe`` as counted sequences while a scenario runs."""
    counter = iter(range(1, 1_000_000))
    real_uuid4, real_token = uuid.uuid4, secrets.token_urlsafe
    uuid.uuid4 = lambda: uuid.UUID(int=next(counter), version=4)  # type: ignore[assignment]
    secrets.token_urlsafe = lambda nbytes=None: f"token{next(counter):06d}"  # type: ignore[assignment]
    try:
        yield
    finally:
        uuid.uuid4, secrets.token_urlsafe = real_uuid4, real_token  # type: ignore[assignment]


async def replay(name: str) -> list[dict[str, Any]]:
    config, scenario = SCENARIOS[name]
    clock = ManualClock()
    app = create_app(EmulatorConfig(seed=7, **config), clock=clock)
    with _pinned_randomness():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="https://cbserver",
            headers={"X-Auth-Token": app.config.token},
        ) as http:
            rp = Replay(app, clock, http)
            await scenario(rp)
    return rp.records


def route_table() -> list[str]:
    app = create_app(EmulatorConfig(seed=7), clock=ManualClock())
    return [
        f"{','.join(sorted(getattr(r, 'methods', None) or ()))} {getattr(r, 'path', r)}"
        for r in app.routes
    ]


def _load(name: str) -> Any:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))


def _lines(text: str) -> list[str]:
    if text[:1] in ("[", "{"):
        return json.dumps(json.loads(text), indent=1, sort_keys=True).splitlines()
    return text.splitlines()


def _describe(old: dict[str, Any], new: dict[str, Any]) -> str:
    lines = [f"{old['name']} ({old['request']}):"]
    for key in ("request", "status", "headers", "length"):
        if old[key] != new[key]:
            lines.append(f"  {key}: {old[key]!r} -> {new[key]!r}")
    if "text" in old and "text" in new and old["text"] != new["text"]:
        diff = difflib.unified_diff(_lines(old["text"]), _lines(new["text"]), lineterm="", n=1)
        lines.extend("  " + d for d in list(diff)[:40])
    elif old["sha256"] != new["sha256"]:
        lines.append("  body bytes differ")
    return "\n".join(lines)


pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_answers_are_byte_identical_to_the_recording(name: str) -> None:
    expected = _load(name)
    actual = await replay(name)
    assert [r["name"] for r in actual] == [r["name"] for r in expected]
    changed = [_describe(old, new) for old, new in zip(expected, actual, strict=True) if old != new]
    assert not changed, "\n".join(changed)


def test_the_route_table_is_unchanged() -> None:
    assert route_table() == _load("routes")


def _record() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in sorted(SCENARIOS):
        records = anyio.run(replay, name)
        text = json.dumps(records, indent=1, ensure_ascii=False) + "\n"
        (GOLDEN / f"{name}.json").write_text(text, encoding="utf-8")
        print(f"{name}: {len(records)} answers")
    routes = route_table()
    (GOLDEN / "routes.json").write_text(json.dumps(routes, indent=1) + "\n", encoding="utf-8")
    print(f"routes: {len(routes)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        raise SystemExit(f"usage: python {sys.argv[0]} --record")
    _record()
