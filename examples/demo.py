"""A tour of cbasync against the embedded Carbon Black emulator — no Carbon Black server needed.

Run it with ``python3 -m nox -s demo`` (or ``python examples/demo.py`` where cbasync[emulator] is
installed). It starts the emulator on loopback over TLS, pins the emulator's CA the way you would
pin an EDR server's self-signed certificate, and then hunts the way a triage tool would:

1. count, facet and page through a process search (pages fetched concurrently);
2. walk a suspicious process's tree and read its events;
3. stream its binary to disk, unpacked on the fly, and check the signature;
4. isolate the host and wait (bounded) until the sensor confirms, then lift it;
5. run a dozen hunts at once, inside one connection pool;
6. show what a malformed query and a missing object raise.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import anyio

from cbasync import CbResponseAPI, ObjectNotFoundError, QuerySyntaxError
from cbasync.response import Binary, Process, Sensor
from cbasync.testing import EmulatorConfig
from cbasync.testing.server import running_server

HUNTS = [
    "process_name:powershell.exe",
    "process_name:cmd.exe",
    "process_name:rundll32.exe",
    "process_name:svchost.exe",
    "process_name:explorer.exe",
    "process_name:chrome.exe",
    "process_name:winword.exe",
    "process_name:conhost.exe",
    "process_name:whoami.exe",
    "process_name:net.exe",
    "process_name:ipconfig.exe",
    "process_name:schtasks.exe",
]


def heading(text: str) -> None:
    print(f"\n== {text}")


async def main() -> None:
    config = EmulatorConfig(seed=7, processes=20_000, devices=25, isolation_delay=1.0)
    async with running_server(config, tls=True) as (info, _app):
        print(
            f"emulator listening on {info.url} (TLS, CA pinned from {Path(info.ca_file or '').name})"
        )
        async with CbResponseAPI(url=info.url, token=info.token, ssl_cert_file=info.ca_file) as api:
            version = ".".join(map(str, await api.server_version()))
            print(f"connected to EDR {version}")
            await hunt(api)
            suspect = await investigate(api)
            await fetch_binary(api, suspect)
            await contain(api, suspect)
            await many_hunts(api)
            await errors(api)
    print("\ndone: every session closed, every task finished.")


async def hunt(api: CbResponseAPI) -> None:
    heading("1. hunt")
    query = api.select(Process).where("process_name:powershell.exe")
    print(f"powershell.exe processes: {await query.count()}")
    facets = await query.facets("hostname", "username")
    for value in facets["hostname"][:3]:
        print(f"  {value.name:<24} {value.value:>5} ({value.ratio}%)")
    started = time.perf_counter()
    rows = 0
    hosts: set[str] = set()
    async for process in api.select(Process).where("process_name:svchost.exe").batch_size(100):
        rows += 1
        hosts.add(process.hostname or "?")
    print(
        f"paged {rows} svchost.exe rows from {len(hosts)} hosts in {time.perf_counter() - started:.2f}s"
    )


async def investigate(api: CbResponseAPI) -> Process:
    heading("2. investigate")
    # The newest cmd.exe on a host that is online (sensor joins are cached per client, so
    # processes on the same host cost one sensor request between them).
    suspect = None
    async for candidate in (
        api.select(Process).where("process_name:cmd.exe").sort("start desc")[:50]
    ):
        if (await candidate.sensor()).is_online:
            suspect = candidate
            break
    if suspect is None:
        raise SystemExit("no cmd.exe process on an online host in the dataset")
    await suspect.refresh()
    print(
        f"{suspect.process_name} pid {suspect.process_pid} on {suspect.hostname}, started {suspect.start}"
    )
    async for ancestor in suspect.walk_parents():
        print(f"  {'  ' * ancestor.depth}^ {ancestor.process_name} (pid {ancestor.process_pid})")
    async for child in suspect.walk_children(max_depth=2):
        print(f"  {'  ' * child.depth}v {child.process_name}")
    events = await suspect.events()
    kinds = {
        name: len(getattr(events, name))
        for name in ("modloads", "filemods", "regmods", "netconns", "childprocs", "crossprocs")
    }
    print(f"  events: {kinds}")
    return suspect


async def fetch_binary(api: CbResponseAPI, suspect: Process) -> None:
    heading("3. binary")
    binary: Binary = await suspect.binary()
    with tempfile.TemporaryDirectory() as folder:
        path = await binary.download_to(Path(folder) / f"{binary.md5}.bin")
        size = path.stat().st_size
    print(
        f"{binary.md5}: {size} bytes, signed={binary.is_signed} by {binary.signing_data.publisher!r}"
    )


async def contain(api: CbResponseAPI, suspect: Process) -> None:
    heading("4. contain")
    sensor: Sensor = await suspect.sensor()
    if not sensor.is_online:
        print(
            f"sensor {sensor.id} ({sensor.computer_name}) is offline: isolation would wait for it"
        )
        return
    started = time.perf_counter()
    await sensor.isolate(max_wait=30, poll_interval=0.25)
    print(
        f"isolated {sensor.computer_name} in {time.perf_counter() - started:.1f}s (confirmed by the sensor)"
    )
    await sensor.unisolate(max_wait=30, poll_interval=0.25)
    print(f"isolation lifted; is_isolating={sensor.is_isolating}")


async def many_hunts(api: CbResponseAPI) -> None:
    heading("5. a dozen hunts at once")
    counts: dict[str, int] = {}

    async def one(query: str) -> None:
        counts[query] = await api.select(Process).where(query).count()

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for query in HUNTS:
            tg.start_soon(one, query)
    for query in HUNTS:
        print(f"  {query:<32} {counts[query]:>6}")
    print(f"{len(HUNTS)} searches in {time.perf_counter() - started:.2f}s")


async def errors(api: CbResponseAPI) -> None:
    heading("6. errors are typed")
    try:
        await api.select(Process).where("process_name:(cmd.exe").count()
    except QuerySyntaxError as exc:
        print(f"QuerySyntaxError: {exc}")
    try:
        await api.get(Sensor, 999_999)
    except ObjectNotFoundError as exc:
        print(f"ObjectNotFoundError: {exc}")


if __name__ == "__main__":
    try:
        anyio.run(main)  # the loopback server runs on asyncio
    except KeyboardInterrupt:
        sys.exit(130)
