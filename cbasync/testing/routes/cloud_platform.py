"""Carbon Black Cloud platform: devices v6, alerts v6 and v7 (wire-protocol §6).

The alert handlers live in :mod:`~cbasync.testing.routes.cloud_alerts`; this module's table
mounts them with the device routes.

Devices (``/appservices/v6/orgs/{org_key}``): ``GET /devices/{id}``, ``POST /devices/_search``
(``criteria``/``exclusions``/``query``/``start``/``rows``/``sort``; ``start`` is 1-based by
default — ``device_start_base`` — and 0 also means the first row), ``_facet``, ``_scroll``
(``search_after``), ``_export`` (a Jobs API job), ``GET /devices/_search/download`` (CSV) and
``POST /device_actions`` (204).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from cbasync.testing.dataset.cloud import DEVICE_FACET_FIELDS
from cbasync.testing.routes._cloud import CloudHandlers, body_dict, cloud_guard
from cbasync.testing.routes._common import (
    RouteSpec,
    cloud_error,
    cloud_page,
    json_response,
    no_content,
    read_json,
    route_table,
)
from cbasync.testing.routes.cloud_alerts import V6, V7, AlertV6Routes, AlertV7Routes
from cbasync.testing.search import CriteriaError, facet_values, sort_spec
from cbasync.testing.state import EmulatorState

__all__ = ["DeviceRoutes", "routes"]


class DeviceRoutes(CloudHandlers):
    """Devices v6: search, facets, scroll, export and download, actions."""

    # ------------------------------------------------------------------------------ devices
    async def get_device(self, request: Request) -> Response:
        raw = request.path_params["device_id"]
        ep = self.org.devices.endpoint(int(raw)) if raw.isdigit() else None
        if ep is None:
            raise cloud_error(404, "NOT_FOUND", f"Device {raw} not found")
        return json_response(self.org.devices.v6(ep))

    def device_matches(self, body: dict[str, Any]) -> list[int]:
        store = self.org.devices
        indices = store.search(body, anchor=self.org.anchor)
        return store.table.sorted(indices, sort_spec(body.get("sort")), default=[])

    async def search_devices(self, request: Request) -> Response:
        body = body_dict(await read_json(request, required=False))
        offset, rows = cloud_page(
            body, default_rows=20, one_based=self.config.device_start_base == 1
        )
        indices = self.device_matches(body)
        store = self.org.devices
        page = [store.v6(store.endpoints[i]) for i in indices[offset : offset + rows]]
        return json_response({"results": page, "num_found": len(indices)})

    async def facet_devices(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        terms = body.get("terms") or {}
        fields = terms.get("fields") if isinstance(terms, dict) else None
        if not isinstance(fields, list) or not fields:
            raise cloud_error(400, "INVALID_ARGUMENT", "terms.fields needs at least one field")
        store = self.org.devices
        indices = store.search(body, anchor=self.org.anchor)
        rows = terms.get("rows") if isinstance(terms.get("rows"), int) else 0
        results = []
        for name in fields:
            if name not in DEVICE_FACET_FIELDS:
                raise CriteriaError(
                    f"invalid facet field {name!r}", field="terms.fields", known=DEVICE_FACET_FIELDS
                )
            values = facet_values(store.table.facet(indices, name), rows)
            for v in values:
                v["name"] = store.facet_name(name, _coerce(v["id"]))
            results.append({"field": name, "values": values})
        return json_response({"results": results})

    async def scroll_devices(self, request: Request) -> Response:
        body = body_dict(await read_json(request, required=False))
        rows = body.get("rows", 10_000)
        if not isinstance(rows, int) or not 0 < rows <= 10_000:
            raise cloud_error(400, "INVALID_ARGUMENT", "rows must be between 1 and 10000")
        after = str(body.get("search_after") or "0")
        offset = int(after) if after.isdigit() else 0
        store = self.org.devices
        indices = self.device_matches({k: v for k, v in body.items() if k != "sort"})
        page = indices[offset : offset + rows]
        nxt = offset + len(page)
        return json_response(
            {
                "results": [store.v6(store.endpoints[i]) for i in page],
                "num_found": len(indices),
                "search_after": str(nxt) if nxt < len(indices) else "",
            }
        )

    def devices_csv(self, indices: list[int]) -> bytes:
        store = self.org.devices
        columns = ("id", "name", "os", "os_version", "status", "policy_name", "sensor_version", "last_contact_time", "last_internal_ip_address", "quarantined")  # fmt: skip
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for i in indices:
            row = store.v6(store.endpoints[i])
            writer.writerow([row[c] for c in columns])
        return buffer.getvalue().encode()

    async def export_devices(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        if str(body.get("format", "CSV")).upper() != "CSV":
            raise CriteriaError("format must be CSV", field="format", known=("CSV",))
        indices = self.device_matches(body)
        job = self.engine.submit(
            "device_export",
            job_id=self.engine.numeric_id(),
            request={k: v for k, v in body.items() if k != "format"},
        )
        job.state.update(num_total=len(indices), output=lambda: self.devices_csv(indices))
        return json_response(
            {
                "id": int(job.id),
                "type": "ENDPOINTS",
                "status": "IN_PROGRESS",
                "org_key": self.config.org_key,
            }
        )

    async def download_devices(self, request: Request) -> Response:
        params = request.query_params
        if not params.get("status"):
            raise cloud_error(400, "INVALID_ARGUMENT", "status is required (e.g. ALL)")
        criteria: dict[str, Any] = {"status": params["status"].split(",")}
        for key in ("ad_group_id", "policy_id"):
            if params.get(key):
                criteria[key] = [int(v) for v in params[key].split(",") if v.strip().isdigit()]
        if params.get("target_priority"):
            criteria["target_priority"] = params["target_priority"].split(",")
        body: dict[str, Any] = {"criteria": criteria, "query": params.get("query_string")}
        if params.get("sort_field"):
            body["sort"] = [
                {"field": params["sort_field"], "order": params.get("sort_order", "asc")}
            ]
        return Response(self.devices_csv(self.device_matches(body)), media_type="text/csv")

    async def device_actions(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        action = body.get("action_type")
        if not isinstance(action, str):
            raise cloud_error(400, "INVALID_ARGUMENT", "action_type is required")
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise cloud_error(400, "INVALID_ARGUMENT", "options must be an object")
        if "device_id" in body:
            raw_ids = body["device_id"]
            if not isinstance(raw_ids, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) for d in raw_ids
            ):
                raise cloud_error(400, "INVALID_ARGUMENT", "device_id must be a list of integers")
            ids: list[int] = raw_ids
        elif isinstance(body.get("search"), dict):
            store = self.org.devices
            ids = [
                store.endpoints[i].device_id
                for i in store.search(body["search"], anchor=self.org.anchor)
            ]
        else:
            raise cloud_error(400, "INVALID_ARGUMENT", "device_id or search is required")
        touched = self.org.devices.act(action, ids, options)
        self.org.defense.record(
            f"{action.upper()} requested for {touched} device(s)", request.url.path
        )
        return no_content()


def routes(state: EmulatorState) -> list[BaseRoute]:
    d, v7, v6 = DeviceRoutes(state), AlertV7Routes(state), AlertV6Routes(state)
    table: list[RouteSpec] = [
        (f"{V6}/devices/_search", d.search_devices, ["POST"]),
        (f"{V6}/devices/_facet", d.facet_devices, ["POST"]),
        (f"{V6}/devices/_scroll", d.scroll_devices, ["POST"]),
        (f"{V6}/devices/_export", d.export_devices, ["POST"]),
        (f"{V6}/devices/_search/download", d.download_devices, ["GET"]),
        (f"{V6}/devices/{{device_id}}", d.get_device, ["GET"]),
        (f"{V6}/device_actions", d.device_actions, ["POST"]),
        (f"{V7}/alerts/_search", v7.v7_search, ["POST"]),
        (f"{V7}/alerts/_facet", v7.v7_facet, ["POST"]),
        (f"{V7}/alerts/_export", v7.v7_export, ["POST"]),
        (f"{V7}/alerts/workflow", v7.v7_workflow, ["POST"]),
        (f"{V7}/alerts/search_suggestions", v7.v7_suggestions, ["GET"]),
        (f"{V7}/alerts/{{alert_id}}", v7.v7_get, ["GET"]),
        (f"{V7}/alerts/{{alert_id}}/notes", v7.v7_notes, ["GET", "POST"]),
        (f"{V7}/alerts/{{alert_id}}/notes/{{note_id}}", v7.v7_delete_note, ["DELETE"]),
        (f"{V7}/alerts/{{alert_id}}/history", v7.v7_history, ["GET"]),
        (f"{V7}/threats/{{threat_id}}/notes", v7.threat_notes, ["GET", "POST"]),
        (f"{V7}/threats/{{threat_id}}/notes/{{note_id}}", v7.threat_delete_note, ["DELETE"]),
        (f"{V7}/threats/{{threat_id}}/history", v7.threat_history, ["GET"]),
        (f"{V7}/threats/{{threat_id}}/tags", v7.threat_tags, ["GET", "POST"]),
        (f"{V7}/threats/{{threat_id}}/tags/{{tag}}", v7.threat_delete_tag, ["DELETE"]),
        (f"{V7}/grouped_alerts/_search", v7.grouped_search, ["POST"]),
        (f"{V7}/grouped_alerts/_facet", v7.grouped_facet, ["POST"]),
        (f"{V6}/alerts/_search", v6.v6_search, ["POST"]),
        (f"{V6}/alerts/_facet", v6.v6_facet, ["POST"]),
        (f"{V6}/alerts/search_suggestions", v6.v6_suggestions, ["GET"]),
        (f"{V6}/alerts/workflow/_criteria", v6.v6_criteria_workflow, ["POST"]),
        (f"{V6}/alerts/{{alert_type}}/_search", v6.v6_search, ["POST"]),
        (f"{V6}/alerts/{{alert_type}}/_facet", v6.v6_facet, ["POST"]),
        (f"{V6}/alerts/{{alert_type}}/workflow/_criteria", v6.v6_criteria_workflow, ["POST"]),
        (f"{V6}/alerts/{{alert_id}}", v6.v6_get, ["GET"]),
        (f"{V6}/alerts/{{alert_id}}/workflow", v6.v6_alert_workflow, ["POST"]),
        (f"{V6}/alerts/{{alert_id}}/notes", v6.v6_notes, ["GET", "POST"]),
        (f"{V6}/alerts/{{alert_id}}/notes/{{note_id}}", v7.v7_delete_note, ["DELETE"]),
        (f"{V6}/threat/workflow/_criteria", v6.v6_threat_criteria_workflow, ["POST"]),
        (f"{V6}/threat/{{threat_id}}/workflow", v6.v6_threat_workflow, ["POST"]),
        (f"{V6}/workflow/status/{{request_id}}", v6.v6_workflow_status, ["GET"]),
    ]
    return route_table(table, wrap=cloud_guard(state.config.org_key))


def _coerce(value: str) -> Any:
    return int(value) if value.lstrip("-").isdigit() else value
