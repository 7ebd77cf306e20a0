"""The Recorder: requests as the emulator received them, and scripted answers per route."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cbasync import ServerError
from cbasync.response import CbResponseAPI, Sensor
from cbasync.testing import Call, EmulatorConfig, ManualClock, Recorder, create_app
from cbasync.testing.app import EmulatorApp
from tests.clients import EMULATOR_BASE

pytestmark = pytest.mark.anyio


@pytest.fixture
def app() -> EmulatorApp:
    return create_app(
        EmulatorConfig(seed=3, processes=500, devices=5), clock=ManualClock(), modules=["edr"]
    )


@pytest.fixture
def recorder(app: EmulatorApp) -> Recorder:
    return Recorder(app)


@pytest.fixture
async def http(app: EmulatorApp, recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=recorder),
        base_url=EMULATOR_BASE,
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


@pytest.fixture
async def api(app: EmulatorApp, recorder: Recorder) -> AsyncIterator[CbResponseAPI]:
    async with CbResponseAPI(
        url=EMULATOR_BASE,
        token=app.config.token,
        environ={},
        max_retries=2,
        transport=httpx.ASGITransport(app=recorder),
    ) as client:
        yield client


async def test_every_request_is_recorded_with_its_route_params_body_and_status(
    http: httpx.AsyncClient, recorder: Recorder
) -> None:
    await http.get("/api/v1/process", params=[("q", "process_name:cmd.exe"), ("rows", "0")])
    await http.put("/api/v1/sensor/2", json={"network_isolation_enabled": True})
    await http.get("/no/such/route")
    process, put, unmatched = recorder.calls
    assert process == Call(
        "GET",
        "/api/v1/process",
        "GET /api/v1/process",
        (("q", "process_name:cmd.exe"), ("rows", "0")),
        b"",
        200,
        False,
    )
    assert process.param("q") == "process_name:cmd.exe"
    assert process.param("facet") is None
    assert process.json is None
    assert (put.route, put.json, put.status) == (
        "PUT /api/v1/sensor/{sensor_id}",
        {"network_isolation_enabled": True},
        put.status,
    )
    assert 200 <= put.status < 300
    assert (unmatched.route, unmatched.status) == ("GET <unmatched>", 404)


async def test_calls_to_a_template_ignores_parameter_names_but_not_literals(
    http: httpx.AsyncClient, recorder: Recorder
) -> None:
    await http.get("/api/v1/sensor/1")
    await http.get("/api/v1/sensor/statistics")
    await http.get("/api/v1/sensor/3")
    assert [c.path for c in recorder.calls_to("GET /api/v1/sensor/{id}")] == [
        "/api/v1/sensor/1",
        "/api/v1/sensor/3",
    ]
    assert [c.path for c in recorder.calls_to("GET /api/v1/sensor/statistics")] == [
        "/api/v1/sensor/statistics"
    ]
    assert [c.path for c in recorder.calls_to("GET /api/v1/sensor/3")] == ["/api/v1/sensor/3"]
    assert recorder.calls_to("PUT /api/v1/sensor/{id}") == []


async def test_a_scripted_answer_is_used_times_times_then_the_emulator_answers(
    api: CbResponseAPI, app: EmulatorApp, recorder: Recorder
) -> None:
    recorder.answer("GET /api/v1/sensor/{id}", status=503, times=2)
    sensor = await api.get(Sensor, 2)  # two 503s retried, then the emulator's sensor
    assert sensor.id == 2
    calls = recorder.calls_to("GET /api/v1/sensor/{id}")
    assert [(c.status, c.scripted) for c in calls] == [(503, True), (503, True), (200, False)]
    # Scripted answers are counted by the emulator's counters, under the scripted route.
    assert app.counters.requests("GET /api/v1/sensor/{id}", status=503) == 2
    assert app.counters.requests("GET /api/v1/sensor/{sensor_id}", status=200) == 1


async def test_an_answer_without_a_limit_keeps_answering(
    api: CbResponseAPI, recorder: Recorder
) -> None:
    recorder.answer("GET /api/v1/sensor/{id}", status=500, json={"reason": "down"}, times=None)
    for _ in range(2):
        with pytest.raises(ServerError):
            await api.get(Sensor, 1)
    assert all(c.scripted for c in recorder.calls)


async def test_scripted_bodies_and_headers(http: httpx.AsyncClient, recorder: Recorder) -> None:
    recorder.answer("GET /api/info", json={"version": "9.9.9"})
    recorder.answer("GET /api/v1/binary/{md5}/icon", content=b"\x89PNG", headers={"X-Icon": "yes"})
    recorder.answer("DELETE /api/v1/watchlist/7", status=204)
    info = await http.get("/api/info")
    assert (info.json(), info.headers["content-type"]) == ({"version": "9.9.9"}, "application/json")
    icon = await http.get("/api/v1/binary/ABC/icon")
    assert (icon.content, icon.headers["x-icon"]) == (b"\x89PNG", "yes")
    deleted = await http.delete("/api/v1/watchlist/7")
    assert (deleted.status_code, deleted.content) == (204, b"")
    posted = await http.post("/api/info", json={"a": 1})  # other methods are not scripted
    assert posted.status_code == 405


async def test_a_scripted_answer_reads_the_request_body(
    http: httpx.AsyncClient, recorder: Recorder
) -> None:
    recorder.answer("POST /api/v1/watchlist", json={"id": 99})
    answer = await http.post("/api/v1/watchlist", json={"name": "w", "search_query": "q=x"})
    assert answer.json() == {"id": 99}
    (call,) = recorder.calls_to("POST /api/v1/watchlist")
    assert call.scripted
    assert call.json == {"name": "w", "search_query": "q=x"}


async def test_reset_forgets_calls_and_answers(http: httpx.AsyncClient, recorder: Recorder) -> None:
    recorder.answer("GET /api/info", status=500, times=None)
    await http.get("/api/info")
    recorder.reset()
    assert recorder.calls == []
    assert (await http.get("/api/info")).status_code == 200


@pytest.mark.parametrize(
    ("route", "kwargs", "message"),
    [
        ("/api/info", {}, "METHOD /path"),
        ("GET api/info", {}, "METHOD /path"),
        ("GET /api/info", {"status": 42}, "status"),
        ("GET /api/info", {"times": 0}, "times"),
        ("GET /api/info", {"json": {}, "content": b""}, "json= or content="),
    ],
)
def test_bad_scripts_are_refused(
    recorder: Recorder, route: str, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        recorder.answer(route, **kwargs)  # type: ignore[arg-type]
