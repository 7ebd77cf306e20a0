"""Seeded values and the cloud's timestamp spelling, shared by every store of the org.

Generated rows are pure functions of ``(seed, index)``: :func:`stable` and :func:`mix` give the
numbers they pick from, :func:`uuid_of` and :func:`short_id` the ids, :func:`iso` the timestamps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cbasync.testing.dataset.endpoints import EndpointPopulation

__all__ = ["GeneratedSet", "RowSpec", "iso", "mix", "short_id", "stable", "uuid_of", "weighted"]


def stable(*parts: object) -> int:
    """A 64-bit integer that depends only on ``parts`` (never on PYTHONHASHSEED)."""
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


def mix(seed: int, i: int, salt: int) -> int:
    """A cheap integer hash of (seed, i, salt), good enough to pick from tables."""
    x = (i * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9 + salt * 0x94D049BB133111EB) & (
        (1 << 64) - 1
    )
    x ^= x >> 31
    x = (x * 0xD6E8FEB86659FD93) & ((1 << 64) - 1)
    x ^= x >> 29
    return x


def iso(epoch: float | None) -> str | None:
    """``2024-05-01T12:00:00.000Z``: the cloud's timestamp spelling."""
    if epoch is None:
        return None
    ms = round(epoch * 1000)
    seconds, millis = divmod(ms, 1000)
    days, rem = divmod(seconds, 86_400)
    hh, rem = divmod(rem, 3600)
    mm, ss = divmod(rem, 60)
    y, mo, d = _civil(days)
    return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}.{millis:03d}Z"


def _civil(days: int) -> tuple[int, int, int]:
    """Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm)."""
    z = days + 719_468
    era = (z if z >= 0 else z - 146_096) // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def weighted(choices: Sequence[tuple[str, int]], x: int) -> str:
    total = sum(w for _, w in choices)
    pick = x % total
    for value, weight in choices:
        if pick < weight:
            return value
        pick -= weight
    return choices[-1][0]


def uuid_of(*parts: object) -> str:
    h = f"{stable(*parts):016x}{stable(*parts, 'b'):016x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


_ALNUM62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def short_id(*parts: object, length: int = 20) -> str:
    """A Carbon Black-looking id (``pv65TYVQy8YWMX9KsQUg``) that depends only on ``parts``."""
    n = stable(*parts) << 64 | stable(*parts, "2")
    out = []
    for _ in range(length):
        n, r = divmod(n, 62)
        out.append(_ALNUM62[r])
    return "".join(out)


@dataclass(frozen=True)
class RowSpec:
    """What a generated set of rows is a function of: ``count`` rows of the org ``org_key`` on
    the endpoints of a population, spread over the ``history_days`` that end at ``epoch`` (the
    end of the generated history), picked with ``seed``."""

    endpoints: EndpointPopulation
    seed: int
    count: int
    org_key: str
    epoch: float
    history_days: int


class GeneratedSet:
    """Rows that are pure functions of ``(seed, index)``: the base of the generated stores."""

    def __init__(self, spec: RowSpec) -> None:
        self.endpoints = spec.endpoints
        self.seed = spec.seed
        self.count = spec.count
        self.org_key = spec.org_key
        self.epoch = spec.epoch
        self.history = spec.history_days * 86_400
