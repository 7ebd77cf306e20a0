"""The paginators, with fake page fetchers: order, bounds, windows, caps and stops."""

from __future__ import annotations

import contextlib
import logging

import anyio
import pytest

from cbasync import errors
from cbasync._limits import WindowAbandoned, request_window
from cbasync._pagination import (
    WINDOW_FACTOR,
    CursorPage,
    CursorPaginator,
    OffsetPaginator,
    Page,
)

pytestmark = pytest.mark.anyio


class FakeServer:
    """Pages over ``range(total)``; records calls, in-flight peaks and fetched-ahead items."""

    def __init__(
        self,
        total: int,
        *,
        report_total: bool = True,
        shrink_to: int | None = None,
        ignores_start: bool = False,
    ) -> None:
        self.total = total
        self.report_total = report_total
        self.shrink_to = shrink_to
        self.ignores_start = ignores_start
        self.calls: list[tuple[int, int]] = []
        self.in_flight = 0
        self.peak = 0
        self.fetched = 0

    async def fetch(self, start: int, rows: int) -> Page[int]:
        # Like the transport, a request holds one of the window's request slots while in flight.
        window = request_window.get()
        async with window.slots if window is not None else contextlib.AsyncExitStack():
            self.calls.append((start, rows))
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            # Every page takes time, and they finish out of order.
            await anyio.sleep(0.005 + 0.002 * (start % 3))
            self.in_flight -= 1
        available = self.total if self.shrink_to is None else self.shrink_to
        if self.ignores_start:
            start = 0
        items = list(range(start, min(start + rows, available)))
        self.fetched += len(items)
        return Page(items, self.total if self.report_total else None, start)


async def collect(paginator: OffsetPaginator[int]) -> list[int]:
    return [item async for item in paginator]


async def test_all_items_in_order_with_bounded_concurrency() -> None:
    server = FakeServer(1_234)
    paginator = OffsetPaginator(server.fetch, page_size=100, concurrency=4)
    assert await collect(paginator) == list(range(1_234))
    assert len(server.calls) == 13
    assert server.peak == 4
    assert max(start + rows for start, rows in server.calls) == 1_234  # never asks past the total


async def test_memory_is_one_window() -> None:
    server = FakeServer(5_000)
    paginator = OffsetPaginator(server.fetch, page_size=50, concurrency=3)
    yielded = 0
    ahead = 0
    async for _ in paginator:
        yielded += 1
        ahead = max(ahead, server.fetched - yielded)
    assert yielded == 5_000
    assert ahead < 3 * WINDOW_FACTOR * 50  # one window of pages, never more


@pytest.mark.parametrize(
    ("start", "stop"), [(0, 10), (5, 250), (150, 151), (990, 2_000), (0, None), (1_000, None)]
)
async def test_slices(start: int, stop: int | None) -> None:
    server = FakeServer(1_000)
    paginator = OffsetPaginator(server.fetch, page_size=100, start=start, stop=stop)
    assert await collect(paginator) == list(range(1_000))[start:stop]
    assert all(rows <= 100 for _, rows in server.calls)


async def test_empty_slice_fetches_nothing() -> None:
    server = FakeServer(10)
    assert await collect(OffsetPaginator(server.fetch, page_size=5, start=3, stop=3)) == []
    assert server.calls == []


async def test_empty_result() -> None:
    server = FakeServer(0)
    assert await collect(OffsetPaginator(server.fetch, page_size=100)) == []
    assert len(server.calls) == 1


async def test_short_page_stops_when_results_shrink_while_paging() -> None:
    server = FakeServer(1_000, shrink_to=420)
    assert await collect(OffsetPaginator(server.fetch, page_size=100, concurrency=8)) == list(
        range(420)
    )


async def test_without_a_total_pages_are_sequential_until_a_short_one() -> None:
    server = FakeServer(250, report_total=False)
    assert await collect(OffsetPaginator(server.fetch, page_size=100)) == list(range(250))
    assert server.peak == 1
    assert [start for start, _ in server.calls] == [0, 100, 200]


async def test_server_cap_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    server = FakeServer(25_000)
    paginator = OffsetPaginator(server.fetch, page_size=1_000, max_offset=10_000, what="alerts")
    with caplog.at_level(logging.WARNING, logger="cbasync"):
        items = await collect(paginator)
    assert len(items) == 10_000
    assert paginator.truncated
    assert "alerts: 25000 match but the server pages only the first 10000" in caplog.text


async def test_no_request_reaches_past_the_server_cap() -> None:
    # A slice that starts just below the cap: its first page asks only for the rows left
    # below it (a cloud search answers 400 when start + rows passes 10,000).
    server = FakeServer(25_000)
    paginator = OffsetPaginator(
        server.fetch, page_size=100, start=9_990, stop=10_050, max_offset=10_000
    )
    assert await collect(paginator) == list(range(9_990, 10_000))
    assert server.calls == [(9_990, 10)]
    beyond = FakeServer(25_000)
    assert (
        await collect(OffsetPaginator(beyond.fetch, page_size=100, start=10_000, max_offset=10_000))
        == []
    )
    assert beyond.calls == []


async def test_await_gives_the_first_page_with_its_total() -> None:
    server = FakeServer(777)
    page = await OffsetPaginator(server.fetch, page_size=10, start=20)
    assert (page.items, page.total, page.start) == (list(range(20, 30)), 777, 20)


