"""Enterprise EDR investigate API: process and auth-event search jobs, events (wire-protocol §4,
seed 004).

Processes (``/api/investigate/v2/orgs/{org_key}/processes``): ``search_jobs`` (→ ``{job_id}``)
and their ``results`` (``start`` 0-based, ``rows`` default 10; ``contacted``/``completed``
advance over ``job_duration``; ``num_found`` may exceed ``num_available``, which stops at the
job's ``rows`` — default 500, at most 10,000), ``detail_jobs``, ``summary_jobs`` (``format=summary``
or ``tree``; an unknown GUID answers 200 with ``exception: NOT_FOUND``), ``facet_jobs`` (terms and
ranges), ``search_validation`` (v2 POST, v1 GET), the v1 job list, ``limits``, and the legacy v1
summary and tree routes (``incomplete_results``).

Events (``/api/investigate/v2/orgs/{org_key}/events/{process_guid}``): ``_search`` and ``_facet``,
answered complete in one go (``processed_segments == total_segments``).

Auth events (``/api/investigate/v2/orgs/{org_key}/auth_events``): the whole of seed 004 — search,
detail, facet and group jobs, descriptions, suggestions and query validation. Ids carry the
``-sqs`` suffix the seed shows on search and detail jobs.

The job plumbing both share is :mod:`~cbasync.testing.routes._search_jobs`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from cbasync.testing.dataset.cloud import AUTH_DESCRIPTIONS, event_table, iso, process_events
from cbasync.testing.jobs import MAX_AVAILABLE
from cbasync.testing.routes._cloud import body_dict, cloud_guard
from cbasync.testing.routes._common import (
    RouteSpec,
    cloud_error,
    int_param,
    json_response,
    read_json,
    route_table,
)
from cbasync.testing.routes._search_jobs import (
    A2,
    E1,
    E2,
    P1,
    P2,
    TH1,
    SearchJobHandlers,
    facet_answer,
    validation,
)
from cbasync.testing.search import (
    CriteriaError,
    Table,
    epoch_of,
    sort_spec,
    window_seconds,
)
from cbasync.testing.state import EmulatorState

__all__ = ["routes", "validation"]


class ProcessSearchRoutes(SearchJobHandlers):
    """Process search, detail, summary and facet jobs, the legacy summary and tree routes, and
    one process's events."""

    # ------------------------------------------------------------------ processes
    async def process_search(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        return self.submit_search("process_search", lambda: self.org.processes.table, body, "")

    async def process_results(self, request: Request) -> Response:
        return self.search_results(request, "process_search", self.org.processes)

    async def process_status_v1(self, request: Request) -> Response:
        job, view = self.engine.poll(request.path_params["job_id"], "process_search")
        return json_response(
            {"contacted": view.contacted, "completed": view.completed, "query": job.request}
        )

    async def process_job_list(self, request: Request) -> Response:
        return json_response({"query_ids": [j.id for j in self.engine.jobs("process_search")]})

    async def process_limits(self, request: Request) -> Response:
        anchor = self.org.anchor
        lower = anchor - self.config.history_days * 86_400
        return json_response(
            {
                "status_code": 200,
                "time_bounds": {"upper": int(anchor * 1000), "lower": int(lower * 1000)},
            }
        )

    async def process_validation(self, request: Request) -> Response:
        if request.method == "POST":
            body = body_dict(await read_json(request))
            return json_response(validation(body.get("query") or body.get("q")))
        return json_response(validation(request.query_params.get("q")))

    async def process_details(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        guids = body.get("process_guids")
        if not isinstance(guids, list) or not guids:
            raise cloud_error(400, "INVALID_ARGUMENT", "process_guids (a list) is required")
        store = self.org.processes
        ids = [i for i in (store.index_of(str(g)) for g in guids) if i is not None]
        return self.detail_job("process_detail", ids, lambda i: store.doc(i, full=True))

    def summary(self, i: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
        store = self.org.processes
        if i is None:
            return {}, {}
        doc = store.doc(i, full=True)
        parent = store.parent_index(i)
        children = [store.doc(c, full=True) for c in store.children(i)]
        summary_ = {
            "process": doc,
            "parent": store.doc(parent, full=True) if parent is not None else None,
            "siblings": [store.doc(s, full=True) for s in store.siblings(i)],
            "children": children,
        }
        # The tree's nodes carry keys of their own (fixture): _process_filename, has_children,
        # and on the root, hits.
        tree = dict(
            store.tree_node(i, hits=False),
            children=[dict(store.tree_node(c), children=[]) for c in store.children(i)],
        )
        return summary_, tree

    async def summary_job(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        guid = body.get("process_guid")
        if not isinstance(guid, str) or not guid:
            raise cloud_error(400, "INVALID_ARGUMENT", "process_guid is required")
        index = self.org.processes.index_of(guid)
        job = self.engine.submit("process_summary", request=body)
        job.state["index"] = index
        return json_response({"job_id": job.id})

    async def summary_results(self, request: Request) -> Response:
        job, view = self.engine.poll(request.path_params["job_id"], "process_summary")
        fmt = request.query_params.get("format", "summary")
        index = job.state.get("index")
        out: dict[str, Any] = {"contacted": view.contacted, "completed": view.completed}
        if not view.done:
            out.update({"exception": "", fmt: {}})
            return json_response(out)
        summary_, tree = self.summary(index)
        out["exception"] = "" if index is not None else "NOT_FOUND"
        out[fmt if fmt in ("summary", "tree") else "summary"] = tree if fmt == "tree" else summary_
        return json_response(out)

    async def legacy_summary(self, request: Request) -> Response:
        guid = request.query_params.get("process_guid", "")
        index = self.org.processes.index_of(guid)
        if index is None:
            raise cloud_error(404, "NOT_FOUND", f"process {guid} not found")
        summary_, _ = self.summary(index)
        return json_response({**summary_, "incomplete_results": False})

    async def legacy_tree(self, request: Request) -> Response:
        guid = request.query_params.get("process_guid", "")
        index = self.org.processes.index_of(guid)
        if index is None:
            raise cloud_error(404, "NOT_FOUND", f"process {guid} not found")
        _, tree = self.summary(index)
        children = tree.pop("children")
        return json_response({"incomplete_results": False, "nodes": {**tree, "children": children}})

    async def process_facet_job(self, request: Request) -> Response:
        return self.facet_job(
            "process_facet", lambda: self.org.processes.table, body_dict(await read_json(request))
        )

    async def process_facet_results(self, request: Request) -> Response:
        return self.facet_results("process_facet", request)

    # ------------------------------------------------------------------ events
    def events_of(self, guid: str) -> tuple[list[dict[str, Any]], Table]:
        store = self.org.processes
        index = store.index_of(guid)
        events = process_events(store, index) if index is not None else []
        return events, event_table(events)

    async def event_search(self, request: Request) -> Response:
        body = body_dict(await read_json(request, required=False))
        guid = request.path_params["process_guid"]
        events, table = self.events_of(guid)
        query = body.get("query")
        indices = table.select(
            query=query,
            criteria=body.get("criteria"),
            exclusions=body.get("exclusions"),
            time_range=body.get("time_range"),
            anchor=self.org.anchor,
        )
        indices = table.sorted(
            indices,
            [(f, d) for f, d in sort_spec(body.get("sort")) if f != "event_timestamp"] or [],
            default=[],
        )
        start = body.get("start", 0)
        rows = body.get("rows", 10)
        if not isinstance(start, int) or not isinstance(rows, int) or start < 0 or rows < 0:
            raise cloud_error(
                400, "INVALID_ARGUMENT", "start and rows must be non-negative integers"
            )
        segments = max(1, len(events) // 100 + 1)
        return json_response(
            {
                "results": [events[i] for i in indices[start : start + min(rows, MAX_AVAILABLE)]],
                "num_found": len(indices),
                "num_available": min(len(indices), MAX_AVAILABLE),
                "approximate_unaggregated": len(indices),
                "num_aggregated": len(indices),
                "total_segments": segments,
                "processed_segments": segments,
            }
        )

    async def event_facet(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        events, table = self.events_of(request.path_params["process_guid"])
        indices = table.select(
            query=body.get("query"), criteria=body.get("criteria"), anchor=self.org.anchor
        )
        out = facet_answer(table, indices, body, None)
        segments = max(1, len(events) // 100 + 1)
        out.update(
            {"num_found": len(indices), "total_segments": segments, "processed_segments": segments}
        )
        return json_response(out)

    async def event_validation(self, request: Request) -> Response:
        if request.method == "POST":
            body = body_dict(await read_json(request))
            return json_response(validation(body.get("query") or body.get("q")))
        return json_response(validation(request.query_params.get("q")))


class AuthEventRoutes(SearchJobHandlers):
    """Auth-event search, detail, facet and group jobs, descriptions, suggestions, validation."""

    # ------------------------------------------------------------------ auth events
    async def auth_search(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        return self.submit_search("auth_search", lambda: self.org.auth_events.table, body, "-sqs")

    async def auth_results(self, request: Request) -> Response:
        return self.search_results(request, "auth_search", self.org.auth_events)

    async def auth_details(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        ids = body.get("event_ids")
        alert_id = body.get("alert_id")
        if bool(ids) == bool(alert_id):
            raise cloud_error(
                400, "INVALID_ARGUMENT", "exactly one of event_ids and alert_id is required"
            )
        store = self.org.auth_events
        if ids:
            if not isinstance(ids, list):
                raise cloud_error(400, "INVALID_ARGUMENT", "event_ids must be a list")
            found = [i for i in (store.index_of(str(e)) for e in ids) if i is not None]
        else:
            index = self.org.alerts.index_of(str(alert_id))
            device = self.org.alerts.rows()[index].get("device_id") if index is not None else None
            found = [i for i in range(store.count) if store.doc(i)["device_id"] == device][:10]
        return self.detail_job("auth_detail", found, lambda i: store.doc(i, full=True))

    async def auth_facet_job(self, request: Request) -> Response:
        return self.facet_job(
            "auth_facet", lambda: self.org.auth_events.table, body_dict(await read_json(request))
        )

    async def auth_facet_results(self, request: Request) -> Response:
        return self.facet_results("auth_facet", request)

    async def auth_group_results(self, request: Request) -> Response:
        job, view = self.engine.poll(request.path_params["job_id"], "auth_search")
        if not view.done and not view.message:
            # Grouping aggregates the whole search: the server answers once it is complete
            # (carbon-black-cloud-sdk posts group_results right after submitting, no polling).
            await self.clock.sleep(max(0.0, job.complete_mono - self.clock.monotonic()))
            job, view = self.engine.poll(job.id, "auth_search")
        body = body_dict(await read_json(request, required=False))
        fields = body.get("fields") or []
        if isinstance(fields, str):
            fields = [fields]
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise cloud_error(400, "INVALID_ARGUMENT", "fields must be a list of field names")
        store = self.org.auth_events
        table = store.table
        groups = _group(store, table, list(view.rows), [f for f in fields if f != "*"], body)
        start = body.get("start", 0) or 0
        rows = body.get("rows", 500) or 500
        page = groups[start : start + rows]
        return json_response(
            {
                "group_results": page,
                "num_found": view.num_found,
                "num_available": view.num_available,
                "groups_num_available": len(groups),
                "approximate_unaggregated": view.num_found,
                "num_aggregated": view.num_found,
                "contacted": view.contacted,
                "completed": view.completed,
            }
        )

    async def auth_descriptions(self, request: Request) -> Response:
        return json_response(AUTH_DESCRIPTIONS)

    async def auth_suggestions(self, request: Request) -> Response:
        q = request.query_params.get("suggest.q")
        if q is None:
            raise cloud_error(400, "INVALID_ARGUMENT", "suggest.q is required")
        count = int_param(request.query_params, "suggest.count", 50, minimum=0)
        if ":" in q:
            return json_response({"suggestions": []})
        prefix = q.strip().lower()
        out = [
            {"term": f, "weight": 350, "required_skus_all": ["auth"], "required_skus_some": []}
            for f in self.org.auth_events.fields()
            if f.startswith(prefix)
        ]
        return json_response({"suggestions": out[:count]})

    async def auth_validation(self, request: Request) -> Response:
        return json_response(validation(request.query_params.get("q")))


def routes(state: EmulatorState) -> list[BaseRoute]:
    h, a = ProcessSearchRoutes(state), AuthEventRoutes(state)
    table: list[RouteSpec] = [
        (f"{P2}/search_jobs", h.process_search, ["POST"]),
        (f"{P2}/search_jobs/{{job_id}}/results", h.process_results, ["GET"]),
        (f"{P1}/search_jobs/{{job_id}}", h.process_status_v1, ["GET"]),
        (f"{P1}/search_jobs", h.process_job_list, ["GET"]),
        (f"{TH1}/search_jobs", h.process_job_list, ["GET"]),
        (f"{P1}/limits", h.process_limits, ["GET"]),
        (f"{TH1}/limits", h.process_limits, ["GET"]),
        (f"{P2}/search_validation", h.process_validation, ["POST", "GET"]),
        (f"{P1}/search_validation", h.process_validation, ["GET", "POST"]),
        (f"{P2}/detail_jobs", h.process_details, ["POST"]),
        (f"{P2}/detail_jobs/{{job_id}}/results", h.detail_results, ["GET"]),
        (f"{P2}/summary_jobs", h.summary_job, ["POST"]),
        (f"{P2}/summary_jobs/{{job_id}}/results", h.summary_results, ["GET"]),
        (f"{P2}/facet_jobs", h.process_facet_job, ["POST"]),
        (f"{P2}/facet_jobs/{{job_id}}/results", h.process_facet_results, ["GET"]),
        (f"{P1}/summary", h.legacy_summary, ["GET"]),
        (f"{TH1}/tree", h.legacy_tree, ["GET"]),
        (f"{E2}/{{process_guid}}/_search", h.event_search, ["POST"]),
        (f"{E2}/{{process_guid}}/_facet", h.event_facet, ["POST"]),
        (f"{E1}/search_validation", h.event_validation, ["GET", "POST"]),
        (f"{A2}/search_jobs", a.auth_search, ["POST"]),
        (f"{A2}/search_jobs/{{job_id}}/results", a.auth_results, ["GET"]),
        (f"{A2}/search_jobs/{{job_id}}/group_results", a.auth_group_results, ["POST"]),
        (f"{A2}/detail_jobs", a.auth_details, ["POST"]),
        (f"{A2}/detail_jobs/{{job_id}}/results", a.detail_results, ["GET"]),
        (f"{A2}/facet_jobs", a.auth_facet_job, ["POST"]),
        (f"{A2}/facet_jobs/{{job_id}}/results", a.auth_facet_results, ["GET"]),
        (f"{A2}/descriptions", a.auth_descriptions, ["GET"]),
        (f"{A2}/search_suggestions", a.auth_suggestions, ["GET"]),
        (f"{A2}/search_validation", a.auth_validation, ["GET"]),
    ]
    return route_table(table, wrap=cloud_guard(state.config.org_key))


def _group(
    store: Any, table: Table, indices: list[int], fields: list[str], body: dict[str, Any]
) -> list[dict[str, Any]]:
    """Auth-event groups: by field values, then (with ``range``) by time, interval or bucket."""
    for name in fields:
        if table.column(name) is None:
            raise CriteriaError(f"invalid group field {name!r}", field="fields")
    max_events = body.get("max_events_per_group")
    spec = body.get("range") or {}
    time_field = spec.get("field") or "device_timestamp"
    duration = None
    if spec.get("duration"):
        duration = window_seconds("-" + str(spec["duration"]).lstrip("-"))
    method = str(spec.get("method") or "interval").lower()
    if method not in ("interval", "bucket"):
        raise CriteriaError(
            "range.method must be interval or bucket",
            field="range.method",
            known=("interval", "bucket"),
        )

    def key(i: int) -> tuple[str, ...]:
        out = []
        for name in fields:
            v = table.value(i, name)
            if isinstance(v, list):
                v = v[0] if v else ""
            out.append(str(v).lower() if isinstance(v, bool) else str(v))
        return tuple(out)

    def when(i: int) -> float:
        v = table.value(i, time_field)
        return float(v) if isinstance(v, (int, float)) else epoch_of(v)

    buckets: dict[tuple[str, ...], list[int]] = {}
    for i in indices:
        buckets.setdefault(key(i), []).append(i)
    groups: list[dict[str, Any]] = []
    for value, members in buckets.items():
        members.sort(key=when)
        parts: list[list[int]] = []
        if duration is None:
            parts = [members]
        else:
            for i in members:
                if not parts:
                    parts.append([i])
                    continue
                anchor = when(parts[-1][-1]) if method == "interval" else when(parts[-1][0])
                if when(i) - anchor < duration:
                    parts[-1].append(i)
                else:
                    parts.append([i])
        for part in parts:
            shown = (
                part if not isinstance(max_events, int) or max_events <= 0 else part[:max_events]
            )
            groups.append(
                {
                    "group_key": ",".join(fields),
                    "group_value": ",".join(value),
                    "group_start_timestamp": iso(when(part[0])),
                    "group_end_timestamp": iso(when(part[-1])),
                    "results": [store.doc(i, full=True) for i in shown],
                    "total_events": len(part),
                }
            )
    groups.sort(key=lambda g: (-g["total_events"], g["group_value"]))
    return groups
