"""The write rules of App Control: what can be created, updated or deleted, what is refused (403
for what cannot change, 400 for a bad value), and what a change implies (a file rule changes
the state of every catalog entry, instance and event of that hash).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cbasync.testing.dataset._fmt import mix
from cbasync.testing.dataset.errors import Forbidden, Invalid, NotFound
from cbasync.testing.dataset.protection.core import iso_seconds
from cbasync.testing.dataset.protection.fields import (
    APPROVED,
    BANNED,
    UNAPPROVED,
)
from cbasync.testing.dataset.protection.rows import GeneratedRows
from cbasync.testing.dataset.protection.store import Collection

__all__ = ["WriteRules"]


class WriteRules(GeneratedRows):
    """What a create, update or delete may change, and what it changes in turn."""

    _DIAGNOSTICS = (
        "debugLevel",
        "kernelDebugLevel",
        "debugFlags",
        "debugDuration",
        "ccLevel",
        "ccFlags",
    )
    # What ?changeTemplate=true applies: the fields cbapi sends it for.
    _TEMPLATE = (
        "template",
        "templateCloneCleanupMode",
        "templateCloneCleanupTime",
        "templateCloneCleanupTimeScale",
        "templateTrackModsOnly",
    )
    # Kept by the server whatever an update says.
    _SERVER_MAINTAINED = frozenset(
        {
            "dateCreated",
            "createdBy",
            "createdByUserId",
            "dateModified",
            "modifiedBy",
            "modifiedByUserId",
            "clVersion",
            "readOnly",
            "totalComputers",
            "connectedComputers",
            "atEnforcementComputers",
            "clVersionMax",
        }
    )
    # Fields a create must carry (cbapi's schemas for these objects).
    _REQUIRED_ON_CREATE: Mapping[str, tuple[str, ...]] = {
        "connector": (
            "name",
            "analysisName",
            "connectorVersion",
            "canAnalyze",
            "enabled",
            "analysisEnabled",
        ),
        "notification": ("analysisResult", "fileAnalysisId"),
        "fileAnalysis": ("computerId", "fileCatalogId", "connectorId"),
        "fileUpload": ("computerId", "fileCatalogId"),
        "trustedUser": ("name", "userSid", "description", "platformId"),
    }

    def create(self, name: str, body: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """POST: create (True) or, with an existing ``id`` in the body, update (False) - also
        for objects that cannot be created (a file instance's local state, wire §9.1)."""
        coll = self.collection(name)
        oid = body.get("id")
        if oid not in (None, 0, "0", ""):
            try:
                existing = coll.get(int(oid))
            except (TypeError, ValueError):
                raise Invalid(f"id must be an integer, not {oid!r}") from None
            if existing is not None:
                return self.update(name, int(oid), body, {}), False
        if not coll.creatable:
            raise Forbidden(f"{name} objects cannot be created")
        missing = [
            key for key in self._REQUIRED_ON_CREATE.get(name, ()) if body.get(key) in (None, "")
        ]
        if missing:
            raise Invalid(f"a new {name} needs {', '.join(missing)}")
        row = self._validate(name, coll, dict(body), None)
        row["id"] = coll.new_id()
        coll.put(row)
        self._after_write(name, row)
        return row, True

    def update(
        self, name: str, oid: int, body: Mapping[str, Any], flags: Mapping[str, str]
    ) -> dict[str, Any]:
        coll = self.collection(name)
        current = coll.get(oid)
        if current is None:
            raise NotFound(f"{name} {oid} not found")
        if not coll.updatable or current.get("readOnly") is True:
            raise Forbidden(f"{name} {oid} cannot be changed")
        row = dict(current)
        changes = {k: v for k, v in body.items() if k != "id" and k not in self._SERVER_MAINTAINED}
        if name == "computer":
            changes = self._computer_changes(row, changes, flags)
        row.update(changes)
        row = self._validate(name, coll, row, current)
        row["id"] = oid
        coll.put(row)
        self._after_write(name, row)
        return row

    def delete(self, name: str, oid: int) -> None:
        coll = self.collection(name)
        current = coll.get(oid)
        if current is None:
            raise NotFound(f"{name} {oid} not found")
        if not coll.deletable or current.get("readOnly") is True:
            raise Forbidden(f"{name} {oid} cannot be deleted")
        if coll.soft_delete:
            row = dict(current)
            row["deleted"] = True
            coll.put(row)
            return
        coll.deleted.add(oid)
        coll.overrides.pop(oid, None)
        if name == "fileRule":
            self._global_rule.pop(str(current.get("hash", "")).lower(), None)
            self._refresh_states()

    def _computer_changes(
        self, row: dict[str, Any], changes: dict[str, Any], flags: Mapping[str, str]
    ) -> dict[str, Any]:
        def flag(name: str) -> bool:
            return flags.get(name, "").lower() == "true"

        out = {}
        for key, value in changes.items():
            if row.get(key) == value:
                continue
            if key in self._DIAGNOSTICS and not flag("changeDiagnostics"):
                continue  # only applied with ?changeDiagnostics=true
            if key in self._TEMPLATE and not flag("changeTemplate"):
                continue
            if key in (
                "tamperProtectionActive",
                "CLIPassword",
                "id",
                "name",
                "ipAddress",
                "macAddress",
                "connected",
                "lastPollDate",
                "dateCreated",
                "templateComputerId",
                "templateDate",
                "policyName",
                "previousPolicyId",
            ):
                continue  # read-only or set through a flag
            if key == "refreshFlags":
                continue  # a request to the agent, not state: it reads back as 0
            out[key] = value
        if "policyId" in out:
            try:
                pid = int(out["policyId"])
            except (TypeError, ValueError):
                raise Invalid("policyId must be an integer") from None
            policy = self.collections["policy"].get(pid)
            if policy is None:
                raise Invalid(f"policy {pid} does not exist")
            out["previousPolicyId"] = row["policyId"]
            out["policyName"] = policy["name"]
            out["enforcementLevel"] = policy["enforcementLevel"]
        if "newTamperProtectionActive" in flags:
            out["tamperProtectionActive"] = flag("newTamperProtectionActive")
        if flag("resetCLIPassword"):
            out["CLIPassword"] = (
                f"{mix(self.seed, row['id'], int(self.clock.time())) % 10**12:012d}"
            )
        if flag("changeDiagnostics"):
            for key in ("debugLevel", "kernelDebugLevel", "debugFlags"):
                if key in out:
                    out[f"active{key[0].upper()}{key[1:]}"] = out[key]
        return out

    def _validate(
        self, name: str, coll: Collection, row: dict[str, Any], current: dict[str, Any] | None
    ) -> dict[str, Any]:
        now = iso_seconds(self.clock.time())
        if name == "fileRule":
            state = row.get("fileState")
            if state not in (UNAPPROVED, APPROVED, BANNED):
                raise Invalid("fileState must be 1 (unapproved), 2 (approved) or 3 (banned)")
            catalog_id = row.get("fileCatalogId")
            md5 = str(row.get("hash") or "")
            if catalog_id:
                catalog = self.collections["fileCatalog"].get(int(catalog_id))
                if catalog is None:
                    raise Invalid(f"fileCatalog {catalog_id} does not exist")
                md5 = md5 or catalog["md5"]
            if not re.fullmatch(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}", md5):
                raise Invalid("a file rule needs a hash (MD5, SHA-1 or SHA-256) or a fileCatalogId")
            row["hash"] = md5.upper()
            if not row.get("fileCatalogId"):
                i = self.binaries.by_md5(md5) if len(md5) == 32 else None
                row["fileCatalogId"] = (i + 1) if i is not None else 0
            row.setdefault("policyIds", "")
            row.setdefault("name", "")
            for key, default in (
                ("reportOnly", False),
                ("reputationApprovalsEnabled", False),
                ("forceInstaller", False),
                ("forceNotInstaller", False),
                ("platformFlags", 0),
                ("sourceType", 5),
                ("sourceId", 0),
                ("description", ""),
                ("fileName", ""),
            ):
                row.setdefault(key, default)
            if current is None:
                row.update(
                    {
                        "dateCreated": now,
                        "createdBy": self.config.api_username,
                        "createdByUserId": 2,
                    }
                )
            row.update(
                {
                    "dateModified": now,
                    "modifiedBy": self.config.api_username,
                    "modifiedByUserId": 2,
                    "clVersion": int(row.get("clVersion") or 1000) + 1,
                }
            )
        elif name == "policy":
            if not row.get("name"):
                raise Invalid("a policy needs a name")
            for other in coll.rows():
                if other["name"].lower() == str(row["name"]).lower() and other["id"] != row.get(
                    "id"
                ):
                    raise Invalid(f"a policy named {row['name']!r} already exists")
            level = row.get("enforcementLevel", 20)
            if level not in (20, 30, 40, 60, 80):
                raise Invalid("enforcementLevel must be 20, 30, 40, 60 or 80")
            base = self._policy(0, str(row["name"]), int(level), str(row.get("description", "")))
            base.update(
                {
                    "totalComputers": 0,
                    "connectedComputers": 0,
                    "atEnforcementComputers": 0,
                    "readOnly": False,
                }
            )
            base.update(row)
            base["dateModified"] = now
            if current is None:
                base["dateCreated"] = now
            row = base
        elif name in (
            "user",
            "userGroup",
            "connector",
            "notifier",
            "scriptRule",
            "trustedUser",
            "trustedDirectory",
            "driftReport",
        ):
            if not row.get("name") and name != "trustedDirectory":
                raise Invalid(f"a {name} needs a name")
            if name == "trustedDirectory" and not row.get("path"):
                raise Invalid("a trustedDirectory needs a path")
            row.setdefault("dateCreated", now)
        elif name == "computer":
            pass
        else:
            row.setdefault("dateCreated", now)
            row["dateModified"] = now
        return row

    def _after_write(self, name: str, row: dict[str, Any]) -> None:
        if name == "fileRule":
            md5 = str(row["hash"]).lower()
            if str(row.get("policyIds", "")) in ("", "0"):
                self._global_rule[md5] = int(row["fileState"])
            else:
                self._global_rule.pop(md5, None)
            self._refresh_states()

    def _refresh_states(self) -> None:
        # Catalog, instance and event rows embed the file state: regenerate them.
        for n in ("fileCatalog", "fileInstance", "event", "fileInstanceDeleted"):
            self.collections[n].forget()
