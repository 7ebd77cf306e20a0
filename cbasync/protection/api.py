"""The App Control (formerly CB Protection) API object."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from cbasync._api import BaseAPI
from cbasync._error_map import ErrorRule
from cbasync.config import Product
from cbasync.model import adapter_for
from cbasync.models._generated import protection
from cbasync.protection._errors import PROTECTION_ERROR_RULES

__all__ = ["CbProtectionAPI"]


class CbProtectionAPI(BaseAPI):
    """App Control on-prem. Credentials come from ``credentials.protection`` profiles.

    ::

        async with CbProtectionAPI(profile="production") as api:
            instance = await api.select(FileInstance).first()
            computer = await instance.computer()
            await computer.change_policy(3)

    Searches page by 1,000 rows, fetched concurrently once the total is known (see
    :class:`~cbasync.protection.ProtectionQuery`). Nothing is requested on construction; the
    server's settings are read once, when a call first needs them, and cached.
    """

    product: ClassVar[Product] = "protection"
    error_rules: ClassVar[tuple[ErrorRule, ...]] = PROTECTION_ERROR_RULES

    async def server_config(self) -> dict[str, Any]:
        """Every server setting, ``{name: value}`` (cbapi's ``info``), read once per client
        (identical concurrent calls share one request)."""

        async def fetch() -> dict[str, Any]:
            response = await self.transport.request("GET", "/api/bit9platform/v1/serverConfig")
            settings = response.parse(adapter_for(protection.ServerConfigList)).root
            return {setting.name: setting.value for setting in settings if setting.name}

        config: dict[str, Any] = await self.object_cache.get(("server_config",), fetch)
        return config

    async def server_version(self) -> tuple[int, ...]:
        """The server's version as numbers, e.g. ``(8, 10, 2, 2)`` (``ParityServerVersion``)."""
        version = str((await self.server_config()).get("ParityServerVersion") or "0")
        return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)
