"""Running a few awaitables concurrently and getting plain errors back; cleanup that survives
cancellation.

anyio task groups wrap failures in exception groups; a caller iterating a query or fanning out
requests expects the ``ApiError`` itself. :func:`gather` runs callables concurrently, returns
their results in order, and when any fails cancels the rest and raises the first real failure
(the group stays attached as ``__context__`` for debugging).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

import anyio

if sys.version_info < (3, 11):  # pragma: no cover - exercised on Python 3.10 only
    from exceptiongroup import BaseExceptionGroup

__all__ = ["CLEANUP_TIMEOUT", "first_error", "gather", "shielded_cleanup"]

logger = logging.getLogger("cbasync")

#: Seconds a cleanup (closing a connection pool, a Live Response session, a search job) may take
#: before it is abandoned: long enough for one request round trip on a slow link, short enough
#: that a dead server cannot hold a cancelled caller.
CLEANUP_TIMEOUT = 10.0

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
    calls: Sequence[Callable[[], Awaitable[T]]], *, limit: int | None = None
) -> list[T]:
    """Run ``calls`` concurrently, at most ``limit`` at a time; results in the order of
    ``calls``."""
    results: list[T | None] = [None] * len(calls)
    limiter = anyio.CapacityLimiter(limit) if limit is not None and limit < len(calls) else None

    async def run(index: int) -> None:
        if limiter is None:
            results[index] = await calls[index]()
            return
        async with limiter:
            results[index] = await calls[index]()

    try:
        async with anyio.create_task_group() as tg:
            for index in range(len(calls)):
                tg.start_soon(run, index)
    except BaseExceptionGroup as group:
        raise first_error(group) from None
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
