"""The EDR (formerly CB Response) API object."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from cbasync._api import BaseAPI
from cbasync._error_map import ErrorRule
from cbasync.config import Product
from cbasync.live_response import LiveResponse
from cbasync.model import adapter_for
from cbasync.models._generated import edr
from cbasync.response._errors import EDR_ERROR_RULES
from cbasync.response.live_response import EDR_LIVE_RESPONSE
from cbasync.response.models.intel import Watchlist
from cbasync.response.query import SolrQuery

__all__ = ["CbResponseAPI"]


class CbResponseAPI(BaseAPI):
    """EDR on-prem. Credentials come from ``credentials.response`` profiles.

    ::

        async with CbResponseAPI(profile="production") as api:
            async for proc in api.select(Process).where("process_name:powershell.exe"):
                print(proc.hostname, proc.cmdline)

    Nothing is requested on construction; the server's version is fetched once, when a call
    first depends on it (event API version, 7.7 route names), and cached.
    """

    product: ClassVar[Product] = "response"
    error_rules: ClassVar[tuple[ErrorRule, ...]] = EDR_ERROR_RULES

    @property
    def live_response(self) -> LiveResponse:
        """Live Response (``/api/v1/cblr``): ``session(sensor)``, ``run(job, sensors)``,
        ``pool()``, ``max_sessions`` (10 by default, the server's default limit)."""
        return LiveResponse(self, EDR_LIVE_RESPONSE)

    # -- composite actions ----------------------------------------------------------------

    async def create_watchlist(
        self, name: str, query: SolrQuery[Any], *, description: str | None = None
    ) -> Watchlist:
        """A watchlist that runs ``query`` (a process or binary search), saved on the server.
        ``query.create_watchlist(name)`` says the same."""
        watchlist = self.create(Watchlist)
        watchlist.name = name
        watchlist.index_type = getattr(query.model, "watchlist_index_type", "events")
        watchlist.search_query = query.search_query_string()
        if description is not None:
            watchlist.description = description
        return await watchlist.save()

    # -- server ---------------------------------------------------------------------------

    async def server_info(self) -> edr.ServerInfo:
        """``/api/info``, fetched once per client (identical concurrent calls share a request)."""

        async def fetch() -> edr.ServerInfo:
            response = await self.transport.request("GET", "/api/info")
            return response.parse(adapter_for(edr.ServerInfo))

        info: edr.ServerInfo = await self.object_cache.get(("server_info",), fetch)
        return info

    async def server_version(self) -> tuple[int, ...]:
        """The server version as numbers, e.g. ``(7, 7, 0, 231020, 1233)``."""
        version = (await self.server_info()).version or "0"
        return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)

    async def route_names(self) -> dict[str, str]:
        """Collection routes whose names EDR 7.7 changed, for this server's version."""
        modern = await self.server_version() >= (7, 7)
        return {
            "banned": "/api/v1/banning/bannedlist" if modern else "/api/v1/banning/blacklist",
            "ingress": "/api/v1/ingress_approvedlist" if modern else "/api/v1/ingress_whitelist",
        }

    async def license_status(self) -> edr.LicenseStatus:
        response = await self.transport.request("GET", "/api/v1/license")
        return response.parse(adapter_for(edr.LicenseStatus))

    async def apply_license(self, license_block: str) -> None:
        """Install a license block from Carbon Black."""
        await self.transport.request("POST", "/api/v1/license", json={"license": license_block})

    async def sensor_statistics(self) -> edr.SensorStatistics:
        response = await self.transport.request("GET", "/api/v1/sensor/statistics")
        return response.parse(adapter_for(edr.SensorStatistics))

    async def sensor_builds(self) -> edr.SensorBuilds:
        response = await self.transport.request("GET", "/api/v2/builds")
        return response.parse(adapter_for(edr.SensorBuilds))

    async def dashboard_statistics(self) -> edr.DashboardStatistics:
        response = await self.transport.request("GET", "/api/v1/dashboard/statistics")
        return response.parse(adapter_for(edr.DashboardStatistics))

    async def platform_server_settings(self) -> edr.PlatformServerSettings:
        """Where the server sends its data (``auth_token`` is never returned)."""
        response = await self.transport.request("GET", "/api/v1/settings/global/platformserver")
        return response.parse(adapter_for(edr.PlatformServerSettings))

    async def update_platform_server_settings(
        self,
        *,
        server_url: str | None = None,
        ssl_certificate_verify: bool | None = None,
        watchlist_export: bool | None = None,
        auth_token: str | None = None,
    ) -> None:
        body: dict[str, Any] = {}
        if server_url is not None:
            body["server_url"] = server_url
        if ssl_certificate_verify is not None:
            body["ssl_certificate_verify"] = str(ssl_certificate_verify).lower()
        if watchlist_export is not None:
            body["watchlist_export"] = str(watchlist_export).lower()
        if auth_token is not None:
            body["auth_token"] = auth_token
        if not body:
            raise ValueError("name at least one setting to change")
        await self.transport.request("POST", "/api/v1/settings/global/platformserver", json=body)

    async def suppression_status(
        self, parent_guid: str, childproc_guid: str, childproc_md5: str
    ) -> edr.SuppressionStatus:
        """Whether a child process was suppressed (``/api/v6/process/suppression_status``)."""
        response = await self.transport.request(
            "GET",
            "/api/v6/process/suppression_status",
            params={
                "parent_guid": parent_guid,
                "childproc_guid": childproc_guid,
                "childproc_md5": childproc_md5,
            },
        )
        return response.parse(adapter_for(edr.SuppressionStatus))

    async def investigations(self) -> list[edr.Investigation]:
        response = await self.transport.request("GET", "/api/investigations")
        return list(response.parse(adapter_for(edr.InvestigationList)).root)

    async def tagged_events(self, investigation_id: int | str) -> list[edr.TaggedEvent]:
        """The events tagged into an investigation."""
        response = await self.transport.request(
            "GET", "/api/tagged_event/{id}", path_params={"id": investigation_id}
        )
        return list(response.parse(adapter_for(edr.TaggedEventList)).root)

    # -- approved IPs (EDR 6.3+ cloud; 7.7 bulk add) --------------------------------------

    async def approved_ips(self) -> list[edr.ApprovedIp]:
        response = await self.transport.request("GET", "/api/v1/approvedlist/entries")
        if not response.content:
            return []
        return list(response.parse(adapter_for(edr.ApprovedIpList)).root)

    async def add_approved_ips(self, *addresses: str) -> Any:
        """Approve addresses or CIDR ranges (``"10.0.0.0/8"``); returns the server's ids."""
        if not addresses:
            raise ValueError("name at least one address")
        body: dict[str, Any] = {"ipaddr": list(addresses) if len(addresses) > 1 else addresses[0]}
        response = await self.transport.request("POST", "/api/v1/approvedlist/entries", json=body)
        return response.json()

    async def remove_approved_ip(self, entry_id: int | str) -> None:
        await self.transport.request(
            "DELETE", "/api/v1/approvedlist/entries/{id}", path_params={"id": entry_id}
        )

    async def approved_list_enabled(self) -> bool:
        response = await self.transport.request("GET", "/api/approvedlist/enabled")
        return bool(response.parse(adapter_for(edr.ApprovedIpState)).state)

    async def set_approved_list_enabled(self, enabled: bool) -> None:
        await self.transport.request("PATCH", "/api/approvedlist/enabled", json={"state": enabled})
