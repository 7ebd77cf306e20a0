"""Compile a query tree into a predicate over rows.

Rows can be anything: plain dicts (the default accessor reads ``row.get(field)``, with dotted paths
into nested dicts) or row indices of a generated dataset (the dataset passes an ``accessor`` that
maps a field name to a getter). A getter may be a :class:`Categorical`: then a leaf is evaluated
once per distinct value and the row test becomes a table lookup, which is what makes a query over
a million generated processes cheap.

Field types decide what a term means (``schema`` maps field → type):

``keyword``  whole-value match, case-insensitive; ``*``/``?`` wildcards; Lucene escapes undone
``text``     tokenised (whitespace, path separators, quotes, ``=``, ``:``...): the query's tokens
             must appear in order, each matched case-insensitively, wildcards per token
``number``   numeric equality and ranges
``date``     ISO-8601 values or epoch seconds; ``[2024-01-01 TO *]``, a bare date matches that
             whole day, ``-24h`` / ``-2d`` / ``-30m`` / ``-1w`` mean "within the last ..."
``bool``     ``true`` / ``false``
``ip``       dotted quad, CIDR (``10.0.0.0/8``) or a signed 32-bit integer, against either form

A field not in ``schema`` is matched by the type of the row's value (``strict=False``) or makes
the query invalid (``strict=True``: the :class:`QueryError` names the field).

One module (about 600 lines) because the six field types' matchers and the compiler that picks
among them are one piece: a term means what its field's type says.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Generic, Literal, TypeVar

from cbasync.testing.query.ast import And, MatchAll, Node, Not, Or, QueryError, Range, Term
from cbasync.testing.query.parser import parse

__all__ = [
    "Categorical",
    "FieldType",
    "Keyed",
    "compile_query",
    "dotted",
    "iso_to_epoch",
    "matches",
    "terms_of",
    "tokenize",
]

T = TypeVar("T")
FieldType = Literal["keyword", "text", "number", "date", "bool", "ip"]
Getter = Callable[[Any], Any]
Predicate = Callable[[Any], bool]
ValueMatcher = Callable[[Any], bool]

_TOKEN_SPLIT = re.compile(r"[\s\\/:\"'=,;()\[\]{}|<>-]+")
_LUCENE_ESCAPE = re.compile(r"\\([+\-&|!(){}\[\]^\"~*?:\\/ ])")
_RELATIVE = re.compile(r"-(\d+(?:\.\d+)?)([smhdw])\Z", re.IGNORECASE)
_NOW_MATH = re.compile(r"NOW(?:-(\d+)(SECOND|MINUTE|HOUR|DAY|WEEK)S?)?\Z", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_NOW_UNIT = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400, "WEEK": 604800}


@dataclass(frozen=True)
class Categorical(Generic[T]):
    """A column whose values come from a small table: ``values[code(row)]``."""

    code: Callable[[T], int]
    values: Sequence[Any]


@dataclass(frozen=True)
class Keyed(Generic[T]):
    """A column whose value is a function of a hashable key of the row: ``value(key(row))``.

    Many rows share a key (generated data repeats), so a leaf is evaluated once per distinct key
    and remembered, like a :class:`Categorical` whose table is filled in lazily.
    """

    key: Callable[[T], Any]
    value: Callable[[Any], Any]


# --- value helpers ------------------------------------------------------------------------------


@lru_cache(maxsize=65_536)
def _tokens(value: str) -> tuple[str, ...]:
    return tuple(t for t in _TOKEN_SPLIT.split(value.lower()) if t)


def tokenize(value: str) -> list[str]:
    """Lower-cased tokens of a text value (the analyser of ``text`` fields): split on whitespace,
    path separators, quotes, ``=``, ``:``, ``-`` and brackets. Memoised: generated rows repeat."""
    return list(_tokens(value))


def _unescape(text: str) -> str:
    return _LUCENE_ESCAPE.sub(r"\1", text)


@lru_cache(maxsize=1024)
def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    """Regex for a (lower-cased) Lucene wildcard pattern; escaped ``\\*``/``\\?`` are literal."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def iso_to_epoch(value: Any) -> float | None:
    """Epoch seconds of an ISO-8601 string (``Z``, offsets, space or ``T``, date only) or a
    number (seconds; values above 1e11 are taken as milliseconds)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        v = float(value)
        return v / 1000.0 if v > 1e11 else v
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return dt.timestamp()
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _date_span(text: str, now: float) -> tuple[float, float] | None:
    """(start, end) of a date literal: a relative window, NOW math, a day, or an instant."""
    m = _RELATIVE.match(text)
    if m:
        return now - float(m.group(1)) * _UNIT[m.group(2).lower()], float("inf")
    m = _NOW_MATH.match(text)
    if m:
        if m.group(1):
            return now - int(m.group(1)) * _NOW_UNIT[m.group(2).upper()], now
        return now, now
    epoch = iso_to_epoch(_unescape(text))
    if epoch is None:
        return None
    if len(text) == 10:  # YYYY-MM-DD: the whole day
        return epoch, epoch + 86400.0
    return epoch, epoch


def _ip_value(value: Any) -> int | None:
    """An IPv4 address as an unsigned int from a dotted quad or a signed/unsigned int."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value & 0xFFFFFFFF
    if isinstance(value, str):
        try:
            return int(ipaddress.IPv4Address(value.strip()))
        except ValueError:
            try:
                return int(value) & 0xFFFFFFFF
            except ValueError:
                return None
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _as_list(value: Any) -> Iterable[Any]:
    if isinstance(value, list | tuple):
        return value
    return (value,)


