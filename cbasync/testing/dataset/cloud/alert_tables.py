"""The alert searches: the v7 columns and their v6 names over the same records, the time
criteria and facet fields each API accepts. Workflow columns read the store's current workflow,
so a search sees a change as soon as it is made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from cbasync.testing.dataset.cloud.alert_rows import Workflow
from cbasync.testing.query import FieldType
from cbasync.testing.search import Column, CriteriaError, Getter, Table

__all__ = [
    "V6_FACET_FIELDS",
    "V6_TIME_CRITERIA",
    "V7_FACET_FIELDS",
    "V7_KEYWORD_FIELDS",
    "V7_TIME_CRITERIA",
    "AlertSource",
    "alert_table",
    "facet_column",
]


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
    "k8s_cluster",
    "k8s_namespace",
    "k8s_kind",
    "k8s_workload_name",
    "k8s_policy",
    "k8s_policy_id",
    "k8s_rule",
    "k8s_rule_id",
    "connection_type",
    "rule_id",
    "vendor_name",
    "product_name",
    "external_device_friendly_name",
    "threat_name",
)


V7_KEYWORD_FIELDS = (
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
    "vendor_id",
    "product_name",
    "product_id",
    "threat_name",
    "rule_id",
    "rule_category_id",
    "k8s_cluster",
    "k8s_namespace",
    "k8s_kind",
    "k8s_workload_name",
    "k8s_pod_name",
    "k8s_policy",
    "k8s_policy_id",
    "k8s_rule",
    "k8s_rule_id",
    "connection_type",
    "netconn_remote_ip",
    "netconn_remote_domain",
    "netconn_protocol",
)


class AlertSource(Protocol):
    """What the alert tables read of the store: the records, their parsed timestamps, their
    workflow, and whether notes exist."""

    @property
    def count(self) -> int: ...

    @property
    def notes(self) -> Mapping[str, Any]: ...

    @property
    def threat_notes(self) -> Mapping[str, Any]: ...

    def rows(self) -> list[dict[str, Any]]: ...

    def epoch_of(self, i: int, name: str) -> float | None: ...

    def workflow(self, i: int) -> Workflow: ...


def alert_table(alerts: AlertSource, *, v6: bool) -> Table:
    """The search table of the v7 API, or of the v6 API (its names over the same records)."""

    def raw(name: str) -> Getter:
        return lambda i: alerts.rows()[i].get(name)

    def epoch_col(name: str) -> Getter:
        return lambda i: alerts.epoch_of(i, name)

    def wf_status(i: int) -> str:
        return alerts.workflow(i).status

    def wf_time(i: int) -> float:
        return alerts.workflow(i).change_timestamp

    v7_cols: dict[str, Column] = {k: raw(k) for k in V7_KEYWORD_FIELDS}
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
            "workflow_closure_reason": lambda i: alerts.workflow(i).closure_reason,
            "determination_value": lambda i: alerts.workflow(i).determination,
            "determination.value": lambda i: alerts.workflow(i).determination,
            "backend_update_timestamp": lambda i: max(
                alerts.epoch_of(i, "backend_update_timestamp") or 0.0, wf_time(i)
            ),
            "user_update_timestamp": lambda i: (
                wf_time(i) if alerts.workflow(i).changed_by_type == "API" else None
            ),
            "workflow_change_timestamp": wf_time,
            "mdr_workflow_change_timestamp": lambda i: None,
            "mdr_determination_change_timestamp": lambda i: None,
            "alert_notes_present": lambda i: bool(alerts.notes.get(alerts.rows()[i]["id"])),
            "threat_notes_present": lambda i: bool(
                alerts.threat_notes.get(alerts.rows()[i]["threat_id"])
            ),
            "watchlists_name": lambda i: [
                w["name"] for w in alerts.rows()[i].get("watchlists", [])
            ],
            "watchlists_id": lambda i: [w["id"] for w in alerts.rows()[i].get("watchlists", [])],
            "netconn_remote_port": raw("netconn_remote_port"),
            "netconn_local_port": raw("netconn_local_port"),
            "remote_is_private": raw("remote_is_private"),
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
                "netconn_remote_port": "number",
                "netconn_local_port": "number",
                "remote_is_private": "bool",
            }
        )
        return Table(
            count=lambda: alerts.count,
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
            special={"minimum_severity": lambda wanted: _min_severity(alerts, wanted)},
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
            "category": lambda i: "THREAT" if alerts.rows()[i]["severity"] >= 5 else "MONITORED",
            "type": lambda i: (
                "VMWARE"
                if alerts.rows()[i]["type"] == "INTRUSION_DETECTION_SYSTEM"
                else alerts.rows()[i]["type"]
            ),
            "policy_id": raw("device_policy_id"),
            "policy_name": raw("device_policy"),
            "target_value": raw("device_target_value"),
            "legacy_alert_id": raw("id"),
            "reputation": raw("process_reputation"),
            "tag": raw("tags"),
            "workflow": lambda i: "DISMISSED" if alerts.workflow(i).status == "CLOSED" else "OPEN",
            "create_time": epoch_col("backend_timestamp"),
            "first_event_time": epoch_col("first_event_timestamp"),
            "last_event_time": epoch_col("last_event_timestamp"),
            "last_update_time": lambda i: max(
                alerts.epoch_of(i, "backend_update_timestamp") or 0.0, wf_time(i)
            ),
            "threat_cause_actor_name": raw("process_name"),
            "threat_cause_actor_sha256": raw("process_sha256"),
            "watchlist_id": lambda i: [w["id"] for w in alerts.rows()[i].get("watchlists", [])],
            "watchlist_name": lambda i: [w["name"] for w in alerts.rows()[i].get("watchlists", [])],
            # The v6 names of the fields wire §6.3 renames.
            "cluster_name": raw("k8s_cluster"),
            "namespace": raw("k8s_namespace"),
            "workload_kind": raw("k8s_kind"),
            "workload_name": raw("k8s_workload_name"),
            "replica_id": raw("k8s_pod_name"),
            "rule_name": raw("k8s_rule"),
            "remote_ip": raw("netconn_remote_ip"),
            "remote_domain": raw("netconn_remote_domain"),
            "port": raw("netconn_local_port"),
            "protocol": raw("netconn_protocol"),
        }
    )
    schema6: dict[str, FieldType] = dict.fromkeys(v6_cols, "keyword")
    schema6.update(dict.fromkeys(V6_TIME_CRITERIA, "date"))
    schema6.update(
        {
            "severity": "number",
            "device_id": "number",
            "policy_id": "number",
            "port": "number",
            "reason": "text",
        }
    )
    return Table(
        count=lambda: alerts.count,
        columns=v6_cols,
        schema=schema6,
        default_fields=("reason", "process_name", "device_name", "threat_id"),
        time_field="create_time",
        time_criteria=V6_TIME_CRITERIA,
        special={
            "minimum_severity": lambda wanted: _min_severity(alerts, wanted),
            "group_results": lambda _: lambda i: True,
        },
    )


def _min_severity(alerts: AlertSource, wanted: list[Any]) -> Callable[[int], bool]:
    try:
        floor = int(wanted[0]) if wanted else 0
    except (TypeError, ValueError):
        raise CriteriaError(
            "minimum_severity must be an integer", field="criteria.minimum_severity"
        ) from None
    return lambda i: int(alerts.rows()[i]["severity"]) >= floor


def facet_column(name: str, *, v6: bool) -> str:
    """The column a facet field of the v6 or v7 API counts (400 for an unknown field)."""
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
