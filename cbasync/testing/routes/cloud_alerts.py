"""Carbon Black Cloud alert routes, v7 and v6 (handlers; :mod:`cloud_platform`'s table mounts
them).

Alerts v7 (``/api/alerts/v7/orgs/{org_key}``): search (1-based ``start``, ``rows`` default 10,
10,000 reachable rows, the last two weeks when no ``time_range``), facets (bad field → 400
``INVALID_ENUM_VALUE`` with ``known_values``), one alert, grouped search and facets, export,
suggestions, notes, history, threat tags and notes, and ``POST /alerts/workflow`` whose
``request_id`` is a Jobs API job; the change lands when the job completes.

Alerts v6 (``/appservices/v6/orgs/{org_key}``): search and facets (all types or one of
``cbanalytics``/``watchlist``/``devicecontrol``/``containerruntime``/``vmware``), one alert,
suggestions, notes, per-alert and per-threat workflow, bulk workflow by criteria or threat ids
with ``GET /workflow/status/{request_id}`` going ``QUEUED`` → ``IN_PROGRESS`` → ``FINISHED``.

One module for both versions (about 560 lines): they are two views of the same records and share
how alerts are selected, paged, faceted and annotated (:class:`AlertHandlers`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cbasync.testing.dataset.cloud import iso
from cbasync.testing.jobs import Job
from cbasync.testing.routes._cloud import CloudHandlers, body_dict
from cbasync.testing.routes._common import (
    cloud_error,
    cloud_page,
    json_response,
    no_content,
    read_json,
)
from cbasync.testing.search import CriteriaError, facet_values, sort_spec

__all__ = ["V6", "V7", "AlertHandlers", "AlertV6Routes", "AlertV7Routes"]


def _notes_json(notes: list[dict[str, Any]]) -> Response:
    """A note list as the v7 notes routes answer it (and the v6 ones, which share them)."""
    return json_response(
        {"num_found": len(notes), "num_available": len(notes), "results": list(notes)}
    )


V6 = "/appservices/v6/orgs/{org_key}"


V7 = "/api/alerts/v7/orgs/{org_key}"


_V6_TYPES = {
    "cbanalytics": "CB_ANALYTICS",
    "watchlist": "WATCHLIST",
    "devicecontrol": "DEVICE_CONTROL",
    "containerruntime": "CONTAINER_RUNTIME",
    "vmware": "VMWARE",
}


_V7_STATUSES = ("OPEN", "IN_PROGRESS", "CLOSED")


_CLOSURE_REASONS = (
    "NO_REASON",
    "RESOLVED",
    "RESOLVED_BENIGN_KNOWN_GOOD",
    "DUPLICATE_CLEANUP",
    "OTHER",
)


_DETERMINATIONS = ("TRUE_POSITIVE", "FALSE_POSITIVE", "NONE")


_V6_STATES = ("OPEN", "DISMISSED")


_SUGGEST_SKUS = {"required_skus_all": [], "required_skus_some": ["threathunter", "defense"]}


class AlertHandlers(CloudHandlers):
    """What the v6 and v7 alert routes share: finding and selecting alerts, paging, facets,
    suggestions and notes."""

    # ------------------------------------------------------------------------------ alerts (shared)
    def alert_by_id(self, request: Request) -> int:
        index = self.org.alerts.index_of(request.path_params["alert_id"])
        if index is None:
            raise cloud_error(
                404, "NOT_FOUND", f"Alert {request.path_params['alert_id']} not found"
            )
        return index

    def alert_select(self, body: dict[str, Any], *, v6: bool, kind: str | None = None) -> list[int]:
        alerts = self.org.alerts
        table = alerts.v6 if v6 else alerts.v7
        criteria = dict(body.get("criteria") or {})
        if kind is not None:
            criteria["type"] = [kind]
        time_range = body.get("time_range")
        if not v6 and time_range is None:
            time_range = {"range": "-2w"}  # v7 searches the last two weeks unless told otherwise
        return table.select(
            query=body.get("query"),
            criteria=criteria,
            exclusions=body.get("exclusions"),
            time_range=time_range,
            anchor=self.org.anchor,
        )

    def alert_search(self, body: dict[str, Any], *, v6: bool, kind: str | None = None) -> list[int]:
        """The matching alerts in the search's order (newest first unless it sorts), kept
        by the store so that the pages of one search cost a slice each."""
        alerts = self.org.alerts
        table = alerts.v6 if v6 else alerts.v7
        spec = sort_spec(body.get("sort"))
        selection = {k: body.get(k) for k in ("query", "criteria", "exclusions", "time_range")}
        key = (v6, kind, json.dumps(selection, sort_keys=True, default=str), repr(spec))

        def compute() -> list[int]:
            indices = self.alert_select(body, v6=v6, kind=kind)
            default = [("create_time" if v6 else "backend_timestamp", True)]
            return table.sorted(indices, spec or default, default=default)

        return alerts.ordered(key, compute)

    def alert_page(self, body: dict[str, Any], ordered: list[int]) -> list[int]:
        offset, rows = cloud_page(body, default_rows=10, one_based=True)
        return ordered[offset : offset + rows]

    def facets(self, body: dict[str, Any], indices: list[int], *, v6: bool) -> dict[str, Any]:
        alerts = self.org.alerts
        table = alerts.v6 if v6 else alerts.v7
        terms = body.get("terms") or {}
        fields = terms.get("fields") if isinstance(terms, dict) else None
        if not isinstance(fields, list) or not fields:
            raise cloud_error(400, "INVALID_ARGUMENT", "terms.fields needs at least one field")
        rows = terms.get("rows") if isinstance(terms.get("rows"), int) else 0
        out = []
        for name in fields:
            column = alerts.facet_field(str(name), v6=v6)
            out.append({"field": name, "values": facet_values(table.facet(indices, column), rows)})
        return {"results": out}

    def suggestions(self, request: Request, fields: tuple[str, ...]) -> Response:
        q = request.query_params.get("suggest.q")
        if q is None:
            raise cloud_error(400, "INVALID_ARGUMENT", "suggest.q is required")
        count = int(request.query_params.get("suggest.count", "50") or 50)
        if ":" in q:
            return json_response({"suggestions": []})
        prefix = q.strip().lower()
        out = [
            {"term": f, "weight": 100, **_SUGGEST_SKUS}
            for f in sorted(fields)
            if f.startswith(prefix)
        ]
        return json_response({"suggestions": out[:count]})

    async def v7_notes(self, request: Request) -> Response:
        index = self.alert_by_id(request)
        alert_id = self.org.alerts.rows()[index]["id"]
        if request.method == "POST":
            body = body_dict(await read_json(request))
            text = body.get("note")
            if not isinstance(text, str) or not text:
                raise cloud_error(400, "INVALID_ARGUMENT", "note is required")
            return json_response(self.org.alerts.add_note(alert_id, text, self.config.api_username))
        return _notes_json(self.org.alerts.notes.get(alert_id, []))

    async def v7_delete_note(self, request: Request) -> Response:
        index = self.alert_by_id(request)
        alert_id = self.org.alerts.rows()[index]["id"]
        notes = self.org.alerts.notes.get(alert_id, [])
        kept = [n for n in notes if n["id"] != request.path_params["note_id"]]
        if len(kept) == len(notes):
            raise cloud_error(404, "NOT_FOUND", "note not found")
        self.org.alerts.notes[alert_id] = kept
        self.org.alerts.changed()
        return no_content()


class AlertV7Routes(AlertHandlers):
    """Alerts v7: search, facets, workflow (a Jobs API job), history, threats, grouping, export."""

    # ------------------------------------------------------------------------------ alerts v7
    async def v7_search(self, request: Request) -> Response:
        body = body_dict(await read_json(request, required=False))
        indices = self.alert_search(body, v6=False)
        page = self.alert_page(body, indices)
        alerts = self.org.alerts
        return json_response(
            {
                "results": [alerts.render_v7(i) for i in page],
                "num_found": len(indices),
                "num_available": min(len(indices), 10_000),
            }
        )

    async def v7_facet(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        return json_response(self.facets(body, self.alert_select(body, v6=False), v6=False))

    async def v7_get(self, request: Request) -> Response:
        return json_response(self.org.alerts.render_v7(self.alert_by_id(request)))

    def validate_v7_workflow(
        self,
        body: dict[str, Any],
    ) -> tuple[str, str | None, str | None, str | None]:
        status = body.get("status")
        if status not in _V7_STATUSES:
            raise CriteriaError(f"invalid status {status!r}", field="status", known=_V7_STATUSES)
        reason = body.get("closure_reason")
        if reason is not None and reason not in _CLOSURE_REASONS:
            raise CriteriaError(
                f"invalid closure_reason {reason!r}", field="closure_reason", known=_CLOSURE_REASONS
            )
        determination = body.get("determination")
        if determination is not None and determination not in _DETERMINATIONS:
            raise CriteriaError(
                f"invalid determination {determination!r}",
                field="determination",
                known=_DETERMINATIONS,
            )
        note = body.get("note")
        return status, reason, determination, note if isinstance(note, str) else None

    async def v7_workflow(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        status, reason, determination, note = self.validate_v7_workflow(body)
        selection: dict[str, Any] = {
            k: body[k] for k in ("criteria", "exclusions", "query", "time_range") if k in body
        }
        if "time_range" not in selection and not (selection.get("criteria") or {}).get("id"):
            selection["time_range"] = {"range": "-2w"}
        indices = self.alert_select(
            {**selection, "time_range": selection.get("time_range", {})}, v6=False
        )

        def apply(job: Job) -> None:
            self.org.alerts.set_workflow(
                indices, status=status, closure_reason=reason, determination=determination,
                note=note, changed_by=self.config.api_username,
            )  # fmt: skip

        job = self.engine.submit(
            "alert_workflow",
            job_id=self.engine.numeric_id(),
            request={
                **selection,
                "status": status,
                "closure_reason": reason,
                "determination": determination,
                "note": note,
            },
            on_complete=apply,
        )
        job.state["num_total"] = len(indices)
        return json_response({"request_id": job.id})

    async def v7_history(self, request: Request) -> Response:
        index = self.alert_by_id(request)
        alerts = self.org.alerts
        row = alerts.rows()[index]
        created = alerts.creation_history(index)
        return json_response({"history": [created, *alerts.history_log.get(row["id"], [])]})

    def threat_alerts(self, threat_id: str) -> list[int]:
        alerts = self.org.alerts
        found = [i for i, r in enumerate(alerts.rows()) if r["threat_id"] == threat_id]
        if not found:
            raise cloud_error(404, "NOT_FOUND", f"Threat {threat_id} not found")
        return found

    async def threat_notes(self, request: Request) -> Response:
        threat = request.path_params["threat_id"]
        self.threat_alerts(threat)
        alerts = self.org.alerts
        if request.method == "POST":
            body = body_dict(await read_json(request))
            text = body.get("note")
            if not isinstance(text, str) or not text:
                raise cloud_error(400, "INVALID_ARGUMENT", "note is required")
            return json_response(
                alerts.add_note(threat, text, self.config.api_username, threat=True)
            )
        return _notes_json(alerts.threat_notes.get(threat, []))

    async def threat_delete_note(self, request: Request) -> Response:
        threat = request.path_params["threat_id"]
        notes = self.org.alerts.threat_notes.get(threat, [])
        kept = [n for n in notes if n["id"] != request.path_params["note_id"]]
        if len(kept) == len(notes):
            raise cloud_error(404, "NOT_FOUND", "note not found")
        self.org.alerts.threat_notes[threat] = kept
        self.org.alerts.changed()
        return no_content()

    async def threat_history(self, request: Request) -> Response:
        threat = request.path_params["threat_id"]
        self.threat_alerts(threat)
        return json_response({"history": list(self.org.alerts.threat_history_log.get(threat, []))})

    async def threat_tags(self, request: Request) -> Response:
        threat = request.path_params["threat_id"]
        self.threat_alerts(threat)
        tags = self.org.alerts.threat_tags.setdefault(threat, [])
        if request.method == "POST":
            body = body_dict(await read_json(request))
            new = body.get("tags")
            if not isinstance(new, list) or not all(isinstance(t, str) for t in new):
                raise cloud_error(400, "INVALID_ARGUMENT", "tags must be a list of strings")
            tags.extend(t for t in new if t not in tags)
            return json_response({"tags": list(tags)})
        return json_response({"list": list(tags)})

    async def threat_delete_tag(self, request: Request) -> Response:
        threat = request.path_params["threat_id"]
        tags = self.org.alerts.threat_tags.get(threat, [])
        if request.path_params["tag"] in tags:
            tags.remove(request.path_params["tag"])
        return json_response({"tags": list(tags)})

    async def v7_suggestions(self, request: Request) -> Response:
        return self.suggestions(request, tuple(self.org.alerts.v7.columns))

    def grouped(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        group_by = body.get("group_by") or {"field": "THREAT_ID"}
        if not isinstance(group_by, dict) or str(group_by.get("field", "")).upper() != "THREAT_ID":
            raise CriteriaError(
                "group_by.field must be THREAT_ID", field="group_by.field", known=("THREAT_ID",)
            )
        alerts = self.org.alerts
        indices = self.alert_select(body, v6=False)
        groups: dict[str, list[int]] = {}
        for i in indices:
            groups.setdefault(alerts.rows()[i]["threat_id"], []).append(i)
        out = []
        for threat, members in groups.items():
            newest = max(members, key=lambda i: alerts.rows()[i]["backend_timestamp"])
            states: dict[str, int] = {}
            verdicts: dict[str, int] = {}
            for i in members:
                wf = alerts.workflow(i)
                states[wf.status] = states.get(wf.status, 0) + 1
                verdicts[wf.determination] = verdicts.get(wf.determination, 0) + 1
            rows = [alerts.rows()[i] for i in members]
            out.append(
                {
                    "count": len(members),
                    "workflow_states": states,
                    "determination_values": verdicts,
                    "ml_classification_final_verdicts": {},
                    "first_alert_timestamp": min(r["backend_timestamp"] for r in rows),
                    "last_alert_timestamp": max(r["backend_timestamp"] for r in rows),
                    "highest_severity": max(r["severity"] for r in rows),
                    "policy_applied": "APPLIED"
                    if any(r["policy_applied"] == "APPLIED" for r in rows)
                    else "NOT_APPLIED",
                    "threat_notes_present": bool(alerts.threat_notes.get(threat)),
                    "tags": sorted({t for r in rows for t in r["tags"]}),
                    "device_count": len({r["device_id"] for r in rows if "device_id" in r}),
                    "workload_count": len(
                        {r["k8s_workload_name"] for r in rows if "k8s_workload_name" in r}
                    ),
                    "most_recent_alert": alerts.render_v7(newest),
                }
            )
        spec = sort_spec(body.get("sort")) or [("count", True)]
        for name, desc in reversed(spec):
            out.sort(
                key=lambda g: (
                    (g.get(name) is None, g.get(name) or 0) if name != "most_recent_alert" else 0
                ),
                reverse=desc,
            )
        return out, len(indices)

    async def grouped_search(self, request: Request) -> Response:
        body = body_dict(await read_json(request, required=False))
        groups, total = self.grouped(body)
        offset, rows = cloud_page(body, default_rows=10, one_based=True)
        return json_response(
            {
                "num_found": len(groups),
                "num_available": min(len(groups), 10_000),
                "group_by_total_count": total,
                "results": groups[offset : offset + rows],
            }
        )

    async def grouped_facet(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        return json_response(self.facets(body, self.alert_select(body, v6=False), v6=False))

    async def v7_export(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        if str(body.get("format", "CSV")).upper() != "CSV":
            raise CriteriaError("format must be CSV", field="format", known=("CSV",))
        indices = self.alert_select(body, v6=False)
        fields = body.get("fields") or [
            "id",
            "type",
            "backend_timestamp",
            "severity",
            "device_name",
            "process_name",
            "reason",
        ]

        def output() -> bytes:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(fields)
            alerts = self.org.alerts
            for i in indices:
                row = alerts.render_v7(i)
                writer.writerow([row.get(f, "") for f in fields])
            return buffer.getvalue().encode()

        job = self.engine.submit("alert_export", job_id=self.engine.numeric_id(), request=body)
        job.state.update(num_total=len(indices), output=output)
        return json_response({"job_id": job.id})


class AlertV6Routes(AlertHandlers):
    """Alerts v6: search and facets by type, per-alert and per-threat workflow, bulk workflow
    with its status."""

    # ------------------------------------------------------------------------------ alerts v6
    def v6_kind(self, request: Request) -> str | None:
        kind = request.path_params.get("alert_type")
        if kind is None:
            return None
        mapped = _V6_TYPES.get(kind.lower())
        if mapped is None:
            raise cloud_error(404, "NOT_FOUND", f"no alert type {kind!r}")
        return mapped

    async def v6_search(self, request: Request) -> Response:
        body = body_dict(await read_json(request, required=False))
        indices = self.alert_search(body, v6=True, kind=self.v6_kind(request))
        page = self.alert_page(body, indices)
        alerts = self.org.alerts
        return json_response(
            {"results": [alerts.render_v6(i) for i in page], "num_found": len(indices)}
        )

    async def v6_facet(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        return json_response(
            self.facets(body, self.alert_select(body, v6=True, kind=self.v6_kind(request)), v6=True)
        )

    async def v6_get(self, request: Request) -> Response:
        return json_response(self.org.alerts.render_v6(self.alert_by_id(request)))

    def v6_workflow_args(self, body: dict[str, Any]) -> tuple[str, str | None, str | None]:
        state_ = body.get("state")
        if state_ not in _V6_STATES:
            raise CriteriaError(f"invalid state {state_!r}", field="state", known=_V6_STATES)
        remediation = body.get("remediation_state")
        comment = body.get("comment")
        return (
            state_,
            remediation if isinstance(remediation, str) else None,
            comment if isinstance(comment, str) else None,
        )

    def v6_workflow_json(self, index: int) -> dict[str, Any]:
        workflow: dict[str, Any] = self.org.alerts.render_v6(index)["workflow"]
        return workflow

    async def v6_alert_workflow(self, request: Request) -> Response:
        index = self.alert_by_id(request)
        state_, remediation, comment = self.v6_workflow_args(body_dict(await read_json(request)))
        self.org.alerts.set_workflow(
            [index], status="CLOSED" if state_ == "DISMISSED" else "OPEN", closure_reason=remediation,
            determination=None, note=comment, changed_by=self.config.api_username,
        )  # fmt: skip
        return json_response(self.v6_workflow_json(index))

    async def v6_threat_workflow(self, request: Request) -> Response:
        threat = request.path_params["threat_id"]
        state_, remediation, comment = self.v6_workflow_args(body_dict(await read_json(request)))
        self.org.alerts.set_threat_workflow(
            [threat], status="CLOSED" if state_ == "DISMISSED" else "OPEN", remediation=remediation,
            comment=comment, changed_by=self.config.api_username,
        )  # fmt: skip
        return json_response(
            {
                "state": state_,
                "remediation": remediation,
                "comment": comment,
                "changed_by": self.config.api_username,
                "last_update_time": iso(self.clock.time()),
            }
        )

    def v6_bulk(
        self,
        body: dict[str, Any],
        apply: Callable[[], int],
        hits: int,
        state_: str,
        remediation: str | None,
        comment: str | None,
    ) -> Response:
        seq = self.engine.numeric_id()
        request_id = f"{int(self.clock.time() * 1000)}{seq[-3:]}"

        def done(job: Job) -> None:
            job.state["num_success"] = apply()

        job = self.engine.submit(
            "alert_workflow_v6", job_id=request_id, request=body, on_complete=done
        )
        job.state.update(
            num_hits=hits,
            workflow={"state": state_, "remediation": remediation, "comment": comment, "changed_by": self.config.api_username, "last_update_time": iso(self.clock.time())},
        )  # fmt: skip
        return json_response({"request_id": request_id})

    async def v6_criteria_workflow(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        state_, remediation, comment = self.v6_workflow_args(body)
        indices = self.alert_select(body, v6=True, kind=self.v6_kind(request))

        def apply() -> int:
            return self.org.alerts.set_workflow(
                indices, status="CLOSED" if state_ == "DISMISSED" else "OPEN",
                closure_reason=remediation, determination=None, note=comment, changed_by=self.config.api_username,
            )  # fmt: skip

        return self.v6_bulk(body, apply, len(indices), state_, remediation, comment)

    async def v6_threat_criteria_workflow(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        state_, remediation, comment = self.v6_workflow_args(body)
        threats = body.get("threat_id")
        if not isinstance(threats, list) or not all(isinstance(t, str) for t in threats):
            raise cloud_error(400, "INVALID_ARGUMENT", "threat_id must be a list of strings")
        hits = sum(1 for r in self.org.alerts.rows() if r["threat_id"] in set(threats))

        def apply() -> int:
            return self.org.alerts.set_threat_workflow(
                threats, status="CLOSED" if state_ == "DISMISSED" else "OPEN", remediation=remediation,
                comment=comment, changed_by=self.config.api_username,
            )  # fmt: skip

        return self.v6_bulk(body, apply, hits, state_, remediation, comment)

    async def v6_workflow_status(self, request: Request) -> Response:
        job, _ = self.engine.poll(request.path_params["request_id"], "alert_workflow_v6")
        now = self.clock.monotonic()
        contacted, _ = job.progress(now)
        done = job.done(now)
        self.engine.sweep()
        return json_response(
            {
                "id": job.id,
                "status": "FINISHED" if done else ("IN_PROGRESS" if contacted else "QUEUED"),
                "num_hits": job.state.get("num_hits", 0),
                "num_success": job.state.get("num_success", 0) if done else 0,
                "failed_ids": [],
                "errors": [],
                "workflow": job.state.get("workflow", {}),
            }
        )

    async def v6_suggestions(self, request: Request) -> Response:
        return self.suggestions(request, tuple(self.org.alerts.v6.columns))

    async def v6_notes(self, request: Request) -> Response:
        return await self.v7_notes(request)
