"""Carbon Black Cloud Platform scenarios: cbasync against carbon-black-cloud-sdk 1.5.10.

- S4 alert sweep: iterate the 10,000 v7 alerts of the last two weeks over 50 ms of latency,
  both SDKs at their defaults (``api.select(Alert)`` with no criteria: the server's two-week
  window, which holds every alert of the dataset).
- S4b device sweep: 20,000 devices through ``_scroll`` (the only way past the search's 10,000
  rows), both SDKs at their defaults (10,000 rows a scroll request).

Every side imports its SDK inside its function (see ``benchmarks/scenarios/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks._harness import (
    Comparison,
    Emulator,
    PreflightContext,
    Scenario,
    ScenarioSummary,
    Side,
    SideContext,
    Target,
    network_floor,
    register,
)

ORG_KEY = "BENCH001"
S4_ALERTS = 10_000
S4B_DEVICES = 20_000

# httpx imports httpcore, and anyio its asyncio backend, lazily on first use: imported up front
# so that `import s` holds all module loading for every side.
_LAZY_ASYNC_IMPORTS = ("httpcore", "anyio._backends._asyncio")


def _cbasync_client(ctx: SideContext) -> Any:
    from cbasync.cloud import CBCloudAPI

    return CBCloudAPI(
        url=ctx.url, token=ctx.token, org_key=ctx.params["org_key"], ssl_cert_file=ctx.ca_file
    )


def _official_client(ctx: SideContext) -> Any:
    from cbc_sdk import CBCloudAPI

    # ssl_verify=True with ssl_cert_file: requests verifies against the emulator's CA.
    return CBCloudAPI(
        url=ctx.url,
        token=ctx.token,
        org_key=ctx.params["org_key"],
        ssl_verify=True,
        ssl_cert_file=ctx.ca_file,
    )


# --- S4: alerts ------------------------------------------------------------------------------


async def alerts_cbasync(ctx: SideContext) -> Mapping[str, Any]:
    """``async for alert in api.select(Alert)`` at the SDK's defaults."""
    from cbasync.cloud import Alert

    n = 0
    async with _cbasync_client(ctx) as api:
        ctx.checkpoint("open")
        alerts = api.select(Alert)
        async for _alert in alerts:
            n += 1
    return {
        "items": n,
        "concurrency": int(alerts._concurrency),
        "concurrency_source": "the query's page window (Query._concurrency)",
        "page_size": int(alerts._page_size),
    }


def alerts_official(ctx: SideContext) -> Mapping[str, Any]:
    """``for alert in cb.select(Alert)`` with carbon-black-cloud-sdk 1.5.10 at its defaults
    (100 rows a page, one page at a time, 1-based starts)."""
    from cbc_sdk.platform import Alert

    cb = _official_client(ctx)
    ctx.checkpoint("open")
    n = 0
    for _alert in cb.select(Alert):
        n += 1
    cb.session.session.close()
    return {
        "items": n,
        "concurrency": 1,
        "concurrency_source": "the cloud SDK pages one at a time",
        "page_size": 100,  # AlertSearchQuery._batch_size
    }


# --- S4b: devices ----------------------------------------------------------------------------


async def devices_cbasync(ctx: SideContext) -> Mapping[str, Any]:
    """``async for device in api.select(Device).scroll()`` (10,000 rows a request)."""
    from cbasync.cloud import Device

    n = 0
    async with _cbasync_client(ctx) as api:
        ctx.checkpoint("open")
        async for _device in api.select(Device).scroll():
            n += 1
    return {"items": n, "concurrency": 1, "concurrency_source": "a scroll is sequential"}


def devices_official(ctx: SideContext) -> Mapping[str, Any]:
    """``query.scroll(10000)`` until it comes back empty (the SDK's documented loop)."""
    from cbc_sdk.platform import Device

    cb = _official_client(ctx)
    ctx.checkpoint("open")
    query = cb.select(Device)
    n = 0
    while batch := query.scroll(10_000):
        n += len(batch)
    cb.session.session.close()
    return {"items": n, "concurrency": 1, "concurrency_source": "a scroll is sequential"}


