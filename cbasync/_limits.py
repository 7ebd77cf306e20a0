"""Capacity pools shared by the layers above the transport.

A :class:`RequestWindow` bounds the HTTP exchanges of a unit of work (the pages of one paginator
window) without bounding what the work does with the answers: the transport holds a slot only
while a request is on the wire, so a task parsing its page has already handed its slot to the
next request. The paginator sets :data:`request_window` around a window; every request made
inside (in tasks that inherit the context) takes one of its slots.

A window that has failed is *abandoned*: its requests that have not been sent yet are dropped
(:class:`WindowAbandoned`) while those already on the wire finish. Cancelling a request that is
on the wire would gain nothing (its answer is on its way) and can strand a connection in
httpcore's pool when the cancellation lands between connect and send (encode/httpcore#1093).
"""

from __future__ import annotations

import contextvars

import anyio

__all__ = ["Capacity", "RequestWindow", "WindowAbandoned", "request_window"]


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
