"""Cloud alerts: v7 records as ground truth, v6 as a view of them, with workflow and notes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from cbasync.testing.dataset.cloud.alert_rows import (
    Workflow,
    alert_row,
)
from cbasync.testing.dataset.cloud.alert_tables import (
    alert_table,
    facet_column,
)
from cbasync.testing.dataset.cloud.common import GeneratedSet, RowSpec, iso, uuid_of
from cbasync.testing.search import (
    epoch_of,
)

__all__ = ["ORDERED_CACHE", "AlertStore"]

#: Ordered search results an alert store keeps (each up to the whole set's indices).
ORDERED_CACHE = 32

#: Fields the v6 API shows under another name than v7 (wire §6.3), or under the same name.
_V6_NAMES = (
    ("cluster_name", "k8s_cluster"),
    ("namespace", "k8s_namespace"),
    ("workload_kind", "k8s_kind"),
    ("workload_name", "k8s_workload_name"),
    ("replica_id", "k8s_pod_name"),
    ("rule_name", "k8s_rule"),
    ("rule_id", "k8s_rule_id"),
    ("remote_ip", "netconn_remote_ip"),
    ("remote_domain", "netconn_remote_domain"),
    ("port", "netconn_local_port"),
    ("protocol", "netconn_protocol"),
    *(
        (name, name)
        for name in (
            "blocked_threat_category", "not_blocked_threat_category", "kill_chain_status",
            "threat_cause_vector", "watchlists", "report_id", "report_name", "ioc_id",
            "ioc_field", "ioc_hit", "device_location", "connection_type", "remote_is_private",
            "egress_group_id", "egress_group_name", "ip_reputation", "rule_id",
            "rule_category_id", "vendor_name", "vendor_id", "product_name", "product_id",
            "external_device_friendly_name", "serial_number",
        )
    ),
)  # fmt: skip


def _workflow_json(wf: Workflow) -> dict[str, Any]:
    return {
        "change_timestamp": iso(wf.change_timestamp),
        "changed_by_type": wf.changed_by_type,
        "changed_by": wf.changed_by,
        "closure_reason": wf.closure_reason,
        "status": wf.status,
    }


def _determination_json(wf: Workflow) -> dict[str, Any]:
    return {
        "change_timestamp": iso(wf.change_timestamp),
        "value": wf.determination,
        "changed_by_type": wf.changed_by_type,
        "changed_by": wf.changed_by,
    }


class AlertStore(GeneratedSet):
    """Cloud alerts: v7 records as ground truth, v6 as a view of them."""

    def __init__(self, spec: RowSpec, *, now: Callable[[], float]) -> None:
        super().__init__(spec)
        self.now = now
        self._rows: list[dict[str, Any]] | None = None
        self._by_id: dict[str, int] = {}
        self._epochs: dict[tuple[int, str], float] = {}
        self.workflows: dict[int, Workflow] = {}
        self.threat_workflows: dict[str, Workflow] = {}
        self.notes: dict[str, list[dict[str, Any]]] = {}
        self.threat_notes: dict[str, list[dict[str, Any]]] = {}
        self.threat_tags: dict[str, list[str]] = {}
        #: Changes per alert id and per threat id, as their history routes show them.
        self.history_log: dict[str, list[dict[str, Any]]] = {}
        self.threat_history_log: dict[str, list[dict[str, Any]]] = {}
        self.v7 = alert_table(self, v6=False)
        self.v6 = alert_table(self, v6=True)
        # Ordered search results by (search, version): paging through a result is one scan and
        # one sort, then a slice per page (a 100-row page of 10,000 alerts cost 60 ms of
        # emulator CPU when every page re-ran the selection and a top-k over all of it).
        self.version = 0
        self._ordered: OrderedDict[Hashable, list[int]] = OrderedDict()

    # -- generation ------------------------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = [alert_row(self, i) for i in range(self.count)]
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

    def ordered(self, key: Hashable, compute: Callable[[], list[int]]) -> list[int]:
        """``compute()``, remembered under ``key`` until an alert changes (a workflow or a
        note: what a search may select on). At most :data:`ORDERED_CACHE` results are kept."""
        full = (key, self.version)
        hit = self._ordered.get(full)
        if hit is None:
            hit = self._ordered[full] = compute()
            while len(self._ordered) > ORDERED_CACHE:
                self._ordered.popitem(last=False)
        else:
            self._ordered.move_to_end(full)
        return hit

    def changed(self) -> None:
        """An alert's workflow or notes changed: cached search results are stale."""
        self.version += 1
        self._ordered.clear()

    def index_of(self, alert_id: str) -> int | None:
        self.rows()
        return self._by_id.get(alert_id)

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
            log = self.history_log.setdefault(row["id"], [])
            log.append({"type": "USER_WORKFLOW_UPDATE", "workflow": _workflow_json(wf)})
            if determination is not None and determination != before.determination:
                log.append(
                    {"type": "USER_DETERMINATION_UPDATE", "determination": _determination_json(wf)}
                )
            if note:
                self.add_note(row["id"], note, changed_by)
            changed += 1
        self.changed()
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
            wf = self.threat_workflows[threat] = Workflow(
                status=status,
                closure_reason=remediation or "NO_REASON",
                note=comment,
                changed_by=changed_by,
                changed_by_type="API",
                change_timestamp=now,
            )
            self.threat_history_log.setdefault(threat, []).append(
                {"type": "USER_WORKFLOW_UPDATE", "workflow": _workflow_json(wf)}
            )
        self.changed()
        return sum(1 for r in self.rows() if r["threat_id"] in ids)

    def creation_history(self, i: int) -> dict[str, Any]:
        """The first history entry of alert ``i``: the workflow it was created with."""
        return {
            "type": "USER_WORKFLOW_UPDATE",
            "workflow": _workflow_json(
                Workflow(change_timestamp=self.epoch_of(i, "backend_timestamp") or 0.0)
            ),
        }

    def add_note(
        self, alert_id: str, text: str, author: str, *, threat: bool = False
    ) -> dict[str, Any]:
        now = self.now()
        store = self.threat_notes if threat else self.notes
        note = {
            "author": author,
            "create_timestamp": iso(now),
            "last_update_timestamp": iso(now),
            "id": uuid_of("note", alert_id, len(store.get(alert_id, [])), now),
            "source": "CUSTOMER",
            "note": text,
            "parent_id": None,
            "read_history": None,
            "thread": None,
        }
        store.setdefault(alert_id, []).append(note)
        log = self.threat_history_log if threat else self.history_log
        kind = "THREAT_NOTE_ADDED" if threat else "ALERT_NOTE_ADDED"
        log.setdefault(alert_id, []).append({"type": kind, "note": dict(note)})
        self.changed()
        return note

    # -- rendering -------------------------------------------------------------------------------
    def render_v7(self, i: int) -> dict[str, Any]:
        row = dict(self.rows()[i])
        if i in self.workflows or row["threat_id"] in self.threat_workflows:
            # Changed since it was created: the record's own workflow no longer holds.
            wf = self.workflow(i)
            changed = iso(wf.change_timestamp)
            row["workflow"] = _workflow_json(wf)
            row["determination"] = _determination_json(wf)
            if wf.changed_by_type == "API":
                row["user_update_timestamp"] = changed
                row["backend_update_timestamp"] = changed
                row["is_updated"] = True
        row["alert_notes_present"] = bool(self.notes.get(row["id"]))
        row["threat_notes_present"] = bool(self.threat_notes.get(row["threat_id"]))
        return row

    def render_v6(self, i: int) -> dict[str, Any]:
        """Alert ``i`` as the v6 API shows it (the field names of wire §6.3's rename table)."""
        v7 = self.render_v7(i)
        wf = self.workflow(i)
        container = v7["type"] == "CONTAINER_RUNTIME"
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
            # A container alert names no device: the v6 API showed zeros and empty strings.
            "device_id": v7.get("device_id", 0),
            "device_name": v7.get("device_name", ""),
            "device_os": v7.get("device_os", ""),
            "device_os_version": v7.get("device_os_version", ""),
            "device_username": v7.get("device_username", ""),
            "policy_id": v7["k8s_policy_id"] if container else v7["device_policy_id"],
            "policy_name": v7["k8s_policy"] if container else v7["device_policy"],
            "target_value": v7.get("device_target_value", "MEDIUM"),
            "notes_present": v7["alert_notes_present"],
            "tags": v7["tags"],
            "reason": v7["reason"],
            "reason_code": v7["reason_code"],
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
        if "process_name" in v7:
            v6.update(
                {
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
                            "ttps": v7.get("ttps", []),
                        }
                    ],
                }
            )
        if v7["type"] == "DEVICE_CONTROL":
            v6.update(
                threat_cause_threat_category="NON_MALWARE", threat_cause_vector="REMOVABLE_MEDIA"
            )
        for v6_name, v7_name in _V6_NAMES:
            if v7_name in v7:
                v6[v6_name] = v7[v7_name]
        return v6

    # -- tables ----------------------------------------------------------------------------------

    def facet_field(self, name: str, *, v6: bool) -> str:
        """The column a facet field of the v6 or v7 API counts."""
        return facet_column(name, v6=v6)
