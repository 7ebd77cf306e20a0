"""Auth Events (seed 004) end to end against the emulator, and the exact bodies on the wire.

Expected values come from the emulator (a plain httpx request to the same app, or its
counters), never from constants.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
import respx

from cbasync import errors
from cbasync.cloud import AuthEvent, AuthEventDetail, CBCloudAPI
from cbasync.testing.app import EmulatorApp
from tests.clients import BASE, ORG_KEY, emulator_client, respx_client
from tests.cloud.conftest import counters

pytestmark = pytest.mark.anyio

A = "/api/investigate/v2/orgs/{org}/auth_events"


async def truth(http: httpx.AsyncClient, app: EmulatorApp, body: dict[str, Any]) -> Any:
    """The emulator's own answer to a search job, read without cbasync."""
    base = A.format(org=app.config.org_key)
    job = (await http.post(f"{base}/search_jobs", json=body)).json()["job_id"]
    for _ in range(200):
        answer = (await http.get(f"{base}/search_jobs/{job}/results", params={"rows": 0})).json()
        if answer["contacted"] and answer["completed"] >= answer["contacted"]:
            page = await http.get(
                f"{base}/search_jobs/{job}/results",
                params={"rows": answer["num_available"]},
            )
            return page.json()
        await anyio.sleep(0.05)
    raise AssertionError("the emulator's job never finished")


async def test_a_search_reads_every_event_of_one_job(
    app: EmulatorApp, http: httpx.AsyncClient
) -> None:
    expected = await truth(
        http,
        app,
        {"query": "auth_username:SYSTEM", "rows": 10_000, "time_range": {"window": "-10w"}},
    )
    async with emulator_client(app, CBCloudAPI) as api:
        query = api.select(AuthEvent).where("auth_username:SYSTEM").time_range(window="-10w")
        before = counters(app)["jobs"]["created"].get("auth_search", 0)
        assert await query.count() == expected["num_available"]
        events = [e async for e in query.batch_size(100)]
        first = await query.first()
        sliced = [e.event_id async for e in query[5:8]]
        assert counters(app)["jobs"]["created"]["auth_search"] == before + 1  # one job for all
    assert [e.event_id for e in events] == [r["event_id"] for r in expected["results"]]
    assert len({e.event_id for e in events}) == len(events)  # no duplicates, no gaps
    assert first is not None
    assert first.event_id == events[0].event_id
    assert sliced == [e.event_id for e in events[5:8]]
    assert all(e.auth_username == "SYSTEM" for e in events)
    assert not first.is_loaded


async def test_criteria_exclusions_fields_sort_and_collapse(
    app: EmulatorApp, http: httpx.AsyncClient
) -> None:
    body = {
        "criteria": {"auth_event_action": ["LOGON_SUCCESS", "LOGON_FAILED"]},
        "exclusions": {"auth_username": ["SYSTEM"]},
        "fields": ["*", "device_os"],
        "sort": [{"field": "device_timestamp", "order": "ASC"}],
        "rows": 10_000,
    }
    expected = await truth(http, app, body)
    collapsed = await truth(http, app, {**body, "collapse": True, "collapse_field": ["device_id"]})
    async with emulator_client(app, CBCloudAPI) as api:
        query = (
            api.select(AuthEvent)
            .criteria(auth_event_action=["LOGON_SUCCESS", "LOGON_FAILED"])
            .exclusions(auth_username="SYSTEM")
            .set_fields("*", "device_os")
            .sort_by("device_timestamp", "asc")
        )
        assert query.job_body() == body
        events = await query.all()
        one_per_device = await query.collapse().all()
    assert [e.event_id for e in events] == [r["event_id"] for r in expected["results"]]
    assert events
    assert all(e.auth_username != "SYSTEM" for e in events)
    assert all(e.get("device_os") == "WINDOWS" for e in events)  # an extra field, kept
    stamps = [e.device_timestamp for e in events]
    assert stamps == sorted(stamps)  # type: ignore[type-var]
    assert [e.event_id for e in one_per_device] == [r["event_id"] for r in collapsed["results"]]


async def test_a_bad_query_is_refused_before_any_job(app: EmulatorApp) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        query = api.select(AuthEvent).where("auth_username:(SYSTEM")
        assert (await query.validate()).valid is False
        with pytest.raises(errors.QuerySyntaxError, match="does not parse"):
            await query.count()
        assert (await AuthEvent.validate_query(api, "auth_username:SYSTEM")).valid is True
    assert counters(app)["jobs"]["created"].get("auth_search", 0) == 0


