"""Capacity pools shared by the layers above the transport: request windows and Live Response
session slots.

A :class:`RequestWindow` bounds the HTTP exchanges of a unit of work (the pages of one paginator
window) without bounding what the work does with the answers: the transport holds a slot only
while a request is on the wire, so a task parsing its page has already handed its slot to the
next request. The paginator sets :data:`request_window` around a window; every request made
inside (in tasks that inherit the context) takes one of its slots.

A window that has failed is *abandoned*: its requests that have not been sent yet are dropped
(:class:`WindowAbandoned`) while those already on the wire finish. Cancelling a request that is
on the wire would gain nothing (its answer is on its way) and can strand a connection in
httpcore's pool when the cancellation lands between connect and send (encode/httpcore#1093).

:class:`SessionSlots` are a client's Live Response session slots, each held for a session's
whole life, that shrink when the server says it has none left (see the class).
"""

from __future__ import annotations

import contextvars
import logging
import math
from collections import deque

import anyio
import anyio.lowlevel

__all__ = [
    "DEFAULT_SESSION_SLOTS",
    "SLOT_RECOVERY",
    "Capacity",
    "RequestWindow",
    "SessionSlots",
    "WindowAbandoned",
    "request_window",
]

logger = logging.getLogger("cbasync")

#: EDR's default limit of concurrent Live Response sessions (``cb.conf``); the cloud allows 100
#: per org, which a client may opt into.
DEFAULT_SESSION_SLOTS = 10
#: Seconds after the server's last "session limit reached" before a shrunk pool grows back: the
#: cloud keeps a refused session request for 60 s (wire-protocol §3.3), and other users'
#: sessions end on their own.
SLOT_RECOVERY = 60.0


class WindowAbandoned(Exception):
    """A request of an abandoned window that had not been sent: it never will be.

    Internal: :func:`cbasync._tasks.gather` drops it, since the failure that abandoned the
    window is the one to report.
    """


class RequestWindow:
    """Request slots for one unit of work, and whether it has been abandoned."""

    __slots__ = ("abandoned", "slots")

    def __init__(self, slots: int) -> None:
        self.slots = anyio.CapacityLimiter(slots)
        self.abandoned = False

    def abandon(self) -> None:
        """Send nothing more for this window; what is already on the wire finishes."""
        self.abandoned = True


#: The request window of the current unit of work, or ``None`` (no bound beyond the client's
#: connection pool).
request_window: contextvars.ContextVar[RequestWindow | None] = contextvars.ContextVar(
    "cbasync_request_window", default=None
)


class Capacity:
    """A client-wide capacity (concurrent search jobs, Live Response sessions): an
    :class:`anyio.CapacityLimiter` made on first use, inside the event loop that uses it.

    An API object is built outside any event loop, and a limiter binds to the loop it is first
    used in; making it on first use keeps construction free of I/O and loops. ``with_options()``
    copies of an API object share the same :class:`Capacity`, hence the same limiter.
    """

    __slots__ = ("_limiter", "_total")

    def __init__(self, total: int) -> None:
        if isinstance(total, bool) or not isinstance(total, int) or total < 1:
            raise ValueError(f"a capacity must be a positive integer, not {total!r}")
        self._total = total
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def total(self) -> int:
        return self._total if self._limiter is None else int(self._limiter.total_tokens)

    @total.setter
    def total(self, value: int) -> None:
        """Resize (a pool that shrinks lets the holders finish; new takers wait for room)."""
        if value < 1:
            raise ValueError(f"a capacity must be at least 1, not {value!r}")
        self._total = value
        if self._limiter is not None:
            self._limiter.total_tokens = value

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._total)
        return self._limiter

    @property
    def in_use(self) -> int:
        return 0 if self._limiter is None else self._limiter.borrowed_tokens

    def __repr__(self) -> str:
        return f"<Capacity {self.in_use}/{self.total}>"


