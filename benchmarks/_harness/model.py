"""What a scenario is: its sides, the emulator it needs, its floor and its targets; the registry.

A scenario module (``benchmarks/scenarios/*.py``) builds :class:`Scenario` objects and passes them
to :func:`register`. The module must import only the standard library and ``benchmarks._harness``
at top level: the harness imports it in every child process, and a side's SDK must be imported by
that side alone (``Side.imports``), so one SDK's imports never count against the other's memory.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import re
import statistics
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "Comparison",
    "Emulator",
    "Floor",
    "Scenario",
    "ScenarioSummary",
    "Side",
    "SideContext",
    "SideSummary",
    "Target",
    "all_scenarios",
    "get_scenario",
    "network_floor",
    "register",
]


class SideContext(Protocol):
    """What a side function receives in its child process."""

    @property
    def params(self) -> Mapping[str, Any]:
        """The scenario's ``params`` (query, expected count, dataset settings...)."""

    @property
    def url(self) -> str:
        """The emulator's base URL (``https://localhost:PORT``); empty for in-process scenarios."""

    @property
    def token(self) -> str:
        """The API token the emulator accepts."""

    @property
    def ca_file(self) -> str:
        """PEM file of the CA that issued the emulator's certificate (pin it)."""

    @property
    def org_key(self) -> str:
        """The cloud org key the emulator serves (its ``/orgs/{org_key}`` routes)."""

    def checkpoint(self, label: str) -> None:
        """Record peak and current RSS, CPU and wall time at this point of the run (reported as
        ``peak_rss_kb@label``, ``rss_kb@label``, ``cpu_s@label``, ``elapsed_s@label``)."""

    def start_clock(self) -> None:
        """Start the timed section here (after setup that is not measured); ``setup_s`` reports
        the time before it. Without a call, the whole side function is timed."""


SideFunction = Callable[[SideContext], "Mapping[str, Any] | Awaitable[Mapping[str, Any]]"]


@dataclass(frozen=True)
class Side:
    """One contender of a scenario, run in its own child process.

    ``run(ctx)`` (a plain or ``async`` function defined at module level of the scenario module)
    does the work and returns its metrics: at least ``items`` (what it counted), plus anything
    the floor or the report needs (numbers are summarised as medians, other values are kept from
    the last run). ``imports`` are imported before the clock starts; their cost is reported apart
    as ``import_s``. ``what`` says in one line which public API the side exercises.
    """

    name: str
    run: SideFunction
    what: str
    imports: tuple[str, ...] = ()
    backend: str = "asyncio"

    @property
    def target(self) -> str:
        return f"{self.run.__module__}:{self.run.__qualname__}"


@dataclass(frozen=True)
class Emulator:
    """A ``cbasync emulator --tls`` process started for the scenario, with these settings.

    Keys are the CLI flags without their dashes (``{"processes": 20_000, "latency-ms": 50}``);
    the flags are the emulator's public contract, so scenarios speak it too.
    """

    settings: Mapping[str, int | float | str] = field(default_factory=dict)

    def flags(self) -> list[str]:
        args: list[str] = []
        for key, value in self.settings.items():
            args += [f"--{key}", str(value)]
        return args

    @property
    def latency_s(self) -> float:
        return float(self.settings.get("latency-ms", 0.0)) / 1000.0


@dataclass(frozen=True)
class Comparison:
    """The headline ratio: ``numerator``'s ``metric`` over ``denominator``'s (medians)."""

    numerator: str
    denominator: str
    metric: str
    label: str


