"""Platform devices: the exact bodies of seed 002's actions (respx), and search, facets, the
scroll past 10,000 and every action end to end against the emulator (ground truth: a plain
httpx client on the same app)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

from cbasync import errors
from cbasync.cloud import CBCloudAPI, Device, Job
from cbasync.testing import EmulatorConfig, create_app
from tests.clients import BASE, ORG_KEY, emulator_client, respx_client

pytestmark = pytest.mark.anyio

ACTIONS = f"/appservices/v6/orgs/{ORG_KEY}/device_actions"
DEVICES = f"/appservices/v6/orgs/{ORG_KEY}/devices"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def _bodies(route: respx.Route) -> list[Any]:
    return [json.loads(call.request.content) for call in route.calls]


# -- the wire: seed 002's actions as wire §6.1 spells them -------------------------------------


async def test_every_action_on_a_list_of_ids_sends_the_documented_body(
    mock: respx.MockRouter,
) -> None:
    route = mock.post(ACTIONS).respond(204)
    ids = [8500001, 8500002]
    async with respx_client(CBCloudAPI) as api:
        await api.device_quarantine(ids, True)
        await api.device_quarantine(ids, False)
        await api.device_bypass(ids, True)
        await api.device_background_scan(ids, False)
        await api.device_update_policy(ids, 8675309)
        await api.device_update_sensor_version(ids, {"RHEL": "2.3.4.5"})
        await api.device_uninstall_sensor(ids)
        await api.device_delete_sensor(ids)
    assert _bodies(route) == [
        {"action_type": "QUARANTINE", "device_id": ids, "options": {"toggle": "ON"}},
        {"action_type": "QUARANTINE", "device_id": ids, "options": {"toggle": "OFF"}},
        {"action_type": "BYPASS", "device_id": ids, "options": {"toggle": "ON"}},
        {"action_type": "BACKGROUND_SCAN", "device_id": ids, "options": {"toggle": "OFF"}},
        {"action_type": "UPDATE_POLICY", "device_id": ids, "options": {"policy_id": 8675309}},
        {
            "action_type": "UPDATE_SENSOR_VERSION",
            "device_id": ids,
            "options": {"sensor_version": {"RHEL": "2.3.4.5"}},
        },
        {"action_type": "UNINSTALL_SENSOR", "device_id": ids},
        {"action_type": "DELETE_SENSOR", "device_id": ids},
    ]


async def test_actions_on_one_device_and_on_a_query(mock: respx.MockRouter) -> None:
    route = mock.post(ACTIONS).respond(204)
    mock.get(f"{DEVICES}/7").respond(json={"id": 7, "name": "web1", "os": "LINUX"})
    async with respx_client(CBCloudAPI) as api:
        device = await api.get(Device, 7)
        await device.quarantine(True)
        await device.background_scan(True)
        await device.update_policy(6525)
        await device.update_sensor_version({"LINUX": "2.14.0.1"})
        await device.uninstall_sensor()
        await device.delete_sensor()
        query = api.select(Device).set_os(["LINUX"]).where("name:web*").set_status("ACTIVE")
        await query.bypass(False)
        await query.sort_by("name").update_policy(6526)
    searched = {"criteria": {"os": ["LINUX"], "status": ["ACTIVE"]}, "query": "name:web*"}
    assert _bodies(route) == [
        {"action_type": "QUARANTINE", "device_id": [7], "options": {"toggle": "ON"}},
        {"action_type": "BACKGROUND_SCAN", "device_id": [7], "options": {"toggle": "ON"}},
        {"action_type": "UPDATE_POLICY", "device_id": [7], "options": {"policy_id": 6525}},
        {
            "action_type": "UPDATE_SENSOR_VERSION",
            "device_id": [7],
            "options": {"sensor_version": {"LINUX": "2.14.0.1"}},
        },
        {"action_type": "UNINSTALL_SENSOR", "device_id": [7]},
        {"action_type": "DELETE_SENSOR", "device_id": [7]},
        # By query: the search (criteria, exclusions, query) replaces the ids; never a sort.
        {"action_type": "BYPASS", "search": searched, "options": {"toggle": "OFF"}},
        {"action_type": "UPDATE_POLICY", "search": searched, "options": {"policy_id": 6526}},
    ]


async def test_bad_action_arguments_are_refused_before_sending(mock: respx.MockRouter) -> None:
    route = mock.post(ACTIONS).respond(204)
    async with respx_client(CBCloudAPI) as api:
        with pytest.raises(TypeError, match="True or False"):
            await api.device_quarantine([1], "yes")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="integers"):
            await api.device_bypass(["8500001"], True)  # type: ignore[list-item]
        with pytest.raises(ValueError, match="at least one"):
            await api.device_uninstall_sensor([])
        with pytest.raises(TypeError, match="policy id"):
            await api.device_update_policy([1], "6525")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="sensor_version"):
            await api.device_update_sensor_version([1], {})
        with pytest.raises(ValueError, match="slice"):
            await api.select(Device)[:5].quarantine(True)
        with pytest.raises(ValueError, match="os must be among"):
            api.select(Device).set_os(["WINDOWS", "BEOS"])
        with pytest.raises(ValueError, match="range, or start and end"):
            api.select(Device).set_last_contact_time(range="-1d", start="2024-01-01T00:00:00Z")
    assert not route.called


async def test_the_search_body_criteria_exclusions_sort_and_one_based_start(
    mock: respx.MockRouter,
) -> None:
    route = mock.post(f"{DEVICES}/_search").respond(json={"results": [], "num_found": 0})
    async with respx_client(CBCloudAPI) as api:
        query = (
            api.select(Device)
            .set_os("WINDOWS")
            .set_status(["ACTIVE", "BYPASS"])
            .set_policy_ids([6525])
            .set_target_priorities(["HIGH"])
            .set_ad_group_ids(1004)
            .set_deployment_type(["ENDPOINT"])
            .set_device_ids([1, 2])
            .set_last_contact_time(range="-2w")
            .set_exclude_sensor_versions(["3.4.0.0"])
            .sort_by("last_contact_time", "DESC")
        )
        assert await query.count() == 0
        await query.set_last_contact_time(
            start="2024-04-01T00:00:00.000Z", end="2024-05-01T00:00:00.000Z"
        ).count()
    first, second = _bodies(route)
    assert first == {
        "criteria": {
            "os": ["WINDOWS"],
            "status": ["ACTIVE", "BYPASS"],
            "policy_id": [6525],
            "target_priority": ["HIGH"],
            "ad_group_id": [1004],
            "deployment_type": ["ENDPOINT"],
            "id": [1, 2],
            "last_contact_time": {"range": "-2w"},
        },
        "exclusions": {"sensor_version": ["3.4.0.0"]},
        "sort": [{"field": "last_contact_time", "order": "DESC"}],
        "start": 1,
        "rows": 0,
    }
    assert second["criteria"]["last_contact_time"] == {
        "start": "2024-04-01T00:00:00.000Z",
        "end": "2024-05-01T00:00:00.000Z",
    }


async def test_scroll_follows_search_after_until_it_is_empty(mock: respx.MockRouter) -> None:
    pages = {
        None: ({"results": [{"id": 1}, {"id": 2}], "num_found": 3, "search_after": "a2"}),
        "a2": ({"results": [{"id": 3}], "num_found": 3, "search_after": ""}),
    }

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(200, json=pages[body.get("search_after")])

    route = mock.post(f"{DEVICES}/_scroll").mock(side_effect=answer)
    async with respx_client(CBCloudAPI) as api:
        ids = [d.id async for d in api.select(Device).set_os("MAC").scroll(rows=2)]
    assert ids == [1, 2, 3]
    assert _bodies(route) == [
        {"criteria": {"os": ["MAC"]}, "rows": 2},
        {"criteria": {"os": ["MAC"]}, "rows": 2, "search_after": "a2"},
    ]


# -- end to end ---------------------------------------------------------------------------------


@pytest.fixture
def app() -> Any:
    return create_app(
        EmulatorConfig(seed=14, devices=40, isolation_delay=0.0),
        modules=("cloud_common", "cloud_platform"),
    )


@pytest.fixture
async def api(app: Any) -> AsyncIterator[CBCloudAPI]:
    async with emulator_client(app, CBCloudAPI) as client:
        yield client


@pytest.fixture
async def raw(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client on the same emulator: the ground truth."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://cbserver.emulator",
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


async def _truth(raw: httpx.AsyncClient, org: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    answer = await raw.post(
        f"/appservices/v6/orgs/{org}/devices/_search", json={**body, "rows": 10_000}
    )
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


async def test_search_criteria_sort_and_facets_end_to_end(
    api: CBCloudAPI, raw: httpx.AsyncClient
) -> None:
    org = api.org_key
    windows = api.select(Device).set_os(["WINDOWS"]).sort_by("name").batch_size(7)
    expected = await _truth(
        raw, org, {"criteria": {"os": ["WINDOWS"]}, "sort": [{"field": "name", "order": "ASC"}]}
    )
    assert [d.name async for d in windows] == [d["name"] for d in expected]
    assert await windows.count() == len(expected)
    servers = api.select(Device).set_target_priorities(["HIGH", "MISSION_CRITICAL"])
    expected = await _truth(
        raw, org, {"criteria": {"target_priority": ["HIGH", "MISSION_CRITICAL"]}}
    )
    assert {d.id async for d in servers} == {d["id"] for d in expected}
    not_windows = api.select(Device).add_exclusions("os", ["WINDOWS"])
    assert "WINDOWS" not in {d.os async for d in not_windows}
    facets = await api.select(Device).facets(["os", "policy_id"])
    everyone = await _truth(raw, org, {})
    assert sum(v.total for v in facets["os"]) == len(everyone)
    assert {v.id for v in facets["os"]} == {d["os"] for d in everyone}
    assert facets["policy_id"][0]["name"]  # entries read like dicts too
    one = await api.get(Device, everyone[3]["id"])
    assert one.name == everyone[3]["name"]
    assert one.asset_group is not None
    with pytest.raises(errors.ObjectNotFoundError):
        await api.get(Device, 1)
    with pytest.raises(
        errors.ClientError, match=r"field terms\.fields.*takes policy_id, status, os"
    ):
        await api.select(Device).facets(["nonsense"])


async def test_every_action_takes_effect_on_the_emulator(api: CBCloudAPI) -> None:
    devices = [d async for d in api.select(Device).set_os(["WINDOWS"])]
    first, second, third = devices[:3]
    await first.quarantine(True)
    assert (await first.refresh()).quarantined is True
    await api.device_quarantine([first.id], False)
    assert (await first.refresh()).quarantined is False
    await api.device_bypass([second.id], True)
    assert (await api.get(Device, second.id)).status == "BYPASS"
    await second.bypass(False)
    await second.update_policy(6526)
    assert (await second.refresh()).policy_id == 6526
    await second.background_scan(True)
    assert "ONDEMAND_SCAN_ENABLED" in ((await second.refresh()).av_status or [])
    await second.update_sensor_version({"WINDOWS": "3.9.9.9999"})
    assert (await second.refresh()).sensor_version == "3.9.9.9999"
    await third.uninstall_sensor()
    assert (await third.refresh()).status == "UNINSTALLED"
    await third.delete_sensor()
    with pytest.raises(errors.ObjectNotFoundError):
        await third.refresh()
    linux = api.select(Device).set_os(["LINUX"])
    await linux.update_policy(6528)
    assert {d.policy_id async for d in linux} == {6528}
    assert 6528 not in {d.policy_id async for d in api.select(Device).set_os(["MAC"])}


async def test_export_is_a_jobs_api_job_with_a_csv() -> None:
    app = create_app(
        EmulatorConfig(seed=14, devices=12, job_duration=0.05),
        modules=("cloud_common", "cloud_platform"),
    )
    async with emulator_client(app, CBCloudAPI) as api:
        job = await api.select(Device).set_os(["LINUX"]).export()
        assert isinstance(job, Job)
        assert job.type == "ENDPOINTS"
        done = await job
        assert done.status == "COMPLETED"
        csv_text = (await done.output()).decode()
        linux = [d.name async for d in api.select(Device).set_os(["LINUX"])]
    lines = csv_text.strip().splitlines()
    assert len(lines) == len(linux) + 1
    assert all(name in csv_text for name in linux)


async def test_scroll_reaches_past_the_searchs_ten_thousand_rows(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(
        EmulatorConfig(seed=3, devices=10_050), modules=("cloud_common", "cloud_platform")
    )
    async with emulator_client(app, CBCloudAPI) as api:
        query = api.select(Device)
        total = await query.count()
        assert total > 10_000
        # The search pages only the first 10,000 rows...
        tail = [d.id async for d in query[9_990:total]]
        assert len(tail) == 10
        assert "pages only the first 10000" in caplog.text
        # ...the scroll gives every device once.
        scrolled = [d.id async for d in query.scroll()]
    assert len(scrolled) == total
    assert len(set(scrolled)) == total
