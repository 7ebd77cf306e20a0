"""What a project that tests its own code with cbasync's fixtures does, once for every runner.

Each suite beside this module (``asyncio_strict/``, ``asyncio_auto/``, ``anyio/``) is a small
project of its own, run by ``tests/test_plugin_suites.py`` in a subprocess under that runner's
pytest plugin; its tests call these coroutines with the fixtures they were given, the way a
user's test would call the code it tests. Nothing here knows which runner drives it.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from cbasync import CBCloudAPI, CbProtectionAPI, CbResponseAPI, ObjectNotFoundError
from cbasync.protection import Computer
from cbasync.response import Process, Sensor
from cbasync.testing import EmulatorApp, ManualClock, Recorder

PROCESS_JOBS = "/api/investigate/v2/orgs/{org_key}/processes/search_jobs"


async def hunt(api: CbResponseAPI, emulator: EmulatorApp) -> None:
    """A search, a page walk and a join, on a client the fixture left unopened."""
    query = api.select(Process).where("process_name:cmd.exe")
    total = await query.count()
    raw = emulator.counters.requests("GET /api/v1/process")
    assert total > 0
    assert raw == 1
    names = {proc.process_name async for proc in query[:25]}
    assert names == {"cmd.exe"}
    first = await query.first()
    assert first is not None
    sensor = await first.sensor()
    assert (sensor.computer_name or "").lower() == (first.hostname or "").lower()


async def isolate_an_online_sensor(api: CbResponseAPI, clock: ManualClock) -> None:
    """EDR's isolation waits for the sensor's next check-in (5 emulated seconds by default); on
    the plugin's running clock it is confirmed within the client's second poll."""
    online = [s async for s in api.select(Sensor) if s.is_online]
    assert online
    started = clock.monotonic()
    isolated = await online[0].isolate(max_wait=60, poll_interval=0.2)
    assert isolated.is_isolating
    assert isolated.network_isolation_enabled
    assert clock.monotonic() - started >= 5.0  # the emulator's isolation delay did pass


async def isolate_on_a_stopped_clock(api: CbResponseAPI, clock: ManualClock) -> None:
    """With ``ManualClock()`` (no speed) the test drives time: the wait ends once it advances."""
    assert clock.speed == 0
    online = [s async for s in api.select(Sensor) if s.is_online]
    result: list[Sensor] = []

    async def isolate() -> None:
        result.append(await online[0].isolate(max_wait=60, poll_interval=0.05))

    async with anyio.create_task_group() as tg:
        tg.start_soon(isolate)
        # Advance only once the isolation request is in (a sensor GET follows the PUT).
        with anyio.fail_after(30):
            while True:
                await anyio.sleep(0.01)
                sensor = await api.get(Sensor, online[0].id)
                if sensor.network_isolation_enabled:
                    break
        assert not result
        clock.advance(5)
    assert result[0].is_isolating


async def search_job_completes(api: CBCloudAPI) -> None:
    """A cloud search job takes 3 emulated seconds; polled in real time it completes promptly."""
    submitted = await api.post_object(PROCESS_JOBS, {"query": "process_name:cmd.exe", "rows": 5})
    job_id = submitted["job_id"]
    for _ in range(200):  # bounded: 200 polls 50 ms apart at most
        page = await api.get_object(
            PROCESS_JOBS + "/{job_id}/results",
            {"rows": 5},
            path_params={"job_id": job_id},
        )
        if page["contacted"] and page["completed"] >= page["contacted"]:
            assert page["num_found"] > 0
            assert len(page["results"]) == 5
            return
        await anyio.sleep(0.05)
    raise AssertionError(f"search job {job_id} never completed: {page}")


async def scripted_answer_and_recorded_requests(api: CbResponseAPI, recorder: Recorder) -> None:
    """A scripted 404 for one route, then the emulator again; the recorder saw every request."""
    recorder.answer("GET /api/v1/sensor/{id}", status=404, json={"reason": "sensor not found"})
    with pytest.raises(ObjectNotFoundError) as raised:
        await api.get(Sensor, 1)
    assert raised.value.route == "/api/v1/sensor/{id}"
    sensor = await api.get(Sensor, 1)  # the scripted answer was for one request only
    assert sensor.id == 1
    calls = recorder.calls_to("GET /api/v1/sensor/{id}")
    assert [(c.path, c.status, c.scripted) for c in calls] == [
        ("/api/v1/sensor/1", 404, True),
        ("/api/v1/sensor/1", 200, False),
    ]
    await api.select(Process).where("process_name:svchost.exe").count()
    (search,) = recorder.calls_to("GET /api/v1/process")
    assert search.param("q") == "process_name:svchost.exe"
    assert search.param("rows") == "0"


async def app_control(api: CbProtectionAPI) -> None:
    computer = await api.select(Computer).first()
    assert computer is not None
    assert (await api.get(Computer, computer.id)).name == computer.name


async def raw_http(http: Any) -> None:
    answer = await http.get("/api/v1/process", params={"q": "process_name:cmd.exe", "rows": 0})
    assert answer.status_code == 200
    assert answer.json()["total_results"] > 0


async def opened_and_closed_by_the_test(api: CbResponseAPI) -> None:
    """A user's own async fixture may open and close the fixture's client."""
    assert api.transport.state == "open"
    assert await api.server_version() >= (7, 7)
