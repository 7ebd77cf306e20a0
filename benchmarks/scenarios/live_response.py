"""Live Response scenarios: cbasync's pool against cbapi 2.x's job-based API.

- S2 fleet collection: the same job — a directory list, a 64 KiB ``get file`` and a process list
  — on 100 EDR sensors through 10 session slots, on an emulator whose sessions take 300 ms to
  activate and whose commands take 100 ms each, with 20 ms of latency on every request.

The floor is the server's own schedule: 100 devices through 10 slots is ``ceil(100 / 10) = 10``
sessions one after another per slot, each at least the activation plus the three commands the
sensor runs one at a time (``activation + 3 x command``), whatever the client does. Latency is
not in it, so no client reaches it: three round trips per device (open, queue, close) sit on the
critical path of any client.
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

S2_DEVICES = 100
S2_SLOTS = 10
S2_ACTIVATION_S = 0.3
S2_COMMAND_S = 0.1
S2_DIRECTORY = "C:\\Windows\\Temp\\"
S2_FILE = "C:\\Windows\\Temp\\s2-sample.bin"
S2_FILE_BYTES = 64 * 1024


async def s2_cbasync(ctx: SideContext) -> Mapping[str, Any]:
    """``async with api.live_response.run(collect, sensor_ids, slots=10) as results``; the job
    queues its three commands at once (the sensor runs them back to back)."""
    import anyio

    from cbasync import CbResponseAPI
    from cbasync.live_response import LiveResponseSession
    from cbasync.response import Sensor

    params = ctx.params
    directory, path = params["directory"], params["file"]
    failures: list[str] = []

    async def collect(lr: LiveResponseSession) -> int:
        sizes: dict[str, int] = {}

        async def listing() -> None:
            sizes["entries"] = len(await lr.list_directory(directory))

        async def sample() -> None:
            sizes["bytes"] = len(await lr.get_file(path))

        async def processes() -> None:
            sizes["processes"] = len(await lr.list_processes())

        async with anyio.create_task_group() as tg:
            for command in (listing, sample, processes):
                tg.start_soon(command)
        return sizes["bytes"]

    async with CbResponseAPI(url=ctx.url, token=ctx.token, ssl_cert_file=ctx.ca_file) as api:
        sensors = [s.id async for s in api.select(Sensor) if s.get("os_type") == 1 and s.is_online]
        targets = sorted(sensors)[: params["devices"]]
        ctx.start_clock()
        fetched = 0
        async with api.live_response.run(collect, targets, slots=params["slots"]) as results:
            async for result in results:
                if result.ok and result.value == params["file_bytes"]:
                    fetched += 1
                else:
                    failures.append(f"{result.device_id}: {result.error!r}")
        most = api.live_response.most_sessions_open
    return {
        "items": fetched,
        "client_most_sessions": most,
        "failures": failures[:5],
    }


def s2_cbapi(ctx: SideContext) -> Mapping[str, Any]:
    """``cb.live_response.submit_job(job.run, sensor_id)`` for each sensor, then every future's
    result (cbapi's scheduler: 10 worker threads, one session each). Its workers keep their last
    sessions open when the jobs are done; they are told to exit (and close them) at the end, in
    the timed section, so the next run finds the server's slots free."""
    import concurrent.futures

    from cbapi.response import CbEnterpriseResponseAPI, Sensor

    params = ctx.params
    directory, path = params["directory"], params["file"]

    class Collect:
        def run(self, session: Any) -> int:
            session.list_directory(directory)
            data = session.get_file(path)
            session.list_processes()
            return len(data)

    cb = CbEnterpriseResponseAPI(
        url=ctx.url, token=ctx.token, ssl_verify=True, ssl_cert_file=ctx.ca_file
    )
    sensors = [s.id for s in cb.select(Sensor) if s.os_type == 1 and s.status == "Online"]
    targets = sorted(sensors)[: params["devices"]]
    ctx.start_clock()
    job = Collect()
    futures = [cb.live_response.submit_job(job.run, sensor_id) for sensor_id in targets]
    done, _ = concurrent.futures.wait(futures, timeout=params["cbapi_timeout"])
    fetched = sum(
        1
        for future in done
        if future.exception() is None and future.result() == params["file_bytes"]
    )
    scheduler = cb.live_response._job_scheduler
    left_open = len(scheduler._job_workers)
    for worker in list(scheduler._job_workers.values()):
        worker.job_queue.put(None)  # exit: the worker closes its session
    for worker in list(scheduler._job_workers.values()):
        worker.join(timeout=30)
    cb.session.session.close()
    return {"items": fetched, "sessions_left_by_sdk": left_open}


def _s2_preflight(ctx: PreflightContext) -> str:
    sensors = ctx.get_json("/api/v1/sensor")
    eligible = [s for s in sensors if s.get("os_type") == 1 and s.get("status") == "Online"]
    need = int(ctx.params["devices"])
    if len(eligible) < need:
        raise RuntimeError(
            f"S2 needs {need} online Windows sensors; the emulator has {len(eligible)}"
        )
    return f"{len(eligible)} online Windows sensors; the first {need} by id are the targets"


def _s2_floor(summary: ScenarioSummary) -> Floor:
    p = summary.scenario.params
    waves = math.ceil(p["devices"] / p["slots"])
    per_session = p["activation_s"] + 3 * p["command_s"]
    return Floor(
        side="cbasync",
        metric="wall_s",
        value=waves * per_session,
        explanation=(
            f"ceil({p['devices']} / {p['slots']}) = {waves} sessions per slot, one after another,"
            f" x (activation {p['activation_s'] * 1000:g} ms + 3 x {p['command_s'] * 1000:g} ms"
            f" per command) = {waves * per_session:.2f} s"
        ),
        parts={"waves": waves, "session_s": per_session},
    )


def _s2_details(summary: ScenarioSummary) -> list[str]:
    lines = []
    devices = summary.scenario.params["devices"]
    for name, side in summary.sides.items():
        requests = side.median.get("requests")
        parts = [f"{name}:"]
        if requests is not None:
            parts.append(f"{requests / devices:.1f} requests per job")
        for metric, label in (
            ("lr_max_open", "most sessions open at once"),
            ("lr_open_after", "sessions left open"),
            ("lr_slot_violations", "slot-limit violations"),
            ("sessions_left_by_sdk", "sessions its workers held when the jobs were done"),
        ):
            if metric in side.median:
                parts.append(f"{label} {side.median[metric]:g}")
        lines.append("  ".join(parts))
    return lines


def _zero(metric: str, what: str) -> Target:
    def check(summary: ScenarioSummary, floor: Floor | None) -> tuple[bool, str]:
        high = summary.sides["cbasync"].high.get(metric)
        if high is None:
            return False, f"no {metric} measured"
        return high == 0, f"cbasync {what}: at most {high:g} in a run (need 0)"

    return Target(f"cbasync leaves no {what}", check)


def _within_slots(summary: ScenarioSummary, floor: Floor | None) -> tuple[bool, str]:
    slots = summary.scenario.params["slots"]
    high = summary.sides["cbasync"].high.get("lr_max_open", math.inf)
    return high <= slots, f"cbasync most sessions open at once {high:g} (need <= {slots})"


_S2_SPEEDUP = Comparison("cbapi", "cbasync", "wall_s", "cbapi/cbasync wall time")

register(
    Scenario(
        name="S2",
        title="Live Response fleet collection",
        description=(
            f"{S2_DEVICES} EDR sensors, {S2_SLOTS} slots, activation {S2_ACTIVATION_S * 1000:g} ms,"
            f" commands {S2_COMMAND_S * 1000:g} ms, 20 ms latency; each job lists a directory,"
            f" fetches a {S2_FILE_BYTES // 1024} KiB file and lists processes"
        ),
        emulator=Emulator(
            {
                "seed": 0,
                "devices": 150,
                "processes": 1000,
                "online-ratio": 1.0,
                "latency-ms": 20,
                "activation-ms": S2_ACTIVATION_S * 1000,
                "command-ms": S2_COMMAND_S * 1000,
                "lr-slots": S2_SLOTS,
                "lr-file": f"{S2_FILE}={S2_FILE_BYTES}",
            }
        ),
        params={
            "devices": S2_DEVICES,
            "slots": S2_SLOTS,
            "activation_s": S2_ACTIVATION_S,
            "command_s": S2_COMMAND_S,
            "directory": S2_DIRECTORY,
            "file": S2_FILE,
            "file_bytes": S2_FILE_BYTES,
            "expected_items": S2_DEVICES,
            "cbapi_timeout": 600,
        },
        sides=(
            Side(
                "cbasync",
                s2_cbasync,
                what="api.live_response.run(job, sensor_ids, slots=10)",
                imports=("cbasync", "cbasync.response", "cbasync.live_response"),
            ),
            Side(
                "cbapi",
                s2_cbapi,
                what="cb.live_response.submit_job(job.run, sensor_id) per sensor",
                imports=("cbapi.response",),
            ),
        ),
        comparison=_S2_SPEEDUP,
        floor=_s2_floor,
        preflight=_s2_preflight,
        details=_s2_details,
        targets=(
            Target.ratio_at_least(_S2_SPEEDUP, 3.0),
            Target.within_floor(1.25),
            Target("cbasync never exceeds its slots", _within_slots),
            _zero("lr_open_after", "sessions open"),
            _zero("lr_slot_violations", "slot-limit violations"),
        ),
        repetitions=3,
        warmup=1,
        warmup_sides=("cbasync",),
    )
)
