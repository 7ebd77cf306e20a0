"""The emulator held to the spec: every route spec/*.yaml describes answers what the spec says.

Each operation of spec/edr.yaml, spec/protection.yaml and spec/cloud.yaml with a documented
success answer is called once, in process, on a fresh emulator, with a valid request: path ids
come from the emulator's own data (listed through its routes, or created first when the data has
none), bodies are built minimal and checked against the spec's request model. The answer must
have a documented 2xx status and content type, and a JSON answer must validate against its
generated model in pydantic's strict mode: a declared field of the wrong type (``"5"`` for an
integer) or a missing required field fails; undeclared fields are allowed, as the models keep
them (``extra="allow"``).

The emulator and the spec are written by the same team; this test is what keeps the two from
drifting apart. A route it cannot call is listed in ``NOT_EXERCISED`` with the reason.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Union
from urllib.parse import quote

import httpx
import pytest
import yaml
from pydantic import TypeAdapter, ValidationError
from starlette.routing import Route

from cbasync.models import cloud, edr, protection
from cbasync.testing import EmulatorConfig, ManualClock, create_app
from cbasync.testing.app import EmulatorApp, route_module_names

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """asyncio only: what is checked is the bytes each route answers, which do not depend on
    the event loop (the emulator on trio is exercised by the other tests here). Both loops
    would double the ~10 s this module spends calling ~430 routes on fresh emulators."""
    return "asyncio"


SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"
MODULES: dict[str, ModuleType] = {"edr": edr, "protection": protection, "cloud": cloud}
METHODS = ("get", "post", "put", "patch", "delete")
# Small enough that a fresh emulator per route costs ~25 ms, large enough that every kind of
# object the routes need exists.
CONFIG = EmulatorConfig(
    processes=1_000, devices=12, binaries=100, alerts=20, cloud_alerts=40, auth_events=200
)

# --- the spec's operations --------------------------------------------------------------------


@functools.cache
def spec(family: str) -> dict[str, Any]:
    with (SPEC_DIR / f"{family}.yaml").open(encoding="utf-8") as fh:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document: dict[str, Any] = yaml.load(fh, Loader=loader)
    return document


def _python_type(family: str, schema: dict[str, Any]) -> Any:
    """The generated type a JSON schema names, or None for a body that is not a JSON model."""
    if "$ref" in schema:
        return getattr(MODULES[family], schema["$ref"].rsplit("/", 1)[-1])
    if "oneOf" in schema:
        return Union[tuple(_python_type(family, s) for s in schema["oneOf"])]  # noqa: UP007
    if schema.get("type") == "array" and "$ref" in schema.get("items", {}):
        return list[_python_type(family, schema["items"])]  # type: ignore[misc]
    return None


@dataclass(frozen=True)
class Answer:
    """One documented success answer: a status, a content type (None: no body), and the
    generated type the body must validate against (None: not JSON - a file, CSV)."""

    status: int
    content_type: str | None
    model: Any

    @property
    def adapter(self) -> TypeAdapter[Any]:
        return _adapter(self.model)


@functools.cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


@dataclass(frozen=True)
class Operation:
    family: str
    method: str
    path: str
    operation_id: str
    answers: tuple[Answer, ...]
    parameters: tuple[dict[str, Any], ...]
    request_body: dict[str, Any] | None = field(default=None, hash=False, compare=False)

    @property
    def key(self) -> str:
        return f"{self.family}.{self.operation_id}"

    def request_model(self) -> Any:
        """The generated type of a JSON request body, when the spec names one."""
        if self.request_body is None:
            return None
        content = self.request_body["content"].get("application/json")
        return None if content is None else _python_type(self.family, content["schema"])


def _operations() -> list[Operation]:
    found: list[Operation] = []
    for family in MODULES:
        document = spec(family)
        components = document["components"].get("parameters", {})

        def resolve(parameter: dict[str, Any]) -> dict[str, Any]:
            if "$ref" in parameter:
                return dict(components[parameter["$ref"].rsplit("/", 1)[-1]])  # noqa: B023
            return parameter

        for path, item in document["paths"].items():
            shared = [resolve(p) for p in item.get("parameters", [])]
            for method in METHODS:
                if method not in item:
                    continue
                operation = item[method]
                answers: list[Answer] = []
                for status, response in operation["responses"].items():
                    if not str(status).startswith("2"):
                        continue
                    content = response.get("content") or {}
                    if not content:
                        answers.append(Answer(int(status), None, None))
                    for content_type, media in content.items():
                        model = _python_type(family, media.get("schema", {}))
                        answers.append(Answer(int(status), content_type, model))
                found.append(
                    Operation(
                        family=family,
                        method=method.upper(),
                        path=path,
                        operation_id=operation["operationId"],
                        answers=tuple(answers),
                        parameters=tuple(
                            shared + [resolve(p) for p in operation.get("parameters", [])]
                        ),
                        request_body=operation.get("requestBody"),
                    )
                )
    return found


OPERATIONS = _operations()

# Routes this test does not call, with the reason. Keep it short: every entry is a route the
# emulator may drift on unseen.
_NOT_SERVED = "the emulator does not serve this route yet (nor does any cbasync client call it)"
NOT_EXERCISED: dict[str, str] = {
    **{
        f"cloud.{operation}": _NOT_SERVED
        for operation in (
            # Observations and enriched events: the search-job families beside processes.
            "startObservationSearchJob",
            "getObservationSearchJobResults",
            "startObservationDetailJob",
            "getObservationDetailJobResults",
            "startObservationFacetJob",
            "getObservationFacetJobResults",
            "startEnrichedEventSearchJob",
            "getEnrichedEventSearchJobResults",
            "startEnrichedEventDetailJob",
            "getEnrichedEventDetailJobResults",
            "startEnrichedEventFacetJob",
            "getEnrichedEventFacetJobResults",
            # The Unified Binary Store.
            "getBinaryMetadata",
            "getBinaryDeviceSummary",
            "getBinaryDownloadUrls",
            # LiveQuery differential runs.
            "searchDifferentialRuns",
        )
    },
}

EXERCISED = [op for op in OPERATIONS if op.key not in NOT_EXERCISED]


# --- building a valid request -----------------------------------------------------------------


@dataclass
class Call:
    """What to send: path parameters, query, headers and one body (JSON or files)."""

    path: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    files: dict[str, Any] | None = None
    follow_redirects: bool = False


class Emulator:
    """One fresh emulator and the lookups that find ids in its data."""

    def __init__(self, app: EmulatorApp, http: httpx.AsyncClient) -> None:
        self.app = app
        self.http = http
        self.org = app.config.org_key
        self._cache: dict[str, Any] = {}

    async def request(self, method: str, url: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, url.replace("{org_key}", self.org), **kwargs)
        assert response.is_success, (method, url, response.status_code, response.text)
        return response.json() if response.content else None

    async def get(self, url: str, **params: Any) -> Any:
        return await self.request("GET", url, params=params)

    async def post(self, url: str, body: Any = None) -> Any:
        return await self.request("POST", url, json=body)

    async def once(self, name: str, make: Callable[[], Awaitable[Any]]) -> Any:
        if name not in self._cache:
            self._cache[name] = await make()
        return self._cache[name]

    def advance(self, seconds: float) -> None:
        clock = self.app.clock
        assert isinstance(clock, ManualClock)
        clock.advance(seconds)


Recipe = Callable[[Emulator, Operation, Call], Awaitable[None]]


def minimal(schema: dict[str, Any], family: str, depth: int = 0) -> Any:
    """A minimal instance of a JSON schema: its required properties with their example, const,
    enum or default value, or a placeholder of the right type. A body that is an array gets
    one (minimal) item, nested arrays none."""
    components = spec(family)["components"]["schemas"]
    if "$ref" in schema:
        return minimal(components[schema["$ref"].rsplit("/", 1)[-1]], family, depth)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = minimal(part, family, depth)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for variants in ("oneOf", "anyOf"):
        if variants in schema:
            return minimal(schema[variants][0], family, depth)
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {
            name: minimal(properties.get(name, {}), family, depth + 1)
            for name in schema.get("required", [])
        }
    if kind == "array":
        return [minimal(schema.get("items", {}), family, depth + 1)] if depth == 0 else []
    return {"integer": 1, "number": 1, "boolean": True}.get(kind or "", "contract")


# --- the test ---------------------------------------------------------------------------------


def _render(path: str, values: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        return quote(str(values[match.group(1)]), safe="")

    return re.sub(r"{(\w+)}", value, path)


def _check(operation: Operation, response: httpx.Response) -> None:
    documented = [a for a in operation.answers if a.status == response.status_code]
    assert documented, (
        f"{response.status_code} is not a documented success status of {operation.key} "
        f"({sorted({a.status for a in operation.answers})}): {response.text[:500]}"
    )
    if documented[0].content_type is None:
        assert not response.content, f"{operation.key}: a body where the spec documents none"
        return
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    matching = [a for a in documented if a.content_type == media_type]
    assert matching, f"{operation.key}: content type {media_type!r}, documented: {documented}"
    answer = matching[0]
    if answer.model is None:
        assert response.content, f"{operation.key}: an empty {media_type} body"
        return
    lines = (
        response.content.splitlines()
        if media_type == "application/x-ndjson"
        else [response.content]
    )
    assert lines, f"{operation.key}: an empty body"
    for line in lines:
        try:
            answer.adapter.validate_json(line, strict=True)
        except ValidationError as exc:
            pytest.fail(f"{operation.key} answered what the spec does not allow:\n{exc}")


@functools.cache
def _family_modules(family: str) -> tuple[str, ...]:
    """The emulator's route modules that serve a family's spec paths. A fresh app per route
    costs half as much when it mounts only these (building ~300 Starlette routes is ~25 ms)."""
    paths = [re.sub(r"{\w+}", "1", op.path) for op in OPERATIONS if op.family == family]
    modules = []
    for name in route_module_names():
        app = create_app(CONFIG, clock=ManualClock(), modules=[name])
        patterns = [route.path_regex for route in app.routes if isinstance(route, Route)]
        if any(pattern.match(path) for pattern in patterns for path in paths):
            modules.append(name)
    return tuple(modules)


async def call_operation(operation: Operation) -> httpx.Response:
    app = create_app(CONFIG, clock=ManualClock(), modules=_family_modules(operation.family))
    async with app.http_client() as http:
        emulator = Emulator(app, http)
        call = Call()
        for parameter in operation.parameters:
            if parameter["in"] == "path" and parameter["name"] == "org_key":
                call.path["org_key"] = app.config.org_key
            elif parameter.get("required") and parameter["in"] in ("query", "header"):
                target = call.params if parameter["in"] == "query" else call.headers
                target[parameter["name"]] = minimal(parameter["schema"], operation.family)
        body_model = operation.request_model()
        if operation.request_body is not None and body_model is not None:
            content = operation.request_body["content"]["application/json"]
            call.json = minimal(content["schema"], operation.family)
        await _prepare(operation, emulator, call)
        if call.json is not None and body_model is not None:
            # The request is valid by the spec's own model, so a failure is the answer's fault.
            _adapter(body_model).validate_json(json.dumps(call.json), strict=True)
        return await http.request(
            operation.method,
            _render(operation.path, call.path),
            params=call.params,
            headers=call.headers,
            json=call.json if call.files is None else None,
            files=call.files,
            follow_redirects=call.follow_redirects,
        )


async def _prepare(operation: Operation, emulator: Emulator, call: Call) -> None:
    for name in re.findall(r"{(\w+)}", operation.path):
        if name not in call.path:
            resolver = PATH_VALUES[operation.family].get(name)
            assert resolver is not None, f"{operation.key}: no way to find a {{{name}}}"
            call.path[name] = await resolver(emulator, operation, call)
    recipe = RECIPES.get(operation.key)
    if recipe is None and operation.family == "protection":
        recipe = {"POST": _protection_create, "PUT": _protection_update}.get(operation.method)
    if recipe is None and operation.method == "POST" and operation.path.endswith("_jobs"):
        recipe = _cloud_job_start
    if recipe is not None:
        await recipe(emulator, operation, call)


@pytest.mark.parametrize("operation", EXERCISED, ids=[op.key for op in EXERCISED])
async def test_route_answers_what_the_spec_documents(operation: Operation) -> None:
    response = await call_operation(operation)
    _check(operation, response)


def test_every_route_is_exercised_or_listed_with_a_reason() -> None:
    keys = [op.key for op in OPERATIONS]
    assert len(keys) == len(set(keys)) > 400
    assert set(NOT_EXERCISED) <= set(keys), set(NOT_EXERCISED) - set(keys)
    assert all(reason.strip() for reason in NOT_EXERCISED.values())
    assert all(op.answers for op in EXERCISED), "an operation without a documented 2xx answer"


async def test_a_root_process_summary_has_the_empty_parent_real_servers_send() -> None:
    """EDR answers "parent": {} for a process without a recorded parent; the spec allows it
    (EmptyObject) and nothing else in its place: {"id": 5} would not validate."""
    app = create_app(CONFIG, clock=ManualClock(), modules=_family_modules("edr"))
    async with app.http_client() as http:
        page = (await http.get("/api/v1/process", params={"q": "", "rows": 20})).json()
        for process in page["results"]:
            url = f"/api/v1/process/{process['id']}/{process['segment_id']}"
            answer = await http.get(url)
            if answer.json()["parent"] == {}:
                break
        else:
            pytest.fail("no root process among the first 20")
    summary = edr.ProcessSummaryResponse.model_validate_json(answer.content, strict=True)
    assert isinstance(summary.parent, edr.EmptyObject)
    with pytest.raises(ValidationError):
        edr.ProcessSummaryResponse.model_validate({"parent": {"id": 5}}, strict=True)


# --- where ids come from ----------------------------------------------------------------------
# A resolver finds a value for one path parameter; it runs in path order, so it can read the
# values found before it (an action id needs its watchlist's id) and may adjust them.

PathValue = Callable[[Emulator, Operation, Call], Awaitable[Any]]


def _constant(value: Any) -> PathValue:
    async def constant(emulator: Emulator, operation: Operation, call: Call) -> Any:
        return value

    return constant


def _first(url: str, key: str, **params: Any) -> PathValue:
    """The ``key`` of the first object a list or search route answers."""

    async def value(emulator: Emulator, operation: Operation, call: Call) -> Any:
        answer = await emulator.get(url, **params)
        rows = answer["results"] if isinstance(answer, dict) and "results" in answer else answer
        assert rows, f"{url} lists nothing"
        return rows[0][key]

    return value


async def _edr_process(emulator: Emulator) -> dict[str, Any]:
    async def first() -> dict[str, Any]:
        # The first process of the default dataset is a root process: its v1 summary has
        # "parent": {}, the case real servers send and the spec must allow.
        page = await emulator.get("/api/v1/process", q="", rows=1)
        result: dict[str, Any] = page["results"][0]
        return result

    result: dict[str, Any] = await emulator.once("edr.process", first)
    return result


async def _edr_process_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    return (await _edr_process(emulator))["id"]


async def _edr_segment_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    return (await _edr_process(emulator))["segment_id"]


async def _edr_stream_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    process = await _edr_process(emulator)
    stream = await emulator.post(
        "/api/v6/process/stream",
        {"process_id": process["id"], "segment_id": process["segment_id"]},
    )
    return stream["stream_id"]


async def _edr_md5(emulator: Emulator, operation: Operation, call: Call) -> Any:
    binary = await _first("/api/v1/binary", "md5", q="")(emulator, operation, call)
    if "/banning/" in operation.path:
        # A banned hash: ban one through the route family the operation belongs to.
        base = operation.path.rsplit("/", 1)[0]
        await emulator.post(base, {"md5hash": binary, "text": "contract"})
    return binary


async def _edr_action_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    owner = operation.path.split("/{", 1)[0]  # /api/v1/watchlist or /api/v1/feed
    oid = call.path["watchlist_id" if "watchlist" in owner else "feed_id"]
    created = await emulator.post(f"{owner}/{oid}/action", {"action_type": 0})
    return created["id"]


async def _edr_report_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    page = await emulator.get("/api/v1/threat_report", q="", rows=1)
    report = page["results"][0]
    call.path["feed_id"] = report["feed_id"]
    return report["id"]


async def _edr_group_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    if operation.method == "DELETE":  # the default group cannot be deleted
        created = await emulator.post(operation.path.split("/{", 1)[0], {"name": "contract"})
        return created["id"]
    return await _first("/api/group", "id")(emulator, operation, call)


async def _edr_partition_name(emulator: Emulator, operation: Operation, call: Call) -> Any:
    partitions = await emulator.get("/api/v1/storage/events/partition")
    wanted = "cold" if operation.path.endswith("/mount") else "warm"
    return next(name for name, p in partitions.items() if p["status"] == wanted)


async def _edr_entry_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    added = await emulator.post("/api/v1/approvedlist/entries", {"ipaddr": "192.0.2.10"})
    return added["id"] if isinstance(added, dict) else added


async def _edr_site_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    if operation.method == "DELETE":  # the default site cannot be deleted
        return (await emulator.post("/api/site", {"name": "contract"}))["id"]
    return await _first("/api/site", "id")(emulator, operation, call)


async def _edr_rule_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    rule = {"site_id": 1, "day_of_week": 1, "from": 0, "to": 24, "bytes_per_second": 1000}
    return (await emulator.post("/api/throttle", rule))["id"]


async def _edr_session_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    async def open_session() -> Any:
        session = await emulator.post("/api/v1/cblr/session", {"sensor_id": 1})
        emulator.advance(CONFIG.lr_activation)  # the sensor checks in: the session is active
        return session["id"]

    return await emulator.once("edr.session", open_session)


async def _edr_command_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    sid = call.path["session_id"]
    command = await emulator.post(
        f"/api/v1/cblr/session/{sid}/command", {"session_id": sid, "name": "process list"}
    )
    if operation.method == "GET":
        emulator.advance(CONFIG.lr_command_delay * 2)  # done
    return command["id"]


async def _edr_file_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    sid = call.path["session_id"]
    response = await emulator.http.post(
        f"/api/v1/cblr/session/{sid}/file", files={"file": ("contract.txt", b"contract\n")}
    )
    assert response.is_success, response.text
    return response.json()["id"]


# App Control: one generic route family; objects a kind lets the API create are created for the
# routes that change or delete one (seeded rows may be read-only).
_PROTECTION = "/api/bit9platform/v1"
_PROTECTION_NEW: dict[str, dict[str, Any]] = {
    "fileRule": {"fileState": 2, "hash": "0123456789ABCDEF0123456789ABCDEF", "name": "contract"},
    "policy": {"name": "contract", "enforcementLevel": 20},
    "trustedDirectory": {"name": "contract", "path": "c:\\contract"},
    "connector": {
        "name": "contract",
        "analysisName": "contract",
        "connectorVersion": "1.0",
        "canAnalyze": False,
        "enabled": True,
        "analysisEnabled": False,
    },
    "notification": {"analysisResult": 1, "fileAnalysisId": 1},
    "fileAnalysis": {"computerId": 1, "fileCatalogId": 1, "connectorId": 1},
    "fileUpload": {"computerId": 1, "fileCatalogId": 1},
    "trustedUser": {
        "name": "contract",
        "userSid": "S-1-5-21-1-2-3-4",
        "description": "contract",
        "platformId": 1,
    },
}


def _protection_kind(operation: Operation) -> str:
    return operation.path.split("/")[4]


def _protection_creatable(kind: str) -> bool:
    return any(
        op.family == "protection"
        and op.method == "POST"
        and op.path == f"{_PROTECTION}/{kind}"
        and op.operation_id.startswith("create")  # not an update-only POST (fileInstance)
        for op in OPERATIONS
    )


async def _protection_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    kind = _protection_kind(operation)
    if _protection_creatable(kind) and operation.method in ("PUT", "DELETE"):
        return (await emulator.post(f"{_PROTECTION}/{kind}", _protection_new(kind)))["id"]
    rows = await emulator.get(f"{_PROTECTION}/{kind}", limit=1)
    if not rows and _protection_creatable(kind):
        return (await emulator.post(f"{_PROTECTION}/{kind}", _protection_new(kind)))["id"]
    assert rows, f"no {kind} in the App Control dataset"
    return rows[0]["id"]


def _protection_new(kind: str) -> dict[str, Any]:
    return _PROTECTION_NEW.get(kind, {"name": "contract"})


# Carbon Black Cloud.
_V6 = "/appservices/v6/orgs/{org_key}"
_V7 = "/api/alerts/v7/orgs/{org_key}"
_INVESTIGATE = "/api/investigate/v2/orgs/{org_key}"
_FEEDS = "/threathunter/feedmgr/v2/orgs/{org_key}"
_WATCHLISTS = "/threathunter/watchlistmgr/v3/orgs/{org_key}"
_LIVEQUERY = "/livequery/v1/orgs/{org_key}"
_DEFENSE = "/integrationServices/v3"
_REPORT = {
    "id": "contract-report",
    "timestamp": 1_714_000_000,
    "title": "Contract report",
    "description": "A report made by the contract test",
    "severity": 5,
    "iocs_v2": [
        {"id": "ioc1", "match_type": "equality", "field": "process_name", "values": ["bad.exe"]}
    ],
}
_FEED_INFO = {
    "name": "Contract",
    "provider_url": "https://intel.example.com",
    "summary": "A feed made by the contract test",
    "category": "Contract",
}


async def _cloud_device(emulator: Emulator) -> dict[str, Any]:
    """The first device: an online Windows endpoint (Live Response sessions activate)."""

    async def first() -> dict[str, Any]:
        page = await emulator.post(
            f"{_V6}/devices/_search", {"rows": 1, "sort": [{"field": "id", "order": "ASC"}]}
        )
        device: dict[str, Any] = page["results"][0]
        return device

    device: dict[str, Any] = await emulator.once("cloud.device", first)
    return device


async def _cloud_device_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    return (await _cloud_device(emulator))["id"]


async def _cloud_alert(emulator: Emulator) -> dict[str, Any]:
    async def first() -> dict[str, Any]:
        page = await emulator.post(f"{_V7}/alerts/_search", {"rows": 1})
        alert: dict[str, Any] = page["results"][0]
        return alert

    alert: dict[str, Any] = await emulator.once("cloud.alert", first)
    return alert


async def _cloud_alert_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    return (await _cloud_alert(emulator))["id"]


async def _cloud_threat_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    return (await _cloud_alert(emulator))["threat_id"]


async def _cloud_note_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    notes = _render(operation.path.rsplit("/", 1)[0], call.path)
    return (await emulator.post(notes, {"note": "contract"}))["id"]


async def _cloud_request_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    threat = (await _cloud_alert(emulator))["threat_id"]
    answer = await emulator.post(
        f"{_V6}/threat/workflow/_criteria", {"threat_id": [threat], "state": "DISMISSED"}
    )
    return answer["request_id"]


async def _cloud_process(emulator: Emulator) -> dict[str, Any]:
    """A process with children, from a finished process search job."""

    async def first() -> dict[str, Any]:
        job = await emulator.post(
            f"{_INVESTIGATE}/processes/search_jobs", {"query": "childproc_count:2", "rows": 1}
        )
        emulator.advance(CONFIG.job_duration)
        page = await emulator.get(f"{_INVESTIGATE}/processes/search_jobs/{job['job_id']}/results")
        process: dict[str, Any] = page["results"][0]
        return process

    process: dict[str, Any] = await emulator.once("cloud.process", first)
    return process


async def _cloud_auth_event(emulator: Emulator) -> dict[str, Any]:
    job = await emulator.post(
        f"{_INVESTIGATE}/auth_events/search_jobs", {"query": "auth_username:SYSTEM", "rows": 1}
    )
    emulator.advance(CONFIG.job_duration)
    page = await emulator.get(f"{_INVESTIGATE}/auth_events/search_jobs/{job['job_id']}/results")
    event: dict[str, Any] = page["results"][0]
    return event


async def _cloud_job_body(emulator: Emulator, start: str) -> dict[str, Any]:
    """A valid body for the route that starts a search job (by its last two path segments)."""
    kind = "/".join(start.split("/")[-2:])
    if kind == "processes/detail_jobs":
        return {"process_guids": [(await _cloud_process(emulator))["process_guid"]]}
    if kind == "processes/summary_jobs":
        return {"process_guid": (await _cloud_process(emulator))["process_guid"]}
    if kind == "auth_events/detail_jobs":
        return {"event_ids": [(await _cloud_auth_event(emulator))["event_id"]]}
    if kind.endswith("facet_jobs"):
        field = "auth_username" if kind.startswith("auth_events") else "process_name"
        return {"query": f"{field}:*", "terms": {"fields": [field]}}
    if kind.startswith("auth_events"):
        return {"query": "auth_username:SYSTEM", "rows": 5}
    return {"query": "process_name:*", "rows": 5}


async def _cloud_job_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    if operation.path.startswith("/jobs/"):  # the Jobs service: a device export makes one
        job = await emulator.post(f"{_V6}/devices/_export", {"format": "CSV"})
        emulator.advance(CONFIG.job_duration)
        return job["id"]
    start = operation.path.split("/{job_id}", 1)[0].replace(
        "/api/investigate/v1/", "/api/investigate/v2/"
    )
    job = await emulator.post(start, await _cloud_job_body(emulator, start))
    emulator.advance(CONFIG.job_duration)  # the job has finished: its results are complete
    return job["job_id"]


async def _cloud_process_guid(emulator: Emulator, operation: Operation, call: Call) -> Any:
    return (await _cloud_process(emulator))["process_guid"]


async def _cloud_feed_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    feed = await emulator.post(f"{_FEEDS}/feeds", {"feedinfo": _FEED_INFO, "reports": [_REPORT]})
    return feed["id"]


async def _cloud_report_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    if "feed_id" in call.path:  # a report of the feed made above
        return _REPORT["id"]
    if operation.path.endswith("/severity"):  # severities are set on feed reports
        feed = await _cloud_feed_id(emulator, operation, call)
        return f"{feed}-{_REPORT['id']}"
    return (await emulator.post(f"{_WATCHLISTS}/reports", _REPORT))["id"]


async def _cloud_watchlist_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    if operation.path.startswith("/threathunter/watchlistmgr/v2/"):
        legacy = await emulator.get("/threathunter/watchlistmgr/v2/watchlist")
        return legacy["results"][0]["id"]
    created = await emulator.post(f"{_WATCHLISTS}/watchlists", {"name": "Contract"})
    return created["id"]


async def _cloud_run_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    device = await _cloud_device(emulator)
    run = await emulator.post(
        f"{_LIVEQUERY}/runs",
        {"sql": "SELECT * FROM system_info", "device_filter": {"device_id": [device["id"]]}},
    )
    if operation.operation_id != "stopRun":  # only an active run can be stopped
        emulator.advance(CONFIG.job_duration)
    return run["id"]


async def _cloud_template_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    return (await emulator.post(f"{_LIVEQUERY}/templates", _TEMPLATE))["id"]


_TEMPLATE = {
    "name": "Contract",
    "sql": "SELECT * FROM system_info",
    "schedule": {"rrule": "RRULE:FREQ=DAILY;BYHOUR=17;BYMINUTE=30;BYSECOND=0", "timezone": "UTC"},
}


async def _cloud_policy_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    if operation.method == "GET":
        return (await emulator.get(f"{_DEFENSE}/policy"))["results"][0]["id"]
    created = await emulator.post(
        f"{_DEFENSE}/policy", {"policyInfo": {"name": "Contract", "policy": {}}}
    )
    return created["policyId"]


_POLICY_RULE = {
    "ruleInfo": {
        "action": "TERMINATE",
        "application": {"type": "REPUTATION", "value": "KNOWN_MALWARE"},
        "operation": "INVOKE_SCRIPT",
        "required": True,
    }
}


async def _cloud_rule_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    added = await emulator.post(f"{_DEFENSE}/policy/{call.path['policy_id']}/rule", _POLICY_RULE)
    return added["ruleId"]


async def _cloud_event_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    return (await emulator.get(f"{_DEFENSE}/event", rows=1))["results"][0]["eventId"]


async def _cloud_session_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    device = (await _cloud_device(emulator))["id"]
    if operation.path.startswith(_DEFENSE):
        if operation.operation_id == "createLiveResponseSessionV3":
            return device  # this route names the device, not a session
        session = await emulator.post(f"{_DEFENSE}/cblr/session/{device}", {"sensor_id": device})
    else:
        session = await emulator.post(f"{_V6}/liveresponse/sessions", {"device_id": device})
    emulator.advance(CONFIG.lr_activation)
    return session["id"]


def _cloud_session_base(operation: Operation, call: Call) -> str:
    if operation.path.startswith(_DEFENSE):
        return f"{_DEFENSE}/cblr/session/{call.path['session_id']}"
    return f"{_V6}/liveresponse/sessions/{call.path['session_id']}"


async def _cloud_command_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    base = _cloud_session_base(operation, call)
    plural = "command" if operation.path.startswith(_DEFENSE) else "commands"
    body = {"session_id": call.path["session_id"], "name": "process list"}
    if operation.method == "DELETE":  # only a queued command can be cancelled: queue a second
        await emulator.post(f"{base}/{plural}", body)
    command = await emulator.post(f"{base}/{plural}", body)
    if operation.method == "GET":
        emulator.advance(CONFIG.lr_command_delay * 2)
    return command["id"]


async def _cloud_file_id(emulator: Emulator, operation: Operation, call: Call) -> Any:
    base = _cloud_session_base(operation, call)
    plural = "file" if operation.path.startswith(_DEFENSE) else "files"
    response = await emulator.http.post(
        _render(f"{base}/{plural}", call.path).replace("{org_key}", emulator.org),
        files={"file": ("contract.txt", b"contract\n")},
    )
    assert response.is_success, response.text
    return response.json()["id"]


PATH_VALUES: dict[str, dict[str, PathValue]] = {
    "edr": {
        "process_id": _edr_process_id,
        "segment_id": _edr_segment_id,
        "stream_id": _edr_stream_id,
        "md5": _edr_md5,
        "alert_id": _first("/api/v2/alert", "unique_id", q=""),
        "investigation_id": _first("/api/investigations", "id"),
        "watchlist_id": _first("/api/v1/watchlist", "id"),
        "feed_id": _first("/api/v1/feed", "id"),
        "action_type": _constant("email"),
        "action_id": _edr_action_id,
        "report_id": _edr_report_id,
        "sensor_id": _first("/api/v1/sensor", "id"),
        "group_id": _edr_group_id,
        "filter_id": _first("/api/v1/ingress_approvedlist", "id"),
        "entry_id": _edr_entry_id,
        "partition_name": _edr_partition_name,
        "username": _first("/api/users", "username"),
        "team_id": _first("/api/teams", "id"),
        "site_id": _edr_site_id,
        "rule_id": _edr_rule_id,
        "session_id": _edr_session_id,
        "command_id": _edr_command_id,
        "file_id": _edr_file_id,
    },
    "protection": {"id": _protection_id},
    "cloud": {
        "device_id": _cloud_device_id,
        "alert_type": _constant("watchlist"),
        "alert_id": _cloud_alert_id,
        "threat_id": _cloud_threat_id,
        "note_id": _cloud_note_id,
        "request_id": _cloud_request_id,
        "job_id": _cloud_job_id,
        "process_guid": _cloud_process_guid,
        "feed_id": _cloud_feed_id,
        "report_id": _cloud_report_id,
        "ioc_id": _constant("ioc1"),  # the IOC of _REPORT
        "watchlist_id": _cloud_watchlist_id,
        "run_id": _cloud_run_id,
        "template_id": _cloud_template_id,
        "event_id": _cloud_event_id,
        "policy_id": _cloud_policy_id,
        "rule_id": _cloud_rule_id,
        "session_id": _cloud_session_id,
        "command_id": _cloud_command_id,
        "file_id": _cloud_file_id,
    },
}


# --- request bodies and parameters ------------------------------------------------------------


def _json(body: Any) -> Recipe:
    """A fixed JSON body."""

    async def recipe(emulator: Emulator, operation: Operation, call: Call) -> None:
        call.json = body

    return recipe


async def _edr_stream_create(emulator: Emulator, operation: Operation, call: Call) -> None:
    process = await _edr_process(emulator)
    call.json = {"process_id": process["id"], "segment_id": process["segment_id"]}


async def _edr_suppression(emulator: Emulator, operation: Operation, call: Call) -> None:
    process = await _edr_process(emulator)
    call.params = {
        "parent_guid": process["id"],
        "childproc_guid": process["id"],
        "childproc_md5": process["process_md5"],
    }


async def _edr_host_count(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.params = {"md5": (await _edr_process(emulator))["process_md5"]}


async def _edr_alert_update(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.json = {"unique_id": call.path["alert_id"], "status": "Resolved"}


async def _edr_alerts_bulk(emulator: Emulator, operation: Operation, call: Call) -> None:
    page = await emulator.get("/api/v2/alert", q="", rows=1)
    call.json = {"alert_ids": [page["results"][0]["unique_id"]], "requested_status": "Resolved"}


async def _edr_ban(emulator: Emulator, operation: Operation, call: Call) -> None:
    md5 = call.path.get("md5") or "0123456789ABCDEF0123456789ABCDEF"
    call.json = {"md5hash": md5, "text": "contract", "enabled": True}


async def _edr_reports_bulk(emulator: Emulator, operation: Operation, call: Call) -> None:
    page = await emulator.get("/api/v1/threat_report", q="", rows=1)
    report = page["results"][0]
    call.json = {"ids": {str(report["feed_id"]): [report["id"]]}, "updates": {"is_ignored": True}}


async def _edr_lr_command(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.json = {"session_id": call.path["session_id"], "name": "process list"}


async def _edr_lr_upload(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.json = None
    call.files = {"file": ("contract.txt", b"contract\n")}


def _round_trip(url: str, **changes: Any) -> Recipe:
    """PUT back what GET answers for the same object, with ``changes``."""

    async def recipe(emulator: Emulator, operation: Operation, call: Call) -> None:
        current = await emulator.get(_render(url, call.path))
        call.json = {**current, **changes}

    return recipe


_EDR_USER = {
    "username": "contract",
    "first_name": "Con",
    "last_name": "Tract",
    "email": "contract@acme.example",
    "password": "contract-password-1",
    "global_admin": False,
    "teams": [],
}


async def _protection_create(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.json = _protection_new(_protection_kind(operation))


async def _protection_update(emulator: Emulator, operation: Operation, call: Call) -> None:
    kind = _protection_kind(operation)
    call.json = await emulator.get(f"{_PROTECTION}/{kind}/{call.path['id']}")


async def _protection_upsert_instance(emulator: Emulator, operation: Operation, call: Call) -> None:
    """A file instance changed by a POST carrying its id (cbapi's way)."""
    (instance,) = await emulator.get(f"{_PROTECTION}/fileInstance", limit=1)
    call.json = {**instance, "localState": 2}


async def _cloud_job_start(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.json = await _cloud_job_body(emulator, operation.path)


async def _cloud_device_action(emulator: Emulator, operation: Operation, call: Call) -> None:
    device = (await _cloud_device(emulator))["id"]
    call.json = {"action_type": "QUARANTINE", "device_id": [device], "options": {"toggle": "ON"}}


async def _cloud_process_guid_param(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.params = {"process_guid": (await _cloud_process(emulator))["process_guid"]}


async def _cloud_report_body(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.json = {**_REPORT, "id": call.path.get("report_id", _REPORT["id"])}


async def _cloud_severity(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.json = {"report_id": call.path["report_id"], "severity": 3}


async def _cloud_run_scroll(emulator: Emulator, operation: Operation, call: Call) -> None:
    run = await _cloud_run_id(emulator, operation, call)
    call.json = {"criteria": {"run_id": [run]}, "rows": 10}


async def _cloud_lr_session(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.json = {"device_id": (await _cloud_device(emulator))["id"]}


async def _cloud_lr_session_v3(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.json = {"sensor_id": call.path["session_id"]}


async def _cloud_lr_close_v3(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.path["session_id"] = await _cloud_session_id(emulator, operation, call)
    call.json = {"session_id": call.path["session_id"], "status": "CLOSE"}


async def _cloud_lr_command(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.json = {"session_id": call.path["session_id"], "name": "process list"}


async def _cloud_follow(emulator: Emulator, operation: Operation, call: Call) -> None:
    call.follow_redirects = True  # the documented 302 leads to the bytes


RECIPES: dict[str, Recipe] = {
    "protection.upsertFileInstance": _protection_upsert_instance,
    "protection.updateFileInstanceByPost": _protection_update,
    "edr.createProcessStream": _edr_stream_create,
    "edr.filterProcessStream": _json({"criteria": {"event_type": ["filemod"]}}),
    "edr.getSuppressionStatus": _edr_suppression,
    "edr.getBinaryHostFrequency": _edr_host_count,
    "edr.updateAlert": _edr_alert_update,
    "edr.bulkUpdateAlerts": _edr_alerts_bulk,
    "edr.applyLicense": _json({"license": "-----BEGIN CB LICENSE-----\ncontract\n"}),
    "edr.applyLicenseUnversioned": _json({"license": "-----BEGIN CB LICENSE-----\ncontract\n"}),
    "edr.banHash": _edr_ban,
    "edr.updateBannedHash": _edr_ban,
    "edr.banHashLegacy": _edr_ban,
    "edr.updateBannedHashLegacy": _edr_ban,
    "edr.createWatchlistActionLegacy": _json({"action_type": 0}),
    "edr.updateWatchlistActionLegacy": _json({"action_type": 1}),
    "edr.createFeedActionLegacy": _json({"action_type": 0}),
    "edr.updateFeedActionLegacy": _json({"action_type": 1}),
    "edr.createFeed": _json({"name": "contract", "feed_url": "https://feeds.example/c.json"}),
    "edr.bulkUpdateThreatReports": _edr_reports_bulk,
    "edr.createSensorGroupV3": _json({"name": "contract", "site_id": 1}),
    "edr.createSensorGroup": _json({"name": "contract", "site_id": 1}),
    "edr.addApprovedIps": _json({"ipaddr": ["192.0.2.11", "198.51.100.0/24"]}),
    "edr.addApprovedIp": _json({"ipaddr": "192.0.2.12"}),
    "edr.createUser": _json(_EDR_USER),
    "edr.createTeam": _json({"name": "contract", "group_access": []}),
    "edr.createSite": _json({"name": "contract"}),
    "edr.createThrottleRule": _json(
        {"site_id": 1, "day_of_week": 1, "from": 0, "to": 24, "bytes_per_second": 1000}
    ),
    "edr.createLiveResponseCommand": _edr_lr_command,
    "edr.uploadLiveResponseFile": _edr_lr_upload,
    "cloud.facetDevices": _json({"terms": {"fields": ["os"]}}),
    "cloud.deviceActions": _cloud_device_action,
    "cloud.facetAlertsV6": _json({"terms": {"fields": ["ALERT_TYPE"]}}),
    "cloud.facetTypedAlertsV6": _json({"terms": {"fields": ["ALERT_TYPE"]}}),
    "cloud.facetAlerts": _json({"terms": {"fields": ["type"]}}),
    "cloud.facetGroupedAlerts": _json({"terms": {"fields": ["type"]}}),
    "cloud.addThreatTags": _json({"tags": ["contract"]}),
    "cloud.getProcessTreeLegacy": _cloud_process_guid_param,
    "cloud.getProcessSummaryLegacy": _cloud_process_guid_param,
    "cloud.createFeed": _json({"feedinfo": _FEED_INFO, "reports": [_REPORT]}),
    "cloud.createPublicFeed": _json({"feedinfo": _FEED_INFO, "reports": [_REPORT]}),
    "cloud.updateFeedInfo": _json(_FEED_INFO),
    "cloud.updateFeedReport": _cloud_report_body,
    "cloud.createWatchlist": _json({"name": "Contract"}),
    "cloud.updateWatchlist": _json({"name": "Contract, renamed"}),
    "cloud.createWatchlistReport": _cloud_report_body,
    "cloud.updateWatchlistReport": _cloud_report_body,
    "cloud.setReportSeverity": _cloud_severity,
    "cloud.scrollRunResults": _cloud_run_scroll,
    "cloud.facetRunResults": _json({"terms": {"fields": ["device.name"]}}),
    "cloud.facetRunDeviceSummaries": _json({"terms": {"fields": ["device_name"]}}),
    "cloud.createTemplate": _json(_TEMPLATE),
    "cloud.updateTemplate": _round_trip(f"{_LIVEQUERY}/templates/{{template_id}}"),
    "cloud.createDefensePolicy": _json({"policyInfo": {"name": "Contract", "policy": {}}}),
    "cloud.updateDefensePolicy": _json({"policyInfo": {"name": "Contract", "policy": {}}}),
    "cloud.addDefensePolicyRule": _json(_POLICY_RULE),
    "cloud.replaceDefensePolicyRule": _json(_POLICY_RULE),
    "cloud.createLiveResponseSession": _cloud_lr_session,
    "cloud.createLiveResponseCommand": _cloud_lr_command,
    "cloud.uploadLiveResponseFile": _edr_lr_upload,
    "cloud.getLiveResponseFileContent": _cloud_follow,
    "cloud.createLiveResponseSessionV3": _cloud_lr_session_v3,
    "cloud.closeLiveResponseSessionV3": _cloud_lr_close_v3,
    "cloud.createLiveResponseCommandV3": _cloud_lr_command,
    "cloud.uploadLiveResponseFileV3": _edr_lr_upload,
}
