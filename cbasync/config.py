"""Credentials: profiles from INI files, the environment and keyword arguments.

Where a value comes from, from weakest to strongest:

1. INI files, read in this order (a later file overrides an earlier one, key by key):
   ``/etc/carbonblack/``, ``~/.carbonblack/``, ``./.carbonblack/``; in each directory the product's
   files — ``credentials.response`` (EDR), ``credentials.protection`` (App Control),
   ``credentials.defense``, ``credentials.psc`` then ``credentials.cbc`` (Carbon Black Cloud).
   The profile is the INI section, ``[default]`` unless ``profile=`` names another.
2. The environment: ``CBAPI_URL``, ``CBAPI_TOKEN``, ``CBAPI_SSL_VERIFY``, ``CBAPI_ORG_KEY``, or the
   ``CBC_*`` spellings of the same names.
3. Keyword arguments.

Anything wrong raises :class:`~cbasync.errors.CredentialError` naming the file, the profile and
the key — never the token, which is held as a :class:`Secret` and masked in every repr.

The ``url`` must be ``https://``: the token travels in a header on every request, so plain
``http://`` is refused, except to a loopback address (``localhost``, ``127.0.0.1``, ``::1``: the
emulator, an SSH tunnel) or when the profile opts in with ``allow_plain_http = true`` (a lab
network the user trusts, a TLS-terminating sidecar on another host).
"""

from __future__ import annotations

import configparser
import dataclasses
import ipaddress
import math
import os
import stat
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit, urlunsplit

from cbasync.errors import CredentialError

__all__ = [
    "CREDENTIAL_DIRECTORIES",
    "CREDENTIAL_FILES",
    "CredentialWarning",
    "Credentials",
    "InsecureCredentialFileWarning",
    "Product",
    "Secret",
    "load_credentials",
]

Product = Literal["response", "protection", "cloud"]

#: Searched in this order; later files override earlier ones.
CREDENTIAL_DIRECTORIES: tuple[str, ...] = ("/etc/carbonblack", "~/.carbonblack", ".carbonblack")

#: File names per product, in override order within one directory. The cloud reads the legacy
#: Defense and PSC files as well as its own, so existing cbapi set-ups keep working.
CREDENTIAL_FILES: Mapping[Product, tuple[str, ...]] = {
    "response": ("credentials.response",),
    "protection": ("credentials.protection",),
    "cloud": ("credentials.defense", "credentials.psc", "credentials.cbc"),
}

_BOOL_KEYS = frozenset(
    {
        "ssl_verify",
        "ssl_verify_hostname",
        "ssl_force_tls_1_2",
        "ignore_system_proxy",
        "allow_plain_http",
    }
)
_STR_KEYS = frozenset({"url", "token", "org_key", "ssl_cert_file", "proxy", "integration_name"})
_FLOAT_KEYS = frozenset({"default_timeout"})
_KNOWN_KEYS = _BOOL_KEYS | _STR_KEYS | _FLOAT_KEYS
# Keys cbapi's credential files may carry for its requests-based sessions. They have no meaning
# for an httpx client, so they are accepted without a warning and ignored.
_CBAPI_ONLY_KEYS = frozenset({"pool_connections", "pool_maxsize", "pool_block", "max_retries"})

#: A profile is a few hundred bytes; a file past this is a mistake (the wrong path), and reading
#: it whole would stall the program.
MAX_CREDENTIAL_FILE_SIZE = 1024 * 1024

_TRUE = frozenset({"1", "yes", "true", "on"})
_FALSE = frozenset({"0", "no", "false", "off"})

_ENVIRONMENT: Mapping[str, tuple[str, ...]] = {
    "url": ("CBAPI_URL", "CBC_URL"),
    "token": ("CBAPI_TOKEN", "CBC_TOKEN"),
    "ssl_verify": ("CBAPI_SSL_VERIFY", "CBC_SSL_VERIFY"),
    "org_key": ("CBAPI_ORG_KEY", "CBC_ORG_KEY"),
}


class CredentialWarning(UserWarning):
    """Something in the credentials is suspicious but usable (an unknown key, for instance)."""


