"""Auth events (seed 004): Windows authentication events spread over the Windows devices.

The cheap facts of an event (who, where, how, when) are generated once for all events
(:func:`~cbasync.testing.dataset.cloud.auth_data.auth_core`); its documents are built from them
when returned.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from cbasync.testing.dataset.cloud.auth_data import (
    AUTH_EVENT_KINDS,
    AUTH_PROCESSES,
    AUTH_SEARCH_FIELDS,
    FAILURE_STATUSES,
    PRIVILEGES,
    AuthCore,
    auth_core,
)
from cbasync.testing.dataset.cloud.common import GeneratedSet, RowSpec, iso, stable, uuid_of
from cbasync.testing.query import FieldType
from cbasync.testing.search import (
    Column,
    Getter,
    Table,
)

__all__ = ["AuthEventStore"]

#: Search rows kept built (about 1 KB each): the default dataset's 5,000 events, and more.
SEARCH_DOC_CACHE = 50_000


class AuthEventStore(GeneratedSet):
    """Windows authentication events spread over the Windows devices."""

    #: An event's search row (its default fields) never changes once generated.
    rows_are_fixed = True

    def __init__(self, spec: RowSpec) -> None:
        windows = [ep.index for ep in spec.endpoints if ep.os_family == "windows"]
        super().__init__(spec if windows else replace(spec, count=0))
        self._windows = windows
        self._core: list[AuthCore] | None = None
        self._ids: dict[str, int] | None = None
        self._search_docs: dict[int, dict[str, Any]] = {}
        self.table = self._table()

    def core(self, i: int) -> AuthCore:
        if self._core is None:
            self._core = [auth_core(self, self._windows, j) for j in range(self.count)]
        return self._core[i]

    def event_id(self, i: int) -> str:
        return uuid_of("auth", self.seed, i).upper()

    def index_of(self, event_id: str) -> int | None:
        if self._ids is None:
            self._ids = {self.event_id(i): i for i in range(self.count)}
        return self._ids.get(str(event_id).upper())

    def _proc_guid(self, i: int, parent: bool = False) -> str:
        c = self.core(i)
        ep = self.endpoints[c.device]
        pid = 608 if parent else (776 + 4 * c.process) + 4 * (c.h % 50)
        boot = int((self.epoch - ep.uptime + 11_644_473_600) * 10_000_000)
        return f"{self.org_key}-{ep.device_id & 0xFFFFFFFF:08x}-{pid:08x}-00000000-{boot + (0 if parent else 30_000_000):x}"

    def doc(self, i: int, *, full: bool = False) -> dict[str, Any]:
        c = self.core(i)
        ep = self.endpoints[c.device]
        event_id, action, _ = AUTH_EVENT_KINDS[c.event]
        path, cmdline, description, parent_name, parent_path = AUTH_PROCESSES[c.process]
        pid = 776 + 4 * c.process + 4 * (c.h % 50)
        md5 = hashlib.md5(path.encode(), usedforsecurity=False).hexdigest()
        sha = hashlib.sha256(path.encode()).hexdigest()
        counts = (c.h >> 3) % 60
        doc: dict[str, Any] = {
            "auth_domain_name": c.domain,
            "auth_event_action": action,
            "auth_remote_device": c.remote,
            "auth_remote_port": c.remote_port,
            "auth_username": c.user,
            "backend_timestamp": iso(c.t + 60),
            "childproc_count": 0,
            "crossproc_count": counts,
            "device_group_id": 0,
            "device_id": ep.device_id,
            "device_name": ep.hostname.lower(),
            "device_policy_id": ep.policy_id,
            "device_timestamp": iso(c.t),
            "event_id": self.event_id(i),
            "filemod_count": counts % 7,
            "ingress_time": int((c.t + 75) * 1000),
            "modload_count": counts % 3,
            "netconn_count": counts % 40,
            "org_id": self.org_key,
            "parent_guid": self._proc_guid(i, parent=True),
            "parent_pid": 608,
            "process_guid": self._proc_guid(i),
            "process_hash": [md5, sha],
            "process_name": path,
            "process_pid": [pid],
            "process_username": ["NT AUTHORITY\\SYSTEM"],
            "regmod_count": counts % 13,
            "scriptload_count": 0,
            "windows_event_id": event_id,
        }
        if not full:
            return doc
        failed = action in ("LOGON_FAILED", "ACCOUNT_LOCKED")
        privileged = event_id == 4672 or c.user in ("SYSTEM", "Administrator")
        doc.update(
            {
                "auth_cleartext_credentials_logon": c.logon_type == 8,
                "auth_daemon_logon": c.logon_type == 5,
                "auth_elevated_token_logon": privileged,
                "auth_failed_logon_count": (c.h % 5 + 1) if failed else 0,
                "auth_failure_reason": FAILURE_STATUSES[c.h % len(FAILURE_STATUSES)]
                if failed
                else None,
                "auth_impersonation_level": "IMPERSONATION_LOCAL_ONLY"
                if c.logon_type == 5
                else "IMPERSONATION_INVALID",
                "auth_interactive_logon": c.logon_type in (2, 7, 10, 11),
                "auth_key_length": 128 if c.logon_type == 3 else 0,
                "auth_logon_id": f"00000000-{c.h % 0xFFFFFF:08X}",
                "auth_logon_type": c.logon_type,
                "auth_package": "Kerberos"
                if c.logon_type == 3 and c.domain == "ACME"
                else ("NTLM" if c.logon_type == 3 else "Negotiate"),
                "auth_privileges": list(PRIVILEGES[: 3 + c.h % 7]) if privileged else [],
                "auth_remote_ipv4": c.remote_ip,
                "auth_remote_logon": c.logon_type in (3, 10),
                "auth_restricted_admin_logon": False,
                "auth_user_id": c.user_sid,
                "auth_virtual_account_logon": False,
                "device_external_ip": ep.external_ip,
                "device_installed_by": f"{ep.domain or ep.hostname}\\Administrator",
                "device_internal_ip": ep.internal_ip,
                "device_location": "OFFSITE" if ep.index % 4 == 1 else "ONSITE",
                "device_os": "WINDOWS",
                "device_os_version": ep.cloud_os_version,
                "device_policy": ep.policy_name,
                "device_sensor_version": ep.cloud_sensor_version,
                "device_target_priority": "HIGH" if ep.host_type != "workstation" else "MEDIUM",
                "document_guid": f"{stable('doc', self.seed, i):022x}"[:22],
                "parent_cmdline": parent_name,
                "parent_cmdline_length": len(parent_name),
                "parent_effective_reputation": "TRUSTED_WHITE_LIST",
                "parent_effective_reputation_source": "IGNORE",
                "parent_hash": [
                    hashlib.md5(parent_path.encode(), usedforsecurity=False).hexdigest(),
                    hashlib.sha256(parent_path.encode()).hexdigest(),
                ],
                "parent_name": parent_path,
                "parent_publisher": ["Microsoft Windows Publisher"],
                "parent_publisher_state": [
                    "FILE_SIGNATURE_STATE_VERIFIED",
                    "FILE_SIGNATURE_STATE_OS",
                    "FILE_SIGNATURE_STATE_TRUSTED",
                    "FILE_SIGNATURE_STATE_SIGNED",
                ],
                "parent_reputation": "TRUSTED_WHITE_LIST",
                "process_cmdline": [cmdline],
                "process_cmdline_length": [len(cmdline)],
                "process_company_name": "Microsoft Corporation",
                "process_effective_reputation": "TRUSTED_WHITE_LIST",
                "process_effective_reputation_source": "IGNORE",
                "process_elevated": True,
                "process_file_description": description,
                "process_integrity_level": "SYSTEM",
                "process_internal_name": path.rsplit("\\", 1)[-1],
                "process_original_filename": path.rsplit("\\", 1)[-1],
                "process_privileges": list(PRIVILEGES[:6]),
                "process_product_name": "Microsoft\u00ae Windows\u00ae Operating System",
                "process_product_version": "10.0.19041.906",
                "process_publisher": ["Microsoft Windows Publisher"],
                "process_publisher_state": [
                    "FILE_SIGNATURE_STATE_VERIFIED",
                    "FILE_SIGNATURE_STATE_OS",
                    "FILE_SIGNATURE_STATE_TRUSTED",
                    "FILE_SIGNATURE_STATE_SIGNED",
                ],
                "process_reputation": "TRUSTED_WHITE_LIST",
                "process_sha256": sha,
                "process_start_time": iso(self.epoch - ep.uptime + 3),
            }
        )
        return doc

    def project(self, i: int, fields: Sequence[str] | None) -> dict[str, Any]:
        wanted = [f for f in (fields or ["*"]) if f != "*"]
        if not wanted:
            return self.search_doc(i)
        full = self.doc(i, full=True)
        keep = set(AUTH_SEARCH_FIELDS) | set(wanted)
        return {k: v for k, v in full.items() if k in keep}

    def search_doc(self, i: int) -> dict[str, Any]:
        """A search row (the default fields), built once per event: events never change, and a
        hunt reads the same rows job after job (a copy is handed out, so callers may edit it)."""
        doc = self._search_docs.get(i)
        if doc is None:
            if len(self._search_docs) >= SEARCH_DOC_CACHE:
                self._search_docs.clear()
            doc = self._search_docs[i] = self.doc(i)
        return dict(doc)

    def _table(self) -> Table:
        def c(attr: str) -> Getter:
            return lambda i: getattr(self.core(i), attr)

        def full(name: str) -> Getter:
            return lambda i: self.doc(i, full=True).get(name)

        eps = self.endpoints
        cols: dict[str, Column] = {
            "auth_username": c("user"),
            "auth_domain_name": c("domain"),
            "auth_user_id": c("user_sid"),
            "auth_logon_type": c("logon_type"),
            "auth_remote_device": c("remote"),
            "auth_remote_ipv4": c("remote_ip"),
            "auth_remote_port": c("remote_port"),
            "auth_event_action": lambda i: AUTH_EVENT_KINDS[self.core(i).event][1],
            "windows_event_id": lambda i: AUTH_EVENT_KINDS[self.core(i).event][0],
            "auth_interactive_logon": lambda i: self.core(i).logon_type in (2, 7, 10, 11),
            "auth_remote_logon": lambda i: self.core(i).logon_type in (3, 10),
            "auth_daemon_logon": lambda i: self.core(i).logon_type == 5,
            "device_id": lambda i: eps[self.core(i).device].device_id,
            "device_name": lambda i: eps[self.core(i).device].hostname.lower(),
            "device_policy_id": lambda i: eps[self.core(i).device].policy_id,
            "device_policy": lambda i: eps[self.core(i).device].policy_name,
            "device_os_version": lambda i: eps[self.core(i).device].cloud_os_version,
            "device_group_id": lambda i: 0,
            "device_timestamp": c("t"),
            "backend_timestamp": lambda i: self.core(i).t + 60,
            "ingress_time": lambda i: int((self.core(i).t + 75) * 1000),
            "event_id": self.event_id,
            "org_id": lambda i: self.org_key,
            "process_name": lambda i: AUTH_PROCESSES[self.core(i).process][0],
            "parent_name": lambda i: AUTH_PROCESSES[self.core(i).process][4],
            "process_guid": self._proc_guid,
            "parent_guid": lambda i: self._proc_guid(i, parent=True),
            "parent_pid": lambda i: 608,
            "process_pid": lambda i: [776 + 4 * self.core(i).process + 4 * (self.core(i).h % 50)],
            "process_username": lambda i: ["NT AUTHORITY\\SYSTEM"],
            "auth_privileges": full("auth_privileges"),
            "auth_logon_id": full("auth_logon_id"),
            "auth_package": full("auth_package"),
            "auth_failed_logon_count": full("auth_failed_logon_count"),
            "auth_elevated_token_logon": full("auth_elevated_token_logon"),
            "process_hash": full("process_hash"),
        }
        for name in (
            "childproc_count",
            "crossproc_count",
            "filemod_count",
            "modload_count",
            "netconn_count",
            "regmod_count",
            "scriptload_count",
        ):
            cols[name] = (lambda n: lambda i: self.doc(i)[n])(name)
        schema: dict[str, FieldType] = dict.fromkeys(cols, "keyword")
        schema.update(
            {
                "process_name": "text",
                "parent_name": "text",
                "auth_logon_type": "number",
                "auth_remote_port": "number",
                "windows_event_id": "number",
                "device_id": "number",
                "device_policy_id": "number",
                "device_group_id": "number",
                "parent_pid": "number",
                "process_pid": "number",
                "auth_failed_logon_count": "number",
                "ingress_time": "number",
                "auth_interactive_logon": "bool",
                "auth_remote_logon": "bool",
                "auth_daemon_logon": "bool",
                "auth_elevated_token_logon": "bool",
                "auth_remote_ipv4": "ip",
                "device_timestamp": "date",
                "backend_timestamp": "date",
            }
        )
        return Table(
            count=lambda: self.count,
            columns=cols,
            schema=schema,
            default_fields=("auth_username", "device_name", "process_name", "auth_domain_name"),
            time_field="device_timestamp",
            time_criteria=frozenset({"device_timestamp", "backend_timestamp"}),
        )

    def fields(self) -> list[str]:
        """Every field a detail document has (for suggestions)."""
        return sorted(self.doc(0, full=True)) if self.count else list(AUTH_SEARCH_FIELDS)
