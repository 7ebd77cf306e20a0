"""The server license and the App Control (platform server) integration settings."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from cbasync.testing.dataset._fmt import DAY, mix
from cbasync.testing.dataset.edr.admin.core import AdminCore
from cbasync.testing.dataset.errors import Invalid

__all__ = ["Settings"]


class Settings(AdminCore):
    """The license and the App Control integration settings."""

    def _set_up_settings(self) -> None:
        """Seed this family's collections (called once, in order, by EdrAdmin)."""
        self.platform_server: dict[str, Any] = {
            "server_url": "",
            "ssl_certificate_verify": "true",
            "watchlist_export": "false",
        }
        self._platform_token: str | None = None
        self.license_block = ""

    def license(self) -> dict[str, Any]:
        epoch = self.epoch
        eps = [ep for ep in self.endpoints if not ep.deregistered]
        licensed = max(100, (len(eps) // 100 + 1) * 100)
        end = epoch + 365 * DAY
        return {
            "license_valid": True,
            "license_end_date": time.strftime("%Y-%m-%d", time.gmtime(end)),
            "licensed_sensor_count": licensed,
            "server_token": f"{mix(self.config.seed, 0x70):016x}".upper(),
            "license_expired": end < self.clock.time(),
            "licensed_sensor_count_exceeded": len(eps) > licensed,
            "actual_sensor_count": len(eps),
            "license_request_block": self.license_block
            or "-----BEGIN CB LICENSE REQUEST-----\nQ0JBU1lOQy1FTVVMQVRPUg==\n"
            "-----END CB LICENSE REQUEST-----",
        }

    def apply_license(self, block: Any) -> None:
        if not isinstance(block, str) or "LICENSE" not in block.upper():
            raise Invalid("not a Carbon Black license block")
        self.license_block = block

    def set_platform_server(self, body: Mapping[str, Any]) -> None:
        for key in ("ssl_certificate_verify", "watchlist_export"):
            if key in body and str(body[key]).lower() not in ("true", "false"):
                raise Invalid(f"{key} must be 'true' or 'false'")
        for key in ("server_url", "ssl_certificate_verify", "watchlist_export"):
            if key in body:
                self.platform_server[key] = (
                    str(body[key]).lower() if key != "server_url" else body[key]
                )
        if "auth_token" in body:
            self._platform_token = body["auth_token"]  # stored, never returned