class InsecureCredentialFileWarning(CredentialWarning):
    """A credential file can be read or written by users other than its owner."""


class Secret:
    """A string that never shows itself: ``repr``, ``str`` and formatting print a mask."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __format__(self, format_spec: str) -> str:
        return format(str(self), format_spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling a secret is a way to leak it into a cache or a log: refuse.
        raise TypeError("a Secret cannot be pickled")


@dataclasses.dataclass(frozen=True)
class Credentials:
    """Resolved connection settings for one API object."""

    url: str
    token: Secret = dataclasses.field(repr=False)
    org_key: str | None = None
    ssl_verify: bool = True
    ssl_verify_hostname: bool = True
    ssl_cert_file: str | None = None
    ssl_force_tls_1_2: bool = False
    proxy: str | None = dataclasses.field(default=None, repr=False)
    ignore_system_proxy: bool = False
    #: Plain ``http://`` to a host that is not loopback, the token in clear text (opt-in).
    allow_plain_http: bool = False
    integration_name: str | None = None
    default_timeout: float | None = None
    #: Which profile these came from, and which files were read, for messages.
    profile: str = "default"
    sources: tuple[str, ...] = ()

    def __repr__(self) -> str:
        shown = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if f.repr and f.name != "sources"
        ]
        shown.insert(1, "token=Secret('**********')")
        if self.proxy is not None:
            shown.append(f"proxy={_mask_userinfo(self.proxy)!r}")
        return f"Credentials({', '.join(shown)})"


def load_credentials(
    product: Product,
    profile: str | None = None,
    *,
    credential_file: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    environ: Mapping[str, str] | None = None,
    search_directories: Sequence[str | os.PathLike[str]] | None = None,
    **overrides: Any,
) -> Credentials:
    """Resolve the credentials of ``product`` for ``profile``.

    ``credential_file`` reads just that file (or files), which must exist; otherwise the
    standard locations are searched and missing files are skipped. ``environ`` defaults to
    ``os.environ``; ``search_directories`` to :data:`CREDENTIAL_DIRECTORIES`. Keyword arguments
    named like the INI keys override everything; ``None`` means "not given".
    """
    if product not in get_args(Product):
        raise CredentialError(f"unknown product {product!r}; expected one of {get_args(Product)}")
    unknown = set(overrides) - _KNOWN_KEYS
    if unknown:
        raise CredentialError(f"unknown credential keyword(s): {', '.join(sorted(unknown))}")
    profile_name = profile if profile is not None else "default"

    values: dict[str, tuple[object, str]] = {}
    files = _candidate_files(product, credential_file, search_directories)
    read: list[str] = []
    profiles_seen: set[str] = set()
    #: Files that exist but lack the profile, with the profiles they do hold, for messages.
    elsewhere: dict[str, list[str]] = {}
    for path, must_exist in files:
        section = _read_profile(path, profile_name, must_exist, profiles_seen, elsewhere)
        if section is None:
            continue
        read.append(str(path))
        where = f"[{profile_name}] in {path}"
        for key, raw in section.items():
            if key not in _KNOWN_KEYS:
                if key not in _CBAPI_ONLY_KEYS:
                    warnings.warn(
                        f"credentials: unknown key {key!r} in {where} is ignored",
                        CredentialWarning,
                        stacklevel=2,
                    )
                continue
            values[key] = (_convert(key, raw, where), where)

    if profile is not None and not read:
        searched = ", ".join(str(p) for p, _ in files) or "no files"
        known = ", ".join(sorted(profiles_seen)) or "none"
        raise CredentialError(
            f"credentials: profile [{profile}] not found (searched {searched}; profiles found: {known})"
        )

    env = os.environ if environ is None else environ
    for key, names in _ENVIRONMENT.items():
        found = [(name, env[name]) for name in names if env.get(name)]
        if not found:
            continue
        if len({value for _, value in found}) > 1:
            raise CredentialError(
                f"credentials: {' and '.join(name for name, _ in found)} are both set and differ"
            )
        name, raw = found[0]
        values[key] = (
            _convert(key, raw, f"environment variable {name}"),
            f"environment variable {name}",
        )

    for key, value in overrides.items():
        if value is None:
            continue
        where = f"keyword argument {key}="
        if isinstance(value, Secret):
            value = value.get_secret_value()
        if key in _BOOL_KEYS and not isinstance(value, bool):
            raise CredentialError(
                f"credentials: {where} must be a bool, not {type(value).__name__}"
            )
        values[key] = (_convert(key, value, where), where)

    return _validate(product, profile_name, values, tuple(read), elsewhere)


def _candidate_files(
    product: Product,
    credential_file: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None,
    search_directories: Sequence[str | os.PathLike[str]] | None,
) -> list[tuple[Path, bool]]:
    if credential_file is not None:
        if isinstance(credential_file, (str, os.PathLike)):
            credential_file = [credential_file]
        return [(Path(p).expanduser(), True) for p in credential_file]
    directories = CREDENTIAL_DIRECTORIES if search_directories is None else search_directories
    return [
        (Path(directory).expanduser() / name, False)
        for directory in directories
        for name in CREDENTIAL_FILES[product]
    ]


def _read_profile(
    path: Path,
    profile: str,
    must_exist: bool,
    profiles_seen: set[str],
    elsewhere: dict[str, list[str]],
) -> Mapping[str, str] | None:
    try:
        # utf-8-sig: Windows Notepad saves "UTF-8" with a byte order mark, which configparser
        # would otherwise read as part of the first line (and report as a line before any
        # [profile] header).
        with path.open(encoding="utf-8-sig") as handle:
            status = os.fstat(handle.fileno())
            if status.st_size > MAX_CREDENTIAL_FILE_SIZE:
                raise CredentialError(
                    f"credentials: file {path} is larger than 1 MiB ({status.st_size} bytes); "
                    "it is not a credential file"
                )
            text = handle.read()
            mode = status.st_mode
    except FileNotFoundError:
        if must_exist:
            raise CredentialError(f"credentials: file {path} does not exist") from None
        return None
    except IsADirectoryError:
        raise CredentialError(f"credentials: {path} is a directory, not a file") from None
    except PermissionError:
        raise CredentialError(f"credentials: file {path} exists but cannot be read") from None
    except UnicodeDecodeError as exc:
        raise CredentialError(
            f"credentials: file {path} is not UTF-8 text ({exc.reason})"
        ) from None
    except OSError as exc:
        raise CredentialError(f"credentials: file {path} cannot be read ({exc.strerror})") from None
    except ValueError:  # a NUL or an unencodable character in the path
        raise CredentialError(f"credentials: {str(path)!r} is not a usable file name") from None

    # Interpolation is off: tokens and proxy passwords may contain '%'.
    parser = configparser.ConfigParser(interpolation=None, default_section="\x00no-defaults")
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        detail = _describe_ini_error(exc)
        raise CredentialError(
            f"credentials: file {path} is not a valid INI file: {detail}"
        ) from None
    profiles_seen.update(parser.sections())
    if not parser.has_section(profile):
        elsewhere[str(path)] = parser.sections()
        return None
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        warnings.warn(
            f"credentials: {path} can be read or written by other users "
            f"(mode {stat.S_IMODE(mode):o}); restrict it with chmod 600",
            InsecureCredentialFileWarning,
            stacklevel=4,
        )
    return dict(parser.items(profile))


def _describe_ini_error(exc: configparser.Error) -> str:
    # configparser's own messages quote the offending line, and that line may hold the token:
    # describe the error from its attributes instead.
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno} comes before any [profile] header"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"key {exc.option!r} appears twice in [{exc.section}] (line {exc.lineno})"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"profile [{exc.section}] appears twice (line {exc.lineno})"
    if isinstance(exc, configparser.ParsingError):
        lines = ", ".join(str(lineno) for lineno, _ in exc.errors)
        return f"line(s) {lines} are not 'key = value'"
    return type(exc).__name__


def _convert(key: str, raw: object, where: str) -> object:
    if key in _BOOL_KEYS:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CredentialError(
            f"credentials: {key} in {where} must be a boolean "
            f"(1/0, yes/no, true/false, on/off), not {str(raw)!r}"
        )
    if key in _FLOAT_KEYS:
        try:
            number = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number <= 0:
            raise CredentialError(
                f"credentials: {key} in {where} must be a positive number of seconds, not {raw!r}"
            )
        return number
    if not isinstance(raw, str):
        raise CredentialError(f"credentials: {key} in {where} must be a string")
    return raw.strip()


def _validate(
    product: Product,
    profile: str,
    values: dict[str, tuple[object, str]],
    read: tuple[str, ...],
    elsewhere: Mapping[str, list[str]],
) -> Credentials:
    def missing(key: str, hint: str) -> CredentialError:
        if read:
            searched = ", ".join(read)
        elif elsewhere:
            # Files exist, just not with this profile: name them and what they hold, since the
            # likely fix is profile="<one of them>".
            searched = "; ".join(
                f"{path} has no [{profile}] profile, only "
                + (", ".join(f"[{name}]" for name in names) or "none")
                for path, names in elsewhere.items()
            )
            candidates = sorted({name for names in elsewhere.values() for name in names})
            if candidates:
                hint = f"pass profile={candidates[0]!r} (or another profile there), or {hint}"
        else:
            searched = "no credential file found"
        return CredentialError(
            f"credentials: {key} is not set for profile [{profile}] ({searched}); {hint}"
        )

    def get(key: str) -> Any:
        return values[key][0] if key in values else None

    url = get("url")
    if not url:
        raise missing("url", "set url in the profile, CBAPI_URL, or pass url=")
    url = _check_url(url, values["url"][1], allow_plain_http=bool(get("allow_plain_http")))

    token = get("token")
    if not token:
        raise missing("token", "set token in the profile, CBAPI_TOKEN, or pass token=")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in token):
        raise CredentialError(
            f"credentials: token in {values['token'][1]} contains whitespace or control characters"
        )

    org_key = get("org_key")
    if product == "cloud" and not org_key:
        raise missing("org_key", "the Carbon Black Cloud needs the org key (e.g. ABCD1234)")
    if org_key is not None and (not org_key or not org_key.isalnum()):
        raise CredentialError(
            f"credentials: org_key in {values['org_key'][1]} must be letters and digits, not {org_key!r}"
        )

    cert_file = get("ssl_cert_file")
    if cert_file:
        cert_path = Path(cert_file).expanduser()
        if not cert_path.is_file():
            raise CredentialError(
                f"credentials: ssl_cert_file in {values['ssl_cert_file'][1]} is not a file: {cert_path}"
            )
        cert_file = str(cert_path)

    proxy = get("proxy")
    if proxy:
        parts = urlsplit(proxy)
        if parts.scheme not in {"http", "https", "socks5", "socks5h"} or not parts.hostname:
            raise CredentialError(
                f"credentials: proxy in {values['proxy'][1]} must be an http(s):// or socks5:// URL, "
                f"not {_mask_userinfo(proxy)!r}"
            )

    kwargs: dict[str, Any] = {
        key: get(key)
        for key in _KNOWN_KEYS - {"url", "token", "org_key", "ssl_cert_file", "proxy"}
        if key in values
    }
    return Credentials(
        url=url,
        token=Secret(token),
        org_key=org_key or None,
        ssl_cert_file=cert_file or None,
        proxy=proxy or None,
        profile=profile,
        sources=read,
        **kwargs,
    )


def _check_url(url: str, where: str, *, allow_plain_http: bool) -> str:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise CredentialError(f"credentials: url in {where} is not a valid URL ({exc})") from None
    del port
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise CredentialError(
            f"credentials: url in {where} must look like https://host[:port], not {url!r}"
        )
    if parts.username or parts.password:
        raise CredentialError(f"credentials: url in {where} must not carry a user or password")
    if parts.query or parts.fragment:
        raise CredentialError(f"credentials: url in {where} must not have a query or fragment")
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and not allow_plain_http:
        raise CredentialError(
            f"credentials: url in {where} uses http:// to {parts.hostname}; the token would cross "
            "the network in clear text. Use https://, or set allow_plain_http = true if that "
            "network is trusted (plain http is otherwise allowed only to loopback)."
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _mask_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, f"{parts.username}:***@{netloc}", parts.path, parts.query, ""))
