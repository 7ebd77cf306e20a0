"""Enterprise EDR processes end to end against the emulator (wire §4.1-4.3), and the bodies on
the wire. Expected values come from the emulator (plain httpx requests), never constants."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
import respx

from cbasync import errors
from cbasync.cloud import CBCloudAPI, Process, ProcessEvent
from cbasync.testing.app import EmulatorApp
from tests.clients import BASE, ORG_KEY, emulator_client, respx_client
from tests.cloud.conftest import counters

pytestmark = pytest.mark.anyio

P = "/api/investigate/v2/orgs/{org}/processes"


async def finished(http: httpx.AsyncClient, url: str, params: dict[str, Any]) -> Any:
    for _ in range(200):
        answer = (await http.get(url, params=params)).json()
        if answer.get("contacted") and answer["completed"] >= answer["contacted"]:
            return answer
        await anyio.sleep(0.05)
    raise AssertionError("the emulator's job never finished")


async def test_a_process_search_reads_one_job(app: EmulatorApp, http: httpx.AsyncClient) -> None:
    base = P.format(org=app.config.org_key)
    job = (
        await http.post(
            f"{base}/search_jobs", json={"query": "process_name:svchost.exe", "rows": 10_000}
        )
    ).json()["job_id"]
    expected = await finished(http, f"{base}/search_jobs/{job}/results", {"rows": 10_000})
    async with emulator_client(app, CBCloudAPI) as api:
        query = api.select(Process).where("process_name:svchost.exe")
        processes = [p async for p in query.batch_size(25)]
        assert await query.count() == expected["num_available"]
        assert counters(app)["jobs"]["created"]["process_search"] == 2  # ours and the truth's
        with pytest.raises(errors.QuerySyntaxError):
            await api.select(Process).where("process_name:(svchost").first()
        assert counters(app)["jobs"]["created"]["process_search"] == 2
    assert [p.process_guid for p in processes] == [r["process_guid"] for r in expected["results"]]
    assert all(p.process_name and p.process_name.endswith("svchost.exe") for p in processes)


async def test_details_summary_tree_and_joins(app: EmulatorApp, http: httpx.AsyncClient) -> None:
    base = P.format(org=app.config.org_key)
    async with emulator_client(app, CBCloudAPI) as api:
        # A process in the middle of a family: it has a parent and children.
        proc = (
            await api.select(Process)
            .where("childproc_count:2")
            .where("parent_pid:[1 TO *]")
            .first()
        )
        assert proc is not None
        assert not proc.is_loaded
        job = (
            await http.post(f"{base}/summary_jobs", json={"process_guid": proc.process_guid})
        ).json()["job_id"]
        truth = await finished(http, f"{base}/summary_jobs/{job}/results", {"format": "summary"})
        summary = await proc.summary()
        parent = await proc.parent()
        children = await proc.children()
        siblings = await proc.siblings()
        tree = await proc.tree()
        loaded = await proc.refresh()
        details = await Process.details_of(api, [proc.process_guid]).all()
    expected = truth["summary"]
    assert summary.process.process_guid == proc.process_guid
    assert parent is not None
    assert parent.process_guid == expected["parent"]["process_guid"]
    assert [c.process_guid for c in children] == [c["process_guid"] for c in expected["children"]]
    assert [s.process_guid for s in siblings] == [s["process_guid"] for s in expected["siblings"]]
    assert tree.process.process_guid == proc.process_guid
    assert [n.process.process_guid for n in tree.children] == [c.process_guid for c in children]
    assert len(tree.walk()) == 1 + len(children) + sum(len(n.children) for n in tree.children)
    assert loaded.is_loaded
    assert loaded.get("process_cmdline")
    assert [d.process_guid for d in details] == [proc.process_guid]


async def test_unknown_processes(app: EmulatorApp) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        ghost = api.select(Process, f"{app.config.org_key}-00000001-00000002-00000003-1")
        with pytest.raises(errors.ObjectNotFoundError, match="NOT_FOUND"):
            await ghost.summary()
        with pytest.raises(errors.ObjectNotFoundError):
            await api.get(Process, ghost.process_guid)
        root = await api.select(Process).where("parent_pid:0").first()
        assert root is not None
        assert await root.parent() is None  # the server has no record of it


async def test_events_and_their_facets(app: EmulatorApp, http: httpx.AsyncClient) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        proc = await api.select(Process).where("netconn_count:[3 TO *]").first()
        assert proc is not None
        url = f"/api/investigate/v2/orgs/{app.config.org_key}/events/{proc.process_guid}"
        truth = (await http.post(f"{url}/_search", json={"rows": 10_000})).json()
        events = [e async for e in proc.events().batch_size(7)]
        netconns = await proc.events().where("event_type:netconn").all()
        facets = await proc.events().facets("event_type")
    assert [e.get("event_id") for e in events] == [r["event_id"] for r in truth["results"]]
    assert all(isinstance(e, ProcessEvent) for e in events)
    assert netconns
    assert all(e.event_type == "netconn" for e in netconns)
    by_type = {v.name: v.total for v in facets.values("event_type")}
    assert by_type["netconn"] == len(netconns)
    assert sum(by_type.values()) == len(events)


async def test_facets_of_a_search(app: EmulatorApp) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        query = api.select(Process).where("process_name:cmd.exe")
        processes = await query.all()
        facets = await query.facets("device_name", rows=50)
    assert sum(v.total or 0 for v in facets.values("device_name")) == len(processes)
    assert {v.name for v in facets.values("device_name")} == {p.device_name for p in processes}


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


async def test_process_bodies_on_the_wire(mock: respx.MockRouter) -> None:
    base = P.format(org=ORG_KEY)
    validation = mock.post(f"{base}/search_validation").respond(json={"valid": True})
    submit = mock.post(f"{base}/search_jobs").respond(
        json={"job_id": "2c292717-80ed-4f0d-845f-779e09470920"}
    )
    mock.get(f"{base}/search_jobs/2c292717-80ed-4f0d-845f-779e09470920/results").respond(
        json={"results": [], "num_found": 0, "num_available": 0, "contacted": 45, "completed": 45}
    )
    summary = mock.post(f"{base}/summary_jobs").respond(json={"job_id": "s1"})
    mock.get(f"{base}/summary_jobs/s1/results").respond(
        json={
            "exception": "",
            "contacted": 3,
            "completed": 3,
            "summary": {
                "process": {"process_guid": "G"},
                "parent": {},
                "siblings": [],
                "children": [{"process_guid": "C"}],
            },
        }
    )
    async with respx_client(CBCloudAPI) as api:
        query = (
            api.select(Process)
            .where("process_name:chrome.exe")
            .criteria(device_os=["WINDOWS"])
            .time_range(window="-2w")
            .sort_by("device_timestamp", "desc")
            .set_fields("*", "parent_hash")
        )
        assert await query.count() == 0
        result = await api.select(Process, "G").summary()
    assert json.loads(validation.calls[0].request.content) == {"query": "process_name:chrome.exe"}
    assert json.loads(submit.calls[0].request.content) == {
        "query": "process_name:chrome.exe",
        "criteria": {"device_os": ["WINDOWS"]},
        "time_range": {"window": "-2w"},
        "sort": [{"field": "device_timestamp", "order": "DESC"}],
        "fields": ["*", "parent_hash"],
        "rows": 10_000,
    }
    assert json.loads(summary.calls[0].request.content) == {"process_guid": "G"}
    assert result.parent is None  # {} means "no record of it"
    assert [c.process_guid for c in result.children] == ["C"]
