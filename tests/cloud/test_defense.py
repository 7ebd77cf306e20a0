"""Endpoint Standard (Defense) v3, seed 001: devices with the seed's field names (the PATCH of a
changed field on the wire), events, policies and rules, and the notification queue — fetched,
and watched with ``async for`` driving a job per notification."""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
import respx

from cbasync import errors
from cbasync._tasks import settled
from cbasync.cloud import CBCloudAPI, Device, defense
from cbasync.testing import EmulatorConfig, create_app
from tests.clients import BASE, emulator_client, respx_client

pytestmark = pytest.mark.anyio

V3 = "/integrationServices/v3"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


async def test_a_device_save_patches_only_the_changed_field(mock: respx.MockRouter) -> None:
    info = {"deviceId": 42, "name": "WIN-IA9NQ1GN8OI", "policyName": "Standard", "policyId": 6525}
    mock.get(f"{V3}/device/42").respond(json={"success": True, "deviceInfo": info})
    patch = mock.patch(f"{V3}/device/42").respond(
        json={
            "success": True,
            "deviceId": 42,
            "deviceInfo": {**info, "policyName": "Restrictive_Windows_Workstation", "policyId": 7},
        }
    )
    async with respx_client(CBCloudAPI) as api:
        device = await api.get(defense.Device, 42)
        device.policyName = "Restrictive_Windows_Workstation"
        await device.save()
        assert device.policyId == 7
        assert not device.is_dirty()
        with pytest.raises(AttributeError, match="cannot be changed through the API"):
            device.name = "renamed"
    assert json.loads(patch.calls[0].request.content) == {
        "policyName": "Restrictive_Windows_Workstation"
    }


async def test_a_v3_failure_in_a_200_is_an_error(mock: respx.MockRouter) -> None:
    mock.get(f"{V3}/device/43").respond(200, json={"success": False, "message": "Device locked"})
    async with respx_client(CBCloudAPI) as api:
        with pytest.raises(errors.ServerError, match="Device locked"):
            await api.get(defense.Device, 43)


