"""Async iterators that are safe to abandon.

An async *generator* left unfinished (``break`` out of ``async for``) stays suspended until the
garbage collector finds it; trio then warns, and whatever it holds stays held. Iterators built
from :class:`StepIterator` hold nothing between batches: abandoning one costs nothing. Every
iterator the SDK hands out that does not hold a connection between items is one of these.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

__all__ = ["StepIterator"]

T = TypeVar("T")


class StepIterator(Generic[T]):
    """Yields the items of the batches ``step()`` returns; ``None`` from ``step()`` ends it."""

    __slots__ = ("_buffer", "_done", "_step")

    def __init__(self, step: Callable[[], Awaitable[Iterable[T] | None]]) -> None:
        self._step = step
        self._buffer: deque[T] = deque()
        self._done = False

    def __aiter__(self) -> StepIterator[T]:
        return self

    async def __anext__(self) -> T:
        while not self._buffer:
            if self._done:
                raise StopAsyncIteration
            batch = await self._step()
            if batch is None:
                self._done = True
            else:
                self._buffer.extend(batch)
        return self._buffer.popleft()

    def drain(self) -> list[T]:
        """Take the items already fetched, without fetching more."""
        items = list(self._buffer)
        self._buffer.clear()
        return items
