"""The search-job mechanism against the emulator, proven by its counters: one submit under
concurrent first use, the deadline, cancellation that stops polling, the job pool, "no data".

(tests/core/test_jobs.py proves the same below the wire, on a fake backend.)
"""

from __future__ import annotations

import anyio
import pytest

from cbasync import errors
from cbasync._jobs import JobProgress
from cbasync.cloud import AuthEvent, CBCloudAPI, Process
from tests.clients import emulator_client
from tests.cloud.conftest import cloud_app, counters

pytestmark = pytest.mark.anyio


async def test_concurrent_first_use_submits_one_job() -> None:
    app = cloud_app()
    async with emulator_client(app, CBCloudAPI) as api:
        query = api.select(AuthEvent).where("auth_username:SYSTEM")
        totals: list[int] = []

        async def read(i: int) -> None:
            if i % 3 == 0:
                totals.append(await query.count())
            elif i % 3 == 1:
                totals.append(len([e async for e in query.batch_size(50 + i)]))
            else:
                totals.append(len(await query[: 10 + i].all()) and await query.count())

        async with anyio.create_task_group() as tg:
            for i in range(20):
                tg.start_soon(read, i)
    assert counters(app)["jobs"]["created"] == {"auth_search": 1}
    assert len(set(totals)) == 1


async def test_the_deadline_raises_with_the_last_status_and_polling_stops() -> None:
    app = cloud_app(job_duration=30.0)
    async with emulator_client(app, CBCloudAPI, job_max_wait=0.4) as api:
        query = api.select(Process).where("process_name:cmd.exe")
        with pytest.raises(errors.TimeoutError) as info:
            await query.count()
        last = info.value.last_response
        assert isinstance(last, JobProgress)
        assert last.completed < last.contacted or last.contacted == 0
        polled = counters(app)["jobs"]["polled"]["process_search"]
        await anyio.sleep(0.3)
        assert counters(app)["jobs"]["polled"]["process_search"] == polled
        # A wait of its own: max_wait per call.
        with pytest.raises(errors.TimeoutError):
            await query.wait(max_wait=0.1)


async def test_cancelling_the_reader_stops_polling() -> None:
    app = cloud_app(job_duration=30.0)
    async with emulator_client(app, CBCloudAPI) as api:
        query = api.select(AuthEvent).where("auth_username:SYSTEM")
        with anyio.move_on_after(0.4) as scope:
            async for _event in query:
                pass
        assert scope.cancelled_caught
        polled = counters(app)["jobs"]["polled"]["auth_search"]
        assert polled > 0
        await anyio.sleep(0.3)
        assert counters(app)["jobs"]["polled"]["auth_search"] == polled
        assert api.job_slots.limiter.borrowed_tokens == 0  # the slot came back
        assert query.job.job_id is None  # forgotten: the next read submits again


async def test_the_job_pool_bounds_the_jobs_on_the_server() -> None:
    app = cloud_app(job_duration=0.3)
    async with emulator_client(app, CBCloudAPI, max_concurrent_jobs=3) as api:
        queries = [
            api.select(AuthEvent).where("auth_username:SYSTEM").time_range(window=f"-{40 + i}d")
            for i in range(9)
        ]
        counts: list[int] = []

        async def read(i: int) -> None:
            counts.append(len(await queries[i].all()))

        async with anyio.create_task_group() as tg:
            for i in range(9):
                tg.start_soon(read, i)
        assert api.job_slots.limiter.borrowed_tokens == 0
    jobs = counters(app)["jobs"]
    assert jobs["created"] == {"auth_search": 9}
    assert jobs["max_running"] == 3
    assert len(set(counts)) == 1


async def test_no_data_ends_the_wait_at_once() -> None:
    app = cloud_app()
    for endpoint in app.state.endpoints:
        endpoint.online = False  # nothing answers: the job says "No data available"
    async with emulator_client(app, CBCloudAPI) as api:
        query = api.select(AuthEvent).where("auth_username:SYSTEM")
        progress = await query.wait()
        assert progress.no_data
        assert await query.count() == 0
        assert [e async for e in query] == []
    assert counters(app)["jobs"]["polled"] == {"auth_search": 1}
