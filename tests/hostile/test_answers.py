"""Hostile server answers (hypothesis): whatever one answer of a real conversation is turned
into, the SDK raises a cbasync error (``errors.ApiError``) or carries on — never a raw
``KeyError``/``TypeError``/``ValidationError``/``JSONDecodeError``/``ExceptionGroup``, never a hang,
never unbounded memory.

Each scenario is a short piece of user code against the emulator (EDR process search, sensors
and a binary; Cloud device and alert searches and a process search job; a Live Response session
on EDR and on the cloud; App Control computers). A proxy transport in front of the emulator lets
every answer through but one, the n-th, which hypothesis picks and spoils:

- cut short (truncated JSON), or replaced by an HTML page with a 200, or by any JSON value;
- a key deleted, or its value replaced by another type, anywhere in the document;
- every number made negative or enormous (totals, starts, ids, counts);
- every list shortened (fewer rows than the total promises);
- the previous answer of the same route served again (a page or cursor that does not advance);
- a gzip body that inflates far past ``max_response_size`` (set to 1 MiB here).

Sized for CI: derandomized (the same examples every run, no example database), ``EXAMPLES`` per
scenario on each event loop. ``CBASYNC_HOSTILE_EXAMPLES=500`` runs a deeper search.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cbasync import CBCloudAPI, CbProtectionAPI, CbResponseAPI, errors
from cbasync._api import BaseAPI
from cbasync._retry import RetryPolicy
from cbasync.cloud import Alert as CloudAlert
from cbasync.cloud import Device
from cbasync.cloud import Process as CloudProcess
from cbasync.protection import Computer
from cbasync.response import Binary, Process, Sensor
from cbasync.testing import EmulatorConfig, create_app
from cbasync.testing.app import EmulatorApp
from cbasync.testing.dataset.endpoints import DEVICE_ID_BASE

pytestmark = pytest.mark.anyio

EXAMPLES = int(os.environ.get("CBASYNC_HOSTILE_EXAMPLES", "20"))
#: A scenario against the in-process emulator takes well under a second; this bounds a hang.
DEADLINE = 15.0
#: Small, so an enormous page or a bomb is cheap to build and still far past the cap.
MAX_RESPONSE_SIZE = 1024 * 1024
CONFIG = EmulatorConfig(
    processes=300,
    devices=6,
    binaries=20,
    alerts=20,
    cloud_alerts=40,
    auth_events=50,
    lr_activation=0.01,
    lr_command_delay=0.002,
    job_duration=0.05,
)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
HOSTILE_NUMBERS = st.sampled_from([-1, -(2**31), 0, 2**31, 2**63, 10**30, 1.5, -0.0])
MUTATIONS = (
    "truncate",
    "html",
    "json",
    "drop_key",
    "wrong_type",
    "numbers",
    "fewer_rows",
    "repeat",
    "bomb",
    "enormous",
)


# -- spoiling one answer --------------------------------------------------------------------


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a JSON document (list items by index), the root excluded."""
    found: list[tuple[Any, ...]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


def _set(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        document = document[key]
    if value is _DELETE:
        del document[path[-1]]
    else:
        document[path[-1]] = value


_DELETE = object()


def _map_numbers(node: Any, number: Any) -> Any:
    if isinstance(node, bool):
        return node
    if isinstance(node, (int, float)):
        return number
    if isinstance(node, list):
        return [_map_numbers(v, number) for v in node]
    if isinstance(node, dict):
        return {k: _map_numbers(v, number) for k, v in node.items()}
    return node


def _shorten_lists(node: Any) -> Any:
    if isinstance(node, list):
        return [_shorten_lists(v) for v in node[: len(node) // 2]]
    if isinstance(node, dict):
        return {k: _shorten_lists(v) for k, v in node.items()}
    return node


def _json(status: int, document: Any) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(document).encode(), headers={"Content-Type": "application/json"}
    )


@dataclass(frozen=True)
class Spoiler:
    """How to spoil one answer, drawn before the run (what is drawn must not depend on the
    order concurrent requests happen to take)."""

    mutation: str
    fraction: float  # where to cut, which key path to touch
    value: Any  # the JSON put in place of a document or a value
    number: Any

    def __call__(self, response: httpx.Response, previous: bytes | None) -> httpx.Response:
        body = response.content
        try:
            document = json.loads(body) if body else None
        except ValueError:
            document = None
        mutation, status = self.mutation, response.status_code
        content_type = {"Content-Type": response.headers.get("content-type", "application/json")}
        if mutation == "truncate" and len(body) > 1:
            return httpx.Response(
                status, content=body[: int(self.fraction * (len(body) - 1))], headers=content_type
            )
        if mutation == "html":
            html = b"<html><head><title>Maintenance</title></head><body>Back soon</body></html>"
            return httpx.Response(200, content=html, headers={"Content-Type": "text/html"})
        if mutation == "json" or document is None:
            return _json(status, self.value)
        if mutation in ("drop_key", "wrong_type"):
            paths = _paths(document)
            if paths:
                path = paths[int(self.fraction * (len(paths) - 1))]
                _set(document, path, _DELETE if mutation == "drop_key" else self.value)
            return _json(status, document)
        if mutation == "numbers":
            return _json(status, _map_numbers(document, self.number))
        if mutation == "fewer_rows":
            return _json(status, _shorten_lists(document))
        if mutation == "repeat" and previous is not None:
            return httpx.Response(status, content=previous, headers=content_type)
        if mutation == "bomb":
            # ~10 KB on the wire, 8 MiB once inflated: 8 times the cap.
            return httpx.Response(
                status, content=BOMB, headers={**content_type, "Content-Encoding": "gzip"}
            )
        if mutation == "enormous":
            # A well-formed page of 2 MiB: twice the cap, plain.
            rows = [{"id": i, "name": "x" * 100} for i in range(16_000)]
            return _json(
                status, {"results": rows, "total_results": len(rows), "num_found": len(rows)}
            )
        return httpx.Response(status, content=body, headers=content_type)


BOMB = gzip.compress(b"[" + b" " * (8 * 1024 * 1024) + b"]", compresslevel=9)
SPOILERS = st.builds(
    Spoiler,
    mutation=st.sampled_from(MUTATIONS),
    fraction=st.floats(0, 1),
    value=JSON,
    number=HOSTILE_NUMBERS,
)


class HostileProxy(httpx.AsyncBaseTransport):
    """The emulator behind a transport that spoils answer number ``target`` (0-based)."""

    def __init__(self, app: EmulatorApp, spoiler: Spoiler | None, target: int) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.spoiler = spoiler
        self.target = target
        self.sent = 0
        self.previous: dict[str, bytes] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        await response.aclose()
        number, self.sent = self.sent, self.sent + 1
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
        }
        clean = httpx.Response(response.status_code, content=body, headers=headers)
        key = f"{request.method} {request.url.path}"
        previous = self.previous.get(key)
        self.previous[key] = body
        if number != self.target or self.spoiler is None:
            return clean
        return self.spoiler(clean, previous)


# -- the scenarios: short user code, one per product area ------------------------------------

Scenario = Callable[[Any], Awaitable[object]]


async def edr_search(api: CbResponseAPI) -> object:
    rows = [p.process_name async for p in api.select(Process).where("process_name:*")[:45]]
    sensors = [s.hostname async for s in api.select(Sensor)]
    binary = await api.select(Binary).first()
    return rows, sensors, binary and binary.md5


async def edr_live_response(api: CbResponseAPI) -> object:
    async with api.live_response.session(1) as lr:
        return await lr.list_processes(), await lr.get_file("C:\\Windows\\win.ini")


async def cloud_devices_and_alerts(api: CBCloudAPI) -> object:
    devices = [d.id async for d in api.select(Device).batch_size(4)]
    alerts = [a.id async for a in api.select(CloudAlert)[:25]]
    return devices, alerts


async def cloud_process_job(api: CBCloudAPI) -> object:
    query = api.select(CloudProcess).where("process_name:svchost.exe").batch_size(10)
    return [p.process_guid async for p in query[:30]]


async def cloud_live_response(api: CBCloudAPI) -> object:
    async with api.live_response.session(DEVICE_ID_BASE) as lr:
        return await lr.list_directory("C:\\Windows\\"), await lr.get_file("C:\\Windows\\win.ini")


async def app_control(api: CbProtectionAPI) -> object:
    return [c.id async for c in api.select(Computer).batch_size(3)[:10]]


SCENARIOS: dict[str, tuple[type[BaseAPI], Scenario]] = {
    "edr-search": (CbResponseAPI, edr_search),
    "edr-live-response": (CbResponseAPI, edr_live_response),
    "cloud-devices-alerts": (CBCloudAPI, cloud_devices_and_alerts),
    "cloud-process-job": (CBCloudAPI, cloud_process_job),
    "cloud-live-response": (CBCloudAPI, cloud_live_response),
    "app-control": (CbProtectionAPI, app_control),
}


def _client(api_class: type[BaseAPI], app: EmulatorApp, proxy: HostileProxy) -> BaseAPI:
    options: dict[str, Any] = {
        "url": "https://cbserver.emulator",
        "token": app.config.token,
        "environ": {},
        "transport": proxy,
        "max_response_size": MAX_RESPONSE_SIZE,
        # One quick retry: a spoiled answer that is retried must not hide a crash.
        "retry_policy": RetryPolicy(backoff_base=0.0, max_retries=1),
    }
    if api_class.product == "cloud":
        options["org_key"] = app.config.org_key
    return api_class(**options)


async def _run(name: str, spoiler: Spoiler | None, target: int) -> tuple[int, object]:
    api_class, scenario = SCENARIOS[name]
    app = create_app(CONFIG)
    proxy = HostileProxy(app, spoiler, target)
    with anyio.fail_after(DEADLINE):
        async with _client(api_class, app, proxy) as api:
            result = await scenario(api)
    return proxy.sent, result


_clean_counts: dict[str, int] = {}


async def _requests_of_a_clean_run(name: str) -> int:
    if name not in _clean_counts:
        _clean_counts[name] = (await _run(name, None, -1))[0]
    return _clean_counts[name]


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_a_clean_run_succeeds(name: str) -> None:
    sent, result = await _run(name, None, -1)
    assert sent > 1
    assert result


@pytest.mark.parametrize("name", list(SCENARIOS))
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spoiler=SPOILERS, where=st.floats(0, 1))
async def test_one_spoiled_answer_is_a_cbasync_error(
    name: str, spoiler: Spoiler, where: float
) -> None:
    requests = await _requests_of_a_clean_run(name)
    try:
        await _run(name, spoiler, int(where * (requests - 1)))
    except errors.ApiError as exc:
        text = str(exc)
        assert text.strip(), "an error must say what happened"
