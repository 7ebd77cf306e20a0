"""How busy the machine is: ``/proc`` readers (Linux).

Benchmarks here share a small machine with other work, so every run records how much CPU the rest
of the machine used meanwhile (all CPU time minus the child's and the emulator's), and the report
says it. Outside Linux these return zeros and the report says the load is unknown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MachineSample",
    "cpu_count",
    "loadavg",
    "process_cpu_seconds",
    "process_rss_kb",
    "sample",
]

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def loadavg() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:  # pragma: no cover
        return (0.0, 0.0, 0.0)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (10 ms resolution on most kernels)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name (field 2) may contain spaces; the fields after it are fixed.
    fields = text.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _TICK


def process_rss_kb(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * _PAGE_KB


@dataclass(frozen=True)
class MachineSample:
    """Cumulative busy and total CPU seconds of the whole machine at one instant."""

    busy_s: float
    total_s: float

    def busy_since(self, earlier: MachineSample) -> float:
        return max(self.busy_s - earlier.busy_s, 0.0)


def sample() -> MachineSample:
    try:
        line = Path("/proc/stat").read_text().splitlines()[0]
    except OSError:
        return MachineSample(0.0, 0.0)
    values = [int(v) for v in line.split()[1:]]
    # user nice system idle iowait irq softirq steal guest guest_nice; guest time is already
    # counted in user/nice.
    total = sum(values[:8])
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return MachineSample(busy_s=(total - idle) / _TICK, total_s=total / _TICK)