async def test_details_by_event_ids_and_by_alert(app: EmulatorApp, http: httpx.AsyncClient) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        events = await api.select(AuthEvent).where("auth_username:SYSTEM")[:3].all()
        ids = [e.event_id for e in events]
        details = await AuthEvent.details_of(api, event_ids=ids).all()
        assert sorted(d.event_id for d in details) == sorted(ids)
        assert all(
            isinstance(d, AuthEventDetail) and d.auth_logon_type is not None for d in details
        )

        one = await events[0].details()
        assert one.event_id == ids[0]
        assert one.is_loaded
        event = await events[1].refresh()
        assert event.is_loaded
        assert event.get("auth_user_id")
        fetched = await api.get(AuthEvent, ids[2])
        assert fetched.event_id == ids[2]
        with pytest.raises(errors.ObjectNotFoundError):
            await api.get(AuthEvent, "00000000-0000-0000-0000-000000000000")

        alert = await http.post(
            f"/api/alerts/v7/orgs/{app.config.org_key}/alerts/_search", json={"rows": 1}
        )
        alert_id = alert.json()["results"][0]["id"]
        by_alert = await AuthEvent.details_of(api, alert_id=alert_id).all()
        assert by_alert
        assert all(isinstance(d, AuthEventDetail) for d in by_alert)
        with pytest.raises(ValueError, match="exactly one"):
            AuthEvent.details_of(api)
        with pytest.raises(TypeError, match="takes no query"):
            AuthEvent.details_of(api, event_ids=ids).where("x:y")


async def test_facets_terms_and_ranges(app: EmulatorApp, http: httpx.AsyncClient) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        query = api.select(AuthEvent).where("auth_event_action:LOGON_SUCCESS")
        events = await query.all()
        facets = await query.facets(
            "auth_username",
            "windows_event_id",
            rows=3,
            ranges=[
                {
                    "field": "device_timestamp",
                    "start": "2024-04-01T00:00:00Z",
                    "end": "2024-05-01T00:00:00Z",
                    "bucket_size": "+1DAY",
                }
            ],
        )
    users = facets.values("auth_username")
    assert 0 < len(users) <= 3
    counted: dict[str, int] = {}
    for event in events:
        counted[str(event.auth_username)] = counted.get(str(event.auth_username), 0) + 1
    assert {v.name: v.total for v in users} == {
        name: n for name, n in counted.items() if name in {v.name for v in users}
    }
    assert users[0]["total"] == max(counted.values())
    assert facets.ranges
    assert facets.ranges[0].field == "device_timestamp"
    assert facets.num_found == len(events)
    with pytest.raises(ValueError, match="at least one field"):
        await query.facets()


async def test_grouped_results(app: EmulatorApp) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        query = api.select(AuthEvent).where("auth_username:SYSTEM")
        events = await query.all()
        groups = [g async for g in query.group_results("device_name", page_size=3)]
        capped = [g async for g in query.group_results("device_name", max_events_per_group=2)]
        bucketed = [
            g
            async for g in query.group_results(
                "device_name",
                range_duration="1h",
                range_field="device_timestamp",
                range_method="bucket",
            )
        ]
    devices = {e.device_name for e in events}
    assert {g.group_value for g in groups} == devices
    assert sum(g.total_events or 0 for g in groups) == len(events)
    assert all(len(g.results) <= 2 for g in capped)
    assert all(isinstance(e, AuthEventDetail) for g in capped for e in g.results)
    assert sum(g.total_events or 0 for g in bucketed) == len(events)
    assert len(bucketed) >= len(groups)
    with pytest.raises(ValueError, match="interval or bucket"):
        query.group_results("device_name", range_method="sideways")


async def test_descriptions_and_suggestions(app: EmulatorApp, http: httpx.AsyncClient) -> None:
    base = A.format(org=app.config.org_key)
    expected = (await http.get(f"{base}/descriptions")).json()
    suggested = (await http.get(f"{base}/search_suggestions", params={"suggest.q": "auth"})).json()
    async with emulator_client(app, CBCloudAPI) as api:
        descriptions = await AuthEvent.descriptions(api)
        suggestions = await AuthEvent.search_suggestions(api, "auth")
        two = await AuthEvent.search_suggestions(api, "auth", count=2)
        none = await AuthEvent.search_suggestions(api, "auth_username:")
    assert descriptions.auth_event_action == expected["auth_event_action"]
    assert descriptions.event == expected["event"]
    assert [s.term for s in suggestions] == [s["term"] for s in suggested["suggestions"]]
    assert len(two) == 2
    assert none == []


async def test_more_matches_than_the_server_hands_out_are_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.cloud.conftest import cloud_app

    app = cloud_app(auth_events=12_000)
    async with emulator_client(app, CBCloudAPI) as api:
        query = api.select(AuthEvent).where("windows_event_id:*").time_range(window="-1y")
        progress = await query.wait()
        assert await query.count() == 10_000
        assert (progress.num_found or 0) > 10_000
        assert [e.event_id async for e in query[9_998:10_005]] != []
    assert f"{progress.num_found} match but the server hands out only 10000" in caplog.text


# -- the wire: the bodies seed 004 documents --------------------------------------------------


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def _done(results: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "results": results,
        "num_found": len(results),
        "num_available": len(results),
        "contacted": 12,
        "completed": 12,
        **extra,
    }


