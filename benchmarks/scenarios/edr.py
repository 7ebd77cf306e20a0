"""EDR (formerly CB Response) scenarios: cbasync against cbapi 2.x, and against plain httpx.

- S1 process sweep: 20,000 matching processes over 50 ms of latency, both SDKs at their defaults.
- S5 per-request overhead: 2,000 single-sensor GETs in process (no network), cbasync against the
  same requests made with a plain ``httpx.AsyncClient`` on the same ASGI transport.
- S6 memory: peak RSS while streaming 200,000 processes, at 50k and at 200k.
- S7 raw throughput: processes per second over 200,000 processes with no added latency.

Every side imports its SDK inside its function (see ``benchmarks/scenarios/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks._harness import (
    Comparison,
    Emulator,
    Floor,
    PreflightContext,
    Scenario,
    ScenarioSummary,
    Side,
    SideContext,
    Target,
    network_floor,
    register,
)

# Where cbasync's page concurrency comes from: the window of pages the query keeps in flight
# while iterating, read from the query object the side iterates (its default is
# cbasync._pagination.DEFAULT_CONCURRENCY unless the query says ``.concurrency(n)``).
_CONCURRENCY_SOURCE = (
    "the iterated query's page window (Query._concurrency; default"
    " cbasync._pagination.DEFAULT_CONCURRENCY)"
)


def _cbasync_concurrency(query: Any = None) -> int:
    from cbasync._pagination import DEFAULT_CONCURRENCY

    return int(getattr(query, "_concurrency", DEFAULT_CONCURRENCY))


# --- process sweeps (S1, S6, S7) --------------------------------------------------------------


async def sweep_cbasync(ctx: SideContext) -> Mapping[str, Any]:
    """``async for`` over ``api.select(Process).where(query)``, at the SDK's defaults."""
    from cbasync import CbResponseAPI
    from cbasync.response import Process

    query = ctx.params["query"]
    marks = sorted(ctx.params.get("checkpoints", ()))
    n = 0
    async with CbResponseAPI(url=ctx.url, token=ctx.token, ssl_cert_file=ctx.ca_file) as api:
        ctx.checkpoint("open")
        processes = api.select(Process).where(query)
        async for _process in processes:
            n += 1
            if marks and n == marks[0]:
                ctx.checkpoint(_label(marks.pop(0)))
    return {
        "items": n,
        "concurrency": _cbasync_concurrency(processes),
        "concurrency_source": _CONCURRENCY_SOURCE,
        "page_size": int(getattr(processes, "_page_size", 0)),
    }


def sweep_cbapi(ctx: SideContext) -> Mapping[str, Any]:
    """``for p in cb.select(Process).where(query)`` with cbapi 2.0.0 at its defaults (100 rows a
    page, one page at a time, ``sort=last_update desc``, ``cb.urlver=1``, ``facet=false``)."""
    from cbapi.response import CbEnterpriseResponseAPI, Process

    query = ctx.params["query"]
    marks = sorted(ctx.params.get("checkpoints", ()))
    # cbapi verifies TLS with requests: ssl_verify=True plus ssl_cert_file makes requests verify
    # against that CA file (verify=<path>), hostname checking left on.
    cb = CbEnterpriseResponseAPI(
        url=ctx.url, token=ctx.token, ssl_verify=True, ssl_cert_file=ctx.ca_file
    )
    ctx.checkpoint("open")
    n = 0
    for _process in cb.select(Process).where(query):
        n += 1
        if marks and n == marks[0]:
            ctx.checkpoint(_label(marks.pop(0)))
    cb.session.session.close()
    return {
        "items": n,
        "concurrency": 1,
        "concurrency_source": "cbapi pages one at a time",
        "page_size": 100,  # cbapi's PaginatedQuery._batch_size
    }


