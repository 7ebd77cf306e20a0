"""LiveQuery (wire §5) end to end against the emulator, and the bodies on the wire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from cbasync import errors
from cbasync.cloud import CBCloudAPI, DeviceSummary, Result, Run
from cbasync.testing.app import EmulatorApp
from tests.clients import BASE, ORG_KEY, emulator_client, respx_client
from tests.cloud.conftest import cloud_app, counters

pytestmark = pytest.mark.anyio

LQ = "/livequery/v1/orgs/{org}"


@pytest.fixture
def app() -> EmulatorApp:
    return cloud_app(online_ratio=0.6)


async def online_devices(api: CBCloudAPI) -> list[int]:
    """Devices that answer: those that answered a first run within a second."""
    probe = await Run.submit(api, "SELECT * FROM system_info")
    with pytest.raises(errors.TimeoutError):
        await probe.wait(max_wait=1.0)  # offline devices never answer; the wait stops it
    summaries = await probe.device_summaries().criteria(status=["matched"]).all()
    return sorted(s.device.id for s in summaries if s.device and s.device.id is not None)


async def test_a_run_over_answering_devices(app: EmulatorApp, http: httpx.AsyncClient) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        every = await Run.submit(api, "SELECT * FROM users", os=["windows"], name="users")
        assert every.status == "ACTIVE"
        assert every.device_filter is not None
        assert every.device_filter.os == ["WINDOWS"]
        # Offline devices keep a run ACTIVE: the wait gives up, and stops the run.
        with pytest.raises(errors.TimeoutError) as info:
            await every.wait(max_wait=0.6)
        assert isinstance(info.value.last_response.answer, Run)  # type: ignore[union-attr]
        assert (await every.refresh()).status == "CANCELLED"

        streamed: list[Result] = []
        run = await Run.submit(api, "SELECT * FROM users", os=["WINDOWS"], name="again")
        with pytest.raises(errors.TimeoutError):
            await _collect(run.stream_results(max_wait=0.8), streamed)
        assert (await run.refresh()).status == "ACTIVE"  # a stream leaves the run running
        answered = (run.success_count or 0) + (run.error_count or 0)
        results = await run.results().all()
        assert answered > 0
        assert sorted(_row_key(r) for r in streamed) == sorted(_row_key(r) for r in results)
        assert len({r.device.id for r in streamed if r.device}) == answered

        with pytest.raises(errors.TimeoutError):
            await run.wait(max_wait=0.3, keep_running=True)
        assert (await run.refresh()).status == "ACTIVE"
        stopped = await run.stop()
        assert stopped.status == "CANCELLED"
        assert stopped.finished

        summaries = await run.device_summaries().all()
        assert all(isinstance(s, DeviceSummary) for s in summaries)
        assert {s.status for s in summaries} >= {"matched"}
        matched = await run.results().criteria(status=["matched"]).all()
        facets = await run.results().facets("status")
        summary_facets = await run.device_summaries().facets("status")
        assert {v.name: v.total for v in facets.values("status")}["matched"] == len(matched)
        assert sum(v.total or 0 for v in summary_facets.values("status")) == len(summaries)

        history = await api.select(Run).all()
        assert {r.id for r in history} == {every.id, run.id}
        named = await api.select(Run).where("name:again").all()
        assert [r.id for r in named] == [run.id]
        await run.delete()
        with pytest.raises(errors.ObjectNotFoundError):
            await run.refresh()
    polls = counters(app)["jobs"]["polled"]["livequery_run"]
    assert polls > 0


async def test_a_run_that_completes(app: EmulatorApp) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        devices = await online_devices(api)
        assert len(devices) >= 3
        run = await Run.submit(api, "SELECT * FROM system_info", device_ids=devices[:3])
        rows = [r async for r in run.stream_results(max_wait=10)]
        assert run.status == "COMPLETE"  # the stream ends with the run
        final = await run.wait(max_wait=10)
        assert final is run
        assert run.status == "COMPLETE"
        assert {r.device.id for r in rows if r.device} == set(devices[:3])
        assert len(rows) == run.total_results


async def _collect(rows: Any, into: list[Result]) -> None:
    async for row in rows:
        into.append(row)


def _row_key(row: Result) -> Any:
    return (row.device.id if row.device else None, json.dumps(row.fields, sort_keys=True))


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


async def test_run_bodies_on_the_wire(mock: respx.MockRouter) -> None:
    base = LQ.format(org=ORG_KEY)
    run_json = {"id": "r1", "status": "ACTIVE", "sql": "select 1"}
    create = mock.post(f"{base}/runs").respond(json=run_json)
    polls = mock.get(f"{base}/runs/r1").mock(
        side_effect=[
            httpx.Response(200, json=run_json),
            httpx.Response(200, json={**run_json, "status": "COMPLETE"}),
        ]
    )
    status = mock.put(f"{base}/runs/r1/status").respond(json={**run_json, "status": "CANCELLED"})
    results = mock.post(f"{base}/runs/r1/results/_search").respond(
        json={"num_found": 1, "results": [{"id": "r1", "status": "matched", "fields": {"a": 1}}]}
    )
    async with respx_client(CBCloudAPI) as api:
        run = await Run.submit(
            api,
            "select 1",
            name="n",
            notify_on_finish=True,
            device_ids=[1, 2],
            os=["mac"],
            policy_ids=[7],
            deployment_type=["WORKLOAD"],
        )
        await run.wait()
        rows = await run.results().criteria(status=["matched"]).all()
        await run.stop()
        with pytest.raises(TypeError, match="not one string"):
            await Run.submit(api, "select 1", os="WINDOWS")  # type: ignore[arg-type]
    assert json.loads(create.calls[0].request.content) == {
        "sql": "select 1",
        "name": "n",
        "notify_on_finish": True,
        "device_filter": {
            "device_id": [1, 2],
            "os": ["MAC"],
            "policy_id": [7],
            "deployment_type": ["WORKLOAD"],
        },
    }
    assert create.call_count == 1
    assert polls.call_count == 2
    assert json.loads(results.calls[0].request.content) == {
        "criteria": {"status": ["matched"]},
        "start": 0,
        "rows": 100,
    }
    assert rows[0].fields == {"a": 1}
    assert json.loads(status.calls[0].request.content) == {"status": "CANCELLED"}
