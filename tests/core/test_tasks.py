"""The fan-out for fleets (settled) and the one cleanup helper (shielded_cleanup)."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Iterator

import anyio
import pytest

from cbasync import errors
from cbasync._tasks import Outcome, settled, shielded_cleanup

pytestmark = pytest.mark.anyio


async def work(key: int, *, delay: float = 0.0, fail: bool = False) -> int:
    await anyio.sleep(delay)
    if fail:
        raise errors.ServerError(f"device {key} failed")
    return key * 10


async def test_every_outcome_arrives_as_it_settles_and_failures_stop_nothing() -> None:
    # Later keys finish first: outcomes come in completion order, not submission order.
    calls = [
        (key, functools.partial(work, key, delay=0.05 - key * 0.01, fail=key == 2))
        for key in range(5)
    ]
    seen: list[Outcome[int, int]] = []
    async with settled(calls) as outcomes:
        async for outcome in outcomes:
            seen.append(outcome)
    assert [o.key for o in seen] == [4, 3, 2, 1, 0]
    by_key = {o.key: o for o in seen}
    assert by_key[2].error is not None
    assert not by_key[2].ok
    assert isinstance(by_key[2].error, errors.ServerError)
    with pytest.raises(errors.ServerError, match="device 2 failed"):
        by_key[2].unwrap()
    assert [by_key[k].unwrap() for k in (0, 1, 3, 4)] == [0, 10, 30, 40]
    assert all(o.finished >= o.started for o in seen)


async def test_the_limit_bounds_calls_in_flight_and_the_iterable_is_read_lazily() -> None:
    running = most = made = finished = 0
    ahead: list[int] = []

    async def call(key: int) -> int:
        nonlocal running, most, finished
        running += 1
        most = max(most, running)
        await anyio.sleep(0.005)
        running -= 1
        finished += 1
        return key

    def calls() -> Iterator[tuple[int, functools.partial[Awaitable[int]]]]:
        nonlocal made
        for key in range(40):
            made += 1
            ahead.append(made - finished)  # calls made but not finished, this one included
            yield key, functools.partial(call, key)

    async with settled(calls(), limit=3) as outcomes:
        keys = sorted([o.key async for o in outcomes])
    assert keys == list(range(40))
    assert most == 3
    assert max(ahead) <= 4  # never more than `limit` calls made ahead of the one being made


async def test_a_call_past_its_deadline_fails_alone() -> None:
    calls = [(0, functools.partial(work, 0, delay=5.0)), (1, functools.partial(work, 1))]
    async with settled(calls, deadline=0.05) as outcomes:
        result = {o.key: o async for o in outcomes}
    assert result[1].value == 10
    assert isinstance(result[0].error, errors.TimeoutError)
    assert str(result[0].error) == "0 did not finish within 0.05s"
    async with settled(
        calls[:1], deadline=0.05, describe=lambda key: f"the job on device {key}"
    ) as outcomes:
        named = [o async for o in outcomes]
    assert str(named[0].error) == "the job on device 0 did not finish within 0.05s"


async def test_leaving_early_cancels_the_rest_and_waits_for_their_cleanup() -> None:
    cleaned: list[int] = []

    async def held(key: int) -> int:
        try:
            await anyio.sleep(0 if key == 0 else 10)
            return key
        finally:
            async with shielded_cleanup(f"closing {key}"):
                await anyio.sleep(0.01)  # a shielded close survives the cancellation
                cleaned.append(key)

    async with settled([(k, functools.partial(held, k)) for k in range(4)]) as outcomes:
        async for outcome in outcomes:
            assert outcome.key == 0
            break
    assert sorted(cleaned) == [0, 1, 2, 3]


async def test_an_async_source_is_consumed_as_it_produces_and_ends_the_outcomes() -> None:
    produced: list[int] = []

    async def events() -> AsyncIterator[tuple[int, functools.partial[Awaitable[int]]]]:
        for key in range(6):
            await anyio.sleep(0.001)  # an event arrives
            produced.append(key)
            yield key, functools.partial(work, key, fail=key == 3)

    async with settled(events(), limit=2) as outcomes:
        seen = {o.key: o async for o in outcomes}
    assert produced == list(range(6))
    assert sorted(seen) == list(range(6))
    assert isinstance(seen[3].error, errors.ServerError)
    assert seen[5].value == 50


async def test_leaving_early_closes_an_async_source() -> None:
    closed = anyio.Event()

    async def endless() -> AsyncIterator[tuple[int, functools.partial[Awaitable[int]]]]:
        key = 0
        try:
            while True:
                yield key, functools.partial(work, key)
                key += 1
                await anyio.sleep(0.001)
        finally:
            closed.set()

    async with settled(endless(), limit=4) as outcomes:
        async for outcome in outcomes:
            if outcome.key >= 3:
                break
    assert closed.is_set()


async def test_a_failing_async_source_ends_the_fan_out_with_its_error() -> None:
    async def broken() -> AsyncIterator[tuple[int, functools.partial[Awaitable[int]]]]:
        yield 0, functools.partial(work, 0)
        raise errors.ServerError("the alert stream broke")

    seen: list[int] = []

    async def consume() -> None:
        async with settled(broken()) as outcomes:
            async for outcome in outcomes:
                seen.append(outcome.key)

    with pytest.raises(errors.ServerError, match="the alert stream broke"):
        await consume()
    assert seen in ([], [0])  # the first call may or may not have settled before the failure


async def test_an_error_in_the_body_is_raised_as_itself() -> None:
    with pytest.raises(KeyError, match="mine"):
        async with settled([(0, functools.partial(work, 0, delay=1))]):
            raise KeyError("mine")


async def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="limit"):
        async with settled([], limit=0):
            pass
    with pytest.raises(ValueError, match="deadline"):
        async with settled([], deadline=0):
            pass


async def test_shielded_cleanup_is_bounded_and_logs_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="cbasync")
    with anyio.CancelScope() as outer:
        outer.cancel()  # the caller is already cancelled: the cleanup still runs
        async with shielded_cleanup("closing a session", limit=0.05):
            await anyio.sleep(1)  # a dead server: abandoned at the limit
    assert "closing a session did not finish within 0.05s" in caplog.text
    async with shielded_cleanup("stopping a job"):
        raise errors.ServerError("503 Service Unavailable")
    assert "stopping a job failed: 503 Service Unavailable" in caplog.text
