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
from starlette.routing import BaseRoute

from cbasync.testing.dataset.cloud import ThreatIntelStore, translate_edr_query
from cbasync.testing.routes._cloud import CloudHandlers, body_dict, cloud_guard
from cbasync.testing.routes._common import (
    RouteSpec,
    cloud_error,
    item,
    json_response,
    no_content,
    read_json,
    route_table,
)
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

FEEDS = "/threathunter/feedmgr/v2/orgs/{org_key}"
WL = "/threathunter/watchlistmgr/v3/orgs/{org_key}"
WL2 = "/threathunter/watchlistmgr/v2"


class ThreatIntelRoutes(CloudHandlers):
    """Feeds, reports and watchlists of the org's threat intelligence."""

    @property
    def intel(self) -> ThreatIntelStore:
        return self.org.threat_intel

    def feed_of(self, request: Request) -> dict[str, Any]:
        feed = self.intel.feeds.get(request.path_params["feed_id"])
        if feed is None:
            raise cloud_error(404, "NOT_FOUND", f"Feed {request.path_params['feed_id']} not found")
        return feed

    # ------------------------------------------------------------------ feeds
    async def list_feeds(self, request: Request) -> Response:
        public = request.query_params.get("include_public", "").lower() == "true"
        feeds = [f for f in self.intel.feeds.values() if public or f["access"] == "private"]
        return json_response({"results": feeds})

    async def create_feed(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        info = self.intel.check_feedinfo(body.get("feedinfo"))
        reports = [self.intel.check_report(r) for r in body.get("reports") or []]
        feed_id = self.intel.new_id("feed")
        public = request.url.path.endswith("/public")
        info.update(
            {
                "id": feed_id,
                "owner": self.config.org_key,
                "access": "public" if public else "private",
            }
        )
        info.setdefault("alertable", True)
        info.setdefault("source_label", None)
        self.intel.feeds[feed_id] = info
        self.intel.feed_reports[feed_id] = reports
        return json_response(info)

    async def get_feed(self, request: Request) -> Response:
        feed = self.feed_of(request)
        return json_response({"feedinfo": feed, "reports": self.intel.feed_reports[feed["id"]]})

    async def delete_feed(self, request: Request) -> Response:
        feed = self.feed_of(request)
        del self.intel.feeds[feed["id"]]
        del self.intel.feed_reports[feed["id"]]
        return no_content()

    async def put_feedinfo(self, request: Request) -> Response:
        feed = self.feed_of(request)
        info = self.intel.check_feedinfo(body_dict(await read_json(request)))
        info.update({"id": feed["id"], "owner": feed["owner"], "access": feed["access"]})
        self.intel.feeds[feed["id"]] = info
        return json_response(info)

    async def feed_reports(self, request: Request) -> Response:
        feed = self.feed_of(request)
        if request.method == "POST":
            body = body_dict(await read_json(request))
            reports = body.get("reports")
            if not isinstance(reports, list):
                raise cloud_error(400, "INVALID_ARGUMENT", "reports must be a list")
            self.intel.feed_reports[feed["id"]] = [self.intel.check_report(r) for r in reports]
            return json_response({"success": True})
        return json_response({"results": self.intel.feed_reports[feed["id"]]})

    async def feed_report(self, request: Request) -> Response:
        feed = self.feed_of(request)
        reports = self.intel.feed_reports[feed["id"]]
        rid = request.path_params["report_id"]
        index = next((n for n, r in enumerate(reports) if r["id"] == rid), None)
        if index is None:
            raise cloud_error(404, "NOT_FOUND", f"Report {rid} not found")
        if request.method == "DELETE":
            del reports[index]
            return no_content()
        report = self.intel.check_report({**body_dict(await read_json(request)), "id": rid})
        reports[index] = report
        return json_response(report)

    async def translate(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        query = body.get("query")
        if not isinstance(query, str):
            raise cloud_error(400, "INVALID_ARGUMENT", "query is required")
        return json_response({"query": translate_edr_query(query)})

    # ------------------------------------------------------------------ watchlists
    def watchlist_of(self, request: Request) -> dict[str, Any]:
        wl = self.intel.watchlists.get(request.path_params["watchlist_id"])
        if wl is None:
            raise cloud_error(
                404, "NOT_FOUND", f"Watchlist {request.path_params['watchlist_id']} not found"
            )
        return wl

    def check_watchlist(self, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body.get("name"), str) or not body["name"]:
            raise cloud_error(400, "INVALID_ARGUMENT", "a watchlist needs a name")
        ids = body.get("report_ids")
        if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
            raise cloud_error(400, "INVALID_ARGUMENT", "report_ids must be a list of strings")
        return body

    async def list_watchlists(self, request: Request) -> Response:
        return json_response({"results": list(self.intel.watchlists.values())})

    async def create_watchlist(self, request: Request) -> Response:
        body = self.check_watchlist(body_dict(await read_json(request)))
        now = int(self.clock.time())
        wl = {
            "description": "",
            "tags_enabled": True,
            "alerts_enabled": False,
            "report_ids": None,
            "classifier": None,
            **body,
            "id": self.intel.new_id("watchlist"),
            "create_timestamp": now,
            "last_update_timestamp": now,
        }
        self.intel.watchlists[wl["id"]] = wl
        return json_response(wl)

    async def watchlist(self, request: Request) -> Response:
        wl = self.watchlist_of(request)

        def update(raw: Any) -> dict[str, Any]:
            body = self.check_watchlist(body_dict(raw))
            wl.update({k: v for k, v in body.items() if k not in ("id", "create_timestamp")})
            wl["last_update_timestamp"] = int(self.clock.time())
            return wl

        return await item(
            request,
            lambda: wl,
            update=update,
            delete=lambda: self.intel.watchlists.pop(wl["id"]),
            read=read_json,
            deleted=no_content,
        )

    async def watchlist_switch(self, request: Request) -> Response:
        wl = self.watchlist_of(request)
        which = "alerts_enabled" if request.url.path.endswith("/alert") else "tags_enabled"
        wl[which] = request.method == "PUT"
        wl["last_update_timestamp"] = int(self.clock.time())
        key = "alert" if which == "alerts_enabled" else "tag"
        return json_response({key: wl[which]})

    def report_by_id(self, report_id: str) -> dict[str, Any] | None:
        """A watchlist report by its id, or a feed report as ``<feed_id>-<report_id>``."""
        if report_id in self.intel.reports:
            return self.intel.reports[report_id]
        feed_id, sep, _ = report_id.partition("-")
        listed = self.intel.feed_report(report_id) if sep else None
        return listed[1] if listed is not None and listed[0] == feed_id else None

    async def create_report(self, request: Request) -> Response:
        body = body_dict(await read_json(request))
        body.setdefault("id", self.intel.new_id("report", 22))
        report = self.intel.check_report(body)
        self.intel.reports[report["id"]] = report
        return json_response(report)

    async def report(self, request: Request) -> Response:
        rid = request.path_params["report_id"]
        found = self.intel.reports.get(rid)
        if found is None and request.method == "GET":
            # A watchlist lists a feed's report as <feed_id>-<report_id>, and the watchlist
            # manager answers for it under that id (carbon-black-cloud-sdk's Watchlist.reports
            # fetches each listed id here).
            listed = self.intel.feed_report(rid) if "-" in rid else None
            if listed is not None:
                return json_response({**listed[1], "id": rid})
        if found is None:
            raise cloud_error(404, "NOT_FOUND", f"Report {rid} not found")

        def update(raw: Any) -> dict[str, Any]:
            report = self.intel.check_report({**body_dict(raw), "id": rid})
            self.intel.reports[rid] = report
            return report

        return await item(
            request,
            lambda: found,
            update=update,
            delete=lambda: self.intel.reports.pop(rid),
            read=read_json,
            deleted=no_content,
        )

    async def report_ignore(self, request: Request) -> Response:
        rid = request.path_params["report_id"]
        if self.report_by_id(rid) is None:
            raise cloud_error(404, "NOT_FOUND", f"Report {rid} not found")
        if request.method == "PUT":
            self.intel.ignored.add(rid)
        elif request.method == "DELETE":
            self.intel.ignored.discard(rid)
            return no_content()
        return json_response({"ignored": rid in self.intel.ignored})

    async def ioc_ignore(self, request: Request) -> Response:
        rid, ioc = request.path_params["report_id"], request.path_params["ioc_id"]
        found = self.report_by_id(rid)
        if found is None or not any(i.get("id") == ioc for i in found.get("iocs_v2") or []):
            raise cloud_error(404, "NOT_FOUND", f"IOC {ioc} not found in report {rid}")
        if request.method == "PUT":
            self.intel.ignored_iocs.add((rid, ioc))
        elif request.method == "DELETE":
            self.intel.ignored_iocs.discard((rid, ioc))
            return no_content()
        return json_response({"ignored": (rid, ioc) in self.intel.ignored_iocs})

    async def report_severity(self, request: Request) -> Response:
        # A feed report's custom severity, addressed by its bare id (as carbon-black-cloud-sdk's
        # Report.custom_severity sends it and as the answers name it) or as <feed_id>-<id>;
        # watchlist reports have none.
        listed = None
        if request.path_params["report_id"] not in self.intel.reports:
            listed = self.intel.feed_report(request.path_params["report_id"])
        if listed is None:
            raise cloud_error(
                404, "NOT_FOUND", f"Feed report {request.path_params['report_id']} not found"
            )
        found = listed[1]
        rid = found["id"]
        if request.method == "PUT":
            body = body_dict(await read_json(request))
            severity = body.get("severity")
            if not isinstance(severity, int) or not 1 <= severity <= 10:
                raise cloud_error(
                    400, "INVALID_ARGUMENT", "severity must be an integer from 1 to 10"
                )
            self.intel.severities[rid] = severity
        elif request.method == "DELETE":
            self.intel.severities.pop(rid, None)
            return no_content()
        return json_response(
            {"report_id": rid, "severity": self.intel.severities.get(rid, found["severity"])}
        )

    async def severities(self, request: Request) -> Response:
        return json_response(
            {"results": [{"report_id": k, "severity": v} for k, v in self.intel.severities.items()]}
        )

    async def legacy_watchlists(self, request: Request) -> Response:
        wl_id = request.path_params.get("watchlist_id")
        if wl_id is None:  # {"results": [...]}, as v3 (cbapi 1.x reads resp["results"])
            return json_response({"results": list(self.intel.watchlists.values())})
        wl = self.intel.watchlists.get(wl_id)
        if wl is None:
            raise cloud_error(404, "NOT_FOUND", f"Watchlist {wl_id} not found")
        return json_response(wl)


def routes(state: EmulatorState) -> list[BaseRoute]:
    h = ThreatIntelRoutes(state)
    table: list[RouteSpec] = [
        (f"{FEEDS}/feeds", h.list_feeds, ["GET"]),
        (f"{FEEDS}/feeds", h.create_feed, ["POST"]),
        (f"{FEEDS}/feeds/public", h.create_feed, ["POST"]),
        (f"{FEEDS}/feeds/{{feed_id}}", h.get_feed, ["GET"]),
        (f"{FEEDS}/feeds/{{feed_id}}", h.delete_feed, ["DELETE"]),
        (f"{FEEDS}/feeds/{{feed_id}}/feedinfo", h.put_feedinfo, ["PUT"]),
        (f"{FEEDS}/feeds/{{feed_id}}/reports", h.feed_reports, ["GET", "POST"]),
        (f"{FEEDS}/feeds/{{feed_id}}/reports/{{report_id}}", h.feed_report, ["PUT", "DELETE"]),
        (f"{WL}/watchlists", h.list_watchlists, ["GET"]),
        (f"{WL}/watchlists", h.create_watchlist, ["POST"]),
        (f"{WL}/watchlists/{{watchlist_id}}", h.watchlist, ["GET", "PUT", "DELETE"]),
        (f"{WL}/watchlists/{{watchlist_id}}/alert", h.watchlist_switch, ["PUT", "DELETE"]),
        (f"{WL}/watchlists/{{watchlist_id}}/tag", h.watchlist_switch, ["PUT", "DELETE"]),
        (f"{WL}/reports", h.create_report, ["POST"]),
        (f"{WL}/reports/severity", h.severities, ["GET"]),
        (f"{WL}/reports/{{report_id}}", h.report, ["GET", "PUT", "DELETE"]),
        (f"{WL}/reports/{{report_id}}/ignore", h.report_ignore, ["GET", "PUT", "DELETE"]),
        (f"{WL}/reports/{{report_id}}/severity", h.report_severity, ["GET", "PUT", "DELETE"]),
        (
            f"{WL}/reports/{{report_id}}/iocs/{{ioc_id}}/ignore",
            h.ioc_ignore,
            ["GET", "PUT", "DELETE"],
        ),
    ]
    # Routes without an org key in the path (the org is the API key's).
    unscoped: list[RouteSpec] = [
        ("/threathunter/feedmgr/v2/query/translate", h.translate, ["POST"]),
        (f"{WL2}/watchlist", h.legacy_watchlists, ["GET"]),
        (f"{WL2}/watchlist/{{watchlist_id}}", h.legacy_watchlists, ["GET"]),
    ]
    org_key = state.config.org_key
    return [
        *route_table(table, wrap=cloud_guard(org_key)),
        *route_table(unscoped, wrap=cloud_guard(org_key, check_org=False)),
    ]
