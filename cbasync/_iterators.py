"""Async iterators that are safe to abandon, and streams that say how to close them.

An async *generator* left unfinished (``break`` out of ``async for``) stays suspended until the
garbage collector finds it; trio then warns, and whatever it holds stays held. Iterators built
from :class:`StepIterator` hold nothing between batches: abandoning one costs nothing. Every
iterator the SDK hands out that does not hold a connection between items is one of these.

An iterator that does hold a connection between items (a download) cannot be abandoned
cleanly: Python tells an iterator nothing when a loop breaks. Those are :class:`ClosingStream`
objects, which are also async context managers (and have ``aclose()``, so ``aclosing()`` works
too)::

    async with binary.download() as chunks:
        async for chunk in chunks:
            ...  # breaking out is clean: the connection is released at once
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from types import TracebackType
from typing import Generic, TypeVar

__all__ = ["ClosingStream", "StepIterator"]

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


class ClosingStream(Generic[T]):
    """An async iterator over a source that holds a connection, closed by ``async with``,
    ``aclosing()`` or ``aclose()`` — at once, also after ``break``. Iterated to its end it
    closes itself. Left unclosed after a ``break``, its connection waits for the garbage
    collector (and trio warns about it)."""

    __slots__ = ("_source",)

    def __init__(self, source: AsyncGenerator[T, None]) -> None:
        self._source = source

    def __aiter__(self) -> ClosingStream[T]:
        return self

    async def __anext__(self) -> T:
        return await self._source.__anext__()

    async def aclose(self) -> None:
        await self._source.aclose()

    async def __aenter__(self) -> ClosingStream[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
