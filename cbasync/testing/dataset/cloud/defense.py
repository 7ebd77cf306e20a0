"""Endpoint Standard (Defense) v3: the legacy views of the org's data.

Events are the Enterprise EDR processes seen through the v3 event shape; policies are kept and
edited here; notifications (from the alerts) and audit-log entries are queues that a read
empties, as on the real service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cbasync.testing.dataset.cloud.alerts import AlertStore
from cbasync.testing.dataset.cloud.common import mix, stable
from cbasync.testing.dataset.cloud.devices import DeviceStore
from cbasync.testing.dataset.cloud.processes import ProcessStore
from cbasync.testing.dataset.endpoints import POLICIES
from cbasync.testing.search import (
    Column,
    CriteriaError,
    Table,
    epoch_of,
)
from cbasync.testing.state import EmulatorState

__all__ = ["V3_EVENT_TYPES", "V3_RESULT_CAP", "DefenseStore", "policy_template"]


V3_EVENT_TYPES = ("CREATE_PROCESS", "NETWORK", "FILE_CREATE", "REGISTRY_ACCESS", "SYSTEM_API_CALL")


V3_RESULT_CAP = 100_000


def policy_template(policy_id: int, name: str, n: int, anchor: float) -> dict[str, Any]:
    """A Defense policy as the v3 API shows it; ``n`` picks its priority and age."""
    return {
        "id": policy_id,
        "name": name,
        "description": f"{name} policy",
        "priorityLevel": ("MEDIUM", "HIGH", "LOW", "HIGH")[n % 4],
        "version": 2,
        "latestRevision": int(anchor * 1000) - n * 86_400_000,
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


class DefenseStore:
    """The legacy v3 views: events from the process data, policies, notification queues."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        devices: DeviceStore,
        alerts: AlertStore,
        processes: ProcessStore,
    ) -> None:
        self.state = state
        self.config = state.config
        self.anchor = state.config.data_epoch
        self.devices = devices
        self.alerts = alerts
        self.processes = processes
        self._event_table: Table | None = None
        self._event_ids: dict[str, int] | None = None
        self.policies: dict[int, dict[str, Any]] = {}
        for n, (policy_id, name) in enumerate(POLICIES):
            self.policies[policy_id] = policy_template(policy_id, name, n, self.anchor)
        self._next_policy = max(self.policies) + 1
        self._next_rule = 1000
        self._notified = 0
        self.audit: list[dict[str, Any]] = []
        self._audited = 0
        for k in range(3):
            self.record("Logged in successfully", f"/login?k={k}", self.anchor - (3 - k) * 3600)

    def create_policy(self, info: Mapping[str, Any]) -> int:
        """A new policy from a ``policyInfo`` (the defaults' ``policy`` where it has none)."""
        policy_id = self._next_policy
        self._next_policy += 1
        template = policy_template(policy_id, info["name"], policy_id, self.anchor)
        policy = {**template, **info, "id": policy_id}
        policy.setdefault("policy", template["policy"])
        self.policies[policy_id] = policy
        return policy_id

    def add_rule(self, policy: dict[str, Any], rule: Mapping[str, Any]) -> int:
        """Append a rule to a policy; returns its new id."""
        self._next_rule += 1
        added = {"required": False, **rule, "id": self._next_rule}
        policy["policy"].setdefault("rules", []).append(added)
        return self._next_rule

    def record(self, description: str, url: str, when: float | None = None) -> None:
        """An audit-log entry (an API action)."""
        t = when if when is not None else self.state.clock.time()
        self.audit.append(
            {
                "requestUrl": url,
                "eventTime": int(t * 1000),
                "eventId": f"{stable('audit', len(self.audit), t):032x}",
                "loginName": self.config.api_username,
                "orgName": self.config.org_name,
                "flagged": False,
                "clientIp": "203.0.113.10",
                "verbose": False,
                "description": description,
            }
        )

    # -- events ----------------------------------------------------------------------------------
    def event_type(self, i: int) -> str:
        return V3_EVENT_TYPES[mix(self.config.seed, i, 91) % len(V3_EVENT_TYPES)]

    def event_id(self, i: int) -> str:
        return f"{stable('v3event', self.config.seed, i):032x}"

    def event(self, i: int) -> dict[str, Any]:
        store = self.processes
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
                "targetPriorityType": self.devices.target_priority(ep),
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
        if self._event_table is None:
            self._event_table = self._build_event_table()
        return self._event_table

    def _build_event_table(self) -> Table:
        store = self.processes
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
        indices = self.event_table.select(criteria=criteria, anchor=self.anchor)
        return sorted(indices, key=lambda i: -self.processes.start(i))

    def event_index(self, event_id: str) -> int | None:
        if self._event_ids is None:
            self._event_ids = {self.event_id(i): i for i in range(self.processes.count)}
        return self._event_ids.get(event_id)

    # -- notifications ---------------------------------------------------------------------------
    def next_notifications(self, limit: int = 25) -> list[dict[str, Any]]:
        """The next queued notifications (alerts, oldest first); retrieved ones leave the queue.

        Only alerts on a device are notified (Endpoint Standard knows nothing of containers)."""
        alerts = self.alerts
        rows = alerts.rows()
        order = sorted(
            (i for i in range(alerts.count) if "device_id" in rows[i]),
            key=lambda i: rows[i]["backend_timestamp"],
        )
        batch = order[self._notified : self._notified + limit]
        self._notified += len(batch)
        out = []
        for i in batch:
            row = alerts.rows()[i]
            ep = self.state.endpoints.by_device_id(row["device_id"])
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
                                "applicationName": row.get("process_name"),
                                "sha256Hash": row.get("process_sha256"),
                                "indicatorName": t,
                            }
                            for t in row.get("ttps", ())
                        ],
                        "threatCause": {
                            "actor": row.get("process_sha256"),
                            "actorName": row.get("process_name"),
                            "reputation": row.get("process_reputation"),
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
