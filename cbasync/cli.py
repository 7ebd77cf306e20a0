"""The ``cbasync`` command: a thin dispatcher to the sub-commands.

It reads the first word of the command line and hands the whole line to the module that owns
that sub-command, importing it only then: ``cbasync emulator ...`` is the emulator's
(:mod:`cbasync.testing.cli`), so the SDK never imports its emulator unless asked to serve it;
the SDK's own sub-commands live in :mod:`cbasync._cli` and need the ``cli`` extra (click, rich).
A sub-command is one row of :data:`COMMANDS`: a module whose ``main(argv) -> int`` takes the
whole line (``["check", "--profile", "prod"]``).

Exit codes (every sub-command): 0 done; 1 what it did failed (unreachable server, refused token,
a port in use); 2 the command line or its input is wrong (or an extra is missing); 3 (``lr``) the
action failed on some devices; 130 interrupted.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from cbasync._version import __version__

__all__ = ["COMMANDS", "main"]

# Sub-command -> (module whose ``main(argv)`` runs it, given the whole line; one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("cbasync._cli.check", "check a credential profile: connection, TLS, token, version"),
    "configure": ("cbasync._cli.configure", "write a credential profile (~/.carbonblack)"),
    "demo": ("cbasync._cli.demo", "run a triage demo against the embedded emulator"),
    "emulator": ("cbasync.testing.cli", "serve the Carbon Black server emulator on loopback"),
    "lr": ("cbasync._cli.lr", "run a command or collect a file on many devices (Live Response)"),
}
#: Modules a sub-command needs that come with an extra, and which extra.
_EXTRAS = {"click": "cli", "rich": "cli", "starlette": "emulator", "uvicorn": "emulator"}


class _SubCommand(Protocol):
    def main(self, argv: Sequence[str]) -> int: ...


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    rows = "\n".join(f"  {name:<{width}}  {text}" for name, (_, text) in sorted(COMMANDS.items()))
    return (
        "usage: cbasync [--version] COMMAND [ARGS...]\n\n"
        "cbasync: async Carbon Black SDK tools\n\n"
        f"commands:\n{rows}\n\n'cbasync COMMAND --help' describes a command.\n"
        "Exit codes: 0 done, 1 failed, 2 bad command line or input, 3 failed on some devices"
        " (lr), 130 interrupted.\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else None
    if command in ("-h", "--help"):
        print(_usage(), end="")
        return 0
    if command in ("-V", "--version"):
        print(f"cbasync {__version__}")
        return 0
    if command is None:
        print(_usage(), end="")
        return 2
    if command not in COMMANDS:
        print(f"cbasync: unknown command {command!r}\n\n{_usage()}", end="", file=sys.stderr)
        return 2
    try:
        module = cast(_SubCommand, importlib.import_module(COMMANDS[command][0]))
    except ModuleNotFoundError as exc:
        extra = _EXTRAS.get((exc.name or "").partition(".")[0])
        if extra is None:
            raise
        print(
            f"cbasync {command} needs the {extra} extra: pip install 'cbasync[{extra}]'",
            file=sys.stderr,
        )
        return 2
    try:
        return module.main(args)
    except KeyboardInterrupt:
        print(f"cbasync {command}: interrupted", file=sys.stderr)
        return 130