def _preflight_devices(ctx: PreflightContext) -> str:
    expected = ctx.params["expected_items"]
    last = ctx.get_json(f"/appservices/v6/orgs/{ORG_KEY}/devices/{8_500_000 + expected - 1}")
    return f"device {last['id']} ({last['name']}) is the last of {expected:,}"


def _details(summary: ScenarioSummary) -> list[str]:
    lines = []
    for name, stats in summary.sides.items():
        requests = stats.get("requests")
        wall = stats.get("wall_s")
        per_request = stats.get("server_cpu_s") / requests if requests else 0.0
        lines.append(
            f"{name}: {requests:g} requests, at most {stats.get('max_in_flight'):g} in flight;"
            f" client CPU {stats.get('cpu_s'):.2f} s ({stats.get('cpu_s') / wall:.0%} of its"
            f" {wall:.2f} s); emulator CPU {per_request * 1000:.1f} ms per request"
            f" ({stats.get('server_cpu_s'):.2f} s)"
        )
    return lines


_SPEEDUP = Comparison("official", "cbasync", "wall_s", "cloud SDK/cbasync wall time")

register(
    Scenario(
        name="S4",
        title="alert sweep (v7)",
        description=(
            f"iterate the {S4_ALERTS:,} v7 alerts of the server's default two-week window, 50 ms"
            " latency per request, both SDKs at their defaults"
        ),
        emulator=Emulator(
            {
                "seed": 0,
                "org-key": ORG_KEY,
                "cloud-alerts": S4_ALERTS,
                "history-days": 10,
                "latency-ms": 50,
            }
        ),
        params={"org_key": ORG_KEY, "expected_items": S4_ALERTS},
        sides=(
            Side(
                "cbasync",
                alerts_cbasync,
                what="async for a in CBCloudAPI(...).select(Alert)",
                imports=("cbasync", "cbasync.cloud", *_LAZY_ASYNC_IMPORTS),
            ),
            Side(
                "official",
                alerts_official,
                what="for a in CBCloudAPI(...).select(Alert) (carbon-black-cloud-sdk 1.5.10)",
                imports=("cbc_sdk", "cbc_sdk.platform"),
            ),
        ),
        comparison=_SPEEDUP,
        floor=network_floor("cbasync"),
        targets=(Target.ratio_at_least(_SPEEDUP, 4.0),),
        details=_details,
        repetitions=3,
        warmup=1,
        warmup_sides=("cbasync",),
    )
)

register(
    Scenario(
        name="S4b",
        title="device sweep (scroll)",
        description=(
            f"scroll through {S4B_DEVICES:,} devices (past the search's 10,000 rows), 50 ms"
            " latency per request, both SDKs at their defaults"
        ),
        emulator=Emulator(
            {"seed": 0, "org-key": ORG_KEY, "devices": S4B_DEVICES, "latency-ms": 50}
        ),
        params={"org_key": ORG_KEY, "expected_items": S4B_DEVICES},
        preflight=_preflight_devices,
        sides=(
            Side(
                "cbasync",
                devices_cbasync,
                what="async for d in CBCloudAPI(...).select(Device).scroll()",
                imports=("cbasync", "cbasync.cloud", *_LAZY_ASYNC_IMPORTS),
            ),
            Side(
                "official",
                devices_official,
                what="while batch := cb.select(Device).scroll(10000) (carbon-black-cloud-sdk 1.5.10)",
                imports=("cbc_sdk", "cbc_sdk.platform"),
            ),
        ),
        comparison=_SPEEDUP,
        floor=network_floor("cbasync"),
        details=_details,
        repetitions=3,
        warmup=1,
        warmup_sides=("cbasync",),
    )
)
