"""The per-client object cache behind joins and ``api.get``.

Joins (``await proc.sensor()``) ask for the same few objects again and again: a sweep of 20,000
processes touches perhaps 50 sensors. The cache keeps each object ``ttl`` seconds (objects change
on the server) and merges identical concurrent fetches into one request, so a hundred tasks
joining the same sensor at once send one GET.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

import anyio

__all__ = ["ObjectCache"]

T = TypeVar("T")


class ObjectCache(Generic[T]):
    """The per-client cache behind joins: one fetch per object, identical concurrent fetches
    merged into one request, entries kept ``ttl`` seconds (objects change on the server)."""

    def __init__(self, ttl: float = 300.0, maxsize: int = 10_000) -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self._entries: dict[Hashable, tuple[float, T]] = {}
        self._inflight: dict[Hashable, _Inflight[T]] = {}

    def clear(self) -> None:
        self._entries.clear()

    def put(self, key: Hashable, value: T) -> None:
        if len(self._entries) >= self.maxsize:
            # Drop the oldest tenth; a dict keeps insertion order.
            for old in list(self._entries)[: max(1, self.maxsize // 10)]:
                del self._entries[old]
        self._entries[key] = (anyio.current_time() + self.ttl, value)

    def peek(self, key: Hashable) -> T | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < anyio.current_time():
            return None
        return entry[1]

    async def get(
        self, key: Hashable, fetch: Callable[[], Awaitable[T]], *, fresh: bool = False
    ) -> T:
        """The cached value, or the result of one ``fetch()`` shared by every concurrent caller."""
        while True:
            if not fresh and (cached := self.peek(key)) is not None:
                return cached
            flight = self._inflight.get(key)
            if flight is None:
                break
            await flight.done.wait()
            if flight.error is not None:
                raise flight.error
            if flight.has_value:
                return flight.value  # type: ignore[return-value]
            # The fetching task was cancelled: try again, maybe as the fetcher.
        flight = _Inflight[T]()
        self._inflight[key] = flight
        try:
            value = await fetch()
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as exc:
            flight.error = exc
            raise
        else:
            flight.value = value
            flight.has_value = True
            self.put(key, value)
            return value
        finally:
            del self._inflight[key]
            flight.done.set()


class _Inflight(Generic[T]):
    __slots__ = ("done", "error", "has_value", "value")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.error: Exception | None = None
        self.has_value = False
        self.value: T | None = None
