"""EDR (CB Response) routes: parse the request, call :class:`~cbasync.testing.dataset.edr.EdrBackend`,
render the answer. Live Response (``/api/v1/cblr``) lives in its own module.

Every route of the EDR REST reference (processes, binaries, alerts, sensors and groups, banning,
watchlists, feeds, threat reports, users, teams, sites, throttle rules, storage partitions, ingress
filters, approved IPs, license, App Control settings) plus the server-info and builds routes the
official SDK uses. The ban and ingress routes are mounted under the names of the configured server
version (``bannedlist``/``ingress_approvedlist`` from 7.7, ``blacklist``/``ingress_whitelist``
before) and, with ``legacy_route_aliases``, under the old names too.

The handlers come in four classes (processes, binaries and alerts, sensors and groups, the
administration in :mod:`~cbasync.testing.routes.edr_admin`); :func:`routes` is the route table of
the whole server (about 120 of its 520 lines), which is why it lives in one module.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute

from cbasync.testing.dataset.edr import parse_solr
from cbasync.testing.dataset.edr_binary_data import DEFAULT_ICON
from cbasync.testing.dataset.errors import Invalid, NotFound
from cbasync.testing.query import iso_to_epoch
from cbasync.testing.routes._common import (
    RouteSpec,
    bool_param,
    dumps,
    int_param,
    item,
    json_response,
    no_content,
    read_json,
    read_object,
    route_table,
    success,
    with_slash,
)
from cbasync.testing.routes._edr import EdrHandlers, envelope, int_path
from cbasync.testing.routes.edr_admin import AdminRoutes
from cbasync.testing.search import facet_entries
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

GET, POST, PUT, PATCH, DELETE = ("GET",), ("POST",), ("PUT",), ("PATCH",), ("DELETE",)


def _guid_and_segment(request: Request) -> tuple[str, int]:
    return request.path_params["process_id"], int(request.path_params["segment_id"])


def _end_time(text: str) -> float:
    end = iso_to_epoch(text)
    if end is None:
        raise Invalid("end_time must look like YYYY-MM-DDThh:mm:ss.sssZ")
    return end


class ProcessRoutes(EdrHandlers):
    """Server info, process search and the routes of one process (v1-v4 and v6)."""

    async def info(self, request: Request) -> Response:
        return json_response(self.edr.info())

    async def process_search(self, request: Request) -> Response:
        began = time.perf_counter()
        edr = self.edr
        params = self.solr(request, "last_update desc")
        page = edr.process_page(params)
        procs = edr.processes
        rows = []
        row = procs.row
        doc_json = procs.doc_json
        for d in page.keys:
            info, r = row(d)
            rows.append(doc_json(info, r))
        page.elapsed = time.perf_counter() - began
        extra: dict[str, Any] = {"highlights": edr.highlights(params.q, page.keys)}
        if params.facet:
            extra["filtered"] = {name: [] for name in params.facet_fields}
        if not params.comprehensive and params.group is None and " OR " in params.q.upper():
            # A boolean query over segments may miss matches split across segments.
            extra["comprehensive_search"] = False
        return envelope(page, ",".join(rows), extra)

    async def host_count(self, request: Request) -> Response:
        return json_response(self.edr.host_count(request.query_params.get("md5", "")))

    async def segments(self, request: Request) -> Response:
        began = time.perf_counter()
        segs = self.edr.process_segments(request.path_params["process_id"])
        return json_response(
            {"process": {"segments": segs}, "elapsed": time.perf_counter() - began}
        )

    async def events(self, request: Request, version: int) -> Response:
        began = time.perf_counter()
        guid, seg = _guid_and_segment(request)
        qp = request.query_params
        start = int_param(qp, "cb.event_start", 0, minimum=0)
        count = (
            None if not qp.get("cb.event_count") else int_param(qp, "cb.event_count", 0, minimum=0)
        )
        body = self.edr.process_events(guid, seg, version, start=start, count=count)
        body["elapsed"] = time.perf_counter() - began
        return json_response(body)

    async def preview(self, request: Request) -> Response:
        guid, seg = _guid_and_segment(request)
        q = request.query_params.get("q") or request.query_params.get("query")
        return json_response(self.edr.process_preview(guid, seg, q))

    async def threat_intel_hits(self, request: Request) -> Response:
        guid, _ = _guid_and_segment(request)
        self.edr.find_process(guid)
        return json_response([])

    async def summary(self, request: Request, version: int) -> Response:
        guid, seg = _guid_and_segment(request)
        children = int_param(request.query_params, "children", 15, minimum=0)
        body = self.edr.process_summary(guid, seg, children=children, siblings=version == 1)
        # v2 answers the process document alone (seed 003: "the metadata associated with the
        # process"); v1 wraps it with its parent, siblings and children.
        return json_response(body if version == 1 else body["process"])

    async def create_stream(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or "process_id" not in body or "segment_id" not in body:
            raise Invalid("process_id and segment_id are required")
        try:
            seg = int(body["segment_id"])
        except (TypeError, ValueError):
            raise Invalid("segment_id must be an integer") from None
        return json_response(
            self.edr.create_stream(
                str(body["process_id"]), seg, bool(body.get("persistent", False))
            )
        )

    async def stream(self, request: Request) -> Response:
        sid = request.path_params["stream_id"]
        if request.method in ("DELETE", "POST"):
            # The reference documents deleting a stream with POST; DELETE works too.
            self.edr.delete_stream(sid)
            return success()
        args = _stream_args(request)
        if request.method == "PATCH":
            body = await read_json(request)
            criteria = body.get("criteria") if isinstance(body, dict) else None
            if not isinstance(criteria, dict):
                raise Invalid('body must be {"criteria": {field: [values]}}')
            args["criteria"] = {k: v if isinstance(v, list) else [v] for k, v in criteria.items()}
        return json_response(self.edr.read_stream(sid, **args))

    async def suppression(self, request: Request) -> Response:
        parent = request.query_params.get("parent_guid")
        child = request.query_params.get("childproc_guid")
        if not parent or not child:
            raise Invalid("parent_guid and childproc_guid are required")
        return json_response(self.edr.suppression_status(parent, child))

    async def metadata(self, request: Request) -> Response:
        guid = request.path_params["process_id"]
        return json_response({"process_metadata": self.edr.process_metadata(guid)})

    async def segment_stream(self, request: Request) -> Response:
        guid, seg = _guid_and_segment(request)
        batches = self.edr.segment_summary_batches(guid, seg)

        async def lines() -> AsyncIterator[bytes]:
            for batch in batches:
                yield dumps(batch) + b"\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    async def bulk(self, request: Request) -> Response:
        guid, seg = _guid_and_segment(request)
        end = request.query_params.get("end_time")
        return json_response(self.edr.bulk(guid, seg, _end_time(end) if end else None))

    async def verify(self, request: Request) -> Response:
        guid, seg = _guid_and_segment(request)
        return json_response({"segment_id": self.edr.verify_segment(guid, seg)})


def _stream_args(request: Request) -> dict[str, Any]:
    """The cursor moves of a stream read (``seek``, ``jump``) and its ``rows``/``end_time``."""
    qp = request.query_params
    args: dict[str, Any] = {"rows": int_param(qp, "rows", 10, minimum=0)}
    if "seek" in qp:
        args["seek"] = int_param(qp, "by", 0)
    if "jump" in qp:
        if qp.get("to"):
            args["jump_to"] = int_param(qp, "to", 0)
        else:
            args["jump_by"] = int_param(qp, "by", 0)
    if qp.get("end_time"):
        args["end_time"] = _end_time(qp["end_time"])
    return args


class BinaryAlertRoutes(EdrHandlers):
    """Binary search, summaries and downloads; alert search and updates."""

    async def binary_search(self, request: Request) -> Response:
        began = time.perf_counter()
        edr = self.edr
        page = edr.binary_page(self.solr(request, "server_added_timestamp desc"))
        page.elapsed = time.perf_counter() - began
        rows = ",".join(dumps(edr.binary_doc(k)).decode("utf-8") for k in page.keys)
        return envelope(page, rows, {})

    async def binary_download(self, request: Request) -> Response:
        edr = self.edr
        i = edr.find_binary(request.path_params["md5"])
        name = edr.binaries.md5(i).upper()
        return Response(
            edr.binaries.zip_bytes(i),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}.zip"'},
        )

    async def binary_icon(self, request: Request) -> Response:
        try:
            i = self.edr.find_binary(request.path_params["md5"])
        except NotFound:
            return Response(DEFAULT_ICON, media_type="image/png")
        return Response(self.edr.binaries.icon(i), media_type="image/png")

    async def binary_summary(self, request: Request) -> Response:
        return json_response(self.edr.binary_doc(self.edr.find_binary(request.path_params["md5"])))

    async def alert_search(self, request: Request) -> Response:
        began = time.perf_counter()
        pairs = list(request.query_params.multi_items())
        if request.method == "POST":
            body = await read_json(request, required=False)
            if isinstance(body, dict):
                pairs.extend((str(k), str(v)) for k, v in body.items() if not isinstance(v, list))
                for k, v in body.items():
                    if isinstance(v, list):
                        pairs.extend((str(k), str(x)) for x in v)
        edr = self.edr
        page = edr.alert_page(parse_solr(pairs, default_sort="created_time desc"))
        page.elapsed = time.perf_counter() - began
        rows = ",".join(dumps(edr.alerts[k]).decode("utf-8") for k in page.keys)
        return envelope(page, rows, {})

    async def alert_update(self, request: Request) -> Response:
        body = await read_object(request)
        alert_id = request.path_params["alert_id"]
        if body.get("unique_id", alert_id) != alert_id:
            raise Invalid("unique_id in the body does not match the URL")
        if "status" not in body:
            raise Invalid("status is required")
        return json_response(self.edr.update_alert(alert_id, body))

    async def alerts_bulk(self, request: Request) -> Response:
        self.edr.bulk_update_alerts(await read_object(request))
        return success()


class SensorRoutes(EdrHandlers):
    """Sensors, sensor groups and their installers, builds, and the dashboard."""

    def _filters(self, request: Request) -> dict[str, Any]:
        qp = request.query_params
        groupid = qp.get("groupid")
        inactive = qp.get("inactive_filter_days")
        try:
            return {
                "hostname": qp.get("hostname") or None,
                "ip": qp.get("ip") or qp.get("ipaddr") or None,
                "group_id": int(groupid) if groupid else None,
                "inactive_filter_days": int(inactive) if inactive else None,
            }
        except ValueError:
            raise Invalid("groupid and inactive_filter_days must be integers") from None

    async def sensors_v1(self, request: Request) -> Response:
        edr = self.edr
        found = edr.list_sensors(**self._filters(request))
        limit = self.config.unpaged_sensor_limit
        if len(found) > limit:
            raise Invalid(
                f"Unpaged request has {len(found)} results, exceeds limit of {limit}. "
                "Please consider using paging.",
                reason="too_many_results",
            )
        found.sort(key=lambda ep: edr.sensor_doc(ep)["last_checkin_time"], reverse=True)
        return json_response([edr.sensor_doc(ep) for ep in found])

    async def sensors_v2(self, request: Request) -> Response:
        qp = request.query_params
        edr = self.edr
        docs = [edr.sensor_doc(ep) for ep in edr.list_sensors(**self._filters(request))]
        col = qp.get("sort.col") or "last_checkin_time"
        desc = (qp.get("sort.dir") or ("desc" if col == "last_checkin_time" else "asc")) == "desc"
        if docs and col not in docs[0]:
            raise Invalid(f"cannot sort by {col!r}")
        docs.sort(key=lambda d: (str(d.get(col)).lower(), d["id"]), reverse=desc)
        start = int_param(qp, "start", 0, minimum=0)
        rows = int_param(qp, "rows", 10, minimum=0)
        page = docs[start : start + rows]
        body: dict[str, Any] = {"results": page, "total_results": len(docs), "start": start}
        if bool_param(qp, "facet"):
            body["facets"] = {
                f: facet_entries(_count(page, f).items(), self.config.facet_limit)
                for f in qp.getlist("facet.field")
            }
        return json_response(body)

    async def sensor_statistics(self, request: Request) -> Response:
        return json_response(self.edr.sensor_statistics())

    async def sensor(self, request: Request) -> Response:
        sid = int_path(request, "sensor_id")
        return await item(
            request,
            lambda: self.edr.sensor(sid),
            update=lambda body: self.edr.update_sensor(sid, body),
            updated=lambda _: no_content(),
        )

    async def sensor_queued(self, request: Request) -> Response:
        return json_response(self.edr.sensor_queued(int_path(request, "sensor_id")))

    async def sensor_activity(self, request: Request) -> Response:
        return json_response(self.edr.sensor_activity(int_path(request, "sensor_id")))

    async def sensor_resource_status(self, request: Request) -> Response:
        return json_response(self.edr.sensor_resource_status(int_path(request, "sensor_id")))

    async def groups(self, request: Request) -> Response:
        if request.method == "POST":
            return json_response({"id": self.edr.create_group(await read_object(request))})
        return json_response(list(self.edr.groups.values()))

    async def group(self, request: Request) -> Response:
        gid = int_path(request, "group_id")
        edr = self.edr
        return await item(
            request,
            lambda: [edr.group(gid)],  # a single group comes back as an array of one
            update=lambda body: edr.update_group(gid, body),
            delete=lambda: edr.delete_group(gid),
        )

    async def installer(self, request: Request, kind: str) -> Response:
        data, media, filename = self.edr.installer(int_path(request, "group_id"), kind)
        return Response(
            data,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    async def builds(self, request: Request) -> Response:
        return json_response(self.edr.builds())

    async def dashboard(self, request: Request) -> Response:
        return json_response(self.edr.dashboard_statistics())

    async def investigations(self, request: Request) -> Response:
        return json_response(
            [
                {
                    "id": 1,
                    "name": "Default Investigation",
                    "description": "",
                    "event_count": 0,
                    "start_date": None,
                    "end_date": None,
                }
            ]
        )

    async def tagged_events(self, request: Request) -> Response:
        if int_path(request, "investigation_id") != 1:
            raise NotFound("investigation not found")
        return json_response([])


def _count(docs: list[dict[str, Any]], field: str) -> dict[Any, int]:
    counts: dict[Any, int] = {}
    for d in docs:
        value = d.get(field)
        if value is None:
            continue
        counts[value] = counts.get(value, 0) + 1
    return counts


def _names(config: Any, new: str, old: str) -> list[str]:
    """The names a renamed route is served under: the server version's, and the old one too
    on a 7.7+ server with ``legacy_route_aliases``."""
    names = [new] if config.at_least_7_7 else [old]
    if config.at_least_7_7 and config.legacy_route_aliases:
        names.append(old)
    return names


def routes(state: EmulatorState) -> list[BaseRoute]:
    p, b, s, a = (
        ProcessRoutes(state),
        BinaryAlertRoutes(state),
        SensorRoutes(state),
        AdminRoutes(state),
    )
    process = "/api/v1/process/{process_id}/{segment_id:int}"
    v6 = "/api/v6/process"
    table: list[RouteSpec] = [
        ("/api/info", p.info, GET),
        *with_slash("/api/v1/process", p.process_search, GET),
        ("/api/v1/process/host/count", p.host_count, GET),
        ("/api/v1/process/{process_id}/segment", p.segments, GET),
        *(
            (
                f"/api/v{v}/process/{{process_id}}/{{segment_id:int}}/event",
                partial(p.events, version=v),
                GET,
            )
            for v in (1, 2, 3, 4)
        ),
        *with_slash(f"{process}/preview", p.preview, GET),
        (f"{process}/threat_intel_hits", p.threat_intel_hits, GET),
        (process, partial(p.summary, version=1), GET),
        ("/api/v2/process/{process_id}/{segment_id:int}", partial(p.summary, version=2), GET),
        (f"{v6}/stream", p.create_stream, POST),
        (f"{v6}/stream/{{stream_id}}", p.stream, ("GET", "PATCH", "POST", "DELETE")),
        (f"{v6}/suppression_status", p.suppression, GET),
        (f"{v6}/{{process_id}}/metadata", p.metadata, GET),
        (f"{v6}/{{process_id}}/{{segment_id:int}}/segment", p.segment_stream, GET),
        (f"{v6}/{{process_id}}/{{segment_id:int}}/bulk", p.bulk, GET),
        (f"{v6}/{{process_id}}/{{segment_id:int}}/verify", p.verify, GET),
        *with_slash("/api/v1/binary", b.binary_search, GET),
        ("/api/binary", b.binary_search, GET),
        ("/api/v1/binary/{md5}/icon", b.binary_icon, GET),
        ("/api/v1/binary/{md5}/summary", b.binary_summary, GET),
        ("/api/binary/{md5}/summary", b.binary_summary, GET),
        ("/api/v1/binary/{md5}", b.binary_download, GET),
        *with_slash("/api/v2/alert", b.alert_search, ("GET", "POST")),
        ("/api/v1/alert/{alert_id}", b.alert_update, POST),
        ("/api/v1/alerts", b.alerts_bulk, POST),
        ("/api/v1/license", a.license, ("GET", "POST")),
        ("/api/license", a.license, ("GET", "POST")),
        ("/api/v1/settings/global/platformserver", a.platform_server, ("GET", "POST")),
    ]
    for name in _names(state.config, "bannedlist", "blacklist"):
        table += [
            *with_slash(f"/api/v1/banning/{name}", a.bans, ("GET", "POST")),
            (f"/api/v1/banning/{name}/{{md5}}", a.ban, ("GET", "PUT", "DELETE")),
        ]
    table += [
        *with_slash("/api/v1/watchlist", a.watchlists, ("GET", "POST")),
        ("/api/v1/watchlist/{watchlist_id}", a.watchlist, ("GET", "PUT", "DELETE")),
        *a.action_routes("watchlist", "/api/v1/watchlist"),
        *with_slash("/api/v1/feed", a.feeds, ("GET", "POST")),
        ("/api/v1/feed/{feed_id}", a.feed, ("GET", "PUT", "DELETE")),
        ("/api/v1/feed/{feed_id}/synchronize", a.synchronize, POST),
        ("/api/v1/feed/{feed_id}/report/{report_id}", a.report, GET),
        ("/api/v1/feed/{feed_id}/report", a.feed_reports, GET),
        *a.action_routes("feed", "/api/v1/feed"),
        *with_slash("/api/v1/threat_report", a.threat_reports, ("GET", "POST")),
        *with_slash("/api/v1/sensor", s.sensors_v1, GET),
        *with_slash("/api/v2/sensor", s.sensors_v2, GET),
        ("/api/v1/sensor/statistics", s.sensor_statistics, GET),
        ("/api/v1/sensor/{sensor_id}", s.sensor, ("GET", "PUT")),
        ("/api/v1/sensor/{sensor_id}/queued", s.sensor_queued, GET),
        ("/api/v1/sensor/{sensor_id}/activity", s.sensor_activity, GET),
        ("/api/v1/sensor/{sensor_id}/resourcestatus", s.sensor_resource_status, GET),
    ]
    for base in ("/api/group", "/api/v1/group", "/api/v3/group"):
        table += [
            *with_slash(base, s.groups, ("GET", "POST")),
            (f"{base}/{{group_id}}", s.group, ("GET", "PUT", "DELETE")),
        ]
    table += [
        (f"/api/v1/group/{{group_id}}/installer/{kind}", partial(s.installer, kind=kind), GET)
        for kind in ("windows/exe", "windows/msi", "osx", "linux")
    ]
    table += [
        *with_slash("/api/v2/builds", s.builds, GET),
        *with_slash("/api/builds", s.builds, GET),
        *with_slash("/api/users", a.users, GET),
        *with_slash("/api/user", a.create_user, POST),
        ("/api/user/{username}", a.user, ("GET", "PUT", "DELETE")),
        *with_slash("/api/teams", a.teams, GET),
        *with_slash("/api/team", a.create_team, POST),
        ("/api/team/{team_id}", a.team, ("GET", "PUT", "DELETE")),
        *with_slash("/api/site", a.sites, ("GET", "POST")),
        ("/api/site/{site_id}", a.site, ("GET", "PUT", "DELETE")),
        *with_slash("/api/throttle", a.throttles, ("GET", "POST")),
        ("/api/throttle/{rule_id}", a.throttle, ("GET", "PUT", "DELETE")),
        ("/api/v1/storage/events/partition", a.partitions, GET),
        ("/api/v1/storage/events/new_partition", a.new_partition, POST),
        ("/api/v1/storage/events/{name}/mount", a.mount, POST),
        ("/api/v1/storage/events/{name}/unmount", a.unmount, POST),
        ("/api/v1/storage/events/{name}", a.delete_partition, DELETE),
    ]
    for name in _names(state.config, "ingress_approvedlist", "ingress_whitelist"):
        table += [
            *with_slash(f"/api/v1/{name}", a.ingress_list, ("GET", "POST")),
            (f"/api/v1/{name}/legacy", a.ingress_legacy, GET),
            (f"/api/v1/{name}/{{filter_id}}", a.ingress_one, ("GET", "PUT", "DELETE")),
        ]
    for base in ("/api/v1/approvedlist", "/api/approvedlist"):
        table += [
            *with_slash(f"{base}/entries", a.approved_entries, ("GET", "POST")),
            (f"{base}/entries/{{entry_id}}", a.approved_entry, DELETE),
            (f"{base}/enabled", a.approved_enabled, ("GET", "PATCH")),
        ]
    table += [
        ("/api/v1/dashboard/statistics", s.dashboard, GET),
        *with_slash("/api/investigations", s.investigations, GET),
        ("/api/tagged_event/{investigation_id}", s.tagged_events, GET),
    ]
    return route_table(table)
