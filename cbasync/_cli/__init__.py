"""The SDK's sub-commands of ``cbasync`` (the dispatcher is :mod:`cbasync.cli`).

One module per sub-command, each with ``main(argv) -> int`` where ``argv`` is the whole line
after ``cbasync`` (``["check", "--profile", "prod"]``). They are click commands (the ``cli``
extra) run through :func:`run`, so every one of them

- answers ``--help`` and exits with the codes of :class:`Exit`;
- reports a bad flag or value in one line naming it, never a traceback;
- never prints a token: it is read from a hidden prompt or stdin and leaves only as a masked
  :class:`~cbasync.Secret` (a canary test runs every command with a planted token).

A new sub-command is a module here and a row of :data:`cbasync.cli.COMMANDS`, as ``lr`` (Live
Response across many devices, :mod:`cbasync._cli.lr`) is.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from cbasync.config import CREDENTIAL_DIRECTORIES, CREDENTIAL_FILES, Product

__all__ = [
    "PRODUCT_ALIASES",
    "PRODUCT_NAMES",
    "Exit",
    "credential_files",
    "fail",
    "is_interactive",
    "product_argument",
    "run",
    "search_directories",
]


F = TypeVar("F", bound=Callable[..., Any])


class Exit(enum.IntEnum):
    """The exit codes of every ``cbasync`` command."""

    OK = 0
    #: What the command did failed: the server could not be reached, refused the token, ...
    FAILED = 1
    #: The command line or its input is wrong: an unknown flag, a bad URL, a missing profile,
    #: an extra that is not installed. Fix the input and run it again.
    USAGE = 2
    #: ``cbasync lr``: the action failed on some of the devices (each device's row says why);
    #: it ran, so this is not ``FAILED``.
    SOME_FAILED = 3
    #: Interrupted (Ctrl+C).
    INTERRUPTED = 130


#: What each product is called on the command line, in the SDK and in the seeds.
PRODUCT_NAMES: dict[Product, str] = {
    "response": "EDR (CB Response)",
    "protection": "App Control (CB Protection)",
    "cloud": "Carbon Black Cloud",
}
#: Other names a user may type for a product.
PRODUCT_ALIASES: dict[str, Product] = {
    "response": "response",
    "edr": "response",
    "protection": "protection",
    "app-control": "protection",
    "appcontrol": "protection",
    "cloud": "cloud",
    "cbc": "cloud",
    "psc": "cloud",
}


def _canonical(ctx: click.Context, param: click.Parameter, value: object) -> object:
    if isinstance(value, tuple):
        return tuple(PRODUCT_ALIASES[str(v).lower()] for v in value)
    return PRODUCT_ALIASES[str(value).lower()]


def product_argument(name: str, *, many: bool = False) -> Callable[[F], F]:
    """A product argument: ``response``/``edr``, ``protection``/``app-control``/``appcontrol``,
    ``cloud``/``cbc``/``psc``; the command receives the canonical name."""
    return click.argument(
        name,
        nargs=-1 if many else 1,
        type=click.Choice(sorted(PRODUCT_ALIASES), case_sensitive=False),
        callback=_canonical,
    )


def search_directories(directory: str | None) -> tuple[str, ...]:
    """Where credential files are looked for: ``directory`` alone, or the SDK's own places."""
    return (directory,) if directory else tuple(CREDENTIAL_DIRECTORIES)


def credential_files(product: Product, directories: tuple[str, ...]) -> list[str]:
    """The product's credential files that exist in ``directories``, in the SDK's order."""
    candidates = (
        Path(d).expanduser() / name for d in directories for name in CREDENTIAL_FILES[product]
    )
    return [str(path) for path in candidates if path.is_file()]


class _Failure(Exception):
    def __init__(self, message: str, code: Exit) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: Exit = Exit.FAILED) -> NoReturn:
    """Stop the command with a one-line message on stderr and ``code``."""
    raise _Failure(message, code)


def run(command: click.Command, argv: Sequence[str]) -> int:
    """Run ``command`` on ``argv`` (``[name, *args]``) and return its exit code."""
    name, args = argv[0], list(argv[1:])
    try:
        result = command.main(args, prog_name=f"cbasync {name}", standalone_mode=False)
    except _Failure as failure:
        click.echo(f"cbasync {name}: {failure}", err=True)
        return int(failure.code)
    except click.exceptions.Exit as done:  # --help, --version
        return int(done.exit_code)
    except click.exceptions.Abort:
        click.echo(f"cbasync {name}: interrupted", err=True)
        return int(Exit.INTERRUPTED)
    except click.ClickException as exc:
        # A usage error: one line naming the flag, then where to read more.
        click.echo(f"cbasync {name}: {exc.format_message()}", err=True)
        click.echo(f"(cbasync {name} --help describes the command)", err=True)
        return int(Exit.USAGE) if exc.exit_code == 2 else int(exc.exit_code)
    except KeyboardInterrupt:
        click.echo(f"cbasync {name}: interrupted", err=True)
        return int(Exit.INTERRUPTED)
    return int(result) if isinstance(result, int) else int(Exit.OK)


def is_interactive() -> bool:
    """Whether a person can answer prompts (stdin and stderr are terminals)."""
    return sys.stdin.isatty() and sys.stderr.isatty()