async def sweep_httpx(ctx: SideContext) -> Mapping[str, Any]:
    """The same page requests as cbasync's sweep (100 rows, the first page alone, then windows of
    the same size) with a bare ``httpx.AsyncClient`` and ``json.loads``: what the HTTP stack
    itself costs, so the report can tell cbasync's share from httpx's."""
    import json
    import ssl

    import anyio
    import httpx

    window = _cbasync_concurrency()
    rows = 100
    base = {"cb.urlver": "1", "facet": "false", "q": ctx.params["query"]}
    n = 0
    async with httpx.AsyncClient(
        base_url=ctx.url,
        verify=ssl.create_default_context(cafile=ctx.ca_file),
        headers={"X-Auth-Token": ctx.token},
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        timeout=60.0,
    ) as client:

        async def page(start: int) -> dict[str, Any]:
            params = {**base, "start": str(start), "rows": str(rows), "sort": "last_update desc"}
            response = await client.get("/api/v1/process", params=params)
            response.raise_for_status()
            data: dict[str, Any] = json.loads(response.content)
            return data

        first = await page(0)
        total = int(first["total_results"])
        n += len(first["results"])
        starts = list(range(rows, total, rows))
        for at in range(0, len(starts), window):
            pages: dict[int, dict[str, Any]] = {}

            async def fetch(start: int, pages: dict[int, dict[str, Any]] = pages) -> None:
                pages[start] = await page(start)

            async with anyio.create_task_group() as tg:
                for start in starts[at : at + window]:
                    tg.start_soon(fetch, start)
            for start in starts[at : at + window]:
                n += len(pages[start]["results"])
    return {
        "items": n,
        "concurrency": window,
        "concurrency_source": "the same window as cbasync",
        "page_size": rows,
    }


def _label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def _preflight_total(ctx: PreflightContext) -> str:
    """Ask the emulator how many processes the query matches (``rows=0``)."""
    query = ctx.params["query"]
    page = ctx.get_json("/api/v1/process", {"q": query, "rows": 0, "cb.urlver": 1})
    total = page.get("total_results")
    expected = ctx.params["expected_items"]
    if total != expected:
        raise ValueError(
            f"the emulator matches {total} processes for q={query!r}, the scenario needs {expected}"
        )
    return f"q={query!r} matches total_results={total}"


# httpx imports httpcore, and anyio its asyncio backend, lazily on first use: listed here so that
# `import s` holds all module loading for every side (cbapi's requests loads everything at
# import time) and the timed section holds the work.
_LAZY_ASYNC_IMPORTS = ("httpcore", "anyio._backends._asyncio")

_SWEEP_SIDES = (
    Side(
        "cbasync",
        sweep_cbasync,
        what="async for p in CbResponseAPI(...).select(Process).where(q)",
        imports=("cbasync", "cbasync.response", *_LAZY_ASYNC_IMPORTS),
    ),
    Side(
        "cbapi",
        sweep_cbapi,
        what="for p in CbEnterpriseResponseAPI(...).select(Process).where(q) (cbapi 2.0.0)",
        imports=("cbapi.response",),
    ),
)

# A reference, not a contender: the bare HTTP stack making cbasync's requests.
_HTTPX_REFERENCE = Side(
    "httpx",
    sweep_httpx,
    what="the same 100-row pages, same window, bare httpx.AsyncClient + json.loads (reference)",
    imports=("anyio", "httpx", *_LAZY_ASYNC_IMPORTS),
)

_SPEEDUP = Comparison("cbapi", "cbasync", "wall_s", "cbapi/cbasync wall time")


def _sweep_details(summary: ScenarioSummary) -> list[str]:
    lines = []
    for name, stats in summary.sides.items():
        requests = stats.get("requests")
        per_request = stats.get("server_cpu_s") / requests if requests else 0.0
        wall = stats.get("wall_s")
        lines.append(
            f"{name}: {requests:g} requests of {stats.median.get('page_size', 0):g} rows,"
            f" at most {stats.get('max_in_flight'):g} in flight;"
            f" client CPU {stats.get('cpu_s'):.2f} s ({stats.get('cpu_s') / wall:.0%} of its"
            f" {wall:.2f} s); emulator CPU {per_request * 1000:.2f} ms per request"
            f" ({stats.get('server_cpu_s'):.2f} s)"
        )
    return lines


