"""Watchlists: saved process or binary searches (``/api/v1/watchlist``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from cbasync.testing.dataset._fmt import DAY, iso_ms, mix, server_local, unit
from cbasync.testing.dataset.edr.admin.core import AdminCore, quote_param
from cbasync.testing.dataset.edr.admin.tables import WATCHLISTS
from cbasync.testing.dataset.errors import Conflict, Invalid, NotFound
from cbasync.testing.query import (
    parse,
)

__all__ = ["Watchlists"]


class Watchlists(AdminCore):
    """Saved searches that tag and alert on what they match."""

    def _set_up_watchlists(self) -> None:
        """Seed this family's collections (called once, in order, by EdrAdmin)."""
        seed = self.config.seed
        epoch = self.epoch
        self.watchlists: dict[str, dict[str, Any]] = {}
        for k, (name, index_type, q, desc) in enumerate(WATCHLISTS, start=1):
            added = epoch - (400 - 20 * k) * DAY
            sort = "server_added_timestamp desc" if index_type == "modules" else "last_update desc"
            search = f"cb.urlver=1&q={quote_param(q)}&sort={quote_param(sort)}"
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
                "last_hit": server_local(epoch - unit(seed, k) * 2 * DAY),
                "last_hit_count": hits % 50,
                "total_hits": str(hits),
                "total_tags": str(hits),
                "last_execution_result": 0,
                "last_execution_time_ms": str(20 + hits % 200),
                "search_timestamp": iso_ms(epoch - 600),
            }
        self._next_watchlist = len(self.watchlists) + 1

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
