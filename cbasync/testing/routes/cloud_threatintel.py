"""Threat intelligence: feeds, reports and watchlists (wire-protocol §4.5-4.6).

``/threathunter/feedmgr/v2/orgs/{org_key}``: feeds (private unless ``include_public=true``),
create (private or ``/public``), one feed with its reports, delete, feedinfo update, report list,
report replace-all (``POST .../reports`` replaces every report), single report update/delete;
``POST /threathunter/feedmgr/v2/query/translate`` turns an EDR query into Enterprise EDR names.

``/threathunter/watchlistmgr/v3/orgs/{org_key}``: watchlists (CRUD, alert and tag switches),
watchlist reports, report and IOC ignore flags (a feed report is addressed as
``<feed_id>-<report_id>``), report severities; legacy ``/threathunter/watchlistmgr/v2/watchlist``.

Writes answer with the object, or ``{"success": true}`` where the service does; an invalid
report or feedinfo is 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cbasync.testing.dataset.cloud import CloudOrg, ThreatIntelStore, cloud_org, translate_edr_query
from cbasync.testing.routes._common import cloud_error, json_response, no_content, read_json
from cbasync.testing.routes.cloud_common import Handler, body_dict, cloud_handler
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

FEEDS = "/threathunter/feedmgr/v2/orgs/{org_key}"
WL = "/threathunter/watchlistmgr/v3/orgs/{org_key}"
WL2 = "/threathunter/watchlistmgr/v2"


def routes(state: EmulatorState) -> list[BaseRoute]:
    config = state.config
    org_key = config.org_key

    def org() -> CloudOrg:
        return cloud_org(state)

    def intel() -> ThreatIntelStore:
        return org().threat_intel

    def feed_of(request: Request) -> dict[str, Any]:
        feed = intel().feeds.get(request.path_params["feed_id"])
        if feed is None:
            raise cloud_error(404, "NOT_FOUND", f"Feed {request.path_params['feed_id']} not found")
        return feed

    # ------------------------------------------------------------------ feeds
    async def list_feeds(request: Request) -> Response:
        public = request.query_params.get("include_public", "").lower() == "true"
        feeds = [f for f in intel().feeds.values() if public or f["access"] == "private"]
        return json_response({"results": feeds})

    async def create_feed(request: Request) -> Response:
        body = body_dict(await read_json(request))
        info = intel().check_feedinfo(body.get("feedinfo"))
        reports = [intel().check_report(r) for r in body.get("reports") or []]
        feed_id = intel().new_id("feed")
        public = request.url.path.endswith("/public")
        info.update({"id": feed_id, "owner": org_key, "access": "public" if public else "private"})
        info.setdefault("alertable", True)
        info.setdefault("source_label", None)
        intel().feeds[feed_id] = info
        intel().feed_reports[feed_id] = reports
        return json_response(info)

    async def get_feed(request: Request) -> Response:
        feed = feed_of(request)
        return json_response({"feedinfo": feed, "reports": intel().feed_reports[feed["id"]]})

    async def delete_feed(request: Request) -> Response:
        feed = feed_of(request)
        del intel().feeds[feed["id"]]
        del intel().feed_reports[feed["id"]]
        return no_content()

    async def put_feedinfo(request: Request) -> Response:
        feed = feed_of(request)
        info = intel().check_feedinfo(body_dict(await read_json(request)))
        info.update({"id": feed["id"], "owner": feed["owner"], "access": feed["access"]})
        intel().feeds[feed["id"]] = info
        return json_response(info)

    async def feed_reports(request: Request) -> Response:
        feed = feed_of(request)
        if request.method == "POST":
            body = body_dict(await read_json(request))
            reports = body.get("reports")
            if not isinstance(reports, list):
                raise cloud_error(400, "INVALID_ARGUMENT", "reports must be a list")
            intel().feed_reports[feed["id"]] = [intel().check_report(r) for r in reports]
            return json_response({"success": True})
        return json_response({"results": intel().feed_reports[feed["id"]]})

    async def feed_report(request: Request) -> Response:
        feed = feed_of(request)
        reports = intel().feed_reports[feed["id"]]
        rid = request.path_params["report_id"]
        index = next((n for n, r in enumerate(reports) if r["id"] == rid), None)
        if index is None:
            raise cloud_error(404, "NOT_FOUND", f"Report {rid} not found")
        if request.method == "DELETE":
            del reports[index]
            return no_content()
        report = intel().check_report({**body_dict(await read_json(request)), "id": rid})
        reports[index] = report
        return json_response(report)

    async def translate(request: Request) -> Response:
        body = body_dict(await read_json(request))
        query = body.get("query")
        if not isinstance(query, str):
            raise cloud_error(400, "INVALID_ARGUMENT", "query is required")
        return json_response({"query": translate_edr_query(query)})

    # ------------------------------------------------------------------ watchlists
    def watchlist_of(request: Request) -> dict[str, Any]:
        wl = intel().watchlists.get(request.path_params["watchlist_id"])
        if wl is None:
            raise cloud_error(
                404, "NOT_FOUND", f"Watchlist {request.path_params['watchlist_id']} not found"
            )
        return wl

    def check_watchlist(body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body.get("name"), str) or not body["name"]:
            raise cloud_error(400, "INVALID_ARGUMENT", "a watchlist needs a name")
        ids = body.get("report_ids")
        if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
            raise cloud_error(400, "INVALID_ARGUMENT", "report_ids must be a list of strings")
        return body

    async def list_watchlists(request: Request) -> Response:
        return json_response({"results": list(intel().watchlists.values())})

    async def create_watchlist(request: Request) -> Response:
        body = check_watchlist(body_dict(await read_json(request)))
        now = int(state.clock.time())
        wl = {
            "description": "",
            "tags_enabled": True,
            "alerts_enabled": False,
            "report_ids": None,
            "classifier": None,
            **body,
            "id": intel().new_id("watchlist"),
            "create_timestamp": now,
            "last_update_timestamp": now,
        }
        intel().watchlists[wl["id"]] = wl
        return json_response(wl)

    async def watchlist(request: Request) -> Response:
        wl = watchlist_of(request)
        if request.method == "DELETE":
            del intel().watchlists[wl["id"]]
            return no_content()
        if request.method == "PUT":
            body = check_watchlist(body_dict(await read_json(request)))
            wl.update({k: v for k, v in body.items() if k not in ("id", "create_timestamp")})
            wl["last_update_timestamp"] = int(state.clock.time())
        return json_response(wl)

    async def watchlist_switch(request: Request) -> Response:
        wl = watchlist_of(request)
        which = "alerts_enabled" if request.url.path.endswith("/alert") else "tags_enabled"
        wl[which] = request.method == "PUT"
        wl["last_update_timestamp"] = int(state.clock.time())
        key = "alert" if which == "alerts_enabled" else "tag"
        return json_response({key: wl[which]})

    def report_by_id(report_id: str) -> dict[str, Any] | None:
        if report_id in intel().reports:
            return intel().reports[report_id]
        feed_id, sep, rid = report_id.partition("-")
        if sep and feed_id in intel().feed_reports:
            return next((r for r in intel().feed_reports[feed_id] if r["id"] == rid), None)
        return None

    async def create_report(request: Request) -> Response:
        body = body_dict(await read_json(request))
        body.setdefault("id", intel().new_id("report", 22))
        report = intel().check_report(body)
        intel().reports[report["id"]] = report
        return json_response(report)

    async def report(request: Request) -> Response:
        rid = request.path_params["report_id"]
        found = intel().reports.get(rid)
        if found is None:
            raise cloud_error(404, "NOT_FOUND", f"Report {rid} not found")
        if request.method == "DELETE":
            del intel().reports[rid]
            return no_content()
        if request.method == "PUT":
            found = intel().check_report({**body_dict(await read_json(request)), "id": rid})
            intel().reports[rid] = found
        return json_response(found)

    async def report_ignore(request: Request) -> Response:
        rid = request.path_params["report_id"]
        if report_by_id(rid) is None:
            raise cloud_error(404, "NOT_FOUND", f"Report {rid} not found")
        if request.method == "PUT":
            intel().ignored.add(rid)
        elif request.method == "DELETE":
            intel().ignored.discard(rid)
            return no_content()
        return json_response({"ignored": rid in intel().ignored})

    async def ioc_ignore(request: Request) -> Response:
        rid, ioc = request.path_params["report_id"], request.path_params["ioc_id"]
        found = report_by_id(rid)
        if found is None or not any(i.get("id") == ioc for i in found.get("iocs_v2") or []):
            raise cloud_error(404, "NOT_FOUND", f"IOC {ioc} not found in report {rid}")
        if request.method == "PUT":
            intel().ignored_iocs.add((rid, ioc))
        elif request.method == "DELETE":
            intel().ignored_iocs.discard((rid, ioc))
            return no_content()
        return json_response({"ignored": (rid, ioc) in intel().ignored_iocs})

    async def report_severity(request: Request) -> Response:
        rid = request.path_params["report_id"]
        found = report_by_id(rid)
        if found is None or rid in intel().reports:
            raise cloud_error(404, "NOT_FOUND", f"Feed report {rid} not found")
        if request.method == "PUT":
            body = body_dict(await read_json(request))
            severity = body.get("severity")
            if not isinstance(severity, int) or not 1 <= severity <= 10:
                raise cloud_error(
                    400, "INVALID_ARGUMENT", "severity must be an integer from 1 to 10"
                )
            intel().severities[rid] = severity
        elif request.method == "DELETE":
            intel().severities.pop(rid, None)
            return no_content()
        return json_response(
            {"report_id": rid, "severity": intel().severities.get(rid, found["severity"])}
        )

    async def severities(request: Request) -> Response:
        return json_response(
            {"results": [{"report_id": k, "severity": v} for k, v in intel().severities.items()]}
        )

    async def legacy_watchlists(request: Request) -> Response:
        wl_id = request.path_params.get("watchlist_id")
        if wl_id is None:  # {"results": [...]}, as v3 (cbapi 1.x reads resp["results"])
            return json_response({"results": list(intel().watchlists.values())})
        wl = intel().watchlists.get(wl_id)
        if wl is None:
            raise cloud_error(404, "NOT_FOUND", f"Watchlist {wl_id} not found")
        return json_response(wl)

    table: list[tuple[str, Handler, list[str]]] = [
        (f"{FEEDS}/feeds", list_feeds, ["GET"]),
        (f"{FEEDS}/feeds", create_feed, ["POST"]),
        (f"{FEEDS}/feeds/public", create_feed, ["POST"]),
        (f"{FEEDS}/feeds/{{feed_id}}", get_feed, ["GET"]),
        (f"{FEEDS}/feeds/{{feed_id}}", delete_feed, ["DELETE"]),
        (f"{FEEDS}/feeds/{{feed_id}}/feedinfo", put_feedinfo, ["PUT"]),
        (f"{FEEDS}/feeds/{{feed_id}}/reports", feed_reports, ["GET", "POST"]),
        (f"{FEEDS}/feeds/{{feed_id}}/reports/{{report_id}}", feed_report, ["PUT", "DELETE"]),
        (f"{WL}/watchlists", list_watchlists, ["GET"]),
        (f"{WL}/watchlists", create_watchlist, ["POST"]),
        (f"{WL}/watchlists/{{watchlist_id}}", watchlist, ["GET", "PUT", "DELETE"]),
        (f"{WL}/watchlists/{{watchlist_id}}/alert", watchlist_switch, ["PUT", "DELETE"]),
        (f"{WL}/watchlists/{{watchlist_id}}/tag", watchlist_switch, ["PUT", "DELETE"]),
        (f"{WL}/reports", create_report, ["POST"]),
        (f"{WL}/reports/severity", severities, ["GET"]),
        (f"{WL}/reports/{{report_id}}", report, ["GET", "PUT", "DELETE"]),
        (f"{WL}/reports/{{report_id}}/ignore", report_ignore, ["GET", "PUT", "DELETE"]),
        (f"{WL}/reports/{{report_id}}/severity", report_severity, ["GET", "PUT", "DELETE"]),
        (
            f"{WL}/reports/{{report_id}}/iocs/{{ioc_id}}/ignore",
            ioc_ignore,
            ["GET", "PUT", "DELETE"],
        ),
    ]
    out: list[BaseRoute] = [Route(p, cloud_handler(org_key, h), methods=m) for p, h, m in table]
    # Routes without an org key in the path (the org is the API key's).
    for path, handler in (
        ("/threathunter/feedmgr/v2/query/translate", translate),
        (f"{WL2}/watchlist", legacy_watchlists),
        (f"{WL2}/watchlist/{{watchlist_id}}", legacy_watchlists),
    ):
        methods = ["POST"] if handler is translate else ["GET"]
        out.append(Route(path, cloud_handler(org_key, handler, check_org=False), methods=methods))
    return out
