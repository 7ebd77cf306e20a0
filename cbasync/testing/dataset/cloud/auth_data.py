"""What Windows authentication events are made of (seed 004): event kinds, logon types,
privileges, failure statuses, the processes that log them and the descriptions route.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cbasync.testing.dataset.cloud.common import GeneratedSet, mix, weighted

__all__ = [
    "AUTH_DESCRIPTIONS",
    "AUTH_EVENT_KINDS",
    "AUTH_PROCESSES",
    "AUTH_SEARCH_FIELDS",
    "FAILURE_STATUSES",
    "LOGON_TYPES",
    "PRIVILEGES",
    "AuthCore",
    "auth_core",
]


AUTH_SEARCH_FIELDS = (
    "auth_domain_name", "auth_event_action", "auth_remote_device", "auth_remote_port",
    "auth_username", "backend_timestamp", "childproc_count", "crossproc_count", "device_group_id",
    "device_id", "device_name", "device_policy_id", "device_timestamp", "event_id",
    "filemod_count", "ingress_time", "modload_count", "netconn_count", "org_id", "parent_guid",
    "parent_pid", "process_guid", "process_hash", "process_name", "process_pid",
    "process_username", "regmod_count", "scriptload_count", "windows_event_id",
)  # fmt: skip


AUTH_EVENT_KINDS: tuple[tuple[int, str, int], ...] = (
    # (windows_event_id, auth_event_action, weight)
    (4624, "LOGON_SUCCESS", 40),
    (4634, "LOGOFF_SUCCESS", 15),
    (4672, "PRIVILEGES_GRANTED", 15),
    (4625, "LOGON_FAILED", 8),
    (4648, "LOGON_SUCCESS", 6),
    (4647, "LOGOFF_INITIATED", 5),
    (4776, "LOGON_DISCOVERED", 8),
    (4740, "ACCOUNT_LOCKED", 2),
    (4777, "LOGON_FAILED", 1),
)


LOGON_TYPES = ((2, 20), (3, 35), (5, 25), (7, 5), (10, 8), (11, 7))


PRIVILEGES = (
    "SeBackupPrivilege", "SeRestorePrivilege", "SeDebugPrivilege", "SeTcbPrivilege",
    "SeSecurityPrivilege", "SeTakeOwnershipPrivilege", "SeImpersonatePrivilege",
    "SeAssignPrimaryTokenPrivilege", "SeLoadDriverPrivilege", "SeSystemEnvironmentPrivilege",
)  # fmt: skip


FAILURE_STATUSES = ("0xC000006DL", "0xC000006AL", "0xC0000064L", "0xC0000234L", "0xC0000072L")


AUTH_DESCRIPTIONS: dict[str, Any] = {
    "event": {
        "4624": "An account was successfully logged on",
        "4625": "An account failed to log on",
        "4634": "An account was logged off",
        "4647": "User initiated logoff",
        "4648": "A logon was attempted using explicit credentials",
        "4672": "Special privileges assigned to new logon",
        "4740": "A user account was locked out",
        "4776": "The domain controller attempted to validate the credentials for an account",
        "4777": "The domain controller failed to validate credentials for an account",
        "6272": "Network Policy Server granted access to a user",
    },
    "status": [
        {"status_id": "0xC0000064L", "message_code": "STATUS_NO_SUCH_USER", "message_description": "The specified account does not exist."},
        {"status_id": "0xC000006AL", "message_code": "STATUS_WRONG_PASSWORD", "message_description": "When trying to update a password, this return status indicates that the value provided as the current password is not correct."},
        {"status_id": "0xC000006DL", "message_code": "STATUS_LOGON_FAILURE", "message_description": "The attempted logon is invalid. This is either due to a bad username or authentication information."},
        {"status_id": "0xC0000072L", "message_code": "STATUS_ACCOUNT_DISABLED", "message_description": "The referenced account is currently disabled and cannot be logged on to."},
        {"status_id": "0xC0000106L", "message_code": "STATUS_NAME_TOO_LONG", "message_description": "A specified name string is too long for its intended use."},
        {"status_id": "0xC000013DL", "message_code": "STATUS_REMOTE_RESOURCES", "message_description": "{Insufficient Resources on Remote Computer} The remote computer has insufficient resources to complete the network request. For instance, there may not be enough memory available on the remote computer to carry out the request at this time."},
        {"status_id": "0xC0000234L", "message_code": "STATUS_ACCOUNT_LOCKED_OUT", "message_description": "The user account has been automatically locked because too many invalid logon attempts or password change attempts have been requested."},
    ],
    "logon_type": {
        "2": {"title": "Interactive", "description": "A user logged on to this computer."},
        "3": {"title": "Network", "description": "A user or computer logged on to this computer from the network."},
        "4": {"title": "Batch", "description": "Batch logon type is used by batch servers, where processes may be executing on behalf of a user without their direct intervention."},
        "5": {"title": "Service", "description": "A service was started by the Service Control Manager."},
        "7": {"title": "Unlock", "description": "This workstation was unlocked."},
        "8": {"title": "NetworkCleartext", "description": "A user logged on to this computer from the network. The user's password was passed to the authentication package in its unhashed form."},
        "9": {"title": "NewCredentials", "description": "A caller cloned its current token and specified new credentials for outbound connections."},
        "10": {"title": "RemoteInteractive", "description": "A user logged on to this computer remotely using Terminal Services or Remote Desktop."},
        "11": {"title": "CachedInteractive", "description": "A user logged on to this computer with network credentials that were stored locally on the computer."},
    },
    "auth_event_action": {
        "ACCOUNT_LOCKED": "A user account was locked out",
        "LOGOFF_INITIATED": "User initiated logoff",
        "LOGOFF_SUCCESS": "An account was logged off",
        "LOGON_DISCOVERED": "Logon session detected",
        "LOGON_FAILED": "An account failed to log on",
        "LOGON_SUCCESS": "An account was successfully logged on",
        "PRIVILEGES_GRANTED": "Special privileges assigned to new logon",
    },
}  # fmt: skip


@dataclass(frozen=True)
class AuthCore:
    device: int
    event: int  # index into AUTH_EVENT_KINDS
    user: str
    domain: str
    user_sid: str
    logon_type: int
    remote: str
    remote_ip: str
    remote_port: int
    process: int  # 0 lsass, 1 winlogon, 2 svchost
    t: float
    h: int


AUTH_PROCESSES = (
    ("c:\\windows\\system32\\lsass.exe", "C:\\Windows\\system32\\lsass.exe", "Local Security Authority Process", "wininit.exe", "c:\\windows\\system32\\wininit.exe"),
    ("c:\\windows\\system32\\winlogon.exe", "winlogon.exe", "Windows Logon Application", "smss.exe", "c:\\windows\\system32\\smss.exe"),
    ("c:\\windows\\system32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", "Host Process for Windows Services", "services.exe", "c:\\windows\\system32\\services.exe"),
)  # fmt: skip


def auth_core(events: GeneratedSet, windows: Sequence[int], j: int) -> AuthCore:
    """Auth event ``j`` of the set: who logged on where, how and when (``windows`` are the
    indices of the Windows endpoints the events happen on)."""
    seed, endpoints, epoch, history = events.seed, events.endpoints, events.epoch, events.history
    h = mix(seed, j, 41)
    device = windows[h % len(windows)]
    ep = endpoints[device]
    weights = [(str(n), w) for n, (_, _, w) in enumerate(AUTH_EVENT_KINDS)]
    event = int(weighted(weights, h >> 8))
    event_id = AUTH_EVENT_KINDS[event][0]
    pick = (h >> 16) % 100
    local = ep.hostname.upper()
    if event_id in (4672,) or pick < 30:
        user, domain, sid = "SYSTEM", "NT AUTHORITY", "S-1-5-18"
        if AUTH_EVENT_KINDS[event][1] in ("LOGON_FAILED", "ACCOUNT_LOCKED"):
            event = 0  # the system account does not fail its own logons
    elif pick < 70:
        user, domain = ep.username.rsplit("\\", 1)[-1], ep.domain or local
        sid = f"{ep.computer_sid}-{1100 + ep.index % 900}"
    elif pick < 80:
        user, domain, sid = "Administrator", local, f"{ep.computer_sid}-500"
    elif pick < 90:
        user, domain = ("svc_backup", "svc_sql", "svc_deploy")[h % 3], "ACME"
        sid = f"S-1-5-21-3623811015-3361044348-30300820-{2000 + h % 3}"
    else:
        user, domain = ("guest", "test", "admin", "scanner")[h % 4], local
        sid = "S-1-0-0"
    logon_type = int(weighted([(str(t), w) for t, w in LOGON_TYPES], h >> 24))
    if user == "SYSTEM":
        logon_type = 5
    network = logon_type in (3, 10)
    src = endpoints[(device + 1 + (h >> 32) % max(len(endpoints) - 1, 1)) % len(endpoints)]
    remote = src.hostname.upper() if network else "-"
    remote_ip = src.internal_ip if network else "-"
    remote_port = (49_152 + (h >> 40) % 16_000) if network else 0
    process = 1 if logon_type in (2, 7, 11) else (2 if logon_type == 5 and user != "SYSTEM" else 0)
    t = epoch - 60 - (h >> 20) % max(history - 120, 1)
    return AuthCore(
        device,
        event,
        user,
        domain,
        sid,
        logon_type,
        remote,
        remote_ip,
        remote_port,
        process,
        t,
        h,
    )
