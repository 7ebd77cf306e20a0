"""The emulator's framework: auth, counters, faults, clocks, the route-module contract."""

from __future__ import annotations

import random

import anyio
import anyio.lowlevel
import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cbasync.testing import EmulatorConfig, ManualClock, create_app
from cbasync.testing.app import CORE_ROUTE_MODULES, EmulatorApp, route_module_names
from cbasync.testing.faults import FaultInjector
from cbasync.testing.routes._common import HttpError, json_response
from cbasync.testing.state import EmulatorState

pytestmark = pytest.mark.anyio


def _ping_routes(state: EmulatorState) -> list[BaseRoute]:
    async def ping(request: Request) -> Response:
        return json_response({"pong": True, "seed": state.config.seed})

    async def boom(request: Request) -> Response:
        raise HttpError(409, {"reason": "conflict"})

    async def create(request: Request) -> Response:
        state.counters.job_created("test")  # what a route that starts a search job reports
        return json_response({"job_id": state.counters.jobs_created["test"]})

    return [
        Route("/test/ping/{n}", ping, methods=["GET"]),
        Route("/test/boom", boom, methods=["POST"]),
        Route("/test/jobs", create, methods=["POST"]),
    ]


def _app(clock: ManualClock | None = None, **config: object) -> EmulatorApp:
    return create_app(
        EmulatorConfig(**config),  # type: ignore[arg-type]
        clock=clock or ManualClock(),
        modules=(),
        extra_routes=[_ping_routes],
    )


def _client(app: EmulatorApp, token: str | None = "default") -> httpx.AsyncClient:
    headers = {"X-Auth-Token": app.config.token if token == "default" else token or ""}
    if token is None:
        headers = {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://cbserver", headers=headers
    )


async def test_missing_or_wrong_token_is_401_and_counted() -> None:
    app = _app()
    async with _client(app, token=None) as anon, _client(app, token="nope") as wrong:
        r1 = await anon.get("/test/ping/1")
        r2 = await wrong.get("/test/ping/1")
    assert r1.status_code == r2.status_code == 401
    assert r1.headers["content-type"] == "application/json; charset=utf-8"
    assert app.counters.unauthorized == 2


async def test_extra_tokens_are_accepted() -> None:
    app = _app(extra_tokens=("second-user-token",))
    async with _client(app, token="second-user-token") as c:
        r = await c.get("/test/ping/1")
    assert r.status_code == 200
    assert r.json() == {"pong": True, "seed": 0}


async def test_requests_are_counted_per_route_template_and_status() -> None:
    app = _app()
    async with _client(app) as c:
        for n in range(3):
            assert (await c.get(f"/test/ping/{n}")).status_code == 200
        assert (await c.post("/test/boom")).status_code == 409
        assert (await c.get("/no/such/route")).status_code == 404
        assert (await c.get("/test/boom")).status_code == 405
        snapshot = (await c.get("/__emulator__/counters")).json()
    assert app.counters.requests("GET /test/ping/{n}", 200) == 3
    assert app.counters.requests("POST /test/boom", 409) == 1
    assert app.counters.requests("GET <unmatched>", 404) == 1
    by_route = snapshot["requests"]["by_route"]
    assert by_route["GET /test/ping/{n}"] == {"200": 3}
    assert by_route["POST /test/boom"] == {"409": 1}
    assert snapshot["requests"]["total"] == 6  # the control route itself is not counted
    assert snapshot["requests"]["in_flight"] == 0


async def test_counters_reset_over_http() -> None:
    app = _app()
    async with _client(app) as c:
        await c.get("/test/ping/1")
        r = await c.delete("/__emulator__/counters")
    assert r.json()["requests"]["total"] == 0
    assert app.counters.total_requests == 0


async def test_error_bodies_are_json() -> None:
    app = _app()
    async with _client(app) as c:
        r = await c.get("/nowhere")
    assert r.status_code == 404
    assert r.json()["reason"] == "not_found"


def test_core_route_modules_are_mounted_first() -> None:
    names = route_module_names()
    core = [n for n in CORE_ROUTE_MODULES if n in names]
    assert names[: len(core)] == core
    assert all(not n.startswith("_") for n in names)


def test_a_route_module_without_routes_function_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    fake = types.ModuleType("cbasync.testing.routes.zz_fake")
    monkeypatch.setitem(sys.modules, "cbasync.testing.routes.zz_fake", fake)
    with pytest.raises(TypeError, match="no routes"):
        create_app(EmulatorConfig(), modules=["zz_fake"])


# --- latency and faults ------------------------------------------------------------------------


async def test_latency_is_waited_on_the_state_clock() -> None:
    clock = ManualClock()
    app = _app(clock, latency_ms=250.0)
    async with _client(app) as c:
        before = clock.monotonic()
        await c.get("/test/ping/1")
        await c.get("/test/ping/2")
    assert clock.monotonic() - before == pytest.approx(0.5)


