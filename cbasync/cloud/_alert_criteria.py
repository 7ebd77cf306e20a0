"""The alert criteria builders both alert APIs share, named as the official SDKs name them
(``set_device_os``, ``set_process_names``, ...), each writing the field its API version knows:
v6 and v7 call some fields differently (wire §6.3's rename table: ``policy_id`` is
``device_policy_id`` in v7, ``cluster_name`` is ``k8s_cluster``, ...), so each query class
says how in :attr:`AlertCriteria.field_names`.

Values are checked against the enumerations wire §6.2-6.3 documents, so a typo is a
``ValueError`` here rather than an empty result from the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar, TypeVar

from typing_extensions import Self

from cbasync.cloud._model import CloudModel
from cbasync.cloud._values import choices, integers, strings
from cbasync.cloud.query import CloudQuery

__all__ = ["AlertCriteria", "AnalyticsCriteria", "choices"]

M = TypeVar("M", bound=CloudModel)

DEVICE_OS = ("WINDOWS", "ANDROID", "MAC", "IOS", "LINUX", "OTHER")
REPUTATIONS = (
    "KNOWN_MALWARE", "SUSPECT_MALWARE", "PUP", "NOT_LISTED", "ADAPTIVE_WHITE_LIST",
    "COMMON_WHITE_LIST", "TRUSTED_WHITE_LIST", "COMPANY_BLACK_LIST",
)  # fmt: skip
TARGET_VALUES = ("LOW", "MEDIUM", "HIGH", "MISSION_CRITICAL")
ALERT_TYPES = (
    "CB_ANALYTICS", "WATCHLIST", "DEVICE_CONTROL", "CONTAINER_RUNTIME", "VMWARE",
    "HOST_BASED_FIREWALL", "INTRUSION_DETECTION_SYSTEM",
)  # fmt: skip
THREAT_CATEGORIES = ("UNKNOWN", "NON_MALWARE", "NEW_MALWARE", "KNOWN_MALWARE", "RISKY_PROGRAM")
DEVICE_LOCATIONS = ("ONSITE", "OFFSITE", "UNKNOWN")
KILL_CHAIN = (
    "RECONNAISSANCE", "WEAPONIZE", "DELIVER_EXPLOIT", "INSTALL_RUN", "COMMAND_AND_CONTROL",
    "EXECUTE_GOAL", "BREACH",
)  # fmt: skip
POLICY_APPLIED = ("APPLIED", "NOT_APPLIED")
RUN_STATES = ("DID_NOT_RUN", "RAN", "UNKNOWN")
SENSOR_ACTIONS = ("POLICY_NOT_APPLIED", "ALLOW", "ALLOW_AND_LOG", "TERMINATE", "DENY")
THREAT_CAUSE_VECTORS = (
    "EMAIL", "WEB", "GENERIC_SERVER", "GENERIC_CLIENT", "REMOTE_DRIVE", "REMOVABLE_MEDIA",
    "UNKNOWN", "APP_STORE", "THIRD_PARTY",
)  # fmt: skip


class AlertCriteria(CloudQuery[M]):
    """Criteria builders of every alert search."""

    #: The v6 name of a criterion → this API's name for it (absent: the same).
    field_names: ClassVar[Mapping[str, str]] = {}
    #: The workflow values this API filters on (v6: OPEN/DISMISSED; v7: OPEN/IN_PROGRESS/CLOSED).
    workflow_values: ClassVar[tuple[str, ...]] = ()

    def _criterion(self, name: str, values: object) -> Self:
        return self.add_criteria(self.field_names.get(name, name), values)

    def set_alert_ids(self, alert_ids: str | Iterable[str]) -> Self:
        return self._criterion("id", strings("alert ids", alert_ids))

    def set_legacy_alert_ids(self, alert_ids: str | Iterable[str]) -> Self:
        return self._criterion("legacy_alert_id", strings("alert ids", alert_ids))

    def set_device_ids(self, device_ids: int | Iterable[int]) -> Self:
        return self._criterion("device_id", integers("device ids", device_ids))

    def set_device_names(self, device_names: str | Iterable[str]) -> Self:
        return self._criterion("device_name", strings("device names", device_names))

    def set_device_os(self, device_os: str | Iterable[str]) -> Self:
        return self._criterion("device_os", choices("device_os", device_os, DEVICE_OS))

    def set_device_os_versions(self, versions: str | Iterable[str]) -> Self:
        return self._criterion("device_os_version", strings("OS versions", versions))

    def set_device_username(self, users: str | Iterable[str]) -> Self:
        return self._criterion("device_username", strings("user names", users))

    def set_policy_ids(self, policy_ids: int | Iterable[int]) -> Self:
        return self._criterion("policy_id", integers("policy ids", policy_ids))

    def set_policy_names(self, policy_names: str | Iterable[str]) -> Self:
        return self._criterion("policy_name", strings("policy names", policy_names))

    def set_process_names(self, process_names: str | Iterable[str]) -> Self:
        return self._criterion("process_name", strings("process names", process_names))

    def set_process_name(self, process_names: str | Iterable[str]) -> Self:
        """Seed 002's spelling of :meth:`set_process_names`."""
        return self.set_process_names(process_names)

    def set_process_sha256(self, shas: str | Iterable[str]) -> Self:
        return self._criterion("process_sha256", strings("SHA-256 hashes", shas))

    def set_reputations(self, reputations: str | Iterable[str]) -> Self:
        return self._criterion("reputation", choices("reputation", reputations, REPUTATIONS))

    def set_tags(self, tags: str | Iterable[str]) -> Self:
        return self._criterion("tag", strings("tags", tags))

    def set_target_priorities(self, priorities: str | Iterable[str]) -> Self:
        return self._criterion("target_value", choices("target value", priorities, TARGET_VALUES))

    def set_threat_ids(self, threat_ids: str | Iterable[str]) -> Self:
        return self._criterion("threat_id", strings("threat ids", threat_ids))

    def set_types(self, alert_types: str | Iterable[str]) -> Self:
        return self._criterion("type", choices("alert type", alert_types, ALERT_TYPES))

    def set_workflows(self, workflow_values: str | Iterable[str]) -> Self:
        return self._criterion(
            "workflow", choices("workflow", workflow_values, self.workflow_values)
        )

    def set_minimum_severity(self, severity: int) -> Self:
        """Alerts of at least this severity (1-10); a scalar, not a list, on the wire."""
        if not isinstance(severity, int) or isinstance(severity, bool) or not 1 <= severity <= 10:
            raise ValueError(f"severity is an integer from 1 to 10, not {severity!r}")
        rest = tuple((k, v) for k, v in self._criteria if k != "minimum_severity")
        return self._replace(criteria=(*rest, ("minimum_severity", severity)))

    # Container runtime alerts (named as in v6; v7 calls them k8s_*, netconn_*).
    def set_cluster_names(self, names: str | Iterable[str]) -> Self:
        return self._criterion("cluster_name", strings("cluster names", names))

    def set_namespaces(self, namespaces: str | Iterable[str]) -> Self:
        return self._criterion("namespace", strings("namespaces", namespaces))

    def set_workload_kinds(self, kinds: str | Iterable[str]) -> Self:
        return self._criterion("workload_kind", strings("workload kinds", kinds))

    def set_workload_names(self, names: str | Iterable[str]) -> Self:
        return self._criterion("workload_name", strings("workload names", names))

    def set_replica_ids(self, ids: str | Iterable[str]) -> Self:
        return self._criterion("replica_id", strings("replica ids", ids))

    def set_remote_ips(self, addresses: str | Iterable[str]) -> Self:
        return self._criterion("remote_ip", strings("addresses", addresses))

    def set_remote_domains(self, domains: str | Iterable[str]) -> Self:
        return self._criterion("remote_domain", strings("domains", domains))

    def set_protocols(self, protocols: str | Iterable[str]) -> Self:
        return self._criterion("protocol", strings("protocols", protocols))

    def set_ports(self, ports: int | Iterable[int]) -> Self:
        return self._criterion("port", integers("ports", ports))

    def set_rule_ids(self, ids: str | Iterable[str]) -> Self:
        return self._criterion("rule_id", strings("rule ids", ids))

    def set_rule_names(self, names: str | Iterable[str]) -> Self:
        return self._criterion("rule_name", strings("rule names", names))

    # Device control (USB) alerts.
    def set_vendor_names(self, names: str | Iterable[str]) -> Self:
        return self._criterion("vendor_name", strings("vendor names", names))

    def set_vendor_ids(self, ids: str | Iterable[str]) -> Self:
        return self._criterion("vendor_id", strings("vendor ids", ids))

    def set_product_names(self, names: str | Iterable[str]) -> Self:
        return self._criterion("product_name", strings("product names", names))

    def set_product_ids(self, ids: str | Iterable[str]) -> Self:
        return self._criterion("product_id", strings("product ids", ids))

    def set_serial_numbers(self, serial_numbers: str | Iterable[str]) -> Self:
        return self._criterion("serial_number", strings("serial numbers", serial_numbers))

    def set_external_device_friendly_names(self, names: str | Iterable[str]) -> Self:
        return self._criterion("external_device_friendly_name", strings("device names", names))


