"""How models, queries and result lists show themselves in a terminal, Jupyter and rich.

Three promises hold for every display here:

- **no I/O**: a display shows what the object already holds; an unfetched object says so rather
  than fetching (a notebook re-renders outputs, and a repr that sends requests is a trap);
- **no secrets**: a field named like a credential (``auth_token``, ``password``,
  ``apiToken``... see :data:`cbasync.models._base.SECRET_FIELDS`) shows as a mask;
- **bounded**: a value is cut at :data:`MAX_VALUE_CHARS` characters, a table at
  :data:`MAX_ROWS` rows, so printing a 10,000-row result does not freeze a notebook.

:class:`ResultList` is what ``await query.all()`` returns: a plain ``list`` that renders as a
table in Jupyter (its items' key and summary fields). For pandas, ``model_dump()`` each item:
``pandas.DataFrame([p.model_dump() for p in procs])``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

from cbasync.models._base import MASK, is_secret

__all__ = [
    "MAX_ROWS",
    "MAX_VALUE_CHARS",
    "SUMMARY_CANDIDATES",
    "Displayable",
    "ResultList",
    "masked",
    "object_html",
    "short",
    "summary_names",
    "table_html",
]

T = TypeVar("T")

#: Characters of one value shown before it is cut with an ellipsis (a command line can be 32 KB).
MAX_VALUE_CHARS = 200
#: Rows of a result list shown as a table; the rest are counted, not shown.
MAX_ROWS = 50
#: Fields that tell a person which object this is, in order of preference; a model shows the
#: first few it has (unless its class names its own ``display_fields``). They span the products:
#: an EDR process or sensor, an App Control computer or file, a cloud device or alert.
SUMMARY_CANDIDATES: tuple[str, ...] = (
    "name",
    "process_name",
    "computer_name",
    "hostname",
    "device_name",
    "fileName",
    "observed_filename",
    "username",
    "title",
    "text",
    "alert_type",
    "type",
    "status",
    "severity",
    "policyName",
    "start",
)

_STYLE = (
    "border-collapse:collapse;font-family:monospace;font-size:12px;text-align:left;"
    "vertical-align:top"
)


def masked(name: str, value: Any) -> Any:
    """``value``, or the mask when ``name`` holds a credential and it is set."""
    return MASK if value and is_secret(name) else value


def short(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """``str(value)`` cut to ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cell(value: Any) -> str:
    return html.escape(short(value)) if value is not None else ""


def object_html(title: str, note: str, rows: Iterable[tuple[str, str, Any]]) -> str:
    """One object as a two-column table: ``rows`` are ``(mark, name, value)``; a mark is
    ``"+"`` (added) or ``"*"`` (changed) or ``""``."""
    body = "".join(
        f"<tr><td>{html.escape(mark)}</td><th style='{_STYLE}'>{html.escape(name)}</th>"
        f"<td style='{_STYLE}'>{_cell(value)}</td></tr>"
        for mark, name, value in rows
    )
    return (
        f"<table style='{_STYLE}'><caption style='text-align:left'><b>{html.escape(title)}</b>"
        f" <i>{html.escape(note)}</i></caption>{body}</table>"
    )


def table_html(
    caption: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], total: int
) -> str:
    """Rows under column headings; ``total`` counts every row, shown or not."""
    head = "".join(f"<th style='{_STYLE}'>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td style='{_STYLE}'>{_cell(v)}</td>" for v in row) + "</tr>"
        for row in rows
    )
    more = total - len(rows)
    tail = f"<tr><td colspan='{len(columns)}'>... {more} more</td></tr>" if more > 0 else ""
    return (
        f"<table style='{_STYLE}'><caption style='text-align:left'>{html.escape(caption)}"
        f"</caption><thead><tr>{head}</tr></thead><tbody>{body}{tail}</tbody></table>"
    )


@runtime_checkable
class Displayable(Protocol):
    """What a result list needs of its items: their identifying fields, masked, without I/O."""

    def _display_summary(self) -> dict[str, Any]: ...


class ResultList(list[T]):
    """A list of results (``await query.all()``) that Jupyter shows as a table.

    It is a ``list`` in every other way: index it, slice it, ``len()`` it, hand it to pandas
    (``pandas.DataFrame([item.model_dump() for item in results])``).
    """

    __slots__ = ()

    def _repr_html_(self) -> str:
        shown = self[:MAX_ROWS]
        columns: list[str] = []
        rows: list[dict[str, Any]] = []
        for item in shown:
            summary = item._display_summary() if isinstance(item, Displayable) else {"": item}
            rows.append(summary)
            columns.extend(name for name in summary if name not in columns)
        kinds = " / ".join(sorted({type(item).__name__ for item in self}))
        caption = f"{kinds}: {len(self)} result{'s' * (len(self) != 1)}" if self else "no results"
        return table_html(caption, columns, [[r.get(c) for c in columns] for r in rows], len(self))


def summary_names(candidates: Sequence[str], present: Iterable[str], limit: int) -> list[str]:
    """The first ``limit`` of ``candidates`` that are in ``present`` (and hold no secret)."""
    have = set(present)
    return [name for name in candidates if name in have and not is_secret(name)][:limit]
