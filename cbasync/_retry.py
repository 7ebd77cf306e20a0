"""Retry policy: what is retried, how long to wait, and how much retrying a client may do.

The policy is data, not a loop: :class:`RetryPolicy` decides per failure, :class:`RetryBudget` caps
the retries of all tasks of one client together, and :class:`RateLimitGate` holds every request of
a client back while the server's ``Retry-After`` runs. The one retry loop is tenacity's, built by
:func:`retrying` from these pieces (the glue is at the bottom of this module); the transport
calls it after a first failed attempt, classified as an :class:`AttemptFailed`.

What is retried (``R`` = retried, ``-`` = raised at once)::

    failure                                   GET/HEAD/PUT/DELETE   POST/PATCH
    connect error, connect or pool timeout          R                   R      never reached the server
    429 Too Many Requests                           R*                  R*     refused before handling
    read timeout, reset or broken response          R                   -      may have been handled
    502 / 503 / 504                                 R                   -      may have been handled
    any other status or error                       -                   -

A POST that creates a search job or a Live Response session therefore never runs twice; a caller
that knows a POST is a read (a cloud ``_search``) passes ``idempotent=True``.

``*`` A 429 is waited out up to ``max_rate_limit_waits`` times per call, apart from the
``max_retries`` retries of failures and at no cost to the retry budget: it says nothing about the
request, only when to send it.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import math
import random
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import anyio
from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt
from tenacity.retry import retry_base

from cbasync import errors

__all__ = [
    "AttemptFailed",
    "Failure",
    "RateLimitGate",
    "RetryBudget",
    "RetryCharge",
    "RetryPolicy",
    "parse_retry_after",
    "retrying",
]

logger = logging.getLogger("cbasync.retry")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class Failure(enum.Enum):
    """How an attempt failed, as far as retrying is concerned."""

    NOT_SENT = "the request never reached the server"
    RATE_LIMITED = "the server's rate limiter refused the request"
    MAYBE_HANDLED = "the request may have reached the server"
    FINAL = "not retryable"


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Per-client retry settings; :meth:`should_retry` is the whole decision table."""

    #: Retries after the first attempt (so at most ``max_retries + 1`` requests), not counting
    #: the 429 answers waited out (``max_rate_limit_waits``).
    max_retries: int = 3
    #: 429 answers one call waits out (each as long as ``Retry-After`` says, at most
    #: ``max_retry_after``) before it raises ``RateLimitError``. Apart from ``max_retries``: a
    #: refused request was never handled, and the server refuses every request that arrives
    #: between a block's start and the moment the client hears of it, so under a busy limiter
    #: a healthy request meets several blocks. Sharing the three retries meant for failures
    #: (and the budget), 36 of the chaos suite's 50 searches failed (tests/reliability/chaos.py).
    max_rate_limit_waits: int = 10
    #: Full-jitter exponential backoff: the n-th retry waits uniform(0, min(cap, base * 2**n)).
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    #: Longest ``Retry-After`` the client waits out; a longer one raises ``RateLimitError``.
    #: One minute keeps a notebook responsive while covering the cloud's usual short blocks.
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.max_rate_limit_waits < 0:
            raise ValueError("max_retries and max_rate_limit_waits must be >= 0")
        if not (self.backoff_base >= 0 and self.backoff_max >= 0 and self.max_retry_after >= 0):
            raise ValueError("backoff and retry-after limits must be >= 0")

    def should_retry(
        self, method: str, failure: Failure, *, idempotent: bool | None = None
    ) -> bool:
        if failure in (Failure.NOT_SENT, Failure.RATE_LIMITED):
            return True
        if failure is Failure.MAYBE_HANDLED:
            return idempotent if idempotent is not None else method.upper() in IDEMPOTENT_METHODS
        return False

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based), with full jitter."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (retry_number - 1))
        return (rng or _rng).uniform(0, ceiling)


# Jitter needs no cryptographic randomness.
_rng = random.Random()  # noqa: S311


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or ``None`` when it says nothing usable.

    Accepts delta-seconds (also fractional, which some gateways send) and HTTP dates. A date in
    the past means 0. Negative, NaN and unparsable values give ``None`` (the caller falls back to
    its own backoff); ``inf`` and far-future values come back as they are, and the caller's clamp
    turns them into an error.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if math.isnan(seconds) or seconds < 0:
            return None
        return seconds
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive parse means "-0000".
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


class RetryBudget:
    """A token bucket shared by every task of one client, so a failing server is not hammered.

    A retry costs ``retry_cost`` tokens (``timeout_cost`` after a timeout, which ties up the
    server longest; waiting out a 429 costs nothing, the gate paces it); every success refunds
    one, and a call that succeeds after retrying also gets back what its retries cost (AWS's
    retry quota does the same). So only retries that end in failure drain it: with the
    defaults a client that sees nothing but failures stops retrying after 20 retries, while one
    whose retries keep working keeps retrying. (Refunding one per success alone drained it
    under a steady 18% of transient faults, after some 800 requests, and a healthy client then
    failed at the next 503: tests/reliability/chaos.py.)
    """

    def __init__(
        self, capacity: float = 100, retry_cost: float = 5, timeout_cost: float = 10
    ) -> None:
        self.capacity = capacity
        self.retry_cost = retry_cost
        self.timeout_cost = timeout_cost
        self._tokens = capacity

    @property
    def tokens(self) -> float:
        return self._tokens

    def try_spend(self, *, timeout: bool = False) -> float:
        """The tokens a retry took (``0.0``, false, when the budget cannot pay for it)."""
        cost = self.timeout_cost if timeout else self.retry_cost
        if self._tokens < cost:
            return 0.0
        self._tokens -= cost
        return cost

    def refund(self, tokens: float = 1.0) -> None:
        self._tokens = min(self.capacity, self._tokens + tokens)