# The dataset is sized so that a realistic filter matches exactly 20,000 search results (the
# emulator's rows are a pure function of (seed, index), so this holds for seed 0 and is checked
# before every run by the preflight: `GET /api/v1/process?q=...&rows=0` -> total_results).
S1_QUERY = "host_type:server"
S1_MATCHES = 20_000
S1_DATASET = 91_981

register(
    Scenario(
        name="S1",
        title="process sweep",
        description=(
            f"iterate the {S1_MATCHES:,} processes matching {S1_QUERY!r} (of {S1_DATASET:,}),"
            " 50 ms latency per request, both SDKs at their defaults"
        ),
        emulator=Emulator({"seed": 0, "processes": S1_DATASET, "latency-ms": 50}),
        params={"query": S1_QUERY, "expected_items": S1_MATCHES},
        preflight=_preflight_total,
        sides=(*_SWEEP_SIDES, _HTTPX_REFERENCE),
        comparison=_SPEEDUP,
        floor=network_floor("cbasync"),
        targets=(Target.ratio_at_least(_SPEEDUP, 6.0), Target.within_floor(1.5)),
        details=_sweep_details,
        repetitions=3,
        # One cbasync sweep fills the emulator's query and row caches for both sides (same
        # query, same sort); a cbapi warm-up would only add its 15-20 s.
        warmup=1,
        warmup_sides=("cbasync",),
    )
)


# --- S5: per-request overhead, in process ------------------------------------------------------

S5_REQUESTS = 2_000
S5_WARMUP_REQUESTS = 50  # per run, before the clock starts: first-call costs are not per-request
S5_CONFIG = {"devices": 100, "processes": 1_000}
_S5_BASE_URL = "https://cbserver"


def _s5_app(ctx: SideContext) -> Any:
    from cbasync.testing import EmulatorConfig, create_app

    return create_app(EmulatorConfig(**ctx.params["config"]))


def _s5_sensor_ids(ctx: SideContext) -> list[int]:
    devices = int(ctx.params["config"]["devices"])
    return [1 + i % devices for i in range(int(ctx.params["requests"]))]


def _s5_requests_served(app: Any) -> int:
    return int(app.state.counters.requests())


async def get_cbasync(ctx: SideContext) -> Mapping[str, Any]:
    """``await api.get(Sensor, id)`` through ``httpx.ASGITransport``: the whole SDK path
    (transport, retry wrapper, error mapping, model validation), no network."""
    import httpx

    from cbasync import CbResponseAPI
    from cbasync.response import Sensor

    app = _s5_app(ctx)
    ids = _s5_sensor_ids(ctx)
    async with CbResponseAPI(
        url=_S5_BASE_URL, token=app.config.token, transport=httpx.ASGITransport(app=app)
    ) as api:
        for sensor_id in ids[: ctx.params["warmup_requests"]]:
            await api.get(Sensor, sensor_id)
        served = _s5_requests_served(app)
        ctx.start_clock()
        for sensor_id in ids:
            sensor = await api.get(Sensor, sensor_id)
            assert sensor.id == sensor_id
    return {"items": len(ids), "requests": _s5_requests_served(app) - served}


async def get_httpx(ctx: SideContext) -> Mapping[str, Any]:
    """The same GETs with a plain ``httpx.AsyncClient`` on the same kind of transport, each
    response checked and its JSON decoded (what a caller of bare httpx would do)."""
    import httpx

    app = _s5_app(ctx)
    ids = _s5_sensor_ids(ctx)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=_S5_BASE_URL,
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        for sensor_id in ids[: ctx.params["warmup_requests"]]:
            (await client.get(f"/api/v1/sensor/{sensor_id}")).raise_for_status()
        served = _s5_requests_served(app)
        ctx.start_clock()
        for sensor_id in ids:
            response = await client.get(f"/api/v1/sensor/{sensor_id}")
            response.raise_for_status()
            assert response.json()["id"] == sensor_id
    return {"items": len(ids), "requests": _s5_requests_served(app) - served}


