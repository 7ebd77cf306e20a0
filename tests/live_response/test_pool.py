"""The Live Response pool end to end: a job per device, results as they complete, at most
``slots`` sessions, failures and offline devices kept to their own results, and every session
closed however the run ends (the emulator's counters say so)."""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from cbasync import errors
from cbasync.live_response import JobHandle, JobResult, LiveResponseSession, Progress
from tests.live_response.conftest import (
    LINUX,
    OFFLINE,
    WINDOWS,
    WINDOWS_SERVER,
    Server,
)

pytestmark = pytest.mark.anyio


async def processes(lr: LiveResponseSession) -> int:
    return len(await lr.list_processes())


async def test_a_result_per_device_as_each_completes(server: Server) -> None:
    online = [server.device(i) for i in (WINDOWS, WINDOWS_SERVER, LINUX)]
    devices = [*online, server.device(OFFLINE), server.device(900)]
    async with server.lr.run(processes, devices, slots=3, job_timeout=1.0) as results:
        seen = {result.device_id: result async for result in results}
    assert set(seen) == set(devices)
    for index, device in zip((WINDOWS, WINDOWS_SERVER, LINUX), online, strict=True):
        assert seen[device].ok
        assert seen[device].error is None
        assert seen[device].value == len(server.image(index).process_list())
        assert seen[device].finished >= seen[device].started
    offline = seen[server.device(OFFLINE)]
    assert isinstance(offline.error, errors.TimeoutError)  # failed at its deadline, alone
    assert offline.value is None
    assert offline.elapsed >= 1.0
    with pytest.raises(errors.TimeoutError):
        offline.unwrap()
    assert isinstance(seen[server.device(900)].error, errors.ObjectNotFoundError)
    assert server.counters.open == 0
    assert server.lr.slots.in_use == 0


@pytest.mark.parametrize("dialect", ["edr", "v6"])
@pytest.mark.parametrize(
    "config", [{"devices": 300, "online_ratio": 1.0, "lr_activation": 0.0, "lr_command_delay": 0.0}]
)
async def test_300_devices_never_hold_more_than_the_slots(server: Server) -> None:
    devices = [server.device(i) for i in range(300)]
    slots = 10
    async with server.lr.run(processes, devices, slots=slots, job_timeout=2.0) as results:
        outcomes = [result async for result in results]
    assert len(outcomes) == 300
    failed = [r for r in outcomes if not r.ok]
    assert [r.device_id for r in failed] == [server.device(OFFLINE)]  # the one fixed offline
    assert server.counters.max_concurrent <= slots
    assert server.lr.slots.most_in_use <= slots
    assert server.counters.slot_limit_violations == 0
    assert server.counters.created == 300
    assert server.counters.open == 0


async def test_a_device_s_jobs_share_its_session_in_order(server: Server) -> None:
    spans: list[tuple[int, object, float, float, int]] = []

    def job(n: int) -> Any:
        async def run(lr: LiveResponseSession) -> int:
            start = anyio.current_time()
            await lr.list_processes()
            spans.append((lr.device_id, lr.session_id, start, anyio.current_time(), n))
            return n

        return run

    async with server.lr.pool(slots=4) as pool:
        handles = [
            pool.submit_job(job(n), server.device(WINDOWS if n < 3 else WINDOWS_SERVER))
            for n in range(4)
        ]
        assert [await handle for handle in handles] == [0, 1, 2, 3]
    mine = [span for span in spans if span[0] == server.device(WINDOWS)]
    assert [span[4] for span in mine] == [0, 1, 2]  # in the order submitted
    assert len({span[1] for span in mine}) == 1  # one session
    for before, after in itertools.pairwise(mine):
        assert before[3] <= after[2]  # one after another
    assert server.counters.created == 2
    assert server.counters.open == 0


async def test_progress_is_reported_with_each_result(server: Server) -> None:
    reports: list[Progress[int]] = []

    async def report(progress: Progress[int]) -> None:
        await anyio.lowlevel.checkpoint()
        reports.append(progress)

    devices = [server.device(i) for i in (WINDOWS, LINUX, 900)]
    async with server.lr.run(processes, devices, on_progress=report) as results:
        async for _ in results:
            pass
        assert (results.done, results.failed, results.total) == (3, 1, 3)
    assert [p.done for p in reports] == [1, 2, 3]
    assert reports[-1].failed == 1
    assert {p.result.device_id for p in reports} == set(devices)

    counted: list[int] = []
    async with server.lr.pool(on_progress=lambda p: counted.append(p.done)) as pool:
        pool.submit_job(processes, server.device(WINDOWS))
    assert counted == [1]


