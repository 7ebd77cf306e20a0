"""The ``cbasync`` command: a thin dispatcher to the sub-commands.

It reads the first word of the command line and hands the whole line to the module that owns
that sub-command, importing it only then: ``cbasync emulator ...`` is the emulator's
(:mod:`cbasync.testing.cli`), so the SDK never imports its emulator unless asked to serve it.
SDK sub-commands get a row in :data:`COMMANDS` the same way.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

__all__ = ["COMMANDS", "main"]

# Sub-command -> (module whose ``main(argv)`` runs it, given the whole line; one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "emulator": ("cbasync.testing.cli", "serve the Carbon Black server emulator on loopback"),
}


class _SubCommand(Protocol):
    def main(self, argv: Sequence[str]) -> int: ...


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    rows = "\n".join(f"  {name:<{width}}  {text}" for name, (_, text) in sorted(COMMANDS.items()))
    return (
        "usage: cbasync COMMAND [ARGS...]\n\ncbasync: async Carbon Black SDK tools\n\n"
        f"commands:\n{rows}\n\n'cbasync COMMAND --help' describes a command.\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else None
    if command in ("-h", "--help"):
        print(_usage(), end="")
        return 0
    if command not in COMMANDS:
        if command is not None:
            print(f"cbasync: unknown command {command!r}\n", file=sys.stderr)
        print(_usage(), end="")
        return 2
    module = cast(_SubCommand, importlib.import_module(COMMANDS[command][0]))
    return module.main(args)
