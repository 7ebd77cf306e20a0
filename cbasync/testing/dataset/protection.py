"""The App Control (CB Protection) server's state and rules, and its search language.

Objects live in :class:`Collection`\\ s: generated rows (a pure function of ``(seed, index)``; the
big ones - file instances, events - are never materialised whole) plus overrides for what clients
changed, created or deleted. The search language is App Control's own, not Lucene (wire §9.2):
repeated ``q=<field><op><value>`` conditions ANDed, ``op`` one of ``:`` (equal / LIKE with
``*``), ``!`` (not equal / NOT LIKE; empty value = not empty), ``<`` ``>`` (numbers, strings,
dates incl. relative ``-10h``), ``+`` (all bits set), ``-`` (no bit set); ``|`` ORs alternatives.

Computers are the shared endpoint population; file catalog entries are the EDR binary catalog
(same MD5s), so a hash banned here is a hash the EDR side knows too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cbasync.testing.dataset._fmt import mix, unit
from cbasync.testing.dataset.edr_binary import BinaryCatalog, shared_binaries
from cbasync.testing.dataset.endpoints import Endpoint
from cbasync.testing.dataset.errors import Forbidden, Invalid, NotFound
from cbasync.testing.query import iso_to_epoch
from cbasync.testing.search import APP_CONTROL, ordered
from cbasync.testing.state import EmulatorState

__all__ = ["Collection", "Condition", "ProtectionBackend", "parse_conditions"]

_DAY = 86_400.0
_OPS = ":!<>+-"
_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# File states (fileState, localState): 1 unapproved, 2 approved, 3 banned.
UNAPPROVED, APPROVED, BANNED = 1, 2, 3


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@dataclass(frozen=True)
class Condition:
    """One ``q`` condition: ``field``, ``op`` (one of ``:!<>+-``) and its alternatives."""

    field: str
    op: str
    values: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Condition:
        i = 0
        while i < len(text) and (text[i].isalnum() or text[i] == "_"):
            i += 1
        if i == 0 or i >= len(text) or text[i] not in _OPS:
            raise Invalid(f"cannot parse condition {text!r}: expected <field><op><value>")
        value = text[i + 1 :]
        return cls(text[:i], text[i], tuple(value.split("|")) if value else ())


def parse_conditions(qs: Sequence[str]) -> list[Condition]:
    return [Condition.parse(q) for q in qs if q != ""]


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(str(v))
    except ValueError:
        return None


def _when(text: str, now: float) -> float | None:
    m = _RELATIVE.match(text)
    if m:
        return now - float(m.group(1)) * _UNIT[m.group(2)]
    return iso_to_epoch(text)


def _like(value: str, pattern: str) -> bool:
    if "*" not in pattern:
        return value.lower() == pattern.lower()
    rx = "^" + ".*".join(re.escape(p) for p in pattern.lower().split("*")) + "$"
    return re.match(rx, value.lower(), re.DOTALL) is not None


def _compare(value: Any, op: str, operand: str, now: float) -> bool:
    if op in "<>":
        if value is None:
            return False
        if isinstance(value, str) and ("T" in value and value.endswith("Z")):
            left, right = iso_to_epoch(value), _when(operand, now)
        elif isinstance(value, str) and _number(value) is None:
            left_s, right_s = value.lower(), operand.lower()
            return left_s < right_s if op == "<" else left_s > right_s
        else:
            left, right = _number(value), _number(operand)
        if left is None or right is None:
            return False
        return left < right if op == "<" else left > right
    if op in "+-":
        bits = _number(operand)
        v = _number(value)
        if bits is None or v is None:
            return False
        mask = int(bits)
        return (int(v) & mask) == mask if op == "+" else (int(v) & mask) == 0
    # ":" and "!"
    if value is None:
        return operand == ""
    if isinstance(value, bool):
        return str(value).lower() == operand.lower()
    if isinstance(value, int | float):
        n = _number(operand)
        return n is not None and float(value) == n
    return _like(str(value), operand)


def condition_predicate(cond: Condition, now: float) -> Callable[[Mapping[str, Any]], bool]:
    f, op, values = cond.field, cond.op, cond.values
    if op == "!" and not values:
        return lambda row: row.get(f) not in (None, "", 0, False)
    if op == ":" and not values:
        return lambda row: row.get(f) in (None, "")
    if op in ":+<>":
        return lambda row: any(_compare(row.get(f), op, v, now) for v in values)
    if op == "!":
        return lambda row: not any(_compare(row.get(f), ":", v, now) for v in values)
    # "-": none of the bits of any listed operand
    return lambda row: all(_compare(row.get(f), "-", v, now) for v in values)


@dataclass
class Collection:
    """One App Control object type."""

    name: str
    fields: tuple[str, ...]
    make: Callable[[int], dict[str, Any]] = field(repr=False)
    size: Callable[[], int] = field(repr=False)
    creatable: bool = False
    updatable: bool = False
    deletable: bool = False
    soft_delete: bool = False  # DELETE marks "deleted": true instead of removing
    overrides: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    next_id: int = 0
    _cache: dict[int, dict[str, Any]] = field(default_factory=dict)

    def ids(self) -> Iterator[int]:
        for i in range(1, self.size() + 1):
            if i not in self.deleted:
                yield i
        for i in sorted(k for k in self.overrides if k > self.size()):
            if i not in self.deleted:
                yield i

    def get(self, oid: int) -> dict[str, Any] | None:
        if oid in self.deleted:
            return None
        row = self.overrides.get(oid)
        if row is not None:
            return row
        if not 1 <= oid <= self.size():
            return None
        row = self._cache.get(oid)
        if row is None:
            if len(self._cache) > 50_000:
                self._cache.clear()
            row = self._cache[oid] = self.make(oid - 1)
        return row

    def rows(self) -> Iterator[dict[str, Any]]:
        for oid in self.ids():
            row = self.get(oid)
            if row is not None:
                yield row

    def put(self, row: dict[str, Any]) -> None:
        self.overrides[int(row["id"])] = row
        self.deleted.discard(int(row["id"]))

    def new_id(self) -> int:
        self.next_id = max(self.next_id, self.size(), max(self.overrides, default=0)) + 1
        return self.next_id


class ProtectionBackend:
    """One App Control server sharing the emulator's endpoints and binaries."""

    FILES_PER_COMPUTER = 60
    EVENTS_PER_COMPUTER = 25

    def __init__(self, state: EmulatorState) -> None:
        config = state.config
        self.state = state
        self.config = config
        self.clock = state.clock
        self.epoch = state.data_epoch
        self.seed = config.seed
        self.endpoints = state.endpoints
        self.binaries: BinaryCatalog = shared_binaries(state)
        self.policies_seed = (
            (1, "Default Policy", 20, "Lockdown for managed workstations"),
            (2, "Local Approval", 40, "Users may approve what they run"),
            (3, "Servers", 30, "Medium enforcement for servers"),
            (4, "Visibility", 60, "Track only"),
            (5, "Template Policy", 80, "Disabled enforcement for VDI templates"),
        )
        self._publishers = self._build_publishers()
        self.collections: dict[str, Collection] = {}
        self._build()

    # --- collections -----------------------------------------------------------------------------
    def _add(
        self,
        name: str,
        fields: Sequence[str],
        make: Callable[[int], dict[str, Any]],
        size: Callable[[], int] | int,
        **flags: Any,
    ) -> Collection:
        size_fn = size if callable(size) else (lambda n=size: n)
        coll = Collection(name, tuple(fields), make, size_fn, **flags)
        self.collections[name] = coll
        return coll

    def _static(self, name: str, rows: list[dict[str, Any]], **flags: Any) -> Collection:
        fields = tuple(dict.fromkeys(k for r in rows for k in r))
        return self._add(name, fields, lambda i: dict(rows[i]), len(rows), **flags)

    def _build(self) -> None:
        n_comp = len(self.endpoints)
        self._add(
            "computer",
            _COMPUTER_FIELDS,
            self._computer,
            n_comp,
            updatable=True,
            deletable=True,
            soft_delete=True,
        )
        self._add("fileCatalog", _CATALOG_FIELDS, self._catalog, self.binaries.count)
        self._add(
            "fileInstance",
            _INSTANCE_FIELDS,
            self._instance,
            n_comp * self.FILES_PER_COMPUTER,
            updatable=True,
        )
        self._add("fileInstanceDeleted", _INSTANCE_FIELDS, self._deleted_instance, n_comp * 2)
        self._add(
            "fileInstanceGroup",
            (
                "id",
                "computerId",
                "fileCatalogId",
                "policyId",
                "dateCreated",
                "userName",
                "groupType",
            ),
            self._instance_group,
            n_comp * 3,
        )
        self._static(
            "policy",
            [self._policy(*p) for p in self.policies_seed],
            creatable=True,
            updatable=True,
            deletable=True,
        )
        self._static("fileRule", self._seed_rules(), creatable=True, updatable=True, deletable=True)
        self._add("event", _EVENT_FIELDS, self._event, n_comp * self.EVENTS_PER_COMPUTER)
        self._static("publisher", list(self._publishers), updatable=True)
        self._static(
            "certificate", [self._certificate(p) for p in self._publishers], updatable=True
        )
        self._static(
            "publisherCertificate",
            [
                {"id": p["id"], "publisherId": p["id"], "certificateId": p["id"]}
                for p in self._publishers
            ],
        )
        self._static("approvalRequest", self._approval_requests(), updatable=True)
        now = self.epoch
        self._static(
            "user",
            [
                {
                    "id": 1,
                    "name": "admin",
                    "firstName": "Admin",
                    "lastName": "User",
                    "emailAddress": "admin@acme.example",
                    "title": "",
                    "department": "IT",
                    "comments": "",
                    "enabled": True,
                    "readOnly": False,
                    "external": False,
                    "userGroupIds": "1",
                },
                {
                    "id": 2,
                    "name": self.config.api_username,
                    "firstName": "API",
                    "lastName": "Client",
                    "emailAddress": "api@acme.example",
                    "title": "",
                    "department": "SecOps",
                    "comments": "integration account",
                    "enabled": True,
                    "readOnly": False,
                    "external": False,
                    "userGroupIds": "1",
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        )
        self._static(
            "userGroup",
            [
                {
                    "id": 1,
                    "name": "Admin",
                    "description": "Full access",
                    "enabled": True,
                    "editable": False,
                    "permissions": "FFFFFFFFFFFFFFFF",
                    "policyIds": "",
                    "dateCreated": _iso(now - 400 * _DAY),
                },
                {
                    "id": 2,
                    "name": "Read Only",
                    "description": "View only",
                    "enabled": True,
                    "editable": True,
                    "permissions": "0000000000000401",
                    "policyIds": "",
                    "dateCreated": _iso(now - 400 * _DAY),
                },
                {
                    "id": 3,
                    "name": "Power Users",
                    "description": "Approve files",
                    "enabled": True,
                    "editable": True,
                    "permissions": "00000000000F0C01",
                    "policyIds": "1,2",
                    "dateCreated": _iso(now - 300 * _DAY),
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        )
        self._static(
            "grantedUserPolicyPermission",
            [{"id": 1, "userId": 2, "policyId": 1}, {"id": 2, "userId": 2, "policyId": 2}],
        )
        self._static(
            "serverConfig",
            [
                {"id": k, "name": name, "value": value}
                for k, (name, value) in enumerate(
                    (
                        ("ServerVersion", "8.10.2.2"),
                        ("AgentVersion", "8.10.2.2"),
                        ("MaxConcurrentDownloads", 5),
                        ("ReputationEnabled", "True"),
                        ("SyslogEnabled", "False"),
                        ("LiveResponseEnabled", "True"),
                    ),
                    start=1,
                )
            ],
            updatable=True,
        )
        self._static(
            "serverPerformance",
            [{"id": 1, "cpuPercent": 12, "memoryPercent": 41, "databaseSizeMb": 8123}],
        )
        self._static(
            "connector",
            [
                {
                    "id": 1,
                    "name": "Carbon Black Cloud Analysis",
                    "enabled": True,
                    "analysisName": "CB Cloud",
                    "analysisEnabled": True,
                    "connectorVersion": "1.3",
                },
                {
                    "id": 2,
                    "name": "Palo Alto WildFire",
                    "enabled": False,
                    "analysisName": "WildFire",
                    "analysisEnabled": False,
                    "connectorVersion": "2.1",
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        )
        self._static(
            "notifier",
            [{"id": 1, "name": "SOC mailbox", "enabled": True}],
            creatable=True,
            updatable=True,
            deletable=True,
        )
        self._static(
            "notification",
            [
                {
                    "id": 1,
                    "connectorId": 1,
                    "fileCatalogId": self._malware_catalog(0),
                    "time": _iso(now - 2 * _DAY),
                    "type": 1,
                    "severity": 3,
                    "analysisResult": 3,
                },
            ],
            creatable=True,
        )
        self._static(
            "scriptRule",
            [
                {
                    "id": 1,
                    "name": "PowerShell",
                    "extensions": "ps1|psm1",
                    "interpreters": "powershell.exe",
                    "enabled": True,
                },
                {
                    "id": 2,
                    "name": "Batch",
                    "extensions": "bat|cmd",
                    "interpreters": "cmd.exe",
                    "enabled": True,
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        )
        self._static(
            "trustedDirectory",
            [
                {
                    "id": 1,
                    "computerId": 1,
                    "path": "\\\\fileserver\\software",
                    "name": "Software share",
                    "description": "IT installers",
                    "enabled": True,
                    "dateCreated": _iso(now - 90 * _DAY),
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        )
        self._static(
            "trustedUser",
            [
                {
                    "id": 1,
                    "name": "ACME\\svc_deploy",
                    "userSid": "S-1-5-21-1-2-3-1105",
                    "description": "Software deployment",
                    "dateCreated": _iso(now - 120 * _DAY),
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        )
        self._static(
            "updater",
            [
                {"id": k, "name": name, "version": ver, "enabled": True}
                for k, (name, ver) in enumerate(
                    (
                        ("Microsoft Windows Update", "10"),
                        ("Google Chrome", "124"),
                        ("Adobe Acrobat Reader", "24"),
                    ),
                    start=1,
                )
            ],
            updatable=True,
        )
        self._static(
            "driftReport",
            [{"id": 1, "name": "Baseline vs. workstations", "dateCreated": _iso(now - 10 * _DAY)}],
            creatable=True,
            updatable=True,
            deletable=True,
        )
        self._static(
            "driftReportContents",
            [
                {
                    "id": k,
                    "driftReportId": 1,
                    "fileCatalogId": self._malware_catalog(k),
                    "computerId": k,
                }
                for k in range(1, 4)
            ],
        )
        self._static(
            "fileAnalysis",
            [
                {
                    "id": 1,
                    "computerId": 5,
                    "fileCatalogId": self._malware_catalog(0),
                    "connectorId": 1,
                    "analysisStatus": 3,
                    "analysisResult": 3,
                    "dateCreated": _iso(now - 3 * _DAY),
                    "dateModified": _iso(now - 3 * _DAY + 600),
                },
            ],
            creatable=True,
            updatable=True,
        )
        self._static("fileUpload", [], creatable=True, updatable=True, deletable=True)
        self._static("pendingAnalysis", [], updatable=True)
        self._static(
            "internalEvent",
            [
                {
                    "id": 1,
                    "timestamp": _iso(now - _DAY),
                    "description": "Server started",
                    "type": 1,
                },
            ],
        )
        self._static(
            "meteredExecution",
            [
                {
                    "id": k,
                    "computerId": k,
                    "fileCatalogId": self.binaries.image_index["powershell"] + 1,
                    "timestamp": _iso(now - k * 3600),
                    "userName": self.endpoints[k - 1].username,
                }
                for k in range(1, min(len(self.endpoints), 5) + 1)
            ],
        )
        self._static(
            "appTemplate", [{"id": 1, "name": "Office Suite"}, {"id": 2, "name": "Browsers"}]
        )

    # --- generated rows --------------------------------------------------------------------------
    def _policy(self, pid: int, name: str, level: int, desc: str) -> dict[str, Any]:
        created = self.epoch - (500 - pid) * _DAY
        members = [ep for ep in self.endpoints if self._policy_of(ep) == pid]
        return {
            "id": pid,
            "name": name,
            "description": desc,
            "packageName": f"{name.replace(' ', '')}.msi",
            "enforcementLevel": level,
            "disconnectedEnforcementLevel": level,
            "helpDeskUrl": "https://helpdesk.acme.example",
            "imageUrl": "",
            "dateCreated": _iso(created),
            "createdByUserId": 1,
            "dateModified": _iso(created + 30 * _DAY),
            "modifiedByUserId": 1,
            "readOnly": pid == 5,
            "hidden": False,
            "automatic": False,
            "loadAgentInSafeMode": False,
            "reputationEnabled": True,
            "fileTrackingEnabled": True,
            "customLogo": False,
            "automaticApprovalsOnTransition": False,
            "allowAgentUpgrades": True,
            "totalComputers": len(members),
            "connectedComputers": sum(1 for m in members if m.online),
            "atEnforcementComputers": sum(1 for m in members if m.online),
            "clVersionMax": 1000 + pid,
        }

    def _policy_of(self, ep: Endpoint) -> int:
        if ep.host_type != "workstation":
            return 3
        return (1, 1, 1, 2, 4)[mix(self.seed, ep.index, 0xA0) % 5]

    def _computer(self, i: int) -> dict[str, Any]:
        ep = self.endpoints[i]
        pid = self._policy_of(ep)
        name = {p[0]: p[1] for p in self.policies_seed}[pid]
        level = {p[0]: p[2] for p in self.policies_seed}[pid]
        os_short = {
            "windows": ep.cloud_os_version.replace(" x64", ""),
            "osx": "macOS",
            "linux": ep.cloud_os_version,
        }[ep.os_type]
        now = self.clock.time()
        last_poll = now - 30 if ep.online else now - ep.offline_days * _DAY
        return {
            "id": i + 1,
            "name": f"ACME\\{ep.hostname}",
            "computerTag": "",
            "description": "",
            "ipAddress": ep.internal_ip,
            "macAddress": ep.mac_address.replace(":", "-").upper(),
            "users": ep.username,
            "policyId": pid,
            "previousPolicyId": pid,
            "policyName": name,
            "automaticPolicy": False,
            "localApproval": pid == 2,
            "connected": ep.online,
            "enforcementLevel": level,
            "disconnectedEnforcementLevel": level,
            "osShortName": os_short,
            "osName": ep.os_name,
            "platformId": {"windows": 1, "osx": 2, "linux": 4}[ep.os_type],
            "agentVersion": "8.10.2.2",
            "dateCreated": _iso(ep.registered_time),
            "lastRegisterDate": _iso(ep.registered_time),
            "lastPollDate": _iso(last_poll),
            "daysOffline": 0 if ep.online else int(ep.offline_days),
            "uninstalled": False,
            "deleted": False,
            "initializing": False,
            "isActive": ep.online,
            "prioritized": False,
            "tamperProtectionActive": True,
            "CLIPassword": "",
            "debugLevel": 0,
            "kernelDebugLevel": 0,
            "debugFlags": 0,
            "debugDuration": 0,
            "activeDebugLevel": 0,
            "activeKernelDebugLevel": 0,
            "activeDebugFlags": 0,
            "ccLevel": 0,
            "ccFlags": 0,
            "template": False,
            "templateComputerId": 0,
            "templateDate": None,
            "policyStatus": "Up To Date",
            "policyStatusDetails": "",
            "upgradeStatus": "Up to date",
            "syncPercent": 100,
            "initPercent": 100,
            "processorCount": 4 if ep.host_type == "workstation" else 16,
            "processorModel": "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",
            "machineModel": "VMware7,1",
            "memorySize": ep.physical_memory_size // (1024 * 1024),
            "virtualized": "Yes",
            "virtualPlatform": "VMware",
            "cbSensorId": ep.sensor_id,
            "cbSensorVersion": ep.edr_sensor_version,
        }

    def _catalog(self, i: int) -> dict[str, Any]:
        bins = self.binaries
        info = bins.entry(i)
        sig = bins.signature(i)
        publisher = self._publisher_by_name.get(sig.get("digsig_publisher") or "")
        state = self._catalog_state(i)
        name = info.name
        ext = name.rsplit(".", 1)[-1] if "." in name else ""
        seen = bins.endpoints_of(i)
        return {
            "id": i + 1,
            "fileName": name,
            "pathName": info.path.rsplit("\\" if info.os == "windows" else "/", 1)[0],
            "fileExtension": ext,
            "computerId": seen[0] + 1 if seen else 0,
            "dateCreated": _iso(bins.added_time(i)),
            "md5": bins.md5(i).upper(),
            "sha1": "",
            "sha256": bins.sha256(i).upper(),
            "sha256HashType": 5,
            "fileType": "Application" if info.is_executable else "Library",
            "fileSize": info.size,
            "productName": info.product,
            "productVersion": info.version,
            "company": info.company,
            "publisherId": publisher["id"] if publisher else 0,
            "publisherName": publisher["name"] if publisher else "",
            "publisherState": publisher["publisherState"] if publisher else 0,
            "certificateId": publisher["id"] if publisher else 0,
            "certificateState": 2 if publisher else 0,
            "fileState": state,
            "effectiveState": {UNAPPROVED: "Unapproved", APPROVED: "Approved", BANNED: "Banned"}[
                state
            ],
            "threat": 100 if info.kind == "malware" else 0,
            "trust": 10 if publisher else (0 if info.kind == "malware" else 5),
            "prevalent": len(seen) > 5,
            "reputationAvailable": True,
            "approvedByReputation": publisher is not None and state == APPROVED,
        }

    def _catalog_state(self, i: int) -> int:
        md5 = self.binaries.md5(i).lower()
        rule = self._global_rule.get(md5)
        if rule is not None:
            return int(rule)
        info = self.binaries.entry(i)
        return APPROVED if info.publisher else UNAPPROVED

    def _instance(self, i: int) -> dict[str, Any]:
        comp, k = divmod(i, self.FILES_PER_COMPUTER)
        ep = self.endpoints[comp]
        catalog = self._file_on(ep, k)
        info = self.binaries.entry(catalog)
        state = self._catalog_state(catalog)
        h = mix(self.seed, i, 0x1F)
        return {
            "id": i + 1,
            "computerId": comp + 1,
            "fileCatalogId": catalog + 1,
            "fileInstanceGroupId": comp * 3 + 1 + h % 3,
            "policyId": self._policy_of(ep),
            "fileName": info.name,
            "pathName": info.path.rsplit("\\" if info.os == "windows" else "/", 1)[0],
            "dateCreated": _iso(ep.registered_time + unit(self.seed, i) * 30 * _DAY),
            "executed": info.is_executable and h % 3 != 0,
            "localState": state,
            "detailedLocalState": state,
            "detachedPublisherId": 0,
            "detachedCertificateId": 0,
            "topLevel": info.is_executable,
        }

    def _file_on(self, ep: Endpoint, k: int) -> int:
        """The catalog index of the k-th file on an endpoint: its OS's images, apps, malware."""
        bins = self.binaries
        pool = self._os_files.get(ep.os_type)
        if pool is None:
            pool = self._os_files[ep.os_type] = [
                i for i in range(bins.known_count) if bins.entry(i).os == ep.os_type
            ]
        extras = list(bins.apps_of(ep.index))
        mal = bins.malware_of(ep.index)
        if mal is not None:
            extras.append(mal)
        if k < len(extras):
            return extras[k]
        return pool[(k - len(extras)) % len(pool)] if pool else 0

    def _deleted_instance(self, i: int) -> dict[str, Any]:
        row = self._instance(i * self.FILES_PER_COMPUTER // 2)
        row["id"] = i + 1
        row["localState"] = row["detailedLocalState"] = BANNED
        return row

    def _instance_group(self, i: int) -> dict[str, Any]:
        comp = i // 3
        ep = self.endpoints[comp]
        return {
            "id": i + 1,
            "computerId": comp + 1,
            "fileCatalogId": self._file_on(ep, i % 3) + 1,
            "policyId": self._policy_of(ep),
            "dateCreated": _iso(ep.registered_time),
            "userName": ep.username,
            "groupType": 1 + i % 3,
        }

    def _event(self, i: int) -> dict[str, Any]:
        comp = i // self.EVENTS_PER_COMPUTER
        ep = self.endpoints[comp]
        h = mix(self.seed, i, 0xE0)
        catalog = self._file_on(ep, h % self.FILES_PER_COMPUTER)
        info = self.binaries.entry(catalog)
        state = self._catalog_state(catalog)
        ts = self.epoch - (i + 1) * (30 * _DAY / max(self.collections["event"].size(), 1))
        blocked = state == BANNED or (state == UNAPPROVED and h % 4 == 0)
        subtype, name = (
            (801, "Execution block (banned file)")
            if state == BANNED
            else (802, "Execution block (unapproved file)")
            if blocked
            else (1003, "File approved (Publisher)")
            if state == APPROVED
            else (1001, "New unapproved file to computer")
        )
        policy = self._policy_of(ep)
        return {
            "id": i + 1,
            "timestamp": _iso(ts),
            "receivedTimestamp": _iso(ts + 3),
            "description": f"{name}: {info.path}",
            "type": 0 if blocked else 1,
            "subtype": subtype,
            "subtypeName": name,
            "severity": 2 if blocked else 6,
            "computerId": comp + 1,
            "computerName": f"ACME\\{ep.hostname}",
            "ipAddress": ep.internal_ip,
            "policyId": policy,
            "policyName": {p[0]: p[1] for p in self.policies_seed}[policy],
            "fileCatalogId": catalog + 1,
            "fileName": info.name,
            "pathName": info.path.rsplit("\\" if info.os == "windows" else "/", 1)[0],
            "processFileName": "explorer.exe",
            "processPathName": "c:\\windows",
            "userName": ep.username,
            "ruleName": "Banned file" if state == BANNED else "",
        }

    def _build_publishers(self) -> list[dict[str, Any]]:
        names: dict[str, int] = {}
        bins = self.binaries
        for i in range(bins.count):
            pub = bins.entry(i).publisher
            if pub:
                names[pub] = names.get(pub, 0) + 1
        self._os_files: dict[str, list[int]] = {}
        out = []
        for k, (name, count) in enumerate(sorted(names.items()), start=1):
            out.append(
                {
                    "id": k,
                    "name": name,
                    "description": "",
                    "publisherState": 2,
                    "publisherReputation": 3
                    if name in ("Microsoft Corporation", "Google LLC")
                    else 2,
                    "reputationApprovalsEnabled": True,
                    "policyIds": "",
                    "signedFilesCount": count,
                    "signedCertificateCount": 1,
                    "dateCreated": _iso(self.epoch - 600 * _DAY),
                    "dateModified": _iso(self.epoch - 60 * _DAY),
                }
            )
        self._publisher_by_name = {p["name"]: p for p in out}
        self._global_rule: dict[str, int] = {}
        return out

    def _certificate(self, publisher: dict[str, Any]) -> dict[str, Any]:
        k = publisher["id"]
        h = mix(self.seed, k, 0xCE)
        return {
            "id": k,
            "parentCertificateId": 0,
            "publisherId": k,
            "thumbprint": f"{h:016X}{mix(h):016X}{mix(h, 1) & 0xFFFFFFFF:08X}",
            "thumbprintAlgorithm": "SHA1",
            "subjectName": f"CN={publisher['name']}",
            "serialNumber": f"{mix(h, 2):016x}",
            "validFrom": _iso(self.epoch - 700 * _DAY),
            "validTo": _iso(self.epoch + 300 * _DAY),
            "description": "",
            "dateCreated": publisher["dateCreated"],
            "dateModified": publisher["dateModified"],
            "certificateGlobalState": 2,
            "certificateEffectiveState": 2,
        }

    def _malware_catalog(self, k: int) -> int:
        bins = self.binaries
        malware = [
            i for i in range(bins.known_count, bins.count) if bins.entry(i).kind == "malware"
        ]
        return (malware[k % len(malware)] if malware else 0) + 1

    def _seed_rules(self) -> list[dict[str, Any]]:
        bins = self.binaries
        rows = []
        malware = [
            i for i in range(bins.known_count, bins.count) if bins.entry(i).kind == "malware"
        ]
        created = self.epoch - 45 * _DAY
        for k, i in enumerate(malware[:3], start=1):
            rows.append(
                self._rule_row(
                    k, bins.md5(i), BANNED, f"Ban {bins.entry(i).name}", "", created, i + 1
                )
            )
        apps = [i for i in range(bins.known_count, bins.count) if bins.entry(i).kind == "app"]
        for k, i in enumerate(apps[:2], start=len(rows) + 1):
            rows.append(
                self._rule_row(
                    k, bins.md5(i), APPROVED, f"Approve {bins.entry(i).name}", "1,2", created, i + 1
                )
            )
        for row in rows:
            if row["policyIds"] in ("", "0"):
                self._global_rule[row["hash"].lower()] = row["fileState"]
        return rows

    def _rule_row(
        self, rid: int, md5: str, state: int, name: str, policies: str, when: float, catalog: int
    ) -> dict[str, Any]:
        return {
            "id": rid,
            "fileCatalogId": catalog,
            "name": name,
            "description": "",
            "fileState": state,
            "hash": md5.upper(),
            "fileName": "",
            "policyIds": policies,
            "reportOnly": False,
            "reputationApprovalsEnabled": False,
            "forceInstaller": False,
            "forceNotInstaller": False,
            "platformFlags": 0,
            "sourceType": 1,
            "sourceId": 0,
            "dateCreated": _iso(when),
            "createdBy": "admin",
            "createdByUserId": 1,
            "dateModified": _iso(when),
            "modifiedBy": "admin",
            "modifiedByUserId": 1,
            "clVersion": 1000 + rid,
        }

    def _approval_requests(self) -> list[dict[str, Any]]:
        rows = []
        bins = self.binaries
        for k in range(1, 6):
            ep = self.endpoints[(k * 3) % len(self.endpoints)]
            apps = bins.apps_of(ep.index) or (0,)
            cat = apps[0]
            rows.append(
                {
                    "id": k,
                    "fileCatalogId": cat + 1,
                    "computerId": ep.index + 1,
                    "computerName": f"ACME\\{ep.hostname}",
                    "fileName": bins.entry(cat).name,
                    "pathName": bins.entry(cat).path.rsplit("\\", 1)[0],
                    "dateCreated": _iso(self.epoch - k * _DAY),
                    "dateModified": _iso(self.epoch - k * _DAY),
                    "status": 1 if k > 2 else 3,
                    "resolution": 0 if k > 2 else 2,
                    "requestorEmail": ep.email,
                    "justification": "Needed for my work",
                    "resolutionComments": "" if k > 2 else "Approved",
                }
            )
        return rows

    # --- queries ---------------------------------------------------------------------------------
    def collection(self, name: str) -> Collection:
        coll = self.collections.get(name)
        if coll is None:
            raise NotFound(f"no such object type {name!r}")
        return coll

    def search(
        self,
        name: str,
        qs: Sequence[str],
        *,
        sort: str | None = None,
        group: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Any:
        """The answer of ``GET /api/bit9platform/v1/<name>`` (a list, a count or groups)."""
        coll = self.collection(name)
        conds = parse_conditions(qs)
        known = set(coll.fields)
        for c in conds:
            if known and c.field not in known:
                raise Invalid(f"unknown field {c.field!r} for {name}")
        now = self.clock.time()
        preds = [condition_predicate(c, now) for c in conds]
        rows = [r for r in coll.rows() if all(p(r) for p in preds)]
        if limit == -1:
            return {"count": len(rows)}
        if group:
            if known and group not in known:
                raise Invalid(f"cannot group by unknown field {group!r}")
            counts: dict[Any, int] = {}
            for r in rows:
                counts[r.get(group)] = counts.get(r.get(group), 0) + 1
            return [{"value": v, "count": n} for v, n in counts.items()]
        if sort:
            parts = sort.split()
            fieldname = parts[0]
            if known and fieldname not in known:
                raise Invalid(f"cannot sort by unknown field {fieldname!r}")
            desc = len(parts) > 1 and parts[1].upper() == "DESC"
            if len(parts) > 1 and parts[1].upper() not in ("ASC", "DESC"):
                raise Invalid(f"sort direction must be ASC or DESC, not {parts[1]!r}")
            order = ordered(
                range(len(rows)), [(lambda i: rows[i].get(fieldname), desc)], APP_CONTROL
            )
            rows = [rows[i] for i in order]
        if limit == 0:
            return rows
        size = 1000 if limit is None else limit
        return rows[offset : offset + size]

    def get(self, name: str, oid: int) -> dict[str, Any]:
        row = self.collection(name).get(oid)
        if row is None:
            raise NotFound(f"{name} {oid} not found")
        return row

    # --- writes ----------------------------------------------------------------------------------
    def create(self, name: str, body: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """POST: create (True) or, with an existing ``id`` in the body, update (False)."""
        coll = self.collection(name)
        if not coll.creatable:
            raise Forbidden(f"{name} objects cannot be created")
        oid = body.get("id")
        if oid not in (None, 0, "0", "") and coll.get(int(oid)) is not None:
            return self.update(name, int(oid), body, {}), False
        row = self._validate(name, coll, dict(body), None)
        row["id"] = coll.new_id()
        coll.put(row)
        self._after_write(name, row)
        return row, True

    def update(
        self, name: str, oid: int, body: Mapping[str, Any], flags: Mapping[str, str]
    ) -> dict[str, Any]:
        coll = self.collection(name)
        current = coll.get(oid)
        if current is None:
            raise NotFound(f"{name} {oid} not found")
        if not coll.updatable or current.get("readOnly") is True:
            raise Forbidden(f"{name} {oid} cannot be changed")
        row = dict(current)
        changes = {k: v for k, v in body.items() if k != "id"}
        if name == "computer":
            changes = self._computer_changes(row, changes, flags)
        row.update(changes)
        row = self._validate(name, coll, row, current)
        row["id"] = oid
        coll.put(row)
        self._after_write(name, row)
        return row

    def delete(self, name: str, oid: int) -> None:
        coll = self.collection(name)
        current = coll.get(oid)
        if current is None:
            raise NotFound(f"{name} {oid} not found")
        if not coll.deletable or current.get("readOnly") is True:
            raise Forbidden(f"{name} {oid} cannot be deleted")
        if coll.soft_delete:
            row = dict(current)
            row["deleted"] = True
            coll.put(row)
            return
        coll.deleted.add(oid)
        coll.overrides.pop(oid, None)
        if name == "fileRule":
            self._global_rule.pop(str(current.get("hash", "")).lower(), None)
            self._refresh_states()

    _DIAGNOSTICS = (
        "debugLevel",
        "kernelDebugLevel",
        "debugFlags",
        "debugDuration",
        "ccLevel",
        "ccFlags",
    )
    _TEMPLATE = ("template", "templateComputerId", "templateDate")

    def _computer_changes(
        self, row: dict[str, Any], changes: dict[str, Any], flags: Mapping[str, str]
    ) -> dict[str, Any]:
        def flag(name: str) -> bool:
            return flags.get(name, "").lower() == "true"

        out = {}
        for key, value in changes.items():
            if row.get(key) == value:
                continue
            if key in self._DIAGNOSTICS and not flag("changeDiagnostics"):
                continue  # only applied with ?changeDiagnostics=true
            if key in self._TEMPLATE and not flag("changeTemplate"):
                continue
            if key in (
                "tamperProtectionActive",
                "CLIPassword",
                "id",
                "name",
                "ipAddress",
                "macAddress",
                "connected",
                "lastPollDate",
                "dateCreated",
            ):
                continue  # read-only or set through a flag
            out[key] = value
        if "policyId" in out:
            try:
                pid = int(out["policyId"])
            except (TypeError, ValueError):
                raise Invalid("policyId must be an integer") from None
            policy = self.collections["policy"].get(pid)
            if policy is None:
                raise Invalid(f"policy {pid} does not exist")
            out["previousPolicyId"] = row["policyId"]
            out["policyName"] = policy["name"]
            out["enforcementLevel"] = policy["enforcementLevel"]
        if "newTamperProtectionActive" in flags:
            out["tamperProtectionActive"] = flag("newTamperProtectionActive")
        if flag("resetCLIPassword"):
            out["CLIPassword"] = (
                f"{mix(self.seed, row['id'], int(self.clock.time())) % 10**12:012d}"
            )
        if flag("changeDiagnostics"):
            for key in ("debugLevel", "kernelDebugLevel", "debugFlags"):
                if key in out:
                    out[f"active{key[0].upper()}{key[1:]}"] = out[key]
        return out

    def _validate(
        self, name: str, coll: Collection, row: dict[str, Any], current: dict[str, Any] | None
    ) -> dict[str, Any]:
        now = _iso(self.clock.time())
        if name == "fileRule":
            state = row.get("fileState")
            if state not in (UNAPPROVED, APPROVED, BANNED):
                raise Invalid("fileState must be 1 (unapproved), 2 (approved) or 3 (banned)")
            catalog_id = row.get("fileCatalogId")
            md5 = str(row.get("hash") or "")
            if catalog_id:
                catalog = self.collections["fileCatalog"].get(int(catalog_id))
                if catalog is None:
                    raise Invalid(f"fileCatalog {catalog_id} does not exist")
                md5 = md5 or catalog["md5"]
            if not re.fullmatch(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}", md5):
                raise Invalid("a file rule needs a hash (MD5, SHA-1 or SHA-256) or a fileCatalogId")
            row["hash"] = md5.upper()
            if not row.get("fileCatalogId"):
                i = self.binaries.by_md5(md5) if len(md5) == 32 else None
                row["fileCatalogId"] = (i + 1) if i is not None else 0
            row.setdefault("policyIds", "")
            row.setdefault("name", "")
            for key, default in (
                ("reportOnly", False),
                ("reputationApprovalsEnabled", False),
                ("forceInstaller", False),
                ("forceNotInstaller", False),
                ("platformFlags", 0),
                ("sourceType", 5),
                ("sourceId", 0),
                ("description", ""),
                ("fileName", ""),
            ):
                row.setdefault(key, default)
            if current is None:
                row.update(
                    {
                        "dateCreated": now,
                        "createdBy": self.config.api_username,
                        "createdByUserId": 2,
                    }
                )
            row.update(
                {
                    "dateModified": now,
                    "modifiedBy": self.config.api_username,
                    "modifiedByUserId": 2,
                    "clVersion": int(row.get("clVersion") or 1000) + 1,
                }
            )
        elif name == "policy":
            if not row.get("name"):
                raise Invalid("a policy needs a name")
            for other in coll.rows():
                if other["name"].lower() == str(row["name"]).lower() and other["id"] != row.get(
                    "id"
                ):
                    raise Invalid(f"a policy named {row['name']!r} already exists")
            level = row.get("enforcementLevel", 20)
            if level not in (20, 30, 40, 60, 80):
                raise Invalid("enforcementLevel must be 20, 30, 40, 60 or 80")
            base = self._policy(0, str(row["name"]), int(level), str(row.get("description", "")))
            base.update(
                {
                    "totalComputers": 0,
                    "connectedComputers": 0,
                    "atEnforcementComputers": 0,
                    "readOnly": False,
                }
            )
            base.update(row)
            base["dateModified"] = now
            if current is None:
                base["dateCreated"] = now
            row = base
        elif name in (
            "user",
            "userGroup",
            "connector",
            "notifier",
            "scriptRule",
            "trustedUser",
            "trustedDirectory",
            "driftReport",
        ):
            if not row.get("name") and name != "trustedDirectory":
                raise Invalid(f"a {name} needs a name")
            if name == "trustedDirectory" and not row.get("path"):
                raise Invalid("a trustedDirectory needs a path")
            row.setdefault("dateCreated", now)
        elif name == "computer":
            pass
        else:
            row.setdefault("dateCreated", now)
            row["dateModified"] = now
        return row

    def _after_write(self, name: str, row: dict[str, Any]) -> None:
        if name == "fileRule":
            md5 = str(row["hash"]).lower()
            if str(row.get("policyIds", "")) in ("", "0"):
                self._global_rule[md5] = int(row["fileState"])
            else:
                self._global_rule.pop(md5, None)
            self._refresh_states()

    def _refresh_states(self) -> None:
        # Catalog, instance and event rows embed the file state: regenerate them.
        for n in ("fileCatalog", "fileInstance", "event", "fileInstanceDeleted"):
            self.collections[n]._cache.clear()


_COMPUTER_FIELDS = (
    "id",
    "name",
    "computerTag",
    "description",
    "ipAddress",
    "macAddress",
    "users",
    "policyId",
    "previousPolicyId",
    "policyName",
    "automaticPolicy",
    "localApproval",
    "connected",
    "enforcementLevel",
    "disconnectedEnforcementLevel",
    "osShortName",
    "osName",
    "platformId",
    "agentVersion",
    "dateCreated",
    "lastRegisterDate",
    "lastPollDate",
    "daysOffline",
    "uninstalled",
    "deleted",
    "initializing",
    "isActive",
    "prioritized",
    "tamperProtectionActive",
    "CLIPassword",
    "debugLevel",
    "kernelDebugLevel",
    "debugFlags",
    "debugDuration",
    "activeDebugLevel",
    "activeKernelDebugLevel",
    "activeDebugFlags",
    "ccLevel",
    "ccFlags",
    "template",
    "templateComputerId",
    "templateDate",
    "policyStatus",
    "policyStatusDetails",
    "upgradeStatus",
    "syncPercent",
    "initPercent",
    "processorCount",
    "processorModel",
    "machineModel",
    "memorySize",
    "virtualized",
    "virtualPlatform",
    "cbSensorId",
    "cbSensorVersion",
)
_CATALOG_FIELDS = (
    "id",
    "fileName",
    "pathName",
    "fileExtension",
    "computerId",
    "dateCreated",
    "md5",
    "sha1",
    "sha256",
    "sha256HashType",
    "fileType",
    "fileSize",
    "productName",
    "productVersion",
    "company",
    "publisherId",
    "publisherName",
    "publisherState",
    "certificateId",
    "certificateState",
    "fileState",
    "effectiveState",
    "threat",
    "trust",
    "prevalent",
    "reputationAvailable",
    "approvedByReputation",
)
_INSTANCE_FIELDS = (
    "id",
    "computerId",
    "fileCatalogId",
    "fileInstanceGroupId",
    "policyId",
    "fileName",
    "pathName",
    "dateCreated",
    "executed",
    "localState",
    "detailedLocalState",
    "detachedPublisherId",
    "detachedCertificateId",
    "topLevel",
)
_EVENT_FIELDS = (
    "id",
    "timestamp",
    "receivedTimestamp",
    "description",
    "type",
    "subtype",
    "subtypeName",
    "severity",
    "computerId",
    "computerName",
    "ipAddress",
    "policyId",
    "policyName",
    "fileCatalogId",
    "fileName",
    "pathName",
    "processFileName",
    "processPathName",
    "userName",
    "ruleName",
)
