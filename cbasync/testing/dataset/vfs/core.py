"""Who an endpoint is and when: the identity and clock of an image, and its random stream."""

from __future__ import annotations

import datetime
import hashlib
import random

from cbasync.testing.dataset.vfs.errors import OsFamily

__all__ = ["FIRST_NAMES", "WINDOWS_BUILDS", "ImageCore", "iso_seconds", "stable_seed"]


FIRST_NAMES = (
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "oscar",
    "peggy",
    "trent",
    "victor",
    "walter",
)


WINDOWS_BUILDS = (
    ("Windows 10 Enterprise", "19045", "22H2", "10.0.19045.3803"),
    ("Windows 11 Enterprise", "22631", "23H2", "10.0.22631.2861"),
    ("Windows Server 2019 Datacenter", "17763", "1809", "10.0.17763.5206"),
    ("Windows Server 2022 Datacenter", "20348", "21H2", "10.0.20348.2113"),
)


def stable_seed(*parts: object) -> int:
    """A 64-bit integer that depends only on ``parts`` (never on PYTHONHASHSEED)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class ImageCore:
    """Who the endpoint is and when: what every part of an image reads."""

    def __init__(
        self,
        *,
        seed: int,
        key: int,
        os: OsFamily,
        hostname: str,
        base_time: float,
        username: str | None = None,
        ip_address: str = "10.0.0.2",
    ) -> None:
        self.seed = seed
        self.key = key
        self.os: OsFamily = os
        self.hostname = hostname
        self.ip_address = ip_address
        # One random stream per image: the baseline builders draw from it in a fixed order.
        self._rng = random.Random(stable_seed("vfs", seed, key))
        self.username = username or self._rng.choice(FIRST_NAMES)
        self.base_time = int(base_time)
        self.boot_time = self.base_time - self._rng.randint(3_600, 20 * 86_400)
        self.install_time = self.boot_time - self._rng.randint(30 * 86_400, 400 * 86_400)
        self.case_sensitive = os == "LINUX"
        self.sep = "\\" if os == "WINDOWS" else "/"
        self.build_info = self._rng.choice(WINDOWS_BUILDS)
        self._lay_out()

    def _lay_out(self) -> None:
        """Build the image's contents once its identity is known (the façade does; the parts
        of an image have nothing to build on their own)."""

    @property
    def user_sid(self) -> str:
        a, b, c = (stable_seed("sid", self.seed, self.key, i) % 4_000_000_000 for i in range(3))
        return f"S-1-5-21-{a}-{b}-{c}-1001"


def iso_seconds(epoch: int) -> str:
    """``2024-05-01T12:00:00Z`` (what file times look like in listings and logs)."""
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
