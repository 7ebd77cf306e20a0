"""``cbasync emulator``: the emulator's command line (the top-level ``cbasync`` hands it over).

``cbasync emulator`` serves the Carbon Black server emulator on loopback until SIGINT or SIGTERM::

    cbasync emulator --tls --ready-file /tmp/emu.json --processes 200000 --latency-ms 50

Once it accepts connections it prints one line with what a client needs (the URL, the token, the
org key and the CA's absolute path) and writes the same as JSON to ``--ready-file`` (absolute
paths). A port in use, out of range or an address that cannot be bound is a one-line error and
exit code 1 (in use) or 2 (bad value); so is any other bad flag value.

Every flag maps onto one :class:`~cbasync.testing.config.EmulatorConfig` field and defaults to that
field's documented default; ``--config FILE`` loads a JSON object of config fields first, and
explicit flags override it. The flags are a contract: scripts outside this repository use them.

:func:`main` takes the command line as the dispatcher in :mod:`cbasync.cli` receives it
(``["emulator", *flags]``); ``python -m cbasync.testing [flags]`` is :func:`emulator_main`.
"""

from __future__ import annotations

import argparse
import errno
import sys
import time
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from cbasync.testing.config import EmulatorConfig, config_from_json

__all__ = ["build_parser", "emulator_main", "main"]


def _defaults() -> dict[str, Any]:
    return {f.name: getattr(EmulatorConfig(), f.name) for f in fields(EmulatorConfig)}


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a probability in [0, 1]")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be >= 0")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be >= 0")
    return value


# (flag, config field, type, scale applied to the flag value, help). The default shown in --help
# is the config default divided by the scale.
_OPTIONS: tuple[tuple[str, str, Any, float, str], ...] = (
    ("--seed", "seed", int, 1, "dataset and fault seed"),
    ("--processes", "processes", _non_negative_int, 1, "EDR processes in the dataset"),
    ("--devices", "devices", _non_negative_int, 1, "endpoints (EDR sensors and cloud devices)"),
    ("--binaries", "binaries", _non_negative_int, 1, "distinct EDR binaries"),
    ("--alerts", "alerts", _non_negative_int, 1, "EDR alerts"),
    ("--cloud-alerts", "cloud_alerts", _non_negative_int, 1, "Carbon Black Cloud alerts"),
    ("--history-days", "history_days", _non_negative_int, 1, "days of generated history"),
    ("--online-ratio", "online_ratio", _rate, 1, "share of endpoints online"),
    ("--token", "token", str, 1, "the X-Auth-Token clients must send"),
    ("--org-key", "org_key", str, 1, "the cloud org key"),
    ("--server-version", "server_version", str, 1, "EDR version (below 7.7: pre-7.7 route names)"),
    (
        "--gzip-level",
        "gzip_level",
        _non_negative_int,
        1,
        "gzip level for clients that accept it (0: off)",
    ),
    ("--latency-ms", "latency_ms", _non_negative_float, 1, "latency added to every request (ms)"),
    ("--jitter-ms", "jitter_ms", _non_negative_float, 1, "uniform extra latency 0..N ms"),
    ("--lr-slots", "lr_slots", _non_negative_int, 1, "EDR concurrent Live Response sessions"),
    ("--cloud-lr-slots", "cloud_lr_slots", _non_negative_int, 1, "cloud LR sessions per org"),
    (
        "--activation-ms",
        "lr_activation",
        _non_negative_float,
        1000,
        "LR session pending -> active delay (ms)",
    ),
    ("--command-ms", "lr_command_delay", _non_negative_float, 1000, "LR command duration (ms)"),
    (
        "--lr-idle-seconds",
        "lr_idle_timeout",
        _non_negative_float,
        1,
        "EDR LR idle session timeout (s)",
    ),
    ("--job-seconds", "job_duration", _non_negative_float, 1, "search-job duration (s)"),
    ("--auth-events", "auth_events", _non_negative_int, 1, "Auth Events in the cloud org"),
    ("--isolation-seconds", "isolation_delay", _non_negative_float, 1, "sensor isolation delay"),
    ("--fault-5xx", "fault_5xx", _rate, 1, "probability of a transient 502/503/504"),
    ("--fault-429", "fault_429", _rate, 1, "probability of a 429 that starts a block"),
    ("--fault-reset", "fault_reset", _rate, 1, "probability of a connection reset"),
    ("--fault-slow", "fault_slow", _rate, 1, "probability of a slow response"),
    (
        "--slow-seconds",
        "slow_response_seconds",
        _non_negative_float,
        1,
        "delay of a slow response (s)",
    ),
    (
        "--rate-limit",
        "rate_limit_requests",
        _non_negative_int,
        1,
        "requests per window before 429 (default: no limit)",
    ),
    ("--rate-limit-window", "rate_limit_window", _non_negative_float, 1, "rate-limit window (s)"),
    ("--retry-after", "retry_after", _non_negative_float, 1, "429 block length (s)"),
)