# --- leaf matchers -----------------------------------------------------------------------------


def _any(match: ValueMatcher) -> ValueMatcher:
    """Lift a scalar matcher to values that may be lists (a list matches if any element does)."""

    def lifted(value: Any) -> bool:
        if isinstance(value, list | tuple):
            return any(match(v) for v in value if v is not None)
        return value is not None and match(value)

    return lifted


def _exists(value: Any) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, list | tuple | dict):
        return len(value) > 0
    return True


def _keyword_matcher(term: Term) -> ValueMatcher:
    if term.wildcard and not term.phrase:
        rx = _wildcard_regex(term.text.lower())
        return _any(lambda v: rx.fullmatch(str(v).lower()) is not None)
    want = term.text.lower() if term.phrase else _unescape(term.text).lower()
    return _any(lambda v: str(v).lower() == want)


def _text_matcher(term: Term) -> ValueMatcher:
    raw = term.text.lower()
    qtokens = tokenize(raw)
    if not qtokens:
        return lambda v: False
    wild = term.wildcard and not term.phrase
    regexes = [_wildcard_regex(t) if wild and ("*" in t or "?" in t) else None for t in qtokens]
    n = len(qtokens)
    if n == 1 and regexes[0] is None:
        only = qtokens[0]
        return _any(lambda v: only in _tokens(str(v)))
    if n == 1:
        rx = regexes[0]
        assert rx is not None
        return _any(lambda v: any(rx.fullmatch(t) for t in _tokens(str(v))))
    first = qtokens[0]
    first_rx = regexes[0]

    def token_ok(k: int, token: str) -> bool:
        rx = regexes[k]
        return rx.fullmatch(token) is not None if rx is not None else token == qtokens[k]

    def match(v: Any) -> bool:
        vtokens = _tokens(str(v))
        if first_rx is None and first not in vtokens:
            return False
        for start in range(len(vtokens) - n + 1):
            if first_rx is None:
                if vtokens[start] != first:
                    continue
            elif first_rx.fullmatch(vtokens[start]) is None:
                continue
            if all(token_ok(k, vtokens[start + k]) for k in range(1, n)):
                return True
        return False

    return _any(match)


def _number_matcher(term: Term) -> ValueMatcher:
    if term.wildcard:
        rx = _wildcard_regex(term.text.lower())
        return _any(lambda v: rx.fullmatch(_num_text(v)) is not None)
    want = _number(_unescape(term.text))
    if want is None:
        raise QueryError(f"{term.field}: {term.text!r} is not a number")
    return _any(lambda v: _number(v) == want)


def _num_text(v: Any) -> str:
    n = _number(v)
    if n is None:
        return str(v).lower()
    return str(int(n)) if n == int(n) else str(n)


def _date_matcher(term: Term, now: float) -> ValueMatcher:
    span = _date_span(term.text, now)
    if span is None:
        raise QueryError(f"{term.field}: {term.text!r} is not a date")
    lo, hi = span
    exact = lo == hi

    def match(v: Any) -> bool:
        e = iso_to_epoch(v)
        if e is None:
            return False
        return abs(e - lo) < 0.0005 if exact else lo <= e < hi

    return _any(match)


def _bool_matcher(term: Term) -> ValueMatcher:
    text = _unescape(term.text).lower()
    if text not in ("true", "false"):
        raise QueryError(f"{term.field}: {term.text!r} is not true or false")
    want = text == "true"
    return _any(lambda v: (v if isinstance(v, bool) else str(v).lower() == "true") == want)


