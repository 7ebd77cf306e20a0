"""The emulator's cloud answers held to real ones: the fields each alert type, a device, a note
and a history entry carry in the answers carbon-black-cloud-sdk 1.5.10 recorded from real
servers (its ``src/tests/unit/fixtures``: ``platform/mock_alert_v6_v7_compatibility.py``,
``platform/mock_alerts_v7.py``, ``platform/mock_devices.py``). The field names below are
those recordings' keys; the values come from the emulator."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cbasync.testing import EmulatorConfig, ManualClock, create_app
from cbasync.testing.app import EmulatorApp

pytestmark = pytest.mark.anyio

ORG = "EMU12345"
V6 = f"/appservices/v6/orgs/{ORG}"
V7 = f"/api/alerts/v7/orgs/{ORG}"

#: Keys every recorded v7 alert has, whatever its type.
COMMON = {
    "alert_notes_present", "alert_url", "backend_timestamp", "backend_update_timestamp",
    "detection_timestamp", "determination", "first_event_timestamp", "id", "is_updated",
    "last_event_timestamp", "mdr_alert", "mdr_alert_notes_present", "mdr_threat_notes_present",
    "org_key", "policy_applied", "primary_event_id", "reason", "reason_code", "run_state",
    "sensor_action", "severity", "tags", "threat_id", "threat_notes_present", "type",
    "user_update_timestamp", "workflow",
}  # fmt: skip
DEVICE = {
    "device_external_ip", "device_id", "device_internal_ip", "device_location", "device_name",
    "device_os", "device_os_version", "device_policy", "device_policy_id",
    "device_target_value", "device_uem_id", "device_username",
}  # fmt: skip
PROCESS = {
    "childproc_cmdline", "childproc_guid", "childproc_username", "parent_cmdline",
    "parent_effective_reputation", "parent_guid", "parent_md5", "parent_name", "parent_pid",
    "parent_reputation", "parent_sha256", "parent_username", "process_cmdline",
    "process_effective_reputation", "process_guid", "process_issuer", "process_md5",
    "process_name", "process_pid", "process_publisher", "process_reputation", "process_sha256",
    "process_username",
}  # fmt: skip
NETCONN = {
    "netconn_local_ip", "netconn_local_ipv4", "netconn_local_port", "netconn_protocol",
    "netconn_remote_domain", "netconn_remote_ip", "netconn_remote_ipv4", "netconn_remote_port",
}  # fmt: skip
#: What each recorded type adds to COMMON, and what it never has.
V7_SHAPES: dict[str, tuple[set[str], set[str]]] = {
    "CB_ANALYTICS": (DEVICE | PROCESS | {"ttps", "attack_tactic"}, NETCONN),
    "WATCHLIST": (
        DEVICE | PROCESS | {"ioc_hit", "ioc_id", "report_id", "report_name", "watchlists"},
        NETCONN,
    ),
    "CONTAINER_RUNTIME": (
        NETCONN
        | {
            "connection_type",
            "egress_group_id",
            "egress_group_name",
            "ip_reputation",
            "k8s_cluster",
            "k8s_kind",
            "k8s_namespace",
            "k8s_pod_name",
            "k8s_policy",
            "k8s_policy_id",
            "k8s_rule",
            "k8s_rule_id",
            "k8s_workload_name",
            "remote_is_private",
        },
        DEVICE | PROCESS,
    ),
    "HOST_BASED_FIREWALL": (
        DEVICE | PROCESS | NETCONN | {"rule_category_id", "rule_id"},
        {"k8s_cluster", "vendor_name"},
    ),
    "INTRUSION_DETECTION_SYSTEM": (
        DEVICE
        | PROCESS
        | NETCONN
        | {
            "attack_tactic",
            "attack_technique",
            "rule_category_id",
            "rule_id",
            "threat_name",
            "tms_rule_id",
            "ttps",
        },
        {"k8s_cluster", "vendor_name"},
    ),
    "DEVICE_CONTROL": (
        DEVICE
        | {
            "external_device_friendly_name",
            "product_id",
            "product_name",
            "serial_number",
            "vendor_id",
            "vendor_name",
        },
        PROCESS | NETCONN,
    ),
}
#: The v6 view of the non-endpoint types (the names before wire §6.3's renames).
V6_SHAPES: dict[str, set[str]] = {
    "CONTAINER_RUNTIME": {
        "cluster_name",
        "connection_type",
        "egress_group_id",
        "egress_group_name",
        "ip_reputation",
        "namespace",
        "port",
        "protocol",
        "remote_domain",
        "remote_ip",
        "remote_is_private",
        "replica_id",
        "rule_id",
        "rule_name",
        "workload_kind",
        "workload_name",
        "device_id",
        "policy_id",
        "policy_name",
    },
    "DEVICE_CONTROL": {
        "external_device_friendly_name",
        "product_id",
        "product_name",
        "serial_number",
        "threat_cause_threat_category",
        "threat_cause_vector",
        "vendor_id",
        "vendor_name",
    },
    "HOST_BASED_FIREWALL": {
        "rule_category_id",
        "rule_id",
        "threat_cause_actor_name",
        "threat_cause_actor_sha256",
        "threat_cause_reputation",
    },
}
#: Keys of a recorded device (GET_DEVICE_RESP).
DEVICE_KEYS = {
    "activation_code", "activation_code_expiry_time", "ad_group_id", "appliance_name",
    "appliance_uuid", "asset_group", "av_ave_version", "av_engine", "av_last_scan_time",
    "av_master", "av_pack_version", "av_product_version", "av_status", "av_update_servers",
    "av_vdf_version", "cluster_name", "current_sensor_policy_name", "datacenter_name",
    "deployment_type", "deregistered_time", "device_meta_data_item_list", "device_owner_id",
    "email", "esx_host_name", "esx_host_uuid", "first_name", "id", "last_contact_time",
    "last_device_policy_changed_time", "last_device_policy_requested_time",
    "last_external_ip_address", "last_internal_ip_address", "last_location", "last_name",
    "last_policy_updated_time", "last_reported_time", "last_reset_time", "last_shutdown_time",
    "linux_kernel_version", "login_user_name", "mac_address", "middle_name", "name",
    "organization_id", "organization_name", "os", "os_version", "passive_mode", "policy_id",
    "policy_name", "policy_override", "quarantined", "registered_time", "scan_last_action_time",
    "scan_last_complete_time", "scan_status", "sensor_kit_type", "sensor_out_of_date",
    "sensor_pending_update", "sensor_states", "sensor_version", "status", "target_priority",
    "uninstall_code", "vcenter_name", "vcenter_uuid", "vdi_base_device", "virtual_machine",
    "virtualization_provider", "vm_ip", "vm_name", "vm_uuid", "vuln_score", "vuln_severity",
    "windows_platform",
}  # fmt: skip
NOTE_KEYS = {
    "author", "create_timestamp", "id", "last_update_timestamp", "note", "parent_id",
    "read_history", "source", "thread",
}  # fmt: skip


def _app(clock: ManualClock | None = None) -> EmulatorApp:
    config = EmulatorConfig(devices=40, cloud_alerts=600, job_duration=1.0)
    return create_app(
        config, clock=clock or ManualClock(), modules=("cloud_common", "cloud_platform")
    )


def _client(app: EmulatorApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://cbserver",
        headers={"X-Auth-Token": app.config.token},
    )


async def _one_of_each(http: httpx.AsyncClient, base: str, types: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for kind in types:
        body = {"criteria": {"type": [kind]}, "rows": 1}
        if base == V7:
            body["time_range"] = {"range": "-1y"}
        answer = (await http.post(f"{base}/alerts/_search", json=body)).json()
        assert answer["results"], f"the emulator raised no {kind} alert"
        found[kind] = answer["results"][0]
    return found


async def test_each_v7_alert_type_has_the_fields_of_its_real_recording() -> None:
    async with _client(_app()) as http:
        alerts = await _one_of_each(http, V7, list(V7_SHAPES))
    for kind, (has, lacks) in V7_SHAPES.items():
        keys = set(alerts[kind])
        assert COMMON | has <= keys, (kind, sorted((COMMON | has) - keys))
        assert not keys & lacks, (kind, sorted(keys & lacks))
    container = alerts["CONTAINER_RUNTIME"]
    assert container["reason_code"] == f"{container['k8s_policy_id']}:{container['k8s_rule_id']}"
    usb = alerts["DEVICE_CONTROL"]
    assert usb["serial_number"] in usb["reason"]
    assert (usb["policy_applied"], usb["run_state"], usb["sensor_action"]) == (
        "APPLIED",
        "DID_NOT_RUN",
        "DENY",
    )
    firewall = alerts["HOST_BASED_FIREWALL"]
    assert firewall["reason_code"] == f"{firewall['rule_category_id']}:{firewall['rule_id']}"


async def test_the_v6_view_uses_the_names_before_the_v7_renames() -> None:
    async with _client(_app()) as http:
        alerts = await _one_of_each(http, V6, list(V6_SHAPES))
        container = alerts["CONTAINER_RUNTIME"]
        v7 = (await http.get(f"{V7}/alerts/{container['id']}")).json()
    for kind, keys in V6_SHAPES.items():
        assert keys <= set(alerts[kind]), (kind, sorted(keys - set(alerts[kind])))
    # No device: zeros and empty strings, as the v6 API showed them; the policy is the k8s one.
    assert (container["device_id"], container["device_name"]) == (0, "")
    assert (container["policy_id"], container["policy_name"]) == (
        v7["k8s_policy_id"],
        v7["k8s_policy"],
    )
    assert (container["cluster_name"], container["replica_id"], container["remote_ip"]) == (
        v7["k8s_cluster"],
        v7["k8s_pod_name"],
        v7["netconn_remote_ip"],
    )


async def test_devices_have_the_fields_of_a_real_device_and_workloads_their_vcenter() -> None:
    async with _client(_app()) as http:
        answer = (await http.post(f"{V6}/devices/_search", json={"rows": 100})).json()
    devices = answer["results"]
    for device in devices:
        assert set(device) >= DEVICE_KEYS, sorted(DEVICE_KEYS - set(device))
    virtual = [d for d in devices if d["virtual_machine"]]
    physical = [d for d in devices if not d["virtual_machine"]]
    assert virtual
    assert physical
    assert all(d["vcenter_uuid"] and d["esx_host_name"] and d["vm_uuid"] for d in virtual)
    assert all(d["vcenter_uuid"] is None and d["vm_name"] is None for d in physical)
    groups = [g for d in devices for g in d["asset_group"]]
    assert groups
    assert all(set(g) == {"id", "name", "membership_type"} for g in groups)
    assert {g["membership_type"] for g in groups} == {"MANUAL", "DYNAMIC"}


async def test_notes_and_history_entries_have_the_real_shape() -> None:
    clock = ManualClock()
    async with _client(_app(clock)) as http:
        alert = (await _one_of_each(http, V7, ["CB_ANALYTICS"]))["CB_ANALYTICS"]
        note = (await http.post(f"{V7}/alerts/{alert['id']}/notes", json={"note": "n"})).json()
        assert set(note) == NOTE_KEYS
        listed = (await http.get(f"{V7}/alerts/{alert['id']}/notes")).json()
        assert listed == {"num_found": 1, "num_available": 1, "results": [note]}
        await http.post(
            f"{V7}/alerts/workflow",
            json={
                "criteria": {"id": [alert["id"]]},
                "status": "CLOSED",
                "determination": "TRUE_POSITIVE",
            },
        )
        clock.advance(2)
        await http.get(f"/jobs/v1/orgs/{ORG}/jobs")  # the job lands when it is next looked at
        history = (await http.get(f"{V7}/alerts/{alert['id']}/history")).json()["history"]
        threat = alert["threat_id"]
        await http.post(f"{V7}/threats/{threat}/notes", json={"note": "t"})
        threat_history = (await http.get(f"{V7}/threats/{threat}/history")).json()["history"]
    assert [h["type"] for h in history] == [
        "USER_WORKFLOW_UPDATE",
        "ALERT_NOTE_ADDED",
        "USER_WORKFLOW_UPDATE",
        "USER_DETERMINATION_UPDATE",
    ]
    assert set(history[1]) == {"type", "note"}
    assert set(history[1]["note"]) == NOTE_KEYS
    assert history[2]["workflow"]["status"] == "CLOSED"
    assert history[3]["determination"]["value"] == "TRUE_POSITIVE"
    assert [h["type"] for h in threat_history] == ["THREAT_NOTE_ADDED"]
    assert threat_history[0]["note"]["note"] == "t"
