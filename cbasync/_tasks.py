"""Running a few awaitables concurrently and getting plain errors back; cleanup that survives
cancellation.

anyio task groups wrap failures in exception groups; a caller iterating a query or fanning out
requests expects the ``ApiError`` itself.

- :func:`gather` is for a window of requests that succeed or fail together (the pages of a
  search): it runs callables concurrently, returns their results in order, and when any fails
  raises the first real failure. How the others stop depends on what they are. Plain calls are
  cancelled. The pages of a request window (``window=``) are not: the window is abandoned, so
  requests not yet sent are dropped, while those already on the wire finish. Their answers are
  on the way anyway, and a request cancelled between connect and send strands its connection
  in httpcore's pool (encode/httpcore#1093) — 150 failing sweeps used to cost 3 of 4
  connections.
- :func:`settled` is for fleets, where one failure must never stop the others (a Live Response
  job on 300 devices, an action per device): each call's :class:`Outcome` — value or exception,
  with its timings — is handed over as soon as it settles, through a memory object stream read
  inside ``async with`` (so nothing ever yields from inside a task group), with an optional
  per-call deadline and a bound on calls in flight.
- :func:`shielded_cleanup` is the one way cleanup runs.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from cbasync import errors
from cbasync._limits import RequestWindow, WindowAbandoned

if sys.version_info < (3, 11):  # pragma: no cover - exercised on Python 3.10 only
    from exceptiongroup import BaseExceptionGroup

__all__ = ["CLEANUP_TIMEOUT", "Outcome", "first_error", "gather", "settled", "shielded_cleanup"]

logger = logging.getLogger("cbasync")

#: Seconds a cleanup (closing a connection pool, a Live Response session, a search job) may take
#: before it is abandoned: long enough for one request round trip on a slow link, short enough
#: that a dead server cannot hold a cancelled caller.
CLEANUP_TIMEOUT = 10.0

T = TypeVar("T")
K = TypeVar("K")


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first exception in ``group`` (depth first) that is not a cancellation."""
    cancelled = anyio.get_cancelled_exc_class()
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return first_error(exc)
        if not isinstance(exc, cancelled):
            return exc
    return group.exceptions[0]


async def gather(
    calls: Sequence[Callable[[], Awaitable[T]]],
    *,
    limit: int | None = None,
    window: RequestWindow | None = None,
) -> list[T]:
    """Run ``calls`` concurrently, at most ``limit`` at a time; results in the order of
    ``calls``. With ``window``, a failure abandons the window instead of cancelling the
    calls still running (see the module docstring)."""
    results: list[T | None] = [None] * len(calls)
    limiter = anyio.CapacityLimiter(limit) if limit is not None and limit < len(calls) else None
    failures: list[Exception] = []

    async def call(index: int) -> None:
        if window is None:
            results[index] = await calls[index]()
            return
        try:
            results[index] = await calls[index]()
        except WindowAbandoned:
            pass  # a consequence of the failure already recorded
        except Exception as exc:
            # Kept from the task group, so that it does not cancel the siblings on the wire.
            failures.append(exc)
            window.abandon()

    async def run(index: int) -> None:
        if limiter is None:
            await call(index)
            return
        async with limiter:
            await call(index)

    try:
        async with anyio.create_task_group() as tg:
            for index in range(len(calls)):
                tg.start_soon(run, index)
    except BaseExceptionGroup as group:
        raise first_error(group) from None
    if failures:
        raise failures[0]
    return results  # type: ignore[return-value]


