"""Columns and compiled queries: what every search of the emulator is built from.

A collection is searched through *columns*: for a field name, a way to get the value of a row
key. A column is a plain getter, a :class:`~cbasync.testing.query.Categorical` (a code per row into
a small value table) or a :class:`~cbasync.testing.query.Keyed` (a value per hashable row key,
computed once per key). The query compiler evaluates the last two once per distinct value, which
is what makes a query over a million generated processes cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cbasync.testing.query import (
    Categorical,
    FieldType,
    Keyed,
    MatchAll,
    Node,
    compile_query,
    parse,
)

__all__ = ["Accessor", "Column", "Getter", "compile_search", "getter_of"]

Getter = Callable[[Any], Any]
Column = Getter | Categorical[Any] | Keyed[Any]
Accessor = Callable[[str], "Column | None"]


def getter_of(col: Column) -> Getter:
    """A plain ``key -> value`` getter for any kind of column."""
    if isinstance(col, Categorical):
        values, code = col.values, col.code
        return lambda k: values[code(k)]
    if isinstance(col, Keyed):
        key, value = col.key, col.value
        return lambda k: value(key(k))
    return col


def compile_search(
    query: str | Node,
    *,
    schema: Mapping[str, FieldType],
    default_fields: Sequence[str],
    accessor: Accessor,
    now: float | None,
    strict: bool,
) -> Callable[[Any], bool] | None:
    """The predicate of a Lucene-style query over row keys, or None when it matches everything
    (so a caller can skip the scan). Raises :class:`~cbasync.testing.query.QueryError`.

    ``strict``: whether a field missing from ``schema`` makes the query invalid (EDR's processes)
    or is matched by the type of its values (the cloud's searches, EDR's binaries and alerts).
    """
    node = parse(query) if isinstance(query, str) else query
    if isinstance(node, MatchAll):
        return None
    return compile_query(
        node,
        schema=schema,
        default_fields=default_fields,
        accessor=accessor,
        now=now,
        strict=strict,
        query=query if isinstance(query, str) else str(query),
    )
