"""The seed tables of an App Control server: the collections that are fixed data, kept apart
from the rules that change them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cbasync.testing.dataset._fmt import DAY
from cbasync.testing.dataset.protection.core import iso_seconds

__all__ = ["StaticTable", "static_tables"]


@dataclass(frozen=True)
class StaticTable:
    """A small collection whose rows are fixed data."""

    name: str
    rows: list[dict[str, Any]]
    creatable: bool = False
    updatable: bool = False
    deletable: bool = False


def static_tables(
    *,
    now: float,
    api_username: str,
    malware_catalog: Callable[[int], int],
    malware_name: Callable[[int], str],
    malware_md5: Callable[[int], str],
    powershell_id: int,
    usernames: Sequence[str],
) -> list[StaticTable]:
    """The fixed collections of a fresh server (users, user groups, settings, connectors...).

    ``now`` is the end of the generated history, ``malware_catalog(k)`` the catalog id of the
    k-th malware file (``malware_name(k)``, ``malware_md5(k)`` its name and MD5), ``powershell_id`` the catalog id of powershell.exe, ``usernames`` those
    of the first computers.
    """
    return [
        StaticTable(
            "user",
            [
                {
                    "id": 1,
                    "name": "admin",
                    "firstName": "Admin",
                    "lastName": "User",
                    "eMailAddress": "admin@acme.example",
                    "title": "",
                    "department": "IT",
                    "comments": "",
                    "enabled": True,
                    "readOnly": False,
                    "external": False,
                    "userGroupIds": "1",
                    "registrationDate": iso_seconds(now - 400 * DAY),
                },
                {
                    "id": 2,
                    "name": api_username,
                    "firstName": "API",
                    "lastName": "Client",
                    "eMailAddress": "api@acme.example",
                    "title": "",
                    "department": "SecOps",
                    "comments": "integration account",
                    "enabled": True,
                    "readOnly": False,
                    "external": False,
                    "userGroupIds": "1",
                    "registrationDate": iso_seconds(now - 200 * DAY),
                },
                {
                    # An internal user: the API cannot change it (readOnly).
                    "id": 3,
                    "name": "System",
                    "firstName": "",
                    "lastName": "",
                    "eMailAddress": "",
                    "title": "",
                    "department": "",
                    "comments": "internal",
                    "enabled": True,
                    "readOnly": True,
                    "external": False,
                    "userGroupIds": "1",
                    "registrationDate": iso_seconds(now - 400 * DAY),
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        ),
        StaticTable(
            "userGroup",
            [
                {
                    "id": 1,
                    "name": "Admin",
                    "description": "Full access",
                    "enabled": True,
                    "editable": False,
                    "permissions": "FFFFFFFFFFFFFFFF",
                    "policyIds": "",
                    "dateCreated": iso_seconds(now - 400 * DAY),
                },
                {
                    "id": 2,
                    "name": "Read Only",
                    "description": "View only",
                    "enabled": True,
                    "editable": True,
                    "permissions": "0000000000000401",
                    "policyIds": "",
                    "dateCreated": iso_seconds(now - 400 * DAY),
                },
                {
                    "id": 3,
                    "name": "Power Users",
                    "description": "Approve files",
                    "enabled": True,
                    "editable": True,
                    "permissions": "00000000000F0C01",
                    "policyIds": "1,2",
                    "dateCreated": iso_seconds(now - 300 * DAY),
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        ),
        StaticTable(
            "grantedUserPolicyPermission",
            [{"id": 1, "userId": 2, "policyId": 1}, {"id": 2, "userId": 2, "policyId": 2}],
        ),
        StaticTable(
            "serverConfig",
            [
                {"id": k, "name": name, "value": value}
                for k, (name, value) in enumerate(
                    (
                        ("ParityServerVersion", "8.10.2.2"),
                        ("ServerVersion", "8.10.2.2"),
                        ("AgentVersion", "8.10.2.2"),
                        ("MaxConcurrentDownloads", 5),
                        ("ReputationEnabled", "True"),
                        ("SyslogEnabled", "False"),
                        ("LiveResponseEnabled", "True"),
                    ),
                    start=1,
                )
            ],
            updatable=True,
        ),
        StaticTable(
            "serverPerformance",
            [{"id": 1, "cpuPercent": 12, "memoryPercent": 41, "databaseSizeMb": 8123}],
        ),
        StaticTable(
            "connector",
            [
                {
                    "id": 1,
                    "name": "Carbon Black Cloud Analysis",
                    "enabled": True,
                    "analysisName": "CB Cloud",
                    "analysisEnabled": True,
                    "connectorVersion": "1.3",
                    "canAnalyze": True,
                    "isInternal": True,
                    "analysisTargets": ["Windows 10 x64", "Windows Server 2019"],
                },
                {
                    "id": 2,
                    "name": "Palo Alto WildFire",
                    "enabled": False,
                    "analysisName": "WildFire",
                    "analysisEnabled": False,
                    "connectorVersion": "2.1",
                    "canAnalyze": True,
                    "isInternal": False,
                    "analysisTargets": [],
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        ),
        StaticTable(
            "notifier",
            [{"id": 1, "name": "SOC mailbox", "enabled": True}],
            creatable=True,
            updatable=True,
            deletable=True,
        ),
        StaticTable(
            "notification",
            [
                {
                    "id": 1,
                    "connectorId": 1,
                    "fileAnalysisId": 1,
                    "time": iso_seconds(now - 2 * DAY),
                    "analysisResult": 3,
                    "fileName": malware_name(0),
                    "md5": malware_md5(0),
                    "malwareName": "Trojan.GenericKD",
                    "malwareType": "trojan",
                    "severity": "high",
                    "type": "malware",
                    "product": "CB Cloud",
                    "version": "1.3",
                    "status": "resolved",
                    "flags": 0,
                },
            ],
            creatable=True,
        ),
        StaticTable(
            "scriptRule",
            [
                {
                    "id": 1,
                    "name": "PowerShell",
                    "extensions": "ps1|psm1",
                    "interpreters": "powershell.exe",
                    "enabled": True,
                },
                {
                    "id": 2,
                    "name": "Batch",
                    "extensions": "bat|cmd",
                    "interpreters": "cmd.exe",
                    "enabled": True,
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        ),
        StaticTable(
            "trustedDirectory",
            [
                {
                    "id": 1,
                    "computerId": 1,
                    "path": "\\\\fileserver\\software",
                    "name": "Software share",
                    "description": "IT installers",
                    "enabled": True,
                    "dateCreated": iso_seconds(now - 90 * DAY),
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        ),
        StaticTable(
            "trustedUser",
            [
                {
                    "id": 1,
                    "name": "ACME\\svc_deploy",
                    "userSid": "S-1-5-21-1-2-3-1105",
                    "description": "Software deployment",
                    "platformId": 1,
                    "dateCreated": iso_seconds(now - 120 * DAY),
                    "createdBy": "admin",
                    "createdByUserId": 1,
                    "dateModified": iso_seconds(now - 120 * DAY),
                    "modifiedBy": "admin",
                    "modifiedByUserId": 1,
                    "clVersion": 1001,
                },
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        ),
        StaticTable(
            "updater",
            [
                {"id": k, "name": name, "version": ver, "enabled": True}
                for k, (name, ver) in enumerate(
                    (
                        ("Microsoft Windows Update", "10"),
                        ("Google Chrome", "124"),
                        ("Adobe Acrobat Reader", "24"),
                    ),
                    start=1,
                )
            ],
            updatable=True,
        ),
        StaticTable(
            "driftReport",
            [
                {
                    "id": 1,
                    "name": "Baseline vs. workstations",
                    "dateCreated": iso_seconds(now - 10 * DAY),
                }
            ],
            creatable=True,
            updatable=True,
            deletable=True,
        ),
        StaticTable(
            "driftReportContents",
            [
                {
                    "id": k,
                    "driftReportId": 1,
                    "fileCatalogId": malware_catalog(k),
                    "computerId": k,
                }
                for k in range(1, 4)
            ],
        ),
        StaticTable(
            "fileAnalysis",
            [
                {
                    "id": 1,
                    "computerId": 5,
                    "fileCatalogId": malware_catalog(0),
                    "connectorId": 1,
                    "analysisStatus": 3,
                    "analysisResult": 3,
                    "dateCreated": iso_seconds(now - 3 * DAY),
                    "dateModified": iso_seconds(now - 3 * DAY + 600),
                },
                {
                    # Waiting for connector 1: listed as a pending analysis until a
                    # notification reports its result.
                    "id": 2,
                    "computerId": 3,
                    "fileCatalogId": malware_catalog(1),
                    "connectorId": 1,
                    "analysisStatus": 1,
                    "analysisResult": 0,
                    "dateCreated": iso_seconds(now - 3600),
                    "dateModified": iso_seconds(now - 3600),
                },
            ],
            creatable=True,
            updatable=True,
        ),
        StaticTable("fileUpload", [], creatable=True, updatable=True, deletable=True),
        # Filled from the analyses still waiting (see the backend's analysis rules).
        StaticTable("pendingAnalysis", [], updatable=True),
        StaticTable(
            "internalEvent",
            [
                {
                    "id": 1,
                    "timestamp": iso_seconds(now - DAY),
                    "description": "Server started",
                    "type": 1,
                },
            ],
        ),
        StaticTable(
            "meteredExecution",
            [
                {
                    "id": k,
                    "computerId": k,
                    "fileCatalogId": powershell_id,
                    "timestamp": iso_seconds(now - k * 3600),
                    "userName": usernames[k - 1],
                }
                for k in range(1, min(len(usernames), 5) + 1)
            ],
        ),
        StaticTable(
            "appTemplate", [{"id": 1, "name": "Office Suite"}, {"id": 2, "name": "Browsers"}]
        ),
    ]
