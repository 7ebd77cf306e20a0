"""Feeds and their threat reports (``/api/v1/feed``, ``/api/v1/threat_report``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from cbasync.testing.dataset._fmt import DAY, iso_s, mix, unit
from cbasync.testing.dataset.edr.admin.core import AdminCore
from cbasync.testing.dataset.edr.admin.tables import (
    FEED_DEFAULTS,
    FEEDS,
    REPORT_SCHEMA,
    REPORT_TITLES,
)
from cbasync.testing.dataset.edr.solr import SearchPage, SolrParams, filtered_query
from cbasync.testing.dataset.errors import Conflict, Invalid, NotFound
from cbasync.testing.query import (
    parse,
    terms_of,
)
from cbasync.testing.search import SearchEngine

__all__ = ["Feeds"]


class Feeds(AdminCore):
    """Threat intelligence feeds and their reports."""

    def _set_up_feeds(self) -> None:
        """Seed this family's collections (called once, in order, by EdrAdmin)."""
        self.feeds: dict[int, dict[str, Any]] = {}
        for raw in FEEDS:
            feed = dict(FEED_DEFAULTS)
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
        feed = dict(FEED_DEFAULTS)
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
        self.state.counters.event("feed.synchronize")

    def _seed_reports(self) -> None:
        seed = self.config.seed
        bins = self.binaries
        malware = [
            i for i in range(bins.known_count, bins.count) if bins.entry(i).kind == "malware"
        ]
        epoch = self.epoch
        for fid in (1, 3, 5, 6):
            feed = self.feeds[fid]
            for k in range(40):
                h = mix(seed, fid, k, 0x7E)
                title = REPORT_TITLES[h % len(REPORT_TITLES)].replace("{c}", f"{h >> 40:04x}")
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
                ts = int(epoch - unit(seed, fid, k) * 90 * DAY)
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
        q = filtered_query(p.q, p.filters)
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
                if not (str(fid).isascii() and str(fid).isdigit()) or not isinstance(rids, list):
                    raise Invalid("ids must map feed ids to lists of report ids")
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
