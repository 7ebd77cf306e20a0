"""What every API object has: credentials, one transport, a lifecycle, ``with_options``.

Product classes (``CbResponseAPI``, ``CbProtectionAPI``, ``CBCloudAPI``) subclass :class:`BaseAPI`
and add their resources. Constructing one reads the credentials (and raises
``CredentialError`` at once when they are wrong) but touches no network: the connection pool opens
on ``async with`` or on the first request.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypedDict, TypeVar, overload

from cbasync import errors
from cbasync._cache import ObjectCache
from cbasync._error_map import ErrorRule
from cbasync._httpx import HttpClient, HttpTransport, Timeout
from cbasync._response import Response
from cbasync._retry import RetryPolicy
from cbasync._transport import Transport
from cbasync.config import Credentials, Product, Secret, load_credentials

if TYPE_CHECKING:
    from cbasync.model import Model
    from cbasync.query import Searchable

_API = TypeVar("_API", bound="BaseAPI")
M = TypeVar("M", bound="Model")
Q = TypeVar("Q")
_NOT_GIVEN: Any = object()

__all__ = ["ApiOptions", "BaseAPI"]


class ApiOptions(TypedDict, total=False):
    """The keyword arguments of :class:`BaseAPI`, for product classes that add their own and
    pass these on typed (``**options: Unpack[ApiOptions]``); a test keeps the two in step."""

    url: str | None
    token: str | Secret | None
    org_key: str | None
    ssl_verify: bool | None
    ssl_verify_hostname: bool | None
    ssl_cert_file: str | os.PathLike[str] | None
    ssl_force_tls_1_2: bool | None
    proxy: str | None
    ignore_system_proxy: bool | None
    allow_plain_http: bool | None
    integration_name: str | None
    default_timeout: float | None
    credential_file: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
    environ: Mapping[str, str] | None
    timeout: float | Timeout | None
    max_retries: int | None
    max_retry_after: float | None
    max_connections: int | None
    retry_policy: RetryPolicy | None
    max_response_size: int | None
    max_download_size: int | None
    http_client: HttpClient | None
    transport: HttpTransport | None


class BaseAPI:
    """Base of the product API classes.

    ``profile`` names the credential profile (``[default]`` otherwise); keyword arguments named
    like the credential keys override the files and the environment. ``http_client=`` or
    ``transport=`` replace the network (the test seam, e.g. ``httpx.ASGITransport(app=...)``).
    ``max_response_size`` caps what one answer may inflate to (32 MiB by default),
    ``max_download_size`` what a streamed download may bring, unzipped included (4 GiB).
    """

    product: ClassVar[Product]
    #: How this product's answers map onto the error tree beyond what HTTP says (a product's
    #: error dialect: ``query_malformed_syntax``, an ``errorMessage`` in a 200, ...).
    error_rules: ClassVar[tuple[ErrorRule, ...]] = ()

    def __init__(
        self,
        profile: str | None = None,
        *,
        url: str | None = None,
        token: str | Secret | None = None,
        org_key: str | None = None,
        ssl_verify: bool | None = None,
        ssl_verify_hostname: bool | None = None,
        ssl_cert_file: str | os.PathLike[str] | None = None,
        ssl_force_tls_1_2: bool | None = None,
        proxy: str | None = None,
        ignore_system_proxy: bool | None = None,
        allow_plain_http: bool | None = None,
        integration_name: str | None = None,
        default_timeout: float | None = None,
        credential_file: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
        environ: Mapping[str, str] | None = None,
        timeout: float | Timeout | None = None,
        max_retries: int | None = None,
        max_retry_after: float | None = None,
        max_connections: int | None = None,
        retry_policy: RetryPolicy | None = None,
        max_response_size: int | None = None,
        max_download_size: int | None = None,
        http_client: HttpClient | None = None,
        transport: HttpTransport | None = None,
    ) -> None:
        self.credentials: Credentials = load_credentials(
            self.product,
            profile,
            credential_file=credential_file,
            environ=environ,
            url=url,
            token=token,
            org_key=org_key,
            ssl_verify=ssl_verify,
            ssl_verify_hostname=ssl_verify_hostname,
            ssl_cert_file=None if ssl_cert_file is None else os.fspath(ssl_cert_file),
            ssl_force_tls_1_2=ssl_force_tls_1_2,
            proxy=proxy,
            ignore_system_proxy=ignore_system_proxy,
            allow_plain_http=allow_plain_http,
            integration_name=integration_name,
            default_timeout=default_timeout,
        )
        self.transport = Transport(
            self.credentials,
            http_client=http_client,
            transport=transport,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_after=max_retry_after,
            max_connections=max_connections,
            retry_policy=retry_policy,
            max_response_size=max_response_size,
            max_download_size=max_download_size,
            path_defaults=self.path_defaults,
            error_rules=self.error_rules,
        )
        #: Objects fetched by joins and ``get``, shared with ``with_options()`` copies.
        self.object_cache: ObjectCache[Any] = ObjectCache()
        #: Per-client state a feature creates on first use, by name, shared with
        #: ``with_options()`` copies like the cache (Live Response keeps its session slots and
        #: open sessions here, so a copy can never exceed the server's session limit). A value
        #: with an ``aclose()`` coroutine method is closed with the client, before its pool.
        self.shared_state: dict[str, Any] = {}

    @property
    def path_defaults(self) -> Mapping[str, object]:
        """Values every request's route template may use without the caller passing them (the
        cloud's ``{org_key}``), so a model's routes work through the shared fetch, save and
        delete. Read once, when the transport is built."""
        return {}

    # -- objects --------------------------------------------------------------------------

    @overload
    def select(self, model: Searchable[Q]) -> Q: ...
    @overload
    def select(
        self, model: type[M], unique_id: Any, *, force_init: Literal[False] = False
    ) -> M: ...
    @overload
    def select(
        self, model: type[M], unique_id: Any, *, force_init: Literal[True]
    ) -> Awaitable[M]: ...

    def select(self, model: Any, unique_id: Any = _NOT_GIVEN, *, force_init: bool = False) -> Any:
        """A query over ``model`` objects, or one object by its id.

        ``select(Model, id)`` returns an unfetched object at once (no request);
        ``select(Model, id, force_init=True)`` returns an awaitable that fetches it and raises
        ``ObjectNotFoundError`` when it does not exist — the same as ``await api.get(Model, id)``.
        """
        self._check_model(model)
        if unique_id is _NOT_GIVEN:
            new_query = getattr(model, "_new_query", None)
            if new_query is None:
                raise errors.ApiError(
                    f"{model.__name__} objects cannot be searched; use select(Model, id)"
                )
            return new_query(self)
        if force_init:
            return self.get(model, unique_id)
        return model._unfetched(self, unique_id)

    def create(self, model: type[M]) -> M:
        """A new, unsaved object: set its fields, then ``await obj.save()``."""
        self._check_model(model)
        return model._blank(self)

    async def get(self, model: type[M], unique_id: Any, *, cached: bool = False) -> M:
        """Fetch one object. Concurrent identical fetches share one request; ``cached=True``
        also reuses a copy fetched in the last five minutes (what joins do)."""
        self._check_model(model)
        result = await self.object_cache.get(
            (model, unique_id), lambda: model._fetch(self, unique_id), fresh=not cached
        )
        assert isinstance(result, model)
        return result

    def _check_model(self, model: type[Model]) -> None:
        owner = getattr(model, "api_class", None)
        if owner is not None and not isinstance(self, owner):
            raise TypeError(
                f"{model.__name__} belongs to {owner.__name__}, not {type(self).__name__}"
            )

    # -- raw requests (routes the SDK does not wrap) ----------------------------------------

    async def request(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Any request, through the one request path: the token, retries by operation safety,
        the error tree, the log line. ``route`` may be a template (``/api/v1/sensor/{id}``)
        filled from ``path_params``, each value quoted. A POST is retried only when it never
        reached the server, unless ``idempotent=True`` says it is a read (a cloud ``_search``).
        """
        return await self.transport.request(
            method,
            route,
            path_params=path_params,
            params=params,
            json=json,
            content=content,
            headers=headers,
            idempotent=idempotent,
        )

    async def get_object(
        self,
        route: str,
        query_parameters: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        default: Any = None,
        *,
        path_params: Mapping[str, object] | None = None,
    ) -> Any:
        """GET ``route`` and return its decoded JSON (``default`` for an empty answer), as
        cbapi's ``get_object`` did."""
        response = await self.request(
            "GET", route, path_params=path_params, params=query_parameters
        )
        return default if not response.content else response.json()

    async def post_object(
        self,
        route: str,
        body: Any = None,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """POST a JSON body and return the decoded answer (``None`` when empty)."""
        response = await self.request(
            "POST", route, path_params=path_params, params=params, json=body, idempotent=idempotent
        )
        return response.json()

    async def put_object(
        self,
        route: str,
        body: Any = None,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    ) -> Any:
        """PUT a JSON body and return the decoded answer (``None`` when empty)."""
        response = await self.request(
            "PUT", route, path_params=path_params, params=params, json=body
        )
        return response.json()

    async def delete_object(
        self,
        route: str,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    ) -> Any:
        """DELETE and return the decoded answer (``None`` when empty)."""
        response = await self.request("DELETE", route, path_params=path_params, params=params)
        return response.json()

    @property
    def url(self) -> str:
        return self.credentials.url

    @property
    def is_closed(self) -> bool:
        return self.transport.is_closed

    def with_options(
        self: _API,
        *,
        timeout: float | Timeout | None = None,
        max_retries: int | None = None,
    ) -> _API:
        """A copy with other per-call defaults that shares this object's connection pool,
        caches and limits: ``await api.with_options(timeout=5).get(...)``.

        The copy has no lifecycle of its own: close the original.
        """
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.transport = self.transport.with_options(timeout=timeout, max_retries=max_retries)
        return clone

    async def __aenter__(self: _API) -> _API:
        await self.transport.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close what the client's features hold on the server (Live Response sessions whose
        close did not get through), then the connection pool; the object cannot be used
        afterwards."""
        if self.transport.state == "open" and not self.transport.is_view:
            for state in list(self.shared_state.values()):
                closer = getattr(state, "aclose", None)
                if closer is not None:
                    await closer()
        await self.transport.aclose()

    def __repr__(self) -> str:
        state = self.transport.state
        extra = f", org_key={self.credentials.org_key!r}" if self.credentials.org_key else ""
        return (
            f"<{type(self).__name__} url={self.url!r}, profile={self.credentials.profile!r}"
            f"{extra} ({state})>"
        )

    def __getstate__(self) -> Any:
        raise TypeError(f"{type(self).__name__} holds a connection pool and cannot be pickled")