async def test_an_error_in_one_page_abandons_the_window_and_propagates() -> None:
    started: list[int] = []
    finished: list[int] = []
    cancelled: list[int] = []
    after_failure: list[int] = []

    async def fetch(start: int, rows: int) -> Page[int]:
        # As the transport does: a slot, then a request only if the window still stands.
        window = request_window.get()
        assert window is not None or start == 0  # the window's requests share its slots
        async with window.slots if window is not None else contextlib.AsyncExitStack():
            if window is not None and window.abandoned:
                raise WindowAbandoned
            return await page(start, rows)

    async def page(start: int, rows: int) -> Page[int]:
        if 300 in started:
            after_failure.append(start)
        started.append(start)
        if start == 0:
            return Page(list(range(rows)), 10_000, 0)
        if start == 300:
            raise RuntimeError("page 300 failed")
        try:
            await anyio.sleep(0.05)
        except anyio.get_cancelled_exc_class():
            cancelled.append(start)
            raise
        finished.append(start)
        return Page(list(range(start, start + rows)), 10_000, start)

    with anyio.fail_after(10), pytest.raises(RuntimeError, match="page 300 failed"):
        await collect(OffsetPaginator(fetch, page_size=100, concurrency=4))
    # What was on the wire when page 300 failed finished; nothing was sent after it (trio
    # schedules the window's tasks in random order, so which pages ran varies).
    assert 300 in started
    assert cancelled == []
    assert set(finished) == set(started) - {0, 300}
    assert after_failure == []


# -- pages that do not advance (issue 9) ------------------------------------------------------


@pytest.mark.parametrize("report_total", [True, False])
async def test_a_server_that_ignores_start_is_an_error_not_a_loop(report_total: bool) -> None:
    server = FakeServer(1_000, report_total=report_total, ignores_start=True)
    seen: list[int] = []

    async def iterate() -> None:
        async for item in OffsetPaginator(server.fetch, page_size=100, what="widgets"):
            seen.append(item)

    with anyio.fail_after(10), pytest.raises(errors.ServerError, match="widgets: paging did not"):
        await iterate()
    assert seen == list(range(100))  # the first page, never again
    assert len(server.calls) <= 1 + 8 * WINDOW_FACTOR


async def test_identity_decides_what_counts_as_the_same_row() -> None:
    async def fetch(start: int, rows: int) -> Page[tuple[int, int]]:
        # Every page starts with a row equal to the last page's first row but for its offset.
        return Page([(start, 0)] + [(start, i) for i in range(1, rows)], 300, start)

    by_value = OffsetPaginator(fetch, page_size=100)
    assert len([x async for x in by_value]) == 300
    by_second = OffsetPaginator(fetch, page_size=100, identity=lambda row: row[1])
    with pytest.raises(errors.ServerError, match="did not advance"):
        [x async for x in by_second]


@pytest.mark.parametrize(
    ("items", "total", "message"),
    [
        (None, 250, "says there are 250 results but has no results list"),
        ([1, 2], -1, "has 2 results but a negative total"),
    ],
)
def test_an_envelope_that_contradicts_itself_is_a_server_error(
    items: list[int] | None, total: int, message: str
) -> None:
    with pytest.raises(errors.ServerError, match=message) as info:
        Page.from_envelope(items, total, 0, route="/api/things")
    assert info.value.route == "/api/things"


def test_an_envelope_without_results_and_without_a_total_is_empty() -> None:
    assert Page.from_envelope(None, None, 0).items == ()
    assert Page.from_envelope(None, 0, 0).items == ()
    assert Page.from_envelope([], -1, 0).items == []


async def test_a_cursor_page_that_does_not_advance_is_an_error() -> None:
    async def fetch(cursor: object) -> CursorPage[int]:
        # A stream read: the server returns the same position however far it is asked to seek.
        return CursorPage([1, 2, 3], ("seek", cursor), progress=(7, 0), route="/api/stream/{id}")

    with anyio.fail_after(10), pytest.raises(errors.ServerError, match="position stayed") as info:
        [x async for x in CursorPaginator(fetch, what="stream")]
    assert info.value.route == "/api/stream/{id}"


async def test_a_cursor_paginator_gives_its_first_page_when_awaited() -> None:
    calls: list[object] = []

    async def fetch(cursor: object) -> CursorPage[int]:
        calls.append(cursor)
        return CursorPage([1, 2], "next", progress=1)

    page = await CursorPaginator(fetch)
    assert (list(page.items), page.cursor, calls) == ([1, 2], "next", [None])


def test_bad_arguments() -> None:
    async def fetch(start: int, rows: int) -> Page[int]:
        raise AssertionError

    for kwargs in (
        {"page_size": 0},
        {"page_size": 1, "concurrency": 0},
        {"page_size": 1, "start": -1},
        {"page_size": 1, "start": 5, "stop": 2},
    ):
        with pytest.raises(ValueError, match="page_size"):
            OffsetPaginator(fetch, **kwargs)  # type: ignore[arg-type]


async def test_cursor_paginator_stops_on_missing_repeated_cursor_or_empty_page() -> None:
    pages = {None: ([1, 2], "a"), "a": ([3], "b"), "b": ([4, 5], "a")}  # "a" repeats

    async def fetch(cursor: object) -> tuple[list[int], object]:
        return pages[cursor]  # type: ignore[index]

    assert [x async for x in CursorPaginator(fetch)] == [1, 2, 3, 4, 5]

    async def ends(cursor: object) -> tuple[list[int], object]:
        return ([1], None) if cursor is None else ([], None)

    assert [x async for x in CursorPaginator(ends)] == [1]

    async def empty(cursor: object) -> tuple[list[int], object]:
        return ([], "next")

    assert [x async for x in CursorPaginator(empty)] == []
    assert [x async for x in CursorPaginator(fetch, limit=4)] == [1, 2, 3, 4]
