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
import difflib
import typing
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

import pydantic

from cbasync import _display, errors
from cbasync._gc import collection_deferred
from cbasync._join import BoundJoin, ItemAccess, join
from cbasync.models._base import CbModel

if TYPE_CHECKING:
    from cbasync._cache import ObjectCache
    from cbasync._response import Response
    from cbasync._transport import Transport

__all__ = ["ApiClient", "BoundJoin", "ItemAccess", "Model", "adapter_for", "join"]

M = TypeVar("M", bound="Model")
S = TypeVar("S")
T = TypeVar("T")

_MISSING: Any = object()


_ADAPTERS: dict[Any, pydantic.TypeAdapter[Any]] = {}


def adapter_for(tp: type[T]) -> pydantic.TypeAdapter[T]:
    """One cached ``TypeAdapter`` per type: building one costs far more than a page parse."""
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = pydantic.TypeAdapter(tp)
    return adapter


class ApiClient(Protocol):
    """What a model (and a query) needs of the API object it came from. ``ApiClient`` is one; a
    product's models narrow it to their product's API class (``EdrModel.api``). Typed as a
    protocol so that this module does not depend on the API layer above it."""

    transport: Transport
    object_cache: ObjectCache[Any]

    @property
    def url(self) -> str: ...

    async def get(self, model: type[M], unique_id: Any, *, cached: bool = False) -> M: ...


