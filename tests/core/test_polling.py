"""The one waiter: acceptors, backoff, server hints, the wall-clock limit, the last response."""

from __future__ import annotations

import itertools
import math

import anyio
import pytest

from cbasync import _polling, errors
from cbasync._polling import Backoff, poll_new_items, wait_until

pytestmark = pytest.mark.anyio

FAST = Backoff(initial=0.001, maximum=0.002)


async def test_returns_the_accepted_response() -> None:
    states = iter(["pending", "pending", "active"])

    async def fetch() -> str:
        return next(states)

    assert (
        await wait_until(fetch, success=lambda s: s == "active", max_wait=5, backoff=FAST)
        == "active"
    )


async def test_failure_acceptor_raises_its_error() -> None:
    async def fetch() -> dict[str, str]:
        return {"status": "error", "result_desc": "File not found"}

    def failed(result: dict[str, str]) -> BaseException | None:
        return (
            errors.LiveResponseError(result["result_desc"]) if result["status"] == "error" else None
        )

    with pytest.raises(errors.LiveResponseError, match="File not found"):
        await wait_until(
            fetch,
            success=lambda r: r["status"] == "complete",
            failure=failed,
            max_wait=5,
            backoff=FAST,
        )


async def test_limit_raises_timeout_with_the_last_response() -> None:
    polls = 0

    async def fetch() -> dict[str, int]:
        nonlocal polls
        polls += 1
        return {"contacted": 10, "completed": polls}

    with pytest.raises(
        errors.TimeoutError, match=r"the search job did not finish within 0\.05s"
    ) as info:
        await wait_until(
            fetch, success=lambda r: False, max_wait=0.05, backoff=FAST, what="the search job"
        )
    assert info.value.last_response == {"contacted": 10, "completed": polls}
    assert isinstance(info.value, TimeoutError)


async def test_a_hanging_fetch_is_cut_at_the_limit() -> None:
    async def fetch() -> str:
        await anyio.sleep(60)
        return "never"

    with anyio.fail_after(5), pytest.raises(errors.TimeoutError) as info:
        await wait_until(fetch, success=lambda r: True, max_wait=0.05)
    assert info.value.last_response is None


async def test_fetch_errors_propagate() -> None:
    async def fetch() -> str:
        raise errors.ObjectNotFoundError("gone", status=404)

    with pytest.raises(errors.ObjectNotFoundError):
        await wait_until(fetch, success=lambda r: True, max_wait=1)


async def test_server_hint_sets_the_delay() -> None:
    times: list[float] = []

    async def fetch() -> float:
        times.append(anyio.current_time())
        return 0.03

    # A 5 s backoff would allow a single poll within the limit; the 30 ms hint allows four.
    await wait_until(
        fetch,
        success=lambda r: len(times) == 4,
        max_wait=5,
        hint=lambda r: r,
        backoff=Backoff(initial=5, maximum=5),
    )
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(gaps) == 3
    assert all(0.025 <= gap < 1 for gap in gaps)


def test_a_resumed_backoff_continues_the_schedule_it_would_be_at() -> None:
    backoff = Backoff(initial=0.05, maximum=2.0, factor=1.5, jitter=0.0)
    assert backoff.resumed(0.0).initial == 0.05
    assert backoff.resumed(1.0).initial == 0.5  # a second in: polls half a second apart
    assert backoff.resumed(100.0).initial == 2.0  # never past the maximum
    assert backoff.resumed(1.0).maximum == 2.0


def test_backoff_grows_to_its_maximum_with_jitter() -> None:
    backoff = Backoff(initial=0.5, maximum=4, factor=2, jitter=0.1)
    assert 0.45 <= backoff.delay(1) <= 0.55
    assert 0.9 <= backoff.delay(2) <= 1.1
    assert 3.6 <= backoff.delay(10) <= 4.4
    with pytest.raises(ValueError, match="initial"):
        Backoff(initial=0)


@pytest.mark.parametrize("max_wait", [0, -1, float("nan")])
async def test_max_wait_must_be_positive(max_wait: float) -> None:
    async def fetch() -> int:
        return 1

    with pytest.raises(ValueError, match="max_wait"):
        await wait_until(fetch, success=bool, max_wait=max_wait)


# -- poll_new_items: a watch over a queue --------------------------------------------------------


async def test_each_item_is_yielded_once_across_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    batches = [[1, 2], [2, 3], [], [3, 4, 1]]
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(_polling.anyio, "sleep", fake_sleep)

    async def fetch() -> list[int]:
        return batches.pop(0) if batches else []

    seen = []
    async for item in poll_new_items(fetch, interval=7.5, key=lambda n: n):
        seen.append(item)
        if item == 4:
            break
    assert seen == [1, 2, 3, 4]
    # The first poll is immediate, each later one follows a sleep of the interval.
    assert sleeps == [7.5, 7.5, 7.5]


async def test_the_seen_set_is_bounded() -> None:
    batches = [["a", "b", "c"], ["a"], ["d"], ["a"]]

    async def fetch() -> list[str]:
        return batches.pop(0)

    seen = []
    watch = poll_new_items(fetch, interval=0, key=str.upper, remember=2)
    async for item in watch:
        seen.append(item)
        if len(seen) == 5:
            break
    # With room for two keys, "a" is forgotten once "b" and "c" are remembered, so it is new again.
    assert seen == ["a", "b", "c", "a", "d"]


async def test_a_fetch_error_ends_the_watch() -> None:
    calls = 0

    async def fetch() -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise errors.ServerError("queue unavailable")
        return [calls]

    watch = poll_new_items(fetch, interval=0, key=lambda n: n)
    assert await watch.__anext__() == 1
    with pytest.raises(errors.ServerError, match="queue unavailable"):
        await watch.__anext__()


@pytest.mark.parametrize(("interval", "remember"), [(-1, 10), (math.inf, 10), (1, 0)])
def test_a_watch_refuses_bad_settings(interval: float, remember: int) -> None:
    async def fetch() -> list[int]:
        return []

    with pytest.raises(ValueError, match=r"interval|remember"):
        poll_new_items(fetch, interval=interval, key=lambda n: n, remember=remember)


async def test_after_delays_the_first_poll_within_the_limit() -> None:
    started = anyio.current_time()
    polled: list[float] = []

    async def fetch() -> str:
        polled.append(anyio.current_time() - started)
        return "complete"

    await wait_until(fetch, success=lambda s: s == "complete", max_wait=5, after=0.03)
    assert len(polled) == 1
    assert polled[0] >= 0.03  # the answer that started it said "pending": no poll at once
    with pytest.raises(errors.TimeoutError):  # `after` counts against max_wait
        await wait_until(fetch, success=lambda s: False, max_wait=0.02, after=1.0)
    with pytest.raises(ValueError, match="after"):
        await wait_until(fetch, success=bool, max_wait=1, after=-1)
