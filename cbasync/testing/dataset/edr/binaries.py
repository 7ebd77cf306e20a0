"""Binary search and binary documents (``/api/v1/binary``): cheap columns straight from the
catalog, the rendered document only for what a page returns.
"""

from __future__ import annotations

from typing import Any

from cbasync.testing.dataset._fmt import DAY, iso_ms
from cbasync.testing.dataset.edr.core import EdrCore
from cbasync.testing.dataset.edr.solr import SearchPage, SolrParams, filtered_query
from cbasync.testing.dataset.errors import NotFound
from cbasync.testing.query import (
    FieldType,
    iso_to_epoch,
    parse,
    terms_of,
)
from cbasync.testing.search import Keys, SearchEngine, facet_entries
from cbasync.testing.state import EmulatorState

__all__ = ["BINARY_SCHEMA", "Binaries"]


class Binaries(EdrCore):
    """Searching and finding binaries."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.binary_search = SearchEngine(
            size=lambda: self.binaries.count,
            accessor=self._binary_accessor,
            schema=BINARY_SCHEMA,
            default_fields=(
                "observed_filename",
                "md5",
                "product_name",
                "company_name",
                "original_filename",
                "file_desc",
            ),
            natural=None,
            now=self.clock.time,
            strict=False,
            cache_entries=self.config.query_cache_size,
        )

    def binary_doc(self, i: int) -> dict[str, Any]:
        doc = self.binary_docs.get(i)
        if doc is None:
            names = {gid: g["name"] for gid, g in self.groups.items()}
            doc = self.binary_docs[i] = self.binaries.document(i, names)
        return doc

    def _binary_accessor(self, name: str) -> Any:
        """Binary columns, cheap ones straight from the catalog (no hashing, no rendering)."""
        bins = self.binaries
        entry = bins.entry
        direct: dict[str, Any] = {
            "observed_filename": lambda i: entry(i).path,
            "observed_filename_facet": lambda i: entry(i).path,
            "md5": lambda i: bins.md5(i),
            "original_filename": lambda i: entry(i).original_filename,
            "internal_name": lambda i: entry(i).internal_name,
            "product_name": lambda i: entry(i).product,
            "product_name_facet": lambda i: entry(i).product,
            "company_name": lambda i: entry(i).company,
            "company_name_facet": lambda i: entry(i).company,
            "file_desc": lambda i: entry(i).description,
            "product_version": lambda i: entry(i).version,
            "is_executable_image": lambda i: entry(i).is_executable,
            "is_64bit": lambda i: entry(i).is_64bit,
            "os_type": lambda i: entry(i).os,
            "orig_mod_len": lambda i: entry(i).size,
            "copied_mod_len": lambda i: entry(i).size,
            "host_count": lambda i: len(bins.endpoints_of(i)),
            "hostname": lambda i: [self.endpoints[e].hostname for e in bins.endpoints_of(i)],
            "group": lambda i: sorted(
                {
                    self.groups.get(self.endpoints[e].group_id, {}).get("name", "")
                    for e in bins.endpoints_of(i)
                }
            ),
            "server_added_timestamp": lambda i: bins.added_time(i),
            "timestamp": lambda i: bins.added_time(i),
        }
        if name in direct:
            return direct[name]
        if name.startswith("digsig_") or name == "signed":
            key = "digsig_publisher" if name == "digsig_publisher_facet" else name
            return lambda i: bins.signature(i).get(key)
        if name.startswith("alliance_"):
            return lambda i: bins.alliance(i).get(name)
        return lambda i: self.binary_doc(i).get(name)

    def find_binary(self, md5: str) -> int:
        if len(md5) != 32:
            raise NotFound(f"binary {md5} not found")
        i = self.binaries.by_md5(md5)
        if i is None:
            raise NotFound(f"binary {md5} not found")
        return i

    def binary_page(self, p: SolrParams) -> SearchPage:
        q = filtered_query(p.q, p.filters)
        keys = self.binary_search.match(q)
        sort = p.sort or (("server_added_timestamp", True),)
        keys = self.binary_search.sorted(keys, sort, cache_key=q)
        page = keys[p.start : p.start + p.rows] if p.rows else ()
        facets = {}
        if p.facet:
            for name in p.facet_fields:
                facets[name] = facet_entries(
                    self._binary_facet(keys, name).items(), self.config.facet_limit
                )
        return SearchPage(
            page, len(keys), p.start, terms_of(parse(p.q)) if p.q.strip() else [], facets
        )

    def _binary_facet(self, keys: Keys, name: str) -> dict[Any, int]:
        """Binary facets; the two date facets are distributions: signing time per month over
        the last 48 months, server_added_timestamp per day over the last 30 days."""
        if name not in ("digsig_sign_time", "server_added_timestamp"):
            return dict(self.binary_search.counts(keys, name))
        now = self.clock.time()
        out: dict[Any, int] = {}
        for k in keys:
            if name == "server_added_timestamp":
                ts = self.binaries.added_time(k)
                if ts < now - 30 * DAY:
                    continue
                label = iso_ms(ts - ts % DAY)[:10] + "T00:00:00Z"
            else:
                signed = self.binaries.signature(k).get("digsig_sign_time")
                when = iso_to_epoch(signed) if signed else None
                if when is None or when < now - 48 * 31 * DAY:
                    continue
                label = iso_ms(when)[:7] + "-01T00:00:00Z"
            out[label] = out.get(label, 0) + 1
        return out


BINARY_SCHEMA: dict[str, FieldType] = {
    "md5": "keyword",
    "observed_filename": "text",
    "original_filename": "keyword",
    "internal_name": "keyword",
    "product_name": "text",
    "company_name": "text",
    "file_desc": "text",
    "file_version": "keyword",
    "product_version": "keyword",
    "digsig_result": "keyword",
    "digsig_publisher": "text",
    "digsig_issuer": "text",
    "digsig_subject": "text",
    "digsig_prog_name": "text",
    "digsig_sign_time": "date",
    "server_added_timestamp": "date",
    "timestamp": "date",
    "last_seen": "date",
    "orig_mod_len": "number",
    "copied_mod_len": "number",
    "is_executable_image": "bool",
    "is_64bit": "bool",
    "os_type": "keyword",
    "host_count": "number",
    "hostname": "keyword",
    "group": "keyword",
    "alliance_score_virustotal": "number",
    "alliance_score_srsthreat": "number",
    "signed": "keyword",
}