async def get_asgi(ctx: SideContext) -> Mapping[str, Any]:
    """The emulator alone: the same requests as bare ASGI calls, no HTTP client at all. Its CPU
    per request is the part of the other two sides' cost that no client can remove."""
    app = _s5_app(ctx)
    ids = _s5_sensor_ids(ctx)
    token = app.config.token.encode()
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def call(sensor_id: int) -> None:
        path = f"/api/v1/sensor/{sensor_id}"
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "https",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"cbserver"), (b"x-auth-token", token)],
            "client": ("127.0.0.1", 50000),
            "server": ("cbserver", 443),
        }
        await app(scope, receive, send)

    for sensor_id in ids[: ctx.params["warmup_requests"]]:
        await call(sensor_id)
    served = _s5_requests_served(app)
    statuses.clear()
    ctx.start_clock()
    for sensor_id in ids:
        await call(sensor_id)
    if set(statuses) != {200}:
        raise RuntimeError(f"the emulator answered {sorted(set(statuses))}")
    return {"items": len(ids), "requests": _s5_requests_served(app) - served}


_S5_OVERHEAD = Comparison("cbasync", "httpx", "cpu_per_item_s", "cbasync/httpx CPU per request")


def _s5_floor(summary: ScenarioSummary) -> Floor:
    server = summary.value("emulator", "cpu_per_item_s")
    return Floor(
        side="cbasync",
        metric="cpu_per_item_s",
        value=server,
        explanation=(
            f"the emulator's own CPU per request, {server * 1e6:.0f} us (its ASGI app called"
            " directly, no HTTP client): both clients pay it in process"
        ),
        parts={"server_cpu_per_request_s": server},
    )


def _s5_details(summary: ScenarioSummary) -> list[str]:
    server = summary.value("emulator", "cpu_per_item_s")
    sdk = summary.value("cbasync", "cpu_per_item_s") - server
    plain = summary.value("httpx", "cpu_per_item_s") - server
    lines = [
        f"client-side CPU per request (side minus the emulator alone): cbasync {sdk * 1e6:.0f} us,"
        f" plain httpx {plain * 1e6:.0f} us, ratio {sdk / plain:.2f}"
    ]
    for name, stats in summary.sides.items():
        lines.append(
            f"{name}: {stats.get('requests'):g} requests served in the timed section"
            f" ({stats.get('items'):g} calls)"
        )
    return lines


register(
    Scenario(
        name="S5",
        title="per-request overhead",
        description=(
            f"{S5_REQUESTS:,} single-sensor GETs in process (emulator app through"
            " httpx.ASGITransport, no network): CPU per request, cbasync against plain httpx"
        ),
        emulator=None,
        params={
            "config": S5_CONFIG,
            "requests": S5_REQUESTS,
            "warmup_requests": S5_WARMUP_REQUESTS,
            "expected_items": S5_REQUESTS,
        },
        sides=(
            Side(
                "cbasync",
                get_cbasync,
                what="await api.get(Sensor, id) on CbResponseAPI(transport=httpx.ASGITransport(app))",
                imports=("httpx", "cbasync", "cbasync.response", "cbasync.testing.app"),
            ),
            Side(
                "httpx",
                get_httpx,
                what="await client.get(f'/api/v1/sensor/{id}'); raise_for_status(); json()",
                imports=("httpx", "cbasync.testing.app"),
            ),
            Side(
                "emulator",
                get_asgi,
                what="await app(scope, receive, send): the emulator alone, no client",
                imports=("cbasync.testing.app",),
            ),
        ),
        comparison=_S5_OVERHEAD,
        floor=_s5_floor,
        targets=(Target.ratio_at_most(_S5_OVERHEAD, 1.5),),
        details=_s5_details,
        # Each run builds its own emulator and warms it with 50 untimed requests: no warm-up
        # rounds needed. CPU per request is noisy on a shared machine: five runs a side.
        repetitions=5,
        warmup=0,
    )
)


# --- S6 and S7: 200,000 processes, no added latency -----------------------------------------------

