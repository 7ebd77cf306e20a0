"""The one waiter: poll until an acceptor says done, within a wall-clock limit.

Every poll in the SDK goes through :func:`wait_until` — Live Response session activation and
command completion, search jobs (``contacted == completed``), LiveQuery runs, alert workflow
jobs, sensor isolation. It polls with exponential backoff and jitter (or the server's hint),
stops on a success or failure acceptor, and never waits past ``max_wait``: a fetch still in
flight at the limit is cancelled, and the :class:`~cbasync.errors.TimeoutError` carries the last
response it saw.

``max_wait`` is the waiter's limit; each fetch also has its request timeout (a different
setting, on the transport), so a stuck request cannot stretch a wait.

Waiting for one thing to finish is not the only kind of poll: a queue that is read forever at an
interval (Endpoint Standard's notification queue, which a SIEM integration drains every minute)
is a *watch*, not a wait. :func:`poll_new_items` is the one helper for that: an async iterator
that polls, yields what it has not yielded before, and sleeps ``interval`` between polls.
"""

from __future__ import annotations

import math
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import TypeVar

import anyio

from cbasync import errors
from cbasync._iterators import StepIterator

__all__ = ["DEFAULT_REMEMBER", "Backoff", "poll_new_items", "wait_until"]

T = TypeVar("T")

#: Keys :func:`poll_new_items` remembers to recognise an item it has already yielded. A
#: notification queue hands out at most a few hundred items a minute; ten thousand keys cover
#: hours of them in about a megabyte, and the oldest are forgotten first.
DEFAULT_REMEMBER = 10_000

_rng = random.Random()  # noqa: S311 - jitter, not cryptography


class Backoff:
    """Poll intervals: ``initial``, growing by ``factor`` to ``maximum``, each ±``jitter``."""

    __slots__ = ("factor", "initial", "jitter", "maximum")

    def __init__(
        self, initial: float = 0.25, maximum: float = 5.0, factor: float = 1.5, jitter: float = 0.1
    ) -> None:
        if not (0 < initial <= maximum) or factor < 1 or not (0 <= jitter < 1):
            raise ValueError("need 0 < initial <= maximum, factor >= 1 and 0 <= jitter < 1")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter

    def resumed(self, elapsed: float) -> Backoff:
        """These intervals as they would stand after ``elapsed`` seconds of polling (about
        ``elapsed x (factor - 1)``, within ``initial`` and ``maximum``): for a wait whose
        first poll was put off (``wait_until(after=...)``) by what the caller knew, so the
        polls after it do not start over at ``initial``."""
        initial = min(self.maximum, max(self.initial, elapsed * (self.factor - 1)))
        return Backoff(initial, self.maximum, self.factor, self.jitter)

    def delay(self, poll: int) -> float:
        """Seconds to sleep after poll number ``poll`` (1-based)."""
        base = min(self.maximum, self.initial * self.factor ** (poll - 1))
        return base * (1 + _rng.uniform(-self.jitter, self.jitter))


async def wait_until(
    fetch: Callable[[], Awaitable[T]],
    *,
    success: Callable[[T], bool],
    failure: Callable[[T], BaseException | None] | None = None,
    max_wait: float,
    backoff: Backoff | None = None,
    hint: Callable[[T], float | None] | None = None,
    after: float = 0.0,
    what: str = "the operation",
) -> T:
    """Call ``fetch`` until ``success(result)`` and return that result.

    ``failure(result)`` returns the exception to raise when the result is a terminal failure
    (``None`` otherwise). ``hint(result)`` may return the server's suggested delay in seconds.
    ``after`` delays the first poll, when the caller has just seen the state (the answer that
    started the operation said "pending": polling at once would only say it again).
    Errors raised by ``fetch`` propagate (the transport has already retried what is safe).
    Raises :class:`cbasync.errors.TimeoutError` with ``last_response`` after ``max_wait``.
    """
    if not max_wait > 0 or math.isnan(max_wait):
        raise ValueError(f"max_wait must be a positive number of seconds, not {max_wait!r}")
    if not after >= 0:
        raise ValueError(f"after must be a number of seconds >= 0, not {after!r}")
    backoff = backoff or Backoff()
    deadline = anyio.current_time() + max_wait
    last: T | None = None
    polls = 0
    if after > 0:
        await anyio.sleep(min(after, max_wait))
    while True:
        polls += 1
        remaining = deadline - anyio.current_time()
        if remaining <= 0:
            raise _timed_out(what, max_wait, polls, last)
        with anyio.move_on_after(remaining) as scope:
            result = await fetch()
        if scope.cancelled_caught:
            raise _timed_out(what, max_wait, polls, last)
        last = result
        if success(result):
            return result
        if failure is not None and (error := failure(result)) is not None:
            raise error
        delay = hint(result) if hint is not None else None
        if delay is None or not delay >= 0:
            delay = backoff.delay(polls)
        remaining = deadline - anyio.current_time()
        if remaining <= 0:
            raise _timed_out(what, max_wait, polls, last)
        await anyio.sleep(min(delay, remaining))


def _timed_out(what: str, max_wait: float, polls: int, last: object) -> errors.TimeoutError:
    return errors.TimeoutError(
        f"{what} did not finish within {max_wait:g}s ({polls} poll{'s' * (polls != 1)})",
        last_response=last,
    )


def poll_new_items(
    fetch: Callable[[], Awaitable[Iterable[T]]],
    *,
    interval: float,
    key: Callable[[T], Hashable],
    remember: int = DEFAULT_REMEMBER,
) -> StepIterator[T]:
    """Poll ``fetch`` forever, ``interval`` seconds apart, and yield each item once.

    The first poll is immediate; after every poll the iterator sleeps ``interval`` seconds
    before the next (also when the poll found something: a queue read at a steady rate is what
    the servers expect of a SIEM integration). An item whose ``key`` was yielded before is
    skipped; only the last ``remember`` keys are kept, so memory stays bounded however long the
    watch runs (an item seen again after that many others would be yielded again).

    The iterator never ends by itself: leave it with ``break`` (it holds nothing between items,
    so abandoning it is clean) or cancel the task. An error raised by ``fetch`` ends it (the
    transport has already retried what is safe to retry).
    """
    if not interval >= 0 or math.isinf(interval):
        raise ValueError(f"interval must be a finite number of seconds >= 0, not {interval!r}")
    if remember < 1:
        raise ValueError(f"remember must be a positive number of keys, not {remember!r}")
    seen: OrderedDict[Hashable, None] = OrderedDict()
    polled = False

    async def step() -> list[T]:
        nonlocal polled
        if polled:
            await anyio.sleep(interval)
        polled = True
        fresh: list[T] = []
        for item in await fetch():
            k = key(item)
            if k in seen:
                seen.move_to_end(k)
                continue
            seen[k] = None
            if len(seen) > remember:
                seen.popitem(last=False)
            fresh.append(item)
        return fresh

    return StepIterator(step)
