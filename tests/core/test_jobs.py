"""The search-job mechanism below the wire: a fake server backend, real (short) time.

What is proven here holds for every kind of job, because every kind goes through SearchJob:
one submit under concurrent first use, the deadline, cancellation that stops polling and the
server job, the job pool, "no data" ending the wait, and pages without duplicates or gaps.
"""

from __future__ import annotations

import math

import anyio
import pytest

from cbasync import errors
from cbasync._jobs import JobProgress, SearchJob, _Pace
from cbasync._pagination import Page
from cbasync._polling import Backoff

pytestmark = pytest.mark.anyio

FAST = Backoff(initial=0.005, maximum=0.02, factor=1.5, jitter=0.1)


class FakeServer:
    """Jobs that take ``duration`` seconds and find ``rows`` results (``available`` fetchable)."""

    def __init__(
        self,
        *,
        duration: float = 0.05,
        rows: int = 250,
        available: int | None = None,
        message: str | None = None,
        contacted: int = 4,
        failure: str | None = None,
    ) -> None:
        self.duration = duration
        self.rows = rows
        self.available = rows if available is None else available
        self.message = message
        self.contacted = contacted
        self.failure = failure
        self.submits = 0
        self.polls = 0
        self.stopped: list[str] = []
        self.started: dict[str, float] = {}
        self.running = 0
        self.most_running = 0
        self.pages: list[tuple[int, int]] = []

    def backend(self) -> Backend:
        return Backend(self)

    def done(self, job_id: str) -> bool:
        return anyio.current_time() - self.started[job_id] >= self.duration


class Backend:
    what = "fake search"

    def __init__(self, server: FakeServer) -> None:
        self.server = server

    async def submit(self) -> str:
        server = self.server
        server.submits += 1
        await anyio.sleep(0.001)  # the POST takes a moment: concurrent first uses overlap it
        job_id = f"job-{server.submits}"
        server.started[job_id] = anyio.current_time()
        server.running += 1
        server.most_running = max(server.most_running, server.running)
        return job_id

    async def progress(self, job_id: str) -> JobProgress:
        server = self.server
        server.polls += 1
        if job_id in server.stopped:
            raise errors.ObjectNotFoundError("stopped")
        if server.message is not None:
            return JobProgress(contacted=0, completed=0, message=server.message)
        if server.failure is not None:
            return JobProgress(contacted=1, completed=0, failure=server.failure)
        done = server.done(job_id)
        if done and job_id in server.started:
            server.running -= 1
            server.started[job_id] = -math.inf  # count it once
        completed = server.contacted if done else server.contacted // 2
        return JobProgress(
            contacted=server.contacted,
            completed=completed,
            num_found=server.rows,
            num_available=server.available,
        )

    async def page(self, job_id: str, start: int, rows: int) -> Page[int]:
        server = self.server
        server.pages.append((start, rows))
        end = min(start + rows, server.available)
        return Page(list(range(start, end)), server.available, start)

    async def stop(self, job_id: str) -> None:
        self.server.stopped.append(job_id)
        self.server.running -= 1


async def test_concurrent_first_use_submits_once() -> None:
    server = FakeServer()
    job = SearchJob(server.backend(), backoff=FAST)
    results: list[JobProgress] = []

    async def use() -> None:
        results.append(await job.wait())

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(use)
    assert server.submits == 1
    assert len(results) == 20
    assert all(progress.done for progress in results)
    assert job.job_id == "job-1"
    polls = server.polls
    assert (await job.wait()).num_found == 250  # finished: no further poll
    assert server.polls == polls


async def test_results_page_every_row_once_against_num_available() -> None:
    server = FakeServer(rows=12_000, available=1_000)
    job = SearchJob(server.backend(), backoff=FAST)
    rows = [row async for row in job.results(page_size=100)]
    assert rows == list(range(1_000))
    assert server.submits == 1
    assert job.progress is not None
    assert job.progress.num_found == 12_000  # more matched than can be fetched: reported
    assert sorted(start for start, _ in server.pages) == list(range(0, 1_000, 100))
    # Slicing reads the same job again: no new submit.
    assert [row async for row in job.results(page_size=7, start=990, stop=995)] == list(
        range(990, 995)
    )
    assert server.submits == 1