def _add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = _defaults()
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to bind; 0 picks a free one (default: 0)"
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a fresh trustme CA (its PEM is written next to the ready file)",
    )
    parser.add_argument(
        "--ready-file",
        metavar="PATH",
        help='write {"url", "token", "org_key", "ca_file", "pid"} here once accepting connections',
    )
    parser.add_argument(
        "--tls-dir",
        metavar="DIR",
        help="where to write the CA and certificate (default: beside the ready file)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="JSON object of EmulatorConfig fields, applied before the flags below",
    )
    parser.add_argument(
        "--data-epoch",
        metavar="EPOCH|now",
        help="when the generated history ends, epoch seconds or 'now' (default: now, so time "
        "filters like 'the last day' find data; a --config file's value when one is given)",
    )
    parser.add_argument(
        "--lr-file",
        metavar="PATH=BYTES",
        action="append",
        default=None,
        help="a file of BYTES synthetic bytes at PATH on every endpoint (Windows paths on"
        " Windows endpoints, others elsewhere); repeatable",
    )
    parser.add_argument(
        "--http",
        choices=("auto", "h11", "httptools"),
        default="auto",
        help="uvicorn HTTP implementation (default: auto, httptools when installed)",
    )
    for flag, name, kind, scale, text in _OPTIONS:
        default = defaults[name]
        shown = "none" if default is None else default * scale if scale != 1 else default
        parser.add_argument(
            flag,
            dest=name,
            type=kind,
            default=None,
            metavar=flag.lstrip("-").upper().replace("-", "_") if kind not in (_rate,) else "RATE",
            help=f"{text} (default: {shown})",
        )


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``cbasync`` lines that this module runs (``emulator [flags]``)."""
    parser = argparse.ArgumentParser(
        prog="cbasync", description="cbasync: async Carbon Black SDK tools"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    emulator = sub.add_parser(
        "emulator",
        help="serve the Carbon Black server emulator on loopback",
        description="Serve the EDR, App Control and Carbon Black Cloud emulator until SIGINT/SIGTERM.",
    )
    _add_emulator_arguments(emulator)
    return parser


def _config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    if args.config:
        with open(args.config, encoding="utf-8") as fh:
            config = config_from_json(fh.read())
    else:
        config = EmulatorConfig()
    changes: dict[str, Any] = {}
    for _flag, name, _kind, scale, _text in _OPTIONS:
        value = getattr(args, name)
        if value is None:
            continue
        changes[name] = value / scale if scale != 1 else value
    if args.lr_file:
        files = dict(config.lr_seed_files)
        for item in args.lr_file:
            path, sep, size = item.rpartition("=")
            if not sep or not path or not size.isdigit():
                raise ValueError(f"--lr-file wants PATH=BYTES, not {item!r}")
            files[path] = int(size)
        changes["lr_seed_files"] = files
    if changes.get("rate_limit_requests") == 0:
        changes["rate_limit_requests"] = None
    epoch = args.data_epoch
    if epoch is None and not args.config:
        epoch = "now"
    if epoch is not None:
        if epoch == "now":
            changes["data_epoch"] = float(int(time.time() // 60) * 60)
        else:
            try:
                changes["data_epoch"] = float(epoch)
            except ValueError:
                raise ValueError(
                    f"--data-epoch must be epoch seconds or 'now', not {epoch!r}"
                ) from None
    return config.replace(**changes) if changes else config


def _run_emulator(args: argparse.Namespace) -> int:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        print(
            "cbasync emulator needs the emulator extra: pip install 'cbasync[emulator]'",
            file=sys.stderr,
        )
        return 2
    # Imported once the extra is known to be there, so a missing extra is the message above.
    from cbasync.testing.server import EmulatorServer, ServerInfo, run

    if not 0 <= args.port <= _MAX_PORT:
        print(
            f"cbasync emulator: --port {args.port} is out of range (1-{_MAX_PORT}, or 0 for a "
            "free port)",
            file=sys.stderr,
        )
        return 2
    try:
        config = _config_from_args(args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"cbasync emulator: {exc}", file=sys.stderr)
        return 2
    server = EmulatorServer(
        config,
        host=args.host,
        port=args.port,
        tls=args.tls,
        # Absolute, so the ready file tells another process (in another directory) where the
        # CA is.
        tls_dir=Path(args.tls_dir).resolve() if args.tls_dir else None,
        ready_file=Path(args.ready_file).resolve() if args.ready_file else None,
        http=args.http,
    )
    try:
        server.bind()
    except OSError as exc:
        in_use = getattr(exc, "errno", None) in _ADDRESS_IN_USE
        reason = "the port is in use" if in_use else (exc.strerror or str(exc))
        print(
            f"cbasync emulator: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr
        )
        return 1 if in_use else 2
    except OverflowError as exc:  # a port the OS refuses to encode
        print(f"cbasync emulator: --port {args.port}: {exc}", file=sys.stderr)
        return 2

    def announce(info: ServerInfo) -> None:
        print(
            f"cbasync emulator ready: {info.url} token {info.token} org_key {info.org_key} "
            f"ca_file {info.ca_file or 'none (plain http)'} (Ctrl+C stops it)",
            flush=True,
        )

    run(server, on_ready=announce)
    return 0


_MAX_PORT = 65_535
# EADDRINUSE, and WSAEADDRINUSE on Windows.
_ADDRESS_IN_USE = frozenset({errno.EADDRINUSE, 10048})


def emulator_main(argv: Sequence[str] | None = None) -> int:
    """``python -m cbasync.testing [flags]``: the emulator sub-command on its own."""
    return main(["emulator", *(sys.argv[1:] if argv is None else argv)])


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``argv`` (``["emulator", *flags]``, the line after ``cbasync``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    except SystemExit as done:  # --help (0) or a bad flag (2, argparse printed why)
        return done.code if isinstance(done.code, int) else 2
    if args.command == "emulator":
        return _run_emulator(args)
    parser.print_help()
    return 2
