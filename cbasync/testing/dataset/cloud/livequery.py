"""LiveQuery (Audit & Remediation) runs.

A run targets the devices its filter selects; online ones answer at seeded moments within the
job duration, offline ones never do (so a run over them stays ``ACTIVE`` until its 7-day
timeout, as on the real service). Each answer is the run's SQL evaluated against the device's
image (:mod:`~cbasync.testing.dataset.cloud.osquery`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cbasync.testing.dataset.cloud.common import iso, mix, stable
from cbasync.testing.dataset.cloud.devices import DeviceStore
from cbasync.testing.dataset.cloud.osquery import SqlError, osquery_rows
from cbasync.testing.dataset.vfs import image_store
from cbasync.testing.search import (
    CriteriaError,
)
from cbasync.testing.state import EmulatorState

__all__ = ["RUN_TIMEOUT", "LiveQueryRun", "LiveQueryStore"]


@dataclass
class LiveQueryRun:
    id: str
    name: str
    sql: str
    created_by: str
    create_time: float
    created_mono: float
    device_filter: dict[str, Any]
    notify_on_finish: bool
    targets: list[int]
    respond_after: dict[int, float]
    template_id: str | None = None
    schedule: dict[str, Any] | None = None
    status_override: str | None = None
    cancellation_time: float | None = None
    cancelled_by: str | None = None
    results: dict[int, tuple[str, list[dict[str, Any]], str, float]] = field(default_factory=dict)
    """Per responded device: (status, rows, message, time_received)."""


RUN_TIMEOUT = 7 * 86_400

#: A run's device filter as the server echoes it: every key, the current names and the legacy
#: ones mirroring them, null where nothing was asked (fixture).
_FILTER_SPELLINGS = (
    ("device_id", "device_ids"),
    ("os", "device_types"),
    ("policy_id", "policy_ids"),
    ("deployment_type", None),
)


def device_filter_json(sent: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for current, legacy in _FILTER_SPELLINGS:
        value = sent.get(current)
        if value is None and legacy is not None:
            value = sent.get(legacy)
        out[current] = list(value) if value is not None else None
        if legacy is not None:
            out[legacy] = out[current]
    return out


def _scalars(values: object, *, numeric: bool) -> bool:
    if not isinstance(values, list):
        return False
    if numeric:
        return all(
            (isinstance(v, int) and not isinstance(v, bool))
            or (isinstance(v, str) and v.isascii() and v.lstrip("-").isdigit())
            for v in values
        )
    return all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values)


class LiveQueryStore:
    """LiveQuery runs: devices answer over ``duration`` seconds; offline ones never do."""

    def __init__(self, state: EmulatorState, devices: DeviceStore) -> None:
        self.state = state
        self.devices = devices
        self.duration = state.config.job_duration
        self.runs: dict[str, LiveQueryRun] = {}
        self.templates: dict[str, dict[str, Any]] = {}

    def _targets(self, device_filter: Mapping[str, Any]) -> list[int]:
        eps = self.state.endpoints
        ids = device_filter.get("device_id") or device_filter.get("device_ids")
        oses = device_filter.get("os") or device_filter.get("device_types")
        policies = device_filter.get("policy_id") or device_filter.get("policy_ids")
        deployment = device_filter.get("deployment_type")
        # Each filter, in either spelling, is a list of scalars (ids as integers or their
        # digits): anything else is the server's 400, not a crash on int({}) or list(True).
        for current, legacy in _FILTER_SPELLINGS:
            for key in (current, legacy):
                given = device_filter.get(key) if key is not None else None
                if given is not None and not _scalars(given, numeric=current.endswith("_id")):
                    raise CriteriaError(f"device_filter.{key} must be a list of values", field=key)
        out = []
        for ep in eps:
            if ep.deregistered:
                continue
            if ids and ep.device_id not in {int(i) for i in ids}:
                continue
            if oses and ep.cloud_os not in {str(o).upper() for o in oses}:
                continue
            if policies and ep.policy_id not in {int(p) for p in policies}:
                continue
            if deployment and self.devices.deployment_type(ep) not in set(deployment):
                continue
            out.append(ep.index)
        return out

    def create(self, body: Mapping[str, Any], user: str) -> LiveQueryRun:
        sql = body.get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise CriteriaError("sql is required", field="sql")
        device_filter = body.get("device_filter") or {}
        if not isinstance(device_filter, Mapping):
            raise CriteriaError("device_filter must be an object", field="device_filter")
        clock = self.state.clock
        run_id = "".join(
            "abcdefghijklmnopqrstuvwxyz0123456789"[
                (stable("lq", len(self.runs), clock.time(), sql) >> (5 * k)) % 36
            ]
            for k in range(12)
        )
        targets = self._targets(device_filter)
        online = [i for i in targets if self.state.endpoints[i].online]
        respond = {
            i: self.duration
            * (0.1 + 0.9 * (mix(self.state.config.seed, i, len(self.runs)) % 1000) / 999)
            for i in online
        }
        run = LiveQueryRun(
            id=run_id,
            name=str(body.get("name") or sql[:40]),
            sql=sql,
            created_by=user,
            create_time=clock.time(),
            created_mono=clock.monotonic(),
            device_filter=dict(device_filter),
            notify_on_finish=bool(body.get("notify_on_finish", False)),
            targets=targets,
            respond_after=respond,
            template_id=body.get("template_id"),
            schedule=body.get("schedule"),
        )
        self.runs[run.id] = run
        return run

    def advance(self, run: LiveQueryRun) -> None:
        """Collect the answers of devices whose time has come."""
        if run.status_override is not None:
            return
        clock = self.state.clock
        elapsed = clock.monotonic() - run.created_mono
        eps = self.state.endpoints
        for index, after in run.respond_after.items():
            if index in run.results or elapsed < after:
                continue
            ep = eps[index]
            when = run.create_time + after
            try:
                image = image_store(self.state).of(ep)
                rows = osquery_rows(run.sql, ep, image, when)
            except SqlError as exc:
                run.results[index] = ("error", [], str(exc), when)
                continue
            run.results[index] = ("matched" if rows else "not_matched", rows, "", when)

    def status(self, run: LiveQueryRun) -> str:
        self.advance(run)
        if run.status_override:
            return run.status_override
        if len(run.results) == len(run.targets):
            return "COMPLETE"
        if self.state.clock.time() - run.create_time > RUN_TIMEOUT:
            return "TIMED_OUT"
        return "ACTIVE"

    def device_status(self, run: LiveQueryRun, index: int) -> str:
        if index in run.results:
            return run.results[index][0]
        if run.status_override == "CANCELLED":
            return "cancelled"
        ep = self.state.endpoints[index]
        if ep.os_family not in ("windows", "macos", "linux"):
            return "not_supported"
        return "in_progress" if index in run.respond_after else "not_started"

    def counts(self, run: LiveQueryRun) -> dict[str, int]:
        statuses = Counter(self.device_status(run, i) for i in run.targets)
        return {
            "total_results": sum(len(r[1]) for r in run.results.values()),
            "match_count": statuses["matched"],
            "no_match_count": statuses["not_matched"],
            "success_count": statuses["matched"] + statuses["not_matched"],
            "error_count": statuses["error"],
            "in_progress_count": statuses["in_progress"],
            "not_started_count": statuses["not_started"],
            "not_supported_count": statuses["not_supported"],
            "cancelled_count": statuses["cancelled"],
        }

    def render(self, run: LiveQueryRun) -> dict[str, Any]:
        status = self.status(run)
        answered = [r[3] for r in run.results.values()]
        return {
            "org_key": self.state.config.org_key,
            "name": run.name,
            "id": run.id,
            "sql": run.sql,
            "created_by": run.created_by,
            "create_time": iso(run.create_time),
            "status_update_time": iso(max(answered) if answered else run.create_time),
            "timeout_time": iso(run.create_time + RUN_TIMEOUT),
            "cancellation_time": iso(run.cancellation_time),
            "cancelled_by": run.cancelled_by,
            "archive_time": None,
            "archived_by": None,
            "notify_on_finish": run.notify_on_finish,
            "active_org_devices": sum(1 for ep in self.state.endpoints if ep.online),
            "status": status,
            "device_filter": device_filter_json(run.device_filter),
            "schedule": run.schedule,
            "schema": None,
            "recommended_query_id": None,
            "template_id": run.template_id,
            "destinations": ["LQ"],
            "last_result_time": iso(max(answered)) if answered else None,
            **self.counts(run),
        }

    def device_json(self, index: int) -> dict[str, Any]:
        ep = self.state.endpoints[index]
        return {
            "id": ep.device_id,
            "name": ep.hostname,
            "policy_id": ep.policy_id,
            "policy_name": ep.policy_name,
            "os": ep.cloud_os,
        }

    def device_metrics(self, index: int, finish: float | None) -> dict[str, float]:
        """A device's osquery metrics: an object of named numbers (fixture), the full set once
        the device has answered, three while it runs."""
        memory = 60.0 + index % 30
        metrics = {
            "average_system_memory_in_use": memory,
            "osquery_creation_time_unix_ms": float(int(self.state.clock.time() * 1000)),
            "total_cpu_peak": round(0.1 + (index % 10) / 20, 2),
        }
        if finish is not None:
            metrics.update(
                {
                    "osquery_current_memory_in_use_mb": 12.0 + index % 8,
                    "current_system_memory_in_use_mb": 2000.0 + 37 * (index % 40),
                    "total_cpu_current": round((index % 7) / 10, 2),
                    "total_cpu_average": round((index % 5) / 10, 2),
                    "kernel_cpu_average": 0.0,
                    "total_read_operations": float(20 + index % 30),
                    "total_write_operations": float(index % 9),
                    "osquery_life_time_ms": float(200 + index % 300),
                    "current_system_memory_available": 100.0 - memory,
                    "peak_system_memory_available": 100.0 - memory,
                    "osquery_peak_memory_in_use_mb": 14.0 + index % 8,
                }
            )
        return metrics

    def result_rows(self, run: LiveQueryRun) -> list[dict[str, Any]]:
        """Every result row of the run so far (matched rows, and one row per other answer)."""
        self.advance(run)
        out: list[dict[str, Any]] = []
        for index in run.targets:
            if index not in run.results:
                continue
            status, rows, message, when = run.results[index]
            base = {
                "id": run.id,
                "device": self.device_json(index),
                "status": status,
                "time_received": iso(when),
                "device_message": message,
                "metrics": {"cpu": round(0.1 + (index % 10) / 20, 2), "memory": 180 + index % 50},
            }
            if rows:
                out.extend({**base, "fields": row} for row in rows)
            else:
                out.append({**base, "fields": {}})
        return out

    def summaries(self, run: LiveQueryRun) -> list[dict[str, Any]]:
        self.advance(run)
        out = []
        for index in run.targets:
            status = self.device_status(run, index)
            got = run.results.get(index)
            start = run.create_time
            finish = got[3] if got else None
            out.append(
                {
                    "id": run.id,
                    "device": self.device_json(index),
                    "status": status,
                    "total_results": len(got[1]) if got else 0,
                    "error_description": got[2] if got and got[0] == "error" else None,
                    "metrics": self.device_metrics(index, finish),
                    "start_time": iso(start),
                    "finish_time": iso(finish),
                    "update_time": iso(finish or start),
                }
            )
        return out
