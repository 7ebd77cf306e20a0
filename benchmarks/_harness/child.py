"""One side of one run, in a fresh process: ``python -m benchmarks._harness.child SPEC RESULT``.

A fresh interpreter per run keeps the two SDKs apart (neither's imports, caches or heap count
against the other) and makes ``ru_maxrss`` the peak of this side alone. The child imports the
side's ``imports`` first (timed apart as ``import_s``), then times the side function: wall clock
(``perf_counter``), CPU (``getrusage(RUSAGE_SELF)``: user + system, every thread) and memory
(peak ``ru_maxrss`` and the current RSS from ``/proc/self/statm``). It writes one JSON object to
RESULT; a failure writes ``{"error": traceback}`` and exits 1.

This module imports only the standard library at top level (anyio is imported for async sides).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import resource
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def peak_rss_kb() -> int:
    """Peak resident set size of this process so far, in KiB (Linux reports KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def current_rss_kb() -> int:
    """Resident set size now, in KiB."""
    try:
        fields = Path("/proc/self/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * _PAGE_KB


class Context:
    """The :class:`~benchmarks._harness.model.SideContext` a side function receives."""

    def __init__(self, params: Mapping[str, Any], server: Mapping[str, Any] | None) -> None:
        self.params = params
        server = server or {}
        self.url: str = server.get("url", "")
        self.token: str = server.get("token", "")
        self.ca_file: str = server.get("ca_file") or ""
        self.org_key: str = server.get("org_key") or ""
        self.checkpoints: dict[str, dict[str, float]] = {}
        self.start_clock()

    def start_clock(self) -> None:
        """Start (or restart) the timed section: a side calls it after its setup (building an
        in-process app, warming a connection) when only the steady state is measured."""
        self.wall0 = time.perf_counter()
        self.cpu0 = sum(_cpu())
        self.user0, self.sys0 = _cpu()

    def checkpoint(self, label: str) -> None:
        self.checkpoints[label] = {
            "elapsed_s": time.perf_counter() - self.wall0,
            "cpu_s": sum(_cpu()) - self.cpu0,
            "peak_rss_kb": peak_rss_kb(),
            "rss_kb": current_rss_kb(),
        }


def _resolve(target: str) -> Any:
    module_name, _, qualname = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def run(spec: Mapping[str, Any]) -> dict[str, Any]:
    function = _resolve(spec["target"])
    started = time.perf_counter()
    for name in spec.get("imports", ()):
        importlib.import_module(name)
    is_async = inspect.iscoroutinefunction(function)
    if is_async:
        import anyio
    import_s = time.perf_counter() - started

    ctx = Context(spec.get("params", {}), spec.get("server"))
    rss_before = current_rss_kb()
    peak_before = peak_rss_kb()
    called = time.perf_counter()
    ctx.start_clock()
    if is_async:
        metrics = anyio.run(function, ctx, backend=spec.get("backend", "asyncio"))
    else:
        metrics = function(ctx)
    ended = time.perf_counter()
    user1, sys1 = _cpu()

    result: dict[str, Any] = {
        "wall_s": ended - ctx.wall0,
        "cpu_s": (user1 - ctx.user0) + (sys1 - ctx.sys0),
        "user_s": user1 - ctx.user0,
        "sys_s": sys1 - ctx.sys0,
        "setup_s": ctx.wall0 - called,
        "import_s": import_s,
        "rss_start_kb": rss_before,
        "peak_rss_start_kb": peak_before,
        "peak_rss_kb": peak_rss_kb(),
        "rss_end_kb": current_rss_kb(),
    }
    for label, values in ctx.checkpoints.items():
        for key, value in values.items():
            result[f"{key}@{label}"] = value
    if not isinstance(metrics, Mapping) or "items" not in metrics:
        raise TypeError(f"{spec['target']} must return a mapping with an 'items' count")
    overlap = set(metrics) & set(result)
    if overlap:
        raise ValueError(f"{spec['target']} returned reserved metric names: {sorted(overlap)}")
    result.update(metrics)
    return result


def main(argv: list[str]) -> int:
    spec_path, result_path = argv
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    try:
        result = run(spec)
        code = 0
    except BaseException:
        result = {"error": traceback.format_exc()}
        code = 1
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