async def test_the_deadline_raises_with_the_last_progress_and_stops_the_job() -> None:
    server = FakeServer(duration=10.0)
    job = SearchJob(server.backend(), backoff=FAST, max_wait=0.1)
    with pytest.raises(errors.TimeoutError) as info:
        await job.wait()
    last = info.value.last_response
    assert isinstance(last, JobProgress)
    assert last.contacted == 4
    assert last.completed == 2
    assert "fake search job-1" in str(info.value)
    assert server.stopped == ["job-1"]
    assert job.job_id is None  # forgotten: the next use submits again


async def test_cancelling_the_only_waiter_stops_polling_and_the_job() -> None:
    server = FakeServer(duration=10.0)
    job = SearchJob(server.backend(), backoff=FAST)
    with anyio.move_on_after(0.1):
        await job.wait()
    assert server.stopped == ["job-1"]
    polls = server.polls
    await anyio.sleep(0.1)
    assert server.polls == polls  # nothing polls any more
    assert server.running == 0


async def test_a_cancelled_waiter_leaves_the_job_to_the_others() -> None:
    server = FakeServer(duration=0.2)
    job = SearchJob(server.backend(), backoff=FAST)
    finished: list[JobProgress] = []

    async def patient() -> None:
        finished.append(await job.wait())

    async with anyio.create_task_group() as tg:
        tg.start_soon(patient)
        with anyio.move_on_after(0.05):
            await job.wait()
    assert server.stopped == []
    assert server.submits == 1
    assert finished[0].done


async def test_the_job_pool_bounds_jobs_running_on_the_server() -> None:
    server = FakeServer(duration=0.05, rows=10)
    pool = anyio.CapacityLimiter(3)
    jobs = [SearchJob(server.backend(), pool=pool, backoff=FAST) for _ in range(12)]

    async def run(job: SearchJob[int]) -> None:
        await job.wait()

    async with anyio.create_task_group() as tg:
        for job in jobs:
            tg.start_soon(run, job)
    assert server.submits == 12
    assert server.most_running == 3
    # Finished jobs hold no slot, although nobody has read their rows yet.
    assert pool.borrowed_tokens == 0


async def test_no_data_ends_the_wait_with_no_rows() -> None:
    server = FakeServer(
        message="No data available, verify your endpoint communications or try again later"
    )
    job = SearchJob(server.backend(), backoff=FAST)
    progress = await job.wait()
    assert progress.no_data
    assert server.polls == 1
    assert [row async for row in job.results(page_size=100)] == []
    assert server.pages == []


async def test_a_failed_job_raises_a_server_error() -> None:
    server = FakeServer(failure="search backend unavailable")
    pool = anyio.CapacityLimiter(1)
    job = SearchJob(server.backend(), pool=pool, backoff=FAST)
    with pytest.raises(errors.ServerError, match="failed: search backend unavailable"):
        await job.wait()
    assert pool.borrowed_tokens == 0
    assert server.stopped == ["job-1"]


async def test_a_refused_submit_releases_its_slot() -> None:
    class Refusing(Backend):
        async def submit(self) -> str:
            raise errors.QuerySyntaxError("bad query", status=400)

    pool = anyio.CapacityLimiter(1)
    job = SearchJob(Refusing(FakeServer()), pool=pool, backoff=FAST)
    for _ in range(2):
        with pytest.raises(errors.QuerySyntaxError):
            await job.wait()
    assert pool.borrowed_tokens == 0


async def test_an_adopted_job_is_never_submitted_and_takes_no_slot() -> None:
    server = FakeServer(duration=0.05)
    pool = anyio.CapacityLimiter(1)
    async with anyio.create_task_group() as tg:
        # The pool is full: an adopted job (already running on the server) does not queue.
        await pool.acquire_on_behalf_of(tg)
        server.started["run-7"] = anyio.current_time()
        job = SearchJob(server.backend(), pool=pool, job_id="run-7", backoff=FAST)
        progress = await job.wait()
        pool.release_on_behalf_of(tg)
    assert progress.done
    assert server.submits == 0
    assert job.job_id == "run-7"


