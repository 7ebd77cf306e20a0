"""The emulator fuzzed from spec/ (schemathesis): whatever a client sends, the answer is a status
the spec documents for that operation, or one of the error statuses every route may give
(``DOCUMENTED_ERRORS``) — never a 500 from a crash, never an exception out of the app, never a hang.

Every operation of spec/edr.yaml, spec/protection.yaml and spec/cloud.yaml gets requests that fit
its schema (positive) and requests that break it (negative: wrong types, missing required fields,
out-of-range values), sent in process to one emulator per family (``httpx.ASGITransport``; no
network). The cloud's ``{org_key}`` is the emulator's own, so requests reach the routes instead of
stopping at the org check; everything else is generated.

Sized for CI: ``EXAMPLES`` requests per operation, derandomized (the same requests on every run,
no example database), ~2,000 requests in all in ~30 s on one core. A deeper run:
``CBASYNC_FUZZ_EXAMPLES=50 pytest tests/hostile/test_emulator_fuzz.py``.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from cbasync.testing import EmulatorConfig, create_app
from cbasync.testing.app import EmulatorApp

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"
FAMILIES = ("edr", "protection", "cloud")
#: Requests per operation in CI (half fit the schema, half break it on average).
EXAMPLES = int(os.environ.get("CBASYNC_FUZZ_EXAMPLES", "6"))
#: Statuses any route may answer whatever its operation lists: a malformed request (400, 413,
#: 422), authentication and authorisation (401, 403), an unknown id (404), a method the path does
#: not take (405), a conflict with the current state (409), the rate limit (429).
DOCUMENTED_ERRORS = frozenset({400, 401, 403, 404, 405, 409, 413, 422, 429})
#: A request to the in-process emulator takes milliseconds; this bounds a hang, not a speed.
REQUEST_DEADLINE = 10.0
# Small enough to build in well under a second, large enough that every kind of object exists.
CONFIG = EmulatorConfig(
    processes=1_000, devices=12, binaries=100, alerts=20, cloud_alerts=40, auth_events=200
)


@functools.cache
def _schema(family: str) -> Any:
    with (SPEC_DIR / f"{family}.yaml").open(encoding="utf-8") as fh:
        document = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return schemathesis.openapi.from_dict(document)


def _operations() -> list[Any]:
    params = []
    for family in FAMILIES:
        for result in _schema(family).get_all_operations():
            operation = result.ok()
            params.append(pytest.param(family, operation, id=f"{family}:{operation.label}"))
    return params


class Emulators:
    """One emulator per family, reached from the (synchronous) hypothesis test through a
    blocking portal: the requests run on the portal's event loop, like any async client."""

    def __init__(self, portal: anyio.from_thread.BlockingPortal) -> None:
        self.portal = portal
        self.apps: dict[str, EmulatorApp] = {}

    def app(self, family: str) -> EmulatorApp:
        if family not in self.apps:
            self.apps[family] = create_app(CONFIG)
        return self.apps[family]

    def send(self, family: str, request: dict[str, Any]) -> httpx.Response:
        return self.portal.call(self._send, self.app(family), request)

    @staticmethod
    async def _send(app: EmulatorApp, request: dict[str, Any]) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://cbserver") as http:
            with anyio.fail_after(REQUEST_DEADLINE):
                response = await http.request(**request)
                await response.aread()
                return response


@pytest.fixture(scope="module")
def emulators() -> Iterator[Emulators]:
    with anyio.from_thread.start_blocking_portal() as portal:
        yield Emulators(portal)


