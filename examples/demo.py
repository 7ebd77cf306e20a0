"""A triage with cbasync, from the first query to a short report — no Carbon Black server needed.

    python3 -m nox -s demo                  # the README's first line: the embedded emulator
    cbasync demo                            # the same, from an installed cbasync[cli]
    cbasync demo --profile production       # read-only, against your own servers

Without ``--profile`` it starts the emulator that ships with cbasync on loopback over TLS and pins
its CA, as you would pin a server's self-signed certificate. Then it works through an incident
the way a concurrent triage tool does, through the public API only:

1. **hunt** — ``net.exe`` mounting an internal share (the cbapi manual's behavioural IOC): count,
   facet by host and user, pages fetched concurrently;
2. **investigate** — every hit at once, within a bound: its parent chain, its sensor and sensor
   group, its binary and signature (joins are explicit awaitables, cached per client);
3. **App Control** — what App Control knows of the binary and of the hosts (same hashes, same
   host names): file state and prevalence, each host's policy;
4. **contain** — isolate the most affected host and wait (bounded) until its sensor confirms,
   then lift it (only on the emulator: against a real server the demo changes nothing);
5. **sweep** — a dozen hunts at once in one connection pool;
6. **errors** — what a malformed query and a missing object raise;

and ends with a short report. ``main()`` is what ``cbasync demo`` runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import anyio

from cbasync import (
    CbProtectionAPI,
    CbResponseAPI,
    CredentialError,
    ObjectNotFoundError,
    QuerySyntaxError,
)
from cbasync.protection import Computer, EnforcementLevel, FileCatalog
from cbasync.response import Process, Sensor

#: The cbapi manual's IOC: the built-in net.exe mounting an internal network share.
HUNT = ("process_name:net.exe", r"cmdline:\\test\blah")
#: How many hits are investigated, and how many of them at once.
INVESTIGATE = 20
AT_ONCE = 8
SWEEP = [
    "process_name:powershell.exe",
    "process_name:cmd.exe",
    "process_name:rundll32.exe",
    "process_name:svchost.exe",
    "process_name:explorer.exe",
    "process_name:chrome.exe",
    "process_name:winword.exe",
    "process_name:conhost.exe",
    "process_name:whoami.exe",
    "process_name:net.exe",
    "process_name:ipconfig.exe",
    "process_name:schtasks.exe",
]


@dataclass
class Finding:
    """One hit, investigated."""

    process: Process
    parents: list[str]
    sensor: Sensor
    group: str
    signed_by: str | None


@dataclass
class Report:
    """What the triage found; printed at the end."""

    server: str = ""
    hits: int = 0
    hosts: Counter[str] = field(default_factory=Counter)
    users: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    app_control: list[str] = field(default_factory=list)
    contained: str = ""
    sweep: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)


def heading(text: str) -> None:
    print(f"\n== {text}")


async def hunt(edr: CbResponseAPI, report: Report) -> list[Process]:
    heading("1. hunt: net.exe mounting \\\\test\\blah")
    query = edr.select(Process).where(HUNT[0]).and_(HUNT[1]).group_by("id")
    report.hits = await query.count()
    facets = await query.facets("hostname", "username")
    report.hosts.update({f.name: f.value for f in facets["hostname"] if f.name})
    report.users.update({f.name: f.value for f in facets["username"] if f.name})
    print(f"{report.hits} processes on {len(report.hosts)} hosts, by {len(report.users)} users")
    for value in facets["hostname"][:3]:
        print(f"  {value.name:<24} {value.value:>4} ({value.ratio}%)")
    return await query.sort("start desc")[:INVESTIGATE].all()


async def investigate(edr: CbResponseAPI, hits: list[Process], report: Report) -> None:
    heading(f"2. investigate {len(hits)} hits, {AT_ONCE} at a time")
    limiter = anyio.CapacityLimiter(AT_ONCE)

    async def one(proc: Process) -> None:
        async with limiter:
            parents = [parent.process_name or "?" async for parent in proc.walk_parents()]
            sensor = await proc.sensor()  # cached per client: hits on one host share it
            group = await sensor.group()
            binary = await proc.binary()
        signer = binary.signing_data.publisher if binary.is_signed else None
        report.findings.append(Finding(proc, parents, sensor, group.name or "?", signer))

    async with anyio.create_task_group() as tg:
        for proc in hits:
            tg.start_soon(one, proc)
    report.findings.sort(key=lambda f: f.process.start or 0, reverse=True)
    for finding in report.findings[:5]:
        proc = finding.process
        chain = " <- ".join(finding.parents[:4]) or "(no parent)"
        print(f"{proc.start}  {proc.hostname}  {proc.username}: {proc.cmdline}")
        print(f"    parents: {chain}")
        print(
            f"    sensor {finding.sensor.id} in {finding.group!r}, "
            f"{'online' if finding.sensor.is_online else 'offline'}; "
            f"binary {'signed by ' + finding.signed_by if finding.signed_by else 'UNSIGNED'}"
        )


async def app_control(protection: CbProtectionAPI | None, report: Report) -> None:
    heading("3. App Control's view")
    if protection is None:
        print("no App Control profile: skipped")
        report.app_control.append("App Control: not configured")
        return
    md5s = {f.process.process_md5 for f in report.findings if f.process.process_md5}
    for md5 in sorted(md5s)[:3]:
        entry = await protection.select(FileCatalog).where(f"md5:{md5}").first()
        if entry is None:
            line = f"{md5}: never seen by App Control"
        else:
            line = (
                f"{entry.fileName} ({md5[:12]}...): {entry.effectiveState}, on "
                f"{entry.prevalence} computers, publisher {entry.publisherName}"
            )
        print(line)
        report.app_control.append(line)
    for host, _ in report.hosts.most_common(3):
        computer = await protection.select(Computer).where(f"name:*{host}").first()
        if computer is not None:
            line = (
                f"{computer.name}: policy {computer.policyName!r}, "
                f"{enforcement(computer.enforcementLevel)} enforcement"
            )
            print(line)
            report.app_control.append(line)


def enforcement(level: int | None) -> str:
    try:
        return EnforcementLevel(level).name.lower()
    except ValueError:
        return f"level {level}"


async def contain(edr: CbResponseAPI, report: Report, *, allowed: bool) -> None:
    heading("4. contain the most affected host")
    if not report.hosts:
        report.contained = "nothing to contain"
        return
    host = report.hosts.most_common(1)[0][0]
    sensor = await edr.select(Sensor).where(f"hostname:{host}").first()
    if sensor is None:
        report.contained = f"{host}: no sensor found"
    elif not allowed:
        report.contained = f"{host}: not isolated (the demo changes nothing on a real server)"
    elif not sensor.is_online:
        report.contained = f"{host}: sensor offline, isolation would wait for its next check-in"
    else:
        started = time.perf_counter()
        await sensor.isolate(max_wait=30, poll_interval=0.25)
        took = time.perf_counter() - started
        await sensor.unisolate(max_wait=30, poll_interval=0.25)
        report.contained = (
            f"{host}: isolated, confirmed by sensor {sensor.id} in {took:.1f}s, then lifted"
        )
    print(report.contained)


async def sweep(edr: CbResponseAPI, report: Report) -> None:
    heading(f"5. sweep: {len(SWEEP)} hunts at once")
    started = time.perf_counter()

    async def one(query: str) -> None:
        report.sweep[query] = await edr.select(Process).where(query).count()

    async with anyio.create_task_group() as tg:
        for query in SWEEP:
            tg.start_soon(one, query)
    for query in SWEEP:
        print(f"  {query:<32} {report.sweep[query]:>7}")
    print(f"{len(SWEEP)} searches in {time.perf_counter() - started:.2f}s")


async def errors(edr: CbResponseAPI, report: Report) -> None:
    heading("6. errors are typed")
    try:
        await edr.select(Process).where("process_name:(cmd.exe").count()
    except QuerySyntaxError as exc:
        report.errors.append(f"QuerySyntaxError: {exc}")
    try:
        await edr.get(Sensor, 999_999)
    except ObjectNotFoundError as exc:
        report.errors.append(f"ObjectNotFoundError: {exc}")
    for line in report.errors:
        print(line)


def print_report(report: Report) -> None:
    heading("report")
    users = ", ".join(name for name, _ in report.users.most_common(3))
    hosts = ", ".join(f"{name} ({n})" for name, n in report.hosts.most_common(3))
    unsigned = sum(1 for f in report.findings if f.signed_by is None)
    chains = Counter(" <- ".join(f.parents[:2]) for f in report.findings if f.parents)
    print(f"server       {report.server}")
    print(f"hunt         {report.hits} net.exe share mounts; top hosts {hosts}; users {users}")
    if chains:
        chain, n = chains.most_common(1)[0]
        print(f"launched by  {chain} ({n} of {len(report.findings)} investigated)")
    print(f"binaries     {len(report.findings) - unsigned} signed, {unsigned} unsigned")
    for line in report.app_control[:2]:
        print(f"app control  {line}")
    print(f"containment  {report.contained}")
    print(f"took         {time.perf_counter() - report.started:.1f}s")


async def triage(
    edr: CbResponseAPI, protection: CbProtectionAPI | None, *, changes_allowed: bool
) -> Report:
    """The whole triage against open clients; returns the report it printed."""
    report = Report()
    report.server = f"{edr.url} (EDR {'.'.join(map(str, await edr.server_version()))})"
    print(f"connected to {report.server}")
    hits = await hunt(edr, report)
    await investigate(edr, hits, report)
    await app_control(protection, report)
    await contain(edr, report, allowed=changes_allowed)
    await sweep(edr, report)
    await errors(edr, report)
    print_report(report)
    return report


@asynccontextmanager
async def clients(
    profile: str | None,
) -> AsyncIterator[tuple[CbResponseAPI, CbProtectionAPI | None]]:
    """Your servers (``--profile``), or the embedded emulator on loopback TLS."""
    async with AsyncExitStack() as stack:
        if profile is not None:
            edr = await stack.enter_async_context(CbResponseAPI(profile=profile))
            try:
                protection: CbProtectionAPI | None = CbProtectionAPI(profile=profile)
            except CredentialError:
                protection = None  # no App Control profile of that name
            if protection is not None:
                await stack.enter_async_context(protection)
            yield edr, protection
            return
        # Imported here: a real server needs only cbasync, the emulator needs cbasync[emulator].
        from cbasync.testing import EmulatorConfig
        from cbasync.testing.server import running_server

        config = EmulatorConfig(seed=7, processes=20_000, devices=25, isolation_delay=1.0)
        info, _app = await stack.enter_async_context(running_server(config, tls=True))
        print(f"embedded emulator on {info.url} (TLS, CA pinned from {info.ca_file})")
        options = {"url": info.url, "token": info.token, "ssl_cert_file": info.ca_file}
        edr = await stack.enter_async_context(CbResponseAPI(**options))
        protection = await stack.enter_async_context(CbProtectionAPI(**options))
        yield edr, protection


async def run(profile: str | None) -> Report:
    async with clients(profile) as (edr, protection):
        return await triage(edr, protection, changes_allowed=profile is None)


def main(argv: Sequence[str] | None = None) -> int:
    """``cbasync demo [--profile NAME]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="cbasync demo", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--profile",
        help="run read-only against the servers of this credential profile "
        "(credentials.response, and credentials.protection when it has the profile)",
    )
    args = parser.parse_args(argv)
    try:
        anyio.run(run, args.profile)  # the embedded emulator serves on asyncio
    except CredentialError as exc:
        print(f"cbasync demo: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print("\ndone: every session closed, every task finished.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