def _ip_matcher(term: Term) -> ValueMatcher:
    text = _unescape(term.text)
    try:
        net = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        value = _ip_value(text)
        if value is None:
            raise QueryError(f"{term.field}: {term.text!r} is not an IPv4 address") from None
        net = ipaddress.IPv4Network(value)
    lo, hi = int(net.network_address), int(net.broadcast_address)

    def match(v: Any) -> bool:
        ip = _ip_value(v)
        return ip is not None and lo <= ip <= hi

    return _any(match)


def _auto_matcher(term: Term, now: float) -> ValueMatcher:
    """For fields without a declared type: compare by the type of each value."""
    keyword = _keyword_matcher(term)
    number = _number(_unescape(term.text))

    def match(v: Any) -> bool:
        if isinstance(v, bool):
            return str(v).lower() == _unescape(term.text).lower()
        if isinstance(v, int | float) and number is not None and not term.wildcard:
            return float(v) == number
        return keyword(v)

    return _any(match)


def _range_matcher(node: Range, ftype: FieldType | None, now: float) -> ValueMatcher:
    def bound(text: str | None, which: int) -> Any:
        if text is None:
            return None
        if ftype == "date":
            span = _date_span(text, now)
            if span is None:
                raise QueryError(f"{node.field}: {text!r} is not a date")
            return span[0] if which == 0 or span[0] == span[1] else span[1]
        if ftype == "ip":
            ip = _ip_value(_unescape(text))
            if ip is None:
                raise QueryError(f"{node.field}: {text!r} is not an IPv4 address")
            return ip
        if ftype == "number" or (ftype is None and _number(text) is not None):
            num = _number(_unescape(text))
            if num is None:
                raise QueryError(f"{node.field}: {text!r} is not a number")
            return num
        return _unescape(text).lower()

    lo, hi = bound(node.low, 0), bound(node.high, 1)
    # A date-only upper bound covers that whole day: [.. TO 2024-01-31] includes the 31st.
    inc_lo, inc_hi = node.include_low, node.include_high
    if ftype == "date" and node.high is not None and len(node.high) == 10 and inc_hi:
        inc_hi = False

    def convert(v: Any) -> Any:
        if ftype == "date":
            return iso_to_epoch(v)
        if ftype == "ip":
            return _ip_value(v)
        if isinstance(lo if lo is not None else hi, float):
            return _number(v)
        return str(v).lower()

    def match(v: Any) -> bool:
        x = convert(v)
        if x is None:
            return False
        if lo is not None and (x < lo or (x == lo and not inc_lo)):
            return False
        return not (hi is not None and (x > hi or (x == hi and not inc_hi)))

    return _any(match)


# --- compilation -------------------------------------------------------------------------------


def _both(a: Predicate, b: Predicate) -> Predicate:
    return lambda row: a(row) and b(row)


def _either(a: Predicate, b: Predicate) -> Predicate:
    return lambda row: a(row) or b(row)


def _fold(preds: list[Predicate], *, conj: bool) -> Predicate:
    """Combine predicates pairwise into plain closures (no generator per row)."""
    while len(preds) > 1:
        merged: list[Predicate] = []
        for i in range(0, len(preds) - 1, 2):
            merged.append(
                _both(preds[i], preds[i + 1]) if conj else _either(preds[i], preds[i + 1])
            )
        if len(preds) % 2:
            merged.append(preds[-1])
        preds = merged
    return preds[0]


def dotted(field: str) -> Getter:
    """A getter of ``field`` over dict rows; a dotted name reaches into nested dicts (a key
    that contains the dots itself wins)."""
    if "." not in field:
        return lambda row: row.get(field)
    parts = field.split(".")

    def get(row: Any) -> Any:
        if field in row:
            return row[field]
        cur: Any = row
        for p in parts:
            if not isinstance(cur, Mapping):
                return None
            cur = cur.get(p)
        return cur

    return get


