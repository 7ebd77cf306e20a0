"""Running cbasync at scale: one client per server (or cloud org) per task, inside a task engine.

A task engine — Celery, Dask, Ray, or the standard library's process pool used here — runs plain
functions in worker processes. cbasync fits it with one rule: **a client lives inside one task's
event loop**. Each task opens its client, runs its hunt concurrently inside that server's limits,
closes the client and returns plain data. Nothing with a socket crosses a process boundary, and a
client is never shared between event loops (cbasync raises ``ClientStateError`` if one is).

    python examples/at_scale.py                    # two embedded emulators as two "orgs"

:func:`hunt` is the task. It takes a :class:`Target` naming a credential *profile* (or, for the
emulators here, a URL): task messages go through brokers and result stores, and a profile name
keeps tokens out of them — each worker reads its own credential files. See the docs page
"Running at scale" for the same function under Celery, Dask and Ray.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat

import anyio

from cbasync import ApiError, CbResponseAPI
from cbasync.response import Process

HUNTS = (
    "process_name:powershell.exe",
    "process_name:rundll32.exe",
    "process_name:net.exe",
    "process_name:schtasks.exe",
)


@dataclass(frozen=True)
class Target:
    """Where one task hunts: a credential profile, or an explicit server (tests, emulators)."""

    name: str
    profile: str | None = None
    url: str | None = None
    token: str | None = None  # only for throw-away servers: prefer a profile
    ssl_cert_file: str | None = None


@dataclass
class Result:
    """What a task returns: plain data, picklable and JSON-able."""

    target: str
    counts: dict[str, int] = field(default_factory=dict)
    top_hosts: list[tuple[str, int]] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def hunt(target: Target, queries: Sequence[str] = HUNTS) -> Result:
    """The task: a fresh event loop, one client, every hunt at once, the client closed."""
    started = time.perf_counter()
    try:
        result = anyio.run(_hunt, target, list(queries))
    except Exception as exc:
        error = api_error(exc)
        if error is None:
            raise  # a bug, not the server: let the engine record the traceback
        # A typed, token-free message: safe to hand back through a result store.
        result = Result(target.name, error=f"{type(error).__name__}: {error}")
    result.seconds = time.perf_counter() - started
    return result


def api_error(exc: BaseException) -> ApiError | None:
    """The cbasync error behind a failure (a task group wraps its tasks' errors in a group)."""
    while not isinstance(exc, ApiError):
        inner = getattr(exc, "exceptions", None)
        if not inner:
            return None
        exc = inner[0]
    return exc


async def _hunt(target: Target, queries: list[str]) -> Result:
    result = Result(target.name)
    client = (
        CbResponseAPI(profile=target.profile)
        if target.profile is not None
        else CbResponseAPI(url=target.url, token=target.token, ssl_cert_file=target.ssl_cert_file)
    )
    async with client as api:

        async def count(query: str) -> None:
            result.counts[query] = await api.select(Process).where(query).count()

        async with anyio.create_task_group() as tg:  # concurrent within one server's limits
            for query in queries:
                tg.start_soon(count, query)
        facets = await api.select(Process).where(" OR ".join(queries)).facets("hostname")
        result.top_hosts = [(f.name or "?", f.value or 0) for f in facets["hostname"][:3]]
    return result


def hunt_everywhere(targets: Sequence[Target], workers: int = 2) -> list[Result]:
    """Fan the task out over worker processes (Celery, Dask and Ray do the same with theirs)."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(hunt, targets, repeat(HUNTS)))


def main() -> int:
    # Two emulated EDR servers in subprocesses stand in for two orgs.
    from cbasync.testing import EmulatorConfig
    from cbasync.testing.server import spawn_server

    with (
        spawn_server(EmulatorConfig(seed=1, processes=5_000, devices=20)) as east,
        spawn_server(EmulatorConfig(seed=2, processes=8_000, devices=30)) as west,
    ):
        targets = [
            Target("east", url=east.url, token=east.token, ssl_cert_file=east.ca_file),
            Target("west", url=west.url, token=west.token, ssl_cert_file=west.ca_file),
        ]
        for result in hunt_everywhere(targets):
            print(f"{result.target}: {result.counts} top hosts {result.top_hosts} "
                  f"({result.seconds:.2f}s){' ' + result.error if result.error else ''}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
