"""Carbon Black Cloud search-job scenarios: cbasync against carbon-black-cloud-sdk 1.5.10.

- S3 concurrent hunts: 20 Auth Events searches of 5,000 results each, every server job taking
  2 s, 20 ms of latency per request. The official SDK runs them one after another (its queries
  are synchronous), with ``set_rows(5000)`` so it fetches everything (its default job ``rows`` is
  500: it would silently stop there); cbasync runs them concurrently with its defaults (a job
  pool of 10, jobs submitted with ``rows`` 10,000, 1,000-row pages).

The floor is what the server allows any client: the jobs run ``pool`` at a time, so they need
``job duration x ceil(jobs / pool)`` whatever the client does, plus the fetch the last round
cannot overlap with a running job: its pages at ``latency x pages / concurrency`` or the
server's CPU for them (one round's share of the run's), whichever is larger, plus the round
trips one job cannot avoid (validate, submit, one poll that sees it done).
"""

from __future__ import annotations

import math
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
    register,
)

S3_JOBS = 20
S3_EVENTS = 5_000
S3_JOB_SECONDS = 2.0
S3_LATENCY_MS = 20
#: Every search matches every event: the dataset's events span 30 days, each search a window
#: of more (a different one per search, so each is its own job: the same search would share one).
S3_QUERY = "windows_event_id:*"


def _window(i: int) -> str:
    return f"-{40 + i}d"


async def hunts_cbasync(ctx: SideContext) -> Mapping[str, Any]:
    """The 20 searches at once: ``async for`` over each query, in a task group."""
    import anyio

    from cbasync import CBCloudAPI
    from cbasync.cloud import AuthEvent

    counts = [0] * S3_JOBS
    async with CBCloudAPI(
        url=ctx.url, token=ctx.token, org_key=ctx.org_key, ssl_cert_file=ctx.ca_file
    ) as api:
        queries = [
            api.select(AuthEvent).where(S3_QUERY).time_range(window=_window(i))
            for i in range(S3_JOBS)
        ]

        async def drain(i: int) -> None:
            async for _event in queries[i]:
                counts[i] += 1

        async with anyio.create_task_group() as tg:
            for i in range(S3_JOBS):
                tg.start_soon(drain, i)
        pool = api.job_slots.limiter.total_tokens
        polls = sum(q.job.polls for q in queries)
    return {
        "items": sum(counts),
        "pool": pool,
        "pool_source": "CBCloudAPI's default job pool (max_concurrent_jobs)",
        "client_polls_per_job": polls / S3_JOBS,
        "page_size": queries[0]._page_size,
        "concurrency": queries[0]._concurrency,
        "concurrency_source": "the query's page window (default DEFAULT_CONCURRENCY)",
    }


def hunts_official(ctx: SideContext) -> Mapping[str, Any]:
    """The same 20 searches with carbon-black-cloud-sdk, one after another, ``set_rows(5000)``."""
    from cbc_sdk import CBCloudAPI
    from cbc_sdk.enterprise_edr import AuthEvent

    cb = CBCloudAPI(
        url=ctx.url,
        token=ctx.token,
        org_key=ctx.org_key,
        ssl_verify=True,
        ssl_cert_file=ctx.ca_file,
    )
    n = 0
    for i in range(S3_JOBS):
        query = (
            cb.select(AuthEvent).where(S3_QUERY).set_time_range(window=_window(i)).set_rows(5_000)
        )
        for _event in query:
            n += 1
    return {
        "items": n,
        "pool": 1,
        "pool_source": "sequential: one job at a time",
        "page_size": 5_000,
        "concurrency": 1,
        "concurrency_source": "sequential",
    }


def _preflight(ctx: PreflightContext) -> str:
    """The org has the events the searches need (the emulator's own count, no job)."""
    config = ctx.get_json("/__emulator__/config")
    events = config.get("auth_events")
    if events != S3_EVENTS:
        raise ValueError(f"the emulator has {events} auth events, the scenario needs {S3_EVENTS}")
    return f"{events} auth events, job duration {config.get('job_duration')} s"


