"""cbasync: an async-first SDK for the Carbon Black EDR, App Control and Cloud APIs."""

from cbasync._transport import Timeout, Upload
from cbasync._version import __version__
from cbasync.cloud import CBCloudAPI
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
