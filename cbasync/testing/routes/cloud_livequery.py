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
from starlette.routing import BaseRoute, Route

from cbasync.testing.dataset.cloud import (
    CloudOrg,
    LiveQueryRun,
    LiveQueryStore,
    cloud_org,
    iso,
    stable,
)
from cbasync.testing.jobs import job_engine
from cbasync.testing.routes._common import cloud_error, json_response, no_content, read_json
from cbasync.testing.routes.cloud_common import Handler, body_dict, cloud_handler
from cbasync.testing.search import dict_table, facet_values, sort_spec
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

LQ = "/livequery/v1/orgs/{org_key}"
_RESULT_TIMES = ("time_received",)


def routes(state: EmulatorState) -> list[BaseRoute]:
    config = state.config
    org_key = config.org_key
    user = config.api_username

    def org() -> CloudOrg:
        return cloud_org(state)

    def store() -> LiveQueryStore:
        return org().livequery

    def run_of(request: Request) -> LiveQueryRun:
        run = store().runs.get(request.path_params["run_id"])
        if run is None:
            raise cloud_error(404, "NOT_FOUND", f"Run {request.path_params['run_id']} not found")
        return run

    def page(body: dict[str, Any], rows_default: int = 100) -> tuple[int, int]:
        start = body.get("start", 0) or 0
        rows = body.get("rows", rows_default)
        if not isinstance(start, int) or not isinstance(rows, int) or start < 0 or rows < 0:
            raise cloud_error(
                400, "INVALID_ARGUMENT", "start and rows must be non-negative integers"
            )
        return start, min(rows, 10_000)

    def filtered(
        rows: list[dict[str, Any]], body: dict[str, Any], default_sort: list[tuple[str, bool]]
    ) -> list[dict[str, Any]]:
        table = dict_table(rows, time_fields=_RESULT_TIMES)
        indices = table.select(
            query=body.get("query"), criteria=body.get("criteria"), anchor=state.clock.time()
        )
        indices = table.sorted(indices, sort_spec(body.get("sort")), default=default_sort)
        return [rows[i] for i in indices]

    async def create_run(request: Request) -> Response:
        body = body_dict(await read_json(request))
        run = store().create(body, user)
        state.counters.job_created("livequery_run")
        return json_response(store().render(run))

    async def get_run(request: Request) -> Response:
        run = run_of(request)
        state.counters.job_polled("livequery_run")
        return json_response(store().render(run))

    async def delete_run(request: Request) -> Response:
        run = run_of(request)
        del store().runs[run.id]
        return no_content()

    async def run_status(request: Request) -> Response:
        run = run_of(request)
        body = body_dict(await read_json(request))
        if str(body.get("status", "")).upper() != "CANCELLED":
            raise cloud_error(400, "INVALID_ARGUMENT", "status must be CANCELLED")
        if store().status(run) != "ACTIVE":
            raise cloud_error(409, "CONFLICT", f"Run {run.id} is {store().status(run)}, not ACTIVE")
        run.status_override = "CANCELLED"
        run.cancellation_time = state.clock.time()
        run.cancelled_by = user
        return json_response(store().render(run))

    async def history(request: Request) -> Response:
        body = body_dict(await read_json(request, required=False))
        runs = [store().render(r) for r in store().runs.values()]
        criteria = dict(body.get("criteria") or {})
        hits = filtered(runs, {**body, "criteria": criteria}, [("create_time", True)])
        start, rows = page(body, 10)
        return json_response(
            {"org_key": org_key, "num_found": len(hits), "results": hits[start : start + rows]}
        )

    def csv_bytes(rows: list[dict[str, Any]]) -> bytes:
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

    async def results(request: Request) -> Response:
        run = run_of(request)
        body = body_dict(await read_json(request, required=False))
        state.counters.job_polled("livequery_run")
        hits = filtered(store().result_rows(run), body, [])
        if request.query_params.get("format", "").lower() == "csv":
            if request.query_params.get("async", "").lower() == "true":
                engine = job_engine(state)
                job = engine.submit(
                    "livequery_export", job_id=engine.numeric_id(), request={"run_id": run.id}
                )
                job.state.update(num_total=len(hits), output=lambda: csv_bytes(hits))
                return json_response(
                    {"ref_url": f"/jobs/v1/orgs/{org_key}/jobs/{job.id}", "job_id": job.id}
                )
            return Response(csv_bytes(hits), media_type="text/csv")
        start, rows = page(body)
        return json_response(
            {"org_key": org_key, "num_found": len(hits), "results": hits[start : start + rows]}
        )

    async def summaries(request: Request) -> Response:
        run = run_of(request)
        body = body_dict(await read_json(request, required=False))
        hits = filtered(store().summaries(run), body, [])
        start, rows = page(body)
        return json_response(
            {"org_key": org_key, "num_found": len(hits), "results": hits[start : start + rows]}
        )

    def facet(rows: list[dict[str, Any]], body: dict[str, Any]) -> Response:
        terms = body.get("terms") or {}
        fields = terms.get("fields") if isinstance(terms, dict) else None
        if not isinstance(fields, list) or not fields:
            raise cloud_error(400, "INVALID_ARGUMENT", "terms.fields needs at least one field")
        hits = filtered(rows, body, [])
        table = dict_table(hits)
        limit = terms.get("rows") if isinstance(terms.get("rows"), int) else 0
        out = []
        for name in fields:
            values = facet_values(table.facet(range(len(hits)), name), limit)
            out.append({"field": name, "values": values})
        return json_response({"terms": out})

    async def result_facet(request: Request) -> Response:
        return facet(store().result_rows(run_of(request)), body_dict(await read_json(request)))

    async def summary_facet(request: Request) -> Response:
        return facet(store().summaries(run_of(request)), body_dict(await read_json(request)))

    async def scroll(request: Request) -> Response:
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
        runs = [r for r in store().runs.values() if not run_ids or r.id in set(run_ids)]
        everything: list[dict[str, Any]] = []
        for run in runs:
            everything.extend(store().result_rows(run))
        hits = filtered(
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
                "org_key": org_key,
                "num_found": len(hits),
                "num_remaining": len(hits) - nxt,
                "search_after": str(nxt) if nxt < len(hits) else "",
                "results": chunk,
            }
        )

    async def create_template(request: Request) -> Response:
        body = body_dict(await read_json(request))
        schedule = body.get("schedule")
        if not isinstance(schedule, dict) or not schedule.get("rrule"):
            raise cloud_error(400, "INVALID_ARGUMENT", "schedule.rrule is required")
        run = store().create(body, user)  # the first execution starts now
        template_id = f"{stable('template', run.id):016x}"[:16]
        run.template_id = template_id
        template = {
            "org_key": org_key,
            "id": template_id,
            "name": body.get("name") or run.name,
            "sql": run.sql,
            "created_by": user,
            "create_time": iso(state.clock.time()),
            "device_filter": run.device_filter,
            "notify_on_finish": run.notify_on_finish,
            "schedule": {**schedule, "status": "ACTIVE", "previous_run_time": iso(run.create_time)},
            "last_run_create_time": iso(run.create_time),
            "destinations": ["LQ"],
        }
        store().templates[template_id] = template
        return json_response(template)

    def template_of(request: Request) -> dict[str, Any]:
        template = store().templates.get(request.path_params["template_id"])
        if template is None:
            raise cloud_error(404, "NOT_FOUND", "template not found")
        return template

    async def get_template(request: Request) -> Response:
        return json_response(template_of(request))

    async def put_template(request: Request) -> Response:
        template = template_of(request)
        body = body_dict(await read_json(request))
        schedule = body.get("schedule")
        if isinstance(schedule, dict):
            template["schedule"] = {**template["schedule"], **schedule}
        for key in ("name", "notify_on_finish"):
            if key in body:
                template[key] = body[key]
        return json_response(template)

    async def search_templates(request: Request) -> Response:
        body = body_dict(await read_json(request, required=False))
        hits = filtered(list(store().templates.values()), body, [("create_time", True)])
        start, rows = page(body, 10)
        return json_response(
            {"org_key": org_key, "num_found": len(hits), "results": hits[start : start + rows]}
        )

    table: list[tuple[str, Handler, list[str]]] = [
        (f"{LQ}/runs", create_run, ["POST"]),
        (f"{LQ}/runs/_search", history, ["POST"]),
        (f"{LQ}/runs/results/_scroll", scroll, ["POST"]),
        (f"{LQ}/runs/{{run_id}}", get_run, ["GET"]),
        (f"{LQ}/runs/{{run_id}}", delete_run, ["DELETE"]),
        (f"{LQ}/runs/{{run_id}}/status", run_status, ["PUT"]),
        (f"{LQ}/runs/{{run_id}}/results/_search", results, ["POST"]),
        (f"{LQ}/runs/{{run_id}}/results/_facet", result_facet, ["POST"]),
        (f"{LQ}/runs/{{run_id}}/results/device_summaries/_search", summaries, ["POST"]),
        (f"{LQ}/runs/{{run_id}}/results/device_summaries/_facet", summary_facet, ["POST"]),
        (f"{LQ}/templates", create_template, ["POST"]),
        (f"{LQ}/templates/_search", search_templates, ["POST"]),
        (f"{LQ}/templates/{{template_id}}", get_template, ["GET"]),
        (f"{LQ}/templates/{{template_id}}", put_template, ["PUT"]),
    ]
    return [Route(path, cloud_handler(org_key, h), methods=m) for path, h, m in table]
