"""The syntax tree of a Lucene-style query (what :func:`cbasync.testing.query.parse` returns)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["And", "MatchAll", "Node", "Not", "Or", "QueryError", "Range", "Term"]


class QueryError(ValueError):
    """A query that cannot be parsed or evaluated. ``offset`` points into the query text."""

    def __init__(self, message: str, query: str = "", offset: int | None = None) -> None:
        super().__init__(message)
        self.query = query
        self.offset = offset


@dataclass(frozen=True)
class MatchAll:
    """``*:*``, ``*`` or an empty query."""

    def __str__(self) -> str:
        return "*:*"


@dataclass(frozen=True)
class Term:
    """``field:value``, ``field:"a phrase"`` or a bare ``value`` (``field`` None: default fields).

    ``text`` keeps the query's backslashes as written (their meaning depends on the field type:
    a path tokeniser treats them as separators, a keyword field unescapes them).
    ``wildcard`` is True when ``text`` has an unescaped ``*`` or ``?`` outside a phrase.
    """

    field: str | None
    text: str
    phrase: bool = False
    wildcard: bool = False

    def __str__(self) -> str:
        value = f'"{self.text}"' if self.phrase else self.text
        return value if self.field is None else f"{self.field}:{value}"


@dataclass(frozen=True)
class Range:
    """``field:[low TO high]`` (inclusive) or ``{low TO high}`` (exclusive); None is ``*``."""

    field: str
    low: str | None
    high: str | None
    include_low: bool = True
    include_high: bool = True

    def __str__(self) -> str:
        lo = "[" if self.include_low else "{"
        hi = "]" if self.include_high else "}"
        return f"{self.field}:{lo}{self.low or '*'} TO {self.high or '*'}{hi}"


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " AND ".join(str(i) for i in self.items) + ")"


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]

    def __str__(self) -> str:
        return "(" + " OR ".join(str(i) for i in self.items) + ")"


@dataclass(frozen=True)
class Not:
    item: Node

    def __str__(self) -> str:
        return f"NOT {self.item}"


Node = MatchAll | Term | Range | And | Or | Not
