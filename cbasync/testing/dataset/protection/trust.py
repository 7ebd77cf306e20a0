"""What App Control trusts or bans: publishers and their certificates, file rules, approval
requests.
"""

from __future__ import annotations

from typing import Any

from cbasync.testing.dataset._fmt import DAY, mix
from cbasync.testing.dataset.protection.core import ProtectionCore, iso_seconds
from cbasync.testing.dataset.protection.fields import (
    APPROVED,
    BANNED,
)

__all__ = ["Trust"]


class Trust(ProtectionCore):
    """Publishers, certificates, seeded file rules and approval requests."""

    def _build_publishers(self) -> list[dict[str, Any]]:
        names: dict[str, int] = {}
        bins = self.binaries
        for i in range(bins.count):
            pub = bins.entry(i).publisher
            if pub:
                names[pub] = names.get(pub, 0) + 1
        self._os_files = {}
        out: list[dict[str, Any]] = []
        for k, (name, count) in enumerate(sorted(names.items()), start=1):
            out.append(
                {
                    "id": k,
                    "name": name,
                    "description": "",
                    "publisherState": 2,
                    "publisherReputation": 3
                    if name in ("Microsoft Corporation", "Google LLC")
                    else 2,
                    "reputationApprovalsEnabled": True,
                    "policyIds": "",
                    "signedFilesCount": count,
                    "signedCertificateCount": 1,
                    "dateCreated": iso_seconds(self.epoch - 600 * DAY),
                    "dateModified": iso_seconds(self.epoch - 60 * DAY),
                }
            )
        self._publisher_by_name = {p["name"]: p for p in out}
        self._global_rule = {}
        return out

    def _certificate(self, publisher: dict[str, Any]) -> dict[str, Any]:
        k = publisher["id"]
        h = mix(self.seed, k, 0xCE)
        return {
            "id": k,
            "parentCertificateId": 0,
            "publisherId": k,
            "thumbprint": f"{h:016X}{mix(h):016X}{mix(h, 1) & 0xFFFFFFFF:08X}",
            "thumbprintAlgorithm": "SHA1",
            "subjectName": f"CN={publisher['name']}",
            "serialNumber": f"{mix(h, 2):016x}",
            "validFrom": iso_seconds(self.epoch - 700 * DAY),
            "validTo": iso_seconds(self.epoch + 300 * DAY),
            "description": "",
            "dateCreated": publisher["dateCreated"],
            "dateModified": publisher["dateModified"],
            "certificateGlobalState": 2,
            "certificateEffectiveState": 2,
            "firstSeenComputerId": 1 + (k - 1) % len(self.endpoints),
        }

    def _seed_rules(self) -> list[dict[str, Any]]:
        bins = self.binaries
        rows = []
        malware = [
            i for i in range(bins.known_count, bins.count) if bins.entry(i).kind == "malware"
        ]
        created = self.epoch - 45 * DAY
        for k, i in enumerate(malware[:3], start=1):
            rows.append(
                self._rule_row(
                    k, bins.md5(i), BANNED, f"Ban {bins.entry(i).name}", "", created, i + 1
                )
            )
        apps = [i for i in range(bins.known_count, bins.count) if bins.entry(i).kind == "app"]
        for k, i in enumerate(apps[:2], start=len(rows) + 1):
            rows.append(
                self._rule_row(
                    k, bins.md5(i), APPROVED, f"Approve {bins.entry(i).name}", "1,2", created, i + 1
                )
            )
        for row in rows:
            if row["policyIds"] in ("", "0"):
                self._global_rule[row["hash"].lower()] = row["fileState"]
        return rows

    def _rule_row(
        self, rid: int, md5: str, state: int, name: str, policies: str, when: float, catalog: int
    ) -> dict[str, Any]:
        return {
            "id": rid,
            "fileCatalogId": catalog,
            "name": name,
            "description": "",
            "fileState": state,
            "hash": md5.upper(),
            "fileName": "",
            "policyIds": policies,
            "reportOnly": False,
            "reputationApprovalsEnabled": False,
            "forceInstaller": False,
            "forceNotInstaller": False,
            "platformFlags": 0,
            "sourceType": 1,
            "sourceId": 0,
            "dateCreated": iso_seconds(when),
            "createdBy": "admin",
            "createdByUserId": 1,
            "dateModified": iso_seconds(when),
            "modifiedBy": "admin",
            "modifiedByUserId": 1,
            "clVersion": 1000 + rid,
        }

    def _approval_requests(self) -> list[dict[str, Any]]:
        rows = []
        bins = self.binaries
        for k in range(1, 6):
            ep = self.endpoints[(k * 3) % len(self.endpoints)]
            apps = bins.apps_of(ep.index) or (0,)
            cat = apps[0]
            rows.append(
                {
                    "id": k,
                    "fileCatalogId": cat + 1,
                    "computerId": ep.index + 1,
                    "computerName": f"ACME\\{ep.hostname}",
                    "fileName": bins.entry(cat).name,
                    "pathName": bins.entry(cat).path.rsplit("\\", 1)[0],
                    "dateCreated": iso_seconds(self.epoch - k * DAY),
                    "dateModified": iso_seconds(self.epoch - k * DAY),
                    "status": 1 if k > 2 else 3,
                    "resolution": 0 if k > 2 else 2,
                    "requestorEmail": ep.email,
                    "justification": "Needed for my work",
                    "resolutionComments": "" if k > 2 else "Approved",
                    "installerFileCatalogId": 0,
                    "processFileCatalogId": self.binaries.image_index["explorer"] + 1,
                }
            )
        return rows
