"""EDR (CB Response) routes: parse the request, call :class:`~cbasync.testing.dataset.edr.EdrBackend`,
render the answer. Live Response (``/api/v1/cblr``) lives in its own module.

Every route of the EDR REST reference (processes, binaries, alerts, sensors and groups, banning,
watchlists, feeds, threat reports, users, teams, sites, throttle rules, storage partitions, ingress
filters, approved IPs, license, App Control settings) plus the server-info and builds routes the
official SDK uses. The ban and ingress routes are mounted under the names of the configured server
version (``bannedlist``/``ingress_approvedlist`` from 7.7, ``blacklist``/``ingress_whitelist``
before) and, with ``legacy_route_aliases``, under the old names too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from cbasync.testing.dataset.edr import EdrBackend, SearchPage, SolrParams, parse_solr
from cbasync.testing.dataset.edr_binary import DEFAULT_ICON
from cbasync.testing.dataset.errors import Invalid, NotFound
from cbasync.testing.query import iso_to_epoch
from cbasync.testing.routes._common import (
    HttpError,
    bool_param,
    dumps,
    int_param,
    json_response,
    no_content,
    read_json,
    read_object,
    success,
)
from cbasync.testing.search import facet_entries
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

Handler = Callable[[Request], Awaitable[Response]]


def _backend(state: EmulatorState) -> EdrBackend:
    return state.backend("edr", EdrBackend)


class _Lazy:
    """The state's EDR backend, built on first use (so the server is ready before the dataset
    tables are)."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    def __getattr__(self, name: str) -> Any:
        return getattr(_backend(self._state), name)


def _solr(request: Request, edr: EdrBackend, default_sort: str) -> SolrParams:
    params = parse_solr(request.query_params.multi_items(), default_sort=default_sort)
    if params.rows > edr.config.max_rows_per_page:
        raise HttpError(
            400,
            {
                "reason": "too_many_rows",
                "message": f"rows={params.rows} exceeds the limit of "
                f"{edr.config.max_rows_per_page} rows per request",
            },
        )
    return params


def _envelope(page: SearchPage, rows_json: str, extra: dict[str, Any]) -> Response:
    head = {
        "terms": page.terms,
        "total_results": page.total,
        "highlights": extra.pop("highlights", []),
        "facets": page.facets,
        "start": page.start,
        "elapsed": page.elapsed,
        "tagged_pids": {},
        "filtered": {},
        "comprehensive_search": True,
        "incomplete_results": False,
        "all_segments": True,
        **extra,
    }
    body = dumps(head)[:-1] + b',"results":[' + rows_json.encode("utf-8") + b"]}"
    return Response(body, media_type="application/json; charset=utf-8")


def _guid_and_segment(request: Request) -> tuple[str, int]:
    return request.path_params["process_id"], int(request.path_params["segment_id"])


def _int_path(request: Request, name: str) -> int:
    raw = request.path_params[name]
    try:
        return int(raw)
    except ValueError:
        raise NotFound(f"{raw!r} is not a valid id") from None


