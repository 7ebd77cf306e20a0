"""Queries: immutable builders you iterate with ``async for``.

Every builder method returns a new query, so a query can be kept and refined without surprises::

    q = api.select(Process).where("process_name:cmd.exe").sort("start desc")
    recent = q.where("start:-60m")            # q is unchanged
    async for proc in recent[:500]: ...        # slices fetch only what they cover
    await q.count(); await q.first(); await q.one()

Nothing is sent until the query is iterated or awaited. Iteration pages with the one offset
paginator (``_pagination.py``): concurrent windows of pages once the total is known.
"""

from __future__ import annotations

import abc
import copy
import sys
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, Protocol, TypeVar

from typing_extensions import Self

from cbasync import _display, errors
from cbasync._display import ResultList
from cbasync._iterators import StepIterator
from cbasync._pagination import DEFAULT_CONCURRENCY, OffsetPaginator, Page

if TYPE_CHECKING:
    from cbasync.model import ApiClient, Model

__all__ = ["Query", "Searchable", "join_clauses"]

M = TypeVar("M", bound="Model")
Q_co = TypeVar("Q_co", covariant=True)


class Searchable(Protocol[Q_co]):
    """A model class ``api.select()`` can search: its ``_new_query`` classmethod says which query
    type, so ``api.select(Process)`` is typed ``ProcessQuery[Process]`` and the product's query
    methods (``facets``, ``group_by``, ``change_status``, ...) type-check without a cast."""

    def _new_query(self, api: Any) -> Q_co: ...


