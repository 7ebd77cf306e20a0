"""Alerts v7 and the Jobs API: the workflow bodies on the wire (respx), the Jobs API's terminal
statuses, and search, facets, grouping, workflow, notes, history, tags and export end to end."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

from cbasync import errors
from cbasync.cloud import Alert, CBCloudAPI, Device, GroupedAlert, Job
from cbasync.testing import EmulatorConfig, create_app
from tests.clients import BASE, ORG_KEY, emulator_client, respx_client

pytestmark = pytest.mark.anyio

V7 = f"/api/alerts/v7/orgs/{ORG_KEY}"
JOBS = f"/jobs/v1/orgs/{ORG_KEY}/jobs"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def _job(status: str, message: str = "") -> dict[str, Any]:
    return {
        "id": 666666,
        "type": "user_workflow_update",
        "status": status,
        "progress": {"num_total": 2, "num_completed": 2, "message": message},
    }


# -- the wire ------------------------------------------------------------------------------------


async def test_workflow_bodies_for_one_alert_and_for_a_search(mock: respx.MockRouter) -> None:
    route = mock.post(f"{V7}/alerts/workflow").respond(json={"request_id": "666666"})
    mock.get(f"{V7}/alerts/a-1").respond(json={"id": "a-1", "threat_id": "T1", "type": "WATCHLIST"})
    async with respx_client(CBCloudAPI) as api:
        alert = await api.get(Alert, "a-1")
        job = await alert.close("RESOLVED", "FALSE_POSITIVE", "benign")
        assert isinstance(job, Job)
        assert job.key == 666666
        await alert.update("IN_PROGRESS")
        query = (
            api.select(Alert)
            .set_minimum_severity(5)
            .set_policy_ids([7])
            .set_types(["CB_ANALYTICS"])
            .add_exclusions("alert_origin", ["MDR_THREAT_HUNT"])
            .where("process_name:powershell.exe")
            .set_time_range(range="-1d")
            .sort_by("backend_timestamp", "DESC")
            .set_fields("*")
        )
        await query.update("OPEN", note="reopened")
        await query.close(determination="TRUE_POSITIVE")
    bodies = [json.loads(call.request.content) for call in route.calls]
    selection = {
        "query": "process_name:powershell.exe",
        "criteria": {"minimum_severity": 5, "device_policy_id": [7], "type": ["CB_ANALYTICS"]},
        "exclusions": {"alert_origin": ["MDR_THREAT_HUNT"]},
        "time_range": {"range": "-1d"},
    }
    assert bodies == [
        {
            "criteria": {"id": ["a-1"]},
            "status": "CLOSED",
            "closure_reason": "RESOLVED",
            "determination": "FALSE_POSITIVE",
            "note": "benign",
        },
        {"criteria": {"id": ["a-1"]}, "status": "IN_PROGRESS"},
        # A search's change is its selection: no rows, start, sort or fields.
        {**selection, "status": "OPEN", "note": "reopened"},
        {**selection, "status": "CLOSED", "determination": "TRUE_POSITIVE"},
    ]


async def test_bad_workflow_values_are_refused_before_sending(mock: respx.MockRouter) -> None:
    route = mock.post(f"{V7}/alerts/workflow").respond(json={"request_id": "1"})
    async with respx_client(CBCloudAPI) as api:
        query = api.select(Alert)
        with pytest.raises(ValueError, match="status must be among"):
            await query.update("DISMISSED")
        with pytest.raises(ValueError, match="closure_reason"):
            await query.close("FIXED")
        with pytest.raises(ValueError, match="slice"):
            await query[:10].close()
        with pytest.raises(ValueError, match="time criterion"):
            query.add_time_criteria("create_time", range="-1d")
        with pytest.raises(ValueError, match="severity"):
            query.set_minimum_severity(11)
    assert not route.called


async def test_a_job_is_awaited_until_completed_and_a_failed_job_is_an_error(
    mock: respx.MockRouter,
) -> None:
    # Right after the request the job may not be visible yet (wire §6.5): a few 404s are
    # tolerated, then the job is polled until it is over.
    answers = iter(
        [
            httpx.Response(404, json={"error_code": "NOT_FOUND"}),
            httpx.Response(200, json=_job("CREATED")),
            httpx.Response(200, json=_job("IN_PROGRESS")),
            httpx.Response(200, json=_job("COMPLETED", "Dismissal completed")),
        ]
    )
    mock.get(f"{JOBS}/666666").mock(side_effect=lambda request: next(answers))
    failing = iter([httpx.Response(200, json=_job("FAILED", "the search failed"))])
    mock.get(f"{JOBS}/7").mock(side_effect=lambda request: next(failing))
    async with respx_client(CBCloudAPI) as api:
        job = await api.select(Job, 666666).wait(max_wait=30)
        assert job.status == "COMPLETED"
        assert job.progress is not None
        assert job.progress.message == "Dismissal completed"
        with pytest.raises(errors.ServerError, match="the search failed"):
            await api.select(Job, 7)


async def test_a_job_that_never_ends_times_out_with_its_last_status(mock: respx.MockRouter) -> None:
    mock.get(f"{JOBS}/9").respond(json=_job("IN_PROGRESS"))
    async with respx_client(CBCloudAPI) as api:
        with pytest.raises(errors.TimeoutError) as info:
            await api.select(Job, 9).wait(max_wait=0.3)
    assert info.value.last_response.status == "IN_PROGRESS"


# -- end to end ----------------------------------------------------------------------------------


@pytest.fixture
def app() -> Any:
    return create_app(
        EmulatorConfig(seed=21, devices=20, cloud_alerts=400, job_duration=0.05),
        modules=("cloud_common", "cloud_platform"),
    )


@pytest.fixture
async def api(app: Any) -> AsyncIterator[CBCloudAPI]:
    async with emulator_client(app, CBCloudAPI) as client:
        yield client


@pytest.fixture
async def raw(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://cbserver.emulator",
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


async def _truth(raw: httpx.AsyncClient, org: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await raw.post(
        f"/api/alerts/v7/orgs/{org}/alerts/_search", json={**body, "rows": 10_000}
    )
    result: dict[str, Any] = answer.json()
    return result


async def test_search_criteria_time_ranges_and_facets(
    api: CBCloudAPI, raw: httpx.AsyncClient
) -> None:
    org = api.org_key
    query = api.select(Alert).set_minimum_severity(6).set_time_range(range="-30d").batch_size(25)
    truth = await _truth(
        raw, org, {"criteria": {"minimum_severity": 6}, "time_range": {"range": "-30d"}}
    )
    assert await query.count() == truth["num_found"]
    assert [a.id async for a in query] == [a["id"] for a in truth["results"]]
    # Builders write v7 names: set_policy_ids is device_policy_id, set_workflows workflow.
    policy = truth["results"][0]["device_policy_id"]
    narrowed = query.set_policy_ids([policy]).set_workflows(["OPEN"]).set_types(["CB_ANALYTICS"])
    found = [a async for a in narrowed]
    assert found
    assert {(a.device_policy_id, a.type) for a in found} == {(policy, "CB_ANALYTICS")}
    recent = query.add_time_criteria("first_event_timestamp", range="-1d")
    assert await recent.count() <= await query.count()
    facets = await query.facets(["type", "device_os"])
    assert sum(v.total for v in facets["type"]) == truth["num_found"]
    without_devices = sum(v.total for v in facets["type"] if v.id == "CONTAINER_RUNTIME")
    assert sum(v.total for v in facets["device_os"]) == truth["num_found"] - without_devices
    with pytest.raises(errors.ClientError, match=r"field terms\.fields"):
        await query.facets(["ALERT_TYPE"])
    suggestions = await Alert.search_suggestions(api, "device_")
    assert suggestions
    assert all((s.term or "").startswith("device_") for s in suggestions)


async def test_the_alert_types_carry_their_own_fields(api: CBCloudAPI) -> None:
    recent = api.select(Alert).set_time_range(range="-1y")
    container = await recent.set_types(["CONTAINER_RUNTIME"]).first()
    assert container is not None
    assert container.k8s_cluster
    assert container.netconn_remote_ip
    assert container.device_id is None
    with pytest.raises(errors.InvalidObjectError, match="names no device"):
        await container.device()
    usb = await recent.set_types(["DEVICE_CONTROL"]).first()
    assert usb is not None
    assert usb.serial_number
    assert usb.vendor_name
    assert (await usb.device()).id == usb.device_id
    firewall = await recent.set_types(["HOST_BASED_FIREWALL"]).first()
    assert firewall is not None
    assert firewall.rule_id
    assert firewall.rule_category_id


async def test_close_through_a_job_then_notes_history_and_tags(api: CBCloudAPI) -> None:
    alert = await api.select(Alert).set_types(["CB_ANALYTICS"]).first()
    assert alert is not None
    assert alert.workflow is not None
    assert alert.workflow.status == "OPEN"
    job = await alert.close("RESOLVED", "FALSE_POSITIVE", "benign after review")
    assert job.status is None  # known only by its id until awaited
    finished = await job
    assert finished is job
    assert job.status == "COMPLETED"
    assert job.type == "user_workflow_update"
    await alert.refresh()
    assert alert.workflow is not None
    assert alert.workflow.status == "CLOSED"
    assert alert.workflow.closure_reason == "RESOLVED"
    assert alert.determination is not None
    assert alert.determination.value == "FALSE_POSITIVE"
    note = await alert.create_note("looked at it")
    notes = await alert.notes_()
    assert [n.note for n in notes] == ["benign after review", "looked at it"]
    await note.delete()
    assert [n.note for n in await alert.notes_()] == ["benign after review"]
    history = await alert.get_history()
    assert [h.type for h in history] == [
        "USER_WORKFLOW_UPDATE",
        "USER_WORKFLOW_UPDATE",
        "USER_DETERMINATION_UPDATE",
        "ALERT_NOTE_ADDED",
        "ALERT_NOTE_ADDED",
    ]
    assert history[1].workflow is not None
    assert history[1].workflow.status == "CLOSED"
    threat_note = await alert.create_note("the whole threat", threat_note=True)
    assert [h.type for h in await alert.get_history(threat=True)] == ["THREAT_NOTE_ADDED"]
    assert [n.id for n in await alert.notes_(threat_note=True)] == [threat_note.id]
    assert await alert.add_threat_tags(["apt", "triage"]) == ["apt", "triage"]
    assert await alert.delete_threat_tag("apt") == ["triage"]
    assert await alert.get_threat_tags() == ["triage"]
    closed = api.select(Alert).set_workflows(["CLOSED"])
    assert [a.id async for a in closed] == [alert.id]


async def test_a_search_closes_everything_it_matches(api: CBCloudAPI) -> None:
    query = api.select(Alert).set_types(["WATCHLIST"]).set_minimum_severity(8)
    matched = {a.id async for a in query}
    assert matched
    job = await query.close("OTHER", note="bulk")
    await job.wait()
    assert job.progress is not None
    assert job.progress.num_total == len(matched)
    closed = {a.id async for a in api.select(Alert).set_workflows(["CLOSED"])}
    assert closed == matched
    jobs = [j async for j in api.select(Job).status("COMPLETED")]
    assert job.id in {j.id for j in jobs}


async def test_grouped_alerts_and_their_alerts(api: CBCloudAPI) -> None:
    groups = api.select(GroupedAlert).set_time_range(range="-30d").set_minimum_severity(3)
    found = [g async for g in groups]
    assert found
    counts = [g.count or 0 for g in found]
    assert counts == sorted(counts, reverse=True)
    top = found[0]
    assert top.most_recent_alert is not None
    assert isinstance(top.most_recent_alert, Alert)
    assert top.threat_id == top.most_recent_alert.threat_id
    members = [
        a async for a in top.alert_query().set_time_range(range="-30d").set_minimum_severity(3)
    ]
    assert len(members) == top.count
    assert {a.threat_id for a in members} == {top.threat_id}
    # The same search from the ungrouped query; and back.
    grouped = api.select(Alert).set_time_range(range="-30d").set_minimum_severity(3).set_group_by()
    assert [g.threat_id async for g in grouped] == [g.threat_id for g in found]
    assert await grouped.alert_query().count() == sum(counts)
    facets = await grouped.facets("type")
    assert sum(v.total for v in facets["type"]) == sum(counts)
    joined = await top.most_recent_alert.device()
    assert isinstance(joined, Device)


async def test_export_downloads_a_csv(api: CBCloudAPI) -> None:
    query = api.select(Alert).set_time_range(range="-30d").set_types(["DEVICE_CONTROL"])
    job = await query.export(fields=["id", "type", "serial_number"])
    await job
    lines = (await job.output()).decode().strip().splitlines()
    assert lines[0] == "id,type,serial_number"
    assert len(lines) - 1 == await query.count()
    assert all(line.split(",")[1] == "DEVICE_CONTROL" for line in lines[1:])
