"""Facets of a synchronous cloud search: one ``POST .../_facet`` with the search's body and the
terms wanted, answered with ``{"results": [{"field", "values": [{"total", "id", "name"}]}]}``
(devices v6, alerts v6 and v7, grouped alerts; wire §6.1-6.3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cbasync import errors
from cbasync.model import ItemAccess, adapter_for
from cbasync.models._generated import cloud

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = ["FacetValue", "fetch_facets"]


class FacetValue(ItemAccess, cloud.FacetValue):
    """One value of a facet: ``entry.id``, ``entry.name``, ``entry.total`` (or ``entry["total"]``)."""


class _FacetTerm(cloud.FacetTerm):
    values: list[FacetValue] | None = None  # type: ignore[assignment]


class _FacetAnswer(cloud.AlertFacetResponse):
    results: list[_FacetTerm] | None = None  # type: ignore[assignment]


async def fetch_facets(
    api: CBCloudAPI,
    route: str,
    search: Mapping[str, Any],
    fields: Iterable[str],
    *,
    rows: int = 0,
) -> dict[str, list[FacetValue]]:
    """``{field: [values...]}`` for ``fields`` over the documents ``search`` matches; ``rows``
    values per field (0: all the server gives)."""
    wanted = list(fields)
    if not wanted or not all(isinstance(name, str) and name for name in wanted):
        raise ValueError("facets() needs at least one field name")
    if not isinstance(rows, int) or rows < 0:
        raise ValueError(f"rows must be a non-negative integer, not {rows!r}")
    body = {**search, "terms": {"fields": wanted, "rows": rows}}
    response = await api.transport.request("POST", route, json=body, idempotent=True)
    answer = response.parse(adapter_for(_FacetAnswer))
    if answer.results is None:
        raise errors.ServerError("the facet answer has no results", route=response.route)
    return {term.field or "": list(term.values or ()) for term in answer.results}
