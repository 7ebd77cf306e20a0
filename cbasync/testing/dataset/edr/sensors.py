"""Sensors: the EDR view of the shared endpoint population, their updates and statistics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cbasync.testing.dataset._fmt import DAY, mix, rfc822, server_local, unit
from cbasync.testing.dataset.edr.core import EdrCore
from cbasync.testing.dataset.endpoints import Endpoint
from cbasync.testing.dataset.errors import Invalid, NotFound
from cbasync.testing.query import (
    iso_to_epoch,
)

__all__ = ["Sensors"]


class Sensors(EdrCore):
    """Sensor documents, listings and updates."""

    def _endpoint(self, sensor_id: int) -> Endpoint:
        ep = self.endpoints.by_sensor_id(sensor_id)
        if ep is None or ep.deregistered:
            raise NotFound(f"sensor {sensor_id} not found")
        return ep

    def sensor(self, sensor_id: int) -> dict[str, Any]:
        return self.sensor_doc(self._endpoint(sensor_id))

    def sensor_doc(self, ep: Endpoint) -> dict[str, Any]:
        now = self.clock.time()
        seed = self.config.seed
        if ep.online:
            last = now - unit(seed, ep.index, int(now // 30)) * 30
        else:
            last = now - ep.offline_days * DAY
        isolating = ep.is_isolating(self.clock.monotonic(), self.config.isolation_delay)
        group = self.groups.get(ep.group_id)
        flush = ep.event_log_flush_time
        uptime = ep.uptime + int(max(now - self.epoch, 0)) if ep.online else ep.uptime
        return {
            "id": ep.sensor_id,
            "systemvolume_total_size": str(ep.systemvolume_total_size),
            "systemvolume_free_size": str(ep.systemvolume_free_size),
            "os_environment_display_string": ep.os_name,
            "os_environment_id": ep.os_environment_id,
            "os_type": 1 if ep.os_type == "windows" else 2 if ep.os_type == "osx" else 3,
            "physical_memory_size": str(ep.physical_memory_size),
            "build_id": ep.edr_build_id,
            "build_version_string": ep.edr_sensor_version,
            "uptime": str(uptime),
            "sensor_uptime": str(max(uptime - 30, 0)),
            "computer_dns_name": ep.dns_name,
            "computer_name": ep.hostname,
            "computer_sid": ep.computer_sid,
            "sensor_health_message": "Healthy" if ep.online else "Sensor is offline",
            "sensor_health_status": 100 if ep.online else 60,
            "event_log_flush_time": flush,
            "last_checkin_time": server_local(last),
            "next_checkin_time": server_local(last + 30),
            "registration_time": server_local(ep.registered_time),
            "license_expiration": "1990-01-01 00:00:00+00:00",
            "network_adapters": f"{ep.internal_ip},{ep.mac_compact}|",
            "notes": ep.notes,
            "boot_id": str(ep.boot_id),
            "cookie": mix(seed, ep.index, 0xC0) % 2_000_000_000,
            "group_id": ep.group_id,
            "display": True,
            "uninstall": ep.uninstall,
            "uninstalled": None,
            "network_isolation_enabled": ep.isolation_requested,
            "is_isolating": isolating,
            "restart_queued": ep.restart_queued,
            "liveresponse_init": ep.liveresponse_init,
            "status": "Online" if ep.online else "Offline",
            "num_eventlog_bytes": str(mix(seed, ep.index, 0xE7) % 400_000 if ep.online else 0),
            "num_storefiles_bytes": str(mix(seed, ep.index, 0x5F) % 900_000 if ep.online else 0),
            "power_state": 0 if ep.online else 1,
            "node_id": 0,
            "parity_host_id": "0",
            "clock_delta": "0",
            "supports_cblr": True,
            "supports_isolation": True,
            "supports_2nd_gen_modloads": True,
            "is_isolating_enabled": True,
            "shard_id": 0,
            "group_name": group["name"] if group else ep.group_name,
        }

    def list_sensors(
        self,
        *,
        hostname: str | None = None,
        ip: str | None = None,
        group_id: int | None = None,
        inactive_filter_days: int | None = None,
    ) -> list[Endpoint]:
        """Sensors matching the v1/v2 filters (case-sensitive substrings; ``ip`` wins)."""
        now = self.clock.time()
        out = []
        for ep in self.endpoints:
            if ep.deregistered:
                continue
            if ip is not None:
                if ip not in ep.internal_ip:
                    continue
            elif (
                hostname is not None and hostname not in ep.hostname and hostname not in ep.dns_name
            ):
                continue
            if group_id is not None and ep.group_id != group_id:
                continue
            if inactive_filter_days is not None and not ep.online:
                last = now - ep.offline_days * DAY
                if now - last > inactive_filter_days * DAY:
                    continue
            out.append(ep)
        return out

    def update_sensor(self, sensor_id: int, body: Mapping[str, Any]) -> None:
        """EDR 7.1+ PUT: only the seven updatable fields change; others are ignored."""
        ep = self._endpoint(sensor_id)
        now = self.clock.monotonic()
        if "group_id" in body and body["group_id"] is not None:
            try:
                gid = int(body["group_id"])
            except (TypeError, ValueError):
                raise Invalid("group_id must be an integer") from None
            if gid not in self.groups:
                raise Invalid(f"sensor group {gid} does not exist")
            ep.group_id = gid
        if "network_isolation_enabled" in body:
            ep.request_isolation(
                bool(body["network_isolation_enabled"]), now, self.config.isolation_delay
            )
            self.state.counters.event(
                "sensor.isolate" if body["network_isolation_enabled"] else "sensor.unisolate"
            )
        if body.get("restart_queued"):
            ep.restart_queued = True
            self.state.counters.event("sensor.restart")
        if "uninstall" in body and body["uninstall"] is not None:
            ep.uninstall = bool(body["uninstall"])
        if "notes" in body:
            ep.notes = body["notes"]
        if "liveresponse_init" in body:
            ep.liveresponse_init = body["liveresponse_init"]
        if body.get("event_log_flush_time"):
            raw = str(body["event_log_flush_time"])
            ep.event_log_flush_time = (
                raw if "," in raw else rfc822(iso_to_epoch(raw) or self.clock.time())
            )
            self.state.counters.event("sensor.flush")

    def sensor_statistics(self) -> dict[str, int]:
        eps = [ep for ep in self.endpoints if not ep.deregistered]
        active = [ep for ep in eps if ep.online or ep.offline_days < 1]
        seed = self.config.seed
        return {
            "sensor_count": len(eps),
            "active_sensor_count": len(active),
            "num_eventlog_bytes": sum(mix(seed, ep.index, 0xE7) % 400_000 for ep in active),
            "num_storefile_bytes": sum(mix(seed, ep.index, 0x5F) % 900_000 for ep in active),
        }

    def sensor_queued(self, sensor_id: int) -> list[dict[str, Any]]:
        ep = self._endpoint(sensor_id)
        doc = self.sensor_doc(ep)
        return [
            {
                "id": str(mix(self.config.seed, ep.index, 0x51) % 1_000_000),
                "sensor_id": ep.sensor_id,
                "timestamp": doc["last_checkin_time"],
                "num_eventlogs": "1" if doc["num_eventlog_bytes"] != "0" else "0",
                "num_eventlog_bytes": doc["num_eventlog_bytes"],
                "num_storefiles": 0,
                "num_storefile_bytes": doc["num_storefiles_bytes"],
            }
        ]

    def sensor_activity(self, sensor_id: int) -> list[dict[str, Any]]:
        ep = self._endpoint(sensor_id)
        now = self.clock.time()
        return [
            {
                "sensor_id": ep.sensor_id,
                "timestamp": server_local(now - k * 3600),
                "event_count": 100 + mix(ep.index, k) % 900,
                "bytes": 20_000 + mix(ep.index, k, 1) % 80_000,
            }
            for k in range(3)
        ]

    def sensor_resource_status(self, sensor_id: int) -> list[dict[str, Any]]:
        ep = self._endpoint(sensor_id)
        return [
            {
                "sensor_id": ep.sensor_id,
                "timestamp": server_local(self.clock.time()),
                "page_faults": mix(ep.index, 3) % 5000,
                "commit_charge": 48_000_000,
                "working_set": 31_000_000,
                "peak_working_set": 52_000_000,
            }
        ]
