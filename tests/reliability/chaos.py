"""Chaos: the SDK's main workloads at once, against an emulator that fails about a fifth of them.

The emulator answers 10% of requests with a 502/503/504, starts a 429 block (with
``Retry-After``) on 5%, resets the connection on 2% and holds 1% back past the client's total
deadline, with 20-100 ms of latency on every request. Meanwhile one EDR client and one cloud
client run, concurrently:

- ``searches`` paginated EDR process searches of ``search_rows`` rows each;
- ``auth_jobs`` Auth Events search jobs, read to the end;
- ``livequery_runs`` LiveQuery runs, waited for and their results read;
- a sweep of ``alerts`` cloud v7 alerts (the cloud store holds 10,000);
- a Live Response fan-out of ``lr_devices`` EDR sensors through the pool (10 slots).

Then, with faults switched off, the emulator's own answer to every search is read with plain
httpx (no cbasync), and the invariants are checked (:meth:`Report.violations`): no row lost or
duplicated in a search that completed; every unit of work completed or failed with a cbasync
error; no Live Response session left open; the slot limit never exceeded; no request sent during
a 429 block the client had been told about; no search job or session created twice for one call.

Everything runs on trio under ``MockClock(autojump_threshold=0)`` with the emulator on
:class:`~cbasync.testing.LoopClock`: the client's deadlines, backoffs and ``Retry-After`` waits and
the emulator's latency, slow answers and job durations share one virtual time, so a run costs CPU
only. ``nox -s chaos`` runs :data:`FULL` (``python -m tests.reliability.chaos``);
``tests/reliability/test_chaos.py`` runs :data:`SMALL` in the normal suite.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
import httpx
from trio.testing import MockClock

from cbasync import CBCloudAPI, CbResponseAPI, errors
from cbasync.cloud import Alert, AuthEvent, Run
from cbasync.live_response import LiveResponseSession
from cbasync.response import Process
from cbasync.testing import EmulatorConfig, LoopClock, create_app
from cbasync.testing.app import BASE_URL, EmulatorApp
from cbasync.testing.dataset.endpoints import DEVICE_ID_BASE
from cbasync.testing.faults import FaultInjector

__all__ = ["FULL", "SMALL", "Report", "Size", "chaos_config", "main", "run"]

#: Each client has its own token: the emulator rate-limits per token, so a 429 the cloud
#: client was sent blocks that client only, as each client's gate is its own.
EDR_TOKEN = "chaos-edr-token"
CLOUD_TOKEN = "CHAOSCLOUDSECRETKEY00001/CHAOSCLOUD"
#: The endpoint the emulated population always keeps offline (tests/live_response/conftest.py):
#: a LiveQuery run that includes it never completes.
OFFLINE = 4
_ONLINE = [d for d in range(10) if d != OFFLINE]
#: The client's timeouts: 2 s per phase, so a total deadline of 6 s per attempt; a slow answer
#: (65 s) is well past it.
CLIENT_TIMEOUT = 2.0
#: Virtual seconds a unit of work may take before it counts as hung (far more than any needs).
HUNG = 3_600.0


@dataclasses.dataclass(frozen=True)
class Size:
    """How much work a chaos run does."""

    searches: int
    search_rows: int
    auth_jobs: int
    livequery_runs: int
    alerts: int
    lr_devices: int
    page_rows: int = 500


#: What ``nox -s chaos`` runs (issue 18).
FULL = Size(
    searches=50, search_rows=5_000, auth_jobs=20, livequery_runs=10, alerts=10_000, lr_devices=100
)
#: A few percent of it, for the normal test run.
SMALL = Size(
    searches=4, search_rows=1_000, auth_jobs=2, livequery_runs=1, alerts=1_000, lr_devices=12,
    page_rows=100,
)  # fmt: skip


def chaos_config(size: Size, seed: int) -> EmulatorConfig:
    return EmulatorConfig(
        seed=seed,
        extra_tokens=(EDR_TOKEN, CLOUD_TOKEN),
        rate_limit_key="token",
        processes=max(10_000, size.searches * size.search_rows),
        devices=max(20, size.lr_devices + 10),
        online_ratio=1.0,
        cloud_alerts=size.alerts,
        lr_slots=10,
        fault_5xx=0.10,
        fault_429=0.05,
        retry_after=2.0,
        fault_reset=0.02,
        fault_slow=0.01,
        slow_response_seconds=65.0,
        latency_ms=20.0,
        jitter_ms=80.0,
    )


@dataclasses.dataclass
class Report:
    """What a chaos run saw; :meth:`violations` lists the invariants it broke."""

    seed: int
    size: Size
    rows_checked: int = 0
    duplicates: int = 0
    lost: int = 0
    outcomes: Counter[str] = dataclasses.field(default_factory=Counter)
    """``"<work>: ok"`` or ``"<work>: <error class>"`` -> count."""
    failed_routes: Counter[str] = dataclasses.field(default_factory=Counter)
    """``"<error class> <method> <route>"`` -> count: where the typed failures came from."""
    untyped: list[str] = dataclasses.field(default_factory=list)
    """Failures that were not a cbasync error (each a violation)."""
    open_sessions: int = 0
    max_sessions: int = 0
    slot_limit_violations: int = 0
    requests_during_block: int = 0
    duplicate_creations: int = 0
    extra_jobs: int = 0
    """Jobs the server created beyond one per call that asked for one."""
    requests: int = 0
    faults: dict[str, int] = dataclasses.field(default_factory=dict)
    wall: float = 0.0
    virtual: float = 0.0

    def failed(self, kind: str, error: errors.ApiError) -> None:
        self.outcomes[f"{kind}: {type(error).__name__}"] += 1
        self.failed_routes[f"{type(error).__name__} {error.method} {error.route}"] += 1

    def violations(self) -> list[str]:
        found = []
        for name in (
            "duplicates",
            "lost",
            "open_sessions",
            "slot_limit_violations",
            "requests_during_block",
            "duplicate_creations",
            "extra_jobs",
        ):
            if getattr(self, name):
                found.append(f"{name} = {getattr(self, name)}")
        if self.max_sessions > 10:
            found.append(f"{self.max_sessions} Live Response sessions open at once (10 slots)")
        found.extend(f"untyped failure: {u}" for u in self.untyped)
        if not self.rows_checked:
            found.append("no search completed: nothing was checked")
        return found

    def lines(self) -> list[str]:
        s = self.size
        return [
            f"chaos seed={self.seed}: {s.searches} EDR searches x {s.search_rows} rows, "
            f"{s.auth_jobs} Auth Events jobs, {s.livequery_runs} LiveQuery runs, "
            f"{s.alerts} alerts, Live Response on {s.lr_devices} devices",
            f"requests {self.requests}, injected faults "
            + ", ".join(f"{k} {v}" for k, v in self.faults.items()),
            f"rows checked {self.rows_checked}, duplicates {self.duplicates}, lost {self.lost}",
            "outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())),
            "failed requests: "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.failed_routes.items())),
            f"untyped failures {len(self.untyped)}",
            f"open sessions {self.open_sessions}, most sessions at once {self.max_sessions}, "
            f"slot-limit violations {self.slot_limit_violations}",
            f"requests during a 429 block {self.requests_during_block}, "
            f"duplicate creating POSTs {self.duplicate_creations}, extra jobs {self.extra_jobs}",
            f"wall {self.wall:.1f}s, virtual {self.virtual:.0f}s",
        ]


class _Work:
    """Runs units of work and records how each ended."""

    def __init__(self, report: Report) -> None:
        self.report = report

    async def __call__(self, kind: str, work: Callable[[], Awaitable[Any]]) -> Any:
        try:
            with anyio.fail_after(HUNG):
                result = await work()
        except errors.ApiError as exc:
            self.report.failed(kind, exc)
            return None
        except Exception as exc:
            self.report.outcomes[f"{kind}: {type(exc).__name__} (untyped)"] += 1
            self.report.untyped.append(f"{kind}: {type(exc).__name__}: {exc}")
            return None
        self.report.outcomes[f"{kind}: ok"] += 1
        return result


def _check_rows(report: Report, got: Sequence[Any], expected: Sequence[Any]) -> None:
    report.rows_checked += len(got)
    report.duplicates += len(got) - len(set(got))
    report.lost += len(set(expected) - set(got))
    # A row the server never had is as wrong as a lost one.
    report.lost += len(set(got) - set(expected))


async def run(size: Size = SMALL, seed: int = 0) -> Report:
    """One chaos run (call it on trio under ``MockClock``: see :func:`run_sync`)."""
    report = Report(seed=seed, size=size)
    app = create_app(chaos_config(size, seed), clock=LoopClock())
    work = _Work(report)
    started = anyio.current_time()
    searches: dict[int, list[str]] = {}
    auth: dict[int, list[str]] = {}
    runs: dict[int, tuple[str, list[Any]]] = {}
    sweep: list[str] = []

    def client(cls: Any, token: str) -> Any:
        return cls(
            url=BASE_URL,
            token=token,
            org_key=app.config.org_key,
            transport=httpx.ASGITransport(app=app),
            timeout=CLIENT_TIMEOUT,
            environ={},
        )

    edr: CbResponseAPI
    cloud: CBCloudAPI
    async with client(CbResponseAPI, EDR_TOKEN) as edr, client(CBCloudAPI, CLOUD_TOKEN) as cloud:

        async def search(i: int) -> None:
            start = i * size.search_rows
            query = edr.select(Process)[start : start + size.search_rows]
            rows = [p.unique_id async for p in query.batch_size(size.page_rows)]
            searches[i] = rows

        async def auth_job(i: int) -> None:
            query = _auth_query(cloud, i)
            auth[i] = [e.event_id async for e in query.batch_size(size.page_rows)]

        async def livequery(i: int) -> None:
            devices = [DEVICE_ID_BASE + d for d in _ONLINE[i % 3 : i % 3 + 5]]
            submitted = await Run.submit(cloud, "SELECT * FROM system_info", device_ids=devices)
            await submitted.wait(max_wait=600)
            rows = [_result_key(r) async for r in submitted.results().batch_size(100)]
            runs[i] = (submitted.id, rows)

        async def alerts() -> None:
            sweep.extend([a.id async for a in cloud.select(Alert).batch_size(size.page_rows)])

        async def fan_out() -> None:
            devices = [d + 1 for d in range(size.lr_devices)]
            async with edr.live_response.run(
                _processes, devices, slots=10, job_timeout=300
            ) as results:
                async for result in results:
                    if result.ok:
                        report.outcomes["live response: ok"] += 1
                    elif isinstance(result.error, errors.ApiError):
                        report.failed("live response", result.error)
                    else:
                        name = type(result.error).__name__
                        report.outcomes[f"live response: {name} (untyped)"] += 1
                        report.untyped.append(f"live response: {name}: {result.error}")

        async with anyio.create_task_group() as tg:
            for i in range(size.searches):
                tg.start_soon(work, "edr search", lambda i=i: search(i))
            for i in range(size.auth_jobs):
                tg.start_soon(work, "auth events job", lambda i=i: auth_job(i))
            for i in range(size.livequery_runs):
                tg.start_soon(work, "livequery run", lambda i=i: livequery(i))
            tg.start_soon(work, "alert sweep", alerts)
            tg.start_soon(work, "live response fan-out", fan_out)

    report.virtual = anyio.current_time() - started
    counters = app.counters
    lr = counters.lr("edr")
    report.open_sessions = lr.open
    report.max_sessions = lr.max_concurrent
    report.slot_limit_violations = lr.slot_limit_violations
    report.requests_during_block = counters.requests_during_block
    report.duplicate_creations = counters.duplicate_creations
    report.requests = counters.total_requests
    report.faults = dict(counters.snapshot()["faults"])
    report.faults.pop("requests_during_block", None)
    calls = {"auth_search": size.auth_jobs, "livequery_run": size.livequery_runs}
    report.extra_jobs = sum(
        max(0, counters.jobs_created.get(kind, 0) - n) for kind, n in calls.items()
    )

    # The emulator's own answers, read without cbasync and without faults.
    app.state.faults = FaultInjector(EmulatorConfig(), app.clock)
    headers = {"X-Auth-Token": app.config.token}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers
    ) as http:
        for i, rows in sorted(searches.items()):
            _check_rows(report, rows, await _edr_truth(http, i * size.search_rows, size))
        for i, rows in sorted(auth.items()):
            _check_rows(report, rows, await _auth_truth(http, app, i))
        for run_id, rows in runs.values():
            _check_rows(report, rows, await _livequery_truth(http, app, run_id))
        if sweep:
            _check_rows(report, sweep, await _alert_truth(http, app))
    return report


async def _processes(lr: LiveResponseSession) -> int:
    return len(await lr.list_processes())


#: (windows_event_id) of the Auth Events kinds the jobs search for, one per job in turn.
_AUTH_KINDS = (4624, 4634, 4672, 4625, 4648)


def _auth_query(cloud: CBCloudAPI, i: int) -> Any:
    kind = _AUTH_KINDS[i % len(_AUTH_KINDS)]
    # Jobs differ (a query identifies its job): the i-th job of a kind also excludes i's port.
    return (
        cloud.select(AuthEvent)
        .where(f"windows_event_id:{kind}")
        .where(f"-auth_remote_port:{i}")
        .time_range(window="-10w")
    )


def _auth_body(i: int) -> dict[str, Any]:
    kind = _AUTH_KINDS[i % len(_AUTH_KINDS)]
    return {
        "query": f"(windows_event_id:{kind}) AND (-auth_remote_port:{i})",
        "time_range": {"window": "-10w"},
        "rows": 10_000,
    }


def _result_key(row: Any) -> str:
    device = row.device.id if row.device else None
    return f"{device}:{sorted((row.fields or {}).items())!r}"


async def _edr_truth(http: httpx.AsyncClient, start: int, size: Size) -> list[str]:
    answer = await http.get(
        "/api/v1/process", params={"q": "", "start": start, "rows": size.search_rows}
    )
    answer.raise_for_status()
    return [row["unique_id"] for row in answer.json()["results"]]


async def _auth_truth(http: httpx.AsyncClient, app: EmulatorApp, i: int) -> list[str]:
    base = f"/api/investigate/v2/orgs/{app.config.org_key}/auth_events/search_jobs"
    job = (await http.post(base, json=_auth_body(i))).json()["job_id"]
    while True:
        answer = (await http.get(f"{base}/{job}/results", params={"rows": 0})).json()
        if answer["contacted"] and answer["completed"] >= answer["contacted"]:
            break
        await anyio.sleep(0.5)
    page = await http.get(f"{base}/{job}/results", params={"rows": answer["num_available"]})
    return [row["event_id"] for row in page.json()["results"]]


async def _livequery_truth(http: httpx.AsyncClient, app: EmulatorApp, run_id: str) -> list[str]:
    url = f"/livequery/v1/orgs/{app.config.org_key}/runs/{run_id}/results/_search"
    answer = await http.post(url, json={"start": 0, "rows": 10_000})
    answer.raise_for_status()
    return [
        f"{row['device']['id']}:{sorted((row.get('fields') or {}).items())!r}"
        for row in answer.json()["results"]
    ]


async def _alert_truth(http: httpx.AsyncClient, app: EmulatorApp) -> list[str]:
    url = f"/api/alerts/v7/orgs/{app.config.org_key}/alerts/_search"
    answer = await http.post(url, json={"start": 1, "rows": 10_000})
    answer.raise_for_status()
    return [row["id"] for row in answer.json()["results"]]


def run_sync(size: Size = SMALL, seed: int = 0) -> Report:
    """:func:`run` on trio with a virtual clock that jumps whenever every task waits."""
    began = time.perf_counter()
    report: Report = anyio.run(
        run, size, seed, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)}
    )
    report.wall = time.perf_counter() - began
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--small", action="store_true", help="the in-suite size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    report = run_sync(SMALL if args.small else FULL, args.seed)
    for line in report.lines():
        print(line)
    broken = report.violations()
    for line in broken:
        print(f"INVARIANT BROKEN: {line}")
    print("chaos: OK" if not broken else f"chaos: {len(broken)} invariant(s) broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
