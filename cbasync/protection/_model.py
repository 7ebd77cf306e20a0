"""The base of the App Control models: a :class:`~cbasync.model.Model` bound to a
``CbProtectionAPI``, its routes named by the object (wire §9.1).

Every App Control object lives at ``/api/bit9platform/v1/<object>`` (search, and POST to create)
and ``/api/bit9platform/v1/<object>/{id}`` (GET, PUT, DELETE). A model says its
``object_name`` and what the API lets it do (``can_create``, ``can_update``, ``can_delete``);
the routes follow. Creates and updates answer with the whole object, which the model adopts:
``save()`` sends one request, not a write and then a read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from typing_extensions import Self

from cbasync import errors
from cbasync.model import Model, adapter_for
from cbasync.protection.query import ProtectionQuery

if TYPE_CHECKING:
    from cbasync._response import Response
    from cbasync.protection.api import CbProtectionAPI

__all__ = ["BASE", "SERVER_MAINTAINED", "ProtectionModel"]

BASE = "/api/bit9platform/v1"

#: Fields the server keeps whatever an update says: who made or changed an object, and when.
SERVER_MAINTAINED = frozenset(
    {
        "id",
        "dateCreated",
        "createdBy",
        "createdByUserId",
        "dateModified",
        "modifiedBy",
        "modifiedByUserId",
        "clVersion",
    }
)

P = TypeVar("P", bound="ProtectionModel")


class ProtectionModel(Model):
    """An App Control object; ``obj.api`` is the :class:`CbProtectionAPI` it came from."""

    __slots__ = ()

    #: The object's name on the wire: ``/api/bit9platform/v1/<object_name>``.
    object_name: ClassVar[str] = ""
    #: The route ``select()`` searches (set from ``object_name`` unless a model says otherwise).
    search_route: ClassVar[str | None] = None
    #: Whether ``api.create(Model)`` then ``save()`` may make one.
    can_create: ClassVar[bool] = False
    #: Names a cbapi user reaches for, and what to write instead
    #: (``{"fileCatalog": "`await instance.file_catalog()`"}``).
    cbapi_names: ClassVar[dict[str, str]] = {}

    if TYPE_CHECKING:

        @property
        def api(self) -> CbProtectionAPI: ...

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Routes from ``object_name``; and, for a model that can be updated but names no
        ``settable_fields``, every field but those the server maintains."""
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.__dict__.get("object_name")
        if name:
            route = f"{BASE}/{name}"
            if "search_route" not in cls.__dict__:
                cls.search_route = route
            cls.item_route = f"{route}/{{id}}"
            cls.create_route = route if cls.can_create else None
        if cls.can_update and "settable_fields" not in cls.__dict__:
            cls.settable_fields = frozenset(cls.model_fields) - SERVER_MAINTAINED

    @classmethod
    def _new_query(cls, api: Any) -> ProtectionQuery[Self]:
        return ProtectionQuery(api, cls)

    if not TYPE_CHECKING:
        # Hidden from type checkers, as Model.__getattr__ is.

        def __getattr__(self, name: str) -> Any:
            try:
                return super().__getattr__(name)
            except AttributeError:
                hint = type(self).cbapi_names.get(name)
                if hint is None:
                    raise
                raise AttributeError(
                    f"{type(self).__name__}.{name} is cbapi's name; here it is {hint}"
                ) from None

    # -- joins ----------------------------------------------------------------------------

    async def _related(self, model: type[P], field: str) -> P | None:
        """The object whose id is in ``field`` (``None`` when the field is empty or 0, App
        Control's "none"), fetched once per client and cached like every join."""
        key = self.get(field)
        if key in (None, 0, ""):
            return None
        return await self.api.get(model, key, cached=True)

    async def _required(self, model: type[P], field: str) -> P:
        related = await self._related(model, field)
        if related is None:
            raise errors.InvalidObjectError(
                f"{type(self).__name__}({self.key!r}) has no {field}: "
                f"there is no {model.__name__} to fetch"
            )
        return related

    # -- saving ---------------------------------------------------------------------------

    def _create_body(self) -> Any:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def _update_body(self) -> Any:
        """The object as the server sent it, with the caller's changes (App Control takes
        the whole object; fields it keeps itself are ignored)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def _check_required(self) -> None:
        # An update sends the whole object, so one made by ``select(Model, id)`` and changed
        # without a fetch would send the changed fields alone, as if the rest were empty.
        if not (self._state.new or self._state.full):
            raise errors.InvalidObjectError(
                f"{type(self).__name__}({self.key!r}) was never fetched: await .refresh() "
                "(or use api.get) before changing and saving it"
            )
        super()._check_required()

    def _update_params(self) -> dict[str, str]:
        """Query parameters an update needs (a computer's flags)."""
        return {}

    async def save(self) -> Self:
        """Create the object (POST) or send its changes (PUT), and take the server's answer,
        which is the whole object as stored.

        Raises ``InvalidObjectError`` naming missing required fields before any request.
        """
        self._check_required()
        cls = type(self)
        transport = self.api.transport
        if self._state.new:
            if cls.create_route is None:
                raise errors.ApiError(f"{cls.__name__} objects cannot be created through the API")
            response = await transport.request("POST", cls.create_route, json=self._create_body())
        elif self.is_dirty():
            if not cls.can_update or cls.item_route is None:
                raise errors.ApiError(f"{cls.__name__} objects cannot be changed through the API")
            response = await transport.request(
                "PUT",
                cls.item_route,
                path_params={"id": self.key},
                params=self._update_params() or None,
                json=self._update_body(),
            )
        else:
            return self
        await self._take_answer(response)
        return self

    async def _take_answer(self, response: Response) -> None:
        """Adopt the object a write answered with; an answer without the object (an id at
        most) is followed by a GET."""
        fresh = type(self)._from_server(
            self.api, response.parse(adapter_for(type(self))), full=True
        )
        if fresh.key is None:
            raise errors.ServerError(
                f"saving a {type(self).__name__} returned no {self.primary_key!r}",
                status=response.status,
                route=response.route,
                request_id=response.request_id,
            )
        received = fresh.model_fields_set | set(fresh.model_extra or {})
        if received <= {self._key_field()}:
            self.__dict__[self._key_field()] = fresh.key
            self._state.new = False
            await self.refresh()
        else:
            self._adopt(fresh)
        # Joins see the object as saved.
        self.api.object_cache.put((type(self), self.key), self)
