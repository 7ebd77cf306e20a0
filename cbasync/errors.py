"""The exceptions cbasync raises: one tree, rooted at :class:`ApiError`.

::

    ApiError
    ├── ClientError ··························· a 4xx answer, or a request too long to send
    │   ├── QuerySyntaxError ·················· 400 with reason "query_malformed_syntax"
    │   ├── UnauthorizedError ················· 401: bad or expired token, or missing rights
    │   ├── ObjectNotFoundError ··············· 404
    │   ├── RateLimitError ···················· 429 the client could not wait out
    │   └── SessionLimitError ················· 403 "session limit reached" (Live Response)
    ├── ServerError ··························· 5xx, an ``errorMessage`` in a 200, an undecodable body
    ├── TimeoutError ·························· a request or a wait ran out of time (also builtins.TimeoutError)
    ├── ConnectionError ······················· the server could not be reached (also builtins.ConnectionError)
    ├── CredentialError ······················· bad credential files, profiles, environment or arguments
    ├── ClientStateError ······················ a client used after closing, or from another event loop
    ├── InvalidObjectError ···················· an object that cannot be saved as it is
    ├── MoreThanOneResultError ················ ``one()`` found zero or several results
    └── LiveResponseError ····················· a Live Response command failed on the endpoint

Every error that comes from a request carries ``status``, ``method``, ``route`` (the route
template, such as ``/api/v1/process/{id}``) and ``request_id`` — never the API token, the query
string or the body that was sent.
"""

from __future__ import annotations

import builtins
from typing import Any

__all__ = [
    "ApiError",
    "ClientError",
    "ClientStateError",
    "ConnectionError",
    "CredentialError",
    "InvalidObjectError",
    "LiveResponseError",
    "MoreThanOneResultError",
    "ObjectNotFoundError",
    "QuerySyntaxError",
    "RateLimitError",
    "ServerError",
    "SessionLimitError",
    "TimeoutError",
    "UnauthorizedError",
]


class ApiError(Exception):
    """Base of every cbasync error.

    The request metadata is optional because some errors (credentials, invalid objects) do not
    come from a request.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        route: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.route = route
        self.request_id = request_id

    def __str__(self) -> str:
        where = []
        if self.method and self.route:
            where.append(f"{self.method} {self.route}")
        elif self.route:
            where.append(self.route)
        if self.status is not None:
            where.append(f"status {self.status}")
        if self.request_id:
            where.append(f"request id {self.request_id}")
        return f"{self.message} ({', '.join(where)})" if where else self.message

    def __repr__(self) -> str:
        fields = [repr(self.message)]
        for name in ("status", "method", "route", "request_id"):
            value = getattr(self, name)
            if value is not None:
                fields.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(fields)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only metadata would be lost by the default Exception pickling.
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[ApiError], message: str, state: dict[str, Any]) -> ApiError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ClientError(ApiError):
    """The server refused the request (a 4xx status), or the request could not be sent as it
    is (a URL over the length limit; ``status`` is then ``None``)."""


class QuerySyntaxError(ClientError):
    """The server could not parse a search query (400, ``reason: query_malformed_syntax``)."""


class UnauthorizedError(ClientError):
    """401: the token is wrong or expired, or (App Control) the user lacks the rights."""


class ObjectNotFoundError(ClientError):
    """404: no such object, or a Live Response session that has expired."""


class RateLimitError(ClientError):
    """429 that cbasync could not wait out.

    ``retry_after`` is the server's hint in seconds when it sent one (``None`` otherwise): it is
    above the client's ``max_retry_after`` clamp, or the retries ran out.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class SessionLimitError(ClientError):
    """403 "session limit reached": the server has no free Live Response session slot."""


class ServerError(ApiError):
    """The server failed: a 5xx, a 200 carrying ``errorMessage``, or a body that is not JSON."""


class TimeoutError(ApiError, builtins.TimeoutError):
    """A request, or a wait such as a sensor isolation or a search job, ran out of time.

    Also a :class:`builtins.TimeoutError`, so ``except TimeoutError`` catches it either way.
    ``last_response`` holds the last thing a waiter saw, when it was waiting for a state.
    """

    def __init__(self, message: str, *, last_response: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.last_response = last_response


class ConnectionError(ApiError, builtins.ConnectionError):
    """The server could not be reached: DNS, refused or reset connection, TLS failure."""


class CredentialError(ApiError):
    """Credentials could not be loaded: a missing or malformed file, an unknown profile, a
    missing or invalid key. The message names the file, profile and key, never the token."""


class ClientStateError(ApiError, RuntimeError):
    """A client was used in a state that does not allow it: after ``aclose()`` (also while
    another task was using it), opened twice, or from an event loop other than the one that
    opened it."""


class InvalidObjectError(ApiError):
    """An object cannot be saved as it is; ``missing`` names the required fields it lacks."""

    def __init__(self, message: str, *, missing: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.missing = missing


class MoreThanOneResultError(ApiError):
    """``one()`` expected exactly one result and found ``count`` (zero or several)."""

    def __init__(self, message: str, *, count: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.count = count


class LiveResponseError(ApiError):
    """A Live Response command failed on the endpoint.

    ``result_code`` is the unsigned 32-bit code (a Win32 HRESULT when ``result_type`` is
    ``"WinHresult"``), ``result_desc`` the sensor's text when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        result_code: int | None = None,
        result_type: str | None = None,
        result_desc: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.result_code = None if result_code is None else result_code & 0xFFFFFFFF
        self.result_type = result_type
        self.result_desc = result_desc
