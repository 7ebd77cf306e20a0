"""``python -m benchmarks [SCENARIO ...]``: run scenarios, print the table, write the JSON."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks._harness.model import all_scenarios, get_scenario
from benchmarks._harness.report import format_result, write_json
from benchmarks._harness.runner import ROOT, run_scenario

DEFAULT_JSON = ROOT / "benchmarks" / "results" / "latest.json"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="cbasync against the official Carbon Black SDKs on the same emulator.",
    )
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="names (default: all)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--reps", type=int, default=None, help="timed runs per side (default: per scenario)"
    )
    parser.add_argument(
        "--warmup", type=int, default=None, help="warm-up rounds (default: per scenario)"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help="where to write the results (default: benchmarks/results/latest.json)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the emulator log and each run's spec/result/log files in DIR",
    )
    parser.add_argument(
        "--emulator-command",
        default=None,
        metavar="CMD",
        help="command that runs the emulator CLI, `emulator --tls ...` appended"
        " (default: this environment's `cbasync` script)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed (not only on errors)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else list(argv))
    if args.reps is not None and args.reps < 1:
        print("--reps must be >= 1", file=sys.stderr)
        return 2
    if args.warmup is not None and args.warmup < 0:
        print("--warmup must be >= 0", file=sys.stderr)
        return 2
    if args.list:
        for scenario in all_scenarios():
            sides = ", ".join(side.name for side in scenario.sides)
            print(f"{scenario.name:<5} {scenario.title} [{sides}]")
            print(f"      {scenario.description}")
        return 0
    try:
        scenarios = (
            [get_scenario(name) for name in args.scenarios] if args.scenarios else all_scenarios()
        )
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2

    results = []
    with tempfile.TemporaryDirectory(prefix="cbasync-bench-") as tmp:
        base = args.keep if args.keep is not None else Path(tmp)
        for scenario in scenarios:
            print(f"== {scenario.name} {scenario.title}", flush=True)
            result = run_scenario(
                scenario,
                workdir=base / scenario.name,
                repetitions=args.reps,
                warmup=args.warmup,
                emulator_command=args.emulator_command,
                progress=lambda line: print(line, flush=True),
            )
            results.append(result)
            # Written after every scenario, so an interrupted session keeps what it measured.
            write_json(results, args.json, sys.argv if argv is None else list(argv))
    print()
    for result in results:
        print(format_result(result))
        print()
    print(f"results: {args.json}")
    if any(not r.ok for r in results):
        return 1
    if args.strict and any(not met for r in results for _, met, _ in r.verdicts):
        return 1
    return 0
