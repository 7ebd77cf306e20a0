"""The paginators: offset (``start``/``rows``) and cursor (``search_after``, stream positions).

:class:`OffsetPaginator` serves every server that pages by offset — EDR's Solr query string
(``start``/``rows`` with ``total_results``), EDR's process events (``cb.event_start``, no total),
the cloud's body ``start``/``rows`` (``num_found``) and search-job results (``num_available``);
only the fetch function differs. Once the first page has told the total, the rest is fetched
in bounded concurrent windows: each window runs inside a task group that is left before
anything is yielded (an async generator must never yield from inside a task group), pages are
yielded in order, and memory holds one window. A failed page abandons its window: requests not
yet sent are dropped, those on the wire finish (see ``_tasks.gather``).

Iteration stops at the server's total, at the caller's ``stop``, at the server's offset cap
(10,000 rows on most cloud searches; logged, since the rest is not reachable by paging), on an
empty page and on a short page.

:class:`CursorPaginator` follows a cursor sequentially and stops when it is missing, repeats, or
a page comes back empty.

Both hold one rule against servers that do not page: **a page that does not advance is an
error, never another round.** An offset page whose first row is the first row of the page
before it (the server ignored ``start``), or a cursor page whose position (``progress``) is the
one before, raises :class:`~cbasync.errors.ServerError` naming the route — instead of yielding
the same rows again, or looping forever when there is no total to stop at.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import (
    Awaitable,
    Callable,
    Generator,
    Hashable,
    Sequence,
)
from typing import Any, Generic, TypeVar

from cbasync import errors
from cbasync._iterators import StepIterator
from cbasync._limits import RequestWindow, request_window
from cbasync._tasks import gather

__all__ = ["CursorPage", "CursorPaginator", "OffsetPaginator", "Page"]

logger = logging.getLogger("cbasync.pagination")

T = TypeVar("T")

#: Pages in flight at once while iterating. Eight 100-row pages keep a 50 ms link busy without
#: crowding the connection pool (32 connections per client by default).
DEFAULT_CONCURRENCY = 8
#: Pages fetched per window, eight at a time: a new request starts as soon as one finishes, so
#: the server's work, the network's latency and the parsing overlap, and the pipeline drains
#: only once per window. Memory holds one window (128 pages of 100 rows by default, about
#: 25 MB of process objects): fewer drains took S1 from 1.55x to 1.43x its latency floor.
WINDOW_FACTOR = 16


@dataclasses.dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page: its items, the server's total (``None`` when it does not say), any extras
    the caller wants to keep (facets, job progress) and the route it came from (for errors)."""

    items: Sequence[T]
    total: int | None
    start: int = 0
    extra: Any = None
    route: str | None = None

    @classmethod
    def from_envelope(
        cls,
        items: Sequence[T] | None,
        total: int | None,
        start: int,
        *,
        route: str | None = None,
        extra: Any = None,
    ) -> Page[T]:
        """A page from a server's envelope, where ``items is None`` means the envelope had no
        results list. An envelope that contradicts itself is an error, not an empty page: a
        total with no results list, or a negative total with rows."""
        if items is None:
            if total:
                raise errors.ServerError(
                    f"the answer says there are {total} results but has no results list",
                    route=route,
                )
            items = ()
        elif total is not None and total < 0 and items:
            raise errors.ServerError(
                f"the answer has {len(items)} results but a negative total ({total})",
                route=route,
            )
        return cls(items, total, start, extra, route)


FetchOffset = Callable[[int, int], Awaitable[Page[T]]]
#: What identifies an item when checking that pages advance (default: the item itself).
Identity = Callable[[Any], object]