async def test_an_adopted_job_left_running_is_not_stopped_when_abandoned() -> None:
    server = FakeServer(duration=10.0)
    server.started["run-8"] = anyio.current_time()
    kept = SearchJob(server.backend(), job_id="run-8", stop_when_abandoned=False, backoff=FAST)
    with pytest.raises(errors.TimeoutError):
        await kept.wait(max_wait=0.05)
    assert server.stopped == []
    assert kept.job_id == "run-8"  # still the same server job: nothing to submit again
    stopped = SearchJob(server.backend(), job_id="run-8", backoff=FAST)
    with pytest.raises(errors.TimeoutError):
        await stopped.wait(max_wait=0.05)
    assert server.stopped == ["run-8"]


async def test_each_waiter_keeps_its_own_max_wait() -> None:
    server = FakeServer(duration=10.0)
    job = SearchJob(server.backend(), backoff=FAST, max_wait=5.0)
    outcomes: list[str] = []

    async def patient() -> None:
        with anyio.move_on_after(0.3):
            await job.wait()
        outcomes.append("patient gave up")

    async with anyio.create_task_group() as tg:
        tg.start_soon(patient)
        await anyio.sleep(0.02)  # the patient task holds the poll
        with pytest.raises(errors.TimeoutError) as info:
            await job.wait(max_wait=0.05)  # this one does not wait 5 s for its turn
        outcomes.append("hasty timed out")
        assert isinstance(info.value.last_response, JobProgress)
    assert outcomes == ["hasty timed out", "patient gave up"]
    assert server.submits == 1


async def test_a_job_just_submitted_is_first_polled_one_backoff_step_later() -> None:
    server = FakeServer(duration=10.0)
    backoff = Backoff(initial=0.1, maximum=0.1, factor=1.0, jitter=0.0)
    job = SearchJob(server.backend(), backoff=backoff)
    polled_at: list[float] = []
    progress = server.backend().progress

    async def timed(job_id: str) -> JobProgress:
        polled_at.append(anyio.current_time() - server.started[job_id])
        return await progress(job_id)

    job.backend.progress = timed  # type: ignore[method-assign]
    with pytest.raises(errors.TimeoutError):
        await job.wait(max_wait=0.25)
    # Not at once: a job created a moment ago has contacted nothing yet.
    assert polled_at[0] >= 0.09  # (a timer may fire a clock tick early)


async def test_an_adopted_job_is_polled_at_once() -> None:
    server = FakeServer(duration=0.0)
    server.started["run-1"] = anyio.current_time()
    job = SearchJob(server.backend(), job_id="run-1", backoff=Backoff(initial=1.0))
    with anyio.fail_after(0.5):  # no skipped poll: it already runs, and may be done
        assert (await job.wait()).done
    assert server.polls == 1


def test_the_pace_leaves_out_the_start_up_and_lands_just_after_the_end() -> None:
    # 12 searchers, none done for the first 0.2 s, then one every 0.15 s: done at 2.0 s.
    def seen(t: float) -> JobProgress:
        return JobProgress(contacted=12, completed=min(12, int((t - 0.2) / 0.15)))

    pace = _Pace(submitted_at=0.0)
    first = pace.eta(seen(0.81), 0.81)  # one point: the rate since the submit
    assert first == pytest.approx(0.81 * 8 / 4)
    eta = pace.eta(seen(1.5), 1.5)  # two points: the rate between them
    assert eta is not None
    since_submit = 1.5 * 4 / 8
    assert abs(1.5 + eta - 2.0) < abs(1.5 + since_submit - 2.0)
    assert 1.5 + eta == pytest.approx(2.0, abs=0.15)


def test_the_pace_says_nothing_without_progress_to_go_by() -> None:
    pace = _Pace(submitted_at=None)  # adopted: no submit time
    assert pace.eta(JobProgress(contacted=0, completed=0), 1.0) is None
    assert pace.eta(JobProgress(contacted=12, completed=0), 1.0) is None
    assert pace.eta(JobProgress(contacted=12, completed=12), 1.0) is None
    assert pace.eta(JobProgress(contacted=12, completed=3), 1.0) is None  # one point only
    assert pace.eta(JobProgress(contacted=12, completed=6), 2.0) == pytest.approx(5.5 / 3)
