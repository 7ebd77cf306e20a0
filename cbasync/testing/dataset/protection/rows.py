"""The generated rows of App Control: computers, policies, the file catalog, file instances and
their groups, events (each a pure function of the seed and its index).
"""

from __future__ import annotations

from typing import Any

from cbasync.testing.dataset._fmt import DAY, mix, unit
from cbasync.testing.dataset.endpoints import Endpoint
from cbasync.testing.dataset.protection.core import ProtectionCore, iso_seconds
from cbasync.testing.dataset.protection.fields import (
    APPROVED,
    BANNED,
    POLICIES,
    UNAPPROVED,
)

__all__ = ["GeneratedRows"]


class GeneratedRows(ProtectionCore):
    """Rows generated from the shared endpoints and binaries."""

    def _policy(self, pid: int, name: str, level: int, desc: str) -> dict[str, Any]:
        created = self.epoch - (500 - pid) * DAY
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
            "dateCreated": iso_seconds(created),
            "createdByUserId": 1,
            "dateModified": iso_seconds(created + 30 * DAY),
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

    def _templates(self) -> tuple[int | None, frozenset[int]]:
        """The VDI layout: the last Windows workstation is a template (its index), and the
        first two other Windows workstations were cloned from it."""
        if self._template_layout is None:
            windows = [
                ep.index
                for ep in self.endpoints
                if ep.os_type == "windows" and ep.host_type == "workstation"
            ]
            template = windows[-1] if len(windows) >= 3 else None
            clones = frozenset(windows[:2]) if template is not None else frozenset()
            self._template_layout = (template, clones)
        return self._template_layout

    def _computer(self, i: int) -> dict[str, Any]:
        ep = self.endpoints[i]
        template, clones = self._templates()
        pid = self._policy_of(ep)
        name = {p[0]: p[1] for p in POLICIES}[pid]
        level = {p[0]: p[2] for p in POLICIES}[pid]
        os_short = {
            "windows": ep.cloud_os_version.replace(" x64", ""),
            "osx": "macOS",
            "linux": ep.cloud_os_version,
        }[ep.os_type]
        now = self.clock.time()
        last_poll = now - 30 if ep.online else now - ep.offline_days * DAY
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
            "dateCreated": iso_seconds(ep.registered_time),
            "lastRegisterDate": iso_seconds(ep.registered_time),
            "lastPollDate": iso_seconds(last_poll),
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
            "template": i == template,
            "templateComputerId": template + 1 if template is not None and i in clones else 0,
            "templateDate": iso_seconds(ep.registered_time) if i == template else None,
            "templateCloneCleanupMode": 1 if i == template else 0,
            "templateCloneCleanupTime": 7 if i == template else 0,
            "templateCloneCleanupTimeScale": 3 if i == template else 0,
            "templateTrackModsOnly": False,
            "refreshFlags": 0,
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
            "dateCreated": iso_seconds(bins.added_time(i)),
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
            "prevalence": len(seen),
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
            "dateCreated": iso_seconds(ep.registered_time + unit(self.seed, i) * 30 * DAY),
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
            "dateCreated": iso_seconds(ep.registered_time),
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
        ts = self.epoch - (i + 1) * (30 * DAY / max(self.collections["event"].size(), 1))
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
            "timestamp": iso_seconds(ts),
            "receivedTimestamp": iso_seconds(ts + 3),
            "description": f"{name}: {info.path}",
            "type": 0 if blocked else 1,
            "subtype": subtype,
            "subtypeName": name,
            "severity": 2 if blocked else 6,
            "computerId": comp + 1,
            "computerName": f"ACME\\{ep.hostname}",
            "ipAddress": ep.internal_ip,
            "policyId": policy,
            "policyName": {p[0]: p[1] for p in POLICIES}[policy],
            "fileCatalogId": catalog + 1,
            "fileName": info.name,
            "pathName": info.path.rsplit("\\" if info.os == "windows" else "/", 1)[0],
            "processFileName": "explorer.exe",
            "processPathName": "c:\\windows",
            "userName": ep.username,
            "ruleName": "Banned file" if state == BANNED else "",
        }

    def _malware_catalog(self, k: int) -> int:
        bins = self.binaries
        malware = [
            i for i in range(bins.known_count, bins.count) if bins.entry(i).kind == "malware"
        ]
        return (malware[k % len(malware)] if malware else 0) + 1