async def test_devices_may_come_from_an_async_stream(server: Server) -> None:
    async def arriving() -> AsyncIterator[int]:
        for index in (WINDOWS, LINUX, WINDOWS):
            await anyio.sleep(0.01)  # an alert names a device
            yield server.device(index)

    async with server.lr.run(processes, arriving()) as results:
        seen = [result async for result in results]
        assert results.total is None
    assert sorted(r.device_id for r in seen) == sorted(
        server.device(i) for i in (WINDOWS, LINUX, WINDOWS)
    )
    assert all(r.ok for r in seen)


async def test_leaving_a_run_early_closes_every_session(server: Server) -> None:
    devices = [server.device(i) for i in (WINDOWS, WINDOWS_SERVER, LINUX, 5, 6, 7)]

    async def slow(lr: LiveResponseSession) -> int:
        if lr.device_id != devices[0]:
            await anyio.sleep(10)
        return 1

    async with server.lr.run(slow, devices, slots=4) as results:
        async for result in results:
            assert result.device_id == devices[0]
            break
    assert server.counters.open == 0
    assert server.lr.slots.in_use == 0


async def test_cancellation_at_random_points_leaves_no_session_open(server: Server) -> None:
    rng = random.Random(f"cancel-{server.dialect}")
    devices = [server.device(i) for i in (WINDOWS, WINDOWS_SERVER, LINUX, OFFLINE, 5, 6, 7, 8)]

    async def job(lr: LiveResponseSession) -> int:
        await lr.put_file(b"x" * 1000, lr.path_join("/tmp" if not lr.os_windows else "C:\\", "c"))
        return len(await lr.list_directory("/tmp/" if not lr.os_windows else "C:\\"))

    for _ in range(8):
        with anyio.move_on_after(rng.uniform(0.0, 0.15)):
            async with server.lr.run(job, devices, slots=3) as results:
                async for _result in results:
                    pass
        assert server.counters.open == 0, server.counters
        assert server.lr.slots.in_use == 0
        assert server.lr.sessions_open == 0


async def test_submit_job_awaits_one_job_with_its_deadline(server: Server) -> None:
    assert await server.lr.submit_job(processes, server.device(LINUX)) == len(
        server.image(LINUX).process_list()
    )
    with pytest.raises(errors.TimeoutError, match=r"did not finish within 0\.3s"):
        await server.lr.submit_job(processes, server.device(OFFLINE), job_timeout=0.3)
    assert server.counters.open == 0


async def test_a_pool_s_handles_give_values_errors_and_results(server: Server) -> None:
    async with server.lr.pool(job_timeout=1.0) as pool:
        good = pool.submit_job(processes, server.device(WINDOWS))
        offline = pool.submit_job(processes, server.device(OFFLINE))
        assert await good > 0
        result: JobResult[int] = await offline.result()
        assert isinstance(result.error, errors.TimeoutError)
        with pytest.raises(errors.TimeoutError):
            await offline
        assert good.done()
    with pytest.raises(errors.ClientStateError, match="closed"):
        pool.submit_job(processes, server.device(WINDOWS))
    assert server.counters.open == 0


async def test_an_error_in_a_pool_s_block_cancels_its_jobs_and_fails_their_handles(
    server: Server,
) -> None:
    async def forever(lr: LiveResponseSession) -> int:
        await anyio.sleep(10)
        return 0

    handles: list[JobHandle[int]] = []

    async def submit_then_fail() -> None:
        async with server.lr.pool() as pool:
            handles.append(pool.submit_job(forever, server.device(WINDOWS)))
            await anyio.sleep(0.2)
            raise KeyError("stop")

    with pytest.raises(KeyError, match="stop"):
        await submit_then_fail()
    result = await handles[0].result()
    assert isinstance(result.error, errors.ClientStateError)
    assert server.counters.open == 0


async def test_run_arguments_are_checked(server: Server) -> None:
    lr = server.lr
    with pytest.raises(ValueError, match="more than this client's 10 session slots"):
        lr.run(processes, [1], slots=11)
    with pytest.raises(ValueError, match="slots must be"):
        lr.run(processes, [1], slots=0)
    with pytest.raises(ValueError, match="job_timeout"):
        lr.run(processes, [1], job_timeout=0)
    run = lr.run(processes, [server.device(WINDOWS)])
    with pytest.raises(TypeError):
        async for _ in run:  # type: ignore[attr-defined]
            pass
    async with run as results:
        assert [r.ok async for r in results] == [True]
    with pytest.raises(errors.ClientStateError, match="entered once"):
        async with run:
            pass
