"""What the Enterprise EDR search routes share: submitting search, detail and facet jobs and
reading their results, checking a search before it runs, and the facet ranges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from cbasync.testing.dataset.cloud import iso
from cbasync.testing.jobs import MAX_AVAILABLE, JobView, SearchResult
from cbasync.testing.query import QueryError, parse
from cbasync.testing.routes._cloud import CloudHandlers
from cbasync.testing.routes._common import (
    JSON_MEDIA_TYPE,
    cloud_error,
    dumps,
    int_param,
    json_response,
)
from cbasync.testing.search import (
    CriteriaError,
    Table,
    epoch_of,
    facet_values,
    parse_time_range,
    sort_spec,
)

__all__ = [
    "A2",
    "E1",
    "E2",
    "P1",
    "P2",
    "TH1",
    "Projection",
    "SearchJobHandlers",
    "facet_answer",
    "validation",
]


class Projection(Protocol):
    """A store whose rows a search returns with the fields asked for."""

    def project(self, i: int, fields: Sequence[str] | None) -> dict[str, Any]: ...


#: Rows of stores whose default-field rows never change, rendered to JSON once and reused by
#: every page that holds them (a hunt reads the same rows job after job): a 1,000-row page is
#: then a join of bytes instead of a million-character encode.
ROW_JSON_CACHE = 50_000


P2 = "/api/investigate/v2/orgs/{org_key}/processes"


P1 = "/api/investigate/v1/orgs/{org_key}/processes"


E2 = "/api/investigate/v2/orgs/{org_key}/events"


E1 = "/api/investigate/v1/orgs/{org_key}/events"


A2 = "/api/investigate/v2/orgs/{org_key}/auth_events"


TH1 = "/threathunter/search/v1/orgs/{org_key}/processes"


_DATE_UNITS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86_400, "WEEK": 604_800, "MONTH": 2_592_000, "YEAR": 31_536_000}  # fmt: skip


def validation(query: str | None) -> dict[str, Any]:
    """The answer of a ``search_validation`` route for ``query``."""
    if query is None or not str(query).strip():
        return {"valid": True, "value_search_query": False}
    try:
        parse(str(query))
    except QueryError as exc:
        return {
            "valid": False,
            "value_search_query": False,
            "invalid_message": str(exc),
            "invalid_trigger_offset": exc.offset if exc.offset is not None else 0,
        }
    return {"valid": True, "value_search_query": ":" not in str(query)}


def _rows_cap(body: dict[str, Any]) -> int:
    rows = body.get("rows", 500)
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
        raise CriteriaError("rows must be a non-negative integer", field="rows")
    if rows > MAX_AVAILABLE:
        raise CriteriaError(f"rows must be at most {MAX_AVAILABLE}", field="rows")
    return rows


def facet_answer(
    table: Table, indices: Sequence[int], body: dict[str, Any], limit: int | None
) -> dict[str, Any]:
    terms = body.get("terms") or {}
    fields = terms.get("fields") or [] if isinstance(terms, dict) else []
    rows = (
        terms.get("rows") if isinstance(terms, dict) and isinstance(terms.get("rows"), int) else 100
    )
    if limit is not None:
        rows = min(rows, limit) if rows else limit
    out_terms = [
        {"field": name, "values": facet_values(table.facet(indices, name), rows)} for name in fields
    ]
    out_ranges = [_range(table, indices, spec) for spec in body.get("ranges") or []]
    return {"terms": out_terms, "ranges": out_ranges}


def _range(table: Table, indices: Sequence[int], spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
        raise CriteriaError("each range needs field, start, end and bucket_size", field="ranges")
    name = spec["field"]
    start, end, size = spec.get("start"), spec.get("end"), spec.get("bucket_size")
    dated = isinstance(size, str)
    if dated:
        text = str(size).upper().lstrip("+")
        number = "".join(ch for ch in text if ch.isdigit()) or "1"
        unit = text[len(number) :] if text.startswith(number) else text.lstrip("0123456789")
        step = float(int(number) * _DATE_UNITS.get(unit.rstrip("S"), 0))
        if step <= 0:
            raise CriteriaError(f"invalid bucket_size {size!r}", field="ranges.bucket_size")
        lo, hi = epoch_of(start), epoch_of(end)
    else:
        if not isinstance(size, (int, float)) or size <= 0:
            raise CriteriaError("bucket_size must be positive", field="ranges.bucket_size")
        step, lo, hi = float(size), float(start or 0), float(end or 0)
    buckets: dict[int, int] = {}
    for i in indices:
        value = table.value(i, name)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None:
            continue
        v = float(value) if not isinstance(value, str) else epoch_of(value)
        if lo <= v < hi:
            b = int((v - lo) // step)
            buckets[b] = buckets.get(b, 0) + 1
    values = [
        {"total": n, "name": iso(lo + b * step) if dated else lo + b * step}
        for b, n in sorted(buckets.items())
    ]
    return {"start": start, "end": end, "bucket_size": size, "field": name, "values": values}


class SearchJobHandlers(CloudHandlers):
    """What the process and auth-event routes share: submitting a search, detail or facet job
    and reading its results."""

    _row_json: dict[tuple[str, int], bytes] | None = None

    def _json_row(self, kind: str, store: Projection, i: int) -> bytes:
        cache = self._row_json
        if cache is None:
            cache = self._row_json = {}
        raw = cache.get((kind, i))
        if raw is None:
            if len(cache) >= ROW_JSON_CACHE:
                cache.clear()
            raw = cache[(kind, i)] = dumps(store.project(i, None))
        return raw

    # ------------------------------------------------------------------ generic search jobs
    def submit_search(
        self, kind: str, table_of: Callable[[], Table], body: dict[str, Any], suffix: str
    ) -> Response:
        query = body.get("query")
        criteria = body.get("criteria")
        exclusions = body.get("exclusions")
        if not query and not criteria and not exclusions and "process_guid" not in body:
            raise cloud_error(400, "INVALID_ARGUMENT", "query or criteria/exclusions is required")
        rows_cap = _rows_cap(body)
        spec = sort_spec(body.get("sort"))
        searchers = self.config.job_searchers
        time_range = body.get("time_range")
        criteria = dict(criteria or {})
        if body.get("process_guid") and kind == "process_search":
            criteria.setdefault("process_guid", [body["process_guid"]])
        _validate(table_of(), query, criteria, exclusions, time_range, spec, self.org.anchor)

        def compute() -> SearchResult:
            table = table_of()
            anchor = self.org.anchor
            indices = table.select(
                query=query,
                criteria=criteria,
                exclusions=exclusions,
                time_range=time_range,
                anchor=anchor,
            )
            top = (
                table.top(indices, spec, rows_cap, default=[("device_timestamp", True)])
                if rows_cap
                else []
            )
            found = [0] * searchers
            for i in indices:
                found[i % searchers] += 1
            return SearchResult.build(top, lambda i: i, searchers, total_by_shard=found)

        key = (kind, repr(sorted(body.items(), key=lambda kv: kv[0])))
        job = self.engine.submit(
            kind,
            compute=self.engine.cached(key, compute),
            request=body,
            job_id=self.engine.uuid_id(suffix),
            rows_cap=rows_cap,
            no_data=not self.org.has_online_endpoints,
        )
        return json_response({"job_id": job.id})

    def results_page(
        self,
        view: JobView,
        request: Request,
        render: Callable[[int], Any],
        default_rows: int,
    ) -> dict[str, Any]:
        start = int_param(request.query_params, "start", 0, minimum=0)
        rows = int_param(
            request.query_params, "rows", default_rows, minimum=0, maximum=MAX_AVAILABLE
        )
        page = list(view.rows[start : start + rows]) if rows else []
        body: dict[str, Any] = {
            "results": [render(i) for i in page],
            "num_found": view.num_found,
            "num_available": view.num_available,
            "approximate_unaggregated": view.num_found,
            "num_aggregated": view.num_found,
            "contacted": view.contacted,
            "completed": view.completed,
        }
        if view.message:
            body["message"] = view.message
        return body

    def search_results(self, request: Request, kind: str, store: Projection) -> Response:
        """A page of a search job's results, each row the fields the search asked for."""
        job, view = self.engine.poll(request.path_params["job_id"], kind)
        fields = job.request.get("fields")
        if getattr(store, "rows_are_fixed", False) and not [f for f in fields or () if f != "*"]:
            # The same bytes json_response would write, with each row encoded once per run.
            body = self.results_page(view, request, lambda i: i, 10)
            rows = b",".join(self._json_row(kind, store, i) for i in body.pop("results"))
            return Response(
                b'{"results":[' + rows + b"]," + dumps(body)[1:],
                media_type=JSON_MEDIA_TYPE,
            )
        return json_response(
            self.results_page(view, request, lambda i: store.project(i, fields), 10)
        )

    def detail_job(
        self, kind: str, ids: list[int], render: Callable[[int], dict[str, Any]]
    ) -> Response:
        searchers = self.config.job_searchers

        def compute() -> SearchResult:
            return SearchResult.build(ids, lambda i: i, searchers)

        job = self.engine.submit(kind, compute=compute, job_id=self.engine.uuid_id("-sqs"))
        job.state["render"] = render
        return json_response({"job_id": job.id})

    async def detail_results(self, request: Request) -> Response:
        kind = (
            "auth_detail"
            if request.url.path.startswith(A2.replace("{org_key}", self.config.org_key))
            else "process_detail"
        )
        job, view = self.engine.poll(request.path_params["job_id"], kind)
        render: Callable[[int], dict[str, Any]] = job.state["render"]
        return json_response(self.results_page(view, request, render, 500))

    def facet_job(self, kind: str, table_of: Callable[[], Table], body: dict[str, Any]) -> Response:
        terms = body.get("terms") or {}
        if not (isinstance(terms, dict) and terms.get("fields")) and not body.get("ranges"):
            raise cloud_error(
                400, "INVALID_ARGUMENT", "at least one terms field or range is required"
            )
        query = body.get("query")
        table_ = table_of()
        _validate(
            table_,
            query,
            body.get("criteria"),
            body.get("exclusions"),
            body.get("time_range"),
            [],
            self.org.anchor,
        )
        for name in (terms.get("fields") or []) if isinstance(terms, dict) else []:
            if table_.column(name) is None:
                raise CriteriaError(f"invalid facet field {name!r}", field="terms.fields")
        searchers = self.config.job_searchers

        def compute() -> SearchResult:
            table = table_of()
            indices = table.select(
                query=query,
                criteria=body.get("criteria"),
                exclusions=body.get("exclusions"),
                time_range=body.get("time_range"),
                anchor=self.org.anchor,
            )
            return SearchResult.build(indices, lambda i: i, searchers, table=table)

        job = self.engine.submit(kind, compute=compute, request=body)
        return json_response({"job_id": job.id})

    def facet_results(self, kind: str, request: Request) -> Response:
        job, view = self.engine.poll(request.path_params["job_id"], kind)
        limit = (
            int_param(request.query_params, "limit", 100, minimum=1)
            if "limit" in request.query_params
            else None
        )
        out: dict[str, Any] = {"terms": [], "ranges": []}
        if view.result is not None:
            table: Table = view.result.extra["table"]
            out = facet_answer(
                table, view.rows if not view.done else view.result.rows, job.request, limit
            )
        out.update(
            {"num_found": view.num_found, "contacted": view.contacted, "completed": view.completed}
        )
        return json_response(out)


def _validate(
    table: Table,
    query: Any,
    criteria: Any,
    exclusions: Any,
    time_range: Any,
    spec: list[tuple[str, bool]],
    anchor: float,
) -> None:
    """Refuse a bad search at submission (400), not at its first poll."""
    if query:
        table.query_predicate(str(query), anchor)
    table.criteria_predicate(criteria, anchor)
    table.criteria_predicate(exclusions, anchor, negate=True)
    parse_time_range(time_range, anchor)
    for name, _ in spec:
        if table.column(name) is None:
            raise CriteriaError(f"cannot sort on unknown field {name!r}", field="sort.field")
