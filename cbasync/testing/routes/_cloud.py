"""What the cloud route modules share: the org and the job engine, the org-key check and the
mapping of backend refusals to the cloud's error answers.

A path whose ``{org_key}`` is not the configured org is 403 (the answer of a key without access
to that org). A bad criteria/sort/enum value is 400 ``{"error_code": "INVALID_ENUM_VALUE" |
"INVALID_ARGUMENT", "message", "field", "known_values"?}``; an unknown or expired job 404
``NOT_FOUND``. A malformed Lucene query is left to the app: 400 ``query_malformed_syntax``, the
reason every client keys on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from cbasync.testing.dataset.cloud import CloudOrg, cloud_org
from cbasync.testing.jobs import JobEngine, JobNotFoundError, job_engine
from cbasync.testing.routes._common import Handler, Handlers, HttpError, cloud_error, require_org
from cbasync.testing.search import CriteriaError

__all__ = ["CloudHandlers", "body_dict", "cloud_guard", "criteria_error"]


class CloudHandlers(Handlers):
    """Handlers over the state's cloud org and search-job engine (both built on first use)."""

    @property
    def org(self) -> CloudOrg:
        return cloud_org(self.state)

    @property
    def engine(self) -> JobEngine:
        return job_engine(self.state)


def criteria_error(exc: CriteriaError) -> HttpError:
    extra: dict[str, Any] = {}
    if exc.field:
        extra["field"] = exc.field
    if exc.known:
        extra["known_values"] = exc.known
    code = "INVALID_ENUM_VALUE" if exc.known else "INVALID_ARGUMENT"
    return cloud_error(400, code, str(exc), **extra)


def cloud_guard(org_key: str, *, check_org: bool = True) -> Callable[[Handler], Handler]:
    """A wrapper for cloud handlers: the org-key check (unless the route has no org key in its
    path: the org is then the API key's) and the error mapping."""

    def wrap(handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            if check_org:
                require_org(request, org_key)
            try:
                return await handler(request)
            except CriteriaError as exc:
                raise criteria_error(exc) from None
            except JobNotFoundError as exc:
                raise cloud_error(404, "NOT_FOUND", f"Job {exc.job_id} not found") from None

        return guarded

    return wrap


def body_dict(value: Any) -> dict[str, Any]:
    """A JSON body that must be an object (400 otherwise); no body is an empty object."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise cloud_error(400, "INVALID_ARGUMENT", "the request body must be a JSON object")
    return dict(value)
