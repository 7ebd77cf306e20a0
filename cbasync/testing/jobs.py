"""The search-job engine: asynchronous jobs that take time, on the injectable clock.

Carbon Black Cloud answers a search with a job id and fills the job in over time (wire-protocol
§4.1, seed 004): the job fans out to ``contacted`` searchers, ``completed`` climbs as they
answer, and the job is finished when ``contacted > 0 and completed >= contacted``. This module
reproduces that for every kind of job (process and auth-event searches, detail, facet and group
jobs, alert workflow jobs, LiveQuery runs) without knowing any of them:

- a :class:`Job` has a duration; ``contacted`` is 0 during a short start-up (the first tenth of
  the duration), then the number of searchers; ``completed`` rises linearly to it;
- a job may carry a :class:`SearchResult`, computed once, lazily, on first use (so submitting is
  cheap and dozens of concurrent jobs cost one computation each — identical queries share it
  through :meth:`JobEngine.cached`). Until the job is done only the rows of completed searchers
  are visible and ``num_found`` counts only them: results are partial until complete;
- ``num_found`` is every match, ``num_available`` what can be fetched (at most the job's ``rows``,
  at most 10,000);
- a job expires ``ttl`` seconds after it completes; an unknown or expired id raises
  :class:`JobNotFoundError` (the routes answer 404);
- ``on_complete`` callbacks (e.g. applying an alert workflow change) run once, when the job is
  first noticed complete by :meth:`JobEngine.sweep`.

Nothing here knows HTTP; routes call :meth:`JobEngine.poll` and render what it returns.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cbasync.testing._clock import Clock

__all__ = [
    "JOBS_BACKEND",
    "MAX_AVAILABLE",
    "NO_DATA_MESSAGE",
    "Job",
    "JobEngine",
    "JobNotFoundError",
    "JobObserver",
    "JobView",
    "SearchResult",
    "job_engine",
]

#: Rows a job can ever hand out (the job's ``rows``, at most this).
MAX_AVAILABLE = 10_000
#: What a job says when the org has no endpoints to search: it never progresses.
NO_DATA_MESSAGE = "No data available, verify your endpoint communications or try again later"


class JobNotFoundError(LookupError):
    """Unknown or expired job id."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id} not found")


class JobObserver(Protocol):
    def job_created(self, kind: str) -> None: ...

    def job_polled(self, kind: str) -> None: ...

    def jobs_running(self, count: int) -> None:
        """How many jobs run at once, told whenever a job starts (when the most can run)."""


@dataclass
class SearchResult:
    """What a search found: the retrievable rows (sorted, capped) and the counts.

    ``shards[i]`` is the searcher that found ``rows[i]``; ``found_by_shard[s]`` how many matches
    searcher ``s`` found in all (including rows beyond the cap).
    """

    rows: Sequence[Any]
    shards: Sequence[int]
    found_by_shard: Sequence[int]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def num_found(self) -> int:
        return sum(self.found_by_shard)

    @classmethod
    def build(
        cls,
        rows: Sequence[Any],
        shard_of: Callable[[Any], int],
        searchers: int,
        *,
        total: int | None = None,
        total_by_shard: Sequence[int] | None = None,
        **extra: Any,
    ) -> SearchResult:
        """From retained rows; ``total_by_shard`` (or ``total``, spread evenly) counts the matches
        that were not retained."""
        shards = [shard_of(r) % searchers for r in rows]
        if total_by_shard is None:
            counts = [0] * searchers
            for s in shards:
                counts[s] += 1
            missing = (total or len(rows)) - len(rows)
            for i in range(max(missing, 0)):
                counts[i % searchers] += 1
            total_by_shard = counts
        return cls(rows, shards, list(total_by_shard), dict(extra))