async def test_the_v3_list_pages_from_one_and_stops_at_the_cap(mock: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        rows = int(request.url.params["rows"])
        if start > 100_000:
            return httpx.Response(200, json={"results": None, "totalResults": 250_000})
        results = [{"eventId": f"e{n}"} for n in range(start, start + rows)]
        return httpx.Response(200, json={"results": results, "totalResults": 250_000})

    route = mock.get(f"{V3}/event").mock(side_effect=answer)
    async with respx_client(CBCloudAPI) as api:
        query = api.select(defense.Event).where("searchWindow:1d").and_("eventType:NETWORK")
        tail = [e.eventId async for e in query[99_990:100_010]]
    # 1-based starts; nothing is asked past the 100,000th row.
    assert tail == [f"e{n}" for n in range(99_991, 100_001)]
    params = [dict(call.request.url.params) for call in route.calls]
    assert params == [
        {"searchWindow": "1d", "eventType": "NETWORK", "start": "99991", "rows": "10"}
    ]


# -- end to end ----------------------------------------------------------------------------------


@pytest.fixture
def app() -> Any:
    return create_app(
        EmulatorConfig(seed=4, devices=16, processes=1_500, cloud_alerts=45),
        modules=("cloud_common", "cloud_platform", "cloud_defense"),
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


async def test_devices_events_and_a_policy_move(api: CBCloudAPI, raw: httpx.AsyncClient) -> None:
    truth = (await raw.get(f"{V3}/device", params={"rows": 1000})).json()["results"]
    devices = [d async for d in api.select(defense.Device).batch_size(5)]
    assert [d.deviceId for d in devices] == [d["deviceId"] for d in truth]
    target = truth[3]
    found = await api.select(defense.Device).where(f"hostNameExact:{target['name']}").one()
    assert found.lastInternalIpAddress == target["lastInternalIpAddress"]
    by_ip = api.select(defense.Device).where(f"ipAddress:{target['lastInternalIpAddress']}")
    assert [d.deviceId async for d in by_ip] == [target["deviceId"]]
    found.policyName = "Advanced"
    await found.save()
    assert (found.policyName, found.policyId) == ("Advanced", 6526)
    # The same device on the Platform API sees the move.
    assert (await api.get(Device, found.deviceId)).policy_id == 6526
    with pytest.raises(errors.QuerySyntaxError, match="one field:value"):
        await api.select(defense.Device).where("no colon here").count()

    window = api.select(defense.Event).where("searchWindow:2w")
    events = [e async for e in window.where(f"hostNameExact:{target['name']}")]
    assert events
    assert {e.deviceDetails["deviceName"] for e in events if e.deviceDetails} == {target["name"]}
    one = await api.get(defense.Event, events[0].eventId)
    assert one.shortDescription == events[0].shortDescription
    network = [e async for e in window.where("eventType:NETWORK")[:20]]
    assert {e.eventType for e in network} == {"NETWORK"}


async def test_policies_and_their_rules(api: CBCloudAPI) -> None:
    names = [p.name async for p in api.select(defense.Policy)]
    assert names[:4] == ["Standard", "Advanced", "Monitored", "Servers"]
    policy = api.create(defense.Policy)
    policy.name = "Test"
    policy.description = "made by a test"
    policy.priorityLevel = "LOW"
    policy.policy = {"sensorSettings": [{"name": "SHOW_UI", "value": "false"}]}
    await policy.save()
    assert policy.id
    rule = defense.PolicyRule(
        action="TERMINATE",
        application={"type": "REPUTATION", "value": "KNOWN_MALWARE"},  # type: ignore[arg-type]
        operation="INVOKE_SCRIPT",
        required=True,
    )
    rule_id = await policy.add_rule(rule)
    assert [r.id for r in policy.rules] == [rule_id]
    await policy.replace_rule(
        rule_id,
        {
            "action": "DENY",
            "application": {"type": "REPUTATION", "value": "PUP"},
            "operation": "RUN",
        },
    )
    assert [(r.id, r.action) for r in policy.rules] == [(rule_id, "DENY")]
    await policy.delete_rule(rule_id)
    assert policy.rules == []
    policy.description = "changed"
    await policy.save()
    assert (await api.get(defense.Policy, policy.id)).description == "changed"
    await policy.delete()
    with pytest.raises(errors.ObjectNotFoundError):
        await api.get(defense.Policy, policy.id)
    standard = await api.get(defense.Policy, 6525)
    with pytest.raises(errors.ClientError, match="system policy"):
        await standard.delete()
    with pytest.raises(errors.InvalidObjectError, match="operation"):
        await standard.add_rule({"action": "DENY", "application": {}})


async def test_notifications_are_fetched_and_watched_once_each(
    api: CBCloudAPI, raw: httpx.AsyncClient
) -> None:
    first = await api.get_notifications()
    assert first
    assert all(n.threatInfo and n.deviceInfo for n in first)
    seen = {n.threatInfo["incidentId"] for n in first if n.threatInfo}

    # The watch: every notification once, whatever the queue hands out twice.
    delivered: list[defense.Notification] = []
    with anyio.fail_after(10):
        async for notification in api.notification_listener(interval=0):
            delivered.append(notification)
            if len(delivered) == 5:
                break
    watched = [n.threatInfo["incidentId"] for n in delivered if n.threatInfo]
    assert len(set(watched)) == len(watched) == 5
    assert not set(watched) & seen
    assert await api.get_auditlogs()


async def test_an_async_for_drives_a_job_per_notification(api: CBCloudAPI) -> None:
    """The manual's events-to-jobs pipeline: each notification starts a job on its device
    (here: fetch the Platform device; a Live Response session in real use), the jobs run
    concurrently and each one's outcome is collected, failures included."""

    async def job(device_id: int) -> str:
        device = await api.get(Device, device_id)
        return device.name or ""

    jobs: list[tuple[str, Callable[[], Awaitable[str]]]] = []
    with anyio.fail_after(10):
        async for notification in api.notification_listener(interval=0):
            incident = str((notification.threatInfo or {})["incidentId"])
            device_id = int((notification.deviceInfo or {})["deviceId"])
            jobs.append((incident, functools.partial(job, device_id)))
            if len(jobs) == 6:
                break
    jobs.append(("nowhere", functools.partial(job, 1)))  # no such device: it fails alone
    async with settled(jobs, limit=3) as outcomes:
        results = {outcome.key: outcome async for outcome in outcomes}
    assert set(results) == {key for key, _ in jobs}
    assert results["nowhere"].error is not None
    assert isinstance(results["nowhere"].error, errors.ObjectNotFoundError)
    assert all(o.value for key, o in results.items() if key != "nowhere")