def _s3_floor(summary: ScenarioSummary) -> Floor:
    stats = summary.sides["cbasync"]
    emulator = summary.scenario.emulator
    assert emulator is not None
    latency = emulator.latency_s
    pool = stats.get("pool")
    rounds = math.ceil(S3_JOBS / pool)
    jobs = S3_JOB_SECONDS * rounds
    pages = S3_JOBS * math.ceil(S3_EVENTS / stats.get("page_size")) / rounds
    network = latency * pages / stats.get("concurrency")
    server = stats.get("server_cpu_s") / rounds
    fetch = max(network, server)
    unavoidable = latency * 3  # validate, submit, the poll that sees the job done
    value = jobs + fetch + unavoidable
    explanation = (
        f"{S3_JOB_SECONDS:g} s x ceil({S3_JOBS} jobs / pool {pool:g}) = {jobs:.2f} s"
        f" + last round's fetch max({pages:g} pages x {latency * 1000:g} ms /"
        f" {stats.get('concurrency'):g} = {network:.3f} s, server CPU {server:.3f} s)"
        f" + 3 round trips = {value:.3f} s"
    )
    return Floor(
        side="cbasync",
        metric="wall_s",
        value=value,
        explanation=explanation,
        parts={"jobs_s": jobs, "fetch_s": fetch, "rounds": rounds, "pool": pool},
    )


def _s3_details(summary: ScenarioSummary) -> list[str]:
    lines = []
    for name, stats in summary.sides.items():
        created = stats.get("jobs_created")
        polls = stats.get("jobs_polled")
        status_polls = stats.median.get("client_polls_per_job")
        client = "" if status_polls is None else f", {status_polls:.1f} of them status polls"
        lines.append(
            f"{name}: {stats.get('wall_s'):.2f} s; {created:g} jobs, {polls / created:.1f}"
            f" result requests per job (polls and pages: the emulator's count{client}), at most"
            f" {stats.get('jobs_max_running'):g} running at once (pool {stats.get('pool'):g});"
            f" {stats.get('requests'):g} requests, at most {stats.get('max_in_flight'):g} in"
            f" flight; client CPU {stats.get('cpu_s'):.2f} s, emulator CPU"
            f" {stats.get('server_cpu_s'):.2f} s"
        )
    return lines


_SPEEDUP = Comparison("official", "cbasync", "wall_s", "cbc-sdk/cbasync wall time")


def _polls_per_job(bound: float) -> Target:
    # The emulator counts every results request as a poll, pages included: a stricter count
    # than the status polls alone.
    def check(summary: ScenarioSummary, floor: Floor | None) -> tuple[bool, str]:
        stats = summary.sides["cbasync"]
        per_job = stats.get("jobs_polled") / stats.get("jobs_created")
        return per_job <= bound, f"cbasync polls per job = {per_job:.1f} (need <= {bound:g})"

    return Target(f"cbasync polls per job <= {bound:g}", check)


def _pool_respected(summary: ScenarioSummary, floor: Floor | None) -> tuple[bool, str]:
    stats = summary.sides["cbasync"]
    most, pool = stats.high["jobs_max_running"], stats.get("pool")
    return most <= pool, f"most cbasync jobs running at once = {most:g} (pool {pool:g})"


register(
    Scenario(
        name="S3",
        title="concurrent Auth Events hunts",
        description=(
            f"{S3_JOBS} Auth Events searches of {S3_EVENTS:,} results each, server jobs of"
            f" {S3_JOB_SECONDS:g} s, {S3_LATENCY_MS} ms latency; carbon-black-cloud-sdk one after"
            " another (rows raised to 5,000), cbasync concurrently at its defaults"
        ),
        emulator=Emulator(
            {
                "seed": 0,
                "auth-events": S3_EVENTS,
                "job-seconds": S3_JOB_SECONDS,
                "latency-ms": S3_LATENCY_MS,
            }
        ),
        params={"expected_items": S3_JOBS * S3_EVENTS},
        preflight=_preflight,
        sides=(
            Side(
                "cbasync",
                hunts_cbasync,
                what="20 x async for e in api.select(AuthEvent).where(q), in one task group",
                imports=("cbasync", "cbasync.cloud", "httpcore", "anyio._backends._asyncio"),
            ),
            Side(
                "official",
                hunts_official,
                what="20 x for e in cb.select(AuthEvent).where(q).set_rows(5000), in sequence",
                imports=("cbc_sdk", "cbc_sdk.enterprise_edr"),
            ),
        ),
        comparison=_SPEEDUP,
        floor=_s3_floor,
        details=_s3_details,
        targets=(
            Target.ratio_at_least(_SPEEDUP, 8.0),
            Target.within_floor(1.3),
            _polls_per_job(10.0),
            Target("the job pool is respected", _pool_respected),
        ),
        repetitions=3,
        warmup=1,
    )
)
