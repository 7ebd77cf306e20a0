"""Jobs on many devices: their results as they complete, and cbapi's job-based API.

The fan-out is :func:`cbasync._tasks.settled`: a job per device, at most ``slots`` running (each
holds one session), each with its own deadline, every outcome — value or exception — handed over
as it settles and none stopping the others. This module only gives its outcomes the names of the
public contract (:class:`JobResult`: ``device_id``, ``value``, ``error``, timings) and counts
progress. Nothing here yields from inside a task group: results are read from a memory object
stream inside ``async with``.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Generic, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from cbasync import errors
from cbasync._tasks import Outcome
from cbasync.live_response.devices import DeviceRef, device_id_of
from cbasync.live_response.session import LiveResponseSession

__all__ = [
    "Job",
    "JobHandle",
    "JobPool",
    "JobResult",
    "JobResults",
    "JobRun",
    "Progress",
    "ProgressCallback",
]

T = TypeVar("T")

Job = Callable[[LiveResponseSession], Awaitable[T]]
"""A job: ``async def job(lr: LiveResponseSession) -> T``, run once per device."""


@dataclasses.dataclass(frozen=True, slots=True)
class JobResult(Generic[T]):
    """How a job ended on one device: ``value`` on success, else ``error`` (the exception:
    ``LiveResponseError``, ``TimeoutError`` for an offline device...). ``started`` and
    ``finished`` are ``anyio.current_time()`` when the job's turn came and when it ended."""

    device_id: int
    value: T | None = None
    error: Exception | None = None
    started: float = 0.0
    finished: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def elapsed(self) -> float:
        """Seconds from the job's turn to its end: the session's opening included."""
        return self.finished - self.started

    def unwrap(self) -> T:
        """The value, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]

    @classmethod
    def of(cls, device_id: int, outcome: Outcome[Any, T]) -> JobResult[T]:
        return cls(device_id, outcome.value, outcome.error, outcome.started, outcome.finished)


@dataclasses.dataclass(frozen=True, slots=True)
class Progress(Generic[T]):
    """Where a run stands after ``result``: results so far, how many failed, and the number
    of devices when it is known (``None`` for a stream)."""

    result: JobResult[T]
    done: int
    failed: int
    total: int | None


ProgressCallback = Callable[[Progress[T]], object]
"""Called with each :class:`Progress`; it may be a coroutine function."""


class _Counter(Generic[T]):
    def __init__(self, total: int | None, on_progress: ProgressCallback[T] | None) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.on_progress = on_progress

    async def count(self, result: JobResult[T]) -> None:
        self.done += 1
        self.failed += not result.ok
        if self.on_progress is not None:
            reported = self.on_progress(Progress(result, self.done, self.failed, self.total))
            if inspect.isawaitable(reported):
                await reported


class JobResults(Generic[T]):
    """The results of a run, one per device, in the order they complete::

        async with api.live_response.run(collect, devices) as results:
            async for result in results:
                ...

    Only inside its ``async with`` block.
    """

    def __init__(
        self,
        outcomes: MemoryObjectReceiveStream[Outcome[int, T]],
        total: int | None,
        on_progress: ProgressCallback[T] | None,
    ) -> None:
        self._outcomes = outcomes
        self._counter = _Counter(total, on_progress)

    @property
    def done(self) -> int:
        return self._counter.done

    @property
    def failed(self) -> int:
        return self._counter.failed

    @property
    def total(self) -> int | None:
        return self._counter.total

    def __aiter__(self) -> JobResults[T]:
        return self

    async def __anext__(self) -> JobResult[T]:
        try:
            outcome = await self._outcomes.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None
        result = JobResult.of(outcome.key, outcome)
        await self._counter.count(result)
        return result


class JobRun(Generic[T]):
    """What ``api.live_response.run(...)`` returns. Enter it, then iterate::

        async with api.live_response.run(collect, devices, slots=10) as results:
            async for result in results:
                print(result.device_id, result.value if result.ok else result.error)

    The ``async with`` is what keeps the jobs running: leaving it — at the end, with
    ``break``, an exception or a cancellation — cancels the jobs still running and closes
    every session they opened before it returns. A plain ``async for`` over the run itself is
    not possible: its sessions would have no block to live in.
    """

    def __init__(self, start: Callable[[], AbstractAsyncContextManager[JobResults[T]]]) -> None:
        self._start = start
        self._context: AbstractAsyncContextManager[JobResults[T]] | None = None

    async def __aenter__(self) -> JobResults[T]:
        if self._context is not None:
            raise errors.ClientStateError("a run can be entered once; call run() again")
        self._context = self._start()
        return await self._context.__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._context is not None
        return await self._context.__aexit__(exc_type, exc, tb)


class JobHandle(Generic[T]):
    """A job submitted to a :class:`JobPool`: ``await handle`` gives its value (or raises its
    error); ``await handle.result()`` gives its :class:`JobResult`."""

    def __init__(self, device_id: int) -> None:
        self.device_id = device_id
        self._settled = anyio.Event()
        self._result: JobResult[T] | None = None

    def done(self) -> bool:
        return self._settled.is_set()

    def _settle(self, result: JobResult[T]) -> None:
        if not self._settled.is_set():
            self._result = result
            self._settled.set()

    async def result(self) -> JobResult[T]:
        await self._settled.wait()
        assert self._result is not None
        return self._result

    async def _value(self) -> T:
        return (await self.result()).unwrap()

    def __await__(self) -> Generator[Any, None, T]:
        return self._value().__await__()

    def __repr__(self) -> str:
        state = "pending" if self._result is None else ("ok" if self._result.ok else "failed")
        return f"<JobHandle device {self.device_id} ({state})>"


#: Runs one job on one device: ``(device_id, job) -> value``.
JobRunner = Callable[[int, Job[Any]], Awaitable[Any]]
_Submission = tuple[JobHandle[Any], Callable[[], Awaitable[Any]]]


class JobPool:
    """cbapi's job-based API, structured: jobs submitted with :meth:`submit_job` start at once
    (within the pool's slots) while the code that submitted them goes on::

        async with api.live_response.pool(slots=10) as pool:
            handles = [pool.submit_job(collect, device) for device in devices]
            for handle in handles:
                print(await handle)

    Leaving the block waits for every submitted job; leaving it with an exception or a
    cancellation cancels them and closes their sessions.
    """

    def __init__(
        self,
        runner: JobRunner,
        submissions: MemoryObjectSendStream[_Submission],
        counter: _Counter[Any],
    ) -> None:
        self._runner = runner
        self._submissions = submissions
        self._counter = counter
        self._handles: list[JobHandle[Any]] = []

    @property
    def done(self) -> int:
        return self._counter.done

    @property
    def failed(self) -> int:
        return self._counter.failed

    def submit_job(self, job: Job[T], device: DeviceRef) -> JobHandle[T]:
        """Run ``job(session)`` on ``device`` (an id, or an object with an ``id``) as soon as
        the pool has room; jobs on one device share its session and run in order."""
        from_device = device_id_of(device)
        handle: JobHandle[T] = JobHandle(from_device)

        async def call() -> T:
            value: T = await self._runner(from_device, job)
            return value

        try:
            self._submissions.send_nowait((handle, call))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            raise errors.ClientStateError(
                "this job pool is closed: submit jobs inside its `async with` block"
            ) from None
        self._handles.append(handle)
        return handle

    async def _deliver(self, outcomes: MemoryObjectReceiveStream[Outcome[Any, Any]]) -> None:
        async for outcome in outcomes:
            handle: JobHandle[Any] = outcome.key
            result = JobResult.of(handle.device_id, outcome)
            handle._settle(result)
            await self._counter.count(result)

    def _close(self) -> None:
        """No more jobs; jobs that never ran (the pool was left early) fail."""
        self._submissions.close()
        for handle in self._handles:
            handle._settle(
                JobResult(
                    handle.device_id,
                    error=errors.ClientStateError(
                        f"the job pool closed before the job on device {handle.device_id} ran"
                    ),
                )
            )


def submission_stream() -> tuple[
    MemoryObjectSendStream[_Submission], MemoryObjectReceiveStream[_Submission]
]:
    """The pool's queue of submitted jobs (unbounded: ``submit_job`` never waits)."""
    return anyio.create_memory_object_stream[_Submission](math.inf)
