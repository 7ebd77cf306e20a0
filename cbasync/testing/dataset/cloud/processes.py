"""Enterprise EDR processes: generated families of processes on the org's devices.

Processes come in families of :data:`~cbasync.testing.dataset.cloud.process_catalog.FAMILY`
(a small tree on one device, each process the parent of the next two); a process is a pure
function of its index. Two arrays (program and device per process) are built on first use; every search column
reads them, so a query over the whole set never builds a document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cbasync.testing.dataset.cloud.common import GeneratedSet, RowSpec, iso, mix
from cbasync.testing.dataset.cloud.process_catalog import (
    FAMILY,
    POOL_CODES,
    PROGRAMS,
    Program,
)
from cbasync.testing.dataset.endpoints import Endpoint
from cbasync.testing.query import Categorical, FieldType
from cbasync.testing.search import (
    Column,
    Getter,
    Table,
)

__all__ = ["EVENT_TYPES", "PROCESS_DEFAULT_FIELDS", "LazyValues", "ProcessStore"]


EVENT_TYPES = ("netconn", "filemod", "regmod", "modload", "crossproc", "childproc", "scriptload")


# What a search row carries with ``fields`` absent or ``["*"]``: the fields of the real server's
# search results (carbon-black-cloud-sdk's recorded process search job results), among them the
# command line, the parent's name and hashes, reputations, the device's OS and addresses, the
# event types, enrichment and TTPs.
PROCESS_DEFAULT_FIELDS = (
    "backend_timestamp", "childproc_count", "crossproc_count", "device_external_ip",
    "device_group_id", "device_id", "device_internal_ip", "device_name", "device_os",
    "device_policy_id", "device_timestamp", "enriched", "enriched_event_type", "event_type",
    "filemod_count", "ingress_time", "legacy", "modload_count", "netconn_count", "org_id",
    "parent_guid", "parent_hash", "parent_name", "parent_pid", "process_cmdline",
    "process_effective_reputation", "process_guid", "process_hash", "process_name",
    "process_pid", "process_reputation", "process_username", "regmod_count",
    "scriptload_count", "ttp",
)  # fmt: skip


class ProcessStore(GeneratedSet):
    """Processes of the cloud org: families of ``FAMILY`` processes, each on one device."""

    def __init__(self, spec: RowSpec) -> None:
        super().__init__(spec)
        self._prog_codes: list[int] | None = None
        self._device_codes: list[int] | None = None
        self.table = self._table()

    # -- core facts (arrays built once, on first use) ------------------------------------------
    def _arrays(self) -> tuple[list[int], list[int]]:
        if self._prog_codes is None or self._device_codes is None:
            ndev = len(self.endpoints)
            families = (self.count + FAMILY - 1) // FAMILY
            fam_dev = [mix(self.seed, f, 1) % ndev for f in range(families)]
            fam_os = [self.endpoints[d].os_family for d in fam_dev]
            progs: list[int] = []
            devices: list[int] = []
            for i in range(self.count):
                fam, pos = divmod(i, FAMILY)
                pools = POOL_CODES[fam_os[fam]]
                pool = pools[0 if pos == 0 else (1 if pos < 3 else 2)]
                progs.append(pool[mix(self.seed, i, 2) % len(pool)])
                devices.append(fam_dev[fam])
            self._prog_codes, self._device_codes = progs, devices
        return self._prog_codes, self._device_codes

    def prog(self, i: int) -> Program:
        return PROGRAMS[self._arrays()[0][i]]

    def endpoint(self, i: int) -> Endpoint:
        return self.endpoints[self._arrays()[1][i]]

    def parent_index(self, i: int) -> int | None:
        pos = i % FAMILY
        return None if pos == 0 else i - pos + (pos - 1) // 2

    def children(self, i: int) -> list[int]:
        fam_start = i - i % FAMILY
        pos = i % FAMILY
        return [
            fam_start + c
            for c in (2 * pos + 1, 2 * pos + 2)
            if c < FAMILY and fam_start + c < self.count
        ]

    def siblings(self, i: int) -> list[int]:
        parent = self.parent_index(i)
        return [] if parent is None else [c for c in self.children(parent) if c != i]

    def pid(self, i: int) -> int:
        ep = self.endpoint(i)
        if i % FAMILY == 0:
            base = 4 if ep.os_family == "windows" else 1
            return base + (mix(self.seed, i, 3) % 200) * (4 if base == 4 else 1)
        return (mix(self.seed, i, 4) % 30_000 + 300) * (4 if ep.os_family == "windows" else 1)

    def start(self, i: int) -> float:
        fam, pos = divmod(i, FAMILY)
        family_start = self.epoch - 120 - mix(self.seed, fam, 5) % max(self.history - 600, 1)
        return family_start + pos * 7 + mix(self.seed, i, 6) % 5

    def guid(self, i: int) -> str:
        ep = self.endpoint(i)
        ft = int((self.start(i) + 11_644_473_600) * 10_000_000)
        return f"{self.org_key}-{ep.device_id & 0xFFFFFFFF:08x}-{self.pid(i):08x}-{i:08x}-{ft:x}"

    def index_of(self, guid: str) -> int | None:
        # carbon-black-cloud-sdk sends GUIDs Lucene-escaped (``\-``) in paths and bodies.
        guid = str(guid).replace("\\", "")
        parts = guid.split("-")
        if len(parts) < 5 or parts[0] != self.org_key:
            return None
        try:
            i = int(parts[3], 16)
        except ValueError:
            return None
        if not 0 <= i < self.count or self.guid(i) != guid:
            return None
        return i

    def username(self, i: int) -> str:
        prog, ep = self.prog(i), self.endpoint(i)
        if prog.user == "system":
            return "NT AUTHORITY\\SYSTEM" if ep.os_family == "windows" else "root"
        if prog.user == "service":
            return "NT AUTHORITY\\NETWORK SERVICE" if ep.os_family == "windows" else "app"
        return ep.username

    def counts(self, i: int) -> dict[str, int]:
        h = mix(self.seed, i, 7)
        malicious = self.prog(i).reputation == "KNOWN_MALWARE"
        return {
            "netconn_count": h % 7 + (12 if malicious else 0),
            "filemod_count": (h >> 8) % 9,
            "regmod_count": (h >> 16) % 5 if self.endpoint(i).os_family == "windows" else 0,
            "modload_count": (h >> 24) % 12 + 2,
            "crossproc_count": (h >> 32) % 4 + (3 if malicious else 0),
            "childproc_count": len(self.children(i)),
            "scriptload_count": (h >> 40) % 3 if self.prog(i).name.startswith("powershell") else 0,
        }

    # -- documents -------------------------------------------------------------------------------
    def doc(self, i: int, *, full: bool = False) -> dict[str, Any]:
        prog, ep = self.prog(i), self.endpoint(i)
        start = self.start(i)
        parent = self.parent_index(i)
        parent_prog = self.prog(parent) if parent is not None else None
        counts = self.counts(i)
        doc: dict[str, Any] = {
            "backend_timestamp": iso(start + 95),
            "device_group_id": 0,
            "device_id": ep.device_id,
            "device_name": ep.hostname.lower(),
            "device_policy_id": ep.policy_id,
            "device_timestamp": iso(start),
            "ingress_time": int((start + 60) * 1000),
            "org_id": self.org_key,
            "parent_guid": self.guid(parent)
            if parent is not None
            else f"{self.org_key}-{ep.device_id & 0xFFFFFFFF:08x}-00000000-00000000-0",
            "parent_pid": self.pid(parent) if parent is not None else 0,
            "process_guid": self.guid(i),
            "process_hash": [prog.md5, prog.sha256],
            "process_name": prog.path,
            "process_pid": [self.pid(i)],
            "process_username": [self.username(i)],
            **counts,
            "device_os": ep.cloud_os,
            "device_internal_ip": ep.internal_ip,
            "device_external_ip": ep.external_ip,
            "process_cmdline": [prog.cmdline],
            "process_reputation": prog.reputation,
            "process_effective_reputation": prog.reputation,
            "parent_name": parent_prog.path if parent_prog else "",
            "parent_hash": [parent_prog.md5, parent_prog.sha256] if parent_prog else [],
            "event_type": self.event_types(i),
            "enriched": True,
            "enriched_event_type": ["CREATE_PROCESS", "NETWORK"],
            "legacy": True,
            "ttp": ["MITRE_T1003_CREDENTIAL_DUMP"] if prog.name == "mimikatz.exe" else [],
        }
        if full:
            doc.update(
                {
                    "device_os_version": ep.cloud_os_version,
                    "device_policy": ep.policy_name,
                    "device_location": "OFFSITE" if ep.index % 4 == 1 else "ONSITE",
                    "device_sensor_version": ep.cloud_sensor_version,
                    "device_target_priority": "HIGH" if ep.host_type != "workstation" else "MEDIUM",
                    "process_cmdline_length": [len(prog.cmdline)],
                    "process_company_name": prog.company,
                    "process_product_name": prog.product,
                    "process_publisher": [prog.publisher] if prog.publisher else [],
                    "process_publisher_state": [
                        "FILE_SIGNATURE_STATE_SIGNED",
                        "FILE_SIGNATURE_STATE_VERIFIED",
                    ]
                    if prog.publisher
                    else ["FILE_SIGNATURE_STATE_NOT_SIGNED"],
                    "process_effective_reputation_source": "CLOUD",
                    "process_sha256": prog.sha256,
                    "process_start_time": iso(start),
                    "process_elevated": prog.user == "system",
                    "process_integrity_level": "SYSTEM" if prog.user == "system" else "MEDIUM",
                    "process_original_filename": prog.name,
                    "process_internal_name": prog.name.rsplit(".", 1)[0],
                    "parent_cmdline": parent_prog.cmdline if parent_prog else "",
                    "parent_reputation": parent_prog.reputation if parent_prog else "NOT_LISTED",
                    "parent_effective_reputation": parent_prog.reputation
                    if parent_prog
                    else "NOT_LISTED",
                    "alert_category": ["THREAT"] if prog.reputation == "KNOWN_MALWARE" else [],
                    "alert_id": [],
                    "process_terminated": self.start(i) + 3600 < self.epoch,
                }
            )
        return doc

    def event_types(self, i: int) -> list[str]:
        """The kinds of event the process has (what its counts say)."""
        counts = self.counts(i)
        return [kind for kind in EVENT_TYPES if counts[f"{kind}_count"]]

    def project(self, i: int, fields: Sequence[str] | None) -> dict[str, Any]:
        """A search result row: the default fields (``"*"`` asks for them, as no ``fields``
        does) plus the extra ones asked for."""
        wanted = [f for f in (fields or ["*"]) if f != "*"]
        full = any(f not in PROCESS_DEFAULT_FIELDS for f in wanted)
        doc = self.doc(i, full=full)
        if not full:
            return doc
        keep = set(PROCESS_DEFAULT_FIELDS) | set(wanted)
        return {k: v for k, v in doc.items() if k in keep}

    def tree_node(self, i: int, *, hits: bool | None = None) -> dict[str, Any]:
        """A node of a process tree: the full document with the tree's own keys (the file
        name, whether the process has children, and on the root whether it matched)."""
        node = self.doc(i, full=True)
        node["_process_filename"] = self.prog(i).path.replace("\\", "/").rsplit("/", 1)[-1]
        node["has_children"] = bool(self.children(i))
        if hits is not None:
            node["hits"] = hits
        return node

    # -- table -----------------------------------------------------------------------------------
    def _table(self) -> Table:
        def prog_col(attr: str) -> Categorical[int]:
            return Categorical(lambda i: self._arrays()[0][i], [getattr(p, attr) for p in PROGRAMS])

        def dev_col(fn: Callable[[Endpoint], Any]) -> Categorical[int]:
            return Categorical(
                lambda i: self._arrays()[1][i],
                LazyValues(lambda: [fn(ep) for ep in self.endpoints]),
            )

        def count_col(name: str) -> Getter:
            return lambda i: self.counts(i)[name]

        cols: dict[str, Column] = {
            "process_name": prog_col("path"),
            "process_original_filename": prog_col("name"),
            "process_sha256": prog_col("sha256"),
            "process_hash": Categorical(
                lambda i: self._arrays()[0][i], [[p.md5, p.sha256] for p in PROGRAMS]
            ),
            "process_cmdline": prog_col("cmdline"),
            "process_reputation": prog_col("reputation"),
            "process_effective_reputation": prog_col("reputation"),
            "process_company_name": prog_col("company"),
            "process_product_name": prog_col("product"),
            "process_publisher": prog_col("publisher"),
            "device_name": dev_col(lambda ep: ep.hostname.lower()),
            "device_id": dev_col(lambda ep: ep.device_id),
            "device_os": dev_col(lambda ep: ep.cloud_os),
            "device_policy": dev_col(lambda ep: ep.policy_name),
            "device_policy_id": dev_col(lambda ep: ep.policy_id),
            "device_internal_ip": dev_col(lambda ep: ep.internal_ip),
            "device_external_ip": dev_col(lambda ep: ep.external_ip),
            "device_group_id": lambda i: 0,
            "org_id": lambda i: self.org_key,
            "process_guid": self.guid,
            "process_pid": lambda i: [self.pid(i)],
            "process_username": lambda i: [self.username(i)],
            "parent_guid": lambda i: (
                self.guid(p) if (p := self.parent_index(i)) is not None else None
            ),
            "parent_pid": lambda i: self.pid(p) if (p := self.parent_index(i)) is not None else 0,
            "parent_name": lambda i: (
                self.prog(p).path if (p := self.parent_index(i)) is not None else None
            ),
            "process_start_time": self.start,
            "device_timestamp": self.start,
            "backend_timestamp": lambda i: self.start(i) + 95,
            "ingress_time": lambda i: int((self.start(i) + 60) * 1000),
            **{
                name: count_col(name)
                for name in (
                    "netconn_count",
                    "filemod_count",
                    "regmod_count",
                    "modload_count",
                    "crossproc_count",
                    "childproc_count",
                    "scriptload_count",
                )
            },
        }
        schema: dict[str, FieldType] = dict.fromkeys(cols, "keyword")
        schema.update(
            {
                "process_name": "text",
                "parent_name": "text",
                "process_cmdline": "text",
                "device_id": "number",
                "device_policy_id": "number",
                "device_group_id": "number",
                "process_pid": "number",
                "parent_pid": "number",
                "device_internal_ip": "ip",
                "device_external_ip": "ip",
                "process_start_time": "date",
                "device_timestamp": "date",
                "backend_timestamp": "date",
                "ingress_time": "number",
            }
        )
        schema.update({f"{t}_count": "number" for t in EVENT_TYPES})
        return Table(
            count=lambda: self.count,
            columns=cols,
            schema=schema,
            default_fields=("process_name", "process_cmdline", "device_name", "process_username"),
            time_field="device_timestamp",
            time_criteria=frozenset(
                {"process_start_time", "device_timestamp", "backend_timestamp"}
            ),
        )


class LazyValues(Sequence[Any]):
    """A value table computed on first use (the endpoints of a Categorical device column)."""

    def __init__(self, build: Callable[[], list[Any]]) -> None:
        self._build = build
        self._values: list[Any] | None = None

    def _get(self) -> list[Any]:
        if self._values is None:
            self._values = self._build()
        return self._values

    def __len__(self) -> int:
        return len(self._get())

    def __getitem__(self, index: Any) -> Any:
        return self._get()[index]

    def __iter__(self) -> Any:
        return iter(self._get())
