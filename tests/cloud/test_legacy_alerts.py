"""Alerts v6 (seed 002): the dismissal bodies on the wire (respx), WorkflowStatus awaited
through the one job mechanism, and the per-type searches, dismissals and threat workflow end to
end against the emulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

from cbasync import errors
from cbasync.cloud import (
    BaseAlert,
    CBAnalyticsAlert,
    CBCloudAPI,
    VMwareAlert,
    WatchlistAlert,
    WorkflowStatus,
)
from cbasync.testing import EmulatorConfig, create_app
from tests.clients import BASE, ORG_KEY, emulator_client, respx_client

pytestmark = pytest.mark.anyio

V6 = f"/appservices/v6/orgs/{ORG_KEY}"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def _status(status: str, success: int = 0) -> dict[str, Any]:
    return {
        "id": "1579806000000123",
        "status": status,
        "num_hits": 3,
        "num_success": success,
        "failed_ids": [],
        "errors": [],
        "workflow": {"state": "DISMISSED", "remediation": "FP", "comment": "Using Chrome"},
    }


# -- the wire ------------------------------------------------------------------------------------


async def test_dismissal_bodies_for_one_alert_a_threat_a_search_and_threats(
    mock: respx.MockRouter,
) -> None:
    mock.get(f"{V6}/alerts/a-1").respond(json={"id": "a-1", "threat_id": "T1", "type": "WATCHLIST"})
    one = mock.post(f"{V6}/alerts/a-1/workflow").respond(json={"state": "DISMISSED"})
    threat = mock.post(f"{V6}/threat/T1/workflow").respond(json={"state": "OPEN"})
    by_type = mock.post(f"{V6}/alerts/cbanalytics/workflow/_criteria").respond(
        json={"request_id": "r1"}
    )
    every = mock.post(f"{V6}/alerts/workflow/_criteria").respond(json={"request_id": "r2"})
    threats = mock.post(f"{V6}/threat/workflow/_criteria").respond(json={"request_id": "r3"})
    async with respx_client(CBCloudAPI) as api:
        alert = await api.get(BaseAlert, "a-1")
        workflow = await alert.dismiss("FP", "Using Chrome")
        assert workflow.state == "DISMISSED"
        assert alert.workflow is workflow
        await alert.update()
        await alert.update_threat(comment="reopen the threat")
        query = (
            api.select(CBAnalyticsAlert)
            .set_device_os(["WINDOWS"])
            .set_process_name(["IEXPLORE.EXE"])
            .set_run_states(["RAN"])
        )
        status = await query.dismiss("Using Chrome")
        assert isinstance(status, WorkflowStatus)
        assert status.id == "r1"
        await api.select(BaseAlert).where("device_name:web1").update(comment="back to open")
        await api.bulk_threat_dismiss(["T1", "T2"], "RESOLVED", "fixed")
        await api.bulk_threat_update(["T3"])
    assert [json.loads(c.request.content) for c in one.calls] == [
        {"state": "DISMISSED", "remediation_state": "FP", "comment": "Using Chrome"},
        {"state": "OPEN"},
    ]
    assert json.loads(threat.calls[0].request.content) == {
        "state": "OPEN",
        "comment": "reopen the threat",
    }
    assert json.loads(by_type.calls[0].request.content) == {
        "state": "DISMISSED",
        "remediation_state": "Using Chrome",
        "criteria": {
            "device_os": ["WINDOWS"],
            "process_name": ["IEXPLORE.EXE"],
            "run_state": ["RAN"],
        },
    }
    assert json.loads(every.calls[0].request.content) == {
        "state": "OPEN",
        "comment": "back to open",
        "criteria": {},
        "query": "device_name:web1",
    }
    assert [json.loads(c.request.content) for c in threats.calls] == [
        {
            "state": "DISMISSED",
            "remediation_state": "RESOLVED",
            "comment": "fixed",
            "threat_id": ["T1", "T2"],
        },
        {"state": "OPEN", "threat_id": ["T3"]},
    ]


async def test_a_workflow_status_is_awaited_until_finished(mock: respx.MockRouter) -> None:
    answers = iter([_status("QUEUED"), _status("IN_PROGRESS", 1), _status("FINISHED", 3)])
    route = mock.get(f"{V6}/workflow/status/1579806000000123").mock(
        side_effect=lambda request: httpx.Response(200, json=next(answers))
    )
    async with respx_client(CBCloudAPI) as api:
        status = api.select(WorkflowStatus, "1579806000000123")
        done = await status
        assert done is status
        assert status.finished
        assert not status.in_progress
        assert (status.num_hits, status.num_success) == (3, 3)
        assert status.workflow_ is not None
        assert status.workflow_["comment"] == "Using Chrome"
        assert await status == status  # finished: no more polls
    assert route.call_count == 3


async def test_a_workflow_status_that_never_finishes_times_out(mock: respx.MockRouter) -> None:
    mock.get(f"{V6}/workflow/status/r9").respond(json={**_status("IN_PROGRESS"), "id": "r9"})
    async with respx_client(CBCloudAPI) as api:
        with pytest.raises(errors.TimeoutError) as info:
            await api.select(WorkflowStatus, "r9").wait(max_wait=0.3)
    assert info.value.last_response.status == "IN_PROGRESS"


def test_v6_searches_refuse_what_their_body_cannot_say() -> None:
    api = respx_client(CBCloudAPI)
    with pytest.raises(ValueError, match="no exclusions"):
        api.select(BaseAlert).add_exclusions("type", ["WATCHLIST"])
    with pytest.raises(ValueError, match="set_create_time"):
        api.select(BaseAlert).time_range(window="-1d")
    with pytest.raises(ValueError, match="workflow must be among OPEN, DISMISSED"):
        api.select(BaseAlert).set_workflows(["CLOSED"])
    with pytest.raises(ValueError, match="category"):
        api.select(BaseAlert).set_categories(["SEVERE"])


# -- end to end ----------------------------------------------------------------------------------


@pytest.fixture
def app() -> Any:
    return create_app(
        EmulatorConfig(seed=5, devices=20, cloud_alerts=300, job_duration=0.05),
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


async def test_each_type_searches_its_own_route(api: CBCloudAPI, raw: httpx.AsyncClient) -> None:
    org = api.org_key
    for model, path, kind in (
        (CBAnalyticsAlert, "cbanalytics", "CB_ANALYTICS"),
        (WatchlistAlert, "watchlist", "WATCHLIST"),
        (VMwareAlert, "vmware", "VMWARE"),
    ):
        truth = (
            await raw.post(
                f"/appservices/v6/orgs/{org}/alerts/{path}/_search", json={"rows": 10_000}
            )
        ).json()
        found = [a async for a in api.select(model).batch_size(30)]
        assert [a.id for a in found] == [a["id"] for a in truth["results"]]
        assert {a.type for a in found} == {kind}
        assert all(isinstance(a, model) for a in found)
    every = api.select(BaseAlert)
    truth = (await raw.post(f"/appservices/v6/orgs/{org}/alerts/_search", json={"rows": 0})).json()
    assert await every.count() == truth["num_found"]
    watchlist = await api.select(WatchlistAlert).first()
    assert watchlist is not None
    assert watchlist.watchlists
    named = api.select(WatchlistAlert).set_watchlist_names([watchlist.watchlists[0].name or ""])
    assert {a.watchlists[0].name async for a in named if a.watchlists} == {
        watchlist.watchlists[0].name
    }
    facets = await api.select(BaseAlert).facets(["ALERT_TYPE", "WORKFLOW"])
    assert sum(v.total for v in facets["ALERT_TYPE"]) == truth["num_found"]
    assert {v.id for v in facets["WORKFLOW"]} == {"OPEN"}
    created = api.select(BaseAlert).set_create_time(range="-3d").set_minimum_severity(4)
    severities = {a.severity or 0 async for a in created.batch_size(50)}
    assert severities
    assert min(severities) >= 4
    assert {a.category async for a in api.select(BaseAlert).set_categories(["THREAT"])} == {
        "THREAT"
    }
    suggestions = await api.alert_search_suggestions("device_")
    assert suggestions
    assert await BaseAlert.search_suggestions(api, "device_") == suggestions


async def test_dismiss_one_a_search_and_threats_end_to_end(api: CBCloudAPI) -> None:
    alert = await api.select(CBAnalyticsAlert).first()
    assert alert is not None
    workflow = await alert.dismiss("FP", "not malicious")
    assert workflow.state == "DISMISSED"
    assert (await api.get(BaseAlert, alert.id)).workflow == workflow
    assert (await alert.update()).state == "OPEN"
    note = await alert.create_note("v6 note")
    # (the emulator also keeps the dismissal's comment as a note)
    assert [n.note for n in await alert.notes_()] == ["not malicious", "v6 note"]
    assert (await alert.notes_())[-1].id == note.id

    query = api.select(WatchlistAlert).set_minimum_severity(7)
    matched = {a.id async for a in query}
    assert matched
    status = await query.dismiss("RESOLVED", "bulk")
    assert status.status is None  # known by its id until awaited
    await status
    assert status.finished
    assert status.num_hits == len(matched)
    assert status.num_success == len(matched)
    dismissed = {a.id async for a in api.select(BaseAlert).set_workflows(["DISMISSED"])}
    assert dismissed == matched

    threat_alert = await api.select(CBAnalyticsAlert).set_workflows(["OPEN"]).first()
    assert threat_alert is not None
    assert threat_alert.threat_id
    await threat_alert.dismiss_threat("RESOLVED", "the whole threat")
    same_threat = api.select(BaseAlert).set_threat_ids([threat_alert.threat_id])
    assert {a.workflow.state async for a in same_threat if a.workflow} == {"DISMISSED"}
    bulk = await api.bulk_threat_update([threat_alert.threat_id], comment="reopen")
    await bulk.wait(max_wait=10)
    assert bulk.num_hits == await same_threat.count()
    assert {a.workflow.state async for a in same_threat if a.workflow} == {"OPEN"}