async def test_the_quick_start_on_the_wire(mock: respx.MockRouter) -> None:
    base = A.format(org=ORG_KEY)
    validation = mock.get(f"{base}/search_validation").respond(
        json={"valid": True, "value_search_query": False}
    )
    submit = mock.post(f"{base}/search_jobs").respond(
        json={"job_id": "9e846705-ffa4-4ad4-a1be-c97fdca1ac2f-sqs"}
    )
    event = {"event_id": "DA9E269E-421D-469D-A212-9062888A02F4", "auth_username": "SYSTEM"}
    results = mock.get(f"{base}/search_jobs/9e846705-ffa4-4ad4-a1be-c97fdca1ac2f-sqs/results")
    results.respond(json=_done([event]))
    detail_submit = mock.post(f"{base}/detail_jobs").respond(
        json={"job_id": "d91ecebb-3f70-4088-9724-918978efc0cb-sqs"}
    )
    mock.get(f"{base}/detail_jobs/d91ecebb-3f70-4088-9724-918978efc0cb-sqs/results").respond(
        json=_done([{**event, "auth_logon_type": 5}])
    )
    async with respx_client(CBCloudAPI) as api:
        query = api.select(AuthEvent).where("auth_username:SYSTEM").time_range(window="-10w")
        found = await query.first()
        assert found is not None
        detail = await found.details()
    assert detail.auth_logon_type == 5
    assert validation.calls[0].request.url.params["q"] == "auth_username:SYSTEM"
    assert json.loads(submit.calls[0].request.content) == {
        "query": "auth_username:SYSTEM",
        "time_range": {"window": "-10w"},
        "rows": 10_000,  # set explicitly: the server's default of 500 would hide the rest
    }
    assert submit.call_count == 1
    assert json.loads(detail_submit.calls[0].request.content) == {
        "event_ids": ["DA9E269E-421D-469D-A212-9062888A02F4"]
    }
    polls = [dict(c.request.url.params) for c in results.calls]
    assert polls[0] == {"start": "0", "rows": "0"}
    assert polls[-1] == {"start": "0", "rows": "1"}


async def test_facet_and_group_bodies_on_the_wire(mock: respx.MockRouter) -> None:
    base = A.format(org=ORG_KEY)
    mock.get(f"{base}/search_validation").respond(json={"valid": True})
    facet = mock.post(f"{base}/facet_jobs").respond(
        json={"job_id": "ff19b247-8b27-4bec-84d8-7b316660c389"}
    )
    mock.get(f"{base}/facet_jobs/ff19b247-8b27-4bec-84d8-7b316660c389/results").respond(
        json={
            "terms": [{"field": "auth_username", "values": [{"total": 3, "id": "a", "name": "a"}]}],
            "ranges": [],
            "num_found": 3,
            "contacted": 4,
            "completed": 4,
        }
    )
    mock.post(f"{base}/search_jobs").respond(json={"job_id": "g-sqs"})
    mock.get(f"{base}/search_jobs/g-sqs/results").respond(json=_done([]))
    groups = mock.post(f"{base}/search_jobs/g-sqs/group_results").respond(
        json={
            "group_results": [{"group_value": "SYSTEM", "results": []}],
            "groups_num_available": 1,
        }
    )
    async with respx_client(CBCloudAPI) as api:
        query = (
            api.select(AuthEvent)
            .where("(auth_username:Administrator) AND (device_name:test_name)")
            .time_range(start="2023-01-10T16:20:40.471Z", end="2023-01-20T16:20:40.471Z")
        )
        facets = await query.facets("windows_event_id", "auth_username", rows=1)
        page = await query.group_results("auth_username", max_events_per_group=5, page_size=1)
    assert facets.values("auth_username")[0].total == 3
    assert json.loads(facet.calls[0].request.content) == {
        "query": "(auth_username:Administrator) AND (device_name:test_name)",
        "terms": {"fields": ["windows_event_id", "auth_username"], "rows": 1},
        "time_range": {"start": "2023-01-10T16:20:40.471Z", "end": "2023-01-20T16:20:40.471Z"},
    }
    assert json.loads(groups.calls[0].request.content) == {
        "fields": ["auth_username"],
        "max_events_per_group": 5,
        "start": 0,
        "rows": 1,
    }
    assert [g.group_value for g in page.items] == ["SYSTEM"]


async def test_an_empty_page_before_num_available_ends_the_read(mock: respx.MockRouter) -> None:
    base = A.format(org=ORG_KEY)
    mock.get(f"{base}/search_validation").respond(json={"valid": True})
    mock.post(f"{base}/search_jobs").respond(json={"job_id": "e-sqs"})

    def answer(request: httpx.Request) -> httpx.Response:
        start, rows = int(request.url.params["start"]), int(request.url.params["rows"])
        # The server says 250 can be read, but runs dry at 120.
        rows_out = [{"event_id": f"E{i}"} for i in range(start, min(start + rows, 120))]
        return httpx.Response(
            200,
            json={
                "results": rows_out,
                "num_found": 400,
                "num_available": 250,
                "contacted": 2,
                "completed": 2,
            },
        )

    route = mock.get(f"{base}/search_jobs/e-sqs/results").mock(side_effect=answer)
    async with respx_client(CBCloudAPI) as api:
        events = [e.event_id async for e in api.select(AuthEvent).where("x:y").batch_size(50)]
    assert events == [f"E{i}" for i in range(120)]
    assert route.call_count <= 1 + 1 + 5  # a poll, the first page, one window: no spinning