class Model(CbModel):
    """Base of every product model. Subclasses set the class variables below."""

    # Joins are descriptors, not fields.
    model_config = pydantic.ConfigDict(ignored_types=(join,))

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
    #: The fields ``save()`` can change on an existing object (``None``: any field). Setting
    #: another one raises at once instead of being silently dropped by ``save()``.
    settable_fields: ClassVar[frozenset[str] | None] = None
    #: What to do instead of setting a name: ``{"group": "await sensor.set_group(group)"}``.
    setter_hints: ClassVar[dict[str, str]] = {}
    #: Fields shown beside the key in ``repr()`` and in result tables (empty: the first three
    #: of ``cbasync._display.SUMMARY_CANDIDATES`` the object has).
    display_fields: ClassVar[tuple[str, ...]] = ()

    # The client-side state lives in one slot, not in pydantic private attributes: those are
    # initialised per instance in Python and made page parsing ~3x slower (measured on
    # 100-row EDR process pages).
    __slots__ = ("_st",)
    if TYPE_CHECKING:
        _st: _State

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
    def _from_server(cls: type[M], api: ApiClient, data: M, *, full: bool) -> M:
        state = _State(api)
        if full:
            state.full = True
            state.refreshed_at = datetime.datetime.now(datetime.timezone.utc)
        object.__setattr__(data, "_st", state)
        return data

    @classmethod
    def _from_rows(cls: type[M], api: ApiClient, rows: Iterable[M], *, full: bool) -> list[M]:
        """:meth:`_from_server` for every row of a page (a state object each), with the
        collector's passes deferred until the page is built (``cbasync._gc``)."""
        with collection_deferred():
            return [cls._from_server(api, row, full=full) for row in rows]

    @classmethod
    def _unfetched(cls: type[M], api: ApiClient, key: Any) -> M:
        """An object that knows only its key; reading any other field says to refresh."""
        obj = typing.cast(M, cls.model_construct(**{cls._key_field(): key}))
        for name in list(obj.__dict__):
            if name != cls._key_field():
                del obj.__dict__[name]
        state = _State(api)
        state.stub = True
        object.__setattr__(obj, "_st", state)
        return obj

    @classmethod
    def _blank(cls: type[M], api: ApiClient) -> M:
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
    def api(self) -> ApiClient:
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

    if not TYPE_CHECKING:
        # Hidden from type checkers (as pydantic hides its own): a misspelt attribute is a
        # type error, not ``Any``.

        def __getattr__(self, name: str) -> Any:
            try:
                return super().__getattr__(name)
            except AttributeError:
                if name in type(self).model_fields and not name.startswith("_"):
                    raise AttributeError(
                        f"{type(self).__name__}({self.key!r}) has not been fetched: "
                        f"await .refresh() (or use api.get) before reading {name!r}"
                    ) from None
                raise

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            self._check_settable(name)
            if name in type(self).model_fields:
                value = self._checked(name, value)
            original = self._state.original
            if name not in original:
                original[name] = self._current(name)
        super().__setattr__(name, value)

    def _checked(self, name: str, value: Any) -> Any:
        """``value`` as the declared field ``name`` holds it ("5" for an integer becomes 5).
        A value of the wrong type is refused here, naming the field, rather than sent by
        ``save()`` (pydantic would only warn while serialising it) for the server to reject."""
        try:
            return _field_adapter(type(self), name).validate_python(value)
        except pydantic.ValidationError as exc:
            problem = exc.errors(include_url=False)[0]["msg"]
            raise errors.InvalidObjectError(
                f"{type(self).__name__}.{name} cannot be set to a {type(value).__name__}: {problem}"
            ) from None

    def _check_settable(self, name: str) -> None:
        """Refuse, naming the field, a write that ``save()`` would silently drop."""
        cls = type(self)
        what = f"{cls.__name__}.{name}"
        if name in cls.setter_hints:
            raise AttributeError(f"{what} cannot be set: use {cls.setter_hints[name]}")
        if isinstance(cls.__dict__.get(name), join) or any(
            isinstance(base.__dict__.get(name), join) for base in cls.__mro__
        ):
            raise AttributeError(f"{what} is a join; it cannot be set")
        if isinstance(getattr(cls, name, None), property):
            if getattr(cls, name).fset is None:
                raise AttributeError(f"{what} is computed from other fields and cannot be set")
            return
        known = name in cls.model_fields or name in (self.__pydantic_extra__ or {})
        if not known:
            if callable(getattr(cls, name, None)):
                raise AttributeError(f"{what} is a method; call it (await {name}(...))")
            close = difflib.get_close_matches(name, list(cls.model_fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise AttributeError(f"{cls.__name__} has no field {name!r}{hint}")
        if self._state.new:
            return
        if not cls.can_update:
            raise AttributeError(
                f"{what} cannot be changed: the API does not update {cls.__name__} objects"
            )
        if cls.settable_fields is not None and name not in cls.settable_fields:
            raise AttributeError(
                f"{what} cannot be changed through the API; these can: "
                f"{', '.join(sorted(cls.settable_fields))}"
            )

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
        state.stub = False
        state.refreshed_at = datetime.datetime.now(datetime.timezone.utc)

    # -- I/O ------------------------------------------------------------------------------

    @classmethod
    async def _route_for(cls, api: ApiClient, which: str) -> str | None:
        """The ``"item"``, ``"create"`` or ``"list"`` route; models whose routes depend on the
        server's version (EDR 7.7 renamed some) override this."""
        return {"item": cls.item_route, "create": cls.create_route, "list": cls.list_route}[which]

    @classmethod
    async def fetch_all(cls: type[M], api: ApiClient) -> list[M]:
        """Every object, from a route that lists them all in one answer."""
        route = await cls._route_for(api, "list")
        if route is None:
            raise errors.ApiError(f"{cls.__name__} objects cannot be listed")
        response = await api.transport.request("GET", route, params=cls.list_params)
        items = response.parse(adapter_for(list[cls]))  # type: ignore[valid-type]
        return cls._from_rows(api, items, full=True)

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
    async def _fetch(cls: type[M], api: ApiClient, key: Any) -> M:
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

    @property
    def _never_fetched(self) -> bool:
        """Made by ``api.select(Model, id)`` and not refreshed: it knows only its key."""
        return self._state.stub

    def _check_required(self) -> None:
        if self._never_fetched:
            raise errors.InvalidObjectError(
                f"{type(self).__name__}({self.key!r}) was never fetched: await .refresh() "
                "(or use api.get) before changing and saving it"
            )
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
    # Every display shows what the object holds, never fetches, and masks credentials.

    @property
    def _state_label(self) -> str:
        state = self._state
        if state.stub:
            return "unfetched"
        return "loaded" if state.full else ("new" if state.new else "partial")

    def _set_values(self) -> dict[str, Any]:
        """Fields that hold a value (or were changed), by attribute name, then unknown fields."""
        marks = self.dirty_fields()
        values: dict[str, Any] = {}
        for name in type(self).model_fields:
            if name in self.__dict__ and (self.__dict__[name] is not None or name in marks):
                values[name] = self.__dict__[name]
        values.update(self.__pydantic_extra__ or {})
        return values

    def _display_summary(self) -> dict[str, Any]:
        """The key and the identifying fields, masked: a repr's and a result table's columns."""
        values = self._set_values()
        names = self.display_fields or _display.summary_names(
            _display.SUMMARY_CANDIDATES, (n for n, v in values.items() if v not in (None, "")), 3
        )
        summary = {self.primary_key: self._display_key()}
        for name in names:
            if name != self._key_field() and name in values:
                summary[name] = _display.masked(name, values[name])
        return summary

    def _display_key(self) -> Any:
        """The primary key field's own value (a model whose ``key`` is composite, such as a
        process's (id, segment), still shows its ``id``)."""
        value = self._current(self._key_field())
        return self.key if value is _MISSING else value

    def __repr__(self) -> str:
        shown = " ".join(
            f"{name}={_display.short(repr(value), 60)}"
            for name, value in self._display_summary().items()
        )
        return f"<{type(self).__name__} {shown} ({self._state_label})>"

    def __rich_repr__(self) -> Any:
        """rich's pretty printer: the key, then every field that holds a value (masked)."""
        yield self.primary_key, self._display_key()
        for name, value in self._set_values().items():
            if name != self._key_field():
                yield name, _display.masked(name, value)

    def _repr_html_(self) -> str:
        """Jupyter: a table of the fields that hold a value (masked), changes marked."""
        state = self._state
        marks = self.dirty_fields()
        where = f", bound to {state.api.url}" if state.api is not None else ""
        rows = [
            (marks.get(name, ""), name, _display.masked(name, value))
            for name, value in sorted(self._set_values().items())
        ]
        return _display.object_html(
            f"{type(self).__name__} {self.primary_key}={self._display_key()!r}",
            f"({self._state_label}{where})",
            rows,
        )

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
        values = self._set_values()
        width = max((len(name) for name in values), default=0)
        for name in sorted(values):
            mark = f"({marks[name]})" if name in marks else "   "
            shown = _display.short(_display.masked(name, values[name]))
            lines.append(f"{mark} {name:>{width}}: {shown}")
        return "\n".join(lines)


class _State:
    """What a model object knows beyond its fields: its client and its history."""

    __slots__ = ("_extra", "_original", "api", "full", "new", "refreshed_at", "stub")

    def __init__(self, api: ApiClient | None = None) -> None:
        # One of these is made per row of every page: keep it to plain assignments.
        self.api = api
        self.full = False
        self.new = False
        #: Made by ``api.select(Model, id)``: it knows its key and nothing the server said.
        self.stub = False
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


_FIELD_ADAPTERS: dict[tuple[type[Any], str], pydantic.TypeAdapter[Any]] = {}


def _field_adapter(cls: type[pydantic.BaseModel], name: str) -> pydantic.TypeAdapter[Any]:
    """The validator of one declared field (its type and constraints), built once per class."""
    key = (cls, name)
    adapter = _FIELD_ADAPTERS.get(key)
    if adapter is None:
        field = cls.model_fields[name]
        annotation: Any = field.annotation
        if field.metadata:
            params = (annotation, *field.metadata)
            annotation = typing.Annotated[params]  # Annotated[type, *constraints]
        adapter = _FIELD_ADAPTERS[key] = pydantic.TypeAdapter(annotation)
    return adapter
