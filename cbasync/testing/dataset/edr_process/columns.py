"""The search columns of the process documents (and of their events, for event fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cbasync.testing.dataset.edr_process.blocks import BlockInfo
from cbasync.testing.dataset.edr_process.common import (
    ENDPOINT_PLACEHOLDERS,
    EVENT_TYPES,
    SERVER_LAG,
    USER_KINDS,
    USERS,
    ProcKind,
    cmd_template,
)
from cbasync.testing.dataset.edr_process.documents import Documents
from cbasync.testing.dataset.edr_process.schema import DEFAULT_FIELDS, FIELD_ALIASES, PROCESS_SCHEMA
from cbasync.testing.dataset.endpoints import Endpoint
from cbasync.testing.query import Categorical, FieldType, Keyed

__all__ = ["SearchColumns"]


class SearchColumns(Documents):
    """The search columns of the process documents (and of their events, for event fields)."""

    def accessor(self, field: str) -> Callable[[int], Any] | Categorical[int] | Keyed[int] | None:
        """Column ``field`` over document numbers (see ``cbasync.testing.query``)."""
        field = FIELD_ALIASES.get(field, field)
        bins = self.binaries
        kinds = self._kinds
        codes, blocks = self._columns()
        block_e = self._block_e
        row = self.row

        def kind_col(fn: Callable[[ProcKind], Any]) -> Categorical[int]:
            return Categorical(codes.__getitem__, [fn(k) for k in kinds])

        def ep_col(fn: Callable[[Endpoint], Any]) -> Categorical[int]:
            return Categorical(lambda d: block_e[blocks[d]], [fn(ep) for ep in self.endpoints])

        def per_row(fn: Callable[[BlockInfo, int], Any]) -> Callable[[int], Any]:
            def get(d: int) -> Any:
                info, r = row(d)
                return fn(info, r)

            return get

        simple_kind: dict[str, Callable[[ProcKind], Any]] = {
            "process_name": lambda k: k.name,
            "path": lambda k: k.path,
            "path_full": lambda k: k.path,
            "process_md5": lambda k: bins.md5(k.binary),
            "process_sha256": lambda k: bins.sha256(k.binary),
            "parent_name": lambda k: k.parent_name,
            "digsig_result": lambda k: bins.signature(k.binary)["digsig_result"],
            "digsig_publisher": lambda k: bins.signature(k.binary).get("digsig_publisher"),
            "company_name": lambda k: bins.entry(k.binary).company,
            "product_name": lambda k: bins.entry(k.binary).product,
            "file_desc": lambda k: bins.entry(k.binary).description,
            "internal_name": lambda k: bins.entry(k.binary).internal_name,
            "original_filename": lambda k: bins.entry(k.binary).original_filename,
            "is_64bit": lambda k: bins.entry(k.binary).is_64bit,
            "is_executable_image": lambda k: bins.entry(k.binary).is_executable,
            "alliance_score_virustotal": lambda k: bins.alliance(k.binary).get(
                "alliance_score_virustotal"
            ),
            "alliance_score_srsthreat": lambda k: bins.alliance(k.binary).get(
                "alliance_score_srsthreat"
            ),
            "tampered": lambda k: False,
            "blocked_status": lambda k: None,
        }
        if field in simple_kind:
            return kind_col(simple_kind[field])
        simple_ep: dict[str, Callable[[Endpoint], Any]] = {
            "hostname": lambda ep: ep.hostname.lower(),
            "group": lambda ep: self.group_of[ep.index],
            "host_type": lambda ep: ep.host_type,
            "os_type": lambda ep: ep.os_type,
            "sensor_id": lambda ep: ep.sensor_id,
            "comms_ip": lambda ep: ep.external_ip,
            "interface_ip": lambda ep: ep.internal_ip,
        }
        if field in simple_ep:
            return ep_col(simple_ep[field])
        extras = self._doc_extras
        assert extras is not None
        eps = self.endpoints
        if field in ("username", "username_full"):
            user_kind = [USER_KINDS.index(k.spec.user) for k in kinds]
            values = []
            for ep in eps:
                for uk in USER_KINDS:
                    values.append(ep.username if uk == "user" else USERS[ep.os_type][uk])
            return Categorical(lambda d: block_e[blocks[d]] * 4 + user_kind[codes[d]], values)
        if field == "cmdline":
            cmdline = self.cmdline
            # Key only on what the command line really depends on, so rows share results.
            cmd_n = [("{n}" in cmd_template(k)) for k in kinds]
            cmd_ep = [any(p in cmd_template(k) for p in ENDPOINT_PLACEHOLDERS) for k in kinds]
            return Keyed(
                lambda d: (
                    (c := codes[d]),
                    block_e[blocks[d]] if cmd_ep[c] else 0,
                    extras[d] & 127 if cmd_n[c] else 0,
                ),
                lambda k: cmdline(kinds[k[0]], eps[k[1]], k[2]),
            )
        if field == "id":
            return per_row(lambda info, r: info.guids[info.doc_offsets[r]])
        if field == "unique_id":
            return per_row(lambda info, r: info.uids[r])

        if field == "parent_id":
            return per_row(lambda info, r: info.parent_guid(info.doc_offsets[r]))
        if field == "parent_unique_id":
            return per_row(lambda info, r: info.parent_uid(info.doc_offsets[r]))
        if field == "process_pid":
            return per_row(lambda info, r: info.pids[info.doc_offsets[r]])
        if field == "parent_pid":
            return per_row(lambda info, r: info.parent_pid(info.doc_offsets[r]))
        if field == "segment_id":
            return lambda d: int((self.epoch - (d + 1) * self.step) * 1000)
        if field == "start":
            return per_row(lambda info, r: info.start_ms(info.doc_offsets[r]))
        if field == "last_update":
            return lambda d: self.epoch - (d + 1) * self.step
        if field == "last_server_update":
            return lambda d: self.epoch - (d + 1) * self.step + SERVER_LAG
        if field == "terminated":
            return per_row(lambda info, r: info.terminated[info.doc_offsets[r]])
        if field.endswith("_count") and field[: -len("_count")] in EVENT_TYPES:
            key = field[: -len("_count")]
            return per_row(lambda info, r: info.doc_counts[r][key])
        if field in ("childproc_name", "childproc_md5"):

            def child_values(info: BlockInfo, r: int) -> list[str]:
                kids = info.children[info.doc_offsets[r]]
                if field == "childproc_name":
                    return [info.kinds[c].name for c in kids]
                return [bins.md5(info.kinds[c].binary) for c in kids]

            return per_row(child_values)
        if field in ("filemod", "regmod", "modload", "domain", "ipaddr", "ipport"):
            values_of = self.event_values
            if field in ("domain", "ipaddr", "ipport"):  # not endpoint-specific
                return kind_col(lambda k: values_of(field, k, eps[0], 0, True))
            pools = [
                " ".join(k.spec.filemods if field == "filemod" else k.spec.regmods) for k in kinds
            ]
            ev_n = [("{n}" in p) for p in pools]
            ev_ep = [any(x in p for x in ENDPOINT_PLACEHOLDERS) for p in pools]
            modload = field == "modload"
            return Keyed(
                lambda d: (
                    (c := codes[d]),
                    block_e[blocks[d]] if ev_ep[c] or modload else 0,
                    (extras[d] & 127 if ev_n[c] else 0) | (extras[d] & 128),
                ),
                lambda k: values_of(field, kinds[k[0]], eps[k[1]], k[2] & 127, k[2] >= 128),
            )
        if field in ("crossproc_name", "crossproc_md5"):
            return per_row(lambda info, r: self._event_values(info, r, field))
        return None

    def event_values(
        self, field: str, kind: ProcKind, ep: Endpoint, n: int, oldest: bool
    ) -> list[Any]:
        """The searchable values of one event field for a process segment (memoised)."""
        key = (field, kind.code, ep.index, n, oldest)
        value = self._memo.get(key)
        if value is None:
            spec = kind.spec
            if field == "filemod":
                value = [self.resolve(kind, ep, n, p) for p in spec.filemods]
            elif field == "regmod":
                value = [self.resolve(kind, ep, n, p) for p in spec.regmods]
            elif field == "modload":
                value = (
                    [kind.path]
                    + [self.binaries.entry(m).path for m in self.modules_of(ep.os_type, spec)]
                    if oldest
                    else []
                )
            elif field == "domain":
                value = [d for d, _, _ in spec.netconns if d]
            elif field == "ipaddr":
                value = [ip for _, ip, _ in spec.netconns]
            else:
                value = [port for _, _, port in spec.netconns]
            self._remember(key, value)
        return list(value)

    def _event_values(self, info: BlockInfo, r: int, field: str) -> list[Any]:
        o, s = info.layout[r]
        spec = info.template.entries[o]
        oldest = s == len(info.seg_docs[o]) - 1
        if field == "filemod":
            return [info.resolve(o, p) for p in spec.filemods]
        if field == "regmod":
            return [info.resolve(o, p) for p in spec.regmods]
        if field == "modload":
            if not oldest:
                return []
            return [info.kinds[o].path] + [
                self.binaries.entry(m).path for m in self.modules_of(info.ep.os_type, spec)
            ]
        if field == "domain":
            return [d for d, _, _ in spec.netconns if d]
        if field == "ipaddr":
            return [ip for _, ip, _ in spec.netconns]
        if field == "ipport":
            return [port for _, _, port in spec.netconns]
        if field in ("crossproc_name", "crossproc_md5"):
            if not oldest:
                return []
            if field == "crossproc_name":
                return [info.kinds[c].name for c in spec.crossproc if c < info.limit]
            return [
                self.binaries.md5(info.kinds[c].binary) for c in spec.crossproc if c < info.limit
            ]
        return []

    @property
    def schema(self) -> dict[str, FieldType]:
        return PROCESS_SCHEMA

    @property
    def default_fields(self) -> tuple[str, ...]:
        return DEFAULT_FIELDS
