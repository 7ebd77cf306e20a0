"""Running a few awaitables concurrently and getting plain errors back.

anyio task groups wrap failures in exception groups; a caller iterating a query or fanning out
requests expects the ``ApiError`` itself. :func:`gather` runs callables concurrently, returns
their results in order, and when any fails raises the first real failure.

How the others stop depends on what they are. Plain calls are cancelled. The pages of a
request window (``window=``) are not: the window is abandoned, so requests not yet sent are
dropped, while those already on the wire finish. Their answers are on the way anyway, and a
request cancelled between connect and send strands its connection in httpcore's pool
(encode/httpcore#1093) — 150 failing sweeps used to cost 3 of 4 connections.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import anyio

from cbasync._limits import RequestWindow, WindowAbandoned

if sys.version_info < (3, 11):  # pragma: no cover - exercised on Python 3.10 only
    from exceptiongroup import BaseExceptionGroup

__all__ = ["first_error", "gather"]

T = TypeVar("T")


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