@dataclass(frozen=True)
class JobView:
    """A job as a poll sees it at one instant."""

    contacted: int
    completed: int
    done: bool
    rows: Sequence[Any]
    """Rows visible now (all retained rows once done)."""
    num_found: int
    num_available: int
    message: str | None = None
    result: SearchResult | None = None


@dataclass(eq=False)
class Job:
    id: str
    kind: str
    created_mono: float
    create_time: float
    duration: float
    searchers: int
    ttl: float
    request: dict[str, Any] = field(default_factory=dict)
    rows_cap: int = MAX_AVAILABLE
    no_data: bool = False
    on_complete: Callable[[Job], None] | None = None
    _compute: Callable[[], SearchResult] | None = None
    _result: SearchResult | None = None
    completed_fired: bool = False
    state: dict[str, Any] = field(default_factory=dict)
    """Free-form per-job state for the owner (e.g. a workflow's counts)."""

    @property
    def complete_mono(self) -> float:
        return self.created_mono + self.duration

    def progress(self, now: float) -> tuple[int, int]:
        """``(contacted, completed)`` at monotonic time ``now``."""
        if self.no_data:
            return 0, 0
        if self.duration <= 0 or now >= self.complete_mono:
            return self.searchers, self.searchers
        elapsed = now - self.created_mono
        startup = self.duration / 10
        if elapsed < startup:
            return 0, 0
        fraction = (elapsed - startup) / (self.duration - startup)
        return self.searchers, min(self.searchers, int(self.searchers * fraction))

    def fraction(self, now: float) -> float:
        contacted, completed = self.progress(now)
        return completed / contacted if contacted else 0.0

    def done(self, now: float) -> bool:
        contacted, completed = self.progress(now)
        return self.no_data or (contacted > 0 and completed >= contacted)

    def result(self) -> SearchResult | None:
        if self._result is None and self._compute is not None:
            self._result = self._compute()
            self._compute = None
        return self._result

    def view(self, now: float) -> JobView:
        contacted, completed = self.progress(now)
        done = self.no_data or (contacted > 0 and completed >= contacted)
        message = NO_DATA_MESSAGE if self.no_data else None
        result = self.result() if contacted > 0 and not self.no_data else None
        if result is None:
            return JobView(contacted, completed, done, [], 0, 0, message, None)
        if done:
            rows: Sequence[Any] = result.rows
            found = result.num_found
        else:
            rows = [r for r, s in zip(result.rows, result.shards, strict=True) if s < completed]
            found = sum(result.found_by_shard[:completed])
        available = min(len(rows), self.rows_cap, MAX_AVAILABLE)
        return JobView(
            contacted, completed, done, rows[:available], found, available, message, result
        )


