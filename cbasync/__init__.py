"""cbasync: an async-first SDK for the Carbon Black EDR, App Control and Cloud APIs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cbasync._version import __version__
from cbasync.config import Credentials, Secret, load_credentials
from cbasync.errors import (
    ApiError,
    ClientError,
    ClientStateError,
    ConnectionError,
    CredentialError,
    InvalidObjectError,
    LiveResponseError,
    MoreThanOneResultError,
    ObjectNotFoundError,
    QuerySyntaxError,
    RateLimitError,
    ServerError,
    SessionLimitError,
    TimeoutError,
    UnauthorizedError,
)

if TYPE_CHECKING:
    from cbasync._display import ResultList
    from cbasync._httpx import Timeout
    from cbasync._multipart import Upload
    from cbasync._response import Response
    from cbasync.cloud import CBCloudAPI
    from cbasync.protection import CbProtectionAPI
    from cbasync.response import CbResponseAPI

__all__ = [
    "ApiError",
    "CBCloudAPI",
    "CbProtectionAPI",
    "CbResponseAPI",
    "ClientError",
    "ClientStateError",
    "ConnectionError",
    "CredentialError",
    "Credentials",
    "InvalidObjectError",
    "LiveResponseError",
    "MoreThanOneResultError",
    "ObjectNotFoundError",
    "QuerySyntaxError",
    "RateLimitError",
    "Response",
    "ResultList",
    "Secret",
    "ServerError",
    "SessionLimitError",
    "Timeout",
    "TimeoutError",
    "UnauthorizedError",
    "Upload",
    "__version__",
    "load_credentials",
]

# The API classes pull in httpx and the generated models of their product: load them when first
# named, so `import cbasync` (and the emulator, which lives in cbasync.testing) stays cheap.
_LAZY = {
    "CBCloudAPI": "cbasync.cloud",
    "CbProtectionAPI": "cbasync.protection",
    "CbResponseAPI": "cbasync.response",
    "Response": "cbasync._response",
    "ResultList": "cbasync._display",
    "Timeout": "cbasync._httpx",
    "Upload": "cbasync._multipart",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cbasync' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
