"""Latency and fault decisions, seeded and clock-driven, with no knowledge of HTTP.

For each request the app asks :meth:`FaultInjector.decide` what to do; the answer is a
:class:`FaultDecision` (how long to wait, and whether to answer normally, with a 5xx, with a 429 and
its ``Retry-After``, or by resetting the connection). The rules:

- **latency**: ``latency_ms`` plus a uniform ``[0, jitter_ms]``, on every request;
- **rate limiting**, per client (source address or token): a request is refused with 429 while the
  client is blocked, and *each refused request extends the block* by ``retry_after`` seconds (the
  cloud's behaviour: keep hammering and you stay locked out). A block starts when the client's
  sliding-window count exceeds ``rate_limit_requests`` per ``rate_limit_window``, or at random
  with probability ``fault_429``;
- **5xx** with probability ``fault_5xx`` (a status from ``fault_5xx_statuses``);
- **reset** with probability ``fault_reset``: the connection is dropped with no answer;
- **slow** with probability ``fault_slow``: ``slow_response_seconds`` more before answering. The
  request is handled first and its answer held back (``late``): a server that is slow to answer
  has usually done the work, so a client that gives up on a POST may leave a job or a session
  behind, and must not assume it did not. (Before a 5xx or a reset the wait comes first.)

The injector also remembers which blocks a client has been *told* about (:meth:`announce_block`,
called once a 429 is answered): a request from that client before the block ends is one a client
honouring ``Retry-After`` never sends, and its decision says so (``during_block``).

Decisions come from one ``random.Random`` seeded from the config, so a run with the same requests
in the same order gets the same faults.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from typing import Literal

from cbasync.testing._clock import Clock
from cbasync.testing.config import EmulatorConfig

__all__ = ["FaultDecision", "FaultInjector"]

FaultKind = Literal["none", "5xx", "429", "reset"]


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request."""

    delay: float = 0.0
    """Seconds to wait before answering (latency, jitter and any slow-response fault)."""
    kind: FaultKind = "none"
    status: int = 200
    """The status of a 5xx or 429 answer."""
    retry_after: int | None = None
    """Whole seconds for the ``Retry-After`` header of a 429."""
    slow: bool = False
    late: float = 0.0
    """Seconds to hold a normal answer back after the request was handled (a slow response)."""
    during_block: bool = False
    """The client sent this request while a 429 block it had been told about was running."""

    @property
    def faulted(self) -> bool:
        return self.kind != "none"


_PASS = FaultDecision()


class FaultInjector:
    """Seeded fault and latency decisions; state is the per-client rate-limit bookkeeping."""

    def __init__(self, config: EmulatorConfig, clock: Clock, rng: random.Random | None = None):
        self.config = config
        self.clock = clock
        self.rng = rng if rng is not None else random.Random(f"faults:{config.seed}")
        self._windows: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self._announced_until: dict[str, float] = {}

    @property
    def active(self) -> bool:
        """False when the config injects nothing, so the app can skip the whole step."""
        c = self.config
        return bool(
            c.latency_ms
            or c.jitter_ms
            or c.fault_5xx
            or c.fault_429
            or c.fault_reset
            or c.fault_slow
            or c.rate_limit_requests is not None
        )

    def blocked_until(self, client: str) -> float | None:
        """Monotonic time at which the client's current 429 block ends, if it is blocked."""
        until = self._blocked_until.get(client)
        if until is None or until <= self.clock.monotonic():
            return None
        return until

    def decide(self, client: str) -> FaultDecision:
        """The decision for one request from ``client`` (an address or a token)."""
        c = self.config
        if not self.active:
            return _PASS
        rng = self.rng
        delay = c.latency_ms / 1000.0
        if c.jitter_ms:
            delay += rng.uniform(0.0, c.jitter_ms) / 1000.0

        now = self.clock.monotonic()
        told = self._announced_until.get(client, -math.inf) > now
        # Rate limiting first: a blocked client gets nothing else, and extends its block.
        until = self._blocked_until.get(client)
        if until is not None and until > now:
            return self._block(client, now, delay, told)
        if c.rate_limit_requests is not None:
            window = self._windows.setdefault(client, deque())
            horizon = now - c.rate_limit_window
            while window and window[0] <= horizon:
                window.popleft()
            window.append(now)
            if len(window) > c.rate_limit_requests:
                return self._block(client, now, delay, told)
        if c.fault_429 and rng.random() < c.fault_429:
            return self._block(client, now, delay, told)

        slow = bool(c.fault_slow) and rng.random() < c.fault_slow
        late = c.slow_response_seconds if slow else 0.0
        if c.fault_reset and rng.random() < c.fault_reset:
            return FaultDecision(delay=delay + late, kind="reset", status=0, slow=slow)
        if c.fault_5xx and rng.random() < c.fault_5xx:
            status = rng.choice(c.fault_5xx_statuses)
            return FaultDecision(delay=delay + late, kind="5xx", status=status, slow=slow)
        if delay == 0.0 and not slow:
            return _PASS
        return FaultDecision(delay=delay, slow=slow, late=late)

    def _block(self, client: str, now: float, delay: float, told: bool) -> FaultDecision:
        until = now + self.config.retry_after
        self._blocked_until[client] = max(until, self._blocked_until.get(client, 0.0))
        remaining = self._blocked_until[client] - now
        return FaultDecision(
            delay=delay,
            kind="429",
            status=429,
            retry_after=max(1, math.ceil(remaining)),
            during_block=told,
        )

    def announce_block(self, client: str) -> None:
        """A 429 was answered to ``client``: from now on it knows its block (as it stands now)."""
        until = self._blocked_until.get(client)
        if until is not None:
            self._announced_until[client] = max(until, self._announced_until.get(client, until))

    def clear(self) -> None:
        """Forget every rate-limit window and block."""
        self._windows.clear()
        self._blocked_until.clear()
        self._announced_until.clear()
