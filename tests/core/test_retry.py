"""The retry policy as data: Retry-After parsing, the decision table, backoff, the budget."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import anyio
import pytest

from cbasync._retry import Failure, RateLimitGate, RetryBudget, RetryPolicy, parse_retry_after

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("0", 0.0),
        ("5", 5.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        ("0.25", 0.25),
        ("-1", None),
        ("-0.5", None),
        ("nan", None),
        ("NaN", None),
        ("inf", math.inf),
        ("Infinity", math.inf),
        ("", None),
        ("soon", None),
        ("12 seconds", None),
        ("Wed, 99 Foo 2026 00:00:00 GMT", None),
        (None, None),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
        (format_datetime(NOW + timedelta(days=365), usegmt=True), 365 * 86400.0),
        ("Sun, 22 Nov 2026 12:00:10 -0000", 10.0),
        ("1e9", 1e9),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


IDEMPOTENT = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "get"]
UNSAFE = ["POST", "PATCH", "post"]


@pytest.mark.parametrize("method", IDEMPOTENT + UNSAFE)
@pytest.mark.parametrize(
    ("failure", "idempotent_retried", "unsafe_retried"),
    [
        (Failure.NOT_SENT, True, True),
        (Failure.RATE_LIMITED, True, True),
        (Failure.MAYBE_HANDLED, True, False),
        (Failure.FINAL, False, False),
    ],
)
def test_decision_table(
    method: str, failure: Failure, idempotent_retried: bool, unsafe_retried: bool
) -> None:
    expected = (
        idempotent_retried
        if method.upper() in {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
        else unsafe_retried
    )
    assert RetryPolicy().should_retry(method, failure) is expected


@pytest.mark.parametrize(
    ("method", "idempotent", "expected"), [("POST", True, True), ("GET", False, False)]
)
def test_caller_can_declare_idempotence(method: str, idempotent: bool, expected: bool) -> None:
    assert (
        RetryPolicy().should_retry(method, Failure.MAYBE_HANDLED, idempotent=idempotent) is expected
    )
    # A final failure stays final, whatever the caller says.
    assert RetryPolicy().should_retry(method, Failure.FINAL, idempotent=True) is False


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4.0)
    rng = random.Random(7)
    for retry, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (30, 4.0)]:
        waits = [policy.backoff(retry, rng) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8  # jitter spreads over the whole range
        assert min(waits) < ceiling * 0.2


@pytest.mark.parametrize(
    "kwargs", [{"max_retries": -1}, {"backoff_base": -1}, {"max_retry_after": -5}]
)
def test_policy_rejects_negative_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_budget_spends_and_refunds() -> None:
    budget = RetryBudget(capacity=12, retry_cost=5, timeout_cost=10)
    assert budget.try_spend()
    assert budget.try_spend()
    assert not budget.try_spend()  # 2 tokens left, a retry costs 5
    for _ in range(3):
        budget.refund()
    assert budget.try_spend()
    assert budget.tokens == 0
    for _ in range(50):
        budget.refund()
    assert budget.tokens == 12  # never above capacity
    assert budget.try_spend(timeout=True)
    assert not budget.try_spend(timeout=True)


@pytest.mark.anyio
async def test_gate_holds_until_the_latest_deadline() -> None:
    gate = RateLimitGate()
    assert gate.closed_for == 0
    await gate.wait()  # open: returns at once
    gate.close_for(0.05)
    gate.close_for(0.01)  # a shorter block never shortens a longer one
    assert gate.closed_for > 0.02
    start = anyio.current_time()
    await gate.wait()
    assert anyio.current_time() - start >= 0.04
    assert gate.closed_for == 0


@pytest.mark.anyio
async def test_gate_extended_while_waiting_keeps_waiters_back() -> None:
    gate = RateLimitGate()
    gate.close_for(0.02)
    released: list[float] = []

    async def waiter() -> None:
        await gate.wait()
        released.append(anyio.current_time())

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        await anyio.sleep(0.01)
        gate.close_for(0.05)  # another 429 arrives during the block
        extended_until = anyio.current_time() + 0.05
    assert released
    assert released[0] >= extended_until - 0.005
