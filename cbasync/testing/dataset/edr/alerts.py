"""EDR alerts (``/api/v2/alert``): watchlist and feed hits on processes, generated on first use,
updated one by one or in bulk (by ids or by a query).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from cbasync.testing.dataset._catalog import TEMPLATES
from cbasync.testing.dataset._fmt import iso_ms, mix, unit
from cbasync.testing.dataset.edr.core import EdrCore
from cbasync.testing.dataset.edr.solr import SearchPage, SolrParams, filtered_query, parse_solr
from cbasync.testing.dataset.errors import Invalid, NotFound
from cbasync.testing.query import (
    FieldType,
    parse,
    terms_of,
)
from cbasync.testing.search import SearchEngine, facet_entries
from cbasync.testing.state import EmulatorState

__all__ = ["ALERT_SCHEMA", "ALERT_STATUSES", "Alerts"]


ALERT_STATUSES = ("Unresolved", "In Progress", "Resolved", "False Positive")


class Alerts(EdrCore):
    """Alert records, their search and their workflow."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self._alerts: list[dict[str, Any]] | None = None
        self._alert_index: dict[str, int] = {}
        self.alert_search = SearchEngine(
            size=lambda: len(self.alerts),
            accessor=lambda f: lambda i: self.alerts[i].get(f),
            schema=ALERT_SCHEMA,
            default_fields=(
                "process_name",
                "hostname",
                "description",
                "watchlist_name",
                "feed_name",
                "ioc_value",
            ),
            natural=("created_time", True),
            now=self.clock.time,
            strict=False,
        )

    @property
    def alerts(self) -> list[dict[str, Any]]:
        if self._alerts is None:
            self._alerts = [self._make_alert(i) for i in range(self.config.alerts)]
            self._alert_index = {a["unique_id"]: i for i, a in enumerate(self._alerts)}
        return self._alerts

    def _make_alert(self, i: int) -> dict[str, Any]:
        seed = self.config.seed
        procs = self.processes
        n = procs.nblocks
        if n == 0:
            raise RuntimeError("alerts need processes")
        # Alerts point at processes of the intrusion template when one exists nearby.
        b = mix(seed, i, 0xA1) % n
        for probe in range(64):
            cand = (b + probe) % n
            t, _ = procs.block_template_endpoint(cand)
            if TEMPLATES[t].name == "windows-intrusion":
                b = cand
                break
        info = procs.block(b)
        suspicious = (
            [o for o in (6, 7, 8, 14, 15) if o < info.limit]
            if (info.template.name == "windows-intrusion")
            else []
        )
        o = (
            suspicious[mix(seed, i, 0xA2) % len(suspicious)]
            if suspicious
            else mix(seed, i) % info.limit
        )
        kind = info.kinds[o]
        r = info.seg_docs[o][0]
        row = procs.doc_fields(info, r)
        feeds = self.admin.feeds
        feed = feeds[[1, 3, 6][mix(seed, i, 0xA3) % 3]] if feeds else None
        watch_kind = mix(seed, i, 0xA4) % 3
        md5 = row["process_md5"]
        created = info.lu(r) + 60 + unit(seed, i, 0xA5) * 600
        roll = unit(seed, i, 0xA6)
        status = ALERT_STATUSES[0 if roll < 0.6 else 1 if roll < 0.75 else 2 if roll < 0.95 else 3]
        uid = str(uuid.UUID(int=(mix(seed, i, 0xA7) << 64) | mix(seed, i, 0xA8), version=4))
        if watch_kind == 0:
            alert_type = "watchlist.hit.query.process"
            wl = self.admin.watchlists.get("3") or next(iter(self.admin.watchlists.values()))
            watchlist_id, watchlist_name, feed_name, feed_id = (
                wl["id"],
                wl["name"],
                "My Watchlists",
                -1,
            )
            ioc_type, ioc_value, description = "query", wl["search_query"], wl["name"]
        else:
            alert_type = (
                "watchlist.hit.ingress.process"
                if watch_kind == 1
                else "watchlist.hit.ingress.binary"
            )
            assert feed is not None
            watchlist_id = f"Binary_{md5.upper()}"
            watchlist_name = watchlist_id
            feed_name, feed_id = feed["name"], feed["id"]
            ioc_type, ioc_value = "md5", md5
            description = (
                f"[{1 + mix(seed, i) % 40} / 66] {feed['display_name']} report for {md5.upper()}"
            )
        severity = round(0.25 + unit(seed, i, 0xA9) * 0.75, 3)
        ep = info.ep
        return {
            "username": row["username"],
            "alert_type": alert_type,
            "sensor_criticality": 3,
            "modload_count": row["modload_count"],
            "report_score": 50 + mix(seed, i, 0xAA) % 51,
            "watchlist_id": watchlist_id,
            "sensor_id": ep.sensor_id,
            "feed_name": feed_name,
            "created_time": iso_ms(created),
            "report_ignored": False,
            "ioc_type": ioc_type,
            "watchlist_name": watchlist_name,
            "ioc_confidence": 0.5,
            "alert_severity": severity,
            "crossproc_count": row["crossproc_count"],
            "group": row["group"],
            "hostname": ep.hostname.lower(),
            "filemod_count": row["filemod_count"],
            "comms_ip": ep.external_ip,
            "netconn_count": row["netconn_count"],
            "interface_ip": ep.internal_ip,
            "status": status,
            "process_path": kind.path,
            "description": description,
            "process_name": kind.name,
            "process_unique_id": info.uids[r],
            "process_id": info.guids[o],
            "link": f"https://www.virustotal.com/file/{self.binaries.sha256(kind.binary)}/analysis/",
            "_version_": mix(seed, i, 0xAB) >> 4,
            "regmod_count": row["regmod_count"],
            "md5": md5,
            "segment_id": info.segment_id(r),
            "total_hosts": str(len(self.binaries.endpoints_of(kind.binary))),
            "feed_id": feed_id,
            "ioc_value": ioc_value,
            "os_type": ep.os_type,
            "childproc_count": row["childproc_count"],
            "unique_id": uid,
            "feed_rating": 3,
            "assigned_to": None,
            "resolved_time": iso_ms(created + 3600) if status == "Resolved" else None,
        }

    def alert_page(self, p: SolrParams) -> SearchPage:
        self.alerts  # noqa: B018 - materialise
        q = filtered_query(p.q, p.filters)
        keys = self.alert_search.match(q)
        sort = p.sort or (("created_time", True),)
        keys = self.alert_search.sorted(keys, sort, cache_key=(q, self.alert_search.generation))
        page = keys[p.start : p.start + p.rows] if p.rows else ()
        facets = {}
        if p.facet:
            for name in p.facet_fields or ("status", "alert_type", "hostname"):
                facets[name] = facet_entries(
                    self.alert_search.counts(keys, name).items(), self.config.facet_limit
                )
        return SearchPage(
            page, len(keys), p.start, terms_of(parse(p.q)) if p.q.strip() else [], facets
        )

    def alert(self, unique_id: str) -> dict[str, Any]:
        self.alerts  # noqa: B018
        i = self._alert_index.get(unique_id)
        if i is None:
            raise NotFound(f"alert {unique_id} not found")
        return self.alerts[i]

    def update_alert(self, unique_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        alert = self.alert(unique_id)
        status = body.get("status")
        if status is not None:
            alert["status"] = self._status(status)
            if alert["status"] == "Resolved":
                alert["resolved_time"] = iso_ms(self.clock.time())
        if "assigned_to" in body:
            alert["assigned_to"] = body["assigned_to"]
        if body.get("set_ignored") is not None:
            self._ignore(alert, bool(body["set_ignored"]))
        self.alert_search.invalidate()
        return alert

    @staticmethod
    def _status(value: Any) -> str:
        for s in ALERT_STATUSES:
            if str(value).lower() == s.lower():
                return s
        raise Invalid(f"alert status must be one of {', '.join(ALERT_STATUSES)}, not {value!r}")

    def _ignore(self, alert: dict[str, Any], ignored: bool) -> None:
        alert["report_ignored"] = ignored
        if alert.get("feed_id", -1) != -1:
            self.admin.ignore_reports_for_md5(alert["feed_id"], alert["md5"], ignored)

    def bulk_update_alerts(self, body: Mapping[str, Any]) -> int:
        """``POST /api/v1/alerts``: by ``alert_ids`` (or ``ids``) or by a URL-encoded ``query``."""
        ids = body.get("alert_ids", body.get("ids"))
        query = body.get("query")
        if not ids and not query:
            raise Invalid("either alert_ids or query is required")
        status = body.get("requested_status")
        if "assigned_to" in body and status is None:
            raise Invalid("assigned_to requires requested_status")
        if status is None and body.get("set_ignored") is None and "assigned_to" not in body:
            raise Invalid("nothing to update: give requested_status, set_ignored or assigned_to")
        status = self._status(status) if status is not None else None
        targets: list[dict[str, Any]] = []
        if ids:
            if not isinstance(ids, list):
                raise Invalid("alert_ids must be a list")
            targets = [self.alert(str(i)) for i in ids]
        else:
            pairs = parse_qsl(str(query), keep_blank_values=True)
            p = parse_solr(pairs, default_sort="created_time desc", default_rows=10_000_000)
            qq = filtered_query(p.q, p.filters)
            targets = [self.alerts[k] for k in self.alert_search.match(qq)]
        for alert in targets:
            if status is not None:
                alert["status"] = status
            if "assigned_to" in body:
                alert["assigned_to"] = body["assigned_to"]
            if body.get("set_ignored") is not None:
                self._ignore(alert, bool(body["set_ignored"]))
        self.alert_search.invalidate()
        return len(targets)


ALERT_SCHEMA: dict[str, FieldType] = {
    "unique_id": "keyword",
    "status": "keyword",
    "alert_type": "keyword",
    "hostname": "keyword",
    "process_name": "keyword",
    "process_path": "text",
    "md5": "keyword",
    "feed_name": "keyword",
    "feed_id": "number",
    "watchlist_name": "text",
    "watchlist_id": "keyword",
    "sensor_id": "number",
    "username": "text",
    "report_score": "number",
    "alert_severity": "number",
    "created_time": "date",
    "ioc_type": "keyword",
    "ioc_value": "keyword",
    "assigned_to": "keyword",
    "group": "keyword",
    "os_type": "keyword",
    "report_ignored": "bool",
    "process_id": "keyword",
    "process_unique_id": "keyword",
    "description": "text",
}
