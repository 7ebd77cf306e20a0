"""LiveQuery (Audit & Remediation): ``/livequery/v1/orgs/{org_key}`` (wire-protocol §5).

A run targets the devices its ``device_filter`` selects (``device_id``/``os``/``policy_id``/
``deployment_type``, or the legacy ``device_ids``/``device_types``/``policy_ids``). Online devices
answer at seeded moments within ``job_duration``; offline ones stay ``not_started``, so a run over
them stays ``ACTIVE`` (until its 7-day ``timeout_time``), as on the real service. The SQL runs
against each device's data and disk (``system_info``, ``os_version``, ``processes``, ``users``,
``uptime``, ``file``, ``programs``, ...); SQL osquery would refuse gives the device status
``error`` with the message in ``device_message``.

Routes: create, get, cancel (``PUT .../status``), delete, history search, results search (0-based
``start``; ``?format=csv``, ``&async=true`` for a Jobs API export), device summaries, result and
summary facets, the cross-run ``_scroll``, and templates (scheduled runs).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from cbasync.testing.dataset.cloud import LiveQueryRun, LiveQueryStore, iso, stable
from cbasync.testing.dataset.cloud.livequery import device_filter_json
from cbasync.testing.routes._cloud import CloudHandlers, body_dict, cloud_guard
from cbasync.testing.routes._common import (
    RouteSpec,
    cloud_error,
    json_response,
    no_content,
    read_json,
    route_table,
)
from cbasync.testing.search import dict_table, facet_values, sort_spec
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

LQ = "/livequery/v1/orgs/{org_key}"
_RESULT_TIMES = ("time_received",)


class LiveQueryRoutes(CloudHandlers):
    """Runs, their results and device summaries, and templates of the org's LiveQuery."""

    @property
    def store(self) -> LiveQueryStore:
        return self.org.livequery

    def run_of(self, request: Request) -> LiveQueryRun:
        run = self.store.runs.get(request.path_params["run_id"])
        if run is None:
            raise cloud_error(404, "NOT_FOUND", f"Run {request.path_params['run_id']} not found")
        return run

    def page(self, body: dict[str, Any], rows_default: int = 100) -> tuple[int, int]:
        start = body.get("start", 0) or 0
        rows = body.get("rows", rows_default)
        if not isinstance(start, int) or not isinstance(rows, int) or start < 0 or rows < 0:
            raise cloud_error(
                400, "INVALID_ARGUMENT", "start and rows must be non-negative integers"
            )
        return start, min(rows, 10_000)

    def filtered(
        self, rows: list[dict[str, Any]], body: dict[str, Any], default_sort: list[tuple[str, bool]]
    ) -> list[dict[str, Any]]:
        table = dict_table(rows, time_fields=_RESULT_TIMES)
        indices = table.select(
            query=body.get("query"), criteria=body.get("criteria"), anchor=self.clock.time()
        )
        indices = table.sorted(indices, sort_spec(body.get("sort")), default=default_sort)
        return [rows[i] for i in indices]

    async def create_run(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        run = self.store.create(body, self.config.api_username)
        self.state.counters.job_created("livequery_run")
        return json_response(self.store.render(run))

    async def get_run(self, request: Request) -> Response:
        run = self.run_of(request)
        self.state.counters.job_polled("livequery_run")
        return json_response(self.store.render(run))

    async def delete_run(self, request: Request) -> Response:
        run = self.run_of(request)
        del self.store.runs[run.id]
        return no_content()

    async def run_status(self, request: Request) -> Response:
        run = self.run_of(request)
        body = body_dict(await read_json(request))
        if str(body.get("status", "")).upper() != "CANCELLED":
            raise cloud_error(400, "INVALID_ARGUMENT", "status must be CANCELLED")
        if self.store.status(run) != "ACTIVE":
            raise cloud_error(
                409, "CONFLICT", f"Run {run.id} is {self.store.status(run)}, not ACTIVE"
            )
        run.status_override = "CANCELLED"
        run.cancellation_time = self.clock.time()
        run.cancelled_by = self.config.api_username
        return json_response(self.store.render(run))

    async def history(self, request: Request) -> Response:
        body = body_dict(await read_json(request, required=False))
        runs = [self.store.render(r) for r in self.store.runs.values()]
        criteria = dict(body.get("criteria") or {})
        hits = self.filtered(runs, {**body, "criteria": criteria}, [("create_time", True)])
        start, rows = self.page(body, 10)
        return json_response(
            {
                "org_key": self.config.org_key,
                "num_found": len(hits),
                "results": hits[start : start + rows],
            }
        )

    def csv_bytes(self, rows: list[dict[str, Any]]) -> bytes:
        columns = sorted({k for r in rows for k in r.get("fields", {})})
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["device_id", "device_name", "status", "time_received", *columns])
        for r in rows:
            writer.writerow(
                [
                    r["device"]["id"],
                    r["device"]["name"],
                    r["status"],
                    r["time_received"],
                    *(r.get("fields", {}).get(c, "") for c in columns),
                ]
            )
        return buffer.getvalue().encode()

    async def results(self, request: Request) -> Response:
        run = self.run_of(request)
        body = body_dict(await read_json(request, required=False))
        self.state.counters.job_polled("livequery_run")
        hits = self.filtered(self.store.result_rows(run), body, [])
        if request.query_params.get("format", "").lower() == "csv":
            if request.query_params.get("async", "").lower() == "true":
                engine = self.engine
                job = engine.submit(
                    "livequery_export", job_id=engine.numeric_id(), request={"run_id": run.id}
                )
                job.state.update(num_total=len(hits), output=lambda: self.csv_bytes(hits))
                return json_response(
                    {
                        "ref_url": f"/jobs/v1/orgs/{self.config.org_key}/jobs/{job.id}",
                        "job_id": job.id,
                    }
                )
            return Response(self.csv_bytes(hits), media_type="text/csv")
        start, rows = self.page(body)
        return json_response(
            {
                "org_key": self.config.org_key,
                "num_found": len(hits),
                "results": hits[start : start + rows],
            }
        )

    async def summaries(self, request: Request) -> Response:
        run = self.run_of(request)
        body = body_dict(await read_json(request, required=False))
        hits = self.filtered(self.store.summaries(run), body, [])
        start, rows = self.page(body)
        return json_response(
            {
                "org_key": self.config.org_key,
                "num_found": len(hits),
                "results": hits[start : start + rows],
            }
        )

    def facet(self, rows: list[dict[str, Any]], body: dict[str, Any]) -> Response:
        terms = body.get("terms") or {}
        fields = terms.get("fields") if isinstance(terms, dict) else None
        if not isinstance(fields, list) or not fields:
            raise cloud_error(400, "INVALID_ARGUMENT", "terms.fields needs at least one field")
        hits = self.filtered(rows, body, [])
        table = dict_table(hits)
        limit = terms.get("rows") if isinstance(terms.get("rows"), int) else 0
        out = []
        for name in fields:
            values = facet_values(table.facet(range(len(hits)), name), limit)
            out.append({"field": name, "values": values})
        return json_response({"terms": out})

    async def result_facet(self, request: Request) -> Response:
        return self.facet(
            self.store.result_rows(self.run_of(request)), body_dict(await read_json(request))
        )

    async def summary_facet(self, request: Request) -> Response:
        return self.facet(
            self.store.summaries(self.run_of(request)), body_dict(await read_json(request))
        )

    async def scroll(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        if "start" in body:
            raise cloud_error(400, "INVALID_ARGUMENT", "_scroll takes search_after, not start")
        rows = body.get("rows", 10_000)
        if not isinstance(rows, int) or not 0 < rows <= 10_000:
            raise cloud_error(400, "INVALID_ARGUMENT", "rows must be between 1 and 10000")
        criteria = dict(body.get("criteria") or {})
        run_ids = criteria.pop("run_id", None)
        window = criteria.get("time_received")
        if not run_ids and not window:
            raise cloud_error(
                400, "INVALID_ARGUMENT", "criteria.run_id or criteria.time_received is required"
            )
        runs = [r for r in self.store.runs.values() if not run_ids or r.id in set(run_ids)]
        everything: list[dict[str, Any]] = []
        for run in runs:
            everything.extend(self.store.result_rows(run))
        hits = self.filtered(
            everything,
            {"query": body.get("query"), "criteria": criteria},
            [("time_received", False)],
        )
        after = str(body.get("search_after") or "0")
        offset = int(after) if after.isdigit() else 0
        chunk = hits[offset : offset + rows]
        nxt = offset + len(chunk)
        return json_response(
            {
                "org_key": self.config.org_key,
                "num_found": len(hits),
                "num_remaining": len(hits) - nxt,
                "search_after": str(nxt) if nxt < len(hits) else "",
                "results": chunk,
            }
        )

    async def create_template(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        schedule = body.get("schedule")
        if not isinstance(schedule, dict) or not schedule.get("rrule"):
            raise cloud_error(400, "INVALID_ARGUMENT", "schedule.rrule is required")
        run = self.store.create(body, self.config.api_username)  # the first execution starts now
        template_id = f"{stable('template', run.id):016x}"[:16]
        run.template_id = template_id
        template = {
            "org_key": self.config.org_key,
            "id": template_id,
            "name": body.get("name") or run.name,
            "sql": run.sql,
            "created_by": self.config.api_username,
            "create_time": iso(self.clock.time()),
            "device_filter": device_filter_json(run.device_filter),
            "notify_on_finish": run.notify_on_finish,
            "schedule": {**schedule, "status": "ACTIVE", "previous_run_time": iso(run.create_time)},
            "last_run_create_time": iso(run.create_time),
            "destinations": ["LQ"],
        }
        self.store.templates[template_id] = template
        return json_response(template)

    def template_of(self, request: Request) -> dict[str, Any]:
        template = self.store.templates.get(request.path_params["template_id"])
        if template is None:
            raise cloud_error(404, "NOT_FOUND", "template not found")
        return template

    async def get_template(self, request: Request) -> Response:
        return json_response(self.template_of(request))

    async def put_template(self, request: Request) -> Response:
        template = self.template_of(request)
        body = body_dict(await read_json(request))
        schedule = body.get("schedule")
        if isinstance(schedule, dict):
            template["schedule"] = {**template["schedule"], **schedule}
        for key in ("name", "notify_on_finish"):
            if key in body:
                template[key] = body[key]
        return json_response(template)

    async def search_templates(self, request: Request) -> Response:
        body = body_dict(await read_json(request, required=False))
        hits = self.filtered(list(self.store.templates.values()), body, [("create_time", True)])
        start, rows = self.page(body, 10)
        return json_response(
            {
                "org_key": self.config.org_key,
                "num_found": len(hits),
                "results": hits[start : start + rows],
            }
        )


def routes(state: EmulatorState) -> list[BaseRoute]:
    h = LiveQueryRoutes(state)
    table: list[RouteSpec] = [
        (f"{LQ}/runs", h.create_run, ["POST"]),
        (f"{LQ}/runs/_search", h.history, ["POST"]),
        (f"{LQ}/runs/results/_scroll", h.scroll, ["POST"]),
        (f"{LQ}/runs/{{run_id}}", h.get_run, ["GET"]),
        (f"{LQ}/runs/{{run_id}}", h.delete_run, ["DELETE"]),
        (f"{LQ}/runs/{{run_id}}/status", h.run_status, ["PUT"]),
        (f"{LQ}/runs/{{run_id}}/results/_search", h.results, ["POST"]),
        (f"{LQ}/runs/{{run_id}}/results/_facet", h.result_facet, ["POST"]),
        (f"{LQ}/runs/{{run_id}}/results/device_summaries/_search", h.summaries, ["POST"]),
        (f"{LQ}/runs/{{run_id}}/results/device_summaries/_facet", h.summary_facet, ["POST"]),
        (f"{LQ}/templates", h.create_template, ["POST"]),
        (f"{LQ}/templates/_search", h.search_templates, ["POST"]),
        (f"{LQ}/templates/{{template_id}}", h.get_template, ["GET"]),
        (f"{LQ}/templates/{{template_id}}", h.put_template, ["PUT"]),
    ]
    return route_table(table, wrap=cloud_guard(state.config.org_key))
