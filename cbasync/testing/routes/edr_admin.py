"""The administration routes of the EDR server: license and settings, banned hashes, watchlists
and feeds with their actions, threat reports, users, teams, sites, throttle rules, storage
partitions, ingress filters and approved IPs.

The handlers live here; :func:`cbasync.testing.routes.edr.routes` mounts them in the EDR route
table (EDR is one server: one route module, whose table interleaves these routes with the
investigation ones in the order the reference lists them).
"""

from __future__ import annotations

import json
import time
from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from cbasync.testing.dataset.errors import Invalid
from cbasync.testing.routes._common import (
    RouteSpec,
    dumps,
    item,
    json_response,
    no_content,
    read_json,
    read_object,
    success,
)
from cbasync.testing.routes._edr import EdrHandlers, envelope, int_path

__all__ = ["AdminRoutes"]


class AdminRoutes(EdrHandlers):
    """Handlers over the EDR backend's administration (built on first use)."""

    # --- license and settings -----------------------------------------------------------------
    async def license(self, request: Request) -> Response:
        if request.method == "POST":
            raw = await request.body()
            try:
                parsed = json.loads(raw) if raw.strip() else None
            except ValueError:
                parsed = raw.decode("utf-8", "replace")
            self.admin.apply_license(parsed.get("license") if isinstance(parsed, dict) else parsed)
            return json_response({"status": "success"})
        return json_response(self.admin.license())

    async def platform_server(self, request: Request) -> Response:
        if request.method == "POST":
            self.admin.set_platform_server(await read_object(request))
            return success()
        return json_response(self.admin.platform_server)

    # --- banning ------------------------------------------------------------------------------
    async def bans(self, request: Request) -> Response:
        if request.method == "POST":
            self.admin.create_ban(await read_object(request))
            return success()
        count = request.query_params.get("count")
        return json_response(
            self.admin.list_bans(int(count) if count and count.isdigit() else None)
        )

    async def ban(self, request: Request) -> Response:
        md5, admin = request.path_params["md5"], self.admin
        return await item(
            request,
            lambda: admin.ban(md5),
            update=lambda body: admin.update_ban(md5, body),
            delete=lambda: admin.disable_ban(md5),
        )

    # --- watchlists, feeds and their actions ---------------------------------------------------
    async def watchlists(self, request: Request) -> Response:
        if request.method == "POST":
            return json_response({"id": self.admin.create_watchlist(await read_object(request))})
        return json_response(list(self.admin.watchlists.values()))

    async def watchlist(self, request: Request) -> Response:
        wid, admin = request.path_params["watchlist_id"], self.admin
        return await item(
            request,
            lambda: admin.watchlist(wid),
            update=lambda body: admin.update_watchlist(wid, body),
            delete=lambda: admin.delete_watchlist(wid),
        )

    async def action_types(self, request: Request, kind: str) -> Response:
        return json_response(self.admin.list_action_types(kind, request.path_params["oid"]))

    async def action_type(self, request: Request, kind: str) -> Response:
        oid, action = request.path_params["oid"], request.path_params["action"]
        if request.method == "PUT":
            self.admin.set_action_type(kind, oid, action, await read_object(request))
            return success()
        return json_response(self.admin.get_action_type(kind, oid, action))

    async def legacy_actions(self, request: Request, kind: str) -> Response:
        oid = request.path_params["oid"]
        if request.method == "POST":
            return json_response(self.admin.legacy_create(kind, oid, await read_object(request)))
        return json_response(self.admin.legacy_list(kind, oid))

    async def legacy_action(self, request: Request, kind: str) -> Response:
        oid, aid = request.path_params["oid"], request.path_params["aid"]
        if request.method == "DELETE":
            self.admin.legacy_delete(kind, oid, aid)
            return success()
        return json_response(self.admin.legacy_update(kind, oid, aid, await read_object(request)))

    def action_routes(self, kind: str, base: str) -> list[RouteSpec]:
        """The action routes of watchlists or feeds (``kind``) under ``base``."""
        return [
            (f"{base}/{{oid}}/action_type", partial(self.action_types, kind=kind), ("GET",)),
            (
                f"{base}/{{oid}}/action_type/{{action}}",
                partial(self.action_type, kind=kind),
                ("GET", "PUT"),
            ),
            (f"{base}/{{oid}}/action", partial(self.legacy_actions, kind=kind), ("GET", "POST")),
            (
                f"{base}/{{oid}}/action/{{aid}}",
                partial(self.legacy_action, kind=kind),
                ("PUT", "DELETE"),
            ),
        ]

    async def feeds(self, request: Request) -> Response:
        if request.method == "POST":
            return json_response(self.admin.create_feed(await read_object(request)))
        return json_response(list(self.admin.feeds.values()))

    async def feed(self, request: Request) -> Response:
        fid, admin = int_path(request, "feed_id"), self.admin
        return await item(
            request,
            lambda: admin.feed(fid),
            update=lambda body: admin.update_feed(fid, body),
            delete=lambda: admin.delete_feed(fid),
        )

    async def synchronize(self, request: Request) -> Response:
        fid = int_path(request, "feed_id")
        body = await read_json(request, required=False)
        full = bool(body.get("full_sync", True)) if isinstance(body, dict) else True
        self.admin.synchronize_feed(fid, full)
        return success()

    async def report(self, request: Request) -> Response:
        fid = int_path(request, "feed_id")
        return json_response(self.admin.report(fid, request.path_params["report_id"]))

    async def feed_reports(self, request: Request) -> Response:
        fid = int_path(request, "feed_id")
        self.admin.feed(fid)
        return json_response([r for r in self.admin.reports if r["feed_id"] == fid])

    async def threat_reports(self, request: Request) -> Response:
        if request.method == "POST":
            self.admin.bulk_update_reports(await read_object(request))
            return success()
        began = time.perf_counter()
        page = self.admin.report_page(self.solr(request, "last_update desc"))
        page.elapsed = time.perf_counter() - began
        rows = ",".join(dumps(self.admin.reports[k]).decode("utf-8") for k in page.keys)
        return envelope(page, rows, {})

    # --- users, teams, sites, throttle rules ---------------------------------------------------
    async def users(self, request: Request) -> Response:
        return json_response([self.admin.public_user(u) for u in self.admin.users])

    async def create_user(self, request: Request) -> Response:
        self.admin.create_user(await read_object(request))
        return success()

    async def user(self, request: Request) -> Response:
        name, admin = request.path_params["username"], self.admin
        return await item(
            request,
            lambda: admin.public_user(name),
            update=lambda body: admin.update_user(name, body),
            delete=lambda: admin.delete_user(name),
        )

    async def teams(self, request: Request) -> Response:
        return json_response(list(self.admin.teams.values()))

    async def create_team(self, request: Request) -> Response:
        return json_response({"id": self.admin.create_team(await read_object(request))})

    async def team(self, request: Request) -> Response:
        tid, admin = int_path(request, "team_id"), self.admin
        return await item(
            request,
            lambda: admin.team(tid),
            update=lambda body: admin.update_team(tid, body),
            delete=lambda: admin.delete_team(tid),
        )

    async def sites(self, request: Request) -> Response:
        if request.method == "POST":
            return json_response({"id": self.admin.create_site(await read_object(request))})
        return json_response(list(self.admin.sites.values()))

    async def site(self, request: Request) -> Response:
        sid, admin = int_path(request, "site_id"), self.admin
        return await item(
            request,
            lambda: [admin.site(sid)],  # an array of one, like groups
            update=lambda body: admin.update_site(sid, body),
            delete=lambda: admin.delete_site(sid),
        )

    async def throttles(self, request: Request) -> Response:
        if request.method == "POST":
            return json_response({"id": self.admin.create_throttle(await read_object(request))})
        return json_response(list(self.admin.throttles.values()))

    async def throttle(self, request: Request) -> Response:
        tid, admin = int_path(request, "rule_id"), self.admin

        def update(body: dict[str, object]) -> None:
            admin.throttle(tid).update({k: v for k, v in body.items() if k != "id"})

        def delete() -> None:
            admin.throttle(tid)
            del admin.throttles[tid]

        return await item(request, lambda: admin.throttle(tid), update=update, delete=delete)

    # --- storage partitions --------------------------------------------------------------------
    async def partitions(self, request: Request) -> Response:
        return json_response(self.admin.partitions)

    async def new_partition(self, request: Request) -> Response:
        return json_response({"results": self.admin.new_partition()})

    async def mount(self, request: Request) -> Response:
        return json_response({"results": self.admin.mount_partition(request.path_params["name"])})

    async def unmount(self, request: Request) -> Response:
        name = request.path_params["name"]
        return json_response({"results": self.admin.unmount_partition(name)})

    async def delete_partition(self, request: Request) -> Response:
        name = request.path_params["name"]
        return json_response({"results": self.admin.delete_partition(name)})

    # --- ingress filters and approved IPs ------------------------------------------------------
    async def ingress_list(self, request: Request) -> Response:
        if request.method == "POST":
            return json_response(self.admin.create_ingress(await read_json(request)))
        return json_response(list(self.admin.ingress.values()))

    async def ingress_legacy(self, request: Request) -> Response:
        return json_response(self.admin.ingress_legacy())

    async def ingress_one(self, request: Request) -> Response:
        fid, admin = request.path_params["filter_id"], self.admin
        return await item(
            request,
            lambda: admin.ingress_filter(fid),
            update=lambda body: admin.update_ingress(fid, body),
            delete=lambda: admin.delete_ingress(fid),
            read=read_json,
        )

    async def approved_entries(self, request: Request) -> Response:
        if request.method == "POST":
            body = await read_json(request)
            if not isinstance(body, dict) or "ipaddr" not in body:
                raise Invalid('body must be {"ipaddr": "<ip or CIDR>"} or {"ipaddr": [...]}')
            ids = self.admin.add_approved_ips(body["ipaddr"])
            return json_response(ids if isinstance(body["ipaddr"], list) else ids[0])
        return json_response(self.admin.list_approved_ips())

    async def approved_entry(self, request: Request) -> Response:
        self.admin.delete_approved_ip(int_path(request, "entry_id"))
        return no_content()

    async def approved_enabled(self, request: Request) -> Response:
        if request.method == "PATCH":
            body = await read_json(request)
            if not isinstance(body, dict) or not isinstance(body.get("state"), bool):
                raise Invalid('body must be {"state": true|false}')
            self.admin.approved_enabled = body["state"]
            return no_content()
        return json_response({"state": self.admin.approved_enabled})
