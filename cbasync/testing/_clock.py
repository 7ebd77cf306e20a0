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

__all__ = ["Clock", "ManualClock", "RealClock"]


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


class ManualClock:
    """A clock that moves only when told to.

    ``advance(s)`` moves time forward and wakes sleepers whose deadline has passed. With
    ``autojump=True`` (the default) a ``sleep`` does not wait for anyone: it jumps the clock to
    its own deadline, so added latency and slow-response faults cost no real time in tests. With
    ``autojump=False`` sleepers wait until a test calls ``advance`` far enough.
    """

    def __init__(self, start: float = 1_714_521_600.0, *, autojump: bool = True) -> None:
        self._wall_offset = start
        self._now = 0.0
        self.autojump = autojump
        self._sleepers: list[tuple[float, anyio.Event]] = []

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._wall_offset + self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (>= 0) and wake due sleepers."""
        if seconds < 0:
            raise ValueError("ManualClock cannot go back in time")
        self._now += seconds
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
        deadline = self._now + seconds
        if self.autojump:
            if deadline > self._now:
                self._now = deadline
                self._wake()
            await anyio.lowlevel.checkpoint()
            return
        event = anyio.Event()
        entry = (deadline, event)
        self._sleepers.append(entry)
        try:
            await event.wait()
        finally:
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now:.3f}, autojump={self.autojump})"
