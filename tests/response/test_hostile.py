"""The EDR client against hostile servers (issue 9): paging that does not advance, envelopes
that lie, errors read as "no more rows", malformed events, and queries too long for a URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import anyio
import httpx
import pytest
import respx

from cbasync import errors
from cbasync._retry import RetryPolicy
from cbasync.response import Alert, CbResponseAPI, Process, Sensor
from cbasync.response.models import process as process_module
from cbasync.testing import EmulatorConfig, create_app

pytestmark = pytest.mark.anyio

BASE = "https://cbserver.example"
GUID = "00000001-0000-0a1c-01d1-a1b2c3d4e5f6"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get("/api/info").respond(json={"version": "7.7.0.231020.1233"})
        yield router


def api(**kwargs: Any) -> CbResponseAPI:
    return CbResponseAPI(
        url=BASE, token="t", environ={}, retry_policy=RetryPolicy(backoff_base=0), **kwargs
    )


def params(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))


def process_row(i: int) -> dict[str, Any]:
    return {"id": f"{GUID[:-4]}{i:04x}", "segment_id": 1, "process_name": "cmd.exe"}


# -- 3. paging that does not advance --------------------------------------------------------


@pytest.mark.parametrize("report_total", [True, False])
async def test_a_search_server_that_ignores_start_is_an_error(
    mock: respx.MockRouter, report_total: bool
) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        rows = int(params(request)["rows"])
        body: dict[str, Any] = {"results": [process_row(i) for i in range(rows)], "start": 0}
        if report_total:
            body["total_results"] = 1_000
        return httpx.Response(200, json=body)

    mock.get("/api/v1/process").mock(side_effect=page)
    seen: list[str] = []

    async def iterate(cb: CbResponseAPI) -> None:
        async for proc in cb.select(Process).where("process_name:cmd.exe"):
            seen.append(proc.id)

    async with api() as cb:
        with anyio.fail_after(10), pytest.raises(errors.ServerError, match="advance") as info:
            await iterate(cb)
    assert info.value.route == "/api/v1/process"
    assert len(seen) == len(set(seen))  # no row twice


async def test_process_events_page_through_the_shared_paginator(
    mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process_module, "EVENT_PAGE", 5)
    events = [f"2013-09-19 22:07:{i:02d}.000000|{i:032x}|c:\\m{i}.dll" for i in range(12)]

    def page(request: httpx.Request) -> httpx.Response:
        query = params(request)
        start, count = int(query["cb.event_start"]), int(query["cb.event_count"])
        chunk = events[start : start + count]
        return httpx.Response(200, json={"process": {"id": GUID, "modload_complete": chunk}})

    route = mock.get(f"/api/v4/process/{GUID}/1/event").mock(side_effect=page)
    async with api() as cb:
        got = await cb.select(Process, (GUID, 1)).events()
    assert [e.path for e in got.modloads] == [f"c:\\m{i}.dll" for i in range(12)]
    assert [params(c.request)["cb.event_start"] for c in route.calls] == ["0", "5", "10"]


async def test_process_events_from_a_server_that_ignores_event_start_is_an_error(
    mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process_module, "EVENT_PAGE", 5)
    same = [f"2013-09-19 22:07:0{i}.000000|{i:032x}|c:\\m{i}.dll" for i in range(5)]
    route = mock.get(f"/api/v4/process/{GUID}/1/event").respond(
        json={"process": {"id": GUID, "modload_complete": same}}
    )
    async with api() as cb:
        with anyio.fail_after(10), pytest.raises(errors.ServerError, match="advance") as info:
            await cb.select(Process, (GUID, 1)).events()
    assert info.value.route == "/api/v4/process/{id}/{segment}/event"
    assert route.call_count == 2


@pytest.mark.parametrize(
    "process",
    [
        {"id": GUID, "filemod_complete": 5},
        {"id": GUID, "modload_complete": "2013-09-19 22:07:07.000000|aa|c:\\x.dll"},
        {"id": GUID, "netconn_complete": {"remote_ip": 1}},
    ],
)
async def test_a_malformed_event_list_is_a_server_error(
    mock: respx.MockRouter, process: dict[str, Any]
) -> None:
    mock.get(f"/api/v4/process/{GUID}/1/event").respond(json={"process": process})
    async with api() as cb:
        with pytest.raises(errors.ServerError, match="list") as info:
            await cb.select(Process, (GUID, 1)).events()
    assert info.value.route == "/api/v4/process/{id}/{segment}/event"


async def test_an_event_stream_that_does_not_advance_is_an_error(mock: respx.MockRouter) -> None:
    state = {
        "stream_id": "s1",
        "status_fw": "ready",
        "cur_segment_id": 1,
        "head_as_cur_segment_offset": 0,
        "events": [{"type": "filemod", "time": "2020-01-01T00:00:00Z", "segment_id": 1}] * 5,
    }
    mock.post("/api/v6/process/stream").respond(json=state)
    reads = mock.get("/api/v6/process/stream/s1").respond(json=state)
    mock.post("/api/v6/process/stream/s1").respond(json={"result": "success"})

    async def read_all(process: Process) -> list[Any]:
        async with process.stream(rows=5) as stream:
            return [event async for event in stream]

    async with api() as cb:
        with anyio.fail_after(10), pytest.raises(errors.ServerError, match="advance"):
            await read_all(cb.select(Process, (GUID, 1)))
    assert reads.call_count == 2


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"total_results": 250}, "no results"),
        ({"total_results": -3, "results": [process_row(1)]}, "negative"),
    ],
)
async def test_an_envelope_that_contradicts_itself_is_a_server_error(
    mock: respx.MockRouter, body: dict[str, Any], reason: str
) -> None:
    mock.get("/api/v1/process").respond(json=body)
    async with api() as cb:
        with pytest.raises(errors.ServerError, match=reason) as info:
            [p async for p in cb.select(Process)]
    assert info.value.route == "/api/v1/process"


# -- 4. a server error is never "no more rows" ------------------------------------------------


async def test_a_500_on_a_filtered_sensor_page_is_raised_not_read_as_the_end(
    mock: respx.MockRouter,
) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        start, rows = int(params(request)["start"]), int(params(request)["rows"])
        if start == 100:
            return httpx.Response(500, text="Internal Server Error")
        rows_ = [{"id": i, "computer_name": f"h{i}"} for i in range(start, min(start + rows, 250))]
        return httpx.Response(200, json={"results": rows_, "total_results": 250})

    mock.get("/api/v2/sensor").mock(side_effect=page)
    seen: list[int] = []

    async def iterate(cb: CbResponseAPI) -> None:
        async for sensor in cb.select(Sensor).where("groupid:1"):
            seen.append(sensor.id)

    async with api() as cb:
        with pytest.raises(errors.ServerError) as info:
            await iterate(cb)
    assert info.value.status == 500
    assert info.value.route == "/api/v2/sensor"
    assert len(seen) <= 100


# -- 5. a query longer than a URL may be -------------------------------------------------------

IOCS = " OR ".join(f"md5:{i:032x}" for i in range(2_000))  # ~80 KB: an ordinary IOC sweep


async def test_a_process_search_too_long_for_a_url_fails_before_sending(
    mock: respx.MockRouter,
) -> None:
    route = mock.get("/api/v1/process").respond(json={"results": [], "total_results": 0})
    async with api() as cb:
        with pytest.raises(errors.ClientError, match="too long") as info:
            await cb.select(Process).where(IOCS).count()
    assert info.value.route == "/api/v1/process"
    assert not route.called


async def test_a_long_alert_search_is_sent_as_a_post_body(mock: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        start, rows = int(body["start"]), int(body["rows"])
        results = [{"unique_id": f"a{i}"} for i in range(start, min(start + rows, 150))]
        return httpx.Response(200, json={"results": results, "total_results": 150})

    get = mock.get("/api/v2/alert").respond(json={"results": [], "total_results": 0})
    post = mock.post("/api/v2/alert").mock(side_effect=answer)
    async with api() as cb:
        alerts = [a.unique_id async for a in cb.select(Alert).where(IOCS)]
    assert alerts == [f"a{i}" for i in range(150)]
    assert not get.called
    sent = json.loads(post.calls[0].request.content)
    assert sent["q"] == IOCS
    assert sent["cb.urlver"] == "1"
    assert post.calls[0].request.url.query == b""


async def test_the_emulator_answers_a_long_alert_search_sent_as_a_post() -> None:
    app = create_app(EmulatorConfig(seed=3, processes=200, devices=5, alerts=300))
    async with app.client(CbResponseAPI) as cb:
        everything = await cb.select(Alert).count()
        padded = cb.select(Alert).where(" OR ".join([IOCS, "alert_type:*"]))
        assert await padded.count() == everything
