"""Checks of the values a cloud criteria builder takes (``set_os("WINDOWS")``, ``set_device_ids([1,
2])``): one value or several, each of the right type or among the API's known values, so a typo
fails at once with a ``ValueError``/``TypeError`` naming the builder instead of a 400 later."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["choices", "integers", "strings"]


def choices(what: str, values: str | Iterable[str], allowed: Iterable[str]) -> list[str]:
    """``values`` as a list, each one of ``allowed`` (``ValueError`` naming the others)."""
    known = tuple(allowed)
    chosen = [values] if isinstance(values, str) else list(values)
    wrong = [v for v in chosen if v not in known]
    if wrong or not chosen:
        raise ValueError(f"{what} must be among {', '.join(known)}: {wrong or chosen!r}")
    return chosen


def strings(what: str, values: str | Iterable[str]) -> list[str]:
    """``values`` as a non-empty list of strings (``TypeError`` otherwise)."""
    chosen = [values] if isinstance(values, str) else list(values)
    if not chosen or not all(isinstance(v, str) for v in chosen):
        raise TypeError(f"{what} are strings: {chosen!r}")
    return chosen


def integers(what: str, values: int | Iterable[int]) -> list[int]:
    """``values`` as a non-empty list of integers, booleans refused (``TypeError`` otherwise)."""
    chosen = [values] if isinstance(values, int) else list(values)
    if not chosen or not all(isinstance(v, int) and not isinstance(v, bool) for v in chosen):
        raise TypeError(f"{what} are integers: {chosen!r}")
    return chosen
