"""Joins and dict-style reading: two small behaviours the product models share.

- :class:`join` marks an ``async def`` that fetches a related object (``await proc.sensor()``)
  and turns its cbapi-style misuse as an attribute (``proc.sensor.group``) into a clear error;
- :class:`ItemAccess` lets a plain server record be read as ``entry["name"]`` as the cbapi manual
  does, besides ``entry.name``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import pydantic

__all__ = ["BoundJoin", "ItemAccess", "join"]

S = TypeVar("S")
T = TypeVar("T")


class join(Generic[S, T]):
    """A related object fetched on request: ``await proc.sensor()``.

    Decorates an ``async def`` that takes only ``self``. cbapi users wrote ``proc.sensor.group``
    (a join as an attribute, fetched behind their back); here that raises an ``AttributeError``
    saying to ``await proc.sensor()`` instead of failing obscurely on a method object — and
    mypy reports it, because the bound join has no attributes of its own.
    """

    def __init__(self, fetch: Callable[[S], Coroutine[Any, Any, T]]) -> None:
        self.fetch = fetch
        self.name = fetch.__name__
        self.__doc__ = fetch.__doc__  # for help() and the API reference

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> join[S, T]: ...
    @overload
    def __get__(self, obj: S, owner: type[Any]) -> BoundJoin[T]: ...
    def __get__(self, obj: S | None, owner: type[Any]) -> join[S, T] | BoundJoin[T]:
        return self if obj is None else BoundJoin(self, obj)


class BoundJoin(Generic[T]):
    """A join of one object: call it and await the result."""

    __slots__ = ("_join", "_obj")

    def __init__(self, join: join[Any, T], obj: Any) -> None:
        self._join = join
        self._obj = obj

    def __call__(self) -> Coroutine[Any, Any, T]:
        return self._join.fetch(self._obj)

    def __repr__(self) -> str:
        return f"<join {type(self._obj).__name__}.{self._join.name}(): await it to fetch>"

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            owner = type(self._obj).__name__
            join = self._join.name
            raise AttributeError(
                f"{owner}.{join} is a join, fetched on request: use "
                f"`(await obj.{join}()).{name}` (or `related = await obj.{join}()`)"
            )

        def __await__(self) -> Any:
            raise TypeError(
                f"{type(self._obj).__name__}.{self._join.name} is a join: call it, "
                f"`await obj.{self._join.name}()`"
            )


class ItemAccess:
    """``entry["name"]`` as well as ``entry.name`` on a plain server record (facet entries,
    events): the cbapi manual indexes them like dicts. Keys are JSON names or attribute names;
    a missing key is a ``KeyError``, as for a dict."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        assert isinstance(self, pydantic.BaseModel)
        fields = type(self).model_fields
        if key in fields:
            return getattr(self, key)
        for name, info in fields.items():
            if info.alias == key:
                return getattr(self, name)
        extra = self.__pydantic_extra__ or {}
        if key in extra:
            return extra[key]
        raise KeyError(key)

    def keys(self) -> list[str]:
        """The JSON names of the fields that are set (so ``dict(entry)`` works)."""
        assert isinstance(self, pydantic.BaseModel)
        return list(self.model_dump(by_alias=True, exclude_unset=True))
