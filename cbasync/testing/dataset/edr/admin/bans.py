"""Banned hashes (``/api/v1/banning/bannedlist``, ``blacklist`` before 7.7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cbasync.testing.dataset._fmt import DAY, server_local
from cbasync.testing.dataset.edr.admin.core import AdminCore
from cbasync.testing.dataset.errors import Conflict, Invalid, NotFound

__all__ = ["Bans"]


class Bans(AdminCore):
    """Banned hashes."""

    def _set_up_bans(self) -> None:
        """Seed this family's collections (called once, in order, by EdrAdmin)."""
        self.bans: dict[str, dict[str, Any]] = {}
        self._seed_bans()

    def _seed_bans(self) -> None:
        bins = self.binaries
        malware = [
            i for i in range(bins.known_count, bins.count) if bins.entry(i).kind == "malware"
        ]
        epoch = self.epoch
        for k, i in enumerate(malware[:3]):
            md5 = bins.md5(i)
            when = server_local(epoch - (30 - k) * DAY)
            self.bans[md5] = {
                "username": "admin",
                "user_id": 1,
                "text": "Auto-Ban From Watchlist",
                "md5hash": md5,
                "block_count": 2 + k,
                "last_block_sensor_id": 5,
                "enabled": True,
                "last_block_time": when,
                "timestamp": when,
                "last_block_hostname": "desktop-host",
                "audit": [
                    {
                        "username": "admin",
                        "timestamp": when,
                        "text": "Auto-Ban From Watchlist",
                        "enabled": True,
                        "user_id": 1,
                    }
                ],
            }

    def list_bans(self, count: int | None) -> list[dict[str, Any]]:
        bans = list(self.bans.values())
        return bans[: 500 if count is None else count]

    def ban(self, md5: str) -> dict[str, Any]:
        ban = self.bans.get(md5.lower())
        if ban is None:
            raise NotFound(f"{md5} is not banned")
        return ban

    def create_ban(self, body: Mapping[str, Any]) -> None:
        md5 = str(body.get("md5hash") or "").lower()
        if len(md5) != 32 or any(c not in "0123456789abcdef" for c in md5):
            raise Invalid("md5hash must be 32 hexadecimal characters")
        enabled = str(body.get("enabled", True)).lower() not in ("false", "0")
        existing = self.bans.get(md5)
        now = server_local(self.clock.time())
        text = body.get("text") or ""
        user = self.config.api_username
        if existing is not None:
            if existing["enabled"]:
                raise Conflict(f"banned hash {md5} already exists")
            existing.update({"enabled": enabled, "text": text, "timestamp": now})
            existing["audit"].append(
                {"username": user, "timestamp": now, "text": text, "enabled": enabled, "user_id": 2}
            )
            return
        self.bans[md5] = {
            "username": user,
            "user_id": 2,
            "text": text,
            "md5hash": md5,
            "block_count": 0,
            "last_block_sensor_id": None,
            "enabled": enabled,
            "last_block_time": None,
            "timestamp": now,
            "last_block_hostname": None,
            "audit": [
                {"username": user, "timestamp": now, "text": text, "enabled": enabled, "user_id": 2}
            ],
        }

    def update_ban(self, md5: str, body: Mapping[str, Any]) -> None:
        ban = self.ban(md5)
        if "text" in body:
            ban["text"] = body["text"] or ""
        if "enabled" in body and str(body["enabled"]).lower() in ("true", "1"):
            ban["enabled"] = True

    def disable_ban(self, md5: str) -> None:
        """DELETE: the record stays, disabled, with its text cleared."""
        ban = self.ban(md5)
        ban["enabled"] = False
        ban["text"] = ""
        ban["audit"].append(
            {
                "username": self.config.api_username,
                "timestamp": server_local(self.clock.time()),
                "text": "",
                "enabled": False,
                "user_id": 2,
            }
        )