class Query(abc.ABC, Generic[M]):
    """Base of the product query types. Subclasses implement :meth:`_fetch_page`."""

    #: Rows per request unless ``batch_size()`` says otherwise.
    default_page_size: ClassVar[int] = 100
    #: The server's paging cap (``None``: none).
    max_offset: ClassVar[int | None] = None

    def __init__(self, api: ApiClient, model: type[M]) -> None:
        self._api = api
        self._model = model
        self._clauses: tuple[str, ...] = ()
        self._sort: str | None = None
        self._slices: tuple[slice, ...] = ()
        self._page_size = self.default_page_size
        self._concurrency = DEFAULT_CONCURRENCY

    # -- building -------------------------------------------------------------------------

    def _replace(self, **changes: Any) -> Self:
        clone = copy.copy(self)
        for name, value in changes.items():
            if not hasattr(clone, f"_{name}"):
                raise AttributeError(name)
            setattr(clone, f"_{name}", value)
        return clone

    def where(self, query: str) -> Self:
        """Add a clause; clauses combine with AND (a clause with a top-level OR is bracketed)."""
        if not isinstance(query, str):
            raise TypeError(f"where() takes a query string, not {type(query).__name__}")
        query = query.strip()
        if not query:
            return self
        return self._replace(clauses=(*self._clauses, query))

    def and_(self, query: str) -> Self:
        """The same as :meth:`where`."""
        return self.where(query)

    def sort(self, order: str) -> Self:
        """``"field asc"`` or ``"field desc"``; an empty string removes the sort."""
        order = order.strip()
        return self._replace(sort=order or None)

    def batch_size(self, rows: int) -> Self:
        """Rows per request."""
        if not isinstance(rows, int) or rows < 1:
            raise ValueError(f"batch_size must be a positive integer, not {rows!r}")
        return self._replace(page_size=rows)

    def concurrency(self, pages: int) -> Self:
        """Pages fetched at once while iterating (once the total is known)."""
        if not isinstance(pages, int) or pages < 1:
            raise ValueError(f"concurrency must be a positive integer, not {pages!r}")
        return self._replace(concurrency=pages)

    def __getitem__(self, item: slice) -> Self:
        if not isinstance(item, slice):
            # Also what `for x in query` and `list(query)` reach (no __iter__: queries are async).
            raise TypeError(
                f"{type(self).__name__} is asynchronous: iterate it with `async for item in "
                "query` (or `await query.all()`); for one item use `await query.first()`, or "
                "index a query with a slice (`query[5:6]`)"
            )
        if item.step is not None and item.step != 1:
            raise ValueError("query slices take a start and a stop, not a step")
        for bound in (item.start, item.stop):
            if bound is not None and not isinstance(bound, int):
                raise TypeError("slice bounds must be integers")
        return self._replace(slices=(*self._slices, item))

    if not TYPE_CHECKING:
        # cbapi habits on an async query. Hidden from type checkers, so `len(query)` and
        # `for x in query` are type errors as well as clear runtime errors.

        def __iter__(self) -> NoReturn:
            raise TypeError(
                f"{type(self).__name__} is asynchronous: use `async for item in query` "
                "(or `await query.all()` for a list)"
            )

        def __len__(self) -> NoReturn:
            raise TypeError(
                f"{type(self).__name__} is asynchronous: use `await query.count()` for its length"
            )

    @property
    def query_string(self) -> str:
        """The clauses as the server receives them."""
        return join_clauses(self._clauses)

    @property
    def model(self) -> type[M]:
        return self._model

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._model.__name__} q={self.query_string!r}>"

    def _describe(self) -> dict[str, Any]:
        """What the query will ask, as its displays show it (nothing is sent to show it)."""
        description: dict[str, Any] = {"model": self._model.__name__, "q": self.query_string}
        if self._sort:
            description["sort"] = self._sort
        if self._slices:
            description["slices"] = ", ".join(
                f"[{'' if s.start is None else s.start}:{'' if s.stop is None else s.stop}]"
                for s in self._slices
            )
        description["page size"] = self._page_size
        return description

    def __rich_repr__(self) -> Any:
        yield from self._describe().items()

    def _repr_html_(self) -> str:
        """Jupyter: what the query will ask. Showing a query never runs it: ``await q.count()``
        or ``await q.all()`` (a list that shows as a table) do."""
        return _display.object_html(
            type(self).__name__,
            "(not run: await .count(), .first() or .all())",
            [("", name, value) for name, value in self._describe().items()],
        )

    # -- running --------------------------------------------------------------------------

    @abc.abstractmethod
    async def _fetch_page(self, start: int, rows: int) -> Page[M]:
        """One page of results from ``start``; ``rows=0`` asks only for the total."""

    async def count(self) -> int:
        """How many results the query (or slice of it) covers."""
        total = await self._total()
        start, stop = self._bounds(total)
        return max(0, stop - start)

    async def _total(self) -> int:
        page = await self._fetch_page(0, 0)
        return page.total if page.total is not None else 0

    def _bounds(self, total: int) -> tuple[int, int]:
        start, stop = 0, total
        for part in self._slices:
            a, b, _ = part.indices(stop - start)
            start, stop = start + a, start + max(a, b)
        return start, stop

    async def _paginator(self) -> OffsetPaginator[M]:
        negative = any(
            (bound is not None and bound < 0)
            for part in self._slices
            for bound in (part.start, part.stop)
        )
        total = await self._total() if negative else sys.maxsize
        start, stop = self._bounds(total)
        return OffsetPaginator(
            self._fetch_page,
            page_size=self._page_size,
            start=start,
            stop=None if stop >= sys.maxsize else stop,
            concurrency=self._concurrency,
            max_offset=self.max_offset,
            what=f"{self._model.__name__} search",
            identity=_row_identity,
        )

    def __aiter__(self) -> StepIterator[M]:
        """Every result, page by page; breaking out early is safe (nothing stays open)."""
        inner: StepIterator[M] | None = None

        async def step() -> list[M] | None:
            nonlocal inner
            if inner is None:
                inner = (await self._paginator()).__aiter__()
            try:
                first = await inner.__anext__()
            except StopAsyncIteration:
                return None
            # Hand over what the inner iterator has buffered along with the first item.
            return [first, *inner.drain()]

        return StepIterator(step)

    async def all(self) -> ResultList[M]:
        """Every result in a list (mind the size: iterate instead for big result sets). The list
        shows as a table in Jupyter."""
        return ResultList([item async for item in self])

    async def first(self) -> M | None:
        """The first result, or ``None``."""
        page = await (await self._replace(slices=(*self._slices, slice(0, 1)))._paginator())
        return page.items[0] if page.items else None

    async def one(self) -> M:
        """The only result; ``MoreThanOneResultError`` when there are none or several."""
        paginator = await self._replace(slices=(*self._slices, slice(0, 2)))._paginator()
        page = await paginator
        if len(page.items) == 1:
            return page.items[0]
        if page.total is not None:
            start, stop = self._bounds(page.total)
            count = max(0, stop - start)
        else:
            count = len(page.items)
        raise errors.MoreThanOneResultError(
            f"expected one {self._model.__name__}, found {count} for {self.query_string!r}",
            count=count,
        )


def _row_identity(item: Model) -> object:
    """What tells two rows apart when checking that paging advances: the model and its key.
    A row without a key is never taken for another."""
    key = item.key
    return object() if key is None else (type(item), key)


def join_clauses(clauses: tuple[str, ...]) -> str:
    """Clauses joined by spaces (the servers' implicit AND), bracketing any clause whose own
    top level has an OR so that ``where("a or b").where("c")`` means ``(a or b) AND c``."""
    if len(clauses) <= 1:
        return clauses[0] if clauses else ""
    return " ".join(f"({c})" if _has_top_level_or(c) else c for c in clauses)


def _has_top_level_or(clause: str) -> bool:
    depth = 0
    quoted = False
    token: list[str] = []
    previous = ""
    for char in clause + " ":
        if char == '"' and previous != "\\":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if not quoted and char.isspace():
            if depth == 0 and "".join(token).lower() in {"or", "||"}:
                return True
            token = []
        elif not quoted:
            token.append(char)
        previous = char
    return False