@asynccontextmanager
async def shielded_cleanup(what: str, *, limit: float = CLEANUP_TIMEOUT) -> AsyncIterator[None]:
    """The one way cbasync cleans up: shielded from cancellation (a cancelled caller still
    closes its session or stops its job) and bounded in time (a dead server cannot hold it).

    Cleanup is best effort and often runs while another exception is on its way out, so a
    failure inside is logged at WARNING with ``what`` and not raised: it must not replace the
    error or the cancellation the caller is handling.
    """
    with anyio.move_on_after(limit, shield=True) as scope:
        try:
            yield
        except Exception as exc:  # logged, not raised: see the docstring
            logger.warning("%s failed: %s", what, exc)
    if scope.cancelled_caught:
        logger.warning("%s did not finish within %gs and was abandoned", what, limit)


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome(Generic[K, T]):
    """How one call of a fan-out settled: ``value`` on success, else ``error``."""

    key: K
    value: T | None = None
    error: Exception | None = None
    #: ``anyio.current_time()`` when the call started (after waiting for its turn) and ended.
    started: float = 0.0
    finished: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def elapsed(self) -> float:
        return self.finished - self.started

    def unwrap(self) -> T:
        """The value, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


@asynccontextmanager
async def settled(
    calls: Iterable[tuple[K, Callable[[], Awaitable[T]]]]
    | AsyncIterable[tuple[K, Callable[[], Awaitable[T]]]],
    *,
    limit: int | None = None,
    deadline: float | None = None,
    describe: Callable[[K], str] = repr,
) -> AsyncIterator[MemoryObjectReceiveStream[Outcome[K, T]]]:
    """Run keyed calls concurrently and receive each :class:`Outcome` as it settles::

        async with settled((d, functools.partial(collect, d)) for d in devices) as outcomes:
            async for outcome in outcomes:
                print(outcome.key, outcome.value if outcome.ok else outcome.error)

    At most ``limit`` calls run at once (the iterable is consumed as room frees, so a fleet of
    100,000 devices never means 100,000 tasks). ``calls`` may also be an async iterable (calls
    made from a stream of events as they arrive); the outcomes end when it does, and it is
    closed if the fan-out is left first. Each call gets ``deadline`` seconds, after which
    its outcome is a :class:`cbasync.errors.TimeoutError` that names the call with
    ``describe(key)``. An exception from a call becomes its
    outcome and never stops the others; cancellation and ``BaseException`` propagate. Leaving
    the ``async with`` early (a ``break``, an error, a cancellation) cancels the calls still
    running and waits for their cleanup before it returns. An async source that raises ends the
    fan-out the same way, and its error is raised from the ``async with``.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, not {limit!r}")
    if deadline is not None and not deadline > 0:
        raise ValueError(f"deadline must be a positive number of seconds, not {deadline!r}")
    send, receive = anyio.create_memory_object_stream[Outcome[K, T]]()
    room = anyio.CapacityLimiter(limit) if limit is not None else None

    async def run(key: K, call: Callable[[], Awaitable[T]], token: object) -> None:
        started = anyio.current_time()
        value: T | None = None
        error: Exception | None = None
        try:
            with anyio.move_on_after(deadline) as scope:
                value = await call()
            if scope.cancelled_caught:
                error = errors.TimeoutError(f"{describe(key)} did not finish within {deadline:g}s")
        except Exception as exc:
            error = exc
        finally:
            if room is not None:
                room.release_on_behalf_of(token)
        await send.send(Outcome(key, value, error, started, anyio.current_time()))

    async def feed() -> None:
        async with send, anyio.create_task_group() as calls_group:

            async def start(key: K, call: Callable[[], Awaitable[T]]) -> None:
                token = object()
                if room is not None:
                    await room.acquire_on_behalf_of(token)
                calls_group.start_soon(run, key, call, token)

            if not isinstance(calls, AsyncIterable):
                for key, call in calls:
                    await start(key, call)
                return
            source = aiter(calls)
            try:
                async for key, call in source:
                    await start(key, call)
            finally:
                aclose = getattr(source, "aclose", None)
                if aclose is not None:
                    async with shielded_cleanup("closing the source of a fan-out"):
                        await aclose()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(feed)
            try:
                yield receive
            finally:
                group.cancel_scope.cancel()
                await receive.aclose()
    except BaseExceptionGroup as raised:
        # Only the body of the `async with` or the source of the calls can raise here (calls'
        # errors are outcomes); a failing source ends the fan-out with its error.
        raise first_error(raised) from None