class OffsetPaginator(Generic[T]):
    """``await paginator`` gives the first page; ``async for item in paginator`` gives them all.

    ``fetch(start, rows)`` fetches one page. ``stop`` is the absolute index to stop before (for
    slices), ``max_offset`` the server's paging cap.
    """

    def __init__(
        self,
        fetch: FetchOffset[T],
        *,
        page_size: int,
        start: int = 0,
        stop: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_offset: int | None = None,
        what: str = "results",
        identity: Identity | None = None,
    ) -> None:
        if page_size < 1 or concurrency < 1 or start < 0 or (stop is not None and stop < start):
            raise ValueError("need page_size >= 1, concurrency >= 1 and 0 <= start <= stop")
        self._fetch = fetch
        self.page_size = page_size
        self.start = start
        self.stop = stop
        self.concurrency = concurrency
        self.max_offset = max_offset
        self.what = what
        #: How the first rows of consecutive pages are compared (see the module docstring).
        self.identity: Identity = identity or _itself
        #: Set after iteration when the server's cap hid matching results.
        self.truncated = False

    def _end(self, total: int | None) -> float:
        bounds = [math.inf if self.stop is None else self.stop]
        if total is not None:
            bounds.append(total)
        if self.max_offset is not None:
            bounds.append(self.max_offset)
        return min(bounds)

    async def first_page(self) -> Page[T]:
        # Before the total is known, the end is the slice's stop or the server's cap: a first
        # page just below the cap must not ask for rows past it (a cloud search answers 400).
        rows = int(min(self.page_size, self._end(None) - self.start))
        return await self._fetch(self.start, max(rows, 0))

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self.first_page().__await__()

    def __aiter__(self) -> StepIterator[T]:
        walk = _OffsetWalk(self)

        async def items() -> list[T] | None:
            pages = await walk.next_pages()
            return None if pages is None else [item for page in pages for item in page.items]

        return StepIterator(items)

    def pages(self) -> StepIterator[Page[T]]:
        """Every page in order, fetched ``concurrency`` at a time once the total is known."""
        return StepIterator(_OffsetWalk(self).next_pages)

    def _note_cap(self, total: int | None, position: int) -> None:
        if (
            self.max_offset is not None
            and total is not None
            and total > self.max_offset
            and position >= self.max_offset
            and (self.stop is None or self.stop > self.max_offset)
        ):
            self.truncated = True
            logger.warning(
                "%s: %d match but the server pages only the first %d; narrow the query "
                "(a time range, for instance) to reach the rest",
                self.what,
                total,
                self.max_offset,
            )


class _OffsetWalk(Generic[T]):
    """The state of one iteration: the first page, then windows of concurrent pages."""

    def __init__(self, paginator: OffsetPaginator[T]) -> None:
        self.paginator = paginator
        self.started = False
        self.finished = False
        self.total: int | None = None
        self.end: float = math.inf
        self.position = paginator.start
        self.window = 1
        # The first row of the last page with rows, and where that page started.
        self.last_first: object = _NOTHING
        self.last_start = paginator.start

    async def next_pages(self) -> list[Page[T]] | None:
        p = self.paginator
        if self.finished:
            return None
        if not self.started:
            self.started = True
            if p._end(None) <= p.start:
                self.finished = True
                return None
            first = await p.first_page()
            self.total = first.total
            self.end = p._end(first.total)
            first = _clip(first, p.start, self.end)
            self._check_advance(first, p.start)
            self.position = p.start + len(first.items)
            requested = min(p.page_size, self.end - p.start)
            if len(first.items) < requested or not first.items:
                self.finished = True
                p._note_cap(first.total, self.position)
            # Without a total, pages are fetched one at a time until a short one.
            self.window = p.concurrency if first.total is not None else 1
            return [first]
        if self.position >= self.end:
            self.finished = True
            p._note_cap(self.total, self.position)
            return None
        offsets: list[tuple[int, int]] = []
        offset = self.position
        per_window = 1
        if self.total is not None:
            # Windows of equal size: a short last window would cost a whole round trip for a
            # few pages. 199 pages make 4 windows of 50, not 64 + 64 + 64 + 7.
            most = self.window * WINDOW_FACTOR
            left = math.ceil((self.end - self.position) / p.page_size)
            per_window = math.ceil(left / math.ceil(left / most)) if left > 0 else 1
        while offset < self.end and len(offsets) < per_window:
            offsets.append((offset, int(min(p.page_size, self.end - offset))))
            offset += p.page_size
        # gather() runs the window in a task group and leaves it before anything is yielded.
        # At most `window` requests are on the wire at once; a page is parsed after its request
        # has given its slot to the next one.
        window = RequestWindow(self.window)
        token = request_window.set(window)
        try:
            fetched = await gather(
                [functools.partial(p._fetch, start, rows) for start, rows in offsets],
                window=window,
            )
        finally:
            request_window.reset(token)
        pages: list[Page[T]] = []
        for (start, rows), raw_page in zip(offsets, fetched, strict=True):
            page = _clip(raw_page, start, self.end)
            self._check_advance(page, start)
            pages.append(page)
            self.position = start + len(page.items)
            if len(page.items) < rows:
                # The server has fewer rows than it said (results changed while paging).
                self.finished = True
                break
        return pages

    def _check_advance(self, page: Page[T], start: int) -> None:
        """A page that begins with the row the page before it began with did not advance: the
        server ignores ``start``. Raise rather than yield those rows again (or, without a
        total, fetch them forever)."""
        if not page.items:
            return
        first = self.paginator.identity(page.items[0])
        if self.last_first is not _NOTHING and first == self.last_first:
            raise errors.ServerError(
                f"{self.paginator.what}: paging did not advance: the server answered "
                f"start={start} with the rows it sent for start={self.last_start} "
                "(it seems to ignore start)",
                route=page.route,
            )
        self.last_first = first
        self.last_start = start


