"""The benchmark harness: scenarios, the emulator process, child runs, the report.

A scenario module in ``benchmarks/scenarios/`` imports what it needs from here::

    from benchmarks._harness import Comparison, Emulator, Scenario, Side, Target, register
"""

from benchmarks._harness.model import (
    Comparison,
    Emulator,
    Floor,
    PreflightContext,
    Scenario,
    ScenarioSummary,
    Side,
    SideContext,
    SideSummary,
    Target,
    all_scenarios,
    get_scenario,
    network_floor,
    register,
)

__all__ = [
    "Comparison",
    "Emulator",
    "Floor",
    "PreflightContext",
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
