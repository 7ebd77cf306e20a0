"""The search-job engine, below HTTP, on a manual clock."""

from __future__ import annotations

import pytest

from cbasync.testing import ManualClock
from cbasync.testing.counters import Counters
from cbasync.testing.jobs import (
    MAX_AVAILABLE,
    NO_DATA_MESSAGE,
    Job,
    JobEngine,
    JobNotFoundError,
    SearchResult,
)


def engine(**kwargs: object) -> tuple[JobEngine, ManualClock, Counters]:
    clock = ManualClock()
    counters = Counters()
    options: dict[str, object] = {"duration": 10.0, "searchers": 4, "ttl": 100.0}
    options.update(kwargs)
    return JobEngine(clock, observer=counters, **options), clock, counters  # type: ignore[arg-type]


def result(n: int, total: int | None = None) -> SearchResult:
    return SearchResult.build(list(range(n)), lambda r: r, 4, total=total)


def test_progress_starts_uncontacted_then_climbs() -> None:
    jobs, clock, _ = engine()
    job = jobs.submit("search", compute=lambda: result(8))
    assert job.progress(clock.monotonic()) == (0, 0)
    assert not job.done(clock.monotonic())
    clock.advance(0.5)
    assert job.progress(clock.monotonic()) == (0, 0)  # start-up: first tenth of the duration
    clock.advance(1.0)
    contacted, completed = job.progress(clock.monotonic())
    assert contacted == 4
    assert completed < 4
    clock.advance(8.5)
    assert job.progress(clock.monotonic()) == (4, 4)
    assert job.done(clock.monotonic())


def test_results_are_partial_until_complete() -> None:
    jobs, clock, _ = engine()
    job = jobs.submit("search", compute=lambda: result(8, total=20))
    clock.advance(1.0 + 9.0 * 0.5)  # half the searchers have answered
    _, view = jobs.poll(job.id)
    assert (view.contacted, view.completed) == (4, 2)
    assert not view.done
    assert set(view.rows) == {0, 1, 4, 5}  # rows of searchers 0 and 1
    assert view.num_found < 20
    clock.advance(10)
    _, view = jobs.poll(job.id)
    assert view.done
    assert list(view.rows) == list(range(8))
    assert view.num_found == 20  # more matches than retrievable rows
    assert view.num_available == 8


def test_num_available_is_capped_by_rows_and_the_hard_limit() -> None:
    jobs, _, _ = engine(duration=0.0)
    capped = jobs.submit("search", compute=lambda: result(50, total=70_000), rows_cap=30)
    _, view = jobs.poll(capped.id)
    assert (view.num_found, view.num_available, len(view.rows)) == (70_000, 30, 30)
    big = jobs.submit(
        "search", compute=lambda: result(MAX_AVAILABLE + 5), rows_cap=MAX_AVAILABLE + 100
    )
    _, view = jobs.poll(big.id)
    assert view.num_available == MAX_AVAILABLE


def test_unknown_wrong_kind_and_expired_jobs_are_not_found() -> None:
    jobs, clock, _ = engine()
    job = jobs.submit("search", compute=lambda: result(1))
    with pytest.raises(JobNotFoundError):
        jobs.get("no-such-job")
    with pytest.raises(JobNotFoundError):
        jobs.get(job.id, kind="facet")
    clock.advance(10 + 99)
    assert jobs.get(job.id) is job
    clock.advance(2)
    with pytest.raises(JobNotFoundError):
        jobs.get(job.id)
    assert len(jobs) == 0


def test_computation_is_lazy_once_and_shared_by_key() -> None:
    jobs, _, _ = engine(duration=0.0)
    calls: list[int] = []

    def compute() -> SearchResult:
        calls.append(1)
        return result(3)

    a = jobs.submit("search", compute=jobs.cached(("q", 1), compute))
    b = jobs.submit("search", compute=jobs.cached(("q", 1), compute))
    assert calls == []
    jobs.poll(a.id)
    jobs.poll(a.id)
    jobs.poll(b.id)
    assert calls == [1]
    jobs.invalidate()
    c = jobs.submit("search", compute=jobs.cached(("q", 1), compute))
    jobs.poll(c.id)
    assert calls == [1, 1]


def test_completion_callbacks_fire_once_when_due() -> None:
    jobs, clock, _ = engine()
    fired: list[str] = []

    def done(job: Job) -> None:
        fired.append(job.id)

    job = jobs.submit("workflow", on_complete=done)
    clock.advance(9.9)
    jobs.sweep()
    assert fired == []
    clock.advance(0.2)
    jobs.sweep()
    jobs.sweep()
    assert fired == [job.id]


def test_no_data_jobs_never_progress() -> None:
    jobs, clock, _ = engine()
    job = jobs.submit("search", no_data=True, compute=lambda: result(3))
    clock.advance(10_000)
    _, view = jobs.poll(job.id)
    assert (view.contacted, view.completed) == (0, 0)
    assert view.message == NO_DATA_MESSAGE
    assert view.num_found == 0


def test_jobs_are_counted() -> None:
    jobs, _, counters = engine()
    job = jobs.submit("process_search")
    jobs.poll(job.id)
    jobs.poll(job.id)
    snapshot = counters.snapshot()["jobs"]
    assert snapshot["created"] == {"process_search": 1}
    assert snapshot["polled"] == {"process_search": 2}


def test_ids() -> None:
    jobs, _, _ = engine()
    assert jobs.uuid_id("-sqs").endswith("-sqs")
    first, second = jobs.numeric_id(), jobs.numeric_id()
    assert int(second) == int(first) + 1


def test_the_most_jobs_running_at_once_is_counted() -> None:
    jobs, clock, counters = engine()
    first = jobs.submit("auth_search", duration=10)
    jobs.submit("auth_search", duration=10)
    clock.advance(5)
    jobs.submit("auth_search", duration=10)  # three run at once
    clock.advance(6)  # the first two are done
    jobs.submit("auth_search", duration=10)  # two run
    jobs.cancel(first.id)
    jobs.submit("auth_search", no_data=True)  # never runs
    assert jobs.running() == 2
    assert counters.snapshot()["jobs"]["max_running"] == 3
    counters.reset()
    assert counters.snapshot()["jobs"]["max_running"] == 0