class RateLimitGate:
    """Holds back every request of a client until the server's ``Retry-After`` has passed.

    The cloud extends a block for every request sent during it (wire-protocol §1.5), so once one
    task sees a 429 no task may send until the block is over.
    """

    def __init__(self) -> None:
        self._open_at = -math.inf

    def closed(self) -> bool:
        """Whether a block is running; no clock is read until a 429 has been seen."""
        return self._open_at != -math.inf and self._open_at > anyio.current_time()

    @property
    def closed_for(self) -> float:
        """Seconds until the gate opens (0 when open)."""
        return max(0.0, self._open_at - anyio.current_time())

    def close_for(self, seconds: float) -> None:
        self._open_at = max(self._open_at, anyio.current_time() + seconds)

    async def wait(self) -> None:
        # A sleep to a deadline rather than an Event: the deadline is all the state there is,
        # and another task may extend it while this one sleeps, hence the loop.
        while (delay := self._open_at - anyio.current_time()) > 0:  # noqa: ASYNC110
            await anyio.sleep(delay)


class AttemptFailed(Exception):
    """One failed attempt, classified for the retry policy. Never escapes the transport: the
    caller gets ``error``."""

    def __init__(
        self,
        error: errors.ApiError,
        failure: Failure,
        *,
        retry_after: float | None = None,
        timeout: bool = False,
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.failure = failure
        self.retry_after = retry_after
        self.timeout = timeout


# -- the tenacity glue ---------------------------------------------------------------------


class RetryCharge:
    """What one call's retries took from the budget: given back if the call succeeds."""

    __slots__ = ("tokens",)

    def __init__(self) -> None:
        self.tokens = 0.0


def retrying(
    policy: RetryPolicy,
    budget: RetryBudget,
    *,
    method: str,
    route: str,
    idempotent: bool | None,
    replayable: bool,
    charge: RetryCharge | None = None,
) -> AsyncRetrying:
    """The retry loop for one request: the policy table, the attempt limit, the shared budget
    (what it spends is added to ``charge``), the waits (``Retry-After``, or backoff; 0 after a
    429, whose gate holds the next attempt) and one INFO line per retry naming the route
    template."""
    when = _RetryWhen(policy, budget, method, idempotent, replayable, charge or RetryCharge())
    return AsyncRetrying(
        sleep=anyio.sleep,
        stop=stop_after_attempt(policy.max_retries + policy.max_rate_limit_waits + 1),
        retry=when,
        wait=_wait_for(policy, when),
        before_sleep=_log_retry(method, route, policy, when),
        reraise=True,
    )


class _RetryWhen(retry_base):
    """tenacity predicate: the policy table, the attempt limit and the shared budget."""

    def __init__(
        self,
        policy: RetryPolicy,
        budget: RetryBudget,
        method: str,
        idempotent: bool | None,
        replayable: bool,
        charge: RetryCharge,
    ) -> None:
        self.policy = policy
        self.budget = budget
        self.method = method
        self.idempotent = idempotent
        self.replayable = replayable
        self.charge = charge
        self.retried = 0
        self.waited = 0

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is None or not outcome.failed:
            return False
        failed = outcome.exception()
        if not isinstance(failed, AttemptFailed) or not self.replayable:
            return False
        if failed.failure is Failure.RATE_LIMITED:
            # Paced by the server's Retry-After and the gate's ramp, not by the budget: the
            # first block of 50 concurrent searches refused 40 requests at once, whose 200
            # tokens emptied the budget, and every one of them failed.
            if self.waited >= self.policy.max_rate_limit_waits:
                return False
            self.waited += 1
            return True
        if self.retried >= self.policy.max_retries:
            return False
        if not self.policy.should_retry(self.method, failed.failure, idempotent=self.idempotent):
            return False
        spent = self.budget.try_spend(timeout=failed.timeout)
        if not spent:
            logger.info(
                "Not retrying %s %s: this client's retry budget is spent",
                self.method,
                failed.error.route,
            )
            return False
        self.charge.tokens += spent
        self.retried += 1
        return True


def _wait_for(policy: RetryPolicy, when: _RetryWhen) -> Callable[[RetryCallState], float]:
    def wait(retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        failed = outcome.exception() if outcome is not None else None
        if isinstance(failed, AttemptFailed):
            if failed.failure is Failure.RATE_LIMITED:
                return 0.0  # the client-wide gate holds the next attempt
            if failed.retry_after is not None:
                return min(failed.retry_after, policy.max_retry_after)
        # The n-th retry of a failure (429s waited out in between do not grow the backoff).
        return policy.backoff(max(1, when.retried))

    return wait


def _log_retry(
    method: str, route: str, policy: RetryPolicy, when: _RetryWhen
) -> Callable[[RetryCallState], None]:
    def before_sleep(retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        failed = outcome.exception() if outcome is not None else None
        if not isinstance(failed, AttemptFailed):
            return
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        reason = (
            f"status {failed.error.status}" if failed.error.status else type(failed.error).__name__
        )
        if failed.failure is Failure.RATE_LIMITED:
            count, limit, what = when.waited, policy.max_rate_limit_waits, "429 wait"
        else:
            count, limit, what = when.retried + 1, policy.max_retries + 1, "attempt"
        logger.info(
            "Retrying %s %s in %.2fs (%s %d of %d) after %s",
            method,
            route,
            wait,
            what,
            count,
            limit,
            reason,
        )

    return before_sleep