def _as_httpx(case: Any, token: str) -> dict[str, Any]:
    """A schemathesis case (serialised for `requests`) as keyword arguments of httpx."""
    kwargs = case.as_transport_kwargs(base_url="https://cbserver", headers={"X-Auth-Token": token})
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": kwargs.get("headers") or {},
        "params": kwargs.get("params"),
    }
    if kwargs.get("files"):
        request["files"] = kwargs["files"]
        if kwargs.get("data"):
            request["data"] = kwargs["data"]
    elif "json" in kwargs:
        request["content"] = json.dumps(kwargs["json"]).encode()
    elif isinstance(kwargs.get("data"), (bytes, str)):
        request["content"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        request["data"] = kwargs["data"]
    return request


FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize(("family", "operation"), _operations())
def test_every_request_gets_a_documented_status(
    emulators: Emulators, family: str, operation: Any
) -> None:
    app = emulators.app(family)
    fixed = (
        {"org_key": app.config.org_key}
        if any(p.name == "org_key" for p in operation.path_parameters)
        else None
    )
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed),
    )
    documented = {
        int(status) for status in operation.definition.raw.get("responses", {}) if status.isdigit()
    }

    @FUZZ
    @given(cases)
    def fuzz(case: Any) -> None:
        request = _as_httpx(case, app.config.token)
        response = emulators.send(family, request)
        status = response.status_code
        assert status in documented or status in DOCUMENTED_ERRORS, (
            f"{request['method']} {request['url']} answered {status}, which "
            f"{operation.label} does not document: {response.text[:300]}"
        )

    fuzz()


# -- what the fuzzer found: each crashed the emulator (an exception out of the app, a 500) --------

FOUND = [
    # A feed id that is not a number, in the action routes (int("abc") in the backend).
    ("GET", "/api/v1/feed/abc/action_type", None, 404),
    ("GET", "/api/v1/feed/0.5/action", None, 404),
    ("DELETE", "/api/v1/feed/true/action/1", None, 404),
    # Threat report updates whose ids are not {feed id: [report ids]}.
    ("POST", "/api/v1/threat_report", {"ids": {"x": ["r"]}, "updates": {"is_ignored": True}}, 400),
    ("POST", "/api/v1/threat_report", {"ids": {"1": True}, "updates": {"is_ignored": True}}, 400),
    # A team whose group access lacks a group id; a throttle rule whose numbers are not.
    ("POST", "/api/team", {"name": "t", "group_access": [{"access_category": "Viewer"}]}, 400),
    ("POST", "/api/team", {"name": "t", "group_access": [5]}, 400),
    ("POST", "/api/throttle", {"site_id": "£", "bytes_per_second": {}}, 400),
    ("POST", "/api/throttle", {"site_id": 1, "bytes_per_second": "fast"}, 400),
    # Cloud criteria with an object or a list where a value belongs (unhashable).
    (
        "POST",
        "/appservices/v6/orgs/{org_key}/alerts/workflow/_criteria",
        {"state": "DISMISSED", "criteria": {"device_id": [{"a": 1}]}},
        400,
    ),
    (
        "POST",
        "/livequery/v1/orgs/{org_key}/runs/_search",
        {"criteria": {"status": [["ACTIVE"]]}},
        400,
    ),
    # A LiveQuery device filter that is not lists of ids.
    (
        "POST",
        "/livequery/v1/orgs/{org_key}/runs",
        {"sql": "select 1;", "device_filter": {"device_id": True}},
        400,
    ),
    (
        "POST",
        "/livequery/v1/orgs/{org_key}/runs",
        {"sql": "select 1;", "device_filter": {"policy_id": ["x"]}},
        400,
    ),
    (
        "POST",
        "/livequery/v1/orgs/{org_key}/runs",
        {"sql": "select 1;", "device_filter": {"device_id": False}},
        400,
    ),
    ("GET", "/api/v1/feed/\u00b2/action", None, 404),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), FOUND)
def test_requests_that_crashed_the_emulator_are_refused(
    emulators: Emulators, method: str, path: str, body: Any, status: int
) -> None:
    family = "cloud" if "{org_key}" in path else "edr"
    app = emulators.app(family)
    request: dict[str, Any] = {
        "method": method,
        "url": path.format(org_key=app.config.org_key),
        "headers": {"X-Auth-Token": app.config.token},
    }
    if body is not None:
        request["json"] = body
    response = emulators.send(family, request)
    assert response.status_code == status, response.text