async def test_latency_waits_for_a_manual_clock_without_autojump() -> None:
    clock = ManualClock(autojump=False)
    app = _app(clock, latency_ms=1000.0)
    results: list[int] = []

    async def call() -> None:
        async with _client(app) as c:
            results.append((await c.get("/test/ping/1")).status_code)

    async with anyio.create_task_group() as tg:
        tg.start_soon(call)
        for _ in range(20):
            await anyio.lowlevel.checkpoint()
        assert results == []  # still waiting for the clock
        clock.advance(1.0)
    assert results == [200]


async def test_5xx_fault_answers_a_transient_status() -> None:
    app = _app(fault_5xx=1.0)
    async with _client(app) as c:
        r = await c.get("/test/ping/1")
    assert r.status_code in (502, 503, 504)
    assert app.counters.faults["5xx"] == 1


async def test_reset_fault_raises_a_read_error_in_process() -> None:
    app = _app(fault_reset=1.0)
    async with _client(app) as c:
        with pytest.raises(httpx.ReadError):
            await c.get("/test/ping/1")
    assert app.counters.faults["reset"] == 1


async def test_rate_limit_window_blocks_and_blocked_requests_extend_the_block() -> None:
    clock = ManualClock()
    app = _app(clock, rate_limit_requests=3, rate_limit_window=60.0, retry_after=10.0)
    async with _client(app) as c:
        statuses = [(await c.get("/test/ping/1")).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        blocked = await c.get("/test/ping/1")
        assert blocked.status_code == 429
        assert blocked.headers["retry-after"] == "10"
        clock.advance(8.0)
        again = await c.get("/test/ping/1")  # during the block: refused, block extended
        assert again.status_code == 429
        assert again.headers["retry-after"] == "10"
        clock.advance(8.0)  # 16 s after the first 429: the first block alone would be over
        assert (await c.get("/test/ping/1")).status_code == 429
        clock.advance(61.0)  # block over and the window has slid past the burst
        assert (await c.get("/test/ping/1")).status_code == 200
    assert app.counters.faults["429"] == 3


async def test_slow_fault_delays_by_the_configured_time() -> None:
    clock = ManualClock()
    app = _app(clock, fault_slow=1.0, slow_response_seconds=90.0)
    async with _client(app) as c:
        r = await c.get("/test/ping/1")
    assert r.status_code == 200
    assert clock.monotonic() == pytest.approx(90.0)
    assert app.counters.faults["slow"] == 1


async def test_a_slow_answer_is_late_but_the_request_was_handled() -> None:
    # A client that gives up on a slow POST may still have created its job: the server did
    # the work and was slow to answer (before, the wait came first and the job never existed).
    clock = ManualClock(autojump=False)
    app = _app(clock, fault_slow=1.0, slow_response_seconds=90.0)
    async with _client(app) as c:
        with anyio.move_on_after(0.5) as scope:
            await c.post("/test/jobs")
    assert scope.cancelled_caught  # the answer never came (the clock did not move)
    assert app.counters.jobs_created["test"] == 1
    assert app.counters.faults["slow"] == 1


async def test_requests_sent_during_a_block_the_client_was_told_about_are_counted() -> None:
    clock = ManualClock()
    app = _app(clock, rate_limit_requests=1, rate_limit_window=60.0, retry_after=10.0)
    async with _client(app) as c:
        assert (await c.get("/test/ping/1")).status_code == 200
        assert (await c.get("/test/ping/1")).status_code == 429  # the block starts: not counted
        assert app.counters.requests_during_block == 0
        clock.advance(5.0)
        assert (await c.get("/test/ping/1")).status_code == 429  # it knew: counted
        assert app.counters.requests_during_block == 1
        clock.advance(61.0)
        assert (await c.get("/test/ping/1")).status_code == 200
    assert app.counters.requests_during_block == 1
    assert app.counters.snapshot()["faults"]["requests_during_block"] == 1


def test_a_request_in_flight_when_a_block_starts_was_not_told() -> None:
    injector = FaultInjector(EmulatorConfig(fault_429=1.0, retry_after=5.0), ManualClock())
    first, concurrent = injector.decide("ip:a"), injector.decide("ip:a")
    assert (first.kind, concurrent.kind) == ("429", "429")
    assert not first.during_block
    assert not concurrent.during_block  # sent before any 429 was answered
    injector.announce_block("ip:a")
    assert injector.decide("ip:a").during_block
    assert not injector.decide("ip:b").during_block


async def test_a_job_created_twice_under_one_request_id_is_a_duplicate() -> None:
    app = _app()
    async with _client(app) as c:
        await c.post("/test/jobs", headers={"X-Request-ID": "call-1"})
        await c.post("/test/jobs", headers={"X-Request-ID": "call-2"})
        await c.post("/test/jobs")  # no id (the official SDKs): nothing to compare
        await c.post("/test/jobs")
        assert app.counters.duplicate_creations == 0
        await c.post("/test/jobs", headers={"X-Request-ID": "call-1"})  # a re-sent creating POST
    assert app.counters.duplicate_creations == 1
    assert app.counters.snapshot()["duplicate_creations"] == 1
    app.counters.reset()
    assert app.counters.duplicate_creations == 0


def test_fault_decisions_are_seeded() -> None:
    config = EmulatorConfig(seed=7, fault_5xx=0.3, fault_reset=0.1, jitter_ms=20.0)

    def run() -> list[tuple[str, float]]:
        injector = FaultInjector(config, ManualClock())
        return [(d.kind, d.delay) for d in (injector.decide("ip:1") for _ in range(200))]

    first, second = run(), run()
    assert first == second
    kinds = {k for k, _ in first}
    assert {"none", "5xx", "reset"} <= kinds


def test_random_429_blocks_that_client_only() -> None:
    clock = ManualClock()
    injector = FaultInjector(
        EmulatorConfig(fault_429=0.5, retry_after=5.0), clock, rng=random.Random(1)
    )
    decisions = [injector.decide("ip:a") for _ in range(20)]
    first_block = next(i for i, d in enumerate(decisions) if d.kind == "429")
    # Once blocked, every further request from that client is refused (the clock did not move).
    assert all(d.kind == "429" for d in decisions[first_block:])
    assert injector.blocked_until("ip:a") is not None
    assert injector.blocked_until("ip:b") is None


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="fault_5xx"):
        EmulatorConfig(fault_5xx=1.5)
    with pytest.raises(ValueError, match="server_version"):
        EmulatorConfig(server_version="seven")
    assert EmulatorConfig(server_version="7.6.1.0").at_least_7_7 is False
    assert EmulatorConfig().at_least_7_7 is True