@dataclass(frozen=True)
class Floor:
    """The physical floor of ``side``'s ``metric``: what no client could beat on this server."""

    side: str
    metric: str
    value: float
    explanation: str
    parts: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class SideSummary:
    """Medians (and ranges) of one side's timed runs."""

    side: str
    what: str
    runs: int
    median: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    extras: dict[str, Any]

    def get(self, metric: str) -> float:
        try:
            return self.median[metric]
        except KeyError:
            raise KeyError(f"side {self.side!r} has no metric {metric!r}") from None

    @classmethod
    def of(cls, side: Side, runs: Sequence[Mapping[str, Any]]) -> SideSummary:
        numeric: dict[str, list[float]] = {}
        extras: dict[str, Any] = {}
        for run in runs:
            for key, value in run.items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    extras[key] = value
                elif math.isfinite(value):
                    numeric.setdefault(key, []).append(float(value))
        return cls(
            side=side.name,
            what=side.what,
            runs=len(runs),
            median={k: statistics.median(v) for k, v in numeric.items()},
            low={k: min(v) for k, v in numeric.items()},
            high={k: max(v) for k, v in numeric.items()},
            extras=extras,
        )


@dataclass
class ScenarioSummary:
    scenario: Scenario
    sides: dict[str, SideSummary]

    def value(self, side: str, metric: str) -> float:
        return self.sides[side].get(metric)

    def ratio(self, comparison: Comparison) -> float:
        denominator = self.value(comparison.denominator, comparison.metric)
        numerator = self.value(comparison.numerator, comparison.metric)
        return numerator / denominator if denominator else math.inf


Verdict = tuple[bool, str]


@dataclass(frozen=True)
class Target:
    """A claim the scenario checks: ``check(summary, floor)`` → (met, the numbers behind it)."""

    claim: str
    check: Callable[[ScenarioSummary, Floor | None], Verdict]

    @classmethod
    def ratio_at_least(cls, comparison: Comparison, bound: float) -> Target:
        def check(summary: ScenarioSummary, floor: Floor | None) -> Verdict:
            ratio = summary.ratio(comparison)
            return ratio >= bound, f"{comparison.label} = {ratio:.2f} (need >= {bound:g})"

        return cls(f"{comparison.label} >= {bound:g}", check)

    @classmethod
    def ratio_at_most(cls, comparison: Comparison, bound: float) -> Target:
        def check(summary: ScenarioSummary, floor: Floor | None) -> Verdict:
            ratio = summary.ratio(comparison)
            return ratio <= bound, f"{comparison.label} = {ratio:.2f} (need <= {bound:g})"

        return cls(f"{comparison.label} <= {bound:g}", check)

    @classmethod
    def within_floor(cls, factor: float) -> Target:
        def check(summary: ScenarioSummary, floor: Floor | None) -> Verdict:
            if floor is None or floor.value <= 0:
                return False, "no floor computed"
            measured = summary.value(floor.side, floor.metric)
            ratio = measured / floor.value
            return ratio <= factor, (
                f"{floor.side} {floor.metric} {measured:.4g} = {ratio:.2f} x floor "
                f"{floor.value:.4g} (need <= {factor:g})"
            )

        return cls(f"within {factor:g}x of the physical floor", check)


FloorFunction = Callable[[ScenarioSummary], Floor]


def network_floor(side: str, *, concurrency_metric: str = "concurrency") -> FloorFunction:
    """The floor of a side that talks to a latency-shaped emulator over the network.

    ``max(latency x round trips / concurrency, server time)``, where the round trips are what
    the emulator counted for that side (median), the concurrency is the number of requests the
    side keeps in flight (its ``concurrency_metric``, with ``<metric>_source`` saying where the
    number comes from), and the server time is the emulator's CPU time over the run (one event
    loop: it cannot answer faster). Neither term can be beaten by any client.
    """

    def floor(summary: ScenarioSummary) -> Floor:
        emulator = summary.scenario.emulator
        if emulator is None:
            raise KeyError(f"{summary.scenario.name} has no emulator process: no network floor")
        stats = summary.sides[side]
        latency = emulator.latency_s
        round_trips = stats.get("requests")
        concurrency = stats.get(concurrency_metric)
        source = stats.extras.get(f"{concurrency_metric}_source", "the side's report")
        network = latency * round_trips / concurrency
        server = stats.get("server_cpu_s")
        value = max(network, server)
        explanation = (
            f"max({latency * 1000:g} ms x {round_trips:g} round trips / {concurrency:g} in flight"
            f" = {network:.3f} s, server CPU {server:.3f} s) = {value:.3f} s;"
            f" concurrency {concurrency:g} from {source}"
        )
        return Floor(
            side=side,
            metric="wall_s",
            value=value,
            explanation=explanation,
            parts={
                "latency_s": latency,
                "round_trips": round_trips,
                "concurrency": concurrency,
                "concurrency_source": source,
                "network_s": network,
                "server_cpu_s": server,
            },
        )

    return floor