# A broad term over a dataset sized so that it matches exactly 200,000 results (seed 0).
BIG_QUERY = "os_type:windows"
BIG_MATCHES = 200_000
BIG_DATASET = 231_862
S6_CHECKPOINTS = (50_000, 100_000, 150_000, 200_000)
# Peak RSS may grow this much from 50k to 200k rows and still count as flat (allocator noise,
# lazily built caches); a leak of one 2 KB row in a hundred would already exceed it.
S6_GROWTH_ALLOWED = 0.05


def _s6_check(summary: ScenarioSummary, floor: Floor | None) -> tuple[bool, str]:
    at_50k = summary.value("cbasync", "peak_rss_kb@50k")
    at_200k = summary.value("cbasync", "peak_rss_kb@200k")
    growth = (at_200k - at_50k) / at_50k
    return growth <= S6_GROWTH_ALLOWED, (
        f"cbasync peak RSS {at_50k / 1024:.1f} MiB at 50k, {at_200k / 1024:.1f} MiB at 200k"
        f" ({growth:+.1%}; allowed {S6_GROWTH_ALLOWED:+.0%})"
    )


def _s6_details(summary: ScenarioSummary) -> list[str]:
    lines = []
    for name, stats in summary.sides.items():
        start = stats.get("peak_rss_start_kb") / 1024
        opened = stats.get("peak_rss_kb@open") / 1024
        marks = ", ".join(
            f"{_label(n)} {stats.get(f'peak_rss_kb@{_label(n)}') / 1024:.1f}"
            for n in S6_CHECKPOINTS
        )
        current = stats.get(f"rss_kb@{_label(S6_CHECKPOINTS[-1])}") / 1024
        lines.append(
            f"{name} peak RSS MiB: after imports {start:.1f}, client open {opened:.1f}, {marks};"
            f" current RSS at the end {current:.1f}"
        )
    return lines


register(
    Scenario(
        name="S6",
        title="memory while streaming",
        description=(
            f"peak RSS while iterating {BIG_MATCHES:,} processes (no added latency), read at"
            " 50k, 100k, 150k and 200k rows: it must not grow with the number of rows"
        ),
        emulator=Emulator({"seed": 0, "processes": BIG_DATASET}),
        params={
            "query": BIG_QUERY,
            "expected_items": BIG_MATCHES,
            "checkpoints": S6_CHECKPOINTS,
        },
        preflight=_preflight_total,
        # cbasync alone: cbapi's memory over the same 200,000 rows is in S7's table.
        sides=_SWEEP_SIDES[:1],
        targets=(Target("cbasync peak RSS flat from 50k to 200k rows", _s6_check),),
        details=_s6_details,
        repetitions=1,
        warmup=0,
    )
)

_THROUGHPUT = Comparison("cbasync", "cbapi", "items_per_s", "cbasync/cbapi processes per second")


def _s7_details(summary: ScenarioSummary) -> list[str]:
    lines = []
    for name, stats in summary.sides.items():
        requests = stats.get("requests")
        server = stats.get("server_cpu_s")
        lines.append(
            f"{name}: {stats.get('items_per_s'):,.0f} processes/s; emulator CPU"
            f" {server / requests * 1000:.2f} ms per {stats.get('items') / requests:.0f}-row page"
            f" ({server:.2f} s of {stats.get('wall_s'):.2f} s wall: the emulator alone could serve"
            f" {stats.get('items') / server:,.0f} processes/s), client CPU"
            f" {stats.get('cpu_s'):.2f} s"
        )
    return lines


register(
    Scenario(
        name="S7",
        title="raw throughput",
        description=(
            f"processes per second iterating {BIG_MATCHES:,} processes with no added latency"
        ),
        emulator=Emulator({"seed": 0, "processes": BIG_DATASET}),
        params={"query": BIG_QUERY, "expected_items": BIG_MATCHES},
        preflight=_preflight_total,
        sides=_SWEEP_SIDES,
        comparison=_THROUGHPUT,
        floor=network_floor("cbasync"),
        targets=(Target.ratio_at_least(_THROUGHPUT, 1.0),),
        details=_s7_details,
        # cbapi needs about a minute and a half for 200,000 rows here: one run each by default
        # (--reps N for medians).
        repetitions=1,
        warmup=0,
    )
)
