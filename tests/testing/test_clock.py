"""The emulator's clocks: ManualClock's speed (emulated time that also runs by itself, at a
multiple of real time), and LoopClock (the event loop's time, virtual under trio's MockClock)."""

from __future__ import annotations

import math

import anyio
import pytest
from trio.testing import MockClock

from cbasync.testing import LoopClock, ManualClock, _clock


class FakeRealTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def real(monkeypatch: pytest.MonkeyPatch) -> FakeRealTime:
    fake = FakeRealTime()
    monkeypatch.setattr(_clock.time, "monotonic", fake)
    return fake


def test_a_clock_without_speed_moves_only_when_told(real: FakeRealTime) -> None:
    clock = ManualClock(start=1000.0)
    real.now += 60
    assert clock.monotonic() == 0.0
    clock.advance(2)
    assert (clock.monotonic(), clock.time()) == (2.0, 1002.0)


def test_speed_runs_emulated_time_at_a_multiple_of_real_time(real: FakeRealTime) -> None:
    clock = ManualClock(start=1000.0, speed=50)
    real.now += 0.1
    assert clock.monotonic() == pytest.approx(5.0)
    clock.advance(10)  # on top of what ran by itself
    assert clock.monotonic() == pytest.approx(15.0)
    real.now += 0.2
    assert clock.time() == pytest.approx(1025.0)


def test_changing_speed_keeps_the_time_already_run(real: FakeRealTime) -> None:
    clock = ManualClock(speed=10)
    real.now += 1
    clock.speed = 0  # stop the clock: the 10 s that ran stay
    real.now += 100
    assert clock.monotonic() == pytest.approx(10.0)
    clock.speed = 2
    real.now += 1
    assert clock.monotonic() == pytest.approx(12.0)


@pytest.mark.parametrize("speed", [-1.0, math.nan, math.inf])
def test_speed_must_be_finite_and_not_negative(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        ManualClock(speed=speed)


@pytest.mark.anyio
async def test_a_sleeper_without_autojump_wakes_when_running_time_reaches_it() -> None:
    clock = ManualClock(autojump=False, speed=10_000)
    await clock.sleep(5)  # 0.5 ms of real time
    assert clock.monotonic() >= 5


@pytest.mark.anyio
async def test_a_sleeper_on_a_slow_clock_wakes_when_the_test_advances_it() -> None:
    clock = ManualClock(autojump=False, speed=0.001)  # 5 emulated s would take 83 minutes
    woke: list[float] = []

    async def sleeper() -> None:
        await clock.sleep(5)
        woke.append(clock.monotonic())

    async with anyio.create_task_group() as tg:
        tg.start_soon(sleeper)
        await anyio.wait_all_tasks_blocked()
        assert woke == []
        clock.advance(5)
    assert woke
    assert woke[0] >= 5


@pytest.mark.anyio
async def test_an_autojumping_sleep_jumps_a_running_clock_too(real: FakeRealTime) -> None:
    clock = ManualClock(speed=50)
    real.now += 0.1
    await clock.sleep(65)  # a slow-response fault costs no real time
    assert clock.monotonic() == pytest.approx(70.0)


def test_the_loop_clock_follows_the_loop_s_virtual_time() -> None:
    # Under trio's MockClock the client and the emulator share one virtual time: a slow answer
    # costs no real time and the client's deadlines still see it.
    clock = LoopClock(start=1_000.0)
    assert clock.monotonic() == 0.0  # before any loop runs (the state is built first)
    seen: list[float] = []

    async def main() -> None:
        seen.append(clock.monotonic())
        await clock.sleep(3_600.0)
        seen.append(clock.monotonic())
        await clock.sleep(0)
        seen.append(clock.time())

    anyio.run(main, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})
    assert seen == [0.0, pytest.approx(3_600.0), pytest.approx(4_600.0)]
    assert clock.monotonic() == pytest.approx(3_600.0)  # the last reading, once the loop is gone
