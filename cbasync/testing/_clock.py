"""Injectable clocks: real time for servers and benchmarks, manual time for tests.

Everything in the emulator that depends on time (job progress, Live Response activation and idle
timeouts, isolation convergence, rate-limit windows, added latency) asks the state's clock, never
``time`` directly. A test builds the app with a :class:`ManualClock` and moves time forward with
``clock.advance(seconds)`` instead of sleeping.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

import anyio
import anyio.lowlevel

__all__ = ["Clock", "LoopClock", "ManualClock", "RealClock"]


@runtime_checkable
class Clock(Protocol):
    """What the emulator needs from time."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (durations, deadlines)."""
        ...

    def time(self) -> float:
        """Wall-clock epoch seconds (timestamps shown to clients)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class RealClock:
    """The system clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await anyio.sleep(seconds)
        else:
            await anyio.lowlevel.checkpoint()

    def __repr__(self) -> str:
        return "RealClock()"


class LoopClock:
    """The event loop's own clock (``anyio.current_time()``), shared with the client in process.

    Under trio's ``MockClock(autojump_threshold=0)`` loop time is virtual: it jumps ahead
    whenever every task waits, so the client's timeouts, backoffs and ``Retry-After`` waits and
    the emulator's latency, slow responses and job durations all pass in no real time, and stay
    consistent with each other. A :class:`ManualClock` cannot do that: its autojumping sleeps
    move only the emulator, so a client deadline never sees a slow response. The chaos scenario
    (``tests/reliability/chaos.py``) runs on this clock. On a real-time loop it is real time.
    """

    def __init__(self, start: float = 1_714_521_600.0) -> None:
        self._wall_offset = start
        self._origin: float | None = None
        self._last = 0.0

    def monotonic(self) -> float:
        try:
            now = anyio.current_time()
        except RuntimeError:  # no loop yet (the state is built before the run): time zero
            return 0.0 if self._origin is None else self._last
        if self._origin is None:
            self._origin = now
        self._last = now - self._origin
        return self._last

    def time(self) -> float:
        return self._wall_offset + self.monotonic()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            await anyio.sleep(seconds)
        else:
            await anyio.lowlevel.checkpoint()

    def __repr__(self) -> str:
        return "LoopClock()"


class ManualClock:
    """A clock that moves when told to, and optionally on its own at a multiple of real time.

    ``advance(s)`` moves time forward and wakes sleepers whose deadline has passed. With
    ``autojump=True`` (the default) a ``sleep`` does not wait for anyone: it jumps the clock to
    its own deadline, so added latency and slow-response faults cost no real time in tests. With
    ``autojump=False`` sleepers wait until time reaches their deadline.

    ``speed`` (0 by default) is how many emulated seconds pass on their own per real second.
    At 0 time moves only by ``advance`` and autojumping sleeps, so a test controls every instant.
    Above 0 the emulated world also runs by itself, ``speed`` times faster than real time: a
    client that polls in real time (a sensor isolation, a search job, a Live Response session
    becoming active) sees the emulator's delays elapse within a poll or two, and nothing waits
    for a test to advance the clock. The pytest plugin's clock runs at
    ``cbasync.testing.pytest_plugin.CLOCK_SPEED``.
    """

    def __init__(
        self, start: float = 1_714_521_600.0, *, autojump: bool = True, speed: float = 0.0
    ) -> None:
        self._wall_offset = start
        self._now = 0.0
        self.autojump = autojump
        self._speed = 0.0
        self._anchor = time.monotonic()
        self._sleepers: list[tuple[float, anyio.Event]] = []
        self.speed = speed

    @property
    def speed(self) -> float:
        """Emulated seconds that pass per real second without ``advance`` (0: none)."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if not value >= 0 or value == float("inf"):
            raise ValueError(f"ManualClock speed must be a finite number >= 0, not {value!r}")
        self._follow_real_time()
        self._speed = float(value)

    def _follow_real_time(self) -> None:
        """Fold the real time that passed since the last reading into ``_now`` (at ``speed``)."""
        real = time.monotonic()
        if self._speed:
            self._now += (real - self._anchor) * self._speed
        self._anchor = real

    def monotonic(self) -> float:
        if self._speed:
            self._follow_real_time()
        return self._now

    def time(self) -> float:
        return self._wall_offset + self.monotonic()

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (>= 0) and wake due sleepers."""
        if seconds < 0:
            raise ValueError("ManualClock cannot go back in time")
        self._now = self.monotonic() + seconds
        self._wake()

    def _wake(self) -> None:
        due = [s for s in self._sleepers if s[0] <= self._now]
        if due:
            self._sleepers = [s for s in self._sleepers if s[0] > self._now]
            for _, event in due:
                event.set()

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await anyio.lowlevel.checkpoint()
            return
        deadline = self.monotonic() + seconds
        if self.autojump:
            self._now = deadline
            self._wake()
            await anyio.lowlevel.checkpoint()
            return
        event = anyio.Event()
        entry = (deadline, event)
        self._sleepers.append(entry)
        try:
            while True:
                if not self._speed:
                    await event.wait()
                    return
                # Time also passes on its own: wake at the real instant the deadline is due,
                # or earlier when a test advances the clock past it.
                remaining = deadline - self.monotonic()
                if remaining <= 0:
                    return
                with anyio.move_on_after(remaining / self._speed):
                    await event.wait()
                    return
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    def __repr__(self) -> str:
        return (
            f"ManualClock(now={self.monotonic():.3f}, autojump={self.autojump}, "
            f"speed={self._speed:g})"
        )
