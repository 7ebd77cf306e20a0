"""Models with behaviour: generated data classes, bound to an API object, with change tracking.

A product model subclasses :class:`Model` and a generated data class (``cbasync.models``), so
every server field is a typed attribute, and adds what the object can do: ``refresh``, ``save``,
``delete``, joins to related objects. Nothing here does I/O on attribute access or construction:

- an object from a search result is *partial* until ``await obj.refresh()``;
- ``api.select(Model, id)`` gives an *unfetched* object that knows only its id — reading another
  field raises ``AttributeError`` saying to ``await obj.refresh()`` (or use ``api.get``);
- setting a field records its original value, so ``save()`` knows what changed, ``reset()``
  restores it and ``print(obj)`` marks added (+) and changed (*) fields as cbapi did.
"""

from __future__ import annotations

import datetime
import typing
from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import anyio
import pydantic

from cbasync import errors
from cbasync.models._base import CbModel

if TYPE_CHECKING:
    from cbasync._api import BaseAPI
    from cbasync._transport import Response
    from cbasync.query import Query

__all__ = ["Model", "ObjectCache", "adapter_for"]

M = TypeVar("M", bound="Model")
T = TypeVar("T")

_MISSING: Any = object()


_ADAPTERS: dict[Any, pydantic.TypeAdapter[Any]] = {}


def adapter_for(tp: type[T]) -> pydantic.TypeAdapter[T]:
    """One cached ``TypeAdapter`` per type: building one costs far more than a page parse."""
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = pydantic.TypeAdapter(tp)
    return adapter


