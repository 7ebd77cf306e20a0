"""Run a scenario: start its emulator, run the sides alternately in child processes, summarise.

Runs alternate (A B A B ... after the warm-up rounds, which are run the same way and dropped), so
a machine that gets busier or quieter during a scenario affects every side alike. Before each run
the emulator's counters are reset; after it they tell how many requests the side made, on which
routes, and how many were in flight at most. The emulator's CPU time over the run is the server
time of that run. The rest of the machine's CPU use over the run is recorded too.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._harness import sysstat
from benchmarks._harness.emulator import (
    EmulatorProcess,
    error_responses,
    live_response_metrics,
    requests_by_route,
)
from benchmarks._harness.model import Floor, Scenario, ScenarioSummary, Side, SideSummary

__all__ = ["RunRecord", "ScenarioResult", "run_scenario"]

ROOT = Path(__file__).resolve().parents[2]
# A latency-exempt request over loopback slower than this means the server stalls every request.
SLOW_ROUND_TRIP = 0.015


class RunFailed(RuntimeError):
    """A side's child process failed or timed out."""


@dataclass
class RunRecord:
    side: str
    round: int
    warmup: bool
    metrics: dict[str, Any]


@dataclass
class ScenarioResult:
    scenario: Scenario
    repetitions: int
    warmup: int
    runs: list[RunRecord] = field(default_factory=list)
    summary: ScenarioSummary | None = None
    floor: Floor | None = None
    verdicts: list[tuple[str, bool, str]] = field(default_factory=list)
    #: The comparison's ratio within each timed round (adjacent runs share the machine's mood).
    paired_ratios: list[float] = field(default_factory=list)
    preflight: str = ""
    problems: list[str] = field(default_factory=list)
    emulator: dict[str, Any] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems


class _Preflight:
    def __init__(self, emulator: EmulatorProcess, params: Mapping[str, Any]) -> None:
        self._emulator = emulator
        self.params = params

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._emulator.get_json(path, params)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run_child(
    scenario: Scenario,
    side: Side,
    server: Mapping[str, Any] | None,
    workdir: Path,
    tag: str,
) -> dict[str, Any]:
    spec_path = workdir / f"{tag}.spec.json"
    result_path = workdir / f"{tag}.result.json"
    log_path = workdir / f"{tag}.log"
    spec = {
        "target": side.target,
        "imports": list(side.imports),
        "backend": side.backend,
        "params": dict(scenario.params),
        "server": dict(server) if server else None,
    }
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    result_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "benchmarks._harness.child", str(spec_path), str(result_path)]
    env = dict(os.environ)
    env.pop("PYTHONDEVMODE", None)
    env.pop("PYTHONTRACEMALLOC", None)
    with log_path.open("wb") as log:
        try:
            completed = subprocess.run(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=scenario.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RunFailed(
                f"{scenario.name}/{side.name} did not finish in {scenario.timeout:.0f} s"
            ) from None
    try:
        result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        output = log_path.read_text(errors="replace")[-3000:]
        raise RunFailed(
            f"{scenario.name}/{side.name} exited with status {completed.returncode} and no "
            f"result:\n{output}"
        ) from None
    if "error" in result:
        raise RunFailed(f"{scenario.name}/{side.name} failed:\n{result['error']}")
    return result


def _derive(metrics: dict[str, Any]) -> None:
    items = metrics.get("items")
    if isinstance(items, int | float) and items > 0:
        metrics["items_per_s"] = items / metrics["wall_s"] if metrics["wall_s"] else math.inf
        metrics["cpu_per_item_s"] = metrics["cpu_s"] / items
        metrics["wall_per_item_s"] = metrics["wall_s"] / items
    requests = metrics.get("requests")
    if isinstance(requests, int) and requests > 0 and "server_cpu_s" in metrics:
        metrics["server_cpu_per_request_s"] = metrics["server_cpu_s"] / requests


def _one_run(
    scenario: Scenario,
    side: Side,
    emulator: EmulatorProcess | None,
    workdir: Path,
    tag: str,
) -> dict[str, Any]:
    if emulator is not None:
        emulator.reset_counters()
        server_cpu0 = emulator.cpu_seconds()
    machine0 = sysstat.sample()
    children0, self0 = _children_cpu(), _self_cpu()
    wall0 = time.perf_counter()
    metrics = _run_child(scenario, side, emulator.server if emulator else None, workdir, tag)
    lifetime = time.perf_counter() - wall0
    children_cpu = _children_cpu() - children0
    machine_busy = sysstat.sample().busy_since(machine0)
    harness_cpu = _self_cpu() - self0
    ours = children_cpu + harness_cpu
    if emulator is not None:
        server_cpu = emulator.cpu_seconds() - server_cpu0
        counters = emulator.counters()
        metrics["server_cpu_s"] = server_cpu
        metrics["requests"] = counters["requests"]["total"]
        metrics["max_in_flight"] = counters["requests"]["max_in_flight"]
        metrics["requests_by_route"] = requests_by_route(counters)
        metrics["error_responses"] = error_responses(counters)
        jobs = counters.get("jobs", {})
        metrics["jobs_created"] = sum(jobs.get("created", {}).values())
        metrics["jobs_polled"] = sum(jobs.get("polled", {}).values())
        metrics["jobs_max_running"] = jobs.get("max_running", 0)
        metrics.update(live_response_metrics(counters))
        ours += server_cpu
    metrics["child_lifetime_s"] = lifetime
    metrics["child_total_cpu_s"] = children_cpu
    if machine_busy > 0 and lifetime > 0:
        metrics["others_cores"] = max(machine_busy - ours, 0.0) / lifetime
    _derive(metrics)
    return metrics


def _check_items(result: ScenarioResult) -> None:
    scenario = result.scenario
    if not scenario.same_items:
        return
    seen: dict[str, set[Any]] = {}
    for run in result.runs:
        seen.setdefault(run.side, set()).add(run.metrics.get("items"))
    values = set().union(*seen.values()) if seen else set()
    if len(values) > 1:
        detail = ", ".join(f"{side}: {sorted(v, key=str)}" for side, v in seen.items())
        result.problems.append(f"the sides did not count the same items ({detail})")
    expected = scenario.params.get("expected_items")
    if expected is not None and values and values != {expected}:
        result.problems.append(f"expected {expected} items, counted {sorted(values, key=str)}")


def _paired_ratios(scenario: Scenario, timed: list[RunRecord]) -> list[float]:
    comparison = scenario.comparison
    if comparison is None:
        return []
    rounds: dict[int, dict[str, Any]] = {}
    for run in timed:
        rounds.setdefault(run.round, {})[run.side] = run.metrics.get(comparison.metric)
    ratios = []
    for values in rounds.values():
        numerator, denominator = (
            values.get(comparison.numerator),
            values.get(comparison.denominator),
        )
        if (
            isinstance(numerator, int | float)
            and isinstance(denominator, int | float)
            and denominator
        ):
            ratios.append(numerator / denominator)
    return ratios


def run_scenario(
    scenario: Scenario,
    *,
    workdir: Path,
    repetitions: int | None = None,
    warmup: int | None = None,
    emulator_command: str | None = None,
    progress: Callable[[str], None] = print,
) -> ScenarioResult:
    reps = scenario.repetitions if repetitions is None else repetitions
    warm = scenario.warmup if warmup is None else warmup
    result = ScenarioResult(scenario=scenario, repetitions=reps, warmup=warm)
    started = time.perf_counter()
    result.machine["loadavg_start"] = sysstat.loadavg()
    result.machine["cpus"] = sysstat.cpu_count()
    workdir.mkdir(parents=True, exist_ok=True)
    emulator: EmulatorProcess | None = None
    try:
        if scenario.emulator is not None:
            emulator = EmulatorProcess(
                scenario.emulator.flags(), workdir / "emulator", command=emulator_command
            )
            emulator.start()
            rtt = emulator.round_trip_s()
            result.emulator = {
                "command": " ".join(emulator.command),
                "settings": dict(scenario.emulator.settings),
                "ready_after_s": emulator.ready_after_s,
                "url": emulator.info.get("url"),
                "round_trip_s": rtt,
            }
            progress(
                f"  emulator ready in {emulator.ready_after_s:.2f} s at {emulator.info['url']};"
                f" control-route round trip {rtt * 1000:.1f} ms"
            )
            if rtt > SLOW_ROUND_TRIP:
                result.problems.append(
                    f"the emulator takes {rtt * 1000:.0f} ms to answer a latency-exempt request on"
                    " a kept-alive connection (healthy: a few ms); every request of the scenario"
                    " pays it. ~40 ms is Nagle's algorithm meeting a delayed ACK: the server's"
                    " accepted sockets lack TCP_NODELAY"
                )
            if scenario.preflight is not None:
                result.preflight = scenario.preflight(_Preflight(emulator, scenario.params))
                progress(f"  preflight: {result.preflight}")
        total_rounds = warm + reps
        for round_ in range(total_rounds):
            is_warmup = round_ < warm
            for side in scenario.sides:
                warm_sides = scenario.warmup_sides
                if is_warmup and warm_sides is not None and side.name not in warm_sides:
                    continue
                tag = f"{side.name}-{round_}"
                metrics = _one_run(scenario, side, emulator, workdir, tag)
                result.runs.append(RunRecord(side.name, round_, is_warmup, metrics))
                progress(
                    f"  {'warm-up' if is_warmup else 'run'} {round_ + 1 - (0 if is_warmup else warm)}"
                    f" {side.name:<8} wall {metrics['wall_s']:8.3f} s  cpu {metrics['cpu_s']:8.3f} s"
                    f"  items {metrics.get('items')}"
                )
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        if emulator is not None:
            emulator.stop()
            result.emulator["exit_status"] = emulator.exit_status
            if emulator.signalled and emulator.exit_status != 0:
                result.problems.append(
                    f"the emulator exited with status {emulator.exit_status} on SIGTERM:\n"
                    f"{emulator.log_tail()}"
                )
    result.elapsed_s = time.perf_counter() - started
    result.machine["loadavg_end"] = sysstat.loadavg()
    timed = [run for run in result.runs if not run.warmup]
    others = [r.metrics["others_cores"] for r in timed if "others_cores" in r.metrics]
    if others:
        result.machine["others_cores_median"] = sorted(others)[len(others) // 2]
        result.machine["others_cores_max"] = max(others)
    if result.error is None and timed:
        _check_items(result)
        sides = {
            side.name: SideSummary.of(side, [r.metrics for r in timed if r.side == side.name])
            for side in scenario.sides
        }
        summary = ScenarioSummary(scenario, sides)
        result.summary = summary
        result.paired_ratios = _paired_ratios(scenario, timed)
        try:
            if scenario.floor is not None:
                result.floor = scenario.floor(summary)
            for target in scenario.targets:
                met, text = target.check(summary, result.floor)
                result.verdicts.append((target.claim, met, text))
        except (KeyError, ZeroDivisionError) as exc:
            result.problems.append(f"cannot evaluate the floor or targets: {exc!r}")
    return result