def _clip(page: Page[T], start: int, end: float) -> Page[T]:
    room = end - start
    if len(page.items) > room:
        return dataclasses.replace(page, items=page.items[: int(max(room, 0))])
    return page


def _itself(item: Any) -> object:
    return item


_NOTHING = object()


# -- cursors ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class CursorPage(Generic[T]):
    """One page of a cursor walk.

    ``cursor`` fetches the next page (``None``: this is the last). ``progress`` is where the
    server says this page is (a stream's segment and offset, for instance): a page with items
    whose progress equals the previous page's did not advance, which is an error.
    """

    items: Sequence[T]
    cursor: Hashable | None
    progress: Hashable | None = None
    route: str | None = None
    extra: Any = None


FetchCursor = Callable[
    [Hashable | None],
    Awaitable[CursorPage[T] | tuple[Sequence[T], Hashable | None]],
]


class CursorPaginator(Generic[T]):
    """Sequential paging by cursor: ``fetch(cursor)`` returns a :class:`CursorPage` (or a tuple
    of the items and the next cursor); the first call gets ``None``.

    ``await paginator`` gives the first page; ``async for item in paginator`` gives every item.
    Stops when the cursor is missing or repeats, when a page is empty, and at ``limit`` items;
    raises :class:`~cbasync.errors.ServerError` when a page does not advance.
    """

    def __init__(
        self, fetch: FetchCursor[T], *, limit: int | None = None, what: str = "results"
    ) -> None:
        self._fetch = fetch
        self.limit = limit
        self.what = what

    async def first_page(self) -> CursorPage[T]:
        return _cursor_page(await self._fetch(None))

    def __await__(self) -> Generator[Any, None, CursorPage[T]]:
        return self.first_page().__await__()

    def __aiter__(self) -> StepIterator[T]:
        walk = _CursorWalk(self)

        async def items() -> list[T] | None:
            page = await walk.next_page()
            return None if page is None else list(page.items)

        return StepIterator(items)

    def pages(self) -> StepIterator[CursorPage[T]]:
        """Every page in order (each trimmed to ``limit``)."""
        walk = _CursorWalk(self)

        async def pages() -> list[CursorPage[T]] | None:
            page = await walk.next_page()
            return None if page is None else [page]

        return StepIterator(pages)


class _CursorWalk(Generic[T]):
    def __init__(self, paginator: CursorPaginator[T]) -> None:
        self.paginator = paginator
        self.cursor: Hashable | None = None
        self.seen: set[Hashable] = set()
        self.progress: object = _NOTHING
        self.count = 0
        self.done = False

    async def next_page(self) -> CursorPage[T] | None:
        p = self.paginator
        while not self.done:
            page = _cursor_page(await p._fetch(self.cursor))
            if page.items and page.progress is not None and page.progress == self.progress:
                raise errors.ServerError(
                    f"{p.what}: paging did not advance: the server's position stayed at "
                    f"{page.progress!r}",
                    route=page.route,
                )
            self.progress = page.progress
            items = page.items
            if p.limit is not None:
                items = items[: max(0, p.limit - self.count)]
            self.count += len(items)
            if (
                not page.items
                or page.cursor is None
                or page.cursor in self.seen
                or (p.limit is not None and self.count >= p.limit)
            ):
                self.done = True
            else:
                self.seen.add(page.cursor)
                self.cursor = page.cursor
            if items:
                return page if items is page.items else dataclasses.replace(page, items=items)
        return None


def _cursor_page(
    result: CursorPage[T] | tuple[Sequence[T], Hashable | None],
) -> CursorPage[T]:
    if isinstance(result, CursorPage):
        return result
    items, cursor = result
    return CursorPage(items, cursor)
