"""How a device is shown: the platform v6 document and the Defense v3 ``deviceInfo``.

:class:`DeviceViews` is mixed into :class:`~cbasync.testing.dataset.cloud.devices.DeviceStore`;
what it reads of the store (the facts derived from an endpoint and its cloud-only state) is the
:class:`DeviceFacts` protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cbasync.testing.dataset.cloud.common import iso, stable, uuid_of
from cbasync.testing.dataset.endpoints import Endpoint

__all__ = ["ASSET_GROUPS", "ORG_ID", "VCENTER", "DeviceExtra", "DeviceFacts", "DeviceViews"]

# The organization id shown on devices (the org key is what clients address it by).
ORG_ID = 1105

#: The org's asset groups: id, name, and how a device becomes a member (a DYNAMIC group's
#: query matches servers; the MANUAL group was filled by hand with every fifth device).
ASSET_GROUPS = (
    ("db416fa2-d5f2-4fb5-8a5e-cd89f6ecda16", "Servers", "DYNAMIC"),
    ("509f437f-6b9a-4b8e-996e-9183b35f9069", "Incident watch", "MANUAL"),
)
#: The vCenter that manages the org's virtual machines (servers and domain controllers).
VCENTER = {
    "appliance_name": "cb-appliance-01",
    "appliance_uuid": "f6660a01-b0e5-46a7-aed0-45bf988ea78c",
    "cluster_name": "Cluster-01",
    "datacenter_name": "Datacenter-East",
    "vcenter_name": "VMware vCenter Server 7.0.3 build-20150588",
    "vcenter_host_url": "10.105.5.63",
    "vcenter_uuid": "4a6b1382-f917-4e1a-8564-374cb7274bd7",
}


@dataclass
class DeviceExtra:
    """Cloud-only mutable state of a device (the rest lives on the shared Endpoint)."""

    scan_enabled: bool = False
    scan_changed: float | None = None
    policy_changed: float | None = None
    sensor_update_requested: str | None = None
    uninstall_requested: float | None = None


class DeviceFacts(Protocol):
    """What the views read of the device store."""

    org_name: str
    now: Callable[[], float]

    def extra_of(self, ep: Endpoint) -> DeviceExtra: ...

    def status(self, ep: Endpoint) -> str: ...

    def last_contact(self, ep: Endpoint) -> float: ...

    def quarantined(self, ep: Endpoint) -> bool: ...

    def deployment_type(self, ep: Endpoint) -> str: ...

    def target_priority(self, ep: Endpoint) -> str: ...

    def v6(self, ep: Endpoint) -> dict[str, Any]: ...


class DeviceViews:
    """The JSON documents of a device (mixed into the device store)."""

    def v6(self: DeviceFacts, ep: Endpoint) -> dict[str, Any]:
        """The platform v6 device document."""
        extra = self.extra_of(ep)
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
        vm = ep.host_type != "workstation"
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
            "av_update_servers": None,
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
            "organization_id": ORG_ID,
            "organization_name": self.org_name,
            "activation_code": None,
            "activation_code_expiry_time": iso(registered + 30 * 86_400),
            "encoded_activation_code": None,
            "uninstall_code": f"{stable('uninstall', ep.index) % 10**8:08d}",
            "uninstall_requested": extra.uninstall_requested is not None,
            "windows_platform": None,
            "linux_kernel_version": "5.15.0-91-generic" if ep.os_family == "linux" else None,
            "virtual_machine": vm,
            "virtualization_provider": "VMW_ESX" if vm else "UNKNOWN",
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
            "asset_group": [
                {"id": group_id, "name": name, "membership_type": membership}
                for group_id, name, membership in ASSET_GROUPS
                if (vm if membership == "DYNAMIC" else ep.index % 5 == 0)
            ],
            "vuln_score": round(stable("vuln", ep.index) % 1000 / 100, 2),
            "vuln_severity": ("LOW", "MODERATE", "IMPORTANT", "CRITICAL")[ep.index % 4],
            # VMware workloads: where the virtual machine runs (None on physical machines).
            **{key: value if vm else None for key, value in VCENTER.items()},
            "esx_host_name": f"esx-{ep.index % 4 + 1:02d}.example.net" if vm else None,
            "esx_host_uuid": uuid_of("esx", ep.index % 4) if vm else None,
            "vm_ip": ep.internal_ip if vm else None,
            "vm_name": ep.hostname if vm else None,
            "vm_uuid": uuid_of("vm", ep.device_id) if vm else None,
        }

    def v3(self: DeviceFacts, ep: Endpoint) -> dict[str, Any]:
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
            "organizationId": ORG_ID,
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
