"""One App Control server: its generated rows, trust objects and write rules combined, its
collections, and the search that lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cbasync.testing.dataset.errors import Invalid, NotFound
from cbasync.testing.dataset.protection.analysis import AnalysisRules
from cbasync.testing.dataset.protection.conditions import condition_predicate, parse_conditions
from cbasync.testing.dataset.protection.fields import (
    CATALOG_FIELDS,
    COMPUTER_FIELDS,
    EVENT_FIELDS,
    INSTANCE_FIELDS,
    INSTANCE_GROUP_FIELDS,
    POLICIES,
)
from cbasync.testing.dataset.protection.store import Collection
from cbasync.testing.dataset.protection.tables import static_tables
from cbasync.testing.dataset.protection.trust import Trust
from cbasync.testing.search import APP_CONTROL, ordered
from cbasync.testing.state import EmulatorState

__all__ = ["ProtectionBackend"]


class ProtectionBackend(AnalysisRules, Trust):
    """One App Control server sharing the emulator's endpoints and binaries."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self._publishers = self._build_publishers()
        self._build()

    def _add(
        self,
        name: str,
        fields: Sequence[str],
        make: Callable[[int], dict[str, Any]],
        size: Callable[[], int] | int,
        **flags: Any,
    ) -> Collection:
        size_fn = size if callable(size) else (lambda n=size: n)
        coll = Collection(name, tuple(fields), make, size_fn, **flags)
        self.collections[name] = coll
        return coll

    def _static(self, name: str, rows: list[dict[str, Any]], **flags: Any) -> Collection:
        fields = tuple(dict.fromkeys(k for r in rows for k in r))
        return self._add(name, fields, lambda i: dict(rows[i]), len(rows), **flags)

    def _build(self) -> None:
        n_comp = len(self.endpoints)
        self._add(
            "computer",
            COMPUTER_FIELDS,
            self._computer,
            n_comp,
            updatable=True,
            deletable=True,
            soft_delete=True,
        )
        self._add("fileCatalog", CATALOG_FIELDS, self._catalog, self.binaries.count)
        self._add(
            "fileInstance",
            INSTANCE_FIELDS,
            self._instance,
            n_comp * self.FILES_PER_COMPUTER,
            updatable=True,
        )
        self._add("fileInstanceDeleted", INSTANCE_FIELDS, self._deleted_instance, n_comp * 2)
        self._add(
            "fileInstanceGroup",
            INSTANCE_GROUP_FIELDS,
            self._instance_group,
            n_comp * 3,
        )
        self._static(
            "policy",
            [self._policy(*p) for p in POLICIES],
            creatable=True,
            updatable=True,
            deletable=True,
        )
        self._static("fileRule", self._seed_rules(), creatable=True, updatable=True, deletable=True)
        self._add("event", EVENT_FIELDS, self._event, n_comp * self.EVENTS_PER_COMPUTER)
        self._static("publisher", list(self._publishers), updatable=True)
        self._static(
            "certificate", [self._certificate(p) for p in self._publishers], updatable=True
        )
        self._static(
            "publisherCertificate",
            [
                {"id": p["id"], "publisherId": p["id"], "certificateId": p["id"]}
                for p in self._publishers
            ],
        )
        self._static("approvalRequest", self._approval_requests(), updatable=True)
        tables = static_tables(
            now=self.epoch,
            api_username=self.config.api_username,
            malware_catalog=self._malware_catalog,
            malware_name=lambda k: self.binaries.entry(self._malware_catalog(k) - 1).name,
            malware_md5=lambda k: self.binaries.md5(self._malware_catalog(k) - 1).upper(),
            powershell_id=self.binaries.image_index["powershell"] + 1,
            usernames=[self.endpoints[k].username for k in range(min(len(self.endpoints), 5))],
        )
        for table in tables:
            self._static(
                table.name,
                table.rows,
                creatable=table.creatable,
                updatable=table.updatable,
                deletable=table.deletable,
            )
        self._seed_files()

    def search(
        self,
        name: str,
        qs: Sequence[str],
        *,
        sort: str | None = None,
        group: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Any:
        """The answer of ``GET /api/bit9platform/v1/<name>`` (a list, a count or groups)."""
        coll = self.collection(name)
        conds = parse_conditions(qs)
        known = set(coll.fields)
        for c in conds:
            if known and c.field not in known:
                raise Invalid(f"unknown field {c.field!r} for {name}")
        now = self.clock.time()
        preds = [condition_predicate(c, now) for c in conds]
        rows = [r for r in coll.rows() if all(p(r) for p in preds)]
        if limit == -1:
            return {"count": len(rows)}
        if group:
            if known and group not in known:
                raise Invalid(f"cannot group by unknown field {group!r}")
            counts: dict[Any, int] = {}
            for r in rows:
                counts[r.get(group)] = counts.get(r.get(group), 0) + 1
            return [{"value": v, "count": n} for v, n in counts.items()]
        if sort:
            parts = sort.split()
            fieldname = parts[0]
            if known and fieldname not in known:
                raise Invalid(f"cannot sort by unknown field {fieldname!r}")
            desc = len(parts) > 1 and parts[1].upper() == "DESC"
            if len(parts) > 1 and parts[1].upper() not in ("ASC", "DESC"):
                raise Invalid(f"sort direction must be ASC or DESC, not {parts[1]!r}")
            order = ordered(
                range(len(rows)), [(lambda i: rows[i].get(fieldname), desc)], APP_CONTROL
            )
            rows = [rows[i] for i in order]
        if limit == 0:
            return rows
        size = 1000 if limit is None else limit
        return rows[offset : offset + size]

    def get(self, name: str, oid: int) -> dict[str, Any]:
        row = self.collection(name).get(oid)
        if row is None:
            raise NotFound(f"{name} {oid} not found")
        return row
