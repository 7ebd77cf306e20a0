"""What the EDR handlers share: the backend (built on first use), Solr parameters with the
server's row limit, EDR's search envelope, integer path ids."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cbasync.testing.dataset.edr import EdrBackend, SearchPage, SolrParams, parse_solr
from cbasync.testing.dataset.edr.admin import EdrAdmin
from cbasync.testing.dataset.errors import NotFound
from cbasync.testing.routes._common import Handlers, HttpError, dumps

__all__ = ["EdrHandlers", "envelope", "int_path"]


class EdrHandlers(Handlers):
    """Handlers over the state's EDR backend, which is built on first use (so the server is
    ready before the dataset tables are)."""

    @property
    def edr(self) -> EdrBackend:
        return self.state.backend("edr", EdrBackend)

    @property
    def admin(self) -> EdrAdmin:
        return self.edr.admin

    def solr(self, request: Request, default_sort: str) -> SolrParams:
        """The Solr parameters of a search; more rows than ``maxRowsSolrReportQuery`` is a 400."""
        params = parse_solr(request.query_params.multi_items(), default_sort=default_sort)
        limit = self.config.max_rows_per_page
        if params.rows > limit:
            raise HttpError(
                400,
                {
                    "reason": "too_many_rows",
                    "message": f"rows={params.rows} exceeds the limit of {limit} rows per request",
                },
            )
        return params


def envelope(page: SearchPage, rows_json: str, extra: dict[str, Any]) -> Response:
    """EDR's search envelope around already-rendered result rows (rendered once, not re-parsed)."""
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


def int_path(request: Request, name: str) -> int:
    """An integer path parameter; anything else names no object (404)."""
    raw = request.path_params[name]
    try:
        return int(raw)
    except ValueError:
        raise NotFound(f"{raw!r} is not a valid id") from None