Preflight = Callable[["PreflightContext"], str]


class PreflightContext(Protocol):
    """What a scenario's preflight gets: the running emulator and the scenario's params."""

    params: Mapping[str, Any]

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET a route of the emulator (authenticated) and decode its JSON body."""


@dataclass(frozen=True)
class Scenario:
    """A benchmark: the same work done by each side, against one emulator.

    ``emulator=None`` means the sides build the emulator in-process themselves (per-request
    overhead scenarios, where the network would drown what is measured). ``details`` adds
    scenario-specific lines to the report (checkpoints, server time per page). ``preflight`` runs once
    against the started emulator before any side, to check the dataset is what the scenario
    assumes (returns one line for the report, raises when it is not). Warm-up rounds run
    ``warmup_sides`` (default: every side); one side is enough when what needs warming is the
    emulator's caches, which every side shares. ``same_items`` makes the
    harness check that every run of every side counted the same ``items`` (and
    ``params["expected_items"]`` when given).
    """

    name: str
    title: str
    description: str
    sides: tuple[Side, ...]
    emulator: Emulator | None
    comparison: Comparison | None = None
    floor: FloorFunction | None = None
    targets: tuple[Target, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    preflight: Preflight | None = None
    details: Callable[[ScenarioSummary], list[str]] | None = None
    repetitions: int = 3
    warmup: int = 1
    warmup_sides: tuple[str, ...] | None = None
    timeout: float = 600.0
    same_items: bool = True

    def side(self, name: str) -> Side:
        for side in self.sides:
            if side.name == name:
                return side
        raise KeyError(f"scenario {self.name} has no side {name!r}")


_REGISTRY: dict[str, Scenario] = {}
_SCENARIO_PACKAGE = "benchmarks.scenarios"


def register(scenario: Scenario) -> Scenario:
    """Add a scenario to the registry (names are unique, case-insensitive)."""
    key = scenario.name.upper()
    existing = _REGISTRY.get(key)
    if existing is not None and existing is not scenario:
        raise ValueError(f"two scenarios are named {scenario.name}")
    names = [side.name for side in scenario.sides]
    if len(set(names)) != len(names) or not names:
        raise ValueError(f"scenario {scenario.name}: side names must be unique and non-empty")
    unknown = set(scenario.warmup_sides or ()) - set(names)
    if unknown:
        raise ValueError(f"scenario {scenario.name}: unknown warm-up sides {sorted(unknown)}")
    for side in scenario.sides:
        if "<locals>" in side.run.__qualname__:
            raise ValueError(f"scenario {scenario.name}: side {side.name} must be module-level")
    _REGISTRY[key] = scenario
    return scenario


def _natural(name: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name.upper()))


def load_scenarios() -> None:
    """Import every module of ``benchmarks.scenarios`` (each registers its scenarios)."""
    package = importlib.import_module(_SCENARIO_PACKAGE)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{_SCENARIO_PACKAGE}.{info.name}")


def all_scenarios() -> list[Scenario]:
    load_scenarios()
    return sorted(_REGISTRY.values(), key=lambda s: _natural(s.name))


def get_scenario(name: str) -> Scenario:
    load_scenarios()
    try:
        return _REGISTRY[name.upper()]
    except KeyError:
        known = ", ".join(s.name for s in all_scenarios())
        raise KeyError(f"no scenario {name!r} (known: {known})") from None
