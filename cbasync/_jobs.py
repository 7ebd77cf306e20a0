"""A server-side search job: submitted once, waited for with the one waiter, paged with the
offset paginator, stopped when nobody wants it any more.

Carbon Black Cloud answers a search with a job id and fills the job in over time (wire §4.1,
seed 004): process, auth-event, detail, facet, group and summary jobs, LiveQuery runs, alert
workflow and Jobs API requests all work that way. :class:`SearchJob` is the one mechanism for
all of them; a product supplies a :class:`JobBackend` (how to submit, poll, page and stop one
kind of job) and never writes a poll loop of its own.

- **Submitted once.** However many tasks first touch a job at the same moment, one POST is
  sent (single flight); the transport never re-sends it once it may have reached the server.
- **Bounded.** A slot of the client's job pool (:class:`anyio.CapacityLimiter`) is held from
  the submit until the server says the job is finished, so a hundred concurrent hunts queue in
  the client instead of flooding the server; an iterator that sits unread holds no slot. The
  wait has a wall-clock limit (``max_wait``, five minutes by default: the server publishes no
  limit and searches have been reported to hang) and raises ``TimeoutError`` carrying the last
  progress seen.
- **Done means done.** Finished when ``contacted > 0 and completed >= contacted``; a job that
  says "No data available" with nothing contacted never progresses, so that ends the wait with
  zero results instead of spinning.
- **Stopped when abandoned.** When the last task waiting on a job is cancelled, or the wait
  times out, polling stops and the server job is stopped or deleted (where the API allows),
  under the shielded, time-bounded cleanup; the next use submits a new job.
- **Or adopted.** A job that already runs on the server (a LiveQuery run created by its own
  POST, or fetched by id) is waited for the same way: ``SearchJob(backend, job_id=...)`` never
  submits, takes no slot (the job already runs: there is nothing left to queue) and, unless told
  ``stop_when_abandoned=False``, stops it like any other when the wait is given up.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Generic, Protocol, TypeVar

import anyio

from cbasync import errors
from cbasync._pagination import DEFAULT_CONCURRENCY, OffsetPaginator, Page
from cbasync._polling import Backoff, wait_until
from cbasync._tasks import shielded_cleanup

__all__ = [
    "DEFAULT_JOB_WAIT",
    "DEFAULT_MAX_JOBS",
    "JobBackend",
    "JobProgress",
    "SearchJob",
]

logger = logging.getLogger("cbasync.jobs")

T = TypeVar("T")

#: Seconds a job may take before ``TimeoutError``; callers change it per call.
DEFAULT_JOB_WAIT = 300.0
#: Jobs one client runs on the server at once. The cloud does not publish a limit; ten keeps a
#: notebook's burst of hunts from crowding an org's searchers, and is configurable per client.
DEFAULT_MAX_JOBS = 10
#: Polls start fast (small jobs finish in well under a second) and back off to 5 s, +/-10 %.
JOB_BACKOFF = Backoff(initial=0.25, maximum=5.0, factor=1.6, jitter=0.1)
#: The shortest pause between two polls of one job, whatever its pace promises.
MIN_POLL = 0.05
#: The text of a job that will never progress (wire §4.1).
NO_DATA = "no data available"


@dataclasses.dataclass(frozen=True)
class JobProgress:
    """One poll of a job: how far it is and what it found so far."""

    contacted: int = 0
    completed: int = 0
    num_found: int | None = None
    num_available: int | None = None
    message: str | None = None
    #: Set by backends whose jobs report a terminal status of their own (a LiveQuery run's
    #: ``COMPLETE``/``CANCELLED``, a workflow job's ``COMPLETED``/``FAILED``).
    status: str | None = None
    finished: bool | None = None
    failure: str | None = None
    #: The poll's whole answer, for jobs whose poll carries the result itself (facet and
    #: summary jobs, LiveQuery runs): no second request once the job is done.
    answer: Any = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def no_data(self) -> bool:
        return self.contacted == 0 and NO_DATA in (self.message or "").lower()

    @property
    def done(self) -> bool:
        if self.finished is not None:
            return self.finished
        return (self.contacted > 0 and self.completed >= self.contacted) or self.no_data


class JobBackend(Protocol[T]):
    """What one kind of job needs from its product: four requests and a name."""

    #: How errors and logs name the job ("process search", "auth event facet job").
    what: str

    async def submit(self) -> str:
        """Create the job on the server (one POST) and return its id."""

    async def progress(self, job_id: str) -> JobProgress:
        """Poll the job."""

    async def page(self, job_id: str, start: int, rows: int) -> Page[T]:
        """Results ``start`` to ``start + rows`` of a finished job; ``Page.total`` is what can be
        fetched (``num_available``), ``Page.extra`` the envelope."""

    async def stop(self, job_id: str) -> None:
        """Stop or delete the job where the API allows (a no-op otherwise)."""


@dataclasses.dataclass(eq=False)  # hashable by identity: it borrows the pool's slot
class _Run:
    """One submission: its id once known, and its final progress once finished."""

    job_id: str | None = None
    final: JobProgress | None = None
    holding_slot: bool = False
    #: ``anyio.current_time()`` when this client submitted it (``None``: adopted).
    submitted_at: float | None = None


class SearchJob(Generic[T]):
    """One server-side job, shared by every task and query slice that reads it."""

    def __init__(
        self,
        backend: JobBackend[T],
        *,
        pool: anyio.CapacityLimiter | None = None,
        max_wait: float = DEFAULT_JOB_WAIT,
        backoff: Backoff = JOB_BACKOFF,
        job_id: str | None = None,
        stop_when_abandoned: bool = True,
    ) -> None:
        self.backend = backend
        self.pool = pool
        self.max_wait = max_wait
        self.backoff = backoff
        self.polls = 0
        #: What the last poll said (``None`` before the first).
        self.last_progress: JobProgress | None = None
        #: Whether a wait given up (cancelled, timed out, failed) stops the job on the server.
        self.stop_when_abandoned = stop_when_abandoned
        #: A job adopted from the server is never submitted again: abandoning it forgets it.
        self._adopted = job_id
        self._run = _Run(job_id=job_id)
        self._lock = anyio.Lock()
        self._waiters = 0

    @property
    def job_id(self) -> str | None:
        """The server's id for the job, once submitted."""
        return self._run.job_id

    @property
    def progress(self) -> JobProgress | None:
        """The final progress once the job has finished (``num_found``, ``num_available``)."""
        return self._run.final

    def __repr__(self) -> str:
        state = "finished" if self._run.final else ("running" if self._run.job_id else "new")
        return f"<SearchJob {self.backend.what} {self._run.job_id or ''} ({state})>"

    # -- running ----------------------------------------------------------------------------

    async def wait(self, *, max_wait: float | None = None) -> JobProgress:
        """Submit the job if nobody has, and wait until it finishes; its final progress.

        Raises ``TimeoutError`` (with ``last_response``, the last progress) after ``max_wait``
        seconds, and whatever error the server answered; in both cases, and when the last
        waiting task is cancelled, the server job is stopped.
        """
        if self._run.final is not None:
            return self._run.final
        limit = self.max_wait if max_wait is None else max_wait
        deadline = anyio.current_time() + limit
        self._waiters += 1
        try:
            # One task submits and polls; the others wait for it here and then see `final`,
            # each within its own max_wait.
            await self._take_turn(limit)
            try:
                if self._run.final is None:
                    await self._submit_and_poll(max(deadline - anyio.current_time(), 1e-3))
            finally:
                self._lock.release()
        except BaseException:
            self._waiters -= 1
            if self._waiters == 0 and self._run.final is None:
                await self._abandon()
            raise
        self._waiters -= 1
        return self._finished()

    async def _take_turn(self, limit: float) -> None:
        """The lock of the task that submits and polls, waited for within ``limit``."""
        with anyio.move_on_after(limit) as scope:
            await self._lock.acquire()
        if scope.cancelled_caught:
            raise errors.TimeoutError(
                f"the {self.backend.what} did not finish within {limit:g}s",
                last_response=self.last_progress,
            )

    def _finished(self) -> JobProgress:
        final = self._run.final
        assert final is not None
        return final

    async def _submit_and_poll(self, max_wait: float) -> None:
        run = self._run
        skipped = 0
        if run.job_id is None:
            if self.pool is not None:
                await self.pool.acquire_on_behalf_of(run)
                run.holding_slot = True
            run.job_id = await self.backend.submit()
            run.submitted_at = anyio.current_time()
            logger.debug("%s %s submitted", self.backend.what, run.job_id)
            # A job created a moment ago has contacted no searcher yet (wire §4.1): a poll at
            # once would only say so. The first poll comes one backoff step later and the
            # schedule goes on as if that poll had been made: one request fewer per job.
            skipped = 1
        job_id = run.job_id
        polls = 0
        pace = _Pace(run.submitted_at)

        async def poll() -> JobProgress:
            nonlocal polls
            polls += 1
            self.polls += 1
            self.last_progress = await self.backend.progress(job_id)
            return self.last_progress

        def next_poll(progress: JobProgress) -> float:
            # The backoff, or sooner when the job's own pace says it will be done sooner. A
            # late backoff poll costs a job up to 60% of its run time (the pause grows by
            # 1.6x); the pace puts the poll just after the expected end instead, and never
            # closer than MIN_POLL to the one before.
            delay = self.backoff.delay(polls + skipped)
            eta = pace.eta(progress, anyio.current_time())
            if eta is not None:
                delay = min(delay, max(MIN_POLL, eta + MIN_POLL))
            return delay

        def failed(progress: JobProgress) -> BaseException | None:
            if progress.failure is None:
                return None
            return errors.ServerError(
                f"the {self.backend.what} {job_id} failed: {progress.failure}"
            )

        run.final = await wait_until(
            poll,
            success=lambda progress: progress.done,
            failure=failed,
            max_wait=max_wait,
            backoff=self.backoff,
            hint=next_poll,
            after=self.backoff.delay(1) if skipped else 0.0,
            what=f"the {self.backend.what} {job_id}",
        )
        self._release_slot()

    def _release_slot(self) -> None:
        if self._run.holding_slot and self.pool is not None:
            self._run.holding_slot = False
            self.pool.release_on_behalf_of(self._run)

    async def _abandon(self, *, stop: bool | None = None) -> None:
        """Nobody waits for an unfinished job any more: stop it (unless this job is left to
        run) and forget it."""
        run, self._run = self._run, _Run(job_id=self._adopted)
        stop = self.stop_when_abandoned if stop is None else stop
        try:
            if run.job_id is not None and stop:
                job_id = run.job_id
                async with shielded_cleanup(f"stopping the {self.backend.what} {job_id}"):
                    await self.backend.stop(job_id)
        finally:
            if run.holding_slot and self.pool is not None:
                self.pool.release_on_behalf_of(run)

    async def cancel(self) -> None:
        """Stop the job on the server now (where the API allows) and forget it."""
        await self._abandon(stop=True)

    # -- reading ----------------------------------------------------------------------------

    def results(
        self,
        *,
        page_size: int,
        start: int = 0,
        stop: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_wait: float | None = None,
    ) -> OffsetPaginator[T]:
        """The finished job's rows, paged concurrently (``await`` it for the first page,
        ``async for`` for every row). Waits for the job first."""

        async def fetch(offset: int, rows: int) -> Page[T]:
            progress = await self.wait(max_wait=max_wait)
            job_id = self._run.job_id
            assert job_id is not None
            if progress.no_data or (rows == 0 and progress.num_available is not None):
                return Page([], progress.num_available or 0, offset, extra=progress)
            return await self.backend.page(job_id, offset, rows)

        return OffsetPaginator(
            fetch,
            page_size=page_size,
            start=start,
            stop=stop,
            concurrency=concurrency,
            what=self.backend.what,
        )


class _Pace:
    """When a running job should be done, from how fast its ``completed`` count climbs."""

    __slots__ = ("_first", "_submitted_at")

    def __init__(self, submitted_at: float | None) -> None:
        self._submitted_at = submitted_at
        #: The first poll that saw some searchers done: ``(time, completed)``.
        self._first: tuple[float, int] | None = None

    def eta(self, progress: JobProgress, now: float) -> float | None:
        """Seconds until the job should be done (``None``: nothing to go by yet)."""
        done, of = progress.completed, progress.contacted
        if not (of > 0 and 0 < done < of):
            return None
        if self._first is None:
            self._first = (now, done)
        since, done_then = self._first
        if done > done_then:
            # The rate between two polls leaves out the start-up before the first searcher
            # answered, which a rate since the submit counts as progress time (a 2 s job
            # seen 8/12 done was judged 0.2 s later than it ended). A count read at a random
            # moment lags the work by half a searcher on average, hence the 0.5.
            return (of - done - 0.5) * (now - since) / (done - done_then)
        if self._submitted_at is not None:
            return (now - self._submitted_at) * (of - done) / done
        return None