class JobEngine:
    """Every job of one emulated org, by id."""

    def __init__(
        self,
        clock: Clock,
        *,
        duration: float = 3.0,
        searchers: int = 12,
        ttl: float = 3600.0,
        observer: JobObserver | None = None,
        cache_size: int = 64,
    ) -> None:
        self.clock = clock
        self.duration = duration
        self.searchers = searchers
        self.ttl = ttl
        self.observer = observer
        self._jobs: dict[str, Job] = {}
        self._completions: list[tuple[float, int, str]] = []
        self._expiries: list[tuple[float, int, str]] = []
        self._tie = itertools.count()
        self._cache: OrderedDict[Any, SearchResult] = OrderedDict()
        self._cache_size = cache_size
        self._numeric = itertools.count(1_000_001)

    # ------------------------------------------------------------------ ids
    @staticmethod
    def uuid_id(suffix: str = "") -> str:
        return f"{uuid.uuid4()}{suffix}"

    def numeric_id(self) -> str:
        """Jobs-API style ids (``"1000001"``)."""
        return str(next(self._numeric))

    # ------------------------------------------------------------------ lifecycle
    def submit(
        self,
        kind: str,
        *,
        compute: Callable[[], SearchResult] | None = None,
        request: dict[str, Any] | None = None,
        job_id: str | None = None,
        duration: float | None = None,
        searchers: int | None = None,
        rows_cap: int = MAX_AVAILABLE,
        no_data: bool = False,
        on_complete: Callable[[Job], None] | None = None,
    ) -> Job:
        """Create a job; nothing is computed until it is polled."""
        self.sweep()
        now = self.clock.monotonic()
        job = Job(
            id=job_id or self.uuid_id(),
            kind=kind,
            created_mono=now,
            create_time=self.clock.time(),
            duration=self.duration if duration is None else max(0.0, duration),
            searchers=self.searchers if searchers is None else max(1, searchers),
            ttl=self.ttl,
            request=dict(request or {}),
            rows_cap=max(0, min(rows_cap, MAX_AVAILABLE)),
            no_data=no_data,
            on_complete=on_complete,
            _compute=compute,
        )
        self._jobs[job.id] = job
        heapq.heappush(self._completions, (job.complete_mono, next(self._tie), job.id))
        if not no_data:
            heapq.heappush(self._expiries, (job.complete_mono + job.ttl, next(self._tie), job.id))
        if self.observer is not None:
            self.observer.job_created(kind)
            self.observer.jobs_running(self.running())
        return job

    def running(self) -> int:
        """Jobs started and not yet complete (after a sweep, the completions still pending;
        a cancelled job and a "no data" job, which never runs, do not count)."""
        return sum(
            1
            for _, _, job_id in self._completions
            if (job := self._jobs.get(job_id)) is not None and not job.no_data
        )

    def get(self, job_id: str, kind: str | None = None) -> Job:
        """The job (of ``kind``, when given); JobNotFoundError if unknown or expired."""
        self.sweep()
        job = self._jobs.get(job_id)
        if job is None or (kind is not None and job.kind != kind):
            raise JobNotFoundError(job_id)
        return job

    def poll(self, job_id: str, kind: str | None = None) -> tuple[Job, JobView]:
        """A status/result request: the job and its view now (counted as a poll)."""
        job = self.get(job_id, kind)
        if self.observer is not None:
            self.observer.job_polled(job.kind)
        return job, job.view(self.clock.monotonic())

    def jobs(self, kind: str | None = None) -> list[Job]:
        self.sweep()
        return [j for j in self._jobs.values() if kind is None or j.kind == kind]

    def cancel(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)

    def sweep(self) -> None:
        """Fire due completion callbacks and forget expired jobs."""
        now = self.clock.monotonic()
        while self._completions and self._completions[0][0] <= now:
            _, _, job_id = heapq.heappop(self._completions)
            job = self._jobs.get(job_id)
            if job is not None and not job.completed_fired and not job.no_data:
                job.completed_fired = True
                if job.on_complete is not None:
                    job.on_complete(job)
        while self._expiries and self._expiries[0][0] <= now:
            _, _, job_id = heapq.heappop(self._expiries)
            self._jobs.pop(job_id, None)

    def __len__(self) -> int:
        return len(self._jobs)

    # ------------------------------------------------------------------ shared computations
    def cached(self, key: Any, compute: Callable[[], SearchResult]) -> Callable[[], SearchResult]:
        """``compute`` memoised under ``key`` (an LRU shared by all jobs of the engine)."""

        def run() -> SearchResult:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            value = compute()
            self._cache[key] = value
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return value

        return run

    def invalidate(self) -> None:
        """Drop cached results (after a change to the data they were computed from)."""
        self._cache.clear()


JOBS_BACKEND = "jobs"


def job_engine(state: Any) -> JobEngine:
    """The state's job engine (one per emulator: every cloud route module shares it)."""
    config = state.config

    def build(s: Any) -> JobEngine:
        return JobEngine(
            s.clock,
            duration=config.job_duration,
            searchers=config.job_searchers,
            ttl=config.job_ttl,
            observer=s.counters,
        )

    engine: JobEngine = state.backend(JOBS_BACKEND, build)
    return engine