class _Compiler:
    def __init__(
        self,
        schema: Mapping[str, FieldType],
        default_fields: Sequence[str],
        accessor: Callable[[str], Getter | Categorical[Any] | Keyed[Any] | None],
        now: float,
        strict: bool,
        query: str,
    ) -> None:
        self.schema = schema
        self.default_fields = default_fields
        self.accessor = accessor
        self.now = now
        self.strict = strict
        self.query = query

    def field_type(self, field: str) -> FieldType | None:
        ftype = self.schema.get(field)
        if ftype is None and self.strict:
            raise QueryError(f"unknown field {field!r}", self.query)
        return ftype

    def getter(self, field: str) -> Getter | Categorical[Any] | Keyed[Any]:
        g = self.accessor(field)
        if g is None:
            if self.strict:
                raise QueryError(f"unknown field {field!r}", self.query)
            return lambda row: None
        return g

    def value_matcher(self, term: Term, ftype: FieldType | None) -> ValueMatcher:
        if term.wildcard and term.text == "*":
            return _exists
        if ftype == "keyword":
            return _keyword_matcher(term)
        if ftype == "text":
            return _text_matcher(term)
        if ftype == "number":
            return _number_matcher(term)
        if ftype == "date":
            return _date_matcher(term, self.now)
        if ftype == "bool":
            return _bool_matcher(term)
        if ftype == "ip":
            return _ip_matcher(term)
        return _auto_matcher(term, self.now)

    def leaf(self, field: str, matcher: ValueMatcher) -> Predicate:
        g = self.getter(field)
        if isinstance(g, Categorical):
            table = [matcher(v) for v in g.values]
            if not any(table):
                return lambda row: False
            if all(table):
                return lambda row: True
            code = g.code
            return lambda row: table[code(row)]
        if isinstance(g, Keyed):
            memo: dict[Any, bool] = {}
            key_of, value_of = g.key, g.value

            def keyed(row: Any) -> bool:
                k = key_of(row)
                hit = memo.get(k)
                if hit is None:
                    hit = memo[k] = matcher(value_of(k))
                return hit

            return keyed
        getter = g
        return lambda row: matcher(getter(row))

    def compile(self, node: Node) -> Predicate:
        if isinstance(node, MatchAll):
            return lambda row: True
        if isinstance(node, Term):
            if node.field is None:
                return self.default_search(node)
            ftype = self.field_type(node.field)
            try:
                matcher = self.value_matcher(node, ftype)
            except QueryError as exc:
                raise QueryError(str(exc), self.query) from None
            return self.leaf(node.field, matcher)
        if isinstance(node, Range):
            ftype = self.field_type(node.field)
            try:
                matcher = _range_matcher(node, ftype, self.now)
            except QueryError as exc:
                raise QueryError(str(exc), self.query) from None
            return self.leaf(node.field, matcher)
        if isinstance(node, Not):
            inner = self.compile(node.item)
            return lambda row: not inner(row)
        if isinstance(node, And):
            return _fold([self.compile(i) for i in node.items], conj=True)
        if isinstance(node, Or):
            return _fold([self.compile(i) for i in node.items], conj=False)
        raise QueryError(f"cannot evaluate {node!r}", self.query)

    def default_search(self, term: Term) -> Predicate:
        if not self.default_fields:
            # Search every string value of a dict row.
            text = _text_matcher(term)
            return lambda row: any(
                text(v) for v in (row.values() if isinstance(row, Mapping) else ())
            )
        preds = []
        for field in self.default_fields:
            ftype = self.schema.get(field, "text")
            if ftype not in ("keyword", "text"):
                continue
            matcher = _keyword_matcher(term) if ftype == "keyword" else _text_matcher(term)
            preds.append(self.leaf(field, matcher))
        if not preds:
            return lambda row: False
        return _fold(preds, conj=False)


def compile_query(
    node: Node,
    *,
    schema: Mapping[str, FieldType] | None = None,
    default_fields: Sequence[str] = (),
    accessor: Callable[[str], Getter | Categorical[Any] | Keyed[Any] | None] | None = None,
    now: float | None = None,
    strict: bool = False,
    query: str = "",
) -> Predicate:
    """A predicate ``row -> bool`` for ``node``.

    ``accessor(field)`` returns a getter (or a :class:`Categorical`, or None for an unknown
    field); by default rows are dicts. ``now`` (epoch seconds) anchors relative dates; it
    defaults to the wall clock. Errors in literals (``count:abc`` on a number field) raise
    :class:`QueryError`.
    """
    compiler = _Compiler(
        schema or {},
        default_fields,
        accessor or dotted,
        time.time() if now is None else now,
        strict,
        query,
    )
    return compiler.compile(node)


def matches(
    query: str | Node,
    row: Mapping[str, Any],
    *,
    schema: Mapping[str, FieldType] | None = None,
    default_fields: Sequence[str] = (),
    now: float | None = None,
) -> bool:
    """Convenience: does one dict row match ``query``? (Parses and compiles each call.)"""
    node = parse(query) if isinstance(query, str) else query
    return compile_query(node, schema=schema, default_fields=default_fields, now=now)(row)


def terms_of(node: Node) -> list[str]:
    """The leaf terms of a query as EDR lists them in a search's ``terms`` array."""
    out: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Term | Range):
            out.append(str(n))
        elif isinstance(n, And | Or):
            for i in n.items:
                walk(i)
        elif isinstance(n, Not):
            walk(n.item)

    walk(node)
    return out
