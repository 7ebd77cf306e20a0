"""EDR administrative objects: watchlists, feeds and their threat reports, banned hashes, users,
teams, sites, throttle rules, storage partitions, ingress filters, approved IPs, license and the
App Control integration settings.

They are small, so they live in ordinary in-memory collections seeded at first use; every write
persists for the life of the state. Methods raise the domain errors of
:mod:`cbasync.testing.dataset.errors` where the real server refuses.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from cbasync.testing.dataset._fmt import iso_ms, iso_s, mix, server_local, unit
from cbasync.testing.dataset.errors import Conflict, Invalid, NotFound
from cbasync.testing.query import FieldType, iso_to_epoch, parse, terms_of
from cbasync.testing.search import SearchEngine

if TYPE_CHECKING:
    from cbasync.testing.dataset.edr import EdrBackend, SearchPage, SolrParams

__all__ = ["ACTION_TYPES", "EdrAdmin"]

_DAY = 86_400.0
ACTION_TYPES = ("email", "syslog", "alert")
_ACTION_NUMBERS = {0: "email", 1: "syslog", 2: "http_post", 3: "alert"}

_WATCHLISTS: tuple[tuple[str, str, str, str], ...] = (
    # (name, index_type, q, description)
    ("Newly Loaded Modules", "modules", "is_executable_image:false", "DLLs first seen recently"),
    (
        "Unsigned Executables",
        "modules",
        "digsig_result:Unsigned is_executable_image:true",
        "Executables without a valid signature",
    ),
    (
        "Encoded PowerShell",
        "events",
        "process_name:powershell.exe cmdline:-enc",
        "PowerShell with an encoded command",
    ),
    (
        "Network Share Mounts",
        "events",
        "process_name:net.exe cmdline:use",
        "net use against internal shares",
    ),
    (
        "Credential Dumping",
        "events",
        "cmdline:minidump OR crossproc_name:lsass.exe",
        "Access to LSASS memory",
    ),
    (
        "LOLBins Download",
        "events",
        "process_name:certutil.exe cmdline:urlcache",
        "certutil used as a downloader",
    ),
    (
        "Scheduled Task Persistence",
        "events",
        "process_name:schtasks.exe cmdline:create",
        "New scheduled tasks",
    ),
    (
        "Office Spawning Shells",
        "events",
        "parent_name:winword.exe (process_name:cmd.exe OR process_name:powershell.exe)",
        "Macros launching interpreters",
    ),
)

_FEEDS: tuple[dict[str, Any], ...] = (
    {
        "id": 1,
        "name": "SRSThreat",
        "display_name": "Carbon Black Software Reputation Service Threat",
        "category": "Carbon Black First Party",
        "provider_url": "https://www.carbonblack.com/",
        "feed_url": "https://api.alliance.carbonblack.com/feed/SRSThreat",
        "enabled": True,
        "manually_added": False,
        "order": 1,
        "provider_rating": 3,
        "summary": "Known-malicious software identified by the Carbon Black reputation service",
        "tech_data": "Requires sharing binary hashes with the Carbon Black Alliance",
    },
    {
        "id": 2,
        "name": "SRSTrust",
        "display_name": "Carbon Black Software Reputation Service Trust",
        "category": "Carbon Black First Party",
        "provider_url": "https://www.carbonblack.com/",
        "feed_url": "https://api.alliance.carbonblack.com/feed/SRSTrust",
        "enabled": True,
        "manually_added": False,
        "order": 2,
        "provider_rating": 3,
        "summary": "The Cb Reputation Trust feed provides a level of software trustworthness",
        "tech_data": "It is necessary to share MD5s of observed binaries with the Carbon Black "
        "Alliance to use this feed",
    },
    {
        "id": 3,
        "name": "abusech",
        "display_name": "abuse.ch Malware Hashes",
        "category": "Open Source",
        "provider_url": "https://abuse.ch/",
        "feed_url": "https://api.alliance.carbonblack.com/feed/abusech",
        "enabled": True,
        "manually_added": False,
        "order": 3,
        "provider_rating": 2,
        "summary": "Malware sample hashes from abuse.ch",
        "tech_data": "",
    },
    {
        "id": 4,
        "name": "nvd",
        "display_name": "NVD Vulnerable Software",
        "category": "Open Source",
        "provider_url": "https://nvd.nist.gov/",
        "enabled": False,
        "manually_added": False,
        "feed_url": "https://api.alliance.carbonblack.com/feed/nvd",
        "order": 4,
        "provider_rating": 2,
        "summary": "Binaries with known CVEs",
        "tech_data": "",
    },
    {
        "id": 5,
        "name": "SOC",
        "display_name": "SOC Threat Intelligence",
        "category": "Local",
        "provider_url": "https://intranet.acme.example/soc",
        "enabled": True,
        "manually_added": True,
        "feed_url": "file:///var/cb/data/feeds/soc.json",
        "order": 5,
        "provider_rating": 3,
        "summary": "Indicators curated by the SOC",
        "tech_data": "",
    },
    {
        "id": 6,
        "name": "virustotalconnector",
        "display_name": "VirusTotal Connector",
        "category": "Connectors",
        "provider_url": "https://www.virustotal.com/",
        "enabled": True,
        "manually_added": True,
        "feed_url": "http://127.0.0.1:7000/vt/json",
        "order": 6,
        "provider_rating": 3,
        "summary": "VirusTotal detections for observed binaries",
        "tech_data": "",
    },
)

_FEED_DEFAULTS: dict[str, Any] = {
    "ssl_client_crt": None,
    "ssl_client_key": None,
    "local_rating": None,
    "requires_who": None,
    "requires": None,
    "requires_what": None,
    "icon": "",
    "icon_small": "",
    "use_proxy": False,
    "username": None,
    "password": None,
    "validate_server_cert": False,
}

_REPORT_TITLES = (
    "Emotet loader {c}",
    "Cobalt Strike beacon {c}",
    "QakBot dropper {c}",
    "FUZZYWOMBAT campaign {c}",
    "Credential stealer {c}",
    "Ransomware precursor {c}",
    "Suspicious LOLBin use {c}",
    "Phishing payload {c}",
)

REPORT_SCHEMA: dict[str, FieldType] = {
    "id": "keyword",
    "title": "text",
    "feed_id": "number",
    "feed_name": "keyword",
    "feed_category": "keyword",
    "score": "number",
    "timestamp": "number",
    "last_update": "date",
    "is_ignored": "bool",
    "_internal_id": "keyword",
    "md5": "keyword",
    "ipv4": "ip",
    "domain": "keyword",
    "tags": "keyword",
    "description": "text",
}

_INGRESS_DEFAULTS: dict[str, Any] = {
    "version": 1,
    "priority": 0,
    "internal": False,
    "enabled": True,
    "filter_on_sensor": False,
    "filter_on_server": True,
    "track_metrics": True,
    "hit_rate": 0.0,
    "name": "",
    "description": "",
    "os_mask": 7,
    "global": True,
    "group_ids": [],
    "sensor_ids": [],
    "path_filters": [],
    "cmdline_filters": [],
    "md5_filters": [],
    "descendant_filtering_level": 0,
    "filter_all_events": True,
    "regmod_filters": [],
    "modload_filters": [],
    "filemod_filters": [],
    "non_binary_filemod_filters": [],
    "netconn_filters": [],
    "crossproc_filters": [],
}
_INGRESS_READ_ONLY = (
    "create_timestamp",
    "modify_timestamp",
    "create_user_id",
    "modify_user_id",
    "hit_rate",
)


class EdrAdmin:
    """Administrative collections of one EDR server."""

    def __init__(self, edr: EdrBackend) -> None:
        self.edr = edr
        self.config = edr.config
        self.clock = edr.clock
        seed = self.config.seed
        epoch = edr.epoch
        self.watchlists: dict[str, dict[str, Any]] = {}
        for k, (name, index_type, q, desc) in enumerate(_WATCHLISTS, start=1):
            added = epoch - (400 - 20 * k) * _DAY
            sort = "server_added_timestamp desc" if index_type == "modules" else "last_update desc"
            search = f"cb.urlver=1&q={_quote(q)}&sort={_quote(sort)}"
            hits = mix(seed, k, 0x3A) % 60_000
            self.watchlists[str(k)] = {
                "id": str(k),
                "name": name,
                "index_type": index_type,
                "search_query": search,
                "description": desc,
                "enabled": k != 8,
                "alliance_id": None,
                "from_alliance": False,
                "readonly": False,
                "group_id": -1,
                "date_added": server_local(added),
                "last_hit": server_local(epoch - unit(seed, k) * 2 * _DAY),
                "last_hit_count": hits % 50,
                "total_hits": str(hits),
                "total_tags": str(hits),
                "last_execution_result": 0,
                "last_execution_time_ms": str(20 + hits % 200),
                "search_timestamp": iso_ms(epoch - 600),
            }
        self._next_watchlist = len(self.watchlists) + 1
        # action_type enablement per (object kind, id, action) for the API user.
        self.action_types: dict[tuple[str, str, str], bool] = {}
        self.legacy_actions: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._next_action = 1
        self.feeds: dict[int, dict[str, Any]] = {}
        for raw in _FEEDS:
            feed = dict(_FEED_DEFAULTS)
            feed.update(raw)
            self.feeds[feed["id"]] = feed
        self._next_feed = max(self.feeds) + 1
        self.reports: list[dict[str, Any]] = []
        self._report_index: dict[tuple[int, str], int] = {}
        self._seed_reports()
        self.report_search = SearchEngine(
            size=lambda: len(self.reports),
            accessor=self._report_accessor,
            schema=REPORT_SCHEMA,
            default_fields=("title", "description", "feed_name"),
            natural=None,
            now=self.clock.time,
            strict=False,
        )
        self.bans: dict[str, dict[str, Any]] = {}
        self._seed_bans()
        self.users: dict[str, dict[str, Any]] = {}
        self.teams: dict[int, dict[str, Any]] = {}
        self._seed_users()
        self.sites: dict[int, dict[str, Any]] = {
            1: {"id": 1, "name": "Default Site", "group_ids": [1, 2, 3, 4, 5]}
        }
        self.throttles: dict[int, dict[str, Any]] = {}
        self.partitions: dict[str, dict[str, Any]] = {}
        self._seed_partitions()
        self.ingress: dict[str, dict[str, Any]] = {}
        self._next_ingress = 1
        self._seed_ingress()
        self.approved_ips: dict[int, str] = {}
        self._next_ip = 1
        self.approved_enabled = False
        self.platform_server: dict[str, Any] = {
            "server_url": "",
            "ssl_certificate_verify": "true",
            "watchlist_export": "false",
        }
        self._platform_token: str | None = None
        self.license_block = ""

    # --- watchlists -------------------------------------------------------------------------------
    def watchlist(self, wid: str) -> dict[str, Any]:
        wl = self.watchlists.get(str(wid))
        if wl is None:
            raise NotFound(f"watchlist {wid} not found")
        return wl

    def _check_watchlist(self, body: Mapping[str, Any], *, partial: bool) -> None:
        if not partial or "name" in body:
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise Invalid("a watchlist needs a name")
        if not partial or "search_query" in body:
            sq = body.get("search_query")
            if not isinstance(sq, str) or not sq.strip():
                raise Invalid("a watchlist needs a search_query")
            q = dict(parse_qsl(sq)).get("q", "")
            parse(q)  # a malformed query is a 400 (QueryError)
        if "index_type" in body and body["index_type"] not in ("events", "modules"):
            raise Invalid("index_type must be 'events' or 'modules'")

    def create_watchlist(self, body: Mapping[str, Any]) -> int:
        self._check_watchlist(body, partial=False)
        requested = body.get("id")
        if requested not in (None, ""):
            wid = str(requested)
            if wid in self.watchlists:
                raise Conflict(f"watchlist {wid} already exists")
        else:
            wid = str(self._next_watchlist)
        self._next_watchlist = max(self._next_watchlist, int(wid) + 1 if wid.isdigit() else 0)
        if any(w["name"] == body["name"] for w in self.watchlists.values()):
            raise Conflict(f"a watchlist named {body['name']!r} already exists")
        now = self.clock.time()
        self.watchlists[wid] = {
            "id": wid,
            "name": body["name"],
            "index_type": body.get("index_type") or "events",
            "search_query": body["search_query"],
            "description": body.get("description"),
            "enabled": bool(body.get("enabled", True)),
            "alliance_id": None,
            "from_alliance": False,
            "readonly": False,
            "group_id": -1,
            "date_added": server_local(now),
            "last_hit": None,
            "last_hit_count": 0,
            "total_hits": "0",
            "total_tags": "0",
            "last_execution_result": 0,
            "last_execution_time_ms": "0",
            "search_timestamp": None,
        }
        return int(wid) if wid.isdigit() else 0

    def update_watchlist(self, wid: str, body: Mapping[str, Any]) -> None:
        wl = self.watchlist(wid)
        if wl["readonly"]:
            raise Invalid(f"watchlist {wid} is read-only")
        self._check_watchlist(body, partial=True)
        for key in ("name", "search_query", "description", "enabled", "index_type"):
            if key in body:
                wl[key] = body[key]

    def delete_watchlist(self, wid: str) -> None:
        self.watchlist(wid)
        del self.watchlists[str(wid)]

    # --- action types -----------------------------------------------------------------------------
    def _owner(self, kind: str, oid: str) -> None:
        if kind == "watchlist":
            self.watchlist(oid)
        else:
            self.feed(int(oid))

    def list_action_types(self, kind: str, oid: str) -> list[dict[str, Any]]:
        self._owner(kind, oid)
        return [
            {"enabled": self._action_enabled(kind, oid, a), "action_type": a} for a in ACTION_TYPES
        ]

    def _action_enabled(self, kind: str, oid: str, action: str) -> bool:
        return self.action_types.get((kind, str(oid), action), action == "alert")

    def get_action_type(self, kind: str, oid: str, action: str) -> dict[str, bool]:
        self._owner(kind, oid)
        if action not in ACTION_TYPES:
            raise NotFound(f"unknown action type {action!r}")
        return {"enabled": self._action_enabled(kind, oid, action)}

    def set_action_type(self, kind: str, oid: str, action: str, body: Mapping[str, Any]) -> None:
        self._owner(kind, oid)
        if action not in ACTION_TYPES:
            raise NotFound(f"unknown action type {action!r}")
        if not isinstance(body.get("enabled"), bool):
            raise Invalid('body must be {"enabled": true|false}')
        self.action_types[(kind, str(oid), action)] = body["enabled"]

    # Legacy numeric actions (/watchlist/{id}/action, /feed/{id}/action), deprecated by 6.3.
    def legacy_list(self, kind: str, oid: str) -> list[dict[str, Any]]:
        self._owner(kind, oid)
        return self.legacy_actions.get((kind, str(oid)), [])

    def legacy_create(self, kind: str, oid: str, body: Mapping[str, Any]) -> dict[str, Any]:
        self._owner(kind, oid)
        action_type = body.get("action_type")
        if action_type not in _ACTION_NUMBERS:
            raise Invalid("action_type must be 0 (email), 1 (syslog), 2 (http_post) or 3 (alert)")
        action = dict(body)
        action["id"] = str(self._next_action)
        self._next_action += 1
        if kind == "watchlist":
            action["watchlist_id"] = int(oid)
            action.setdefault("group_id", int(oid))
        else:
            action["group_id"] = int(oid)
            action["watchlist_id"] = -1
        self.legacy_actions.setdefault((kind, str(oid)), []).append(action)
        self.action_types[(kind, str(oid), _ACTION_NUMBERS[action_type])] = True
        return action

    def legacy_update(
        self, kind: str, oid: str, aid: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        for action in self.legacy_list(kind, oid):
            if action["id"] == str(aid):
                action.update({k: v for k, v in body.items() if k != "id"})
                return action
        raise NotFound(f"action {aid} not found")

    def legacy_delete(self, kind: str, oid: str, aid: str) -> None:
        actions = self.legacy_list(kind, oid)
        for i, action in enumerate(actions):
            if action["id"] == str(aid):
                del actions[i]
                return
        raise NotFound(f"action {aid} not found")

    # --- feeds ------------------------------------------------------------------------------------
    def feed(self, fid: int) -> dict[str, Any]:
        feed = self.feeds.get(fid)
        if feed is None:
            raise NotFound(f"feed {fid} not found")
        return feed

    def create_feed(self, body: Mapping[str, Any]) -> dict[str, Any]:
        feed_url = body.get("feed_url")
        if not isinstance(feed_url, str) or not feed_url.startswith(
            ("file://", "http://", "https://")
        ):
            raise Invalid("feed_url must begin with file://, http:// or https://")
        name = body.get("name") or feed_url.rstrip("/").rsplit("/", 1)[-1]
        if not str(name).replace("_", "").isalnum():
            raise Invalid("a feed name must be alphanumeric")
        if any(f["feed_url"] == feed_url or f["name"] == name for f in self.feeds.values()):
            raise Conflict("a feed with that name or URL already exists")
        fid = self._next_feed
        self._next_feed += 1
        feed = dict(_FEED_DEFAULTS)
        feed.update(
            {
                "id": fid,
                "name": name,
                "display_name": body.get("display_name") or name,
                "category": body.get("category", "Local"),
                "provider_url": body.get("provider_url", ""),
                "feed_url": feed_url,
                "enabled": bool(body.get("enabled", True)),
                "manually_added": True,
                "order": fid,
                "provider_rating": body.get("provider_rating", 2),
                "summary": body.get("summary", ""),
                "tech_data": body.get("tech_data", ""),
            }
        )
        for key in (
            "validate_server_cert",
            "use_proxy",
            "username",
            "password",
            "ssl_client_crt",
            "ssl_client_key",
            "icon",
            "icon_small",
        ):
            if key in body:
                feed[key] = body[key]
        self.feeds[fid] = feed
        return feed

    def update_feed(self, fid: int, body: Mapping[str, Any]) -> dict[str, Any]:
        feed = self.feed(fid)
        if "feed_url" in body and not str(body["feed_url"]).startswith(
            ("file://", "http://", "https://")
        ):
            raise Invalid("feed_url must begin with file://, http:// or https://")
        for key, value in body.items():
            if key != "id":
                feed[key] = value
        self.report_search.invalidate()
        return feed

    def delete_feed(self, fid: int) -> None:
        self.feed(fid)
        del self.feeds[fid]
        self.reports = [r for r in self.reports if r["feed_id"] != fid]
        self._reindex_reports()

    def synchronize_feed(self, fid: int, full_sync: bool) -> None:
        feed = self.feed(fid)
        if not feed["enabled"]:
            raise Conflict(f"feed {fid} is disabled")
        feed["last_sync"] = iso_s(self.clock.time())
        self.edr.state.counters.event("feed.synchronize")

    # --- threat reports ---------------------------------------------------------------------------
    def _seed_reports(self) -> None:
        seed = self.config.seed
        bins = self.edr.binaries
        malware = [
            i for i in range(bins.known_count, bins.count) if bins.entry(i).kind == "malware"
        ]
        epoch = self.edr.epoch
        for fid in (1, 3, 5, 6):
            feed = self.feeds[fid]
            for k in range(40):
                h = mix(seed, fid, k, 0x7E)
                title = _REPORT_TITLES[h % len(_REPORT_TITLES)].replace("{c}", f"{h >> 40:04x}")
                iocs: dict[str, list[Any]] = {}
                if malware and k % 3 != 2:
                    iocs["md5"] = [bins.md5(malware[(h >> 8) % len(malware)])]
                if k % 3 == 1:
                    iocs["ipv4"] = ["198.51.100.7"]
                    iocs["dns"] = ["c2.badcdn.example"]
                if k % 3 == 2:
                    iocs["query"] = [
                        {
                            "index_type": "events",
                            "search_query": "cb.urlver=1&q=process_name%3Acertutil.exe",
                        }
                    ]
                ts = int(epoch - unit(seed, fid, k) * 90 * _DAY)
                rid = f"{feed['name'].lower()}-{h % 1_000_000:06d}"
                self.reports.append(
                    {
                        "id": rid,
                        "title": title,
                        "score": 50 + h % 51,
                        "link": f"https://intel.example.com/reports/{rid}",
                        "timestamp": ts,
                        "last_update": iso_s(ts),
                        "iocs": iocs,
                        "feed_id": fid,
                        "feed_name": feed["name"],
                        "feed_category": feed["category"],
                        "is_ignored": False,
                        "_internal_id": f"{fid}-{rid}",
                        "description": f"{title} indicators",
                        "tags": ["malware"],
                        "hit_count": h % 12,
                    }
                )
        self._reindex_reports()

    def _reindex_reports(self) -> None:
        self._report_index = {(r["feed_id"], r["id"]): i for i, r in enumerate(self.reports)}
        if hasattr(self, "report_search"):
            self.report_search.invalidate()

    def _report_accessor(self, name: str) -> Any:
        if name in ("md5", "ipv4", "domain"):
            key = {"domain": "dns"}.get(name, name)
            return lambda i: self.reports[i]["iocs"].get(key, [])
        return lambda i: self.reports[i].get(name)

    def report(self, fid: int, rid: str) -> dict[str, Any]:
        i = self._report_index.get((fid, rid))
        if i is None:
            raise NotFound(f"report {rid} of feed {fid} not found")
        return self.reports[i]

    def report_page(self, p: SolrParams) -> SearchPage:
        from cbasync.testing.dataset.edr import SearchPage

        q = self.edr._filtered_query(p.q, p.filters)
        keys = self.report_search.match(q)
        sort = [
            (("timestamp", d) if f == "last_update" else (f, d))
            for f, d in (p.sort or (("last_update", True),))
        ]
        keys = self.report_search.sorted(keys, sort, cache_key=(q, self.report_search.generation))
        page = keys[p.start : p.start + p.rows] if p.rows else ()
        return SearchPage(page, len(keys), p.start, terms_of(parse(p.q)) if p.q.strip() else [])

    def bulk_update_reports(self, body: Mapping[str, Any]) -> int:
        updates = body.get("updates")
        if not isinstance(updates, Mapping) or not updates:
            raise Invalid("updates is required")
        unknown = set(updates) - {"is_ignored"}
        if unknown:
            raise Invalid(f"only is_ignored can be modified, not {', '.join(sorted(unknown))}")
        ids = body.get("ids")
        query = body.get("query")
        targets: list[dict[str, Any]] = []
        if ids:
            if not isinstance(ids, Mapping):
                raise Invalid("ids must map feed ids to lists of report ids")
            for fid, rids in ids.items():
                for rid in rids:
                    targets.append(self.report(int(fid), str(rid)))
        elif query:
            q = dict(parse_qsl(str(query))).get("q", "")
            targets = [self.reports[k] for k in self.report_search.match(q)]
        else:
            raise Invalid("either ids or query is required")
        for report in targets:
            report["is_ignored"] = bool(updates["is_ignored"])
        self.report_search.invalidate()
        return len(targets)

    def ignore_reports_for_md5(self, fid: int, md5: str, ignored: bool) -> None:
        for report in self.reports:
            if report["feed_id"] == fid and md5 in report["iocs"].get("md5", []):
                report["is_ignored"] = ignored
        self.report_search.invalidate()

    # --- banned hashes ----------------------------------------------------------------------------
    def _seed_bans(self) -> None:
        bins = self.edr.binaries
        malware = [
            i for i in range(bins.known_count, bins.count) if bins.entry(i).kind == "malware"
        ]
        epoch = self.edr.epoch
        for k, i in enumerate(malware[:3]):
            md5 = bins.md5(i)
            when = server_local(epoch - (30 - k) * _DAY)
            self.bans[md5] = {
                "username": "admin",
                "user_id": 1,
                "text": "Auto-Ban From Watchlist",
                "md5hash": md5,
                "block_count": 2 + k,
                "last_block_sensor_id": 5,
                "enabled": True,
                "last_block_time": when,
                "timestamp": when,
                "last_block_hostname": "desktop-host",
                "audit": [
                    {
                        "username": "admin",
                        "timestamp": when,
                        "text": "Auto-Ban From Watchlist",
                        "enabled": True,
                        "user_id": 1,
                    }
                ],
            }

    def list_bans(self, count: int | None) -> list[dict[str, Any]]:
        bans = list(self.bans.values())
        return bans[: 500 if count is None else count]

    def ban(self, md5: str) -> dict[str, Any]:
        ban = self.bans.get(md5.lower())
        if ban is None:
            raise NotFound(f"{md5} is not banned")
        return ban

    def create_ban(self, body: Mapping[str, Any]) -> None:
        md5 = str(body.get("md5hash") or "").lower()
        if len(md5) != 32 or any(c not in "0123456789abcdef" for c in md5):
            raise Invalid("md5hash must be 32 hexadecimal characters")
        enabled = str(body.get("enabled", True)).lower() not in ("false", "0")
        existing = self.bans.get(md5)
        now = server_local(self.clock.time())
        text = body.get("text") or ""
        user = self.config.api_username
        if existing is not None:
            if existing["enabled"]:
                raise Conflict(f"banned hash {md5} already exists")
            existing.update({"enabled": enabled, "text": text, "timestamp": now})
            existing["audit"].append(
                {"username": user, "timestamp": now, "text": text, "enabled": enabled, "user_id": 2}
            )
            return
        self.bans[md5] = {
            "username": user,
            "user_id": 2,
            "text": text,
            "md5hash": md5,
            "block_count": 0,
            "last_block_sensor_id": None,
            "enabled": enabled,
            "last_block_time": None,
            "timestamp": now,
            "last_block_hostname": None,
            "audit": [
                {"username": user, "timestamp": now, "text": text, "enabled": enabled, "user_id": 2}
            ],
        }

    def update_ban(self, md5: str, body: Mapping[str, Any]) -> None:
        ban = self.ban(md5)
        if "text" in body:
            ban["text"] = body["text"] or ""
        if "enabled" in body and str(body["enabled"]).lower() in ("true", "1"):
            ban["enabled"] = True

    def disable_ban(self, md5: str) -> None:
        """DELETE: the record stays, disabled, with its text cleared."""
        ban = self.ban(md5)
        ban["enabled"] = False
        ban["text"] = ""
        ban["audit"].append(
            {
                "username": self.config.api_username,
                "timestamp": server_local(self.clock.time()),
                "text": "",
                "enabled": False,
                "user_id": 2,
            }
        )

    # --- users, teams, sites, throttle -------------------------------------------------------------
    def _seed_users(self) -> None:
        self.teams = {
            1: {
                "id": 1,
                "name": "SOC Analysts",
                "group_access": [
                    {"group_id": g, "access_category": "Viewer", "group_name": n}
                    for g, n in ((1, "Default Group"), (3, "Workstations"))
                ],
            },
            2: {
                "id": 2,
                "name": "Incident Responders",
                "group_access": [
                    {
                        "group_id": 1,
                        "access_category": "Administrator",
                        "group_name": "Default Group",
                    }
                ],
            },
        }
        self._next_team = 3
        seed_users: tuple[tuple[str, str, str, bool, list[int]], ...] = (
            ("admin", "Admin", "User", True, []),
            (self.config.api_username, "API", "Client", True, [2]),
            ("analyst1", "Ana", "Lyst", False, [1]),
        )
        for k, (name, first, last, admin, teams) in enumerate(seed_users, start=1):
            self.users[name] = {
                "username": name,
                "id": k,
                "first_name": first,
                "last_name": last,
                "email": f"{name}@acme.example",
                "global_admin": admin,
                "teams": [{"id": t, "name": self.teams[t]["name"]} for t in teams],
                "auth_token": f"{mix(self.config.seed, k, 0xA7):016x}{mix(k, 0xA8):016x}"[:40],
            }
        self._next_user_id = len(seed_users) + 1

    def user(self, username: str) -> dict[str, Any]:
        user = self.users.get(username)
        if user is None:
            raise NotFound(f"user {username} not found")
        return user

    def public_user(self, username: str) -> dict[str, Any]:
        user = dict(self.user(username))
        user.pop("password", None)
        return user

    def _teams(self, teams: Any) -> list[dict[str, Any]]:
        out = []
        for t in teams or []:
            raw: Any = t.get("id") if isinstance(t, Mapping) else t
            try:
                tid = int(raw)
            except (TypeError, ValueError):
                raise Invalid(f"unknown team {t!r}") from None
            team = self.teams.get(tid)
            if team is None:
                raise Invalid(f"team {tid} does not exist")
            out.append({"id": tid, "name": team["name"]})
        return out

    def create_user(self, body: Mapping[str, Any]) -> None:
        missing = [
            f
            for f in ("username", "first_name", "last_name", "email", "password")
            if not body.get(f)
        ]
        if missing:
            raise Invalid(f"missing required fields: {', '.join(missing)}")
        name = str(body["username"])
        if name in self.users:
            raise Conflict(f"user {name} already exists")
        self.users[name] = {
            "username": name,
            "id": self._next_user_id,
            "first_name": body["first_name"],
            "last_name": body["last_name"],
            "email": body["email"],
            "global_admin": bool(body.get("global_admin", False)),
            "teams": self._teams(body.get("teams")),
            "password": body["password"],
            "auth_token": f"{mix(self.config.seed, self._next_user_id, 0xA7):040x}"[:40],
        }
        self._next_user_id += 1

    def update_user(self, username: str, body: Mapping[str, Any]) -> None:
        user = self.user(username)
        for key in ("first_name", "last_name", "email", "global_admin", "password"):
            if key in body and body[key] is not None:
                user[key] = body[key]
        if "teams" in body:
            user["teams"] = self._teams(body["teams"])

    def delete_user(self, username: str) -> None:
        self.user(username)
        del self.users[username]

    def team(self, tid: int) -> dict[str, Any]:
        team = self.teams.get(tid)
        if team is None:
            raise NotFound(f"team {tid} not found")
        return team

    def _group_access(self, entries: Any) -> list[dict[str, Any]]:
        out = []
        for entry in entries or []:
            gid = int(entry.get("group_id"))
            group = self.edr.groups.get(gid)
            if group is None:
                raise Invalid(f"sensor group {gid} does not exist")
            category = entry.get("access_category", "Viewer")
            if category not in ("Viewer", "Administrator"):
                raise Invalid("access_category must be Viewer or Administrator")
            out.append({"group_id": gid, "access_category": category, "group_name": group["name"]})
        return out

    def create_team(self, body: Mapping[str, Any]) -> int:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise Invalid("a team needs a name")
        if any(t["name"] == name for t in self.teams.values()):
            raise Conflict(f"a team named {name!r} already exists")
        tid = self._next_team
        self._next_team += 1
        self.teams[tid] = {
            "id": tid,
            "name": name,
            "group_access": self._group_access(body.get("group_access")),
        }
        return tid

    def update_team(self, tid: int, body: Mapping[str, Any]) -> None:
        team = self.team(tid)
        if "name" in body:
            team["name"] = body["name"]
        if "group_access" in body:
            team["group_access"] = self._group_access(body["group_access"])

    def delete_team(self, tid: int) -> None:
        self.team(tid)
        del self.teams[tid]
        for user in self.users.values():
            user["teams"] = [t for t in user["teams"] if t["id"] != tid]

    def site(self, sid: int) -> dict[str, Any]:
        site = self.sites.get(sid)
        if site is None:
            raise NotFound(f"site {sid} not found")
        return site

    def create_site(self, body: Mapping[str, Any]) -> int:
        if not body.get("name"):
            raise Invalid("a site needs a name")
        sid = max(self.sites) + 1
        self.sites[sid] = {
            "id": sid,
            "name": body["name"],
            "group_ids": list(body.get("group_ids", [])),
        }
        return sid

    def update_site(self, sid: int, body: Mapping[str, Any]) -> None:
        site = self.site(sid)
        site.update({k: v for k, v in body.items() if k != "id"})

    def delete_site(self, sid: int) -> None:
        self.site(sid)
        if sid == 1:
            raise Conflict("the default site cannot be deleted")
        del self.sites[sid]

    def create_throttle(self, body: Mapping[str, Any]) -> int:
        site_id = body.get("site_id")
        if site_id is None or int(site_id) not in self.sites:
            raise Invalid("site_id must name an existing site")
        tid = max(self.throttles, default=0) + 1
        rule = {
            "id": tid,
            "site_id": int(site_id),
            "day_of_week": int(body.get("day_of_week", 0)),
            "from": int(body.get("from", 0)),
            "to": int(body.get("to", 0)),
            "bytes_per_second": float(body.get("bytes_per_second", 0)),
        }
        self.throttles[tid] = rule
        return tid

    def throttle(self, tid: int) -> dict[str, Any]:
        rule = self.throttles.get(tid)
        if rule is None:
            raise NotFound(f"throttle rule {tid} not found")
        return rule

    # --- storage partitions -----------------------------------------------------------------------
    def _partition(
        self, name: str, status: str, start: float, end: float | None, docs: int
    ) -> dict[str, Any]:
        stamp = time.strftime("%Y_%m_%d_%H%M", time.gmtime(start))
        info: dict[str, Any] = {
            "sizeInBytes": docs * 4100,
            "startDate": iso_ms(start)[:-1] + "000Z",
            "partitionId": int(start * 1000) << 12,
            "endDate": None if end is None else iso_ms(end)[:-1] + "000Z",
            "userMounted": False,
            "isLegacy": False,
            "segmentCount": 1 + docs % 10,
            "dir": f"/var/cb/data/solr5/cbevents/cbevents_{stamp}",
            "schema": "cbevents_v1",
        }
        if status != "cold":
            info.update({"deletedDocs": 0, "maxDoc": docs, "numDocs": docs})
        return {"status": status, "info": info, "name": name}

    def _seed_partitions(self) -> None:
        epoch = self.edr.epoch
        per = max(self.config.processes // 4, 1)
        starts = [epoch - 30 * _DAY, epoch - 21 * _DAY, epoch - 14 * _DAY, epoch - 7 * _DAY]
        for k, start in enumerate(starts[:-1]):
            name = "cbevents_" + time.strftime("%Y_%m_%d_%H%M", time.gmtime(start))
            status = "cold" if k == 0 else "warm"
            self.partitions[name] = self._partition(name, status, start, starts[k + 1], per)
        self.partitions["writer"] = self._partition("writer", "hot", starts[-1], None, per)

    def get_partition(self, name: str) -> dict[str, Any]:
        partition = self.partitions.get(name)
        if partition is None:
            raise NotFound(f"partition {name} not found")
        return partition

    def new_partition(self) -> str:
        now = self.clock.time()
        writer = self.partitions.pop("writer")
        start = iso_to_epoch_safe(writer["info"]["startDate"])
        name = "cbevents_" + time.strftime("%Y_%m_%d_%H%M", time.gmtime(start))
        while name in self.partitions:
            name += "_1"
        docs = writer["info"].get("numDocs", 0)
        self.partitions[name] = self._partition(name, "warm", start, now, docs)
        self.partitions["writer"] = self._partition("writer", "hot", now, None, 0)
        return f"Created new partition; previous writer renamed to {name}"

    def mount_partition(self, name: str) -> str:
        partition = self.get_partition(name)
        if partition["status"] != "cold":
            raise Conflict(
                f"partition {name} is {partition['status']}, only a cold one can be mounted"
            )
        start = iso_to_epoch_safe(partition["info"]["startDate"])
        end = partition["info"]["endDate"]
        new = self._partition(
            name,
            "warm",
            start,
            None if end is None else iso_to_epoch_safe(end),
            int(partition["info"]["sizeInBytes"] // 4100),
        )
        new["info"]["userMounted"] = True
        self.partitions[name] = new
        return f"Partition {name} mounted"

    def unmount_partition(self, name: str) -> str:
        partition = self.get_partition(name)
        if partition["status"] != "warm":
            raise Conflict(
                f"partition {name} is {partition['status']}, only a warm one can be unmounted"
            )
        partition["status"] = "cold"
        for key in ("numDocs", "maxDoc", "deletedDocs"):
            partition["info"].pop(key, None)
        return f"Partition {name} unmounted"

    def delete_partition(self, name: str) -> str:
        partition = self.get_partition(name)
        if partition["status"] == "hot":
            raise Conflict("the hot (writer) partition cannot be deleted")
        del self.partitions[name]
        return f"Partition {name} deleted"

    # --- ingress filters --------------------------------------------------------------------------
    def _seed_ingress(self) -> None:
        now = self.edr.epoch - 40 * _DAY
        for body in (
            {
                "id": "1",
                "name": "Backup agent",
                "path_filters": ["c:\\\\program files\\\\backup\\\\*"],
                "group_ids": [1, 2],
                "global": False,
            },
            {
                "id": "2",
                "name": "Noisy editor",
                "cmdline_filters": ["notepad.exe"],
                "group_ids": [1, 2],
                "global": False,
            },
        ):
            record = dict(_INGRESS_DEFAULTS)
            record.update(body)
            record.update(
                {
                    "create_timestamp": iso_ms(now),
                    "modify_timestamp": iso_ms(now),
                    "create_user_id": 1,
                    "modify_user_id": 1,
                }
            )
            self.ingress[record["id"]] = record
        self._next_ingress = 3

    def ingress_filter(self, fid: str) -> dict[str, Any]:
        record = self.ingress.get(str(fid))
        if record is None:
            raise NotFound(f"ingress filter {fid} not found")
        return record

    def _ingress_body(self, body: Any) -> dict[str, Any]:
        if isinstance(body, list):
            if len(body) != 1 or not isinstance(body[0], Mapping):
                raise Invalid("the body must be a filter object or a list of one")
            body = body[0]
        if not isinstance(body, Mapping):
            raise Invalid("the body must be a filter object")
        clean: dict[str, Any] = {}
        for raw_key, value in body.items():
            key = {"command_line_filters": "cmdline_filters"}.get(str(raw_key), str(raw_key))
            if key in _INGRESS_READ_ONLY:
                continue
            clean[key] = value
        mask = clean.get("os_mask", 7)
        if not isinstance(mask, int) or not 0 < mask <= 7:
            raise Invalid("os_mask must be a bit mask between 1 and 7")
        return clean

    def create_ingress(self, bodies: Any) -> list[str]:
        if not isinstance(bodies, list) or not bodies:
            raise Invalid("the body must be a list of filter objects")
        ids = []
        for body in bodies:
            clean = self._ingress_body(body)
            fid = str(clean.pop("id", "") or "")
            if fid:
                if fid in self.ingress:
                    raise Conflict(f"ingress filter {fid} already exists")
            else:
                while str(self._next_ingress) in self.ingress:
                    self._next_ingress += 1
                fid = str(self._next_ingress)
                self._next_ingress += 1
            now = iso_ms(self.clock.time())
            record = dict(_INGRESS_DEFAULTS)
            record.update(clean)
            record.update(
                {
                    "id": fid,
                    "create_timestamp": now,
                    "modify_timestamp": now,
                    "create_user_id": 2,
                    "modify_user_id": 2,
                }
            )
            self.ingress[fid] = record
            ids.append(fid)
        return ids

    def update_ingress(self, fid: str, body: Any) -> dict[str, Any]:
        record = self.ingress_filter(fid)
        clean = self._ingress_body(body)
        clean.pop("id", None)
        record.update(clean)
        record["modify_timestamp"] = iso_ms(self.clock.time())
        record["modify_user_id"] = 2
        record["version"] = int(record.get("version", 1)) + 1
        return record

    def delete_ingress(self, fid: str) -> None:
        self.ingress_filter(fid)
        del self.ingress[str(fid)]

    def ingress_legacy(self) -> list[dict[str, Any]]:
        """The pre-6.x camelCase rendering some consoles still read."""
        out = []
        for record in self.ingress.values():
            out.append(
                {
                    "id": record["id"],
                    "name": record["name"],
                    "enabled": record["enabled"],
                    "trackMetrics": record["track_metrics"],
                    "pathFilters": record["path_filters"],
                    "commandLineFilters": record["cmdline_filters"],
                    "md5Filters": record["md5_filters"],
                    "osMask": record["os_mask"],
                    "groupIds": record["group_ids"],
                }
            )
        return out

    # --- approved IPs ----------------------------------------------------------------------------
    def list_approved_ips(self) -> list[dict[str, Any]]:
        return [{"ipaddr": ip, "id": i} for i, ip in self.approved_ips.items()]

    def add_approved_ips(self, value: Any) -> list[int]:
        values = value if isinstance(value, list) else [value]
        if not values:
            raise Invalid("ipaddr is required")
        clean = []
        for ip in values:
            try:
                ipaddress.ip_network(str(ip), strict=False)
            except ValueError:
                raise Invalid(f"{ip!r} is not an IP address or CIDR block") from None
            clean.append(str(ip))
        ids = []
        for ip in clean:
            existing = next((i for i, v in self.approved_ips.items() if v == ip), None)
            if existing is not None:
                ids.append(existing)
                continue
            self.approved_ips[self._next_ip] = ip
            ids.append(self._next_ip)
            self._next_ip += 1
        return ids

    def delete_approved_ip(self, iid: int) -> None:
        if iid not in self.approved_ips:
            raise NotFound(f"approved IP entry {iid} not found")
        del self.approved_ips[iid]

    # --- license, settings -------------------------------------------------------------------------
    def license(self) -> dict[str, Any]:
        epoch = self.edr.epoch
        eps = [ep for ep in self.edr.endpoints if not ep.deregistered]
        licensed = max(100, (len(eps) // 100 + 1) * 100)
        end = epoch + 365 * _DAY
        return {
            "license_valid": True,
            "license_end_date": time.strftime("%Y-%m-%d", time.gmtime(end)),
            "licensed_sensor_count": licensed,
            "server_token": f"{mix(self.config.seed, 0x70):016x}".upper(),
            "license_expired": end < self.clock.time(),
            "licensed_sensor_count_exceeded": len(eps) > licensed,
            "actual_sensor_count": len(eps),
            "license_request_block": self.license_block
            or "-----BEGIN CB LICENSE REQUEST-----\nQ0JBU1lOQy1FTVVMQVRPUg==\n"
            "-----END CB LICENSE REQUEST-----",
        }

    def apply_license(self, block: Any) -> None:
        if not isinstance(block, str) or "LICENSE" not in block.upper():
            raise Invalid("not a Carbon Black license block")
        self.license_block = block

    def set_platform_server(self, body: Mapping[str, Any]) -> None:
        for key in ("ssl_certificate_verify", "watchlist_export"):
            if key in body and str(body[key]).lower() not in ("true", "false"):
                raise Invalid(f"{key} must be 'true' or 'false'")
        for key in ("server_url", "ssl_certificate_verify", "watchlist_export"):
            if key in body:
                self.platform_server[key] = (
                    str(body[key]).lower() if key != "server_url" else body[key]
                )
        if "auth_token" in body:
            self._platform_token = body["auth_token"]  # stored, never returned


def iso_to_epoch_safe(value: str) -> float:
    epoch = iso_to_epoch(value)
    return 0.0 if epoch is None else epoch


def _quote(text: str) -> str:
    return quote(text, safe="")