class AnalyticsCriteria(AlertCriteria[M]):
    """Criteria of CB Analytics alerts (on every v7 search; the ``cbanalytics`` v6 search)."""

    def set_blocked_threat_categories(self, categories: str | Iterable[str]) -> Self:
        chosen = choices("threat category", categories, THREAT_CATEGORIES)
        return self._criterion("blocked_threat_category", chosen)

    def set_not_blocked_threat_categories(self, categories: str | Iterable[str]) -> Self:
        chosen = choices("threat category", categories, THREAT_CATEGORIES)
        return self._criterion("not_blocked_threat_category", chosen)

    def set_device_locations(self, locations: str | Iterable[str]) -> Self:
        chosen = choices("device location", locations, DEVICE_LOCATIONS)
        return self._criterion("device_location", chosen)

    def set_kill_chain_statuses(self, statuses: str | Iterable[str]) -> Self:
        return self._criterion(
            "kill_chain_status", choices("kill chain status", statuses, KILL_CHAIN)
        )

    def set_policy_applied(self, applied: str | Iterable[str]) -> Self:
        return self._criterion("policy_applied", choices("policy_applied", applied, POLICY_APPLIED))

    def set_reason_code(self, reasons: str | Iterable[str]) -> Self:
        return self._criterion("reason_code", strings("reason codes", reasons))

    def set_run_states(self, states: str | Iterable[str]) -> Self:
        return self._criterion("run_state", choices("run state", states, RUN_STATES))

    def set_sensor_actions(self, actions: str | Iterable[str]) -> Self:
        return self._criterion("sensor_action", choices("sensor action", actions, SENSOR_ACTIONS))

    def set_threat_cause_vectors(self, vectors: str | Iterable[str]) -> Self:
        chosen = choices("threat cause vector", vectors, THREAT_CAUSE_VECTORS)
        return self._criterion("threat_cause_vector", chosen)