class SessionSlots:
    """Live Response session slots of one client, each held for a session's whole life.

    The server limits concurrent sessions (EDR: 10 by default, set in ``cb.conf``; the cloud:
    100 per org) and counts pending sessions too, so a slot is taken before a session is
    requested and given back only once it is closed. ``capacity`` is what this client may
    hold; the pool is fair (first come, first served).

    Other users of the same server hold slots this client cannot see. When the server refuses a
    session for want of one (``SessionLimitError``), the refused holder calls :meth:`refused`:
    the pool *shrinks* to the slots this client still holds, and the refused holder waits, at
    the head of the queue, for the next slot one of them frees — capacity, not a
    sleep-and-retry loop. A shrunk pool grows back to ``capacity`` ``recover_after`` seconds
    after the last refusal (other users' sessions end too), so a refused holder with no other
    session of this client to wait for asks again then; the caller's own deadline bounds the
    wait in every case.
    """

    __slots__ = (
        "_capacity",
        "_in_use",
        "_limit",
        "_recover_at",
        "_waiters",
        "most_in_use",
        "recover_after",
        "refusals",
    )

    def __init__(
        self, capacity: int = DEFAULT_SESSION_SLOTS, *, recover_after: float = SLOT_RECOVERY
    ) -> None:
        _check_capacity(capacity)
        if not recover_after > 0:
            raise ValueError(f"recover_after must be positive, not {recover_after!r}")
        self._capacity = capacity
        self._limit = capacity
        self._in_use = 0
        self._recover_at: float | None = None
        self._waiters: deque[_SlotWaiter] = deque()
        self.recover_after = recover_after
        #: The most slots held at once, and how many times the server refused a session.
        self.most_in_use = 0
        self.refusals = 0

    @property
    def capacity(self) -> int:
        """Slots this client may hold at most (setting it also ends a shrink)."""
        return self._capacity

    @capacity.setter
    def capacity(self, value: int) -> None:
        _check_capacity(value)
        self._capacity = self._limit = value
        self._recover_at = None
        self._grant()

    @property
    def limit(self) -> int:
        """Slots this client may hold now: ``capacity``, or less after a refusal."""
        self._recover_if_due()
        return self._limit

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> None:
        """Take a slot, waiting (in turn) until one is free. Cancel the caller to give up."""
        await anyio.lowlevel.checkpoint_if_cancelled()
        self._recover_if_due()
        if not self._waiters and self._in_use < self._limit:
            self._take()
            return
        await self._wait(_SlotWaiter(), first=False)

    def release(self) -> None:
        """Give a slot back (its session is closed)."""
        if self._in_use <= 0:
            raise RuntimeError("release() without a slot held")
        self._in_use -= 1
        self._recover_if_due()
        self._grant()

    async def refused(self) -> None:
        """The server refused the session this slot was taken for: shrink the pool to the slots
        this client still holds, give this one back, and wait (first in line) for the next."""
        if self._in_use <= 0:
            raise RuntimeError("refused() without a slot held")
        self.refusals += 1
        self._in_use -= 1
        self._limit = min(self._limit, self._in_use)
        self._recover_at = anyio.current_time() + self.recover_after
        logger.info(
            "the server refused a Live Response session: using %d slot(s) until one frees",
            self._limit,
        )
        await self._wait(_SlotWaiter(), first=True)

    # -- internals --------------------------------------------------------------------------

    def _take(self) -> None:
        self._in_use += 1
        self.most_in_use = max(self.most_in_use, self._in_use)

    async def _wait(self, waiter: _SlotWaiter, *, first: bool) -> None:
        if first:
            self._waiters.appendleft(waiter)
        else:
            self._waiters.append(waiter)
        self._grant()
        try:
            while not waiter.granted:
                with anyio.move_on_after(self._until_recovery()):
                    await waiter.event.wait()
                self._recover_if_due()
        except BaseException:
            if waiter.granted:
                self.release()  # granted as the cancellation landed: pass it on
            else:
                self._waiters.remove(waiter)
            raise

    def _grant(self) -> None:
        while self._waiters and self._in_use < self._limit:
            waiter = self._waiters.popleft()
            waiter.granted = True
            self._take()
            waiter.event.set()

    def _until_recovery(self) -> float:
        if self._recover_at is None:
            return math.inf
        return max(0.0, self._recover_at - anyio.current_time())

    def _recover_if_due(self) -> None:
        if self._recover_at is not None and anyio.current_time() >= self._recover_at:
            self._recover_at = None
            self._limit = self._capacity
            self._grant()

    def __repr__(self) -> str:
        return (
            f"<SessionSlots {self._in_use}/{self._limit} in use (capacity {self._capacity}),"
            f" {len(self._waiters)} waiting>"
        )


class _SlotWaiter:
    __slots__ = ("event", "granted")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.granted = False


def _check_capacity(value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"a session slot capacity must be an integer >= 1, not {value!r}")