def routes(state: EmulatorState) -> list[BaseRoute]:
    edr: EdrBackend = _Lazy(state)  # type: ignore[assignment]
    config = state.config
    out: list[BaseRoute] = []

    def add(path: str, endpoint: Handler, methods: list[str], *, slash: bool = False) -> None:
        out.append(Route(path, endpoint, methods=methods))
        if slash:
            out.append(Route(path + "/", endpoint, methods=methods))

    # --- server ------------------------------------------------------------------------------
    async def info(request: Request) -> Response:
        return json_response(edr.info())

    add("/api/info", info, ["GET"])

    # --- processes ---------------------------------------------------------------------------
    async def process_search(request: Request) -> Response:
        began = time.perf_counter()
        params = _solr(request, edr, "last_update desc")
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
        return _envelope(page, ",".join(rows), extra)

    add("/api/v1/process", process_search, ["GET"], slash=True)

    async def host_count(request: Request) -> Response:
        md5 = request.query_params.get("md5", "")
        return json_response(edr.host_count(md5))

    add("/api/v1/process/host/count", host_count, ["GET"])

    async def segments(request: Request) -> Response:
        began = time.perf_counter()
        segs = edr.process_segments(request.path_params["process_id"])
        return json_response(
            {"process": {"segments": segs}, "elapsed": time.perf_counter() - began}
        )

    add("/api/v1/process/{process_id}/segment", segments, ["GET"])

    def events_route(version: int) -> Handler:
        async def events(request: Request) -> Response:
            began = time.perf_counter()
            guid, seg = _guid_and_segment(request)
            start = int_param(request.query_params, "cb.event_start", 0, minimum=0)
            count_raw = request.query_params.get("cb.event_count")
            count = (
                None
                if not count_raw
                else int_param(request.query_params, "cb.event_count", 0, minimum=0)
            )
            body = edr.process_events(guid, seg, version, start=start, count=count)
            body["elapsed"] = time.perf_counter() - began
            return json_response(body)

        return events

    for v in (1, 2, 3, 4):
        add(f"/api/v{v}/process/{{process_id}}/{{segment_id:int}}/event", events_route(v), ["GET"])

    async def preview(request: Request) -> Response:
        guid, seg = _guid_and_segment(request)
        q = request.query_params.get("q") or request.query_params.get("query")
        return json_response(edr.process_preview(guid, seg, q))

    add("/api/v1/process/{process_id}/{segment_id:int}/preview", preview, ["GET"], slash=True)

    async def threat_intel_hits(request: Request) -> Response:
        guid, _ = _guid_and_segment(request)
        edr.find_process(guid)
        return json_response([])

    add(
        "/api/v1/process/{process_id}/{segment_id:int}/threat_intel_hits",
        threat_intel_hits,
        ["GET"],
    )

    def summary_route(version: int) -> Handler:
        async def summary(request: Request) -> Response:
            guid, seg = _guid_and_segment(request)
            children = int_param(request.query_params, "children", 15, minimum=0)
            body = edr.process_summary(guid, seg, children=children, siblings=version == 1)
            return json_response(body)

        return summary

    add("/api/v1/process/{process_id}/{segment_id:int}", summary_route(1), ["GET"])
    add("/api/v2/process/{process_id}/{segment_id:int}", summary_route(2), ["GET"])

    # v6 analysis routes
    async def create_stream(request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or "process_id" not in body or "segment_id" not in body:
            raise Invalid("process_id and segment_id are required")
        try:
            seg = int(body["segment_id"])
        except (TypeError, ValueError):
            raise Invalid("segment_id must be an integer") from None
        return json_response(
            edr.create_stream(str(body["process_id"]), seg, bool(body.get("persistent", False)))
        )

    add("/api/v6/process/stream", create_stream, ["POST"])

    def _stream_args(request: Request) -> dict[str, Any]:
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
            end = iso_to_epoch(qp["end_time"])
            if end is None:
                raise Invalid("end_time must look like YYYY-MM-DDThh:mm:ss.sssZ")
            args["end_time"] = end
        return args

    async def stream(request: Request) -> Response:
        sid = request.path_params["stream_id"]
        if request.method in ("DELETE", "POST"):
            # The reference documents deleting a stream with POST; DELETE works too.
            edr.delete_stream(sid)
            return success()
        args = _stream_args(request)
        if request.method == "PATCH":
            body = await read_json(request)
            criteria = body.get("criteria") if isinstance(body, dict) else None
            if not isinstance(criteria, dict):
                raise Invalid('body must be {"criteria": {field: [values]}}')
            args["criteria"] = {k: v if isinstance(v, list) else [v] for k, v in criteria.items()}
        return json_response(edr.read_stream(sid, **args))

    add("/api/v6/process/stream/{stream_id}", stream, ["GET", "PATCH", "POST", "DELETE"])

    async def suppression(request: Request) -> Response:
        qp = request.query_params
        parent = qp.get("parent_guid")
        child = qp.get("childproc_guid")
        if not parent or not child:
            raise Invalid("parent_guid and childproc_guid are required")
        return json_response(edr.suppression_status(parent, child))

    add("/api/v6/process/suppression_status", suppression, ["GET"])

    async def metadata(request: Request) -> Response:
        return json_response(
            {"process_metadata": edr.process_metadata(request.path_params["process_id"])}
        )

    add("/api/v6/process/{process_id}/metadata", metadata, ["GET"])

    async def segment_stream(request: Request) -> Response:
        guid, seg = _guid_and_segment(request)
        batches = edr.segment_summary_batches(guid, seg)

        async def lines() -> Any:
            for batch in batches:
                yield dumps(batch) + b"\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    add("/api/v6/process/{process_id}/{segment_id:int}/segment", segment_stream, ["GET"])

    async def bulk(request: Request) -> Response:
        guid, seg = _guid_and_segment(request)
        end = request.query_params.get("end_time")
        end_ts = iso_to_epoch(end) if end else None
        if end and end_ts is None:
            raise Invalid("end_time must look like YYYY-MM-DDThh:mm:ss.sssZ")
        return json_response(edr.bulk(guid, seg, end_ts))

    add("/api/v6/process/{process_id}/{segment_id:int}/bulk", bulk, ["GET"])

    async def verify(request: Request) -> Response:
        guid, seg = _guid_and_segment(request)
        return json_response({"segment_id": edr.verify_segment(guid, seg)})

    add("/api/v6/process/{process_id}/{segment_id:int}/verify", verify, ["GET"])

    # --- binaries ----------------------------------------------------------------------------
    async def binary_search(request: Request) -> Response:
        began = time.perf_counter()
        params = _solr(request, edr, "server_added_timestamp desc")
        page = edr.binary_page(params)
        page.elapsed = time.perf_counter() - began
        rows = ",".join(dumps(edr.binary_doc(k)).decode("utf-8") for k in page.keys)
        return _envelope(page, rows, {})

    add("/api/v1/binary", binary_search, ["GET"], slash=True)
    add("/api/binary", binary_search, ["GET"])

    async def binary_download(request: Request) -> Response:
        i = edr.find_binary(request.path_params["md5"])
        data = edr.binaries.zip_bytes(i)
        name = edr.binaries.md5(i).upper()
        return Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}.zip"'},
        )

    async def binary_icon(request: Request) -> Response:
        try:
            i = edr.find_binary(request.path_params["md5"])
        except NotFound:
            return Response(DEFAULT_ICON, media_type="image/png")
        return Response(edr.binaries.icon(i), media_type="image/png")

    async def binary_summary(request: Request) -> Response:
        return json_response(edr.binary_doc(edr.find_binary(request.path_params["md5"])))

    add("/api/v1/binary/{md5}/icon", binary_icon, ["GET"])
    add("/api/v1/binary/{md5}/summary", binary_summary, ["GET"])
    add("/api/binary/{md5}/summary", binary_summary, ["GET"])
    add("/api/v1/binary/{md5}", binary_download, ["GET"])

    # --- alerts ------------------------------------------------------------------------------
    async def alert_search(request: Request) -> Response:
        began = time.perf_counter()
        pairs = list(request.query_params.multi_items())
        if request.method == "POST":
            body = await read_json(request, required=False)
            if isinstance(body, dict):
                pairs.extend((str(k), str(v)) for k, v in body.items() if not isinstance(v, list))
                for k, v in body.items():
                    if isinstance(v, list):
                        pairs.extend((str(k), str(x)) for x in v)
        params = parse_solr(pairs, default_sort="created_time desc")
        page = edr.alert_page(params)
        page.elapsed = time.perf_counter() - began
        rows = ",".join(dumps(edr.alerts[k]).decode("utf-8") for k in page.keys)
        return _envelope(page, rows, {})

    add("/api/v2/alert", alert_search, ["GET", "POST"], slash=True)

    async def alert_update(request: Request) -> Response:
        body = await read_object(request)
        alert_id = request.path_params["alert_id"]
        if body.get("unique_id", alert_id) != alert_id:
            raise Invalid("unique_id in the body does not match the URL")
        if "status" not in body:
            raise Invalid("status is required")
        return json_response(edr.update_alert(alert_id, body))

    add("/api/v1/alert/{alert_id}", alert_update, ["POST"])

    async def alerts_bulk(request: Request) -> Response:
        body = await read_object(request)
        edr.bulk_update_alerts(body)
        return success()

    add("/api/v1/alerts", alerts_bulk, ["POST"])

    # --- license and settings -----------------------------------------------------------------
    async def license_route(request: Request) -> Response:
        if request.method == "POST":
            raw = await request.body()
            try:
                parsed = json.loads(raw) if raw.strip() else None
            except ValueError:
                parsed = raw.decode("utf-8", "replace")
            block = parsed.get("license") if isinstance(parsed, dict) else parsed
            edr.admin.apply_license(block)
            return json_response({"status": "success"})
        return json_response(edr.admin.license())

    add("/api/v1/license", license_route, ["GET", "POST"])
    add("/api/license", license_route, ["GET", "POST"])

    async def platform_server(request: Request) -> Response:
        if request.method == "POST":
            body = await read_object(request)
            edr.admin.set_platform_server(body)
            return success()
        return json_response(edr.admin.platform_server)

    add("/api/v1/settings/global/platformserver", platform_server, ["GET", "POST"])

    # --- banning -----------------------------------------------------------------------------
    ban_names = ["bannedlist"] if config.at_least_7_7 else ["blacklist"]
    if config.at_least_7_7 and config.legacy_route_aliases:
        ban_names.append("blacklist")

    async def bans(request: Request) -> Response:
        if request.method == "POST":
            body = await read_object(request)
            edr.admin.create_ban(body)
            return success()
        count = request.query_params.get("count")
        return json_response(edr.admin.list_bans(int(count) if count and count.isdigit() else None))

    async def ban(request: Request) -> Response:
        md5 = request.path_params["md5"]
        if request.method == "DELETE":
            edr.admin.disable_ban(md5)
            return success()
        if request.method == "PUT":
            body = await read_object(request)
            edr.admin.update_ban(md5, body)
            return success()
        return json_response(edr.admin.ban(md5))

    for name in ban_names:
        add(f"/api/v1/banning/{name}", bans, ["GET", "POST"], slash=True)
        add(f"/api/v1/banning/{name}/{{md5}}", ban, ["GET", "PUT", "DELETE"])

    # --- watchlists --------------------------------------------------------------------------
    async def watchlists(request: Request) -> Response:
        if request.method == "POST":
            body = await read_object(request)
            return json_response({"id": edr.admin.create_watchlist(body)})
        return json_response(list(edr.admin.watchlists.values()))

    add("/api/v1/watchlist", watchlists, ["GET", "POST"], slash=True)

    async def watchlist(request: Request) -> Response:
        wid = request.path_params["watchlist_id"]
        if request.method == "PUT":
            body = await read_object(request)
            edr.admin.update_watchlist(wid, body)
            return success()
        if request.method == "DELETE":
            edr.admin.delete_watchlist(wid)
            return success()
        return json_response(edr.admin.watchlist(wid))

    add("/api/v1/watchlist/{watchlist_id}", watchlist, ["GET", "PUT", "DELETE"])

    def action_routes(kind: str, base: str) -> None:
        async def list_types(request: Request) -> Response:
            return json_response(edr.admin.list_action_types(kind, request.path_params["oid"]))

        async def one_type(request: Request) -> Response:
            oid = request.path_params["oid"]
            action = request.path_params["action"]
            if request.method == "PUT":
                body = await read_object(request)
                edr.admin.set_action_type(kind, oid, action, body)
                return success()
            return json_response(edr.admin.get_action_type(kind, oid, action))

        async def legacy(request: Request) -> Response:
            oid = request.path_params["oid"]
            if request.method == "POST":
                body = await read_object(request)
                return json_response(edr.admin.legacy_create(kind, oid, body))
            return json_response(edr.admin.legacy_list(kind, oid))

        async def legacy_one(request: Request) -> Response:
            oid = request.path_params["oid"]
            aid = request.path_params["aid"]
            if request.method == "DELETE":
                edr.admin.legacy_delete(kind, oid, aid)
                return success()
            body = await read_object(request)
            return json_response(edr.admin.legacy_update(kind, oid, aid, body))

        add(f"{base}/{{oid}}/action_type", list_types, ["GET"])
        add(f"{base}/{{oid}}/action_type/{{action}}", one_type, ["GET", "PUT"])
        add(f"{base}/{{oid}}/action", legacy, ["GET", "POST"])
        add(f"{base}/{{oid}}/action/{{aid}}", legacy_one, ["PUT", "DELETE"])

    action_routes("watchlist", "/api/v1/watchlist")

    # --- feeds and threat reports -------------------------------------------------------------
    async def feeds(request: Request) -> Response:
        if request.method == "POST":
            body = await read_object(request)
            return json_response(edr.admin.create_feed(body))
        return json_response(list(edr.admin.feeds.values()))

    add("/api/v1/feed", feeds, ["GET", "POST"], slash=True)

    async def feed(request: Request) -> Response:
        fid = _int_path(request, "feed_id")
        if request.method == "PUT":
            body = await read_object(request)
            return json_response(edr.admin.update_feed(fid, body))
        if request.method == "DELETE":
            edr.admin.delete_feed(fid)
            return success()
        return json_response(edr.admin.feed(fid))

    add("/api/v1/feed/{feed_id}", feed, ["GET", "PUT", "DELETE"])

    async def synchronize(request: Request) -> Response:
        fid = _int_path(request, "feed_id")
        body = await read_json(request, required=False)
        full = bool(body.get("full_sync", True)) if isinstance(body, dict) else True
        edr.admin.synchronize_feed(fid, full)
        return success()

    add("/api/v1/feed/{feed_id}/synchronize", synchronize, ["POST"])

    async def report(request: Request) -> Response:
        fid = _int_path(request, "feed_id")
        return json_response(edr.admin.report(fid, request.path_params["report_id"]))

    add("/api/v1/feed/{feed_id}/report/{report_id}", report, ["GET"])

    async def feed_reports(request: Request) -> Response:
        fid = _int_path(request, "feed_id")
        edr.admin.feed(fid)
        return json_response([r for r in edr.admin.reports if r["feed_id"] == fid])

    add("/api/v1/feed/{feed_id}/report", feed_reports, ["GET"])

    async def feed_action_types(
        request: Request,
    ) -> Response:  # pragma: no cover - via action_routes
        raise NotFound("unreachable")

    del feed_action_types
    action_routes("feed", "/api/v1/feed")

    async def threat_reports(request: Request) -> Response:
        if request.method == "POST":
            body = await read_object(request)
            edr.admin.bulk_update_reports(body)
            return success()
        began = time.perf_counter()
        params = _solr(request, edr, "last_update desc")
        page = edr.admin.report_page(params)
        page.elapsed = time.perf_counter() - began
        rows = ",".join(dumps(edr.admin.reports[k]).decode("utf-8") for k in page.keys)
        return _envelope(page, rows, {})

    add("/api/v1/threat_report", threat_reports, ["GET", "POST"], slash=True)

    # --- sensors -----------------------------------------------------------------------------
    def _sensor_filters(request: Request) -> dict[str, Any]:
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

    async def sensors_v1(request: Request) -> Response:
        found = edr.list_sensors(**_sensor_filters(request))
        if len(found) > config.unpaged_sensor_limit:
            raise Invalid(
                f"Unpaged request has {len(found)} results, exceeds limit of "
                f"{config.unpaged_sensor_limit}. Please consider using paging.",
                reason="too_many_results",
            )
        found.sort(key=lambda ep: edr.sensor_doc(ep)["last_checkin_time"], reverse=True)
        return json_response([edr.sensor_doc(ep) for ep in found])

    add("/api/v1/sensor", sensors_v1, ["GET"], slash=True)

    async def sensors_v2(request: Request) -> Response:
        qp = request.query_params
        found = edr.list_sensors(**_sensor_filters(request))
        docs = [edr.sensor_doc(ep) for ep in found]
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
                f: facet_entries(_count(page, f).items(), config.facet_limit)
                for f in qp.getlist("facet.field")
            }
        return json_response(body)

    add("/api/v2/sensor", sensors_v2, ["GET"], slash=True)

    async def sensor_statistics(request: Request) -> Response:
        return json_response(edr.sensor_statistics())

    add("/api/v1/sensor/statistics", sensor_statistics, ["GET"])

    async def sensor(request: Request) -> Response:
        sid = _int_path(request, "sensor_id")
        if request.method == "PUT":
            body = await read_object(request)
            edr.update_sensor(sid, body)
            return no_content()
        return json_response(edr.sensor(sid))

    add("/api/v1/sensor/{sensor_id}", sensor, ["GET", "PUT"])

    def sensor_sub(fn: Callable[[int], Any]) -> Handler:
        async def handler(request: Request) -> Response:
            return json_response(fn(_int_path(request, "sensor_id")))

        return handler

    add("/api/v1/sensor/{sensor_id}/queued", sensor_sub(edr.sensor_queued), ["GET"])
    add("/api/v1/sensor/{sensor_id}/activity", sensor_sub(edr.sensor_activity), ["GET"])
    add(
        "/api/v1/sensor/{sensor_id}/resourcestatus", sensor_sub(edr.sensor_resource_status), ["GET"]
    )

    # --- sensor groups -----------------------------------------------------------------------
    async def groups(request: Request) -> Response:
        if request.method == "POST":
            body = await read_object(request)
            return json_response({"id": edr.create_group(body)})
        return json_response(list(edr.groups.values()))

    async def group(request: Request) -> Response:
        gid = _int_path(request, "group_id")
        if request.method == "PUT":
            body = await read_object(request)
            edr.update_group(gid, body)
            return success()
        if request.method == "DELETE":
            edr.delete_group(gid)
            return success()
        return json_response([edr.group(gid)])  # a single group comes back as an array of one

    for base in ("/api/group", "/api/v1/group", "/api/v3/group"):
        add(base, groups, ["GET", "POST"], slash=True)
        add(f"{base}/{{group_id}}", group, ["GET", "PUT", "DELETE"])

    def installer(kind: str) -> Handler:
        async def handler(request: Request) -> Response:
            data, media, filename = edr.installer(_int_path(request, "group_id"), kind)
            return Response(
                data,
                media_type=media,
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )

        return handler

    for kind in ("windows/exe", "windows/msi", "osx", "linux"):
        add(f"/api/v1/group/{{group_id}}/installer/{kind}", installer(kind), ["GET"])

    async def builds(request: Request) -> Response:
        return json_response(edr.builds())

    add("/api/v2/builds", builds, ["GET"], slash=True)
    add("/api/builds", builds, ["GET"], slash=True)

    # --- users, teams, sites, throttle ---------------------------------------------------------
    async def users(request: Request) -> Response:
        return json_response([edr.admin.public_user(u) for u in edr.admin.users])

    add("/api/users", users, ["GET"], slash=True)

    async def create_user(request: Request) -> Response:
        body = await read_object(request)
        edr.admin.create_user(body)
        return success()

    add("/api/user", create_user, ["POST"], slash=True)

    async def user(request: Request) -> Response:
        name = request.path_params["username"]
        if request.method == "PUT":
            body = await read_object(request)
            edr.admin.update_user(name, body)
            return success()
        if request.method == "DELETE":
            edr.admin.delete_user(name)
            return success()
        return json_response(edr.admin.public_user(name))

    add("/api/user/{username}", user, ["GET", "PUT", "DELETE"])

    async def teams(request: Request) -> Response:
        return json_response(list(edr.admin.teams.values()))

    add("/api/teams", teams, ["GET"], slash=True)

    async def create_team(request: Request) -> Response:
        body = await read_object(request)
        return json_response({"id": edr.admin.create_team(body)})

    add("/api/team", create_team, ["POST"], slash=True)

    async def team(request: Request) -> Response:
        tid = _int_path(request, "team_id")
        if request.method == "PUT":
            body = await read_object(request)
            edr.admin.update_team(tid, body)
            return success()
        if request.method == "DELETE":
            edr.admin.delete_team(tid)
            return success()
        return json_response(edr.admin.team(tid))

    add("/api/team/{team_id}", team, ["GET", "PUT", "DELETE"])

    async def sites(request: Request) -> Response:
        if request.method == "POST":
            body = await read_object(request)
            return json_response({"id": edr.admin.create_site(body)})
        return json_response(list(edr.admin.sites.values()))

    async def site(request: Request) -> Response:
        sid = _int_path(request, "site_id")
        if request.method == "PUT":
            body = await read_object(request)
            edr.admin.update_site(sid, body)
            return success()
        if request.method == "DELETE":
            edr.admin.delete_site(sid)
            return success()
        return json_response([edr.admin.site(sid)])  # an array of one, like groups

    add("/api/site", sites, ["GET", "POST"], slash=True)
    add("/api/site/{site_id}", site, ["GET", "PUT", "DELETE"])

    async def throttles(request: Request) -> Response:
        if request.method == "POST":
            body = await read_object(request)
            return json_response({"id": edr.admin.create_throttle(body)})
        return json_response(list(edr.admin.throttles.values()))

    async def throttle(request: Request) -> Response:
        tid = _int_path(request, "rule_id")
        if request.method == "DELETE":
            edr.admin.throttle(tid)
            del edr.admin.throttles[tid]
            return success()
        if request.method == "PUT":
            body = await read_object(request)
            edr.admin.throttle(tid).update({k: v for k, v in body.items() if k != "id"})
            return success()
        return json_response(edr.admin.throttle(tid))

    add("/api/throttle", throttles, ["GET", "POST"], slash=True)
    add("/api/throttle/{rule_id}", throttle, ["GET", "PUT", "DELETE"])

    # --- storage partitions ------------------------------------------------------------------
    async def partitions(request: Request) -> Response:
        return json_response(edr.admin.partitions)

    add("/api/v1/storage/events/partition", partitions, ["GET"])

    async def new_partition(request: Request) -> Response:
        return json_response({"results": edr.admin.new_partition()})

    add("/api/v1/storage/events/new_partition", new_partition, ["POST"])

    async def mount(request: Request) -> Response:
        return json_response({"results": edr.admin.mount_partition(request.path_params["name"])})

    async def unmount(request: Request) -> Response:
        return json_response({"results": edr.admin.unmount_partition(request.path_params["name"])})

    async def delete_partition(request: Request) -> Response:
        return json_response({"results": edr.admin.delete_partition(request.path_params["name"])})

    add("/api/v1/storage/events/{name}/mount", mount, ["POST"])
    add("/api/v1/storage/events/{name}/unmount", unmount, ["POST"])
    add("/api/v1/storage/events/{name}", delete_partition, ["DELETE"])

    # --- ingress filters ---------------------------------------------------------------------
    ingress_names = ["ingress_approvedlist"] if config.at_least_7_7 else ["ingress_whitelist"]
    if config.at_least_7_7 and config.legacy_route_aliases:
        ingress_names.append("ingress_whitelist")

    async def ingress_list(request: Request) -> Response:
        if request.method == "POST":
            body = await read_json(request)
            return json_response(edr.admin.create_ingress(body))
        return json_response(list(edr.admin.ingress.values()))

    async def ingress_legacy(request: Request) -> Response:
        return json_response(edr.admin.ingress_legacy())

    async def ingress_one(request: Request) -> Response:
        fid = request.path_params["filter_id"]
        if request.method == "PUT":
            body = await read_json(request)
            return json_response(edr.admin.update_ingress(fid, body))
        if request.method == "DELETE":
            edr.admin.delete_ingress(fid)
            return success()
        return json_response(edr.admin.ingress_filter(fid))

    for name in ingress_names:
        add(f"/api/v1/{name}", ingress_list, ["GET", "POST"], slash=True)
        add(f"/api/v1/{name}/legacy", ingress_legacy, ["GET"])
        add(f"/api/v1/{name}/{{filter_id}}", ingress_one, ["GET", "PUT", "DELETE"])

    # --- approved IPs ------------------------------------------------------------------------
    async def approved_entries(request: Request) -> Response:
        if request.method == "POST":
            body = await read_json(request)
            if not isinstance(body, dict) or "ipaddr" not in body:
                raise Invalid('body must be {"ipaddr": "<ip or CIDR>"} or {"ipaddr": [...]}')
            ids = edr.admin.add_approved_ips(body["ipaddr"])
            return json_response(ids if isinstance(body["ipaddr"], list) else ids[0])
        return json_response(edr.admin.list_approved_ips())

    async def approved_entry(request: Request) -> Response:
        edr.admin.delete_approved_ip(_int_path(request, "entry_id"))
        return no_content()

    async def approved_enabled(request: Request) -> Response:
        if request.method == "PATCH":
            body = await read_json(request)
            if not isinstance(body, dict) or not isinstance(body.get("state"), bool):
                raise Invalid('body must be {"state": true|false}')
            edr.admin.approved_enabled = body["state"]
            return no_content()
        return json_response({"state": edr.admin.approved_enabled})

    for base in ("/api/v1/approvedlist", "/api/approvedlist"):
        add(f"{base}/entries", approved_entries, ["GET", "POST"], slash=True)
        add(f"{base}/entries/{{entry_id}}", approved_entry, ["DELETE"])
        add(f"{base}/enabled", approved_enabled, ["GET", "PATCH"])

    # --- misc --------------------------------------------------------------------------------
    async def dashboard(request: Request) -> Response:
        return json_response(edr.dashboard_statistics())

    add("/api/v1/dashboard/statistics", dashboard, ["GET"])

    async def investigations(request: Request) -> Response:
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

    add("/api/investigations", investigations, ["GET"], slash=True)

    async def tagged_events(request: Request) -> Response:
        if _int_path(request, "investigation_id") != 1:
            raise NotFound("investigation not found")
        return json_response([])

    add("/api/tagged_event/{investigation_id}", tagged_events, ["GET"])
    return out


def _count(docs: list[dict[str, Any]], field: str) -> dict[Any, int]:
    counts: dict[Any, int] = {}
    for d in docs:
        value = d.get(field)
        if value is None:
            continue
        counts[value] = counts.get(value, 0) + 1
    return counts
