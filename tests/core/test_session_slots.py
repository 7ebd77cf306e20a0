"""Live Response session slots: held for a session's life, fair, shrinking on a refusal."""

from __future__ import annotations

import anyio
import pytest

from cbasync._limits import SessionSlots

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("capacity", [1, 2])
async def test_slots_bound_the_holders_and_are_handed_out_in_turn(capacity: int) -> None:
    slots = SessionSlots(capacity)
    order: list[int] = []
    holding = 0
    most = 0

    async def holder(n: int, started: anyio.Event) -> None:
        nonlocal holding, most
        started.set()
        await slots.acquire()
        holding += 1
        most = max(most, holding)
        order.append(n)
        await anyio.sleep(0.01)
        holding -= 1
        slots.release()

    async with anyio.create_task_group() as tg:
        for n in range(6):
            started = anyio.Event()
            tg.start_soon(holder, n, started)
            await started.wait()  # queue them in a known order
    assert most == capacity
    assert slots.most_in_use == capacity
    assert slots.in_use == 0
    if capacity == 1:  # one release, one grant: the order is the queue's
        assert order == list(range(6))
    else:
        assert sorted(order) == list(range(6))


async def test_a_refusal_shrinks_the_pool_and_the_refused_holder_takes_the_next_free_slot() -> None:
    slots = SessionSlots(4)
    for _ in range(4):
        await slots.acquire()  # three sessions open; the 4th slot's session is refused
    got: list[str] = []

    async def refused_holder() -> None:
        await slots.refused()
        got.append("refused")

    async def late_arrival() -> None:
        await slots.acquire()
        got.append("late")

    async with anyio.create_task_group() as tg:
        tg.start_soon(refused_holder)
        await anyio.sleep(0.01)
        tg.start_soon(late_arrival)
        await anyio.sleep(0.01)
        assert (slots.limit, slots.in_use, slots.waiting) == (3, 3, 2)
        slots.release()  # one of the open sessions closes: the refused holder goes first
        await anyio.sleep(0.01)
        assert got == ["refused"]
        assert slots.waiting == 1
        slots.release()  # another one closes
    assert got == ["refused", "late"]
    assert slots.refusals == 1
    assert slots.in_use == 3


async def test_a_refusal_with_no_session_of_this_client_open_waits_for_the_pool_to_recover() -> (
    None
):
    slots = SessionSlots(2, recover_after=0.05)
    await slots.acquire()
    await slots.refused()  # nothing of ours to wait for: only the recovery can let it go
    assert slots.in_use == 1
    assert slots.limit == 2  # recovered
    slots.release()


async def test_the_caller_bounds_a_wait_for_a_slot() -> None:
    slots = SessionSlots(1)
    await slots.acquire()
    with anyio.move_on_after(0.02) as scope:
        await slots.acquire()
    assert scope.cancelled_caught
    assert slots.waiting == 0
    assert slots.in_use == 1
    slots.release()
    await slots.acquire()  # the abandoned wait left nothing behind
    slots.release()


async def test_cancelling_a_waiter_around_its_grant_loses_no_slot() -> None:
    slots = SessionSlots(1)
    await slots.acquire()
    got: list[int] = []

    async def waiter(n: int) -> None:
        await slots.acquire()
        got.append(n)
        slots.release()

    async with anyio.create_task_group() as tg, anyio.create_task_group() as inner:
        inner.start_soon(waiter, 1)
        await anyio.sleep(0.01)
        tg.start_soon(waiter, 2)
        await anyio.sleep(0.01)
        slots.release()  # granted to waiter 1...
        inner.cancel_scope.cancel()  # ...cancelled before it resumes (asyncio) or after
    assert 2 in got  # either way the slot reached the next waiter
    assert slots.in_use == 0


async def test_raising_the_capacity_lets_waiters_in_and_bad_values_are_refused() -> None:
    slots = SessionSlots(1)
    await slots.acquire()
    async with anyio.create_task_group() as tg:
        tg.start_soon(slots.acquire)
        await anyio.sleep(0.01)
        slots.capacity = 2
    assert slots.in_use == 2
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="integer >= 1"):
            slots.capacity = bad  # type: ignore[assignment]
    with pytest.raises(ValueError, match="recover_after"):
        SessionSlots(1, recover_after=0)
    slots.release()
    slots.release()
    with pytest.raises(RuntimeError, match="without a slot"):
        slots.release()
