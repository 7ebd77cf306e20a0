"""``cbasync check``: can this profile reach its server, and does the server take its token?

::

    cbasync check                      # every product that has a [default] profile
    cbasync check response --profile prod
    cbasync check --json               # one JSON object per product, for scripts

For each product it reports, in order, stopping at the first failure:

1. **credentials** — the profile as the SDK reads it (files, then ``CBAPI_*`` variables);
2. **connection** — a TCP connection and, over https, the TLS handshake with exactly the TLS
   settings the SDK uses (verification, pinning, hostname check, TLS >= 1.2): the negotiated
   version and whether the certificate was verified;
3. **token** — one authenticated request through the SDK (its transport, retries and errors);
4. **org key** (the cloud) — that request is org-scoped (a device search for no rows): a 403
   there means the key is known but the org key is not its org (or its access level cannot
   read devices);
5. **server** — the server's version (EDR, App Control; the cloud has none, the org is shown).

Exit code 0 when every product passed, 1 when one failed, 2 when the input is wrong (a bad
profile, an unknown product). The token is never printed.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.streams.tls
import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cbasync import errors
from cbasync._api import BaseAPI
from cbasync._cli import (
    PRODUCT_NAMES,
    Exit,
    credential_files,
    fail,
    product_argument,
    run,
    search_directories,
)
from cbasync._httpx import ssl_context
from cbasync.cloud import CBCloudAPI
from cbasync.config import Credentials, Product, load_credentials
from cbasync.protection import CbProtectionAPI
from cbasync.response import CbResponseAPI

__all__ = ["Step", "command", "main"]

API_CLASSES: dict[Product, type[BaseAPI]] = {
    "response": CbResponseAPI,
    "protection": CbProtectionAPI,
    "cloud": CBCloudAPI,
}


@dataclass
class Step:
    name: str
    ok: bool | None  # None: skipped
    detail: str


@dataclass
class Report:
    product: Product
    profile: str
    url: str = ""
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok is not False for step in self.steps)

    def as_json(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "profile": self.profile,
            "url": self.url,
            "ok": self.ok,
            "steps": [{"name": s.name, "ok": s.ok, "detail": s.detail} for s in self.steps],
        }


# -- the probes ---------------------------------------------------------------------------------


async def _connection(credentials: Credentials, seconds: float) -> Step:
    parts = urlsplit(credentials.url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if credentials.proxy:
        return Step("connection", None, f"through a proxy: not probed directly ({host}:{port})")
    started = time.perf_counter()
    try:
        with anyio.fail_after(seconds):
            if parts.scheme != "https":
                stream: Any = await anyio.connect_tcp(host, port)
                await stream.aclose()
                return Step("connection", True, f"{host}:{port} plain HTTP (loopback only)")
            tls = await anyio.connect_tcp(host, port, ssl_context=ssl_context(credentials))
            version = tls.extra(anyio.streams.tls.TLSAttribute.tls_version)  # noqa: S610
            await tls.aclose()
    except ssl.SSLCertVerificationError as exc:
        return Step(
            "connection", False, f"{host}:{port} certificate not trusted: {exc.verify_message}"
        )
    except ssl.SSLError as exc:
        return Step("connection", False, f"{host}:{port} TLS handshake failed: {exc.reason or exc}")
    except TimeoutError:
        return Step("connection", False, f"{host}:{port} did not answer within {seconds:g}s")
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        return Step("connection", False, f"cannot connect to {host}:{port}: {reason}")
    elapsed = (time.perf_counter() - started) * 1000
    if not credentials.ssl_verify:
        trust = "certificate NOT verified (ssl_verify is off)"
    elif credentials.ssl_cert_file:
        trust = "certificate verified against the pinned ssl_cert_file"
    else:
        trust = "certificate verified"
    if credentials.ssl_verify and not credentials.ssl_verify_hostname:
        trust += ", hostname not checked"
    return Step("connection", True, f"{host}:{port} {version}, {trust} ({elapsed:.0f} ms)")


async def _edr(api: Any) -> str:
    info = await api.server_info()
    return f"EDR {info.version}"


async def _app_control(api: Any) -> str:
    version = await api.server_version()
    return "App Control " + ".".join(map(str, version))


async def _cloud(api: Any) -> str:
    # The cheapest authenticated, org-scoped read: a device search for no rows. A 403 here
    # still proves the key (it lacks the device permission), see _token.
    await api.request(
        "POST",
        "/appservices/v6/orgs/{org_key}/devices/_search",
        json={"rows": 0},
        idempotent=True,
    )
    return f"Carbon Black Cloud org {api.credentials.org_key}"


SERVER_PROBES: dict[Product, Callable[[Any], Awaitable[str]]] = {
    "response": _edr,
    "protection": _app_control,
    "cloud": _cloud,
}


async def _token(api: BaseAPI, product: Product) -> list[Step]:
    org_key = api.credentials.org_key
    try:
        server = await SERVER_PROBES[product](api)
    except errors.ApiError as exc:
        status = getattr(exc, "status", None)
        if status == 403 and product == "cloud":
            # The cloud knows the key (an unknown one is a 401) but refuses this org to it
            # (the cloud's dialect reads that 403 as a ClientError): the org key is not the
            # key's org, or the key's access level cannot read devices.
            return [
                Step("token", True, "accepted (403 for the org, not 401)"),
                Step(
                    "org key",
                    False,
                    f"org {org_key} refused to this key (403): check org_key, and that the "
                    "key's access level may read devices",
                ),
            ]
        if status == 403:
            return [
                Step("token", True, "accepted, but without permission for the probe (403)"),
                Step("server", None, "not read"),
            ]
        if isinstance(exc, errors.UnauthorizedError):
            return [Step("token", False, f"refused by the server ({status}): check the token")]
        return [Step("token", False, f"the request failed: {exc}")]
    steps = [Step("token", True, "accepted")]
    if product == "cloud":
        steps.append(Step("org key", True, f"{org_key}: the key reads its devices"))
    return [*steps, Step("server", True, server)]


async def _check(
    product: Product, profile: str | None, directories: tuple[str, ...], seconds: float
) -> Report:
    report = Report(product, profile or "default")
    try:
        api = API_CLASSES[product](
            profile,
            credential_file=credential_files(product, directories),
            timeout=seconds,
            max_retries=1,
        )
    except errors.CredentialError as exc:
        report.steps.append(Step("credentials", False, str(exc).removeprefix("credentials: ")))
        return report
    report.url = api.url
    sources = ", ".join(api.credentials.sources) or "environment"
    report.steps.append(Step("credentials", True, f"profile [{report.profile}] from {sources}"))
    connection = await _connection(api.credentials, seconds)
    report.steps.append(connection)
    if connection.ok is False:
        return report
    async with api:
        report.steps.extend(await _token(api, product))
    return report


def _configured(profile: str, directories: tuple[str, ...]) -> list[Product]:
    """The products that have ``profile`` in one of their credential files."""
    found: list[Product] = []
    for product in API_CLASSES:
        files = credential_files(product, directories)
        if not files:
            continue
        try:
            load_credentials(product, profile, credential_file=files, environ={})
        except errors.CredentialError as exc:
            if "not found" in str(exc):
                continue
        found.append(product)
    return found


# -- the command --------------------------------------------------------------------------------


@click.command(
    help="Check that a credential profile reaches its server: credentials, connection and TLS, "
    "token, server version; for PRODUCTS (response/edr, protection/app-control, cloud/cbc), or "
    "every product that has the profile."
)
@product_argument("products", many=True)
@click.option("--profile", default=None, help="profile name (default: [default])")
@click.option(
    "--directory",
    default=None,
    help="read credential files from this directory only (default: /etc/carbonblack, "
    "~/.carbonblack, ./.carbonblack)",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=300),
    default=10.0,
    show_default=True,
    help="seconds for each connection and request",
)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per product on stdout")
def command(
    products: tuple[Product, ...],
    profile: str | None,
    directory: str | None,
    timeout: float,
    as_json: bool,
) -> int:
    directories = search_directories(directory)
    chosen = list(dict.fromkeys(products)) or _configured(profile or "default", directories)
    if not chosen:
        where = ", ".join(directories)
        fail(
            f"no credential file in {where} has a [{profile or 'default'}] profile; run "
            "'cbasync configure PRODUCT' or name the product (CBAPI_* variables are read then)",
            Exit.USAGE,
        )

    async def check_all() -> list[Report]:
        return [await _check(p, profile, directories, timeout) for p in chosen]

    reports = anyio.run(check_all)
    if as_json:
        for report in reports:
            click.echo(json.dumps(report.as_json()))
    else:
        _print(reports)
    if any(step.name == "credentials" and step.ok is False for r in reports for step in r.steps):
        return int(Exit.USAGE)
    return int(Exit.OK if all(r.ok for r in reports) else Exit.FAILED)


def _print(reports: Sequence[Report]) -> None:
    console = Console(highlight=False, soft_wrap=True)
    marks = {True: "[green]ok[/]", False: "[red]FAILED[/]", None: "[yellow]skipped[/]"}
    for report in reports:
        title = escape(f"{PRODUCT_NAMES[report.product]}  [{report.profile}]  {report.url}")
        table = Table(
            title=title, title_justify="left", show_header=False, box=None, padding=(0, 2)
        )
        for step in report.steps:
            table.add_row(step.name, marks[step.ok], escape(step.detail))
        console.print(table)
    failed = [r for r in reports if not r.ok]
    console.print(
        f"{len(reports) - len(failed)} of {len(reports)} passed"
        + (f"; failed: {', '.join(r.product for r in failed)}" if failed else "")
    )


def main(argv: Sequence[str]) -> int:
    return run(command, argv)
