"""The cloud's search: a :class:`Table` of rows described by per-field columns.

Cloud search bodies carry ``query`` (Lucene), ``criteria`` and ``exclusions`` (field -> accepted
values, or a time range for time fields), ``time_range`` and ``sort``; a bad one is refused with
:class:`CriteriaError` (400, naming the field and, for enumerations, the known values). Large
sets (processes, auth events) are never materialised: criteria, queries and facets go through
the columns over row indices, and a row's JSON is built only when it is returned.

Relative windows (``{"window": "-2w"}``, ``{"range": "-1d"}``) end at the caller's ``anchor``
(the end of the generated history), so a seed answers the same whatever today's date is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cbasync.testing.query import Categorical, FieldType, dotted, iso_to_epoch
from cbasync.testing.search.collation import CLOUD, count_values, counted_cloud, ordered, smallest
from cbasync.testing.search.columns import Column, Getter, compile_search, getter_of

__all__ = [
    "CriteriaError",
    "Table",
    "dict_table",
    "epoch_of",
    "parse_time_range",
    "sort_spec",
    "window_seconds",
]


class CriteriaError(ValueError):
    """A search body the server refuses (400): bad criteria, sort, time range or facet field."""

    def __init__(self, message: str, *, field: str | None = None, known: Sequence[str] = ()):
        super().__init__(message)
        self.field = field
        self.known = list(known)


_WINDOW = re.compile(r"^-?(\d+)([ywdhms])$", re.IGNORECASE)
_WINDOW_UNITS = {"y": 365 * 86_400, "w": 7 * 86_400, "d": 86_400, "h": 3600, "m": 60, "s": 1}


def window_seconds(text: str) -> float:
    """``"-2w"`` → seconds (y, w, d, h, m, s units)."""
    match = _WINDOW.match(str(text).strip())
    if match is None:
        raise CriteriaError(f"invalid time window {text!r} (expected e.g. -2w, -1d, -30m)")
    return int(match.group(1)) * _WINDOW_UNITS[match.group(2).lower()]


def epoch_of(value: Any) -> float:
    """Epoch seconds of an ISO-8601 string or a number (seconds, or ms above 1e11)."""
    epoch = iso_to_epoch(value)
    if epoch is None:
        raise CriteriaError(f"invalid timestamp {value!r} (expected ISO 8601)")
    return epoch


def parse_time_range(spec: Any, anchor: float) -> tuple[float, float] | None:
    """``(start, end)`` epoch seconds of ``{start, end}``, ``{window}`` or ``{range}``; the window
    wins over start/end (as the seeds say). Relative windows end at ``anchor``."""
    if spec is None or spec == {}:
        return None
    if not isinstance(spec, Mapping):
        raise CriteriaError("time_range must be an object")
    relative = spec.get("window") or spec.get("range")
    if relative:
        return anchor - window_seconds(str(relative)), anchor
    start = spec.get("start")
    end = spec.get("end")
    if start is None and end is None:
        return None
    return (
        epoch_of(start) if start is not None else -math.inf,
        epoch_of(end) if end is not None else math.inf,
    )


def sort_spec(raw: Any) -> list[tuple[str, bool]]:
    """``[{"field": f, "order": "asc"|"desc"}]`` → ``[(field, descending)]``."""
    if raw is None:
        return []
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        raise CriteriaError("sort must be a list of {field, order}")
    out: list[tuple[str, bool]] = []
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("field"), str):
            raise CriteriaError("each sort entry needs a field")
        order = str(item.get("order", "asc")).lower()
        if order not in ("asc", "desc"):
            raise CriteriaError(f"invalid sort order {item.get('order')!r}", field="sort.order")
        out.append((item["field"], order == "desc"))
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class Table:
    """Rows ``0..count-1`` described by per-field columns.

    ``columns`` maps a field to a getter ``index -> value`` or a :class:`Categorical` (a code per
    row into a small value table: criteria, queries and facets on it cost one lookup per row).
    ``schema`` types the fields for the query language; ``default_fields`` are searched by a bare
    term; ``time_field`` is what ``time_range`` filters on; ``special`` criteria keys have their
    own row tests (e.g. a device ``status`` of ``ACTIVE``).
    """

    count: Callable[[], int]
    columns: Mapping[str, Column]
    schema: Mapping[str, FieldType]
    default_fields: Sequence[str] = ()
    time_field: str | None = None
    time_criteria: frozenset[str] = frozenset()
    special: Mapping[str, Callable[[list[Any]], Callable[[int], bool]]] = field(
        default_factory=dict
    )
    aliases: Mapping[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column | None:
        return self.columns.get(self.aliases.get(name, name))

    def value(self, i: int, name: str) -> Any:
        col = self.column(name)
        return None if col is None else getter_of(col)(i)

    # -- predicates ------------------------------------------------------------------------------
    def query_predicate(self, query: str | None, anchor: float) -> Callable[[int], bool] | None:
        if query is None or not str(query).strip():
            return None
        return compile_search(
            str(query),
            schema={self.aliases.get(k, k): v for k, v in self.schema.items()} | dict(self.schema),
            default_fields=self.default_fields,
            accessor=self.column,
            now=anchor,
            strict=False,
        )

    def _value_test(self, name: str, wanted: list[Any]) -> Callable[[int], bool]:
        col = self.column(name)
        if col is None:
            raise CriteriaError(f"unknown criteria field {name!r}", field=name)
        if any(isinstance(v, (dict, list)) for v in wanted):
            # Criteria values are scalars; an object or a list inside the list is a 400.
            raise CriteriaError(f"criteria {name!r} must be a list of values", field=name)
        targets = {_norm(v) for v in wanted}
        pathlike = self.schema.get(self.aliases.get(name, name), self.schema.get(name)) == "text"
        tails = tuple(f"{sep}{t}" for t in targets if isinstance(t, str) for sep in ("\\", "/"))

        def hit(value: Any) -> bool:
            for v in counted_cloud(value):
                n = _norm(v)
                if n in targets or (pathlike and isinstance(n, str) and n.endswith(tails)):
                    return True
            return False

        if isinstance(col, Categorical):
            table = [hit(v) for v in col.values]
            code = col.code
            return lambda i: table[code(i)]
        get = getter_of(col)
        return lambda i: hit(get(i))

    def _time_test(self, name: str, spec: Any, anchor: float) -> Callable[[int], bool]:
        span = parse_time_range(spec, anchor)
        col = self.column(name)
        if col is None or isinstance(col, Categorical):
            raise CriteriaError(f"unknown time field {name!r}", field=name)
        if span is None:
            return lambda i: True
        lo, hi = span
        get = getter_of(col)

        def test(i: int) -> bool:
            v = get(i)
            if v is None:
                return False
            t = v if isinstance(v, (int, float)) else epoch_of(v)
            return bool(lo <= t <= hi)

        return test

    def criteria_predicate(
        self, criteria: Any, anchor: float, *, negate: bool = False
    ) -> Callable[[int], bool] | None:
        if criteria is None or criteria == {}:
            return None
        if not isinstance(criteria, Mapping):
            raise CriteriaError("criteria must be an object mapping fields to value lists")
        tests: list[Callable[[int], bool]] = []
        for name, raw in criteria.items():
            if name in self.special:
                tests.append(self.special[name](counted_cloud(raw)))
            elif name in self.time_criteria:
                tests.append(self._time_test(name, raw, anchor))
            else:
                values = counted_cloud(raw)
                if not values:
                    continue
                tests.append(self._value_test(name, values))
        if not tests:
            return None
        if negate:
            # Exclusions: a row is dropped when it matches any excluded field.
            return lambda i: not any(t(i) for t in tests)
        return lambda i: all(t(i) for t in tests)

    def select(
        self,
        *,
        query: str | None = None,
        criteria: Any = None,
        exclusions: Any = None,
        time_range: Any = None,
        anchor: float,
        extra: Callable[[int], bool] | None = None,
        limit_scan: int | None = None,
    ) -> list[int]:
        """Indices of the matching rows, in row order."""
        tests = [
            p
            for p in (
                self.criteria_predicate(criteria, anchor),
                self.criteria_predicate(exclusions, anchor, negate=True),
                self.query_predicate(query, anchor),
                extra,
            )
            if p is not None
        ]
        if self.time_field is not None and time_range:
            tests.insert(0, self._time_test(self.time_field, time_range, anchor))
        n = self.count() if limit_scan is None else min(self.count(), limit_scan)
        if not tests:
            return list(range(n))
        if len(tests) == 1:
            only = tests[0]
            return [i for i in range(n) if only(i)]
        return [i for i in range(n) if all(t(i) for t in tests)]

    # -- order and facets --------------------------------------------------------------------------
    def _order(self, spec: list[tuple[str, bool]]) -> list[tuple[Getter, bool]]:
        out = []
        for name, desc in spec:
            col = self.column(name)
            if col is None:
                raise CriteriaError(f"cannot sort on unknown field {name!r}", field="sort.field")
            out.append((getter_of(col), desc))
        return out

    def sorted(
        self, indices: list[int], spec: list[tuple[str, bool]], *, default: list[tuple[str, bool]]
    ) -> list[int]:
        spec = spec or default
        if not spec:
            return indices
        return ordered(indices, self._order(spec), CLOUD)

    def top(
        self,
        indices: list[int],
        spec: list[tuple[str, bool]],
        k: int,
        *,
        default: list[tuple[str, bool]],
    ) -> list[int]:
        """The first ``k`` of ``indices`` in sort order (cheaper than a full sort when k is small)."""
        spec = spec or default
        if not spec or k >= len(indices):
            return self.sorted(indices, spec, default=default)[:k]
        return smallest(indices, k, self._order(spec), CLOUD)

    def facet(self, indices: Iterable[int], name: str) -> list[tuple[Any, int]]:
        """``(value, count)`` pairs of one field over ``indices``, most frequent first."""
        col = self.column(name)
        if col is None:
            raise CriteriaError(f"unknown facet field {name!r}", field=name)
        counts = count_values(indices, col, CLOUD)
        return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))


def dict_table(
    rows: list[dict[str, Any]],
    schema: Mapping[str, FieldType] | None = None,
    time_fields: Iterable[str] = (),
) -> Table:
    """A Table over materialised (possibly nested) dict rows; dotted names reach into them."""

    def getter(name: str) -> Getter:
        get = dotted(name)
        return lambda i: get(rows[i])

    class _Columns(dict[str, Column]):
        def __missing__(self, key: str) -> Column:
            col = getter(key)
            self[key] = col
            return col

        def get(self, key: str, default: Any = None) -> Any:
            return self[key]

    times = frozenset(time_fields)
    cols = _Columns()
    for name in times:
        raw = getter(name)
        cols[name] = (lambda g: lambda i: epoch_of(g(i)) if g(i) else None)(raw)
    return Table(
        count=lambda: len(rows), columns=cols, schema=dict(schema or {}), time_criteria=times
    )
