"""``cbasync configure``: write a credential profile, as cbapi's ``cbapi-response configure`` did.

::

    cbasync configure response                         # asks for the URL and the token
    cbasync configure cloud --profile prod --url https://defense.conferdeploy.net \\
        --org-key ABCD1234 --token-stdin < token.txt    # scripted, no prompt

The profile goes to ``~/.carbonblack/credentials.<product>`` (``credentials.cbc`` for the cloud),
the file the SDK reads first after ``/etc/carbonblack``. The directory is made 0700 and the file
is written 0600, atomically, keeping the file's other profiles. Everything is validated the way
the SDK will read it (a ``CredentialError`` is a one-line error naming the flag, exit code 2).

The token never appears on the command line (where ``ps`` and shell history would keep it): it
is read from a hidden prompt, or from the first line of stdin with ``--token-stdin``, and it is
never printed.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from cbasync._cli import PRODUCT_NAMES, Exit, fail, is_interactive, product_argument, run
from cbasync.config import CREDENTIAL_FILES, Product, load_credentials
from cbasync.errors import CredentialError

__all__ = ["command", "main", "write_profile"]

#: The file each product's profile is written to (the last, strongest of the files it reads).
TARGET_FILE: dict[Product, str] = {
    product: names[-1] for product, names in CREDENTIAL_FILES.items()
}
DEFAULT_DIRECTORY = "~/.carbonblack"


@click.command(
    help="Write a credential profile for PRODUCT (response/edr, protection/app-control, "
    "cloud/cbc) to ~/.carbonblack/credentials.<product>. Values not given as options are asked "
    "for; the token is read from a hidden prompt or, with --token-stdin, from stdin."
)
@product_argument("product")
@click.option("--profile", default="default", show_default=True, help="profile (INI section) name")
@click.option("--url", help="server URL, e.g. https://cbserver.example.com")
@click.option(
    "--token-stdin",
    is_flag=True,
    help="read the API token from the first line of stdin instead of a hidden prompt",
)
@click.option("--org-key", help="Carbon Black Cloud org key (required for cloud)")
@click.option(
    "--ssl-verify/--no-ssl-verify",
    default=None,
    help="verify the server's TLS certificate (default: yes; asked when interactive)",
)
@click.option(
    "--ssl-verify-hostname/--no-ssl-verify-hostname",
    default=True,
    show_default=True,
    help="check that the certificate names the server",
)
@click.option(
    "--ssl-cert-file",
    type=click.Path(dir_okay=False),
    help="trust only this PEM (the server's own certificate or its CA)",
)
@click.option("--ssl-force-tls-1-2", is_flag=True, help="use exactly TLS 1.2")
@click.option("--proxy", help="proxy URL, http(s):// or socks5://")
@click.option("--ignore-system-proxy", is_flag=True, help="ignore HTTP(S)_PROXY variables")
@click.option(
    "--directory",
    default=DEFAULT_DIRECTORY,
    show_default=True,
    help="where to write credentials.<product>",
)
@click.option("--force", is_flag=True, help="replace the profile if it exists, without asking")
@click.option("--no-input", is_flag=True, help="never prompt; fail when a value is missing")
def command(
    product: Product,
    profile: str,
    url: str | None,
    token_stdin: bool,
    org_key: str | None,
    ssl_verify: bool | None,
    ssl_verify_hostname: bool,
    ssl_cert_file: str | None,
    ssl_force_tls_1_2: bool,
    proxy: str | None,
    ignore_system_proxy: bool,
    directory: str,
    force: bool,
    no_input: bool,
) -> int:
    interactive = is_interactive() and not no_input and not token_stdin
    profile = profile.strip()
    if not profile or any(c in profile for c in "[]\n\r"):
        fail(f"--profile {profile!r} is not a usable profile name", Exit.USAGE)

    def ask(text: str, given: str | None, *, flag: str) -> str:
        if given:
            return given
        if not interactive:
            fail(f"{flag} is required (no terminal to ask on)", Exit.USAGE)
        return str(click.prompt(text, err=True)).strip()

    url = ask(f"URL of the {PRODUCT_NAMES[product]} server", url, flag="--url")
    if product == "cloud":
        org_key = ask("Org key (Settings > API Access)", org_key, flag="--org-key")
    token = _read_token(token_stdin, interactive)
    if ssl_verify is None:
        ssl_verify = (
            click.confirm(
                "Verify the server's TLS certificate (answer no only for a self-signed test "
                "server; --ssl-cert-file pins one instead)",
                default=True,
                err=True,
            )
            if interactive
            else True
        )
    cert_file = str(Path(ssl_cert_file).expanduser().resolve()) if ssl_cert_file else None
    values: dict[str, str | bool | None] = {
        "url": url,
        "token": token,
        "org_key": org_key,
        "ssl_verify": ssl_verify,
        "ssl_verify_hostname": ssl_verify_hostname,
        "ssl_cert_file": cert_file,
        "ssl_force_tls_1_2": ssl_force_tls_1_2,
        "proxy": proxy,
        "ignore_system_proxy": ignore_system_proxy,
    }
    try:  # read the values the way the SDK will: a bad one fails here, not at the first request
        load_credentials(
            product,
            credential_file=(),
            environ={},
            url=url,
            token=token,
            org_key=org_key,
            ssl_verify=ssl_verify,
            ssl_verify_hostname=ssl_verify_hostname,
            ssl_cert_file=cert_file,
            ssl_force_tls_1_2=ssl_force_tls_1_2,
            proxy=proxy,
            ignore_system_proxy=ignore_system_proxy,
        )
    except CredentialError as exc:
        fail(_with_flags(str(exc), values), Exit.USAGE)
    target = Path(directory).expanduser() / TARGET_FILE[product]
    if _has_profile(target, profile) and not force:
        if not interactive:
            fail(
                f"profile [{profile}] already exists in {target}; pass --force to replace it",
                Exit.USAGE,
            )
        if not click.confirm(f"Profile [{profile}] exists in {target}; replace it?", err=True):
            fail("nothing written", Exit.FAILED)
    notes = write_profile(target, profile, values)
    for note in notes:
        click.echo(note, err=True)
    click.echo(f"Saved profile [{profile}] for {PRODUCT_NAMES[product]} to {target} (mode 600).")
    suffix = "" if profile == "default" else f" --profile {profile}"
    click.echo(f"Check it with: cbasync check {product}{suffix}")
    return int(Exit.OK)


def _read_token(from_stdin: bool, interactive: bool) -> str:
    if from_stdin:
        token = sys.stdin.readline().strip()
        if not token:
            fail("--token-stdin: stdin had no token on its first line", Exit.USAGE)
        return token
    if not interactive:
        fail(
            "the API token is read from a hidden prompt or with --token-stdin; it is never "
            "taken as an argument (shell history and ps would keep it)",
            Exit.USAGE,
        )
    token = str(click.prompt("API token (not shown)", hide_input=True, err=True)).strip()
    if not token:
        fail("no token given", Exit.USAGE)
    return token


def _with_flags(message: str, values: dict[str, str | bool | None]) -> str:
    """A credential error as the command line spells it (``--org-key``, not ``org_key=``)."""
    for key in values:
        flag = "the token" if key == "token" else f"--{key.replace('_', '-')}"
        message = message.replace(f"{key} in keyword argument {key}=", flag)
        message = message.replace(f"keyword argument {key}=", flag)
    return message.removeprefix("credentials: ")


def _has_profile(path: Path, profile: str) -> bool:
    if not path.exists():
        return False
    parser = _parser()
    try:
        parser.read_string(path.read_text(encoding="utf-8-sig"), source=str(path))
    except (configparser.Error, UnicodeDecodeError, OSError) as exc:
        fail(
            f"{path} exists but cannot be read as a credential file ({type(exc).__name__}); "
            "fix or move it first",
            Exit.USAGE,
        )
    return parser.has_section(profile)


def _parser() -> configparser.ConfigParser:
    # As the SDK reads it: no interpolation ('%' in tokens), no DEFAULT section.
    return configparser.ConfigParser(interpolation=None, default_section="\x00no-defaults")


def write_profile(path: Path, profile: str, values: dict[str, str | bool | None]) -> list[str]:
    """Write ``profile`` into ``path`` (0600, atomically, other profiles kept) in a 0700
    directory; returns notes for the user (a permission that was tightened)."""
    notes: list[str] = []
    directory = path.parent
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True)
    elif os.name == "posix" and stat.S_IMODE(directory.stat().st_mode) & 0o077:
        directory.chmod(0o700)
        notes.append(f"(made {directory} private: mode 700)")
    parser = _parser()
    if path.exists():
        parser.read_string(path.read_text(encoding="utf-8-sig"), source=str(path))
    if parser.has_section(profile):
        parser.remove_section(profile)
    parser.add_section(profile)
    for key, value in values.items():
        if value is None or (key in _DEFAULT_FALSE and value is False):
            continue
        if key == "ssl_verify_hostname" and value is True:
            continue
        parser.set(
            profile, key, ("true" if value else "false") if isinstance(value, bool) else value
        )
    temporary = directory / f".{path.name}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            parser.write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)  # whatever the umask said
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return notes


#: Flags written only when set (the SDK's default is off).
_DEFAULT_FALSE = frozenset({"ssl_force_tls_1_2", "ignore_system_proxy"})


def main(argv: Sequence[str]) -> int:
    return run(command, argv)
