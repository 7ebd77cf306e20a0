"""App Control's search language (wire §9.2), which is its own, not Lucene.

Repeated ``q=<field><op><value>`` conditions are ANDed; ``op`` is one of ``:`` (equal, or LIKE
with ``*``), ``!`` (not equal / NOT LIKE; with no value: not empty), ``<`` ``>`` (numbers,
strings, dates including relative ``-10h``), ``+`` (all bits set), ``-`` (no bit set); ``|`` ORs
alternatives of one condition.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cbasync.testing.dataset.errors import Invalid
from cbasync.testing.query import iso_to_epoch

__all__ = ["Condition", "condition_predicate", "parse_conditions"]


_OPS = ":!<>+-"


_RELATIVE = re.compile(r"^-(\d+(?:\.\d+)?)([smhdw])$")


_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Condition:
    """One ``q`` condition: ``field``, ``op`` (one of ``:!<>+-``) and its alternatives."""

    field: str
    op: str
    values: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Condition:
        i = 0
        while i < len(text) and (text[i].isalnum() or text[i] == "_"):
            i += 1
        if i == 0 or i >= len(text) or text[i] not in _OPS:
            raise Invalid(f"cannot parse condition {text!r}: expected <field><op><value>")
        value = text[i + 1 :]
        return cls(text[:i], text[i], tuple(value.split("|")) if value else ())


def parse_conditions(qs: Sequence[str]) -> list[Condition]:
    return [Condition.parse(q) for q in qs if q != ""]


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(str(v))
    except ValueError:
        return None


def _when(text: str, now: float) -> float | None:
    m = _RELATIVE.match(text)
    if m:
        return now - float(m.group(1)) * _UNIT[m.group(2)]
    return iso_to_epoch(text)


def _like(value: str, pattern: str) -> bool:
    if "*" not in pattern:
        return value.lower() == pattern.lower()
    rx = "^" + ".*".join(re.escape(p) for p in pattern.lower().split("*")) + "$"
    return re.match(rx, value.lower(), re.DOTALL) is not None


def _compare(value: Any, op: str, operand: str, now: float) -> bool:
    if op in "<>":
        if value is None:
            return False
        if isinstance(value, str) and ("T" in value and value.endswith("Z")):
            left, right = iso_to_epoch(value), _when(operand, now)
        elif isinstance(value, str) and _number(value) is None:
            left_s, right_s = value.lower(), operand.lower()
            return left_s < right_s if op == "<" else left_s > right_s
        else:
            left, right = _number(value), _number(operand)
        if left is None or right is None:
            return False
        return left < right if op == "<" else left > right
    if op in "+-":
        bits = _number(operand)
        v = _number(value)
        if bits is None or v is None:
            return False
        mask = int(bits)
        return (int(v) & mask) == mask if op == "+" else (int(v) & mask) == 0
    # ":" and "!"
    if value is None:
        return operand == ""
    if isinstance(value, bool):
        return str(value).lower() == operand.lower()
    if isinstance(value, int | float):
        n = _number(operand)
        return n is not None and float(value) == n
    return _like(str(value), operand)


def condition_predicate(cond: Condition, now: float) -> Callable[[Mapping[str, Any]], bool]:
    f, op, values = cond.field, cond.op, cond.values
    if op == "!" and not values:
        return lambda row: row.get(f) not in (None, "", 0, False)
    if op == ":" and not values:
        return lambda row: row.get(f) in (None, "")
    if op in ":+<>":
        return lambda row: any(_compare(row.get(f), op, v, now) for v in values)
    if op == "!":
        return lambda row: not any(_compare(row.get(f), ":", v, now) for v in values)
    # "-": none of the bits of any listed operand
    return lambda row: all(_compare(row.get(f), "-", v, now) for v in values)
