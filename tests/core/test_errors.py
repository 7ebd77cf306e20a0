"""The error tree: names, parents, metadata, text and pickling."""

from __future__ import annotations

import builtins
import pickle

import pytest

import cbasync
from cbasync import errors

TREE = {
    "ClientError": "ApiError",
    "QuerySyntaxError": "ClientError",
    "UnauthorizedError": "ClientError",
    "ObjectNotFoundError": "ClientError",
    "RateLimitError": "ClientError",
    "SessionLimitError": "ClientError",
    "ServerError": "ApiError",
    "TimeoutError": "ApiError",
    "ConnectionError": "ApiError",
    "CredentialError": "ApiError",
    "ClientStateError": "ApiError",
    "InvalidObjectError": "ApiError",
    "MoreThanOneResultError": "ApiError",
    "LiveResponseError": "ApiError",
}


@pytest.mark.parametrize(("name", "parent"), TREE.items())
def test_tree(name: str, parent: str) -> None:
    cls = getattr(errors, name)
    assert getattr(errors, parent) in cls.__mro__[1:]
    assert getattr(cbasync, name) is cls  # exported at the top level too


def test_tree_is_drawn_in_the_module_docstring() -> None:
    for name in [*TREE, "ApiError"]:
        assert name in (errors.__doc__ or "")


def test_builtin_compatibility() -> None:
    assert issubclass(errors.TimeoutError, builtins.TimeoutError)
    assert issubclass(errors.ConnectionError, builtins.ConnectionError)
    assert issubclass(errors.ClientStateError, RuntimeError)


def test_text_carries_route_status_and_request_id() -> None:
    error = errors.ObjectNotFoundError(
        "404 Not Found: NOT_FOUND",
        status=404,
        method="GET",
        route="/api/v1/process/{id}",
        request_id="r-1",
    )
    assert (
        str(error)
        == "404 Not Found: NOT_FOUND (GET /api/v1/process/{id}, status 404, request id r-1)"
    )
    assert repr(error) == (
        "ObjectNotFoundError('404 Not Found: NOT_FOUND', status=404, method='GET', "
        "route='/api/v1/process/{id}', request_id='r-1')"
    )
    assert str(errors.CredentialError("no url")) == "no url"


@pytest.mark.parametrize(
    "error",
    [
        errors.RateLimitError(
            "slow down", retry_after=2.5, status=429, method="GET", route="/x", request_id="a"
        ),
        errors.TimeoutError("waited", last_response={"status": "pending"}, route="/y"),
        errors.LiveResponseError(
            "failed",
            result_code=-2147024894,
            result_type="WinHresult",
            result_desc="File not found",
        ),
        errors.InvalidObjectError("missing fields", missing=("name", "url")),
        errors.MoreThanOneResultError("3 results", count=3),
        errors.ServerError("boom", status=500),
    ],
)
def test_errors_pickle_with_their_metadata(error: errors.ApiError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.__dict__ == error.__dict__
    assert str(copy) == str(error)


def test_live_response_codes_are_unsigned() -> None:
    error = errors.LiveResponseError("x", result_code=-2147024894)
    assert error.result_code == 0x80070002
    assert errors.LiveResponseError("x", result_code=2147942487).result_code == 0x80070057