class Model(CbModel):
    """Base of every product model. Subclasses set the class variables below."""

    #: JSON field that identifies the object.
    primary_key: ClassVar[str] = "id"
    #: Route of one object, with ``{id}`` for the primary key (None: not fetchable alone).
    item_route: ClassVar[str | None] = None
    #: Route that creates objects with POST (None: cannot be created).
    create_route: ClassVar[str | None] = None
    #: Route that lists every object at once, and the query parameters it needs.
    list_route: ClassVar[str | None] = None
    list_params: ClassVar[dict[str, Any] | None] = None
    #: Whether ``save()`` may update and ``delete()`` may delete an existing object.
    can_update: ClassVar[bool] = False
    can_delete: ClassVar[bool] = False
    #: Fields ``save()`` insists on before it sends anything.
    required_fields: ClassVar[tuple[str, ...]] = ()
    #: The query type ``api.select(Model)`` returns.
    query_class: ClassVar[type[Query[Any]] | None] = None

    # The client-side state lives in one slot, not in pydantic private attributes: those are
    # initialised per instance in Python and made page parsing ~3x slower (measured on
    # 100-row EDR process pages).
    __slots__ = ("_st",)

    @property
    def _state(self) -> _State:
        try:
            state: _State = self._st
        except AttributeError:
            state = _State()
            object.__setattr__(self, "_st", state)
        return state

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def _from_server(cls: type[M], api: BaseAPI, data: M, *, full: bool) -> M:
        state = _State(api)
        if full:
            state.full = True
            state.refreshed_at = datetime.datetime.now(datetime.timezone.utc)
        object.__setattr__(data, "_st", state)
        return data

    @classmethod
    def _unfetched(cls: type[M], api: BaseAPI, key: Any) -> M:
        """An object that knows only its key; reading any other field says to refresh."""
        obj = typing.cast(M, cls.model_construct(**{cls._key_field(): key}))
        for name in list(obj.__dict__):
            if name != cls._key_field():
                del obj.__dict__[name]
        object.__setattr__(obj, "_st", _State(api))
        return obj

    @classmethod
    def _blank(cls: type[M], api: BaseAPI) -> M:
        """A new object for ``api.create(Model)``: nothing set, every field set later is "added"."""
        if cls.create_route is None:
            raise errors.ApiError(f"{cls.__name__} objects cannot be created through the API")
        obj = typing.cast(M, cls.model_construct())
        obj.__pydantic_fields_set__ = set()
        state = _State(api)
        state.new = True
        object.__setattr__(obj, "_st", state)
        return obj

    @classmethod
    def _key_field(cls) -> str:
        field = cls.model_fields.get(cls.primary_key)
        if field is not None:
            return cls.primary_key
        for name, info in cls.model_fields.items():
            if info.alias == cls.primary_key:
                return name
        return cls.primary_key

    # -- state ----------------------------------------------------------------------------

    @property
    def api(self) -> BaseAPI:
        api = self._state.api
        if api is None:
            raise errors.ApiError(f"this {type(self).__name__} is not bound to an API object")
        return api

    @property
    def key(self) -> Any:
        """The primary key's value (``None`` for an object not yet saved)."""
        return self.__dict__.get(self._key_field(), (self.model_extra or {}).get(self.primary_key))

    @property
    def is_loaded(self) -> bool:
        """Whether every field has been read from the server (after ``refresh()``)."""
        return self._state.full

    @property
    def is_new(self) -> bool:
        return self._state.new

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)  # type: ignore[misc]
        except AttributeError:
            if name in type(self).model_fields and not name.startswith("_"):
                raise AttributeError(
                    f"{type(self).__name__}({self.key!r}) has not been fetched: "
                    f"await .refresh() (or use api.get) before reading {name!r}"
                ) from None
            raise

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            original = self._state.original
            if name not in original:
                original[name] = self._current(name)
        super().__setattr__(name, value)

    def _current(self, name: str) -> Any:
        if name in self.__dict__:
            return self.__dict__[name]
        return (self.__pydantic_extra__ or {}).get(name, _MISSING)

    def get(self, name: str, default: Any = None) -> Any:
        """A field by its JSON name or attribute name, ``default`` when absent (cbapi's ``.get``)."""
        value = self._current(name)
        if value is _MISSING:
            for field, info in type(self).model_fields.items():
                if info.alias == name:
                    value = self._current(field)
                    break
        return default if value is _MISSING or value is None else value

    def is_dirty(self) -> bool:
        return bool(self.dirty_fields())

    def dirty_fields(self) -> dict[str, str]:
        """Changed fields: ``{"name": "+"}`` for added, ``{"name": "*"}`` for changed."""
        marks: dict[str, str] = {}
        for name, old in self._state.original.items():
            new = self._current(name)
            if new == old:
                continue
            marks[name] = "+" if old is _MISSING or old is None else "*"
        return marks

    def reset(self) -> None:
        """Discard unsaved changes."""
        for name, old in self._state.original.items():
            if old is _MISSING:
                self.__dict__.pop(name, None)
                (self.__pydantic_extra__ or {}).pop(name, None)
            elif name in type(self).model_fields:
                self.__dict__[name] = old
            else:
                if self.__pydantic_extra__ is None:
                    self.__pydantic_extra__ = {}
                self.__pydantic_extra__[name] = old
        self._state.original.clear()

    def _adopt(self, fresh: Model) -> None:
        """Take the state of a freshly fetched copy of this object."""
        self.__dict__.clear()
        self.__dict__.update(fresh.__dict__)
        self.__pydantic_extra__ = dict(fresh.__pydantic_extra__ or {})
        self.__pydantic_fields_set__ = set(fresh.__pydantic_fields_set__)
        state = self._state
        state.original.clear()
        state.full = True
        state.new = False
        state.refreshed_at = datetime.datetime.now(datetime.timezone.utc)

    # -- I/O ------------------------------------------------------------------------------

    @classmethod
    async def _route_for(cls, api: BaseAPI, which: str) -> str | None:
        """The ``"item"``, ``"create"`` or ``"list"`` route; models whose routes depend on the
        server's version (EDR 7.7 renamed some) override this."""
        return {"item": cls.item_route, "create": cls.create_route, "list": cls.list_route}[which]

    @classmethod
    async def fetch_all(cls: type[M], api: BaseAPI) -> list[M]:
        """Every object, from a route that lists them all in one answer."""
        route = await cls._route_for(api, "list")
        if route is None:
            raise errors.ApiError(f"{cls.__name__} objects cannot be listed")
        response = await api.transport.request("GET", route, params=cls.list_params)
        items = response.parse(adapter_for(list[cls]))  # type: ignore[valid-type]
        return [cls._from_server(api, item, full=True) for item in items]

    @classmethod
    def _parse_one(cls: type[M], response: Response) -> M:
        """One object from a GET of its item route (some routes wrap it in an array of one)."""
        if response.content[:1] == b"[":
            items = response.parse(adapter_for(list[cls]))  # type: ignore[valid-type]
            if not items:
                raise errors.ObjectNotFoundError(
                    f"the server returned no {cls.__name__}",
                    status=response.status,
                    route=response.route,
                )
            return typing.cast(M, items[0])
        return response.parse(adapter_for(cls))

    @classmethod
    async def _fetch(cls: type[M], api: BaseAPI, key: Any) -> M:
        """GET one object. Models whose fetch is not a plain GET of the item route override this."""
        route = await cls._route_for(api, "item")
        if route is None:
            raise errors.ApiError(f"{cls.__name__} objects cannot be fetched one by one")
        response = await api.transport.request("GET", route, path_params={"id": key})
        return cls._from_server(api, cls._parse_one(response), full=True)

    async def refresh(self: M) -> M:
        """Reload every field from the server (discarding unsaved changes)."""
        if self.key is None:
            raise errors.InvalidObjectError(f"this {type(self).__name__} has not been saved yet")
        fresh = await type(self)._fetch(self.api, self.key)
        self._adopt(fresh)
        return self

    def _save_payload(self) -> dict[str, Any]:
        """The body ``save()`` sends: the whole object by alias, as the EDR API expects."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=self._state.new)

    def _create_body(self) -> Any:
        return self._save_payload()

    def _update_body(self) -> Any:
        return self._save_payload()

    def _key_from_create(self, body: Any) -> Any:
        """The new object's key from the create answer; a key the caller chose (an MD5, a user
        name) serves when the server answers only ``{"result": "success"}``."""
        if isinstance(body, dict) and body.get(self.primary_key) is not None:
            return body[self.primary_key]
        return self.key

    def _check_required(self) -> None:
        missing = tuple(name for name in self.required_fields if self.get(name) in (None, ""))
        if missing:
            raise errors.InvalidObjectError(
                f"{type(self).__name__} is missing required field(s): {', '.join(missing)}",
                missing=missing,
            )

    async def save(self: M) -> M:
        """Create the object (POST) or send its changes (PUT), then refresh it from the server.

        Raises ``InvalidObjectError`` naming missing required fields before any request.
        """
        self._check_required()
        if self._state.new:
            route = await self._route_for(self.api, "create")
            if route is None:
                raise errors.ApiError(f"{type(self).__name__} objects cannot be created")
            response = await self.api.transport.request("POST", route, json=self._create_body())
            key = self._key_from_create(response.json())
            if key is None:
                raise errors.ServerError(
                    f"creating a {type(self).__name__} returned no {self.primary_key!r}",
                    status=response.status,
                    method="POST",
                    route=route,
                    request_id=response.request_id,
                )
            self.__dict__[self._key_field()] = key
            self._state.new = False
        elif self.is_dirty():
            route = await self._route_for(self.api, "item")
            if not self.can_update or route is None:
                raise errors.ApiError(f"{type(self).__name__} objects cannot be modified")
            await self.api.transport.request(
                "PUT", route, path_params={"id": self.key}, json=self._update_body()
            )
        else:
            return self
        await self.refresh()
        return self

    async def delete(self) -> None:
        route = await self._route_for(self.api, "item")
        if not self.can_delete or route is None:
            raise errors.ApiError(f"{type(self).__name__} objects cannot be deleted")
        if self.key is None:
            raise errors.InvalidObjectError(f"this {type(self).__name__} has not been saved yet")
        await self.api.transport.request("DELETE", route, path_params={"id": self.key})

    # -- printing -------------------------------------------------------------------------

    def __repr__(self) -> str:
        state = "loaded" if self._state.full else ("new" if self._state.new else "partial")
        return f"<{type(self).__name__} {self.primary_key}={self.key!r} ({state})>"

    def __str__(self) -> str:
        state = self._state
        where = state.api.url if state.api is not None else "nothing"
        lines = [f"{type(self).__name__} object, bound to {where}."]
        if state.refreshed_at is not None:
            lines.append(
                f" Last refreshed at {state.refreshed_at.strftime('%a %b %d %H:%M:%S %Y')}"
            )
        else:
            lines.append(" Partially initialized. Use .refresh() to load all attributes")
        lines.append("-" * 79)
        marks = self.dirty_fields()
        values: dict[str, Any] = {}
        for name in type(self).model_fields:
            if name in self.__dict__ and (self.__dict__[name] is not None or name in marks):
                values[name] = self.__dict__[name]
        values.update(self.__pydantic_extra__ or {})
        width = max((len(name) for name in values), default=0)
        for name in sorted(values):
            mark = f"({marks[name]})" if name in marks else "   "
            lines.append(f"{mark} {name:>{width}}: {_short(values[name])}")
        return "\n".join(lines)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."


class _State:
    """What a model object knows beyond its fields: its client and its history."""

    __slots__ = ("_extra", "_original", "api", "full", "new", "refreshed_at")

    def __init__(self, api: BaseAPI | None = None) -> None:
        # One of these is made per row of every page: keep it to plain assignments.
        self.api = api
        self.full = False
        self.new = False
        self.refreshed_at: datetime.datetime | None = None
        self._original: dict[str, Any] | None = None
        self._extra: dict[str, Any] | None = None

    @property
    def original(self) -> dict[str, Any]:
        """Values of fields before the caller changed them."""
        if self._original is None:
            self._original = {}
        return self._original

    @property
    def extra(self) -> dict[str, Any]:
        """Room for subclasses (a process's summary, its depth in a walk)."""
        if self._extra is None:
            self._extra = {}
        return self._extra


class ObjectCache(Generic[T]):
    """The per-client cache behind joins: one fetch per object, identical concurrent fetches
    merged into one request, entries kept ``ttl`` seconds (objects change on the server)."""

    def __init__(self, ttl: float = 300.0, maxsize: int = 10_000) -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self._entries: dict[Hashable, tuple[float, T]] = {}
        self._inflight: dict[Hashable, _Inflight[T]] = {}

    def clear(self) -> None:
        self._entries.clear()

    def put(self, key: Hashable, value: T) -> None:
        if len(self._entries) >= self.maxsize:
            # Drop the oldest tenth; a dict keeps insertion order.
            for old in list(self._entries)[: max(1, self.maxsize // 10)]:
                del self._entries[old]
        self._entries[key] = (anyio.current_time() + self.ttl, value)

    def peek(self, key: Hashable) -> T | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < anyio.current_time():
            return None
        return entry[1]

    async def get(
        self, key: Hashable, fetch: Callable[[], Awaitable[T]], *, fresh: bool = False
    ) -> T:
        """The cached value, or the result of one ``fetch()`` shared by every concurrent caller."""
        while True:
            if not fresh and (cached := self.peek(key)) is not None:
                return cached
            flight = self._inflight.get(key)
            if flight is None:
                break
            await flight.done.wait()
            if flight.error is not None:
                raise flight.error
            if flight.has_value:
                return flight.value  # type: ignore[return-value]
            # The fetching task was cancelled: try again, maybe as the fetcher.
        flight = _Inflight[T]()
        self._inflight[key] = flight
        try:
            value = await fetch()
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as exc:
            flight.error = exc
            raise
        else:
            flight.value = value
            flight.has_value = True
            self.put(key, value)
            return value
        finally:
            del self._inflight[key]
            flight.done.set()


class _Inflight(Generic[T]):
    __slots__ = ("done", "error", "has_value", "value")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.error: Exception | None = None
        self.has_value = False
        self.value: T | None = None