def test_manual_clock_never_goes_back() -> None:
    clock = ManualClock(start=1000.0)
    clock.advance(5)
    assert clock.time() == 1005.0
    with pytest.raises(ValueError, match="back in time"):
        clock.advance(-1)


def test_state_backends_are_created_once() -> None:
    state = EmulatorState(EmulatorConfig(devices=3))
    created: list[int] = []

    class Backend:
        def __init__(self, st: EmulatorState) -> None:
            created.append(1)

    a = state.backend("thing", Backend)
    b = state.backend("thing", Backend)
    assert a is b
    assert created == [1]

    class Other:
        def __init__(self, st: EmulatorState) -> None:
            pass

    with pytest.raises(TypeError):
        state.backend("thing", Other)


class _FakeApi:
    """Stands in for CbResponseAPI & co.: the constructor keywords the helper promises."""

    def __init__(
        self,
        *,
        url: str,
        token: str,
        org_key: str,
        transport: httpx.AsyncBaseTransport,
        **extra: object,
    ) -> None:
        self.http = httpx.AsyncClient(
            transport=transport, base_url=url, headers={"X-Auth-Token": token}
        )
        self.org_key = org_key
        self.extra = extra
        self.entered = False

    async def __aenter__(self) -> _FakeApi:
        self.entered = True
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()


async def test_client_helper_builds_an_api_object_bound_in_process() -> None:
    app = _app()
    async with app.client(_FakeApi, max_retries=0) as api:
        assert api.entered
        assert api.org_key == app.config.org_key
        assert api.extra == {"max_retries": 0}
        r = await api.http.get("/test/ping/5")
        assert r.json()["pong"] is True
    async with app.http_client() as http:
        assert (await http.get("/test/ping/1")).status_code == 200


async def test_401_and_faults_are_counted_under_their_route() -> None:
    app = _app(fault_5xx=1.0)
    async with _client(app, token="bad") as c:
        r = await c.get("/test/ping/1")
    assert r.status_code in (502, 503, 504)
    assert app.counters.requests("GET /test/ping/{n}") == 1


def test_import_cbasync_does_not_import_the_emulator() -> None:
    import subprocess
    import sys

    code = (
        "import sys, cbasync\n"
        "assert 'cbasync.testing' not in sys.modules, 'cbasync imported cbasync.testing'\n"
        "assert 'starlette' not in sys.modules, 'cbasync imported starlette'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_pytest_plugin_imports_without_the_emulator_extra() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('starlette', 'uvicorn', 'trustme'):\n"
        "    sys.modules[name] = None  # as if the extra were not installed\n"
        "import cbasync.testing.pytest_plugin as plugin\n"
        "from cbasync.testing import EmulatorConfig, ManualClock\n"
        "assert callable(plugin.cb_emulator_config)\n"
        "EmulatorConfig(); ManualClock()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_public_names_resolve() -> None:
    import cbasync.testing as public

    for name in public.__all__:
        assert getattr(public, name) is not None, name
    assert set(public.__all__) <= set(dir(public))
    with pytest.raises(AttributeError):
        public.NoSuchThing  # noqa: B018
