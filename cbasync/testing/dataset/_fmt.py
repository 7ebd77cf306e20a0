"""Fast, allocation-light formatting shared by the generated datasets."""

from __future__ import annotations

import hashlib
import time
from functools import lru_cache

__all__ = [
    "DAY",
    "FILETIME_EPOCH_OFFSET",
    "cb_time",
    "iso_ms",
    "iso_s",
    "mix",
    "rfc822",
    "server_local",
    "signed32",
    "unit",
]

DAY = 86_400.0  # seconds
# Seconds between 1601-01-01 (FILETIME epoch) and 1970-01-01.
FILETIME_EPOCH_OFFSET = 11_644_473_600
_MASK64 = (1 << 64) - 1


def mix(*parts: int) -> int:
    """A 64-bit hash of small integers (splitmix64 over the sequence). Cheap and well spread;
    the generated data uses it instead of building a ``random.Random`` per row."""
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h = (h ^ (p & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        h = (h ^ (h >> 27)) * 0x94D049BB133111EB & _MASK64
        h ^= h >> 31
    return h


def unit(*parts: int) -> float:
    """A float in [0, 1) from :func:`mix`."""
    return (mix(*parts) >> 11) / float(1 << 53)


def seed_int(text: str) -> int:
    """A stable 64-bit integer from a string (for seeding from names)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


@lru_cache(maxsize=4096)
def _day(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86_400))


_HMS: list[str] = []
_MS3 = [f"{i:03d}" for i in range(1000)]


def _hms() -> list[str]:
    if not _HMS:
        _HMS.extend(
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        )
    return _HMS


def iso_ms(ts: float) -> str:
    """``2017-05-01T06:09:21.928Z`` (Solr style, milliseconds)."""
    day, rem = divmod(int(ts * 1000), 86_400_000)
    sec, milli = divmod(rem, 1000)
    return f"{_day(day)}T{(_HMS or _hms())[sec]}.{_MS3[milli]}Z"


def iso_s(ts: float) -> str:
    """``2017-05-01T06:09:21Z``."""
    sec = int(ts)
    day, rem = divmod(sec, 86_400)
    h, rem = divmod(rem, 3_600)
    m, s = divmod(rem, 60)
    return f"{_day(day)}T{h:02d}:{m:02d}:{s:02d}Z"


def cb_time(ts: float) -> str:
    """``2013-09-19 22:07:07.000000`` (the event-string timestamp, microseconds)."""
    us = int(ts * 1_000_000)
    day, rem = divmod(us, 86_400_000_000)
    h, rem = divmod(rem, 3_600_000_000)
    m, rem = divmod(rem, 60_000_000)
    s, micro = divmod(rem, 1_000_000)
    return f"{_day(day)} {h:02d}:{m:02d}:{s:02d}.{micro:06d}"


def server_local(ts: float) -> str:
    """``2013-09-10 07:08:37.378860+00:00`` (server-local time with zone; the emulator's server
    runs in UTC)."""
    return cb_time(ts) + "+00:00"


def rfc822(ts: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(ts))


def signed32(ip: int) -> int:
    """An IPv4 address as EDR's signed 32-bit integer."""
    ip &= 0xFFFFFFFF
    return ip - (1 << 32) if ip >= 1 << 31 else ip
