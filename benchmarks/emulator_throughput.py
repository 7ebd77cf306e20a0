"""How fast is the emulator itself? (Issue 4: it must never be the bottleneck of a benchmark.)

    python -m benchmarks.emulator_throughput [--seconds 5] [--connections 8] [--tls] [--http h11]

Starts ``cbasync emulator`` in its own process (one core), then measures from this process:

1. small GETs per second over loopback keep-alive connections, latency 0 (``/api/v1/sensor/1``
   and ``/api/info``), with a minimal raw-socket HTTP/1.1 client so the client is not what is
   measured (with ``--tls`` the client is httpx, which costs more per request);
2. the server time of a 100-row process page (the ``elapsed`` the server reports, which covers
   matching, sorting and rendering) and the wall time a client sees, over a 200,000-process
   dataset, first page (cold: the query scan) and steady state (the pages a sweep requests).

Prints a small table; ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import ssl
import statistics
import time
from typing import Any

import anyio
import httpx

from cbasync.testing.config import EmulatorConfig
from cbasync.testing.server import ServerInfo, spawn_server


async def _raw_client(host: str, port: int, path: str, token: str, stop_at: float) -> int:
    """Send GETs back to back on one keep-alive connection until ``stop_at``; count answers."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Auth-Token: {token}\r\n"
        "User-Agent: throughput\r\n\r\n"
    ).encode()
    done = 0
    async with await anyio.connect_tcp(host, port) as stream:
        buf = b""
        while time.monotonic() < stop_at:
            await stream.send(request)
            # Read one response: headers, then Content-Length bytes.
            while b"\r\n\r\n" not in buf:
                buf += await stream.receive()
            head, _, rest = buf.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.split(b"\r\n")[0].decode())
            while len(rest) < length:
                rest += await stream.receive()
            buf = rest[length:]
            done += 1
    return done


async def _rate_raw(info: ServerInfo, path: str, seconds: float, connections: int) -> float:
    host, port = info.url.split("//", 1)[1].rsplit(":", 1)
    counts: list[int] = []
    stop_at = time.monotonic() + seconds
    began = time.monotonic()

    async def one() -> None:
        counts.append(await _raw_client(host, int(port), path, info.token, stop_at))

    async with anyio.create_task_group() as tg:
        for _ in range(connections):
            tg.start_soon(one)
    return sum(counts) / (time.monotonic() - began)


def _verify(info: ServerInfo) -> ssl.SSLContext | bool:
    return ssl.create_default_context(cafile=info.ca_file) if info.ca_file else True


async def _rate_httpx(info: ServerInfo, path: str, seconds: float, connections: int) -> float:
    done = 0
    stop_at = time.monotonic() + seconds
    began = time.monotonic()
    async with httpx.AsyncClient(
        base_url=info.url,
        verify=_verify(info),
        headers={"X-Auth-Token": info.token},
        limits=httpx.Limits(max_connections=connections),
    ) as client:

        async def one() -> None:
            nonlocal done
            while time.monotonic() < stop_at:
                r = await client.get(path)
                r.raise_for_status()
                done += 1

        async with anyio.create_task_group() as tg:
            for _ in range(connections):
                tg.start_soon(one)
    return done / (time.monotonic() - began)


async def _page_times(info: ServerInfo, pages: int) -> dict[str, Any]:
    async with httpx.AsyncClient(
        base_url=info.url, verify=_verify(info), headers={"X-Auth-Token": info.token}
    ) as client:

        async def page(start: int, q: str) -> tuple[float, float]:
            began = time.perf_counter()
            r = await client.get("/api/v1/process", params={"q": q, "start": start, "rows": 100})
            wall = time.perf_counter() - began
            r.raise_for_status()
            return float(r.json()["elapsed"]), wall

        cold_server, cold_wall = await page(0, "os_type:windows")
        server: list[float] = []
        wall: list[float] = []
        cpu_before = _cpu_seconds(info.pid)
        for k in range(1, pages + 1):
            s, w = await page(k * 100, "os_type:windows")
            server.append(s)
            wall.append(w)
        cpu_per_page = (_cpu_seconds(info.pid) - cpu_before) / pages
        match_all: list[float] = []
        for k in range(pages):
            s, _ = await page(50_000 + k * 100, "")
            match_all.append(s)
    return {
        "cold_query_server_s": cold_server,
        "cold_query_wall_s": cold_wall,
        "page_server_ms_median": statistics.median(server) * 1000,
        "page_server_cpu_ms_mean": cpu_per_page * 1000,
        "page_wall_ms_median": statistics.median(wall) * 1000,
        "match_all_page_server_ms_median": statistics.median(match_all) * 1000,
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to express throughput per CPU-second:
    on a shared machine wall-clock rates depend on what else runs."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    import os

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _measure(args: argparse.Namespace, info: ServerInfo) -> dict[str, Any]:
    results: dict[str, Any] = {"url": info.url, "connections": args.connections}
    for path in ("/api/v1/sensor/1", "/api/info"):
        cpu_before = _cpu_seconds(info.pid)
        began = time.monotonic()
        if args.tls:
            rate = await _rate_httpx(info, path, args.seconds, args.connections)
        else:
            rate = await _rate_raw(info, path, args.seconds, args.connections)
        wall = time.monotonic() - began
        cpu = _cpu_seconds(info.pid) - cpu_before
        results[f"req_per_s {path}"] = round(rate)
        results[f"req_per_server_cpu_s {path}"] = round(rate * wall / cpu) if cpu else None
    results.update(await _page_times(info, args.pages))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--http", choices=("auto", "h11", "httptools"), default="auto")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    config = EmulatorConfig(processes=200_000, devices=500)
    started = time.monotonic()
    with spawn_server(config, tls=args.tls, extra_args=["--http", args.http]) as info:
        ready_s = time.monotonic() - started
        results = anyio.run(_measure, args, info)
    results["ready_s"] = round(ready_s, 2)
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(
            f"{key:<{width}}  {value:.3f}"
            if isinstance(value, float)
            else f"{key:<{width}}  {value}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
