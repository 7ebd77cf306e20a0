"""The readable table on stdout and the JSON file (``benchmarks/results/latest.json``)."""

from __future__ import annotations

import json
import math
import platform
import statistics
import sys
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks._harness import sysstat
from benchmarks._harness.runner import ScenarioResult

__all__ = ["format_result", "write_json"]

# (header, metric, format, scale)
_COLUMNS: tuple[tuple[str, str, str, float], ...] = (
    ("wall s", "wall_s", "{:.3f}", 1.0),
    ("CPU s", "cpu_s", "{:.3f}", 1.0),
    ("items", "items", "{:.0f}", 1.0),
    ("items/s", "items_per_s", "{:,.0f}", 1.0),
    ("CPU us/item", "cpu_per_item_s", "{:.1f}", 1e6),
    ("peak RSS MiB", "peak_rss_kb", "{:.1f}", 1 / 1024),
    ("import s", "import_s", "{:.2f}", 1.0),
    ("requests", "requests", "{:.0f}", 1.0),
    ("in flight", "max_in_flight", "{:.0f}", 1.0),
    ("server CPU s", "server_cpu_s", "{:.2f}", 1.0),
)


def _fmt(value: float | None, fmt: str, scale: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return fmt.format(value * scale)


def format_result(result: ScenarioResult) -> str:
    scenario = result.scenario
    lines = [f"{scenario.name} {scenario.title}", f"  {scenario.description}"]
    if result.emulator:
        lines.append(f"  emulator: {result.emulator.get('command', '')}")
    else:
        lines.append("  emulator: in-process (httpx.ASGITransport), built by each side")
    if result.preflight:
        lines.append(f"  preflight: {result.preflight}")
    warm_sides = scenario.warmup_sides or tuple(s.name for s in scenario.sides)
    warm = f" ({', '.join(warm_sides)})" if result.warmup else ""
    lines.append(
        f"  {result.repetitions} timed runs per side after {result.warmup} warm-up round(s){warm},"
        f" alternating {' '.join(s.name for s in scenario.sides)}; medians (min..max of wall)"
    )
    if result.error:
        lines.append(f"  ERROR: {result.error}")
    summary = result.summary
    if summary is not None:
        columns = [c for c in _COLUMNS if any(c[1] in s.median for s in summary.sides.values())]
        rows = [["side", *(c[0] for c in columns), "wall range"]]
        for name, stats in summary.sides.items():
            row = [name]
            for _, metric, fmt, scale in columns:
                row.append(_fmt(stats.median.get(metric), fmt, scale))
            row.append(f"{stats.low['wall_s']:.3f}..{stats.high['wall_s']:.3f}")
            rows.append(row)
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for index, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  " + "  ".join(cells))
            if index == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        for name, stats in summary.sides.items():
            lines.append(f"  {name}: {stats.what}")
            errors = stats.extras.get("error_responses")
            if errors:
                lines.append(f"    error responses in the last run: {errors}")
        if scenario.comparison is not None:
            ratio = summary.ratio(scenario.comparison)
            paired = sorted(result.paired_ratios)
            within = (
                f" (within each round: median {statistics.median(paired):.2f},"
                f" {paired[0]:.2f}..{paired[-1]:.2f})"
                if len(paired) > 1
                else ""
            )
            lines.append(f"  ratio {scenario.comparison.label}: {ratio:.2f}{within}")
        if result.floor is not None:
            lines.append(f"  physical floor ({result.floor.side} {result.floor.metric}):")
            lines.append(f"    {result.floor.explanation}")
        if scenario.details is not None:
            try:
                lines += [f"  {line}" for line in scenario.details(summary)]
            except (KeyError, ZeroDivisionError) as exc:
                lines.append(f"  (details unavailable: {exc!r})")
    for claim, met, text in result.verdicts:
        lines.append(f"  target {'MET ' if met else 'MISSED'} {claim}: {text}")
    for problem in result.problems:
        lines.append(f"  PROBLEM: {problem}")
    machine = result.machine
    others = machine.get("others_cores_median")
    load = (
        f"other processes used {others:.2f} of {machine.get('cpus')} cores during the runs"
        f" (median; max {machine.get('others_cores_max', 0):.2f})"
        if others is not None
        else "load of other processes unknown"
    )
    start = machine.get("loadavg_start", (0, 0, 0))
    lines.append(
        f"  machine: {load}; load average {start[0]:.2f} at start; took {result.elapsed_s:.1f} s"
    )
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


def result_as_json(result: ScenarioResult) -> dict[str, Any]:
    scenario = result.scenario
    summary = result.summary
    data: dict[str, Any] = {
        "name": scenario.name,
        "title": scenario.title,
        "description": scenario.description,
        "params": _jsonable(dict(scenario.params)),
        "emulator": _jsonable(result.emulator) if result.emulator else "in-process",
        "preflight": result.preflight,
        "repetitions": result.repetitions,
        "warmup": result.warmup,
        "sides": {s.name: {"what": s.what, "imports": list(s.imports)} for s in scenario.sides},
        "runs": [
            {"side": r.side, "round": r.round, "warmup": r.warmup, **_jsonable(r.metrics)}
            for r in result.runs
        ],
        "medians": (
            {name: _jsonable(stats.median) for name, stats in summary.sides.items()}
            if summary
            else None
        ),
        "ranges": (
            {
                name: {k: [stats.low[k], stats.high[k]] for k in stats.median}
                for name, stats in summary.sides.items()
            }
            if summary
            else None
        ),
        "ratio": None,
        "floor": None,
        "targets": [
            {"claim": claim, "met": met, "detail": text} for claim, met, text in result.verdicts
        ],
        "problems": result.problems,
        "error": result.error,
        "machine": _jsonable(result.machine),
        "elapsed_s": result.elapsed_s,
    }
    if summary is not None and scenario.comparison is not None:
        data["ratio"] = {
            "label": scenario.comparison.label,
            "numerator": scenario.comparison.numerator,
            "denominator": scenario.comparison.denominator,
            "metric": scenario.comparison.metric,
            "value": _jsonable(summary.ratio(scenario.comparison)),
            "per_round": _jsonable(result.paired_ratios),
        }
    if result.floor is not None:
        data["floor"] = _jsonable(result.floor)
    if summary is not None and scenario.details is not None:
        try:
            data["details"] = scenario.details(summary)
        except (KeyError, ZeroDivisionError):
            data["details"] = None
    return data


def write_json(results: Sequence[ScenarioResult], path: Path, argv: Sequence[str]) -> None:
    import importlib.metadata as metadata

    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    data = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "argv": list(argv),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": sysstat.cpu_count(),
        "versions": {
            name: version(name)
            for name in ("cbasync", "cbapi", "httpx", "pydantic", "anyio", "uvicorn", "requests")
        },
        "scenarios": [result_as_json(r) for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
