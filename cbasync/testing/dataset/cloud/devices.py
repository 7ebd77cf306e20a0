"""Platform devices: the cloud's view of the shared endpoint population.

A device is an endpoint of :mod:`cbasync.testing.dataset.endpoints` plus the state only the
cloud keeps (scans, policy changes, pending sensor updates). Searches run over the population
by column; actions (quarantine, bypass, policy, uninstall...) change the shared endpoint, so EDR
and Live Response see them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cbasync.testing.dataset.cloud.device_views import DeviceExtra, DeviceViews
from cbasync.testing.dataset.endpoints import POLICIES, Endpoint, EndpointPopulation
from cbasync.testing.query import FieldType
from cbasync.testing.search import (
    Column,
    CriteriaError,
    Table,
    facet_id,
)

__all__ = ["DEVICE_ACTIONS", "DEVICE_FACET_FIELDS", "DEVICE_STATUSES", "DeviceStore"]


DEVICE_FACET_FIELDS = (
    "policy_id",
    "status",
    "os",
    "ad_group_id",
    "cloud_provider_account_id",
    "auto_scaling_group_name",
    "virtual_private_cloud_id",
    "deployment_type",
)


DEVICE_ACTIONS = (
    "QUARANTINE",
    "BYPASS",
    "BACKGROUND_SCAN",
    "UPDATE_POLICY",
    "UPDATE_SENSOR_VERSION",
    "UNINSTALL_SENSOR",
    "DELETE_SENSOR",
)


DEVICE_STATUSES = (
    "PENDING",
    "REGISTERED",
    "UNINSTALLED",
    "DEREGISTERED",
    "ACTIVE",
    "INACTIVE",
    "ERROR",
    "ALL",
    "BYPASS_ON",
    "BYPASS",
    "QUARANTINE",
    "SENSOR_OUTOFDATE",
    "DELETED",
    "LIVE",
)


class DeviceStore(DeviceViews):
    """Platform devices: v6 JSON, Defense v3 JSON, search, facets and device actions."""

    def __init__(
        self,
        endpoints: EndpointPopulation,
        *,
        org_name: str,
        now: Callable[[], float],
        monotonic: Callable[[], float],
        isolation_delay: float,
    ) -> None:
        self.endpoints = endpoints
        self.org_name = org_name
        self.now = now
        self.monotonic = monotonic
        self.isolation_delay = isolation_delay
        self.extra: dict[int, DeviceExtra] = {}
        self.table = self._table()

    # -- per-endpoint facts --------------------------------------------------------------------
    def endpoint(self, device_id: int) -> Endpoint | None:
        ep = self.endpoints.by_device_id(device_id)
        return ep if ep is not None and not ep.deregistered else None

    def extra_of(self, ep: Endpoint) -> DeviceExtra:
        extra = self.extra.get(ep.index)
        if extra is None:
            extra = self.extra[ep.index] = DeviceExtra()
        return extra

    def status(self, ep: Endpoint) -> str:
        if ep.deregistered:
            return "DEREGISTERED"
        if ep.uninstall:
            return "UNINSTALLED"
        if ep.bypass:
            return "BYPASS"
        return "REGISTERED"

    def last_contact(self, ep: Endpoint) -> float:
        if ep.online and not ep.uninstall and not ep.deregistered:
            return self.now() - (ep.index * 7 % 45) - 5
        return self.endpoints.epoch - ep.offline_days * 86_400

    def quarantined(self, ep: Endpoint) -> bool:
        return ep.is_isolating(self.monotonic(), self.isolation_delay)

    def deployment_type(self, ep: Endpoint) -> str:
        return (
            "WORKLOAD" if ep.host_type != "workstation" and ep.os_family == "linux" else "ENDPOINT"
        )

    def target_priority(self, ep: Endpoint) -> str:
        if ep.host_type == "domain_controller":
            return "MISSION_CRITICAL"
        return "HIGH" if ep.host_type == "server" else ("LOW" if ep.group_id == 5 else "MEDIUM")

    # -- search ----------------------------------------------------------------------------------
    def _table(self) -> Table:
        eps = self.endpoints

        def ep(i: int) -> Endpoint:
            return eps[i]

        cols: dict[str, Column] = {
            "id": lambda i: ep(i).device_id,
            "name": lambda i: ep(i).hostname,
            "os": lambda i: ep(i).cloud_os,
            "os_version": lambda i: ep(i).cloud_os_version,
            "status": lambda i: self.status(ep(i)),
            "policy_id": lambda i: ep(i).policy_id,
            "policy_name": lambda i: ep(i).policy_name,
            "target_priority": lambda i: self.target_priority(ep(i)),
            "ad_group_id": lambda i: 0 if ep(i).os_family != "windows" else 1000 + ep(i).group_id,
            "deployment_type": lambda i: self.deployment_type(ep(i)),
            "sensor_version": lambda i: ep(i).cloud_sensor_version,
            "last_contact_time": lambda i: self.last_contact(ep(i)),
            "registered_time": lambda i: ep(i).registered_time,
            "quarantined": lambda i: self.quarantined(ep(i)),
            "login_user_name": lambda i: ep(i).username,
            "email": lambda i: ep(i).email,
            "first_name": lambda i: ep(i).first_name,
            "last_name": lambda i: ep(i).last_name,
            "last_internal_ip_address": lambda i: ep(i).internal_ip,
            "last_external_ip_address": lambda i: ep(i).external_ip,
            "mac_address": lambda i: ep(i).mac_address,
            "virtual_machine": lambda i: ep(i).host_type != "workstation",
            "sensor_out_of_date": lambda i: False,
            "cloud_provider_account_id": lambda i: None,
            "auto_scaling_group_name": lambda i: None,
            "virtual_private_cloud_id": lambda i: None,
            "device_owner_id": lambda i: 50_000 + i,
        }
        schema: dict[str, FieldType] = {
            "id": "number",
            "name": "keyword",
            "os": "keyword",
            "os_version": "text",
            "status": "keyword",
            "policy_id": "number",
            "policy_name": "keyword",
            "target_priority": "keyword",
            "ad_group_id": "number",
            "deployment_type": "keyword",
            "sensor_version": "keyword",
            "last_contact_time": "date",
            "registered_time": "date",
            "quarantined": "bool",
            "login_user_name": "keyword",
            "email": "keyword",
            "first_name": "keyword",
            "last_name": "keyword",
            "last_internal_ip_address": "ip",
            "last_external_ip_address": "ip",
            "mac_address": "keyword",
            "virtual_machine": "bool",
        }
        return Table(
            count=lambda: len(eps),
            columns=cols,
            schema=schema,
            default_fields=("name", "login_user_name", "email", "os_version", "policy_name"),
            time_criteria=frozenset({"last_contact_time"}),
            special={"status": self._status_test},
        )

    def _status_test(self, wanted: list[Any]) -> Callable[[int], bool]:
        names = {str(w).upper() for w in wanted}
        unknown = names - set(DEVICE_STATUSES)
        if unknown:
            raise CriteriaError(
                f"invalid status {sorted(unknown)[0]!r}",
                field="criteria.status",
                known=DEVICE_STATUSES,
            )
        if "ALL" in names:
            return lambda i: True
        eps = self.endpoints

        def test(i: int) -> bool:
            ep = eps[i]
            status = self.status(ep)
            live = ep.online and status == "REGISTERED"
            checks = {
                "REGISTERED": status == "REGISTERED",
                "ACTIVE": status in ("REGISTERED", "BYPASS"),
                "LIVE": live,
                "INACTIVE": not live and status == "REGISTERED",
                "BYPASS": status == "BYPASS",
                "BYPASS_ON": status == "BYPASS",
                "QUARANTINE": self.quarantined(ep),
                "UNINSTALLED": status == "UNINSTALLED",
                "DEREGISTERED": status == "DEREGISTERED",
                "DELETED": status == "DEREGISTERED",
                "PENDING": False,
                "ERROR": False,
                "SENSOR_OUTOFDATE": False,
            }
            return any(checks.get(n, False) for n in names)

        return test

    def search(self, body: Mapping[str, Any], *, anchor: float) -> list[int]:
        """Matching endpoint indices (deregistered devices only when asked for by status)."""
        criteria = dict(body.get("criteria") or {})
        extra: Callable[[int], bool] | None = None
        if "status" not in criteria:
            criteria["status"] = ["ALL"]

            def extra(i: int) -> bool:
                return not self.endpoints[i].deregistered

        return self.table.select(
            query=body.get("query"),
            criteria=criteria,
            exclusions=body.get("exclusions"),
            anchor=anchor,
            extra=extra,
        )

    def facet_name(self, field_name: str, value: Any) -> str:
        if field_name == "policy_id":
            return dict(POLICIES).get(value, f"Policy {value}")
        return facet_id(value)

    # -- actions ---------------------------------------------------------------------------------
    def act(self, action: str, device_ids: Iterable[int], options: Mapping[str, Any]) -> int:
        """Apply a device action; returns how many known devices it touched."""
        action = action.upper()
        if action not in DEVICE_ACTIONS:
            raise CriteriaError(
                f"invalid action_type {action!r}", field="action_type", known=DEVICE_ACTIONS
            )
        toggle = str(options.get("toggle", "")).upper()
        if action in ("QUARANTINE", "BYPASS", "BACKGROUND_SCAN") and toggle not in ("ON", "OFF"):
            raise CriteriaError("options.toggle must be ON or OFF", field="options.toggle")
        if action == "UPDATE_POLICY":
            policy = options.get("policy_id")
            if not isinstance(policy, int) or isinstance(policy, bool):
                raise CriteriaError(
                    "options.policy_id (an integer) is required", field="options.policy_id"
                )
        if action == "UPDATE_SENSOR_VERSION":
            versions = options.get("sensor_version")
            if not isinstance(versions, Mapping) or not versions:
                raise CriteriaError(
                    "options.sensor_version must map a kit type to a version",
                    field="options.sensor_version",
                )
        touched = 0
        now = self.now()
        for device_id in device_ids:
            ep = self.endpoints.by_device_id(device_id)
            if ep is None or ep.deregistered:
                continue
            touched += 1
            extra = self.extra_of(ep)
            if action == "QUARANTINE":
                ep.request_isolation(toggle == "ON", self.monotonic(), self.isolation_delay)
            elif action == "BYPASS":
                ep.bypass = toggle == "ON"
            elif action == "BACKGROUND_SCAN":
                extra.scan_enabled = toggle == "ON"
                extra.scan_changed = now
            elif action == "UPDATE_POLICY":
                policy_id = int(options["policy_id"])
                ep.policy_id = policy_id
                ep.policy_name = dict(POLICIES).get(policy_id, f"Policy {policy_id}")
                extra.policy_changed = now
            elif action == "UPDATE_SENSOR_VERSION":
                versions = dict(options["sensor_version"])
                kit = {"windows": "WINDOWS", "macos": "MAC", "linux": "LINUX"}[ep.os_family]
                for key, version in versions.items():
                    if str(key).upper() == kit or (
                        kit == "LINUX"
                        and str(key).upper()
                        in ("RHEL", "UBUNTU", "SUSE", "CENTOS", "DEBIAN", "AMAZON_LINUX", "ORACLE")
                    ):
                        ep.cloud_sensor_version = str(version)
                        extra.sensor_update_requested = str(version)
            elif action == "UNINSTALL_SENSOR":
                ep.uninstall = True
                extra.uninstall_requested = now
            elif action == "DELETE_SENSOR":
                ep.deregistered = True
        return touched
